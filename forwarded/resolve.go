package forwarded

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// Header names, in canonical form so that map look-ups need no conversion.
const (
	hdrXFF          = "X-Forwarded-For"
	hdrXFProto      = "X-Forwarded-Proto"
	hdrXFHost       = "X-Forwarded-Host"
	hdrXFPrefix     = "X-Forwarded-Prefix"
	hdrForwarded    = "Forwarded"
	hdrOrigFor      = "X-Original-For"
	hdrOrigProto    = "X-Original-Proto"
	hdrOrigHost     = "X-Original-Host"
	hdrOrigPrefix   = "X-Original-Prefix"
	hdrRealIP       = "X-Real-Ip"
	hdrXFPort       = "X-Forwarded-Port"
	hdrXFScheme     = "X-Forwarded-Scheme"
	hdrXFSsl        = "X-Forwarded-Ssl"
	hdrFrontEndHTTP = "Front-End-Https"
	hdrTrueClientIP = "True-Client-Ip"
)

// headerSet records which of the headers this package cares about a
// request carries, found in one pass over the header map.
type headerSet uint16

const (
	hasXFF headerSet = 1 << iota
	hasXFProto
	hasXFHost
	hasXFPrefix
	hasForwarded
	hasOther    // X-Real-IP, True-Client-IP, X-Forwarded-Port, -Scheme, -Ssl, Front-End-Https
	hasOriginal // any X-Original-* header
)

// xForwardedSet is the X-Forwarded family the XForwarded option reads.
const xForwardedSet = hasXFF | hasXFProto | hasXFHost | hasXFPrefix

// forwardingSet is every header by which some proxy or framework conveys
// client information. From an untrusted peer all of them are removed,
// whatever the configured family: an application or library further down
// may read any of them.
const forwardingSet = xForwardedSet | hasForwarded | hasOther

func scanHeaders(h http.Header) headerSet {
	var s headerSet
	for k := range h {
		s |= headerBit(k)
	}
	return s
}

// headerBit returns the member of headerSet a canonical header name is, or
// zero. (X-Original-* headers are written by the middleware only: copies
// that arrive with a request are removed.) Every name it knows starts with
// F, T or X, which settles most other names with one comparison.
func headerBit(k string) headerSet {
	if k == "" || (k[0] != 'X' && k[0] != 'F' && k[0] != 'T') {
		return 0
	}
	switch k {
	case hdrXFF:
		return hasXFF
	case hdrXFProto:
		return hasXFProto
	case hdrXFHost:
		return hasXFHost
	case hdrXFPrefix:
		return hasXFPrefix
	case hdrForwarded:
		return hasForwarded
	case hdrRealIP, hdrXFPort, hdrXFScheme, hdrXFSsl, hdrFrontEndHTTP, hdrTrueClientIP:
		return hasOther
	case hdrOrigFor, hdrOrigProto, hdrOrigHost, hdrOrigPrefix:
		return hasOriginal
	}
	return 0
}

// Peer is the connection a request arrived on.
type Peer struct {
	// Addr is the peer's address, unmapped. Invalid for a unix-socket peer.
	Addr netip.AddrPort
	// Unix is set when the connection came through a unix-domain socket.
	Unix bool
}

// PeerOf returns the peer of a server-side request: RemoteAddr parsed
// ("ip:port", IPv4-mapped addresses unmapped), or a unix-socket peer when
// the request's http.LocalAddrContextKey value is a unix address (net/http
// gives unix peers an empty or "@" RemoteAddr, apphost's host the socket's
// path, and a client may bind its end to any name, "10.0.0.1:80" too).
//
// When the server recorded the connection's peer with ConnContext, that
// record is the answer while RemoteAddr is still the connection's. A
// RemoteAddr a step in front rewrote (a PROXY protocol reader, say) names
// the peer then, even on a unix socket. Without ConnContext a rewrite on a
// unix socket cannot be told from a client's own socket name, and the peer
// stays the unix socket: such a step needs ConnContext on the server.
func PeerOf(r *http.Request) Peer {
	if c, _ := r.Context().Value(connKey{}).(*connContext); c != nil {
		if c.remote == r.RemoteAddr {
			return c.peer
		}
		return peerOf(nil, r.RemoteAddr)
	}
	la, _ := r.Context().Value(http.LocalAddrContextKey).(interface{ Network() string })
	return peerOf(la, r.RemoteAddr)
}

// peerOf is PeerOf for a connection's local address (nil when unknown)
// and remote address text.
func peerOf(local interface{ Network() string }, remote string) Peer {
	if local != nil && local.Network() == "unix" {
		return Peer{Unix: true}
	}
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		// Not "ip:port": a bare address (as some test harnesses and
		// frameworks set it) with port 0, or nothing, which no list trusts.
		a, err := netip.ParseAddr(remote)
		if err != nil {
			return Peer{}
		}
		ap = netip.AddrPortFrom(a, 0)
	}
	return Peer{Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
}

// connContext is the context ConnContext returns: what it worked out for
// the connection. It answers connKey, and resultKey for the requests a
// Handler passed on as they were.
type connContext struct {
	context.Context
	remote string // the connection's RemoteAddr, as net/http gives it to requests
	peer   Peer
	// passedBy is the last Handler's middleware that passed a request of
	// this connection on without a copy, having nothing to apply or
	// remove; nil: none yet. FromRequest answers for such a request from
	// this record.
	passedBy atomic.Pointer[Middleware]
}

type connKey struct{}

func (c *connContext) Value(key any) any {
	switch key.(type) {
	case connKey, resultKey:
		return c
	}
	return c.Context.Value(key)
}

// connOf returns the record ConnContext made for r's connection, or nil
// when there is none or r's RemoteAddr is no longer the connection's
// (rewritten by a step in front).
func connOf(r *http.Request) *connContext {
	c, _ := r.Context().Value(connKey{}).(*connContext)
	if c == nil || c.remote != r.RemoteAddr {
		return nil
	}
	return c
}

// ConnContext is for http.Server.ConnContext: it works out the
// connection's peer once, from the connection's local and remote
// addresses, so that PeerOf and Handler need not parse Request.RemoteAddr
// on each request of the connection, and so that Handler can pass a
// request with nothing to apply or remove on as it is, where it would
// otherwise pass a copy (see FromRequest for how the result of such a
// request is given). A request whose RemoteAddr is no longer the
// connection's (rewritten by a handler in front) is worked out from
// RemoteAddr as without ConnContext.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	cc := &connContext{Context: ctx}
	if ra := c.RemoteAddr(); ra != nil {
		cc.remote = ra.String()
	}
	cc.peer = peerOf(c.LocalAddr(), cc.remote)
	return cc
}

// Result is what the middleware established for one request.
type Result struct {
	// Client is the client's address and port (0 when the header gave no
	// port). When nothing was forwarded it is the peer's address, which is
	// the zero AddrPort for a unix-socket peer.
	Client netip.AddrPort
	// Scheme is "http" or "https".
	Scheme string
	// Host is the host the client asked for, with its port if any.
	Host string
	// PathBase is the prefix the proxy mounted the application under, such
	// as "/shop", without a trailing slash; "" when none.
	PathBase string
	// Peer is the connection's own RemoteAddr, as net/http gave it.
	Peer string
	// PeerUnix is set when the connection came through a unix socket.
	PeerUnix bool
	// Applied is set when any forwarded value was applied.
	Applied bool

	// Bookkeeping for Handler and the counters.
	trusted      bool      // the peer is a trusted proxy
	seen         headerSet // untrusted: the headers carried; trusted: non-zero when the family read was present
	consumed     int       // entries consumed from the right of each list
	malformed    int       // entries or values refused
	hostRejected bool      // a forwarded host outside AllowedHosts
	forApplied   bool
}

// Resolve is the middleware's pure core: it reads the forwarding headers
// and the peer and returns what to apply, without modifying h. Scheme and
// Host are left empty when no trusted hop supplied them, and so is Peer;
// Handler fills all three from the request.
func (m *Middleware) Resolve(h http.Header, peer Peer) Result {
	return m.resolve(h, peer, nil)
}

// resolve is Resolve; Handler, which scans the headers first, passes what
// it found in seen so that an untrusted peer's headers are not scanned
// twice.
func (m *Middleware) resolve(h http.Header, peer Peer, seen *headerSet) Result {
	res := Result{Client: peer.Addr, PeerUnix: peer.Unix}
	if m.cfg.family == None {
		return res
	}
	res.trusted = m.cfg.trust.trusts(peer)
	if !res.trusted {
		if seen != nil {
			res.seen = *seen
		} else {
			res.seen = scanHeaders(h)
		}
		return res
	}
	// A trusted peer: look up only the family read, which is cheaper than
	// scanning every header. Handler scans when it rewrites headers, and
	// then only the headers it found are looked up.
	present := ^headerSet(0)
	if seen != nil {
		present = *seen
	}
	if m.cfg.family == Forwarded {
		m.resolveForwarded(lookup(h, present, hasForwarded, hdrForwarded), &res)
	} else {
		m.resolveXForwarded(h, present, &res)
	}
	return res
}

// lookup returns h[name], skipping the map look-up when present, what a
// scan found, says the header is absent.
func lookup(h http.Header, present, bit headerSet, name string) []string {
	if present&bit == 0 {
		return nil
	}
	return h[name]
}

// resolveXForwarded walks X-Forwarded-For from the right. The scheme, host
// and prefix are those of the hop whose entry was chosen: the entry at the
// same position from the right of each list, or, when a list is shorter,
// its leftmost entry (written by a proxy the walk already trusted).
func (m *Middleware) resolveXForwarded(h http.Header, present headerSet, res *Result) {
	lines, protos := lookup(h, present, hasXFF, hdrXFF), lookup(h, present, hasXFProto, hdrXFProto)
	hosts, prefixes := lookup(h, present, hasXFHost, hdrXFHost), lookup(h, present, hasXFPrefix, hdrXFPrefix)
	if len(lines)+len(protos)+len(hosts)+len(prefixes) == 0 {
		return
	}
	res.seen = hasXFF // some of the family; Handler scans for the rest
	pos := -1
	it := newListIter(lines, false)
	for i := 0; i < m.cfg.limit; i++ {
		e, ok, _ := it.next()
		if !ok {
			break
		}
		ap, err := ParseXForwardedFor(e)
		if err != nil {
			res.malformed++
			if pos < 0 {
				return // the first entry failed: fail closed, apply nothing
			}
			break
		}
		res.Client, pos, res.forApplied = ap, i, true
		if !m.cfg.trust.Contains(ap.Addr()) {
			break
		}
	}
	if pos < 0 {
		pos = 0 // no X-Forwarded-For entry: the trusted peer's own hop
	}
	res.consumed = pos + 1
	if v, ok := entryAt(protos, pos); ok {
		if s, ok := parseScheme(v); ok {
			res.Scheme = s
		} else {
			res.malformed++
		}
	}
	if v, ok := entryAt(hosts, pos); ok {
		m.applyHost(res, v)
	}
	if v, ok := entryAt(prefixes, pos); ok {
		if p, ok := cleanPrefix(v); ok {
			res.PathBase = p
		} else {
			res.malformed++
		}
	}
	res.Applied = res.forApplied || res.Scheme != "" || res.Host != "" || res.PathBase != ""
}

// resolveForwarded walks RFC 7239 elements from the right. The scheme and
// host come from the chosen element itself.
func (m *Middleware) resolveForwarded(lines []string, res *Result) {
	if len(lines) == 0 {
		return
	}
	res.seen = hasForwarded
	it := newListIter(lines, true)
	var chosen Element
	for i := 0; i < m.cfg.limit; i++ {
		raw, ok, err := it.next()
		if err != nil {
			res.malformed++
			break
		}
		if !ok {
			break
		}
		e, n, err := parseElement(raw)
		if err != nil {
			res.malformed++
			break
		}
		if !n.HasAddr() {
			break // no "for", "unknown" or an obfuscated name: valid, but no client
		}
		res.Client, chosen, res.consumed, res.forApplied = n.Addr, e, i+1, true
		if !m.cfg.trust.Contains(n.Addr.Addr()) {
			break
		}
	}
	if !res.forApplied {
		return
	}
	if chosen.Proto != "" {
		if s, ok := parseScheme(chosen.Proto); ok {
			res.Scheme = s
		} else {
			res.malformed++
		}
	}
	if chosen.Host != "" {
		m.applyHost(res, chosen.Host)
	}
	res.Applied = true
}

func (m *Middleware) applyHost(res *Result, v string) {
	switch {
	case !validHost(v):
		res.malformed++
	case !hostAllowed(m.cfg.hosts, v):
		res.hostRejected = true
	default:
		res.Host = v
	}
}
