// Package output writes generated configuration files safely: each file
// is written to a temporary file in the same directory and renamed over
// the target, so a reader never sees half a file, and an existing file
// with different content is kept unless the caller forces it.
package output

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// File is one generated file: a name relative to the output directory and
// its content.
type File struct {
	Name    string
	Content []byte
	// Mode is the file's permission; 0 means 0644.
	Mode fs.FileMode
}

// ErrExists is wrapped by WriteAll when a file exists with other content
// and force is false.
var ErrExists = errors.New("exists with different content (use --force to overwrite)")

// Result says what WriteAll did with one file.
type Result struct {
	Path string
	// Unchanged is true when the file already held exactly this content.
	Unchanged bool
}

// WriteAll writes files under dir, creating dir if needed. It first checks
// every target, so that a refusal leaves all files untouched; then it
// writes each atomically. Identical existing files are left alone.
func WriteAll(dir string, files []File, force bool) ([]Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output directory: %w", err)
	}
	results := make([]Result, len(files))
	var refused []string
	for i, f := range files {
		p := filepath.Join(dir, f.Name)
		results[i].Path = p
		old, err := os.ReadFile(p)
		switch {
		case err == nil && bytes.Equal(old, f.Content):
			results[i].Unchanged = true
		case err == nil && !force:
			refused = append(refused, p)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		return nil, fmt.Errorf("%s: %w", refused[0], ErrExists)
	}
	for i, f := range files {
		if results[i].Unchanged {
			continue
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := WriteFile(results[i].Path, f.Content, mode); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// WriteFile writes one file atomically: a temporary file in the same
// directory, synced, then renamed over path.
func WriteFile(path string, content []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating directory for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(content); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
