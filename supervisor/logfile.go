package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// RotatingFile is an append-only log file rotated by size: when a write
// would take it past MaxSize, path becomes path.1, path.1 becomes path.2,
// and so on, keeping MaxFiles old files (0 keeps none: the file is just
// truncated). It is safe for concurrent use.
type RotatingFile struct {
	path     string
	maxSize  int64
	maxFiles int

	mu   sync.Mutex
	f    *os.File
	size int64
}

var _ io.WriteCloser = (*RotatingFile)(nil)

// OpenRotatingFile opens (appending) or creates the log file.
func OpenRotatingFile(path string, maxSize int64, maxFiles int) (*RotatingFile, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("log file %s: maximum size must be positive, got %d", path, maxSize)
	}
	r := &RotatingFile{path: path, maxSize: maxSize, maxFiles: maxFiles}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write appends p, rotating whenever the file would pass its maximum
// size. Lines are kept whole when they fit in a file; a line longer than
// the maximum is split.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	written := 0
	for len(p) > 0 {
		if r.f == nil {
			return written, os.ErrClosed
		}
		room := r.maxSize - r.size
		chunk := p
		if int64(len(p)) > room {
			cut := int64(bytes.LastIndexByte(p[:max(room, 0)], '\n')) + 1
			if cut == 0 && r.size == 0 {
				cut = room // a line longer than a whole file
			}
			if cut == 0 {
				if err := r.rotate(); err != nil {
					return written, err
				}
				continue
			}
			chunk = p[:cut]
		}
		n, err := r.f.Write(chunk)
		r.size += int64(n)
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
		if len(p) > 0 {
			if err := r.rotate(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("log file %s: %w", r.path, err)
	}
	r.f = nil
	if r.maxFiles <= 0 {
		if err := os.Truncate(r.path, 0); err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		return r.open()
	}
	if err := os.Remove(fmt.Sprintf("%s.%d", r.path, r.maxFiles)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("log file: %w", err)
	}
	for i := r.maxFiles - 1; i >= 1; i-- {
		err := os.Rename(fmt.Sprintf("%s.%d", r.path, i), fmt.Sprintf("%s.%d", r.path, i+1))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("log file: %w", err)
		}
	}
	if err := os.Rename(r.path, r.path+".1"); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	return r.open()
}

// Close closes the file.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// teeWriter writes to every writer and always reports success: a full disk
// under the log file must not block the application on a full pipe.
type teeWriter []io.Writer

func (t teeWriter) Write(p []byte) (int, error) {
	for _, w := range t {
		if w != nil {
			w.Write(p) //nolint:errcheck // see the type's comment
		}
	}
	return len(p), nil
}
