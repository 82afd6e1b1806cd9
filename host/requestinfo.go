package host

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
)

// What the host established about a request, kept in its context behind
// the getters below.
type (
	pathBaseKey   struct{}
	clientCertKey struct{}
)

// PathBase returns the prefix the application is mounted under, as the
// host stripped it from the request's path ("/shop" when IIS forwards
// /shop/cart and the handler sees /cart), or "" when nothing was stripped.
// The prefix is written as the request wrote it: IIS matches virtual paths
// case-insensitively.
func PathBase(ctx context.Context) string {
	s, _ := ctx.Value(pathBaseKey{}).(string)
	return s
}

func withPathBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, pathBaseKey{}, PathBase(ctx)+base)
}

// ClientCertificate returns the certificate the client presented: the one
// the ASP.NET Core Module forwarded in MS-ASPNETCORE-CLIENTCERT (IIS mode
// with a pairing token), else the first of r.TLS's peer certificates when
// the request came over TLS. ok is false when there is none.
func ClientCertificate(r *http.Request) (cert *x509.Certificate, ok bool) {
	if c, _ := r.Context().Value(clientCertKey{}).(*x509.Certificate); c != nil {
		return c, true
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates[0], true
	}
	return nil, false
}

func withClientCert(ctx context.Context, cert *x509.Certificate) context.Context {
	return context.WithValue(ctx, clientCertKey{}, cert)
}

// stripPathBase removes base from the start of u's path when the path
// starts with it at a segment boundary, compared case-insensitively (IIS
// virtual paths are). Segments are those of the path as the client wrote
// it: an encoded slash (%2F) does not end one, as in ASP.NET Core. It
// returns the prefix as the request wrote it (decoded) and a copy of u
// without it ("/" when nothing is left), keeping the client's escaping of
// the rest; ok is false, and u is left alone, when the path is not under
// base.
func stripPathBase(u *url.URL, base string) (matched string, rest *url.URL, ok bool) {
	escaped := u.EscapedPath()
	at := 0 // where the matched part of escaped ends
	for _, want := range strings.Split(strings.TrimPrefix(base, "/"), "/") {
		if at >= len(escaped) || escaped[at] != '/' {
			return "", nil, false
		}
		seg := escaped[at+1:]
		if i := strings.IndexByte(seg, '/'); i >= 0 {
			seg = seg[:i]
		}
		dec, err := url.PathUnescape(seg)
		if err != nil || !strings.EqualFold(dec, want) {
			return "", nil, false
		}
		at += 1 + len(seg)
	}
	matched, err := url.PathUnescape(escaped[:at])
	if err != nil {
		return "", nil, false
	}
	out := *u
	raw := escaped[at:]
	if raw == "" {
		raw = "/"
	}
	if out.Path, err = url.PathUnescape(raw); err != nil {
		return "", nil, false
	}
	out.RawPath = ""
	if out.EscapedPath() != raw {
		out.RawPath = raw // the client's escaping, where the default differs
	}
	return matched, &out, true
}
