package metrics

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Counting a request touches a handful of counters that every CPU adds
// to. Kept once, each such counter's cache line moves between the CPUs at
// nearly every request, and on a loaded server those moves are most of
// what counting costs. So the request metrics keep their counters in
// slots, one copy per slot, and a request counts in the slot of the token
// it holds while it runs, taken from slotTokens: a sync.Pool, which hands
// a CPU back the token it returned last, so that a CPU keeps to one slot
// (requests that overlap on a CPU make more tokens, dealt round the
// slots). A scrape adds the slots up. Which slot a request counts in only
// matters for speed.

// numSlots is a power of two, at least twice the CPUs the process may use
// when the package is loaded, and at most maxSlots.
var numSlots = slotsFor(runtime.GOMAXPROCS(0))

const maxSlots = 16

func slotsFor(procs int) int {
	n := 2
	for n < 2*procs && n < maxSlots {
		n *= 2
	}
	return n
}

type slotToken struct{ slot int }

var (
	nextSlot   atomic.Uint32
	slotTokens = sync.Pool{New: func() any {
		return &slotToken{slot: int(nextSlot.Add(1)-1) & (numSlots - 1)}
	}}
)

// takeSlot returns a token; give it back with slotTokens.Put.
func takeSlot() *slotToken { return slotTokens.Get().(*slotToken) }

// cacheLine is the unit counters are padded to, so that two slots never
// share a line.
const cacheLine = 64

const wordsPerLine = cacheLine / 8

// histogramBounds are one histogram's bucket upper bounds as integers (the
// duration's in nanoseconds, the sizes' in bytes), compared without
// converting each observation to float64.
type histogramBounds struct {
	upper  []int64   // inclusive, ascending
	labels []float64 // the same bounds as exported
}

// newBounds converts upper bounds in units (seconds: 1e9, bytes: 1) into
// integers of one unit each. As Prometheus, it takes the bounds in
// increasing order and a final +Inf as implied.
func newBounds(name string, bounds []float64, unit float64) (histogramBounds, error) {
	if n := len(bounds); n > 0 && math.IsInf(bounds[n-1], +1) {
		bounds = bounds[:n-1]
	}
	b := histogramBounds{labels: slices.Clone(bounds)}
	for i, v := range bounds {
		if math.IsNaN(v) || math.IsInf(v, 0) || i > 0 && v <= bounds[i-1] || math.Abs(v*unit) >= math.MaxInt64 {
			return histogramBounds{}, fmt.Errorf("metrics: %s bucket bounds must increase and be finite: %v", name, bounds)
		}
		u := int64(math.Round(v * unit))
		if float64(u)/unit > v {
			u-- // the largest whole unit at or below v
		}
		b.upper = append(b.upper, u)
	}
	return b, nil
}

// bucket returns the index of the bucket v falls in; len(upper) is +Inf.
func (b *histogramBounds) bucket(v int64) int {
	for i, u := range b.upper {
		if v <= u {
			return i
		}
	}
	return len(b.upper)
}

// seriesLayout places a request series' counters in a slot: the duration
// sum (float64 bits, seconds: a sum of whole nanoseconds would wrap after
// 585 years of handler time, which long-lived handlers such as websockets
// add up within weeks), the two size sums, then each histogram's buckets,
// +Inf last; count is the sum of the buckets. stride is the slot's length
// in words, whole cache lines.
type seriesLayout struct {
	duration, size histogramBounds
	reqBuckets     int // index of the request-size buckets
	respBuckets    int // index of the response-size buckets
	stride         int
}

const (
	durationSum = iota
	reqSizeSum
	respSizeSum
	durationBuckets
)

func newSeriesLayout(duration, size []float64) (*seriesLayout, error) {
	d, err := newBounds("duration", duration, float64(time.Second))
	if err != nil {
		return nil, err
	}
	s, err := newBounds("size", size, 1)
	if err != nil {
		return nil, err
	}
	l := &seriesLayout{duration: d, size: s}
	l.reqBuckets = durationBuckets + len(d.upper) + 1
	l.respBuckets = l.reqBuckets + len(s.upper) + 1
	words := l.respBuckets + len(s.upper) + 1
	l.stride = (words + wordsPerLine - 1) / wordsPerLine * wordsPerLine
	return l, nil
}

// seriesCounts are one request series' counters in every slot.
type seriesCounts []atomic.Uint64

// newCounts returns a series' counters, the first slot starting a cache
// line.
func (l *seriesLayout) newCounts() seriesCounts {
	n := l.stride * numSlots
	c := make(seriesCounts, n+wordsPerLine)
	skip := (cacheLine - int(uintptr(unsafe.Pointer(&c[0]))%cacheLine)) % cacheLine / 8
	return c[skip : skip+n : skip+n]
}

// observe counts one request in the slot.
func (l *seriesLayout) observe(c seriesCounts, slot int, d time.Duration, reqSize, respSize int64) {
	s := c[slot*l.stride : (slot+1)*l.stride]
	reqSize, respSize = max(reqSize, 0), max(respSize, 0)
	addFloat(&s[durationSum], d.Seconds())
	if reqSize > 0 { // most requests have no body: no atomic add of nothing
		s[reqSizeSum].Add(uint64(reqSize))
	}
	if respSize > 0 {
		s[respSizeSum].Add(uint64(respSize))
	}
	s[durationBuckets+l.duration.bucket(int64(d))].Add(1)
	s[l.reqBuckets+l.size.bucket(reqSize)].Add(1)
	s[l.respBuckets+l.size.bucket(respSize)].Add(1)
}

func addFloat(u *atomic.Uint64, v float64) {
	for {
		old := u.Load()
		if u.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// histogram is one histogram's totals over the slots, in the form
// prometheus.NewConstHistogram takes.
type histogram struct {
	count   uint64
	sum     float64
	buckets map[float64]uint64 // cumulative, by upper bound
}

// totals adds the slots up into the three histograms.
func (l *seriesLayout) totals(c seriesCounts) (duration, reqSize, respSize histogram) {
	sum := func(i int) (n uint64) {
		for slot := range numSlots {
			n += c[slot*l.stride+i].Load()
		}
		return n
	}
	hist := func(first int, b *histogramBounds) histogram {
		h := histogram{buckets: make(map[float64]uint64, len(b.labels))}
		for i, le := range b.labels {
			h.count += sum(first + i)
			h.buckets[le] = h.count
		}
		h.count += sum(first + len(b.labels))
		return h
	}
	duration = hist(durationBuckets, &l.duration)
	reqSize = hist(l.reqBuckets, &l.size)
	respSize = hist(l.respBuckets, &l.size)
	for slot := range numSlots {
		duration.sum += math.Float64frombits(c[slot*l.stride+durationSum].Load())
	}
	reqSize.sum, respSize.sum = float64(sum(reqSizeSum)), float64(sum(respSizeSum))
	return duration, reqSize, respSize
}

// activeCounts are the active-requests gauge's counts, by method and
// scheme, in every slot. A request leaves by the slot it entered, so that
// a scrape, reading the slots one after the other, never sees a request
// leave that it did not see enter.
type activeCounts struct {
	slots []activeSlot
}

type activeSlot struct {
	n [len(methods) + 1][len(schemes)]atomic.Int64
	_ [cacheLine - (len(methods)+1)*len(schemes)*8%cacheLine]byte
}

func newActiveCounts() *activeCounts { return &activeCounts{slots: make([]activeSlot, numSlots)} }

func (a *activeCounts) add(slot, method, scheme int, delta int64) {
	a.slots[slot].n[method][scheme].Add(delta)
}

func (a *activeCounts) total(method, scheme int) (n int64) {
	for i := range a.slots {
		n += a.slots[i].n[method][scheme].Load()
	}
	return n
}
