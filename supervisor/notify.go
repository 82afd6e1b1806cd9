//go:build linux

package supervisor

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// notifySocket receives the sd_notify datagrams of one child. Each child
// gets its own socket, so a READY=1 always belongs to the child it names,
// even while an old and a new child run side by side during a reload.
type notifySocket struct {
	path  string
	conn  *net.UnixConn
	ready chan struct{}
	once  sync.Once
	log   *slog.Logger
	done  chan struct{}
}

func listenNotify(dir string, gen int, log *slog.Logger) (*notifySocket, error) {
	path := filepath.Join(dir, fmt.Sprintf("notify-%d.sock", gen))
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket %s: %w", path, err)
	}
	n := &notifySocket{path: path, conn: conn, ready: make(chan struct{}), log: log, done: make(chan struct{})}
	go n.serve()
	return n, nil
}

func (n *notifySocket) serve() {
	defer close(n.done)
	buf := make([]byte, 4096)
	for {
		k, err := n.conn.Read(buf)
		if err != nil {
			return
		}
		for key, val := range parseNotify(buf[:k]) {
			switch key {
			case "READY":
				if val == "1" {
					n.once.Do(func() { close(n.ready) })
				}
			case "STATUS":
				n.log.Info("application status", "status", val)
			}
		}
	}
}

func (n *notifySocket) close() {
	n.conn.Close()
	<-n.done
	os.Remove(n.path)
}

// parseNotify splits an sd_notify datagram into its KEY=value lines. Lines
// without '=' and empty keys are ignored, as systemd does; a later
// assignment of a key wins.
func parseNotify(msg []byte) map[string]string {
	out := map[string]string{}
	for _, line := range bytes.Split(msg, []byte("\n")) {
		k, v, ok := strings.Cut(string(line), "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		out[k] = v
	}
	return out
}
