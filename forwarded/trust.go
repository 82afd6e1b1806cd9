package forwarded

import (
	"fmt"
	"net/netip"
	"strings"
)

// TrustedProxies says which connection peers may set forwarding headers.
// Its zero value trusts nobody; DefaultTrustedProxies returns the default,
// the proxy on the same machine.
type TrustedProxies struct {
	// Prefixes holds trusted networks; a single address is a /32 or /128.
	// IPv4 networks are stored unmapped.
	Prefixes []netip.Prefix
	// Unix trusts peers that connect through a unix-domain socket: only
	// processes on this machine with access to the socket file can.
	Unix bool
}

// loopback returns what the word "loopback" stands for in a trusted-proxy
// list: 127.0.0.0/8 and ::1.
func loopback() []netip.Prefix {
	return []netip.Prefix{
		netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, 0}), 8),
		netip.PrefixFrom(netip.IPv6Loopback(), 128),
	}
}

// DefaultTrustedProxies trusts loopback and unix-socket peers: the proxy on
// the same machine, as ASP.NET Core does by default.
func DefaultTrustedProxies() TrustedProxies {
	return TrustedProxies{Prefixes: loopback(), Unix: true}
}

// ParseTrustedProxies reads a trusted-proxy list as written in apphost.yaml
// or on the command line: CIDRs ("10.0.0.0/8"), single addresses
// ("192.0.2.7", "2001:db8::1") and the words "loopback" and "unix". An
// IPv4-mapped IPv6 entry is stored as the IPv4 network it maps. An entry
// may itself be a comma-separated list ("loopback,10.0.0.0/8"), as a flag
// or an environment variable gives it. An entry that is none of these is
// an error naming it. An empty slice trusts nobody.
func ParseTrustedProxies(entries []string) (TrustedProxies, error) {
	var t TrustedProxies
	for _, raw := range splitEntries(entries) {
		e := strings.TrimSpace(raw)
		switch strings.ToLower(e) {
		case "loopback":
			t.Prefixes = append(t.Prefixes, loopback()...)
			continue
		case "unix":
			t.Unix = true
			continue
		case "":
			return TrustedProxies{}, fmt.Errorf("empty trusted proxy entry (want a CIDR, an IP address, \"loopback\" or \"unix\")")
		}
		p, err := parsePrefix(e)
		if err != nil {
			return TrustedProxies{}, fmt.Errorf("trusted proxy %q: want a CIDR such as 10.0.0.0/8, an IP address, \"loopback\" or \"unix\": %w", raw, err)
		}
		t.Prefixes = append(t.Prefixes, p)
	}
	return t, nil
}

// splitEntries splits entries that hold comma-separated lists.
func splitEntries(entries []string) []string {
	var out []string
	for _, e := range entries {
		out = append(out, strings.Split(e, ",")...)
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("a zone is not allowed in a network")
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, fmt.Errorf("an IPv4-mapped network needs at least /96")
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("a zone is not allowed in a trusted address")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Contains reports whether addr, unmapped first, is in a trusted network.
func (t TrustedProxies) Contains(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range t.Prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// normalized returns a copy whose networks are masked and unmapped, so a
// hand-built value behaves like a parsed one and later changes to the
// caller's slice do not reach a running middleware. A network that
// ParseTrustedProxies would refuse is refused here too: an invalid one, one
// with a zone, or an IPv4-mapped one shorter than /96, which would
// otherwise widen to every IPv4 address.
func (t TrustedProxies) normalized() (TrustedProxies, error) {
	out := TrustedProxies{Unix: t.Unix, Prefixes: make([]netip.Prefix, 0, len(t.Prefixes))}
	for _, p := range t.Prefixes {
		if !p.IsValid() {
			return TrustedProxies{}, fmt.Errorf("trusted proxy %v: not a valid network", p)
		}
		q, err := parsePrefix(p.String())
		if err != nil {
			return TrustedProxies{}, fmt.Errorf("trusted proxy %v: %w", p, err)
		}
		out.Prefixes = append(out.Prefixes, q)
	}
	return out, nil
}

// String writes the list as ParseTrustedProxies reads it.
func (t TrustedProxies) String() string {
	var b strings.Builder
	for _, p := range t.Prefixes {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if p.IsSingleIP() {
			b.WriteString(p.Addr().String())
		} else {
			b.WriteString(p.String())
		}
	}
	if t.Unix {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString("unix")
	}
	return b.String()
}

// trusts reports whether a connection's peer is a trusted proxy.
func (t TrustedProxies) trusts(p Peer) bool {
	if p.Unix {
		return t.Unix
	}
	return p.Addr.IsValid() && t.Contains(p.Addr.Addr())
}
