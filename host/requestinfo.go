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
// virtual paths are). It returns the prefix as the request wrote it and a
// copy of u without it ("/" when nothing is left); ok is false, and u is
// left alone, when the path is not under base.
func stripPathBase(u *url.URL, base string) (matched string, rest *url.URL, ok bool) {
	p := u.Path
	if len(p) < len(base) || !strings.EqualFold(p[:len(base)], base) {
		return "", nil, false
	}
	if len(p) > len(base) && p[len(base)] != '/' {
		return "", nil, false
	}
	matched = p[:len(base)]
	out := *u
	out.Path = p[len(base):]
	if out.Path == "" {
		out.Path = "/"
	}
	out.RawPath = ""
	if u.RawPath != "" {
		// Keep the escaping the client chose for the rest of the path when
		// it can be cut at the same segment.
		segs := strings.Count(base, "/")
		raw := u.RawPath
		for range segs {
			i := strings.IndexByte(raw[1:], '/')
			if i < 0 {
				raw = ""
				break
			}
			raw = raw[1+i:]
		}
		if raw == "" {
			raw = "/"
		}
		if dec, err := url.PathUnescape(raw); err == nil && dec == out.Path {
			out.RawPath = raw
		}
	}
	return matched, &out, true
}
