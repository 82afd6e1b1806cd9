package host

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// The request headers of the ASP.NET Core Module's protocol.
const (
	headerIISToken      = "Ms-Aspnetcore-Token"
	headerIISEvent      = "Ms-Aspnetcore-Event"
	headerIISClientCert = "Ms-Aspnetcore-Clientcert"
	iisShutdownPath     = "/iisintegration"
	iisShutdownEvent    = "shutdown"
)

// iisHandler is IIS mode's step of the request path: the pairing-token
// check, the application's path base, the shutdown event and the client
// certificate, in that order.
type iisHandler struct {
	mode   *iisMode
	logger *slog.Logger
	next   http.Handler
}

func (h *iisHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.mode
	if m.Token != "" && !h.tokenMatches(r) {
		h.reject(w, r)
		return
	}
	out := r.Clone(r.Context())
	out.Header.Del(headerIISToken)
	if m.PathBase != "" {
		if base, u, ok := stripPathBase(r.URL, m.PathBase); ok {
			out.URL = u
			out = out.WithContext(withPathBase(out.Context(), base))
		}
	}
	if m.Token != "" && isShutdownEvent(out) {
		h.logger.Info("IIS sent the shutdown event; shutting down gracefully", "module", m.Module, "remote", r.RemoteAddr)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
		m.requestShutdown()
		return
	}
	if vals := out.Header[headerIISClientCert]; len(vals) > 0 {
		if m.Token == "" {
			// Without the pairing token nothing proves the header came
			// from ANCM (which replaces a client's copy): HttpPlatformHandler
			// passes a client's header through unchanged.
			out.Header.Del(headerIISClientCert)
		} else if cert, err := parseClientCert(vals); err != nil {
			h.logger.Warn("IIS client certificate ignored", "header", "MS-ASPNETCORE-CLIENTCERT", "error", err, "remote", r.RemoteAddr)
		} else {
			out = out.WithContext(withClientCert(out.Context(), cert))
		}
	}
	h.next.ServeHTTP(w, out)
}

// tokenMatches compares the request's MS-ASPNETCORE-TOKEN with the pairing
// token in constant time. A missing header or more than one fails.
func (h *iisHandler) tokenMatches(r *http.Request) bool {
	got := r.Header[headerIISToken]
	if len(got) != 1 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got[0]), []byte(h.mode.Token)) == 1
}

// reject answers a request without the right pairing token: it did not
// come through IIS. The token itself is never logged.
func (h *iisHandler) reject(w http.ResponseWriter, r *http.Request) {
	reason := "wrong"
	switch n := len(r.Header[headerIISToken]); {
	case n == 0:
		reason = "missing"
	case n > 1:
		reason = "repeated"
	}
	h.logger.Warn("request rejected: the IIS pairing token (MS-ASPNETCORE-TOKEN) is "+reason,
		"status", http.StatusBadRequest, "remote", r.RemoteAddr, "method", r.Method, "uri", r.RequestURI)
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
	http.Error(w, "400 Bad Request", http.StatusBadRequest)
}

// isShutdownEvent reports whether r is ANCM's shutdown request: POST to
// /iisintegration below the path base with MS-ASPNETCORE-EVENT: shutdown.
// The path and the event name compare case-insensitively, as ASP.NET Core
// compares them.
func isShutdownEvent(r *http.Request) bool {
	return r.Method == http.MethodPost &&
		strings.EqualFold(r.URL.Path, iisShutdownPath) &&
		strings.EqualFold(strings.TrimSpace(r.Header.Get(headerIISEvent)), iisShutdownEvent)
}

// parseClientCert decodes MS-ASPNETCORE-CLIENTCERT: one base64 DER
// certificate.
func parseClientCert(vals []string) (*x509.Certificate, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("%d header fields, one expected", len(vals))
	}
	v := strings.TrimSpace(vals[0])
	der, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		if der, err = base64.RawStdEncoding.DecodeString(v); err != nil {
			return nil, fmt.Errorf("not base64: %w", err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("not a DER certificate: %w", err)
	}
	return cert, nil
}
