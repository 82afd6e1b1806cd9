package forwarded

import (
	"context"
	"net/http"
	"sync/atomic"
)

// Middleware applies forwarding headers from trusted proxies. Create it
// with New; it is safe for concurrent use.
type Middleware struct {
	cfg          config
	untrusted    atomic.Uint64
	malformed    atomic.Uint64
	hostRejected atomic.Uint64
}

// New validates opts once and returns the middleware. A bad value is an
// error naming it, so a misconfiguration stops start-up instead of
// surfacing while serving.
func New(opts Options) (*Middleware, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	return &Middleware{cfg: cfg}, nil
}

// Stats are the middleware's counters since it was created.
type Stats struct {
	// UntrustedWithHeaders counts requests from peers that are not trusted
	// proxies but carried forwarding headers, which were removed. A steady
	// rise means clients reach the application around its proxy, or a proxy
	// is missing from the trusted list.
	UntrustedWithHeaders uint64
	// Malformed counts entries and values from trusted peers that did not
	// parse or validate (an address, scheme, host, prefix or RFC 7239
	// element); each stopped the walk or was not applied.
	Malformed uint64
	// HostsRejected counts well-formed forwarded hosts outside AllowedHosts.
	HostsRejected uint64
}

// Stats returns the counters; safe to call while serving.
func (m *Middleware) Stats() Stats {
	return Stats{
		UntrustedWithHeaders: m.untrusted.Load(),
		Malformed:            m.malformed.Load(),
		HostsRejected:        m.hostRejected.Load(),
	}
}

type ctxKey struct{}

// resultContext carries a Result; one allocation instead of a
// context.WithValue node plus the Result it points to.
type resultContext struct {
	context.Context
	res Result
}

func (c *resultContext) Value(key any) any {
	if key == (ctxKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// FromContext returns what the middleware established for the request
// whose context this is. ok is false when the middleware did not run.
func FromContext(ctx context.Context) (Result, bool) {
	c, ok := ctx.Value(ctxKey{}).(*resultContext)
	if !ok {
		return Result{}, false
	}
	return c.res, true
}

// Handler returns next wrapped by the middleware. next receives a shallow
// clone of the request: RemoteAddr is the client ("ip:port", port 0 when
// unknown), Host the forwarded host, URL.Scheme the forwarded scheme (set
// only when a scheme was forwarded; r.TLS is left alone), and the headers
// with consumed entries removed and the values they replaced kept in
// X-Original-For, -Proto, -Host and -Prefix. The caller's request, its URL
// and its headers are not modified.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := &resultContext{Context: r.Context(), res: m.Resolve(r.Header, PeerOf(r))}
		res := &ctx.res
		res.Peer = r.RemoteAddr
		if res.seen&forwardingSet != 0 && !res.trusted {
			m.untrusted.Add(1)
		}
		if res.malformed > 0 {
			m.malformed.Add(uint64(res.malformed))
		}
		if res.hostRejected {
			m.hostRejected.Add(1)
		}
		origScheme := "http"
		if r.TLS != nil {
			origScheme = "https"
		}
		out := r.WithContext(ctx)
		if h := m.rewriteHeaders(r, res, origScheme); h != nil {
			out.Header = h
		}
		if res.forApplied {
			out.RemoteAddr = res.Client.String()
		}
		if res.Scheme != "" {
			u := *r.URL
			u.Scheme = res.Scheme
			out.URL = &u
		} else {
			res.Scheme = origScheme
		}
		if res.Host != "" {
			out.Host = res.Host
		} else {
			res.Host = r.Host
		}
		next.ServeHTTP(w, out)
	})
}

// rewriteHeaders returns the headers to pass on, or nil when they are
// unchanged.
func (m *Middleware) rewriteHeaders(r *http.Request, res *Result, origScheme string) http.Header {
	if m.cfg.family == None {
		return nil
	}
	h0 := r.Header
	seen := res.seen
	if res.trusted {
		seen = scanHeaders(h0)
	}
	drop := forwardingSet // from an untrusted peer, every forwarding header goes
	if res.trusted {
		drop = hasForwarded // the family not read
		if m.cfg.family == Forwarded {
			drop = xForwardedSet
		}
		if res.consumed > 0 {
			drop |= xForwardedSet | hasForwarded // consumed entries go
		}
	}
	if seen&(drop|hasOriginal) == 0 {
		return nil
	}
	h := h0.Clone()
	for _, name := range originalHeaders() {
		delete(h, name)
	}
	if !res.trusted {
		for _, name := range forwardingHeaders() {
			delete(h, name)
		}
		return h
	}
	if m.cfg.family == Forwarded {
		for _, name := range [...]string{hdrXFF, hdrXFProto, hdrXFHost, hdrXFPrefix} {
			delete(h, name)
		}
		setOrDelete(h, hdrForwarded, dropRight(h0[hdrForwarded], res.consumed, true))
	} else {
		delete(h, hdrForwarded)
		for _, name := range [...]string{hdrXFF, hdrXFProto, hdrXFHost, hdrXFPrefix} {
			if _, ok := h0[name]; ok && res.consumed > 0 {
				setOrDelete(h, name, dropRight(h0[name], res.consumed, false))
			}
		}
	}
	// The values the forwarded ones replaced, as ASP.NET Core keeps them;
	// one backing array for the four header values.
	var orig [4]string
	set := func(i int, name, v string) {
		orig[i] = v
		h[name] = orig[i : i+1 : i+1]
	}
	if res.forApplied {
		if res.PeerUnix {
			set(0, hdrOrigFor, "unix")
		} else {
			set(0, hdrOrigFor, r.RemoteAddr)
		}
	}
	if res.Scheme != "" {
		set(1, hdrOrigProto, origScheme)
	}
	if res.Host != "" {
		set(2, hdrOrigHost, r.Host)
	}
	if res.PathBase != "" {
		set(3, hdrOrigPrefix, "") // the path base before: none
	}
	return h
}

func setOrDelete(h http.Header, name string, v []string) {
	if v == nil {
		delete(h, name)
		return
	}
	h[name] = v
}
