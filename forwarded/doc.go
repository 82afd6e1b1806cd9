// Package forwarded restores a request's client address, scheme, host and
// path base from the X-Forwarded-* headers or the RFC 7239 Forwarded header,
// but only from proxies it trusts.
//
// # Trust model
//
// A forwarding header is only as honest as whoever wrote it. The middleware
// therefore checks the connection's own peer first: when the peer is not a
// trusted proxy, nothing is applied and every forwarding header is removed
// before the next handler runs, so no code further down can be fooled by
// them: both families, X-Real-IP, True-Client-IP, X-Forwarded-Port,
// -Scheme and -Ssl, and Front-End-Https. X-Original-* headers that arrive
// with any request are removed too: only the middleware writes them.
//
// When the peer is trusted, the header's entries are read from the right,
// the end the nearest proxy wrote, at most Options.ForwardLimit of them.
// Each address must be trusted before the entry to its left is read; the
// first untrusted address is the client. An entry that does not parse stops
// the walk: what was established so far is kept, nothing is guessed, and the
// leftmost value, the one any client can write, is never used as a fallback.
//
// The operator's duty: list in Options.TrustedProxies exactly the proxies
// that overwrite or append to these headers, and make sure the application
// cannot be reached except through them.
//
// # Use
//
//	mw, err := forwarded.New(forwarded.Options{}) // loopback and unix peers, X-Forwarded-*, one hop
//	if err != nil { ... }
//	srv := &http.Server{Addr: "127.0.0.1:5000", Handler: mw.Handler(app), ConnContext: forwarded.ConnContext}
//	srv.ListenAndServe()
//
// ConnContext is optional: it works out each connection's peer once
// instead of on every request, and lets the middleware pass a request with
// nothing to apply or remove on as it is, without a copy, whose result
// FromRequest then works out from the connection's record.
//
// Inside the application, FromRequest returns what was decided. A request
// the middleware changed reaches the application as a shallow clone whose
// RemoteAddr, Host and URL.Scheme carry the forwarded values; the caller's
// request is never modified.
package forwarded
