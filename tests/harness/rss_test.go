package harness

import (
	"os"
	"strings"
	"testing"
)

func TestVmRSS(t *testing.T) {
	kib, err := VmRSS(strings.NewReader(Testdata(t, "proc-status.txt"))) // a real /proc/PID/status
	if err != nil {
		t.Fatal(err)
	}
	if kib <= 0 {
		t.Errorf("VmRSS = %d", kib)
	}
	if _, err := VmRSS(strings.NewReader("Name:\tx\nVmRSS:\t12\n")); err == nil {
		t.Error("a VmRSS without its unit parsed")
	}
	if _, err := VmRSS(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("a status without VmRSS parsed")
	}
}

func TestRSS(t *testing.T) {
	kib, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if kib <= 0 {
		t.Errorf("RSS of this process = %d KiB", kib)
	}
	if _, err := RSS(-1); err == nil {
		t.Error("RSS of pid -1: no error")
	}
}
