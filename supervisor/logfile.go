package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
)

// RotatingFile is an append-only log file rotated by size: when a write
// would take it past MaxSize, path becomes path.1, path.1 becomes path.2,
// and so on, keeping MaxFiles old files (0 keeps none: the file is just
// truncated). A rotation that fails is tried again once another MaxSize
// has been written, not at every write. It is safe for concurrent use.
type RotatingFile struct {
	path     string
	maxSize  int64
	maxFiles int

	mu   sync.Mutex
	f    *os.File // nil after Close, or while the file cannot be opened
	size int64
	own  logStream // the stream Write writes
	// inLine are the streams whose last write ended inside a line: a
	// rotation waits while one of them is (see cut).
	inLine []*logStream
	closed bool
	// limit is the size at which the file is rotated: maxSize, or another
	// maxSize further after a rotation failed.
	limit   int64
	failing bool         // the last rotation failed
	log     *slog.Logger // where failed rotations are reported; nil: nowhere
}

var _ io.WriteCloser = (*RotatingFile)(nil)

// OpenRotatingFile opens (appending) or creates the log file.
func OpenRotatingFile(path string, maxSize int64, maxFiles int) (*RotatingFile, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("log file %s: maximum size must be positive, got %d", path, maxSize)
	}
	r := &RotatingFile{path: path, maxSize: maxSize, maxFiles: maxFiles, limit: maxSize}
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
// Given as Options.LogFile, the file also takes the application's stdout
// and stderr as two more streams that each keep their lines whole, and
// reports failed rotations to Options.Log.
func (r *RotatingFile) Write(p []byte) (int, error) {
	return r.writeStream(&r.own, p)
}

// logStream is one stream of output written to a RotatingFile.
type logStream struct{ file *RotatingFile }

// newStream returns a writer to the file for one more stream of output,
// whose lines are kept whole as Write's are: while another stream is
// inside a line, a stream's writes go to the same file (again up to one
// more maximum) instead of rotating it under that line. A line is
// therefore split only when it is longer than the maximum, or when the
// other streams write more than one maximum before it ends.
func (r *RotatingFile) newStream() io.Writer { return &logStream{file: r} }

// Write appends p to the file, as RotatingFile.Write does.
func (s *logStream) Write(p []byte) (int, error) { return s.file.writeStream(s, p) }

func (r *RotatingFile) writeStream(s *logStream, p []byte) (int, error) {
	r.mu.Lock()
	n, news, err := r.write(s, p)
	log := r.log
	r.mu.Unlock()
	news.report(log, r.path)
	return n, err
}

// setInLine records whether s's last write ended inside a line.
func (r *RotatingFile) setInLine(s *logStream, inLine bool) {
	i := slices.Index(r.inLine, s)
	switch {
	case inLine && i < 0:
		r.inLine = append(r.inLine, s)
	case !inLine && i >= 0:
		r.inLine = slices.Delete(r.inLine, i, i+1)
	}
}

// othersInLine reports whether a stream other than s is inside a line.
func (r *RotatingFile) othersInLine(s *logStream) bool {
	return slices.ContainsFunc(r.inLine, func(o *logStream) bool { return o != s })
}

// splitOthers forgets that streams other than s are inside a line, after a
// rotation split their lines: those no longer hold the next one off (a
// stream that never ends its line holds off one rotation only).
func (r *RotatingFile) splitOthers(s *logStream) {
	r.inLine = slices.DeleteFunc(r.inLine, func(o *logStream) bool { return o != s })
}

func (r *RotatingFile) write(s *logStream, p []byte) (int, rotationNews, error) {
	var news rotationNews
	if r.closed {
		return 0, news, os.ErrClosed
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, news, err
		}
	}
	written := 0
	var rotateErr error                       // once rotating failed, the rest goes to the file as it is
	continues := slices.Contains(r.inLine, s) // p continues a line the stream's last write began
	for len(p) > 0 {
		chunk := p
		if int64(len(p)) > r.limit-r.size && rotateErr == nil {
			cut := r.cut(p, continues, r.othersInLine(s))
			if cut == 0 {
				rotateErr = r.rotate()
				r.rotated(rotateErr, &news)
				if rotateErr == nil {
					r.splitOthers(s)
				}
				if r.f == nil {
					return written, news, rotateErr
				}
				continue
			}
			chunk = p[:cut]
		}
		n, err := r.f.Write(chunk)
		r.size += int64(n)
		written += n
		if n > 0 {
			r.setInLine(s, chunk[n-1] != '\n')
		}
		continues = false
		if err != nil {
			return written, news, errors.Join(rotateErr, err)
		}
		p = p[n:]
	}
	return written, news, rotateErr
}

// rotationNews is what a write has to report about rotating: the first
// failure after a success, or the first success after failures.
type rotationNews struct {
	failed    error
	recovered bool
}

// rotated records the outcome of a rotation, and in news what is to be
// reported. After a failure the next attempt waits until another maximum
// size has been written.
func (r *RotatingFile) rotated(err error, news *rotationNews) {
	if err != nil {
		r.limit = r.size + r.maxSize
		if !r.failing {
			news.failed = err
		}
	} else {
		r.limit = r.maxSize
		news.recovered = news.recovered || r.failing
	}
	r.failing = err != nil
}

func (n rotationNews) report(log *slog.Logger, path string) {
	if log == nil {
		return
	}
	if n.recovered {
		log.Info("the log file is rotated again", "path", path)
	}
	if n.failed != nil {
		log.Error("the log file cannot be rotated: writing on in the current one, trying again after each further maximum size", "path", path, "error", n.failed)
	}
}

// reportTo sets the logger that failed rotations are reported to.
func (r *RotatingFile) reportTo(log *slog.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = log
}

// cut is how much of p, which does not fit, goes to the current file; 0
// to rotate first. A line the same stream's earlier write began (continues)
// is finished there, up to one more maximum past the limit. While another
// stream is inside a line (othersInLine) the limit is that one more
// maximum: p goes there whole if it fits, else as far as it holds whole
// lines. Otherwise whole lines go there, or, at the start of a file, as
// much of a line longer than a file as fits.
func (r *RotatingFile) cut(p []byte, continues, othersInLine bool) int64 {
	most := r.limit + r.maxSize
	if continues && r.size < most {
		end := int64(bytes.IndexByte(p, '\n')) + 1
		if end == 0 {
			end = int64(len(p))
		}
		return min(end, most-r.size)
	}
	limit := r.limit
	if othersInLine {
		limit = most
	}
	room := limit - r.size
	if int64(len(p)) <= room {
		return int64(len(p))
	}
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
