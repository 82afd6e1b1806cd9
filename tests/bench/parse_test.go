package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// The samples in testdata are real output of the programs on this
// project's machine: h2load 1.52.0, go test -bench (wrk's are in tests/harness).

func TestWrkSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1s", 5 * time.Second: "5s", 1500 * time.Millisecond: "2s", 0: "1s",
	} {
		if got := wrkSeconds(d); got != want {
			t.Errorf("wrkSeconds(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestParseH2load(t *testing.T) {
	for _, tc := range []struct {
		file string
		want result
	}{
		{"h2load-h2c.txt", result{Requests: 20000, RPS: 25249.85}},
		{"h2load-h1.txt", result{Requests: 20000, RPS: 42759.89}},
	} {
		got, err := parseH2load(harness.Testdata(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.file, got, tc.want)
		}
	}
	broken := strings.Replace(harness.Testdata(t, "h2load-h1.txt"), "errored", "errd", 1)
	if _, err := parseH2load(broken); err == nil {
		t.Error("a report without its requests line parsed")
	}
	failed := strings.NewReplacer(
		"20000 succeeded, 0 failed, 0 errored, 0 timeout", "19990 succeeded, 10 failed, 7 errored, 3 timeout",
		"20000 2xx, 0 3xx, 0 4xx, 0 5xx", "19980 2xx, 0 3xx, 4 4xx, 6 5xx",
	).Replace(harness.Testdata(t, "h2load-h1.txt"))
	got, err := parseH2load(failed)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReadErrs != 7 || got.Timeouts != 3 || got.Non2xx != 10 {
		t.Errorf("errors: got %+v, want 7 read errors, 3 timeouts, 10 non-2xx", got)
	}
}

func TestH2loadLatencies(t *testing.T) {
	f, err := os.Open("testdata/h2load-log.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p50, p99, err := h2loadLatencies(f)
	if err != nil {
		t.Fatal(err)
	}
	// The first 50 lines of a real log, sorted: the 25th and 50th values.
	if p50 != 6444*time.Microsecond || p99 != 6477*time.Microsecond {
		t.Errorf("got p50 %s, p99 %s", p50, p99)
	}
	for name, log := range map[string]string{
		"two columns":    "1796052499540207\t200\n",
		"not a number":   "1796052499540207\t200\tfast\n",
		"none completed": "1796052499540207\t-1\t100\n",
		"empty":          "",
	} {
		if _, _, err := h2loadLatencies(strings.NewReader(log)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPercentileAndMedian(t *testing.T) {
	us := []int64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	if got := percentile(us, 50); got != 5*time.Microsecond {
		t.Errorf("p50 = %s", got)
	}
	if got := percentile(us, 99); got != 10*time.Microsecond {
		t.Errorf("p99 = %s", got)
	}
	if us[0] != 5 {
		t.Error("percentile sorted its argument in place")
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3 = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median of 4 = %v", got)
	}
	if got := median([]time.Duration(nil)); got != 0 {
		t.Errorf("median of none = %v", got)
	}
}

func TestSummarize(t *testing.T) {
	s := summarize("x", []result{
		{RPS: 100, P50: 3, P99: 30, ReadErrs: 1},
		{RPS: 300, P50: 1, P99: 10, Non2xx: 2},
		{RPS: 200, P50: 2, P99: 20, ConnectErrs: 1, Timeouts: 1},
	})
	if s.RPS != 200 || s.P50 != 2 || s.P99 != 20 {
		t.Errorf("medians: %+v", s)
	}
	if s.SocketErrors() != 3 || s.Non2xx != 2 {
		t.Errorf("errors are summed over the rounds: %d socket errors, %d non-2xx", s.SocketErrors(), s.Non2xx)
	}
	if s.spread() != 1 {
		t.Errorf("spread = %v, want (300-100)/200", s.spread())
	}
	if got := formatSocketErrors(s); got != "3 (connect 1, read 1, timeout 1)" {
		t.Errorf("formatSocketErrors = %q", got)
	}
}

func TestParseGoBench(t *testing.T) {
	list, err := parseGoBench(harness.Testdata(t, "gobench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 30 {
		t.Fatalf("got %d results, want 30 (15 benchmarks, -count 2)", len(list))
	}
	if list[0].name != "BenchmarkForwarded/one-hop/core" || list[0].n != 2000 || list[0].metrics["ns/op"] != 148.8 {
		t.Errorf("first result: %+v", list[0])
	}
	m := medians(list)
	if len(m) != 15 {
		t.Fatalf("got %d medians, want 15", len(m))
	}
	byName := map[string]goBench{}
	for _, g := range m {
		byName[g.name] = g
	}
	if got := byName["BenchmarkForwarded/one-hop/handler"].metrics["ns/op"]; got != (3428+1025)/2.0 {
		t.Errorf("median ns/op of the handler: %v", got)
	}
	if got := byName["BenchmarkTurnAbout/rfc7239"].metrics["handler/gorilla"]; got != (10.41+10.11)/2 {
		t.Errorf("median custom metric: %v", got)
	}

	r := forwardedTable(m)
	if len(r.rows) != 12 {
		t.Fatalf("got %d rows, want 12", len(r.rows))
	}
	// one-hop/realclientip: 343.9 ns/op median; core 176.7; ratio 0.51.
	want := []string{"one-hop", "core", "177", "0", "0", "0.51", "0.76"}
	if strings.Join(r.rows[0], "|") != strings.Join(want, "|") {
		t.Errorf("first row %q, want %q", r.rows[0], want)
	}
	if r.rows[1][5] != "" {
		t.Errorf("realclientip is compared with nothing, got ratio %q", r.rows[1][5])
	}

	if _, err := parseGoBench("PASS\nok\n"); err == nil {
		t.Error("output without results parsed")
	}
	if _, err := parseGoBench("BenchmarkX-2   10   5 ns/op 3\n"); err == nil {
		t.Error("a line with an odd metric list parsed")
	}
}

func TestParseFlags(t *testing.T) {
	s, err := parseFlags([]string{"-only", "nginx, memory", "-duration", "2s"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.only, ",") != "nginx,memory" || s.duration != 2*time.Second || s.rounds != 15 {
		t.Errorf("got %+v", s)
	}
	for _, args := range [][]string{
		{"-only", "nginx,iis"},
		{"-only", ","},
		{"-duration", "1500ms"},
		{"-duration", "0s"},
		{"-rounds", "0"},
		{"-connections", "0"},
		{"-threads", "0"},
		{"extra"},
	} {
		_, err := parseFlags(args, &strings.Builder{})
		if err == nil {
			t.Errorf("%q: no error", args)
		} else if !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%q: the error does not name %s: %v", args, args[0], err)
		}
	}
	var help strings.Builder
	if _, err := parseFlags([]string{"-help"}, &help); err == nil {
		t.Error("-help returned no error")
	}
	for _, want := range []string{"-duration", "-rounds", "-connections", "-threads", "-only", "overhead", "memory", "make bench"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-help does not mention %s", want)
		}
	}
}

func TestReportWrite(t *testing.T) {
	var b strings.Builder
	report{intro: []string{"intro"}, header: []string{"a", "bb"}, rows: [][]string{{"long name", "1"}}, notes: []string{"- note"}}.write(&b)
	want := "intro\n\n| a         | bb |\n| --------- | -: |\n| long name |  1 |\n\n- note\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPairedRatio(t *testing.T) {
	base := summary{rounds: []result{{RPS: 100}, {RPS: 50}, {RPS: 200}}}
	// Pairs 0.6, 0.4, 0.45: median 0.45, where the medians' ratio would
	// be 60/100.
	s := summary{rounds: []result{{RPS: 60}, {RPS: 20}, {RPS: 90}}}
	if got := pairedRatio(s, base); got != 0.45 {
		t.Errorf("pairedRatio = %v, want 0.45", got)
	}
}

func TestDescribePorts(t *testing.T) {
	for _, tc := range []struct {
		reuse, delay, want string
	}{
		{"2", "1000", "32768-60999 (ip_local_port_range, 28232 ports); tcp_tw_reuse 2; tcp_tw_reuse_delay 1000 ms"},
		{"2", "", "32768-60999 (ip_local_port_range, 28232 ports); tcp_tw_reuse 2"},
		{"", "1000", "32768-60999 (ip_local_port_range, 28232 ports); tcp_tw_reuse_delay 1000 ms"},
		{"", "", "32768-60999 (ip_local_port_range, 28232 ports)"},
	} {
		if got := describePorts(32768, 60999, tc.reuse, tc.delay); got != tc.want {
			t.Errorf("describePorts(reuse %q, delay %q) = %q, want %q", tc.reuse, tc.delay, got, tc.want)
		}
	}
}

func TestRecipeNote(t *testing.T) {
	got := recipeNote(13950.4, 28232)
	for _, want := range []string{": 13950 per second, 49 % of the 28232-port ephemeral range each second", "no target"} {
		if !strings.Contains(got, want) {
			t.Errorf("recipeNote = %q, want it to contain %q", got, want)
		}
	}
}
