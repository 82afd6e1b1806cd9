package host_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/apphost/apphost/host"
)

// What the ASP.NET Core Module's variables mean to the host.
func ExampleDetectIIS() {
	env := map[string]string{
		"ASPNETCORE_PORT":      "38112",
		"ASPNETCORE_TOKEN":     "4f9c2a1e-0b7d-4f2e-9a55-1d1c2b3a4e5f",
		"ASPNETCORE_APPL_PATH": "/shop/",
	}
	iis, err := host.DetectIIS(func(k string) string { return env[k] })
	fmt.Println(iis.Module, iis.Port, iis.PathBase, err)

	_, err = host.DetectIIS(func(k string) string { return map[string]string{"HTTP_PLATFORM_PORT": "80a"}[k] })
	fmt.Println(err)
	// Output:
	// ASP.NET Core Module 38112 /shop <nil>
	// HTTP_PLATFORM_PORT="80a": a port number from 1 to 65535 is expected
}

// Under the ASP.NET Core Module the host listens on the port ANCM chose,
// rejects a request without the pairing token (it did not come through
// IIS), hides the token from the application, strips the application's
// virtual path, and shuts down when ANCM asks.
func Example_iisMode() {
	env := map[string]string{
		"ASPNETCORE_PORT":      freePort(), // IIS picks it
		"ASPNETCORE_TOKEN":     "4f9c2a1e-0b7d-4f2e-9a55-1d1c2b3a4e5f",
		"ASPNETCORE_APPL_PATH": "/shop",
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "path base %s, path %s, token header %q\n",
			host.PathBase(r.Context()), r.URL.Path, r.Header.Get("MS-ASPNETCORE-TOKEN"))
	})
	s, err := host.New(app, host.Options{
		Listen:      []string{"127.0.0.1:5000"}, // ignored under IIS
		AdminListen: host.AdminOff,
		AccessLog:   io.Discard,
		Logger:      slog.New(slog.DiscardHandler),
		Getenv:      func(k string) string { return env[k] }, // os.Getenv when nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background()) }()
	base := "http://" + s.Addrs()[0].String()

	fmt.Print(do("GET", base+"/shop/cart", nil))
	fmt.Print(do("GET", base+"/shop/cart", map[string]string{"MS-ASPNETCORE-TOKEN": env["ASPNETCORE_TOKEN"]}))
	fmt.Print(do("POST", base+"/shop/iisintegration", map[string]string{
		"MS-ASPNETCORE-TOKEN": env["ASPNETCORE_TOKEN"],
		"MS-ASPNETCORE-EVENT": "shutdown",
	}))
	fmt.Println("shutdown:", <-served)
	// Output:
	// 400 400 Bad Request
	// 200 path base /shop, path /cart, token header ""
	// 202
	// shutdown: <nil>
}

func do(method, url string, header map[string]string) string {
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error() + "\n"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, body)) + "\n"
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "0"
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
