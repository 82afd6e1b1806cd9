package supervisor

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		name string
		b    Backoff
		n    int
		want time.Duration
	}{
		// The documented defaults: 1s, ×2, at most 30s.
		{"zero value starts at one second", Backoff{}, 1, time.Second},
		{"zero value doubles", Backoff{}, 3, 4 * time.Second},
		{"zero value caps at thirty seconds", Backoff{}, 10, 30 * time.Second},
		{"failure count below one is the first", Backoff{}, 0, time.Second},
		// Configured values.
		{"initial delay", Backoff{Initial: 50 * time.Millisecond, Factor: 2, Max: 400 * time.Millisecond}, 1, 50 * time.Millisecond},
		{"fourth failure", Backoff{Initial: 50 * time.Millisecond, Factor: 2, Max: 400 * time.Millisecond}, 4, 400 * time.Millisecond},
		{"past the cap", Backoff{Initial: 50 * time.Millisecond, Factor: 2, Max: 400 * time.Millisecond}, 5, 400 * time.Millisecond},
		{"factor one is constant", Backoff{Initial: time.Second, Factor: 1, Max: time.Minute}, 7, time.Second},
		{"huge count does not overflow", Backoff{Initial: time.Second, Factor: 10, Max: time.Hour}, 1000, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Delay(tt.n); got != tt.want {
				t.Errorf("Delay(%d) = %s, want %s", tt.n, got, tt.want)
			}
		})
	}
}

func TestFailWindowCountsTheLastMinuteOnly(t *testing.T) {
	w := failWindow{limit: 3}
	t0 := time.Unix(1000, 0)
	if w.add(t0) || w.add(t0.Add(10*time.Second)) {
		t.Fatal("limit reached after two failures")
	}
	if w.add(t0.Add(61 * time.Second)) {
		t.Error("a failure older than a minute was counted")
	}
	if !w.add(t0.Add(62 * time.Second)) {
		t.Error("three failures within a minute did not reach the limit")
	}
}
