//go:build linux

package supervisor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
)

func TestListenHoldsTCPAndUnixSockets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	socks, err := Listen([]config.Address{"127.0.0.1:0", config.Address("unix:" + path)}, "shop", 0o660)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		// Connecting succeeds while nobody accepts: the backlog holds it.
		network, addr := "tcp", s.Addr
		if p, ok := strings.CutPrefix(s.Addr, "unix:"); ok {
			network, addr = "unix", p
		}
		c, err := net.Dial(network, addr)
		if err != nil {
			t.Errorf("%s: %v", s.Addr, err)
			continue
		}
		c.Close()
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o660 {
		t.Errorf("socket file: %v, mode %v", err, st.Mode().Perm())
	}
	if err := CloseSockets(socks); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}

func TestListenErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	live := filepath.Join(t.TempDir(), "live.sock")
	ul, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	tests := []struct {
		name  string
		addrs []config.Address
		sock  string
		want  string
	}{
		{"port in use", []config.Address{config.Address(busy.Addr().String())}, "app", busy.Addr().String()},
		{"unix socket someone listens on", []config.Address{config.Address("unix:" + live)}, "app", "another process is listening"},
		{"name with a colon", []config.Address{"127.0.0.1:0"}, "a:b", `"a:b"`},
		{"second address fails, first is released", []config.Address{"127.0.0.1:0", config.Address(busy.Addr().String())}, "app", busy.Addr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			socks, err := Listen(tt.addrs, tt.sock, 0o660)
			if err == nil {
				CloseSockets(socks)
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestChildEnvDropsServiceManagerVariablesAndOverrides(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "LISTEN_FDS=1", "WATCHDOG_USEC=1", ShimEnv + "=1", "HOME=/root", "A=old"}, []string{"A=b"})
	want := "PATH=/bin HOME=/root A=b"
	if strings.Join(got, " ") != want {
		t.Errorf("childEnv = %v, want %s", got, want)
	}
}

func TestOptionsRejectACommandThatCannotStart(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	tests := []struct {
		name   string
		o      Options
		option string // the field the *OptionError names
		want   string
	}{
		{"no command", Options{}, "Command", "no command"},
		{"not in PATH", Options{Command: []string{"no-such-program-anywhere"}}, "Command", "no-such-program-anywhere"},
		{"not executable", Options{Command: []string{notExec}}, "Command", "not an executable"},
		{"relative, not in the working directory", Options{Command: []string{"./sh"}, Dir: dir}, "Command", `"./sh"`},
		{"missing working directory", Options{Command: []string{"sh"}, Dir: filepath.Join(dir, "nope")}, "Dir", "working directory"},
		{"working directory is a file", Options{Command: []string{"sh"}, Dir: notExec}, "Dir", "is not a directory"},
		{"bad policy", Options{Command: []string{"sh"}, Restart: "sometimes"}, "Restart", "sometimes"},
		{"sockets and a port variable", Options{Command: []string{"sh"}, Sockets: []Socket{{Name: "app"}}, PortEnv: "PORT"}, "PortEnv", "exclusive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var oe *OptionError
			err := tt.o.Check()
			if !errors.As(err, &oe) || oe.Option != tt.option || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check() = %v, want an error about %s containing %q", err, tt.option, tt.want)
			}
			if _, err := tt.o.withDefaults(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("withDefaults: err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if err := (Options{Command: []string{"sh"}, Dir: dir}).Check(); err != nil {
		t.Errorf("Check() of a program in PATH and an existing directory = %v", err)
	}
}
