package host

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// errGone is what net/http's FlushError returns once the client is gone.
var errGone = errors.New("client gone")

// goneWriter is a writer of the Flusher shape whose FlushError fails.
type goneWriter struct{ *httptest.ResponseRecorder }

func (goneWriter) FlushError() error { return errGone }

// The host's writers pass the error of the writer underneath on to
// http.ResponseController.Flush: the body limits' guard and an HTTP/2
// stream's send timeout.
func TestFlushErrorPassesThroughTheHostsWriters(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	guarded, _, _ := limitBody(goneWriter{httptest.NewRecorder()}, r, DefaultLimits(), nil)
	stream, s := limitStreamSend(goneWriter{httptest.NewRecorder()}, time.Minute)
	defer s.stop()
	for name, w := range map[string]http.ResponseWriter{"body guard": guarded, "stream": stream} {
		if err := http.NewResponseController(w).Flush(); !errors.Is(err, errGone) {
			t.Errorf("%s: Flush = %v, want %v", name, err, errGone)
		}
	}
}
