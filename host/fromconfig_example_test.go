package host_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/host"
	"github.com/spf13/pflag"
)

// A service that reads its settings the way apphost serve does: defaults,
// then apphost.yaml (-f), then APPHOST_* variables, then flags, each layer
// overriding the one before.
func ExampleOptionsFromConfig() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "apphost.yaml")
	os.WriteFile(file, []byte(`
app:
  listen: [127.0.0.1:6000]
  limits:
    max_request_body: 10MB
    keep_alive_timeout: 75s
`), 0o644)

	flags := pflag.NewFlagSet("shop", pflag.ContinueOnError)
	path := flags.StringP("file", "f", "", "deployment description")
	values := config.AddHostFlags(flags) // --listen, --max-request-body, --trusted-proxies, …
	if err := flags.Parse([]string{"-f", file, "--max-request-body", "1MB"}); err != nil {
		fmt.Println(err)
		return
	}
	env := []string{"APPHOST_APP_LIMITS_MAX_REQUEST_BODY=5MB", "APPHOST_APP_SHUTDOWN_TIMEOUT=10s"} // os.Environ() in a service
	cfg, err := config.Resolve(*path, env, values)
	if err != nil {
		fmt.Println(err) // file:line: key: what is accepted
		return
	}
	opts := host.OptionsFromConfig(cfg)
	fmt.Println("listen:", opts.Listen, "(file)")
	fmt.Println("keep-alive:", opts.Limits.KeepAliveTimeout, "(file)")
	fmt.Println("shutdown timeout:", opts.ShutdownTimeout, "(environment)")
	fmt.Println("max request body:", opts.Limits.MaxRequestBody, "(flag over environment over file)")
	fmt.Println("admin:", opts.AdminListen, "(default)")
	// A service would now call host.Run(ctx, app, opts).

	// Output:
	// listen: [127.0.0.1:6000] (file)
	// keep-alive: 1m15s (file)
	// shutdown timeout: 10s (environment)
	// max request body: 1000000 (flag over environment over file)
	// admin: 127.0.0.1:9464 (default)
}
