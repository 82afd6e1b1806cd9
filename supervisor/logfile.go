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

	mu      sync.Mutex
	f       *os.File // nil after Close, or while the file cannot be opened
	size    int64
	midLine bool // the file ends inside a line: the next write continues it
	closed  bool
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
// size. Lines are kept whole when they fit in a file, also across writes:
// the rest of a line a previous write began goes to the same file, which
// may pass its maximum by that much (up to one more maximum). A line longer
// than the maximum is split. A file that cannot be rotated is written on,
// and a file that cannot be opened is opened again at the next write.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	written := 0
	var rotateErr error    // once rotating failed, the rest goes to the file as it is
	continues := r.midLine // the file ends in a line an earlier write began
	for len(p) > 0 {
		chunk := p
		if int64(len(p)) > r.maxSize-r.size && rotateErr == nil {
			cut := r.cut(p, continues)
			if cut == 0 {
				rotateErr = r.rotate()
				if r.f == nil {
					return written, rotateErr
				}
				continue
			}
			chunk = p[:cut]
		}
		n, err := r.f.Write(chunk)
		r.size += int64(n)
		written += n
		if n > 0 {
			r.midLine = chunk[n-1] != '\n'
		}
		continues = false
		if err != nil {
			return written, errors.Join(rotateErr, err)
		}
		p = p[n:]
	}
	return written, rotateErr
}

// cut is how much of p, which does not fit, goes to the current file; 0
// to rotate first. A line an earlier write began is finished there (up to
// one more maximum); otherwise whole lines go there, or, at the start of a
// file, as much of a line longer than a file as fits.
func (r *RotatingFile) cut(p []byte, continues bool) int64 {
	if continues && r.size < 2*r.maxSize {
		end := int64(bytes.IndexByte(p, '\n')) + 1
		if end == 0 {
			end = int64(len(p))
		}
		return min(end, 2*r.maxSize-r.size)
	}
	room := r.maxSize - r.size
	end := int64(bytes.LastIndexByte(p[:max(room, 0)], '\n')) + 1
	if end == 0 && r.size == 0 {
		return room
	}
	return end
}

// rotate moves the files along and opens a new one. When a move fails,
// the current file is opened again and written on; the error is returned
// once.
func (r *RotatingFile) rotate() error {
	err := r.f.Close()
	r.f = nil
	if err == nil {
		err = r.shift()
	}
	if oerr := r.open(); oerr != nil {
		return errors.Join(err, oerr)
	}
	if err != nil {
		return fmt.Errorf("log file %s: rotating: %w", r.path, err)
	}
	return nil
}

// shift empties path: it becomes path.1, path.1 becomes path.2, and so on;
// with no old files kept it is truncated.
func (r *RotatingFile) shift() error {
	if r.maxFiles <= 0 {
		return ignoreMissing(os.Truncate(r.path, 0))
	}
	if err := ignoreMissing(os.Remove(fmt.Sprintf("%s.%d", r.path, r.maxFiles))); err != nil {
		return err
	}
	for i := r.maxFiles - 1; i >= 1; i-- {
		if err := ignoreMissing(os.Rename(fmt.Sprintf("%s.%d", r.path, i), fmt.Sprintf("%s.%d", r.path, i+1))); err != nil {
			return err
		}
	}
	return ignoreMissing(os.Rename(r.path, r.path+".1")) // a removed file needs no move
}

func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Close closes the file.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
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
