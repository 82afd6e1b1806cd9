package supervisor

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsPassLintAndFollowTheChild(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// No child: the process metrics are absent, not an error.
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("lint without a child: %v %v", problems, err)
	}
	m.started(os.Getpid(), time.Now())
	m.ready(true)
	m.setState(StateRunning)
	m.restart(ReasonSignal)
	problems, err = testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("lint with a child: %v %v", problems, err)
	}
	if n, err := testutil.GatherAndCount(reg, "apphost_supervisor_child_process_resident_memory_bytes"); err != nil || n != 1 {
		t.Errorf("child process metrics: %d, %v", n, err)
	}
	want := `
# HELP apphost_supervisor_child_up 1 while the application is running and ready, 0 otherwise.
# TYPE apphost_supervisor_child_up gauge
apphost_supervisor_child_up 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "apphost_supervisor_child_up"); err != nil {
		t.Error(err)
	}
	m.exited(os.Getpid(), 137) // killed by SIGKILL
	if v := testutil.ToFloat64(m.lastExit); v != 137 {
		t.Errorf("last exit code %v, want 137", v)
	}
	if n, _ := testutil.GatherAndCount(reg, "apphost_supervisor_child_process_resident_memory_bytes"); n != 0 {
		t.Error("process metrics still reported after the child exited")
	}
	if v := testutil.ToFloat64(m.state.WithLabelValues(StateRunning)); v != 1 {
		t.Errorf("state running = %v", v)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.setState(StateRunning)
	m.ready(true)
	m.restart(ReasonExit)
	m.orphan()
}
