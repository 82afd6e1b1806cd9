package supervisor

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// States the supervisor reports in apphost_supervisor_state.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StateBackoff  = "backoff"
	StateStopping = "stopping"
	StateOffline  = "offline"
	StateStopped  = "stopped"
)

var states = []string{StateStarting, StateRunning, StateBackoff, StateStopping, StateOffline, StateStopped}

// Reasons a child is restarted, the values of the reason label.
const (
	ReasonExit           = "exit"            // exited with a status
	ReasonSignal         = "signal"          // killed by a signal
	ReasonStartupTimeout = "startup_timeout" // not ready within the startup timeout
	ReasonLiveness       = "liveness"        // failed the health probe
	ReasonReload         = "reload"          // replaced on SIGHUP
	ReasonOffline        = "offline"         // stopped for app_offline.htm, started after
)

var reasons = []string{ReasonExit, ReasonSignal, ReasonStartupTimeout, ReasonLiveness, ReasonReload, ReasonOffline}

// Metrics are the supervisor's Prometheus metrics. Create them with
// NewMetrics on a registry of your own; a nil *Metrics records nothing.
type Metrics struct {
	up        prometheus.Gauge
	restarts  *prometheus.CounterVec
	lastExit  prometheus.Gauge
	startTime prometheus.Gauge
	state     *prometheus.GaugeVec
	orphans   prometheus.Counter
	pid       atomic.Int64
}

// NewMetrics registers the supervisor's metrics, named
// apphost_supervisor_*, and the application's process metrics
// (apphost_supervisor_child_process_*, read from /proc for the current
// child's pid) on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "apphost_supervisor_child_up",
			Help: "1 while the application is running and ready, 0 otherwise.",
		}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apphost_supervisor_restarts_total",
			Help: "Restarts of the application, by reason: exit, signal, startup_timeout, liveness, reload, offline.",
		}, []string{"reason"}),
		lastExit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "apphost_supervisor_child_last_exit_code",
			Help: "Exit status of the application's last run; 128+N when killed by signal N.",
		}),
		startTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "apphost_supervisor_child_start_time_seconds",
			Help: "Unix time the running application was started.",
		}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apphost_supervisor_state",
			Help: "1 for the supervisor's current state: starting, running, backoff, stopping, offline or stopped.",
		}, []string{"state"}),
		orphans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "apphost_supervisor_orphans_reaped_total",
			Help: "Orphaned descendants of the application reaped by the supervisor.",
		}),
	}
	for _, r := range reasons {
		m.restarts.WithLabelValues(r)
	}
	for _, s := range states {
		m.state.WithLabelValues(s)
	}
	proc := collectors.NewProcessCollector(collectors.ProcessCollectorOpts{
		Namespace: "apphost_supervisor_child",
		PidFn:     func() (int, error) { return int(m.pid.Load()), nil },
	})
	for _, c := range []prometheus.Collector{m.up, m.restarts, m.lastExit, m.startTime, m.state, m.orphans, &whileRunning{m: m, c: proc}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.setState(StateStarting)
	return m, nil
}

// whileRunning collects the process metrics only while a child exists, so
// a scrape between two runs is not an error.
type whileRunning struct {
	m *Metrics
	c prometheus.Collector
}

func (w *whileRunning) Describe(ch chan<- *prometheus.Desc) { w.c.Describe(ch) }
func (w *whileRunning) Collect(ch chan<- prometheus.Metric) {
	if w.m.pid.Load() > 0 {
		w.c.Collect(ch)
	}
}

func (m *Metrics) setState(s string) {
	if m == nil {
		return
	}
	for _, x := range states {
		v := 0.0
		if x == s {
			v = 1
		}
		m.state.WithLabelValues(x).Set(v)
	}
}

func (m *Metrics) started(pid int, at time.Time) {
	if m == nil {
		return
	}
	m.pid.Store(int64(pid))
	m.startTime.Set(float64(at.UnixNano()) / 1e9)
}

func (m *Metrics) ready(up bool) {
	if m == nil {
		return
	}
	if up {
		m.up.Set(1)
	} else {
		m.up.Set(0)
	}
}

// exited records a child's end; code is its exit status, or 128+N after
// signal N, as shells report it.
func (m *Metrics) exited(pid, code int) {
	if m == nil {
		return
	}
	m.pid.CompareAndSwap(int64(pid), 0)
	m.lastExit.Set(float64(code))
}

func (m *Metrics) restart(reason string) {
	if m == nil {
		return
	}
	m.restarts.WithLabelValues(reason).Inc()
}

func (m *Metrics) orphan() {
	if m == nil {
		return
	}
	m.orphans.Inc()
}
