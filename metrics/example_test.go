package metrics_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apphost/apphost/forwarded"
	"github.com/apphost/apphost/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// An application's mux behind the forwarded headers and the HTTP metrics,
// with /metrics served from the same private registry on another handler,
// as the host does on its admin address.
func Example() {
	reg := prometheus.NewRegistry()
	httpMetrics, err := metrics.NewHTTP(reg)
	if err != nil {
		panic(err)
	}
	fw, err := forwarded.New(forwarded.Options{}) // trusts loopback peers
	if err != nil {
		panic(err)
	}
	if err := metrics.NewForwarded(reg, fw); err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", r.PathValue("name"))
	})
	app := httptest.NewServer(fw.Handler(httpMetrics.Handler(metrics.Route(mux))))
	defer app.Close()
	admin := httptest.NewServer(metrics.Handler(reg))
	defer admin.Close()

	req, _ := http.NewRequest("GET", app.URL+"/hello/ada", nil)
	req.Header.Set("X-Forwarded-Proto", "https") // as a proxy on this machine would
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	resp, err = http.Get(admin.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	for line := range strings.Lines(string(page)) {
		if strings.HasPrefix(line, "http_server_request_duration_seconds_count") {
			fmt.Print(line)
		}
	}
	// Output:
	// http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/hello/{name}",url_scheme="https"} 1
}
