package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// TestMeasureAndStop runs the harness's whole path once, as small as it
// goes: build hello, start it bare and through the host (access log on)
// on free ports, check both, warm up and measure one 1-second round of
// each — wrk on the bare one, h2load over HTTP/1.1 on the host — and stop
// everything; then nothing it started is left and its temporary directory
// is gone.
func TestMeasureAndStop(t *testing.T) {
	harness.RequireProgram(t, "wrk")
	h2load := harness.RequireProgram(t, "h2load")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var log strings.Builder
	b, err := newBench(settings{duration: time.Second, rounds: 1, connections: 4, threads: 1}, &log)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			b.close()
		}
	}()
	addr, err := b.startHello(ctx, "hello -bare", "-bare")
	if err != nil {
		t.Fatal(err)
	}
	hostAddr, err := b.startHello(ctx, "hello -access-log", "-access-log")
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{b.procs.list[0].pid(), b.procs.list[1].pid()}
	vs, err := b.wrkVariants(ctx, []string{"bare"}, []string{"http://" + addr + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkHello(ctx, "http://"+hostAddr+"/"); err != nil {
		t.Fatal(err)
	}
	vs = append(vs, variant{name: "host", run: b.h2loadRun(h2load, "http://"+hostAddr+"/", h2Variant{h1: true, streams: 1})})
	list, err := b.turnAbout(ctx, vs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if len(s.rounds) != 1 || s.RPS <= 0 || s.rounds[0].Requests <= 0 || s.P50 <= 0 || s.P99 < s.P50 {
			t.Errorf("%s: implausible measurement: %+v", s.name, s)
		}
		if s.SocketErrors() != 0 || s.Non2xx != 0 {
			t.Errorf("%s: hello on its own gave %d socket errors and %d non-2xx answers", s.name, s.SocketErrors(), s.Non2xx)
		}
	}
	if !strings.Contains(log.String(), "round 1/1") {
		t.Errorf("no progress logged:\n%s", log.String())
	}
	closed = true
	if err := b.close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if !groupGone(pid, 5*time.Second) {
			t.Errorf("hello's process group %d survived the end of the run", pid)
		}
	}
	if _, err := os.Stat(b.tmp); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s left behind (%v)", b.tmp, err)
	}
}

// hello refuses an access log without the host.
func TestHelloRejectsBareAccessLog(t *testing.T) {
	var log strings.Builder
	b, err := newBench(settings{duration: time.Second, rounds: 1, connections: 1, threads: 1}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	bin, err := b.build(context.Background(), "tests/bench/cmd/hello")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-bare", "-access-log").CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 || !strings.Contains(string(out), "-access-log needs the host") {
		t.Errorf("hello -bare -access-log: %v, %s; want exit status 2 and the reason", err, out)
	}
}

// A load generator is killed when the run is cancelled (Ctrl-C) instead of
// running out its duration.
func TestCancelStopsTheLoadGenerator(t *testing.T) {
	wrk := harness.RequireProgram(t, "wrk")
	l := harness.WebsocketEchoServer(t) // any HTTP server on loopback
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := runWrk(ctx, wrk, "http://"+l+"/", loadOptions{duration: 60 * time.Second, connections: 1, threads: 1})
	if err == nil {
		t.Fatal("a cancelled wrk reported a result")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("wrk ran %s after the cancel", el)
	}
}

// stopAll stops a program that ignores SIGTERM, and whatever it started.
func TestStopAllKillsStubbornGroups(t *testing.T) {
	sh := harness.RequireProgram(t, "sh")
	var ps procs
	p, err := ps.start("stubborn", exec.Command(sh, "-c", "trap '' TERM; sleep 60 & echo ready; wait"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.output(), "ready") {
		if time.Now().After(deadline) {
			t.Fatal("the shell did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.stop(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ps.stopAll()
	if !groupGone(p.pid(), 5*time.Second) {
		t.Errorf("process group %d survived", p.pid())
	}
}
