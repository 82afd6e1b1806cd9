package host

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/apphost/apphost/metrics"
)

// accessLog writes one line per request in the combined log format,
// Apache's `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`:
//
//	203.0.113.7 - - [30/Nov/2026:20:15:04 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl/8.5.0"
//
// %u is always "-": the host authenticates no one. The status and the
// body's size are what the metrics step outside recorded (see
// metrics.Response): a body the application sent through io.ReaderFrom
// (http.ServeFile's sendfile(2)) counts in full, a request whose body the
// host answered for (413, 408) has the host's status, and a HEAD request's
// body, which net/http does not send, counts 0 ("-", as %b writes it).
// Each line is one Write to out, made when the handler returns or panics;
// out must take concurrent Writes (an *os.File does).
type accessLog struct {
	out  io.Writer
	next http.Handler
}

func (h *accessLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() {
		rec, _ := metrics.Response(w) // the host's chain always has the metrics step
		writeAccessLine(h.out, r, start, rec)
	}()
	h.next.ServeHTTP(w, r)
}

// writeAccessLine writes r's line to out in one Write.
func writeAccessLine(out io.Writer, r *http.Request, start time.Time, rec metrics.Record) {
	buf := logLines.Get().(*[]byte)
	line := appendCombined((*buf)[:0], r, start, rec)
	out.Write(line)
	if cap(line) <= maxPooledLine {
		*buf = line
		logLines.Put(buf)
	}
}

// logLines recycles the lines' buffers; one longer than maxPooledLine (a
// long URL or User-Agent) is left to the collector.
var logLines = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

const maxPooledLine = 4 << 10

// appendCombined appends r's line to b.
func appendCombined(b []byte, r *http.Request, start time.Time, rec metrics.Record) []byte {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	b = appendEscaped(b, host, "-")
	b = append(b, " - - ["...)
	b = start.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, `] "`...)
	b = appendEscaped(b, r.Method, "")
	b = append(b, ' ')
	b = appendEscaped(b, requestTarget(r), "")
	b = append(b, ' ')
	b = appendEscaped(b, r.Proto, "")
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(rec.Status), 10)
	b = append(b, ' ')
	if rec.Written == 0 || r.Method == http.MethodHead {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, rec.Written, 10)
	}
	b = append(b, ` "`...)
	b = appendEscaped(b, r.Header.Get("Referer"), "-")
	b = append(b, `" "`...)
	b = appendEscaped(b, r.Header.Get("User-Agent"), "-")
	return append(b, "\"\n"...)
}

// requestTarget is the request line's target as the client sent it (for
// HTTP/2, as net/http rebuilt it from the pseudo-header fields).
func requestTarget(r *http.Request) string {
	if r.RequestURI == "" && r.URL != nil {
		return r.URL.RequestURI()
	}
	return r.RequestURI
}

// appendEscaped appends s, or empty when s is "", escaped as Apache's
// mod_log_config escapes what it logs, so that nothing a client sends can
// break the line or pass for other fields: `"` and `\` get a backslash,
// \b \n \r \t \v are written so, and every other byte outside printable
// ASCII (other control bytes, and every byte of a UTF-8 sequence) becomes
// \xhh.
func appendEscaped(b []byte, s, empty string) []byte {
	if s == "" {
		return append(b, empty...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20 && c < 0x7f:
			b = append(b, c)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\v':
			b = append(b, `\v`...)
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"
