// Command supervisorchild is the application the supervisor's tests run.
// It serves HTTP on the sockets it inherits through LISTEN_FDS (or on the
// port named by -port-env), reports READY=1 to NOTIFY_SOCKET, and can be
// told to misbehave: crash, never become ready, hang its health check,
// ignore SIGTERM, or leave grandchildren behind.
//
// Every request is answered with JSON naming the process: pid, the
// LISTEN_PID it was given, and its generation (-gen, or the GEN variable).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

func main() {
	var (
		portEnv    = flag.String("port-env", "", "listen on 127.0.0.1 and the port in this variable instead of inherited sockets")
		noReady    = flag.Bool("no-ready", false, "never send READY=1")
		readyDelay = flag.Duration("ready-delay", 0, "wait this long before READY=1")
		exitCode   = flag.Int("exit", -1, "exit at once with this status")
		crashAfter = flag.Duration("crash-after", 0, "exit with status 3 this long after starting")
		hangHealth = flag.Duration("hang-health-after", 0, "make /healthz hang this long after starting")
		ignoreTerm = flag.Bool("ignore-term", false, "ignore SIGTERM")
		grandchild = flag.Bool("grandchild", false, "start two sleeping grandchildren, one in a new session, and print their pids")
		lines      = flag.Int("lines", 0, "print this many numbered lines on stdout at start")
		drain      = flag.Duration("drain", 5*time.Second, "graceful shutdown limit on SIGTERM")
		slow       = flag.Duration("request-delay", 0, "take this long to answer each request to /")
	)
	flag.Parse()
	if *exitCode >= 0 {
		fmt.Fprintln(os.Stderr, "supervisorchild: exiting with", *exitCode)
		os.Exit(*exitCode)
	}
	for i := range *lines {
		fmt.Printf("line %06d of the application's output\n", i)
	}
	started := time.Now()
	// Whether the first socket came in non-blocking mode, before Go's
	// runtime sets it so: systemd passes blocking ones.
	var inheritedNonblock bool
	if os.Getenv("LISTEN_FDS") != "" {
		if fl, err := unix.FcntlInt(3, unix.F_GETFL, 0); err == nil {
			inheritedNonblock = fl&unix.O_NONBLOCK != 0
		}
	}
	listeners, err := listen(*portEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "supervisorchild:", err)
		os.Exit(2)
	}
	if *grandchild {
		spawnGrandchildren()
	}
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if *hangHealth > 0 && time.Since(started) > *hangHealth {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(*slow)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
			"pid":        os.Getpid(),
			"listen_pid": os.Getenv("LISTEN_PID"),
			"fdnames":    os.Getenv("LISTEN_FDNAMES"),
			"nonblock":   inheritedNonblock,
			"gen":        os.Getenv("GEN"),
			"served":     served.Load(),
		})
	})
	// The signals are taken before the first request is served: a client
	// that got an answer may stop the supervisor at once, and a SIGTERM
	// before signal.Notify would kill this process instead of stopping it.
	sigs := make(chan os.Signal, 1)
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	for _, l := range listeners {
		go srv.Serve(l) //nolint:errcheck
	}
	if !*noReady {
		time.Sleep(*readyDelay)
		if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady); !ok || err != nil {
			fmt.Fprintln(os.Stderr, "supervisorchild: READY=1 not sent:", ok, err)
		}
	}
	var crash <-chan time.Time
	if *crashAfter > 0 {
		crash = time.After(*crashAfter - time.Since(started))
	}
	select {
	case <-crash:
		fmt.Fprintln(os.Stderr, "supervisorchild: crashing")
		os.Exit(3)
	case <-sigs:
	}
	ctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	// Stop accepting first and give connections already accepted time to
	// send their request: net/http's Shutdown closes, unanswered, a
	// connection whose request it reads after shutdown began. The sockets
	// stay open in the supervisor, so nothing is refused meanwhile.
	for _, l := range listeners {
		l.Close()
	}
	time.Sleep(100 * time.Millisecond)
	srv.Shutdown(ctx) //nolint:errcheck
	fmt.Fprintln(os.Stderr, "supervisorchild: stopped gracefully")
}

func listen(portEnv string) ([]net.Listener, error) {
	if portEnv != "" {
		port := os.Getenv(portEnv)
		if port == "" {
			return nil, fmt.Errorf("%s is not set", portEnv)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	}
	pid, _ := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if pid != os.Getpid() {
		return nil, fmt.Errorf("LISTEN_PID=%q, but my pid is %d", os.Getenv("LISTEN_PID"), os.Getpid())
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("LISTEN_FDS=%q: want at least one socket", os.Getenv("LISTEN_FDS"))
	}
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	var out []net.Listener
	for i := range n {
		name := "fd"
		if i < len(names) {
			name = names[i]
		}
		f := os.NewFile(uintptr(3+i), name)
		l, err := net.FileListener(f)
		if err != nil {
			return nil, fmt.Errorf("fd %d: %w", 3+i, err)
		}
		f.Close()
		out = append(out, l)
	}
	return out, nil
}

func spawnGrandchildren() {
	same := exec.Command("sleep", "300")
	escaped := exec.Command("sleep", "301")
	escaped.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	for _, c := range []*exec.Cmd{same, escaped} {
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "supervisorchild:", err)
			os.Exit(2)
		}
		fmt.Printf("grandchild %d\n", c.Process.Pid)
		c.Process.Release() //nolint:errcheck
	}
}
