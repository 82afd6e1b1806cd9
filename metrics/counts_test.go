package metrics

import (
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The histograms put a value on a bucket's upper bound in that bucket, as
// Prometheus' le says, and past the last bound in +Inf; negative sizes
// count as 0.
func TestHistogramBuckets(t *testing.T) {
	l, err := newSeriesLayout(DurationBuckets, SizeBuckets)
	if err != nil {
		t.Fatal(err)
	}
	c := l.newCounts()
	observations := []struct {
		d                 time.Duration
		reqSize, respSize int64
		slot              int
	}{
		{5 * time.Millisecond, 64, 0, 0},                     // on the first bounds
		{5*time.Millisecond + 1, 65, 1, 1},                   // just past them
		{10 * time.Second, 16 << 20, 16 << 20, numSlots - 1}, // the last bounds
		{time.Minute, 16<<20 + 1, -1, 0},                     // +Inf; a negative size is 0
	}
	for _, o := range observations {
		l.observe(c, o.slot, o.d, o.reqSize, o.respSize)
	}
	d, req, resp := l.totals(c)
	for _, h := range []histogram{d, req, resp} {
		if h.count != uint64(len(observations)) {
			t.Fatalf("count %d, want %d", h.count, len(observations))
		}
	}
	for le, want := range map[float64]uint64{0.005: 1, 0.01: 2, 7.5: 2, 10: 3} {
		if got := d.buckets[le]; got != want {
			t.Errorf("duration le=%v: %d, want %d", le, got, want)
		}
	}
	for le, want := range map[float64]uint64{64: 1, 256: 2, 4194304: 2, 16777216: 3} {
		if got := req.buckets[le]; got != want {
			t.Errorf("request size le=%v: %d, want %d", le, got, want)
		}
	}
	if got := resp.buckets[64]; got != 3 {
		t.Errorf("response size le=64: %d, want 3 (0, 1 and the negative)", got)
	}
	if want := (5*time.Millisecond + 5*time.Millisecond + 1 + 10*time.Second + time.Minute).Seconds(); math.Abs(d.sum-want) > 1e-9 {
		t.Errorf("duration sum %v, want %v", d.sum, want)
	}
	if want := float64(64 + 65 + 16<<20 + 16<<20 + 1); req.sum != want {
		t.Errorf("request size sum %v, want %v", req.sum, want)
	}
	if want := float64(1 + 16<<20); resp.sum != want {
		t.Errorf("response size sum %v, want %v", resp.sum, want)
	}
}

// Requests counted from many goroutines at once while the registry is
// gathered (race-free under -race) are all counted, and every request
// leaves the active-requests gauge by the slot it entered it by: a gather
// never sees the gauge below zero.
func TestCountsUnderConcurrentScrapes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(Route(helloMux()))
	const goroutines, each = 8, 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	gathered := make(chan int)
	go func() {
		n := 0
		defer func() { gathered <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			families, err := reg.Gather()
			if err != nil {
				t.Error(err)
				return
			}
			n++
			for _, f := range families {
				for _, s := range f.GetMetric() {
					if g := s.GetGauge(); g != nil && g.GetValue() < 0 {
						t.Errorf("%s: %v", f.GetName(), g.GetValue())
						return
					}
				}
			}
		}
	}()
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/items/42", nil)
			w := &discardWriter{h: http.Header{}}
			for range each {
				h.ServeHTTP(w, r)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if n := <-gathered; n == 0 {
		t.Error("no gather ran while counting")
	}
	got := series(t, reg, "http_server_request_duration_seconds")[key("GET", "/items/{id}", "http", "200")].GetHistogram()
	if got.GetSampleCount() != goroutines*each {
		t.Errorf("counted %d requests, want %d", got.GetSampleCount(), goroutines*each)
	}
	resp := series(t, reg, "http_server_response_body_size_bytes")[key("GET", "/items/{id}", "http", "200")].GetHistogram()
	if want := float64(len(hello) * goroutines * each); resp.GetSampleSum() != want {
		t.Errorf("response size sum %v, want %v", resp.GetSampleSum(), want)
	}
	if v := m.counts.total(methodIndex("GET"), 0); v != 0 {
		t.Errorf("active requests after all ended: %d", v)
	}
}

func TestSlotsFor(t *testing.T) {
	for procs, want := range map[int]int{1: 2, 2: 4, 3: 8, 8: 16, 64: maxSlots} {
		if got := slotsFor(procs); got != want {
			t.Errorf("slotsFor(%d) = %d, want %d", procs, got, want)
		}
	}
	if numSlots&(numSlots-1) != 0 {
		t.Errorf("numSlots %d is not a power of two", numSlots)
	}
}

// Bounds are taken as Prometheus takes them: increasing, a final +Inf
// implied, and a value on a bound counted in its bucket even where the
// bound has no exact float form (0.075 s).
func TestSeriesLayoutBounds(t *testing.T) {
	l, err := newSeriesLayout([]float64{0.075, 0.1, math.Inf(+1)}, []float64{64.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.duration.upper; len(got) != 2 || got[0] != 75_000_000 || got[1] != 100_000_000 {
		t.Errorf("duration bounds %v", got)
	}
	if got := l.duration.bucket(int64(75 * time.Millisecond)); got != 0 {
		t.Errorf("75ms in bucket %d, want 0 (le=0.075)", got)
	}
	if got := l.size.upper; len(got) != 1 || got[0] != 64 {
		t.Errorf("size bounds %v, want [64]", got)
	}
	for _, bad := range [][]float64{{0.1, 0.05}, {0.1, 0.1}, {math.NaN()}, {math.Inf(-1), 1}, {1e300}} {
		if _, err := newSeriesLayout(bad, SizeBuckets); err == nil {
			t.Errorf("duration bounds %v accepted", bad)
		}
	}
}

// A series whose route is not valid UTF-8 fails alone: the other series
// and the active requests are still gathered.
func TestInvalidLabelSpoilsOnlyItsSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	get := methodIndex("GET")
	m.layout.observe(m.seriesOf(get, 0, 200, "GET /caf\xe9").counts, 0, time.Millisecond, 0, 0)
	m.layout.observe(m.seriesOf(get, 0, 200, "GET /ok").counts, 0, time.Millisecond, 0, 0)
	families, err := reg.Gather()
	if err == nil {
		t.Fatal("gathering a label that is not UTF-8 reported no error")
	}
	found := map[string]bool{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == LabelRoute && l.GetValue() == "/ok" {
					found[f.GetName()] = true
				}
			}
		}
		if f.GetName() == "http_server_active_requests" {
			found[f.GetName()] = len(f.GetMetric()) == (len(methods)+1)*len(schemes)
		}
	}
	for _, name := range []string{"http_server_request_duration_seconds", "http_server_request_body_size_bytes", "http_server_response_body_size_bytes", "http_server_active_requests"} {
		if !found[name] {
			t.Errorf("%s: the valid series is missing", name)
		}
	}
}
