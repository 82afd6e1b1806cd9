package e2e

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// emulatedModule forwards requests the way IIS's ASP.NET Core Module (out
// of process) or HttpPlatformHandler does, as their documentation and
// source describe it; IIS itself cannot run here. Both modules keep the
// client's Host header, append the client's address with its port to
// X-Forwarded-For ("203.0.113.5:50123", "[::1]:38792") and the scheme to
// X-Forwarded-Proto. The ASP.NET Core Module also removes every
// MS-ASPNETCORE-* header the client sent, adds MS-ASPNETCORE-TOKEN with the
// pairing token, and sends the client's TLS certificate as base64 DER in
// MS-ASPNETCORE-CLIENTCERT. HttpPlatformHandler adds no header of its own
// and passes MS-ASPNETCORE-* headers through as the client sent them.
type emulatedModule struct {
	backend string // 127.0.0.1:<the port given to the process>
	token   string // the pairing token; "" emulates HttpPlatformHandler
}

func (m emulatedModule) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	pr.SetURL(&url.URL{Scheme: "http", Host: m.backend})
	out.Host = in.Host
	if m.token != "" {
		for name := range out.Header {
			if strings.HasPrefix(name, "Ms-Aspnetcore-") {
				delete(out.Header, name)
			}
		}
		out.Header.Set("MS-ASPNETCORE-TOKEN", m.token)
		if in.TLS != nil && len(in.TLS.PeerCertificates) > 0 {
			out.Header.Set("MS-ASPNETCORE-CLIENTCERT", base64.StdEncoding.EncodeToString(in.TLS.PeerCertificates[0].Raw))
		}
	}
	// httputil removed the X-Forwarded-* headers from out; the modules
	// append to the client's.
	out.Header.Set("X-Forwarded-For", appendEntry(in.Header.Values("X-Forwarded-For"), in.RemoteAddr))
	scheme := "http"
	if in.TLS != nil {
		scheme = "https"
	}
	out.Header.Set("X-Forwarded-Proto", appendEntry(in.Header.Values("X-Forwarded-Proto"), scheme))
}

func appendEntry(prior []string, entry string) string {
	return strings.Join(append(prior, entry), ", ")
}

// startEmulatedModule starts the module's front end over TLS on a loopback
// address of the given network ("tcp4" or "tcp6"), asking clients for a
// certificate as an IIS site with "Client certificates: Accept" does. It
// returns the front end's URL and a client that presents clientCert (when
// not nil) and records the local address of each connection it makes.
func startEmulatedModule(t *testing.T, network string, m emulatedModule, clientCert *tls.Certificate) (string, *http.Client, *localAddrs) {
	t.Helper()
	host := "127.0.0.1:0"
	if network == "tcp6" {
		host = "[::1]:0"
	}
	l, err := net.Listen(network, host)
	if err != nil {
		t.Fatalf("front end on %s: %v", network, err)
	}
	srv := httptest.NewUnstartedServer(&httputil.ReverseProxy{Rewrite: m.rewrite})
	srv.Listener.Close()
	srv.Listener = l
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	addrs := &localAddrs{}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	if clientCert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*clientCert}
	}
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			addrs.add(c.LocalAddr().String())
		}
		return c, err
	}
	t.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}, addrs
}

// localAddrs records the client's side of each connection to the front end:
// the address the module writes into X-Forwarded-For.
type localAddrs struct {
	mu    sync.Mutex
	addrs []string
}

func (a *localAddrs) add(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addrs = append(a.addrs, s)
}

func (a *localAddrs) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.addrs) == 0 {
		return ""
	}
	return a.addrs[len(a.addrs)-1]
}
