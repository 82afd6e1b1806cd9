package diagnostic

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReportFields(t *testing.T) {
	r := httptest.NewRequest("POST", "http://shop.example.com/cart/items?x=1", nil)
	r.RemoteAddr = "203.0.113.9:50123"
	r.Header.Set("X-Test", "yes")
	w := httptest.NewRecorder()
	Handler(func(*http.Request) Info {
		return Info{Scheme: "https", PathBase: "/shop", Peer: "127.0.0.1:40000"}
	}).ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"client_ip": "203.0.113.9", "client_port": float64(50123), "scheme": "https",
		"host": "shop.example.com", "path_base": "/shop", "path": "/cart/items", "query": "x=1",
		"method": "POST", "proto": "HTTP/1.1", "peer": "127.0.0.1:40000",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if h, _ := got["headers"].(map[string]any); h == nil || h["X-Test"] == nil {
		t.Errorf("headers missing: %v", got["headers"])
	}
}

func TestDefaultsWithoutInfo(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[::1]:6000"
	rep := Build(r, nil)
	if rep.ClientIP != "::1" || rep.ClientPort != 6000 || rep.Scheme != "http" || rep.Peer != "[::1]:6000" || rep.PathBase != "" {
		t.Errorf("got %+v", rep)
	}
}

func TestClientCertificateOnlyWhenPresented(t *testing.T) {
	tests := []struct {
		name, subject string
		wantField     bool
	}{
		{"a certificate the proxy passed on is reported by subject", "CN=client.example.com", true},
		{"without one the field is left out", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Handler(func(r *http.Request) Info {
				return Info{Scheme: "http", Peer: r.RemoteAddr, ClientCertificate: tt.subject}
			}).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			v, ok := got["client_certificate"]
			if ok != tt.wantField || (ok && v != tt.subject) {
				t.Fatalf("client_certificate = %v (present %v), want %q", v, ok, tt.subject)
			}
		})
	}
}

// A unix-socket peer has no IP address: the report must not present
// net/http's "@" as the client's IP, and shows the peer by the socket.
func TestUnixSocketPeer(t *testing.T) {
	sock := &net.UnixAddr{Name: "/run/shop/app.sock", Net: "unix"}
	tcp := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	tests := []struct {
		name       string
		local      net.Addr
		remoteAddr string
		wantIP     string
		wantPort   int
		wantPeer   string
	}{
		{"unnamed unix peer as Linux reports it", sock, "@", "", 0, "unix:/run/shop/app.sock"},
		{"unnamed unix peer with an empty address", sock, "", "", 0, "unix:/run/shop/app.sock"},
		{"named unix peer", sock, "/run/nginx/client.sock", "", 0, "unix:/run/nginx/client.sock"},
		{"TCP peer", tcp, "192.0.2.10:41000", "192.0.2.10", 41000, "192.0.2.10:41000"},
		{"bare IP without a port", tcp, "192.0.2.10", "192.0.2.10", 0, "192.0.2.10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, tt.local))
			r.RemoteAddr = tt.remoteAddr
			rep := Build(r, nil)
			if rep.ClientIP != tt.wantIP || rep.ClientPort != tt.wantPort || rep.Peer != tt.wantPeer {
				t.Errorf("client_ip %q client_port %d peer %q, want %q %d %q",
					rep.ClientIP, rep.ClientPort, rep.Peer, tt.wantIP, tt.wantPort, tt.wantPeer)
			}
		})
	}
}

// ConnPeer keeps the connection's own address when the forwarded-headers
// middleware replaced RemoteAddr with a forwarded client.
func TestConnPeerUsesTheGivenRemoteAddr(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/run/a.sock", Net: "unix"}))
	r.RemoteAddr = "203.0.113.7:0" // the forwarded client
	if got := ConnPeer(r, "@"); got != "unix:/run/a.sock" {
		t.Errorf("ConnPeer = %q, want unix:/run/a.sock", got)
	}
}
