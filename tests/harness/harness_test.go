package harness

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestStartWaitAndStop(t *testing.T) {
	sh := RequireProgram(t, "sh")
	p := Start(t, sh, "-c", "echo started; exec sleep 30")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Output(), "started") {
		if time.Now().After(deadline) {
			t.Fatal("no output")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := p.Stop(5 * time.Second); err == nil {
		t.Error("a process killed by SIGTERM reported success")
	}
	if time.Since(start) > 4*time.Second {
		t.Error("SIGTERM did not stop the process group")
	}
}

func TestStopKillsAProcessIgnoringTERM(t *testing.T) {
	sh := RequireProgram(t, "sh")
	p := Start(t, sh, "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done")
	for !strings.Contains(p.Output(), "ready") {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	_ = p.Stop(300 * time.Millisecond)
	if el := time.Since(start); el < 300*time.Millisecond || el > 5*time.Second {
		t.Errorf("stop took %s", el)
	}
}

func TestWaitListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := WaitDial(l.Addr().String(), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := WaitDial(FreeAddr(t), 100*time.Millisecond); err == nil {
		t.Fatal("a free port was reported listening")
	}
	p := StartCmd(t, exec.Command("true"))
	if err := WaitDialContext(context.Background(), FreeAddr(t), 5*time.Second, p.Done()); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("want an exited error, got %v", err)
	}
}

// With Max set, LockedBuffer keeps exactly the first Max bytes.
func TestLockedBufferMax(t *testing.T) {
	b := &LockedBuffer{Max: 5}
	for _, s := range []string{"abc", "defg", "h"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "abcde" {
		t.Errorf("kept %q, want %q", got, "abcde")
	}
}

func TestParsePortRange(t *testing.T) {
	for in, want := range map[string][2]int{"32768\t60999\n": {32768, 60999}, "1 65535": {1, 65535}, "65535 65535": {65535, 65535}} {
		lo, hi, err := parsePortRange(in)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("parsePortRange(%q) = %d, %d, %v; want %d, %d", in, lo, hi, err, want[0], want[1])
		}
	}
	for _, in := range []string{"", "unknown", "32768", "60999 32768", "0 100", "-1 5", "1 70000", "a b", "1 2 3"} {
		if lo, hi, err := parsePortRange(in); err == nil {
			t.Errorf("parsePortRange(%q) = %d, %d, nil; want an error", in, lo, hi)
		}
	}
}
