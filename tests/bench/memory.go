package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// idleConnections is how many keep-alive connections the memory section
// holds open.
const idleConnections = 1000

// memory measures the resident size of `apphost serve` idle, then while
// it holds idleConnections keep-alive connections that each served one
// request.
func (b *bench) memory(ctx context.Context) (report, error) {
	if err := raiseFileLimit(idleConnections + 200); err != nil {
		return report{}, err
	}
	apphost, err := b.build(ctx, "cmd/apphost")
	if err != nil {
		return report{}, err
	}
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		return report{}, err
	}
	cmd := exec.Command(apphost, "serve", "--listen", addr, "--admin-listen", "off")
	cmd.Stdout = io.Discard // the access log
	p, err := b.procs.start("apphost serve", cmd)
	if err != nil {
		return report{}, err
	}
	if err := p.waitListening(ctx, addr, 15*time.Second); err != nil {
		return report{}, err
	}
	// One request first, so idle means "has served", as in production.
	conns, err := openIdle(ctx, addr, 1)
	closeAll(conns)
	if err != nil {
		return report{}, err
	}
	idle, err := settledRSS(ctx, p.pid())
	if err != nil {
		return report{}, err
	}
	fmt.Fprintf(b.log, "   opening %d keep-alive connections\n", idleConnections)
	conns, err = openIdle(ctx, addr, idleConnections)
	defer closeAll(conns)
	if err != nil {
		return report{}, err
	}
	held, err := settledRSS(ctx, p.pid())
	if err != nil {
		return report{}, err
	}
	r := report{
		intro: []string{fmt.Sprintf("VmRSS of `apphost serve --admin-listen off` (built-in diagnostic app) from /proc/PID/status, "+
			"a second after it settles: idle after one request, then holding %d idle keep-alive connections "+
			"(each served one GET and stays open; keep_alive_timeout is 130s).", idleConnections)},
		header: []string{"state", "VmRSS", "per connection"},
		rows: [][]string{
			{"idle", formatKiB(idle), ""},
			{fmt.Sprintf("%d idle keep-alive connections", idleConnections), formatKiB(held), fmt.Sprintf("%.1f KiB", float64(held-idle)/idleConnections)},
		},
	}
	return r, nil
}

// raiseFileLimit makes sure this process may open want descriptors,
// raising the soft limit up to the hard one.
func raiseFileLimit(want uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur >= want {
		return nil
	}
	if lim.Max < want {
		return fmt.Errorf("RLIMIT_NOFILE's hard limit is %d; holding %d connections needs %d (raise it with ulimit -Hn as root)", lim.Max, idleConnections, want)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", lim.Cur, err)
	}
	return nil
}

// openIdle opens n connections to addr, sends one GET on each and reads
// the answer, leaving them open and idle. The connections opened so far
// are returned even on error.
func openIdle(ctx context.Context, addr string, n int) ([]net.Conn, error) {
	var conns []net.Conn
	d := net.Dialer{Timeout: 5 * time.Second}
	for range n {
		if err := ctx.Err(); err != nil {
			return conns, err
		}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return conns, fmt.Errorf("connection %d: %w", len(conns)+1, err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+benchHost+"\r\n\r\n"); err != nil {
			return conns, fmt.Errorf("connection %d: %w", len(conns), err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return conns, fmt.Errorf("connection %d: %w", len(conns), err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
			return conns, fmt.Errorf("connection %d: %s, closed %t, %v; want 200 on a kept-alive connection", len(conns), resp.Status, resp.Close, err)
		}
		c.SetDeadline(time.Time{})
	}
	return conns, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// settledRSS waits a second, then reads VmRSS.
func settledRSS(ctx context.Context, pid int) (int64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(time.Second):
	}
	return harness.RSS(pid)
}

func formatKiB(kib int64) string {
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}
