package forwarded

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"sync/atomic"
	"unsafe"
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

// resultKey finds a request's result: the resultContext Handler made for
// it, or, for a request passed on as it was, the connection's connContext.
type resultKey struct{}

// resultContext carries a Result, packed so that the object Handler
// allocates per request stays small: Scheme is always "http" or "https"
// once Handler has settled it, and the bookkeeping Handler alone needs is
// left out. One allocation instead of a context.WithValue node plus the
// Result it points to.
type resultContext struct {
	context.Context
	client               netip.AddrPort
	host, pathBase, peer string
	flags                resultFlags
}

type resultFlags uint8

const (
	flagHTTPS resultFlags = 1 << iota
	flagPeerUnix
	flagApplied
	flagTrusted
	flagForApplied
)

func flagIf(b bool, f resultFlags) resultFlags {
	if b {
		return f
	}
	return 0
}

// set packs res, whose Scheme is "http" or "https".
func (c *resultContext) set(res *Result) {
	c.client, c.host, c.pathBase, c.peer = res.Client, res.Host, res.PathBase, res.Peer
	c.flags = flagIf(res.Scheme == "https", flagHTTPS) | flagIf(res.PeerUnix, flagPeerUnix) |
		flagIf(res.Applied, flagApplied) | flagIf(res.trusted, flagTrusted) | flagIf(res.forApplied, flagForApplied)
}

func (c *resultContext) scheme() string {
	if c.flags&flagHTTPS != 0 {
		return "https"
	}
	return "http"
}

func (c *resultContext) result() Result {
	return Result{
		Client: c.client, Scheme: c.scheme(), Host: c.host, PathBase: c.pathBase, Peer: c.peer,
		PeerUnix: c.flags&flagPeerUnix != 0, Applied: c.flags&flagApplied != 0,
		trusted: c.flags&flagTrusted != 0, forApplied: c.flags&flagForApplied != 0,
	}
}

func (c *resultContext) Value(key any) any {
	if _, ok := key.(resultKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// FromRequest returns what the middleware established for r: the request
// it passed on, or one made from it with the same context (http.StripPrefix
// makes such copies). ok is false when the middleware did not run.
//
// A request the middleware passed on as it was, having nothing to apply or
// remove (see Handler), carries no result of its own. FromRequest works
// the answer out when it is called, from the connection's record and the
// request as it is then: its Host and its connection's scheme. So the
// answer follows what a later step changes in place: a RemoteAddr or
// forwarding header set on the request after the middleware makes ok
// false, as the middleware would not have passed such a request on as it
// was. And on a connection where the middleware passed a request on as it
// was, a request that did not go through it (a route the middleware does
// not wrap) gets the answer the middleware would have given it. With
// several middlewares on one server, the answer is the last one's to pass
// a request of the connection on.
func FromRequest(r *http.Request) (Result, bool) {
	switch c := r.Context().Value(resultKey{}).(type) {
	case *resultContext:
		return c.result(), true
	case *connContext:
		m := c.passedBy.Load()
		if m == nil || c.remote != r.RemoteAddr || m.cfg.family != None && scanHeaders(r.Header) != 0 {
			return Result{}, false
		}
		return m.unapplied(r, c.peer), true
	}
	return Result{}, false
}

// unapplied is the result for r when nothing is applied: the peer is the
// client, and the scheme and host are the request's own.
func (m *Middleware) unapplied(r *http.Request, peer Peer) Result {
	return Result{
		Client: peer.Addr, Scheme: schemeOf(r), Host: r.Host, Peer: r.RemoteAddr, PeerUnix: peer.Unix,
		trusted: m.cfg.family != None && m.cfg.trust.trusts(peer),
	}
}

// Scheme returns the scheme the middleware established for r, "http" or
// "https": the one a trusted proxy forwarded, else that of r's own
// connection, as FromRequest's Result.Scheme. Without the middleware it is
// that of r's connection. Unlike the request line's (an absolute-form
// target sets r.URL.Scheme), no client can choose it.
func Scheme(r *http.Request) string {
	if c, ok := r.Context().Value(resultKey{}).(*resultContext); ok {
		return c.scheme()
	}
	return schemeOf(r)
}

// schemeOf is the scheme of r's own connection.
func schemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// Handler returns next wrapped by the middleware. When there is anything
// to apply or remove, next receives a shallow clone of the request:
// RemoteAddr is the client ("ip:port", port 0 when
// unknown), Host the forwarded host, URL.Scheme the forwarded scheme (set
// only when a scheme was forwarded; r.TLS is left alone), and the headers
// with consumed entries removed and the values they replaced kept in
// X-Original-For, -Proto, -Host and -Prefix. The caller's request, its URL
// and its headers are not modified.
//
// A request that carries none of the headers the middleware reads or
// removes has nothing to change. When the server records its connections
// with ConnContext, such a request is passed on as it is, at no
// allocation; otherwise it costs one, the clone and its context value
// being one object.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return &handler{m: m, next: next}
}

type handler struct {
	m    *Middleware
	next http.Handler
}

// passed is the request handed on with its context, allocated as one
// object. Request.WithContext, inlined, copies into req without an
// allocation of its own.
type passed struct {
	req http.Request
	ctx resultContext
}

// rewritten is passed plus the storage a rewrite needs, so that applying
// forwarded values allocates this and the new header map only.
type rewritten struct {
	passed
	url  url.URL
	addr [len("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")]byte
	vals [16]string // backing for the header values; more spill to the heap
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	var seen headerSet
	if m.cfg.family != None {
		seen = scanHeaders(r.Header)
	}
	conn := connOf(r)
	if seen == 0 && conn != nil {
		// Nothing to apply and nothing to remove, and FromRequest can
		// answer from the connection's record.
		if conn.passedBy.Load() != m {
			conn.passedBy.Store(m)
		}
		h.next.ServeHTTP(w, r)
		return
	}
	var peer Peer
	if conn != nil {
		peer = conn.peer
	} else {
		peer = PeerOf(r)
	}
	origScheme := schemeOf(r)
	if seen == 0 {
		// Nothing to apply and nothing to remove, but the result must
		// travel with the request.
		p := &passed{ctx: resultContext{Context: r.Context()}}
		res := m.unapplied(r, peer)
		p.ctx.set(&res)
		p.req = *r.WithContext(&p.ctx)
		h.next.ServeHTTP(w, &p.req)
		return
	}

	rw := &rewritten{}
	rw.ctx.Context = r.Context()
	res := m.resolve(r.Header, peer, &seen)
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
	rw.req = *r.WithContext(&rw.ctx)
	out := &rw.req
	if hdr := m.rewriteHeaders(r, &res, seen, origScheme, rw.vals[:0]); hdr != nil {
		out.Header = hdr
	}
	if res.forApplied {
		// The text is formatted into rw.addr and the string points at it,
		// where String would allocate a copy. This is sound because nothing
		// writes rw.addr again, and the string keeps rw alive.
		b := res.Client.AppendTo(rw.addr[:0])
		out.RemoteAddr = unsafe.String(unsafe.SliceData(b), len(b))
	}
	if res.Scheme != "" {
		rw.url = *r.URL
		rw.url.Scheme = res.Scheme
		out.URL = &rw.url
	} else {
		res.Scheme = origScheme
	}
	if res.Host != "" {
		out.Host = res.Host
	} else {
		res.Host = r.Host
	}
	rw.ctx.set(&res)
	h.next.ServeHTTP(w, out)
}

// rewriteHeaders returns the headers to pass on, or nil when they are
// unchanged; seen is what the request carries. The new map's values are
// copied into vals (and past its capacity, into a new array), so that
// nothing done to them reaches the caller's headers.
func (m *Middleware) rewriteHeaders(r *http.Request, res *Result, seen headerSet, origScheme string, vals []string) http.Header {
	if m.cfg.family == None {
		return nil
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
	// The entries are collected first so that the map is made with its
	// final size: Go allocates a map of up to eight entries as one group,
	// and a larger hint costs a table.
	type entry struct {
		name string
		v    []string
	}
	var buf [24]entry
	kept := buf[:0]
	// add appends v to vals and returns it as a slice of its own, capped
	// so that an append by a handler further down copies.
	add := func(v ...string) []string {
		n := len(vals)
		vals = append(vals, v...)
		return vals[n:len(vals):len(vals)]
	}
	for name, v := range r.Header {
		bit := headerBit(name)
		switch {
		case bit == 0:
		case bit == hasOriginal:
			continue // written by the middleware only
		case !res.trusted:
			continue // every forwarding header goes
		case bit == hasOther:
		case (bit == hasForwarded) != (m.cfg.family == Forwarded):
			continue // the family not read
		case bit == hasForwarded || res.consumed > 0:
			// The consumed entries of the family read go (Forwarded's
			// elements are split as RFC 7239 says).
			var ok bool
			n := len(vals)
			if vals, ok = appendDropRight(vals, v, res.consumed, bit == hasForwarded); ok {
				kept = append(kept, entry{name, vals[n:len(vals):len(vals)]})
			}
			continue
		}
		if v == nil {
			kept = append(kept, entry{name, nil}) // as Header.Clone keeps it
			continue
		}
		kept = append(kept, entry{name, add(v...)})
	}
	if res.trusted {
		// The values the forwarded ones replaced, as ASP.NET Core keeps them.
		if res.forApplied {
			if res.PeerUnix {
				kept = append(kept, entry{hdrOrigFor, add("unix")})
			} else {
				kept = append(kept, entry{hdrOrigFor, add(r.RemoteAddr)})
			}
		}
		if res.Scheme != "" {
			kept = append(kept, entry{hdrOrigProto, add(origScheme)})
		}
		if res.Host != "" {
			kept = append(kept, entry{hdrOrigHost, add(r.Host)})
		}
		if res.PathBase != "" {
			kept = append(kept, entry{hdrOrigPrefix, add("")}) // the path base before: none
		}
	}
	h := make(http.Header, len(kept))
	for _, e := range kept {
		h[e.name] = e.v
	}
	return h
}
