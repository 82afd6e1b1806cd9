package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// A server that exits or never listens makes waitListening fail with the
// reason and what the server printed, not hang.
func TestWaitListeningFails(t *testing.T) {
	var ps procs
	defer ps.stopAll()
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	exits, err := ps.start("exits", exec.Command("sh", "-c", "echo bad config; exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	err = exits.waitListening(context.Background(), addr, 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exits exited before listening on "+addr) || !strings.Contains(err.Error(), "bad config") {
		t.Errorf("a program that exited: %v", err)
	}
	sleeps, err := ps.start("sleeps", exec.Command("sh", "-c", "echo starting; exec sleep 60"))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(sleeps.output(), "starting") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	err = sleeps.waitListening(context.Background(), addr, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "sleeps: nothing listening on "+addr) || !strings.Contains(err.Error(), "starting") {
		t.Errorf("a program that never listens: %v", err)
	}
}
