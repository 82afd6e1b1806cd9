package config_test

import (
	"fmt"

	"github.com/apphost/apphost/config"
)

// The admin address is kept off every public listener: localhost and a
// wildcard reach it, another loopback address or port does not.
func ExampleAddress_Overlaps() {
	admin, _ := config.ParseAddress("127.0.0.1:9464")
	for _, s := range []string{"localhost:9464", "0.0.0.0:9464", "127.0.0.2:9464", "[::1]:9464", "127.0.0.1:5000"} {
		a, _ := config.ParseAddress(s)
		fmt.Printf("%-15s %v\n", a, a.Overlaps(admin))
	}
	// Output:
	// localhost:9464  true
	// 0.0.0.0:9464    true
	// 127.0.0.2:9464  false
	// [::1]:9464      false
	// 127.0.0.1:5000  false
}
