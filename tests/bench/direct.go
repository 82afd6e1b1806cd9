package main

import (
	"context"
	"fmt"
	"time"
)

// wrkVariant measures url with wrk.
func (b *bench) wrkVariant(name, url string) (variant, error) {
	wrk, err := program("wrk")
	if err != nil {
		return variant{}, err
	}
	return variant{name: name, run: func(ctx context.Context, d time.Duration) (result, error) {
		o := b.loadOptions()
		o.duration = d
		return runWrk(ctx, wrk, url, o)
	}}, nil
}

// wrkVariants checks that each url answers hello's greeting, then makes a
// wrk variant of it; names and urls are parallel.
func (b *bench) wrkVariants(ctx context.Context, names, urls []string) ([]variant, error) {
	var vs []variant
	for i, url := range urls {
		if err := checkHello(ctx, url); err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
		v, err := b.wrkVariant(names[i], url)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// wrkTable measures urls with wrk, turn about, and tabulates the rounds;
// names and urls are parallel.
func (b *bench) wrkTable(ctx context.Context, names, urls []string) ([]summary, report, error) {
	vs, err := b.wrkVariants(ctx, names, urls)
	if err != nil {
		return nil, report{}, err
	}
	list, err := b.turnAbout(ctx, vs)
	if err != nil {
		return nil, report{}, err
	}
	return list, loadTable(list), nil
}

// overhead compares hello on bare net/http with hello through the host,
// without and with the access log.
func (b *bench) overhead(ctx context.Context) (report, error) {
	names := []string{"bare net/http (hello -bare)", "host (hello -host)", "host + access log (hello -access-log)"}
	args := [][]string{{"-bare"}, {"-host"}, {"-access-log"}}
	var urls []string
	for i := range names {
		addr, err := b.startHello(ctx, names[i], args[i]...)
		if err != nil {
			return report{}, err
		}
		urls = append(urls, "http://"+addr+"/")
	}
	list, r, err := b.wrkTable(ctx, names, urls)
	if err != nil {
		return report{}, err
	}
	r.intro = []string{b.intro("wrk")}
	host := pairedRatio(list[1], list[0])
	r.notes = append(r.notes,
		target("host / bare", fmt.Sprintf("%.3f", host), "≥ 0.95", host >= 0.95),
		fmt.Sprintf("- host + access log / bare: %.2f (no target; the log goes to /dev/null through write(2))", pairedRatio(list[2], list[0])))
	return r, nil
}

// h2 compares HTTP/1.1 with prior-knowledge HTTP/2 cleartext against the
// host, with one client (h2load) for both.
func (b *bench) h2(ctx context.Context) (report, error) {
	h2load, err := program("h2load")
	if err != nil {
		return report{}, err
	}
	addr, err := b.startHello(ctx, "host (hello -host)", "-host")
	if err != nil {
		return report{}, err
	}
	url := "http://" + addr + "/"
	if err := checkHello(ctx, url); err != nil {
		return report{}, err
	}
	const streams = 10
	kinds := []struct {
		name string
		v    h2Variant
	}{
		{"HTTP/1.1 (h2load --h1 -m 1)", h2Variant{h1: true, streams: 1}},
		{"h2c prior knowledge, 1 stream per connection (-m 1)", h2Variant{streams: 1}},
		{fmt.Sprintf("h2c prior knowledge, %d streams per connection (-m %d)", streams, streams), h2Variant{streams: streams}},
	}
	var vs []variant
	for _, k := range kinds {
		vs = append(vs, variant{name: k.name, run: b.h2loadRun(h2load, url, k.v)})
	}
	list, err := b.turnAbout(ctx, vs)
	if err != nil {
		return report{}, err
	}
	r := loadTable(list)
	r.intro = []string{b.intro("h2load") + " h2load sends a fixed number of requests, sized from the variant's previous rate to last about -duration."}
	r.notes = append(r.notes, fmt.Sprintf("- h2c (1 stream) / HTTP/1.1: %.2f; h2c (%d streams) / HTTP/1.1: %.2f (no target)",
		pairedRatio(list[1], list[0]), streams, pairedRatio(list[2], list[0])))
	return r, nil
}

// h2loadRun returns a variant's measurement with h2load. h2load is
// bounded by a request count, not a duration: each run sends as many
// requests as the previous run's rate needed for d (the first one a fixed
// small number), and is killed if it takes far longer.
func (b *bench) h2loadRun(h2load, url string, v h2Variant) func(context.Context, time.Duration) (result, error) {
	var rate float64
	return func(ctx context.Context, d time.Duration) (result, error) {
		n := 200 * b.connections
		if rate > 0 {
			n = int(rate * d.Seconds())
		}
		n = min(max(n, b.connections*10, 1000), 5_000_000)
		r, err := runH2load(ctx, h2load, b.tmp, url, n, v, b.loadOptions(), 3*d+30*time.Second)
		if err == nil {
			rate = r.RPS
		}
		return r, err
	}
}
