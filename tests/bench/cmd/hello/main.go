// Command hello answers every request with "Hello, World!": the application
// the benchmark harness (tests/bench) measures the host with.
//
//	hello -bare -listen 127.0.0.1:8080         plain net/http
//	hello -listen 127.0.0.1:8080               through the host (the default, also -host)
//	hello -access-log -listen 127.0.0.1:8080   through the host, access log on
//	hello -cpuprofile host.prof ...            and write a CPU profile until it stops
//	hello -memprofile host.mprof ...           and an allocation profile when it stops
//
// Through the host, the request path is the host's default one — request
// limits, forwarded headers, panic recovery and whatever else the host
// adds by default — with the access log off, or with -access-log the
// combined-format access log written to /dev/null: every line is
// formatted and written with a real write(2), as it would be to a file or
// a pipe, without filling the disk. The admin listener is off unless
// -admin names an address, so several instances can run side by side.
//
// SIGINT or SIGTERM stops it (gracefully, through the host).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/apphost/apphost/host"
)

var (
	body        = []byte("Hello, World!")
	contentType = []string{"text/plain; charset=utf-8"} // shared, never modified
)

func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header()["Content-Type"] = contentType
	w.Write(body)
}

func main() {
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on (host:port)")
	bare := fs.Bool("bare", false, "serve with plain net/http instead of the host")
	viaHost := fs.Bool("host", true, "serve through the host (the default; -bare or -host=false serve on bare net/http)")
	accessLog := fs.Bool("access-log", false, "through the host, with the combined access log written to /dev/null")
	admin := fs.String("admin", host.AdminOff, `the host's admin address, or "off"`)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until it stops (for go tool pprof)")
	memProfile := fs.String("memprofile", "", "write an allocation profile to this file when it stops (for go tool pprof -sample_index=alloc_space)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hello: unexpected arguments %q\n", fs.Args())
		os.Exit(2)
	}
	*bare = *bare || !*viaHost
	if *bare && *accessLog {
		fmt.Fprintln(os.Stderr, "hello: -access-log needs the host; it cannot be combined with -bare")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfiles, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
	if *bare {
		err = serveBare(ctx, *listen)
	} else {
		err = serveHost(ctx, *listen, *admin, *accessLog)
	}
	stop()
	stopProfiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

// startProfiles starts the CPU profile when cpu names a file; the
// returned function stops it and writes the allocation profile when mem
// names a file.
func startProfiles(cpu, mem string) (stop func(), err error) {
	var f *os.File
	if cpu != "" {
		if f, err = os.Create(cpu); err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
		if mem != "" {
			writeHeapProfile(mem)
		}
	}, nil
}

// writeHeapProfile writes the allocation profile: every allocation since
// the start, sampled as runtime.MemProfileRate says.
func writeHeapProfile(name string) {
	f, err := os.Create(name)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello: memory profile:", err)
	}
}

// serveBare is the baseline: net/http's Server with no options and the
// handler as it is.
func serveBare(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(hello)}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Fprintln(os.Stderr, "hello: bare net/http listening on", l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveHost serves through the host with its defaults; only the listen and
// admin addresses, the logs and the shutdown wait are set.
func serveHost(ctx context.Context, addr, admin string, accessLog bool) error {
	opts := host.Options{
		Listen:          []string{addr},
		AdminListen:     admin,
		ShutdownTimeout: 5 * time.Second,
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		AccessLog:       io.Discard,
	}
	if accessLog {
		devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer devNull.Close()
		opts.AccessLog = devNull
	}
	fmt.Fprintln(os.Stderr, "hello: host listening on", addr, "access log:", accessLog)
	return host.Run(ctx, http.HandlerFunc(hello), opts)
}
