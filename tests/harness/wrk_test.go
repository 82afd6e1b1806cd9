package harness

import (
	"strings"
	"testing"
	"time"
)

// The samples in testdata are real output of the programs on this
// project's machine (wrk 4.1.0, /proc/PID/status).

func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Wrk
	}{
		{"wrk.txt", Wrk{Requests: 88218, RPS: 44043.79, P50: 585 * time.Microsecond, P99: 4550 * time.Microsecond}},
		// httpd answering 403 with its default MPM: read errors and
		// non-2xx responses counted.
		{"wrk-errors.txt", Wrk{Requests: 114468, RPS: 37765.97, P50: 1190 * time.Microsecond, P99: 23680 * time.Microsecond, ReadErrs: 15, Non2xx: 114468}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseWrk(Testdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseWrkRejects(t *testing.T) {
	ok := Testdata(t, "wrk.txt")
	for name, out := range map[string]string{
		"no rate":         strings.Replace(ok, "Requests/sec:", "Requests:", 1),
		"no distribution": strings.Replace(ok, "Latency Distribution", "", 1),
		"bad latency":     strings.Replace(ok, "585.00us", "585.00zz", 1),
		"empty":           "",
	} {
		if _, err := ParseWrk(out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
