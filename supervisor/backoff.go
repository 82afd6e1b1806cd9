package supervisor

import (
	"math"
	"time"
)

// Backoff is the delay between restarts after failures: Initial after the
// first, multiplied by Factor after each further one, at most Max. A child
// that stays up for Reset clears the count. The zero value means 1s, ×2,
// at most 30s, reset after 60s.
type Backoff struct {
	Initial time.Duration
	Factor  float64
	Max     time.Duration
	Reset   time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Factor < 1 {
		b.Factor = 2
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Reset <= 0 {
		b.Reset = 60 * time.Second
	}
	return b
}

// Delay is the wait before the restart that follows the n-th consecutive
// failure (n ≥ 1): Initial × Factor^(n-1), capped at Max.
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	if n < 1 {
		n = 1
	}
	d := float64(b.Initial) * math.Pow(b.Factor, float64(n-1))
	if math.IsInf(d, 0) || math.IsNaN(d) || d > float64(b.Max) {
		return b.Max
	}
	return time.Duration(d)
}

// failWindow counts failed starts in the last minute.
type failWindow struct {
	limit int
	times []time.Time
}

// add records a failure at now and reports whether the limit is reached.
func (w *failWindow) add(now time.Time) bool {
	cut := now.Add(-time.Minute)
	kept := w.times[:0]
	for _, t := range w.times {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	w.times = append(kept, now)
	return w.limit > 0 && len(w.times) >= w.limit
}
