package host

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
)

// childEnv switches the test binary into a server process for the tests
// that need a real process: signals, socket activation.
const childEnv = "APPHOST_HOST_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// childMain runs the host with the test application. The listen address
// comes from APPHOST_HOST_TEST_LISTEN; the admin listener is on a free port.
// It prints "addr <public> <admin>" once serving starts and exits 0 after a
// graceful shutdown.
func childMain() int {
	listen := os.Getenv("APPHOST_HOST_TEST_LISTEN")
	opts := Options{
		AdminListen: "127.0.0.1:0",
		AccessLog:   io.Discard,
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	if listen != "" {
		opts.Listen = []string{listen}
	}
	s, err := New(testApp(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("addr %s %s\n", s.Addrs()[0], s.AdminAddr())
	if err := runServer(context.Background(), s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testApp is the application every test serves.
//
//	/         200 "hello"
//	/echo     200 with the number of body bytes read, or 500 on a read error;
//	          a child process first prints "echo reading body"
//	/panic    panics
//	/abort    sends part of a response, then panics with http.ErrAbortHandler
//	/proto    200 with r.Proto
//	/block    waits until the request's context ends; a child process
//	          first prints "block waiting"
//	/env      the socket-activation variables as the process sees them
func testApp() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv(childEnv) != "" {
			// The parent process waits for this line to know the request
			// is in the handler (see TestSIGTERMWhileBodyArrives).
			fmt.Println("echo reading body")
		}
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d", n)
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("test panic " + strings.Repeat("!", 3))
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv(childEnv) != "" {
			fmt.Println("block waiting")
		}
		<-r.Context().Done()
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "LISTEN_PID=%q LISTEN_FDS=%q LISTEN_FDNAMES=%q",
			os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"))
	})
	mux.HandleFunc("/proto", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	})
	return mux
}
