package output

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAllCreatesAndKeepsIdentical(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	files := []File{{Name: "a.conf", Content: []byte("a\n")}, {Name: "sub/b.conf", Content: []byte("b\n"), Mode: 0o600}}
	res, err := WriteAll(dir, files, false)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Unchanged || res[1].Unchanged {
		t.Errorf("new files reported unchanged: %+v", res)
	}
	st, err := os.Stat(filepath.Join(dir, "sub/b.conf"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode: %v %v", st, err)
	}
	res, err = WriteAll(dir, files, false)
	if err != nil || !res[0].Unchanged || !res[1].Unchanged {
		t.Errorf("identical rewrite: %+v %v", res, err)
	}
}

// A refusal leaves every file untouched, even those that could be written.
func TestWriteAllRefusesDifferentWithoutForce(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.conf"), []byte("hand-edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []File{{Name: "a.conf", Content: []byte("a\n")}, {Name: "b.conf", Content: []byte("b\n")}}
	_, err := WriteAll(dir, files, false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a.conf written despite the refusal")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "b.conf")); string(got) != "hand-edited\n" {
		t.Errorf("b.conf changed: %q", got)
	}
	if _, err := WriteAll(dir, files, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "b.conf")); string(got) != "b\n" {
		t.Errorf("force did not overwrite: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteFileFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "x.conf")
	if err := os.Mkdir(target, 0o755); err != nil { // a directory cannot be replaced by a file
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("x"), 0o644); err == nil {
		t.Fatal("rename over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}
