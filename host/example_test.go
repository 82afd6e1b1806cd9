package host_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/apphost/apphost/host"
)

// A service embeds the host: New binds the listeners, Serve serves until the
// context ends and then drains. A real service calls host.Run(ctx, app,
// opts), which adds SIGINT and SIGTERM handling, and keeps the default
// addresses (127.0.0.1:5000, admin 127.0.0.1:9464).
func Example() {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s\n", r.Proto)
	})
	s, err := host.New(app, host.Options{
		Listen:      []string{"127.0.0.1:0"}, // a free port for the example
		AdminListen: "127.0.0.1:0",
		AccessLog:   io.Discard,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()

	fmt.Print(fetch("http://" + s.Addrs()[0].String() + "/"))
	fmt.Print(fetch("http://" + s.AdminAddr().String() + "/readyz"))

	stop() // as SIGTERM would
	fmt.Println("shutdown:", <-served)
	// Output:
	// 200 hello over HTTP/1.1
	// 200 ready
	// shutdown: <nil>
}

// The limits a zero Options.Limits stands for: Kestrel's defaults.
func ExampleDefaultLimits() {
	l := host.DefaultLimits()
	fmt.Println("max request body:", l.MaxRequestBody)
	fmt.Println("max request headers:", l.MaxRequestHeaders, "in", l.MaxHeaderCount, "fields")
	fmt.Println("max request line:", l.MaxRequestLine)
	fmt.Println("request headers timeout:", l.RequestHeadersTimeout)
	fmt.Println("keep-alive timeout:", l.KeepAliveTimeout)
	fmt.Printf("min body rate: %d bytes/s after %s\n", l.MinRequestBodyRate, l.MinRequestBodyGrace)
	fmt.Println("max connections:", l.MaxConnections, "(unlimited)")
	// Output:
	// max request body: 30000000
	// max request headers: 32768 in 100 fields
	// max request line: 8192
	// request headers timeout: 30s
	// keep-alive timeout: 2m10s
	// min body rate: 240 bytes/s after 5s
	// max connections: 0 (unlimited)
}

func fetch(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error() + "\n"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, body)
}
