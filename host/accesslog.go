package host

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apphost/apphost/metrics"
)

// accessLog writes one line per request in the combined log format,
// Apache's `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`:
//
//	203.0.113.7 - - [30/Nov/2026:20:15:04 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl/8.5.0"
//
// The status and the body's size are what the metrics step outside
// recorded (see metrics.Response), so a body sent through io.ReaderFrom
// (http.ServeFile's sendfile(2)) counts with its real size and a body the
// host answered for (413, 408) with the host's status. Each line is one
// Write to out, made after the handler returns, also when it panics; out
// must take concurrent Writes (an *os.File does).
type accessLog struct {
	out  io.Writer
	next http.Handler
}

func (h *accessLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() {
		rec, _ := metrics.Response(w, r)
		buf := logLines.Get().(*[]byte)
		line := appendCombined((*buf)[:0], r, start, rec)
		h.out.Write(line)
		if cap(line) <= maxPooledLine {
			*buf = line
			logLines.Put(buf)
		}
	}()
	h.next.ServeHTTP(w, r)
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
	b = append(b, " - "...)
	user := ""
	if r.URL != nil && r.URL.User != nil {
		user = r.URL.User.Username()
	}
	b = appendEscaped(b, user, "-")
	b = append(b, " ["...)
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
	b = strconv.AppendInt(b, rec.Written, 10)
	b = append(b, ` "`...)
	b = appendEscaped(b, r.Header.Get("Referer"), "-")
	b = append(b, `" "`...)
	b = appendEscaped(b, r.Header.Get("User-Agent"), "-")
	return append(b, "\"\n"...)
}

// requestTarget is the request line's target as the client sent it (for
// HTTP/2, rebuilt from the pseudo-header fields: the authority for CONNECT).
func requestTarget(r *http.Request) string {
	switch {
	case r.ProtoMajor == 2 && r.Method == http.MethodConnect:
		return r.Host
	case r.RequestURI != "":
		return r.RequestURI
	case r.URL != nil:
		return r.URL.RequestURI()
	}
	return ""
}

// appendEscaped appends s, or empty when s is "", with what could break
// the line or its quoting escaped as Apache's mod_log_config does: `"` and
// `\` get a backslash, control characters and bytes that are not UTF-8
// become \xhh.
func appendEscaped(b []byte, s, empty string) []byte {
	if s == "" {
		return append(b, empty...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
				b = append(b, s[i:i+n]...)
				i += n
				continue
			}
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
	}
	return b
}

const hexDigits = "0123456789abcdef"
