// Package diagnostic is the application `apphost serve` runs before the
// real one is deployed: every request is answered with what the host saw —
// the client's address, scheme and host as restored from trusted
// forwarding headers, the path base, and the connection's own peer — which
// is the quickest way to prove a proxy setup end to end.
package diagnostic

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strconv"
)

// Report is the JSON object every request is answered with.
type Report struct {
	// ClientIP and ClientPort are the client as the host believes it: the
	// forwarded client when a trusted proxy said so, else the peer. A peer
	// on a unix socket has no IP address: without a forwarded client,
	// ClientIP is "" and ClientPort 0.
	ClientIP   string `json:"client_ip"`
	ClientPort int    `json:"client_port"`
	// Scheme is "https" when a trusted proxy said the client used TLS.
	Scheme string `json:"scheme"`
	Host   string `json:"host"`
	// PathBase is the prefix the app is mounted under; Path is the rest,
	// the path the application routes on.
	PathBase string `json:"path_base"`
	Path     string `json:"path"`
	Query    string `json:"query,omitempty"`
	Method   string `json:"method"`
	Proto    string `json:"proto"`
	// Peer is the connection's own remote address: the proxy, normally.
	// For a unix-socket connection it is "unix:" and the peer's socket
	// name, or, when the peer's socket is unnamed (as a connecting
	// client's usually is), the path of the socket it connected to; see
	// ConnPeer.
	Peer string `json:"peer"`
	// ClientCertificate is the subject of the certificate the client
	// presented, when the proxy passed one on (IIS's
	// MS-ASPNETCORE-CLIENTCERT).
	ClientCertificate string `json:"client_certificate,omitempty"`
	// Headers are the request headers as the application receives them.
	Headers http.Header `json:"headers"`
}

// Info is what the host knows about a request beyond the request itself.
// Lookup functions supply it, so this package does not depend on how the
// host restores it.
type Info struct {
	Scheme   string
	PathBase string
	Peer     string

	// ClientCertificate is the subject of the client's certificate, ""
	// for none.
	ClientCertificate string
}

// Handler answers every request with its Report as JSON. info returns what
// the host restored for the request; nil means plain defaults (the scheme
// from r.TLS, no path base, the peer from ConnPeer(r, r.RemoteAddr)).
func Handler(info func(*http.Request) Info) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := Build(r, info)
		body, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(append(body, '\n'))
	})
}

// Build assembles the Report for r.
func Build(r *http.Request, info func(*http.Request) Info) Report {
	in := Info{Scheme: "http", Peer: ConnPeer(r, r.RemoteAddr)}
	if r.TLS != nil {
		in.Scheme = "https"
	}
	if info != nil {
		in = info(r)
	}
	rep := Report{
		Scheme:   in.Scheme,
		Host:     r.Host,
		PathBase: in.PathBase,
		Path:     r.URL.Path,
		Query:    r.URL.RawQuery,
		Method:   r.Method,
		Proto:    r.Proto,
		Peer:     in.Peer,
		Headers:  r.Header,
	}
	rep.ClientCertificate = in.ClientCertificate
	if ap, ok := clientAddr(r.RemoteAddr); ok {
		rep.ClientIP = ap.Addr().String()
		rep.ClientPort = int(ap.Port())
	}
	return rep
}

// clientAddr reads the client from a RemoteAddr: "ip:port", or a bare IP
// with port 0. Anything else — the "@" or "" net/http gives a unix-socket
// peer — names no client.
func clientAddr(remoteAddr string) (netip.AddrPort, bool) {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap, true
	}
	if a, err := netip.ParseAddr(remoteAddr); err == nil {
		return netip.AddrPortFrom(a, 0), true
	}
	return netip.AddrPort{}, false
}

// ConnPeer is how the report writes the peer of r's connection, given the
// connection's own RemoteAddr (which the forwarded-headers middleware
// replaces in the request it passes on, so the caller supplies the
// original). A TCP peer is its "ip:port". A unix-socket peer is "unix:"
// and its socket's name when it has one; an unnamed peer (net/http gives
// it "@" or "") is shown by the socket it connected to, "unix:/path".
func ConnPeer(r *http.Request, remoteAddr string) string {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil || local.Network() != "unix" {
		return remoteAddr
	}
	if remoteAddr != "" && remoteAddr != "@" {
		return "unix:" + remoteAddr
	}
	return "unix:" + local.String()
}
