package host

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSocketActivationServesEveryNamedSocket hands two listening sockets to
// the server process, named through LISTEN_FDNAMES as a systemd socket unit
// with FileDescriptorName= (or apphost supervise) names them: both are
// served, each is logged with its name, and nothing is bound from
// Options.Listen.
func TestSocketActivationServesEveryNamedSocket(t *testing.T) {
	var files []*os.File
	var addrs []string
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		f, err := l.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
		addrs = append(addrs, l.Addr().String())
	}

	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1", "APPHOST_HOST_TEST_LISTEN=127.0.0.1:0",
		"LISTEN_FDS=2", "LISTEN_FDNAMES=shop:shop-internal")
	cmd.ExtraFiles = files
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		io.Copy(io.Discard, r)
		exited <- cmd.Wait()
	}()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	select {
	case line := <-first:
		if !strings.HasPrefix(line, "addr "+addrs[0]+" ") {
			t.Fatalf("child serves %q, want the first inherited socket %s\n%s", line, addrs[0], stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("child did not start serving\n%s", stderr.String())
	}

	for _, a := range addrs {
		if status, body := get(t, http.DefaultClient, "http://"+a+"/"); status != 200 || body != "hello" {
			t.Errorf("inherited socket %s: %d %q", a, status, body)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child still running 10s after SIGTERM")
	}
	log := stderr.String()
	for i, name := range []string{"shop", "shop-internal"} {
		if want := `msg="using inherited socket" name=` + name + " addr=" + addrs[i]; !strings.Contains(log, want) {
			t.Errorf("log does not contain %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "msg=listening addr=127.0.0.1:0") {
		t.Errorf("Options.Listen was bound too:\n%s", log)
	}
}
