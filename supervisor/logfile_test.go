package supervisor

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatingFile(t *testing.T) {
	line := strings.Repeat("x", 9) + "\n" // 10 bytes
	tests := []struct {
		name      string
		maxSize   int64
		maxFiles  int
		writes    []string
		wantSizes map[string]int64 // file suffix → size; absent files listed with -1
	}{
		{"fits: no rotation", 100, 2, []string{line, line}, map[string]int64{"": 20, ".1": -1}},
		{"one write over the limit is split at a line end", 25, 3, []string{line + line + line}, map[string]int64{"": 10, ".1": 20, ".2": -1}},
		{"old files beyond the count are dropped", 10, 2, []string{line, line, line, line}, map[string]int64{"": 10, ".1": 10, ".2": 10, ".3": -1}},
		{"no old files: truncated", 10, 0, []string{line, line, line}, map[string]int64{"": 10, ".1": -1}},
		{"a line longer than a file is split", 4, 1, []string{line}, map[string]int64{"": 2, ".1": 4, ".2": -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, path := openLog(t, tt.maxSize, tt.maxFiles)
			total := 0
			for _, w := range tt.writes {
				n, err := r.Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write = %d, %v", n, err)
				}
				total += n
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			for suffix, want := range tt.wantSizes {
				st, err := os.Stat(path + suffix)
				switch {
				case want < 0 && err == nil:
					t.Errorf("app.log%s exists", suffix)
				case want >= 0 && err != nil:
					t.Errorf("app.log%s: %v", suffix, err)
				case want >= 0 && st.Size() != want:
					t.Errorf("app.log%s is %d bytes, want %d", suffix, st.Size(), want)
				}
			}
		})
	}
}

func TestRotatingFileRejectsNonPositiveSize(t *testing.T) {
	_, err := OpenRotatingFile(filepath.Join(t.TempDir(), "a.log"), 0, 1)
	if err == nil || !strings.Contains(err.Error(), "a.log") {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

func ExampleRotatingFile() {
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	log, _ := OpenRotatingFile(filepath.Join(dir, "app.log"), 12, 1)
	for i := range 3 {
		fmt.Fprintf(log, "request %d\n", i)
	}
	log.Close()
	cur, _ := os.ReadFile(filepath.Join(dir, "app.log"))
	old, _ := os.ReadFile(filepath.Join(dir, "app.log.1"))
	fmt.Printf("app.log.1: %q\napp.log:   %q\n", old, cur)
	// Output:
	// app.log.1: "request 1\n"
	// app.log:   "request 2\n"
}

// A line written in pieces stays in one file: the rotation waits for its
// end.
func TestRotatingFileKeepsALineWrittenInPieces(t *testing.T) {
	r, path := openLog(t, 20, 2)
	// The second piece takes the file past its 20 bytes: it still goes
	// there, and the next line to a new file.
	for _, w := range []string{"0123456789012345", "6789\n", "next\n"} {
		if _, err := r.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	for suffix, want := range map[string]string{".1": "01234567890123456789\n", "": "next\n"} {
		got, err := os.ReadFile(path + suffix)
		if err != nil || string(got) != want {
			t.Errorf("app.log%s = %q, %v; want %q", suffix, got, err, want)
		}
	}
}

// A line continued past the end of a file goes there only up to one more
// maximum: the file never holds more than twice its size.
func TestRotatingFileBoundsAContinuedLine(t *testing.T) {
	r, path := openLog(t, 10, 1)
	for _, w := range []string{"abc", strings.Repeat("x", 100)} {
		if _, err := r.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	for _, name := range []string{path, path + ".1"} {
		if st, err := os.Stat(name); err == nil && st.Size() > 20 {
			t.Errorf("%s holds %d bytes, more than twice the maximum", name, st.Size())
		}
	}
}

// A file removed under the writer is created again at the next rotation,
// and every line after it is kept.
func TestRotatingFileGoesOnAfterTheFileIsRemoved(t *testing.T) {
	r, path := openLog(t, 40, 1)
	defer r.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range 10 {
		line := fmt.Sprintf("line %d\n", i)
		lines = append(lines, line)
		if _, err := r.Write([]byte(line)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	cur, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	if got := string(old) + string(cur); !strings.HasSuffix(strings.Join(lines, ""), got) || len(cur) == 0 {
		t.Errorf("after the removal: app.log.1 %q, app.log %q; want the latest of %q", old, cur, lines)
	}
}

// A rotation that cannot move the files leaves the writer writing on.
func TestRotatingFileWritesOnWhenRotationFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	r, err := OpenRotatingFile(path, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.Mkdir(path+".1", 0o755); err != nil { // a directory no rename can replace
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path+".1", "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if n, _ := r.Write([]byte("0123456789\n")); n != 11 {
			t.Fatalf("write %d: %d bytes written, want 11", i, n)
		}
	}
	if got, _ := os.ReadFile(path); len(got) != 33 {
		t.Errorf("app.log holds %d bytes, want all 33", len(got))
	}
}

// A failed rotation is reported once, tried again only once another
// maximum size has been written, and its recovery reported; a new failure
// after that is reported again.
func TestRotatingFileReportsAFailedRotationOnce(t *testing.T) {
	r, path := openLog(t, 10, 1)
	defer r.Close()
	var logged bytes.Buffer
	r.reportTo(slog.New(slog.NewTextHandler(&logged, nil)))
	// The old file's name taken by a directory that is not empty: no
	// removal or rename replaces it, even as root.
	block := func() {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(path+".1", "taken"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(lines int) {
		t.Helper()
		for range lines {
			if n, _ := r.Write([]byte("abcd\n")); n != 5 {
				t.Fatalf("%d bytes written, want 5", n)
			}
		}
	}
	count := func(msg string) int { return strings.Count(logged.String(), msg) }
	const failed, recovered = "the log file cannot be rotated", "the log file is rotated again"

	block()
	write(7) // the third line fails to rotate at 10 bytes; the tries at 20 and 30 fail too
	if count(failed) != 1 || count(recovered) != 0 {
		t.Fatalf("after failed rotations: want one report:\n%s", logged.String())
	}
	if got, _ := os.ReadFile(path); len(got) != 35 {
		t.Errorf("app.log holds %d bytes, want all 35", len(got))
	}
	// Unblocked, the rotation waits for the next maximum size (the file is
	// at 35 bytes, the next try past 40), not for the next write.
	if err := os.RemoveAll(path + ".1"); err != nil {
		t.Fatal(err)
	}
	write(1)
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Fatal("rotated at the first write after a failure, before another maximum size was written")
	}
	write(1)
	if got, _ := os.ReadFile(path + ".1"); len(got) != 40 {
		t.Errorf("app.log.1 holds %d bytes, want the 40 written before the rotation", len(got))
	}
	if count(recovered) != 1 {
		t.Errorf("the rotation after the failures was not reported:\n%s", logged.String())
	}
	// A failure after a success is reported again.
	if err := os.Remove(path + ".1"); err != nil {
		t.Fatal(err)
	}
	block()
	write(2)
	if count(failed) != 2 {
		t.Errorf("a failure after a success: want a second report:\n%s", logged.String())
	}
}

// Streams sharing a file, as an application's stdout and stderr do: each
// keeps its own lines whole across a rotation.
func TestRotatingFileKeepsEachStreamsLinesWhole(t *testing.T) {
	type write struct {
		stream int // 0 and 1: two streams from newStream
		text   string
	}
	tests := []struct {
		name     string
		maxSize  int64
		maxFiles int
		writes   []write
		want     map[string]string // file suffix → content; "-" for absent
	}{
		// The rotation waits for the end of a line a stream has begun,
		// while the other stream writes whole lines in between.
		{"a line begun before another stream's line ends in its file", 8, 2,
			[]write{{0, "abc"}, {1, "def\n"}, {0, "ghi\n"}, {1, "next\n"}},
			map[string]string{".2": "-", ".1": "abcdef\nghi\n", "": "next\n"}},
		{"another stream's lines past the limit wait with the rotation", 10, 2,
			[]write{{0, "abc"}, {1, "01234\n01234\n"}, {0, "def\n"}, {1, "x\n"}},
			map[string]string{".2": "-", ".1": "abc01234\n01234\ndef\n", "": "x\n"}},
		// The bound: a line never ended holds the rotation off up to one
		// more maximum, once; the next files rotate at their maximum.
		{"a line never ended holds one rotation only", 10, 3,
			[]write{{0, "abc"}, {1, "012345678\n"}, {1, "abcdefgh\n"}, {1, "ABCDEFGH\n"}, {1, "last\n"}},
			map[string]string{".3": "abc012345678\n", ".2": "abcdefgh\n", ".1": "ABCDEFGH\n", "": "last\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, path := openLog(t, tt.maxSize, tt.maxFiles)
			streams := []io.Writer{r.newStream(), r.newStream()}
			for _, w := range tt.writes {
				if _, err := streams[w.stream].Write([]byte(w.text)); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, path, tt.want)
		})
	}
}

// The application's stdout and stderr reach a rotating log file as two
// streams: a line stdout writes in pieces ends in the file it began in,
// though stderr wrote a line in between.
func TestLogFileTakesStdoutAndStderrAsTwoStreams(t *testing.T) {
	r, path := openLog(t, 8, 2)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o, err := Options{Command: []string{exe}, Stdout: io.Discard, Stderr: io.Discard, LogFile: r}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		to   io.Writer
		text string
	}{{o.Stdout, "abc"}, {o.Stderr, "def\n"}, {o.Stdout, "ghi\n"}, {o.Stderr, "next\n"}} {
		if _, err := w.to.Write([]byte(w.text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, path, map[string]string{".2": "-", ".1": "abcdef\nghi\n", "": "next\n"})
}

// checkFiles compares the log file path and its old files with want, by
// suffix; "-" means the file must not exist.
func checkFiles(t *testing.T, path string, want map[string]string) {
	t.Helper()
	for suffix, content := range want {
		got, err := os.ReadFile(path + suffix)
		switch {
		case content == "-" && err == nil:
			t.Errorf("app.log%s exists: %q", suffix, got)
		case content != "-" && (err != nil || string(got) != content):
			t.Errorf("app.log%s = %q, %v; want %q", suffix, got, err, content)
		}
	}
}

// openLog opens a rotating app.log in a new temporary directory.
func openLog(t *testing.T, maxSize int64, maxFiles int) (r *RotatingFile, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "app.log")
	r, err := OpenRotatingFile(path, maxSize, maxFiles)
	if err != nil {
		t.Fatal(err)
	}
	return r, path
}
