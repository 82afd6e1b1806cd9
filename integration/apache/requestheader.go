package apache

import (
	"fmt"
	"slices"
	"strings"
)

// requestHeader is a RequestHeader directive read as mod_headers reads
// it:
//
//	RequestHeader action header [value [replacement]] [early|env=[!]var|expr=expression]
//
// unset takes no value, edit and edit* take a value and a replacement,
// the other actions a value.
type requestHeader struct {
	d      *Directive
	action string // lower-cased: set, unset, append, …
	header string
	value  string
	// early is the keyword early in the last place: mod_headers applies
	// the directive as soon as the request has been read, before most
	// other processing, instead of just before the handler. It is no
	// condition: an early set applies to every request of its virtual
	// host (or, in the main server, of every virtual host), so it tells
	// the app the scheme as well as a late one, and an early unset
	// removes what the client sent. Every late directive on the same
	// header runs after it, wherever it is written (see appliedHeaders).
	early bool
	// condition is the env= or expr= clause, "" when the directive
	// applies to every request.
	condition string
}

// requestHeaders returns the RequestHeader directives of from (a scope,
// or the main server whose directives a virtual host inherits) that httpd
// applies to the requests a scope proxies, in file order; proxy is that
// scope's translationProxy. Those unappliedSection names are left out.
func requestHeaders(from *scope, proxy *Directive) []requestHeader {
	var out []requestHeader
	for _, it := range from.named("RequestHeader") {
		h := readRequestHeader(it.d)
		if unappliedSection(h, it.parents, proxy) != nil {
			continue
		}
		out = append(out, h)
	}
	return out
}

func readRequestHeader(d *Directive) requestHeader {
	h := requestHeader{d: d, action: strings.ToLower(d.Arg(0)), header: d.Arg(1)}
	rest := d.Args[min(2, len(d.Args)):]
	values := 1
	switch h.action {
	case "unset":
		values = 0
	case "edit", "edit*":
		values = 2
	}
	if len(rest) > values {
		clause := rest[values]
		if strings.EqualFold(clause, "early") {
			h.early = true
		} else {
			h.condition = clause
		}
	}
	if values > 0 && len(rest) > 0 {
		h.value = rest[0]
	}
	return h
}

// mergeRank tells when httpd merges a directive into a request's
// configuration, from the sections enclosing it: 0 when none is merged
// per request (the directive belongs to the virtual host or the main
// server itself), else the highest sectionRank among them, so that an
// <If> inside a <Location> is merged with the <If> sections, last.
func mergeRank(parents []*Directive) int {
	rank := 0
	for _, p := range parents {
		rank = max(rank, sectionRank(p))
	}
	return rank
}

// sectionRank is 1 for <Proxy>, <Directory> and <Files>, which httpd
// merges per request first, 2 for <Location>, 3 for <If>, <ElseIf> and
// <Else>, and 0 for the sections read at start-up (<IfModule>,
// <IfDefine>, <IfVersion>) and <VirtualHost>.
func sectionRank(p *Directive) int {
	switch strings.ToLower(p.Name) {
	case "proxy", "proxymatch", "directory", "directorymatch", "files", "filesmatch":
		return 1
	case "location", "locationmatch":
		return 2
	case "if", "elseif", "else":
		return 3
	}
	return 0
}

// perRequestSection returns the innermost section enclosing a directive
// that httpd merges per request, after the request has been read, or nil
// when none does.
func perRequestSection(parents []*Directive) *Directive {
	for i := len(parents) - 1; i >= 0; i-- {
		if sectionRank(parents[i]) > 0 {
			return parents[i]
		}
	}
	return nil
}

// directoryWalkSection returns the innermost <Directory>,
// <DirectoryMatch>, <Files> or <FilesMatch> enclosing a directive, or nil.
// httpd merges those sections when it maps a request to a file (the
// directory walk), and never for a request mod_proxy has taken by then
// (see translationProxy); an <If> inside one goes with it.
func directoryWalkSection(parents []*Directive) *Directive {
	for i := len(parents) - 1; i >= 0; i-- {
		switch strings.ToLower(parents[i].Name) {
		case "directory", "directorymatch", "files", "filesmatch":
			return parents[i]
		}
	}
	return nil
}

// translationProxy returns the first directive of s through which
// mod_proxy takes a request while httpd translates its URL, before httpd
// maps it to a file: a ProxyPass or ProxyPassMatch (in the virtual host,
// the main server or a <Location>), or a RewriteRule [P] outside
// per-request sections. httpd then skips the directory walk and merges no
// <Directory>, <DirectoryMatch>, <Files> or <FilesMatch> section for the
// request, whatever its path (measured with httpd 2.4.71). nil when s
// proxies no request that way: it proxies none, or only through a
// RewriteRule [P] inside <Directory>, <Location> or <If>, which runs
// after the directory walk.
func translationProxy(s *scope) *Directive {
	if p := s.passes(); len(p) > 0 {
		return p[0].d
	}
	for _, it := range s.named("RewriteRule") {
		if rewriteProxies(it.d) && perRequestSection(it.parents) == nil {
			return it.d
		}
	}
	return nil
}

// unappliedSection returns the section that keeps httpd from applying h,
// written inside parents, to the requests a scope proxies, or nil when
// httpd applies it to them. For an early directive that is any
// per-request section: httpd never applies it. For a late one, when proxy
// (the scope's translationProxy) is not nil, it is a <Directory>,
// <DirectoryMatch>, <Files> or <FilesMatch>: httpd applies it to the
// requests it maps to a file, not to those proxy takes.
func unappliedSection(h requestHeader, parents []*Directive, proxy *Directive) *Directive {
	if h.early {
		return perRequestSection(parents)
	}
	if proxy != nil {
		return directoryWalkSection(parents)
	}
	return nil
}

// appliedHeaders returns the RequestHeader directives httpd applies to a
// request s proxies, on every header, in the order it runs them. The
// early ones run first, when the request has been read: the main
// server's, then the virtual host's, each in file order (an early one
// inside a per-request section never runs). The late ones run just before
// the handler, in the order httpd merged their configuration: the main
// server's and then the virtual host's own, then those inside <Proxy>,
// <Directory> and <Files>, then <Location>, then <If>, the main server's
// before the virtual host's within each. mod_headers appends a virtual
// host's list to the main server's, and each section's list to what it
// is merged into. When s has mod_proxy take requests as httpd translates
// their URL (see translationProxy), those inside <Directory> and <Files>
// are left out: httpd never merges those sections for such a request.
func (c *checker) appliedHeaders(s *scope) []requestHeader {
	type ordered struct {
		h   requestHeader
		key [3]int // phase (early 0, late 1), merge rank, main server (0) or virtual host (1)
	}
	proxy := translationProxy(s)
	var list []ordered
	for i, sc := range c.withMain(s) {
		for _, it := range sc.named("RequestHeader") {
			h := readRequestHeader(it.d)
			if unappliedSection(h, it.parents, proxy) != nil {
				continue
			}
			phase := 1
			if h.early {
				phase = 0
			}
			list = append(list, ordered{h, [3]int{phase, mergeRank(it.parents), i}})
		}
	}
	slices.SortStableFunc(list, func(a, b ordered) int { return slices.Compare(a.key[:], b.key[:]) })
	out := make([]requestHeader, len(list))
	for i, o := range list {
		out[i] = o.h
	}
	return out
}

// withMain returns the scopes whose RequestHeader directives httpd applies
// to the requests s serves: for a virtual host the main server and s, for
// the main server itself alone.
func (c *checker) withMain(s *scope) []*scope {
	if s.vhost == nil {
		return []*scope{s}
	}
	return []*scope{c.main(), s}
}

// headerOutcome is what becomes of one request header once httpd has run
// every RequestHeader that applies, in order.
type headerOutcome struct {
	// valued is set when a directive gives the header a value (for
	// Forwarded, one that carries proto=) and no unconditional unset
	// comes after it. Conditions are not evaluated: a directive with one
	// counts as giving its value, an unset with one as removing nothing.
	valued bool
	// removedBy is the unconditional unset that took away the value
	// directives before it gave, when no directive gives one after it.
	removedBy *Directive
	// http is the directive whose unconditional "http" the app receives:
	// nothing after it may replace that value. Only a set (with or
	// without a condition) or an edit may; an unset removes the header
	// instead (valued and removedBy say so), and append, add, merge and
	// setifempty leave the http in place.
	http *Directive
}

// outcome runs the directives of list on header, as appliedHeaders
// orders them.
func outcome(list []requestHeader, header string) headerOutcome {
	var o headerOutcome
	for _, h := range list {
		if !strings.EqualFold(h.header, header) {
			continue
		}
		gives := tellsScheme(header, h.value)
		http := strings.EqualFold(h.value, "http")
		switch h.action {
		case "set":
			if h.condition == "" {
				o.valued = gives
			} else {
				o.valued = o.valued || gives
			}
			switch {
			case http && h.condition == "":
				o.http = h.d
			case !http:
				o.http = nil
			}
		case "append", "add", "merge", "setifempty":
			o.valued = o.valued || gives
			if http && h.condition == "" && o.http == nil {
				o.http = h.d
			}
		case "edit", "edit*":
			o.http = nil
		case "unset":
			if h.condition == "" {
				if o.valued {
					o.removedBy = h.d
				}
				o.valued, o.http = false, nil
			}
		}
		if o.valued {
			o.removedBy = nil
		}
	}
	return o
}

// tellsScheme reports whether value, given to header, tells the app the
// scheme: any value of X-Forwarded-Proto, a Forwarded one only with
// proto=.
func tellsScheme(header, value string) bool {
	return !strings.EqualFold(header, "Forwarded") || strings.Contains(strings.ToLower(value), "proto=")
}

// unappliedNote explains why a RequestHeader on header with one of these
// actions, in s or (for a virtual host) the main server, does not count
// for the requests s proxies: it names the first one unappliedSection
// leaves out and its section, as a clause to append to a finding, or is
// "" when there is none.
func (c *checker) unappliedNote(s *scope, header string, actions ...string) string {
	proxy := translationProxy(s)
	for _, sc := range slices.Backward(c.withMain(s)) {
		for _, it := range sc.named("RequestHeader") {
			h := readRequestHeader(it.d)
			if !strings.EqualFold(h.header, header) || !slices.Contains(actions, h.action) {
				continue
			}
			sec := unappliedSection(h, it.parents, proxy)
			switch {
			case sec == nil:
			case h.early:
				return fmt.Sprintf("; the RequestHeader … early at %s:%d is inside <%s>, where httpd never applies it", h.d.File, h.d.Line, written(sec.Name, sec.Args))
			default:
				return fmt.Sprintf("; the RequestHeader at %s:%d is inside <%s>, which httpd never merges for the requests %s proxies", h.d.File, h.d.Line, written(sec.Name, sec.Args), proxyKind(proxy))
			}
		}
	}
	return ""
}

// earlyHeadersIgnored reports every early RequestHeader inside a
// per-request section: httpd accepts it (apache2 -t says Syntax OK) and
// never applies it, without a warning.
func (c *checker) earlyHeadersIgnored() {
	Walk(c.cfg.Directives, func(d *Directive, parents []*Directive) {
		if d.IsSection || !d.Is("RequestHeader") || !readRequestHeader(d).early {
			return
		}
		if sec := perRequestSection(parents); sec != nil {
			c.at(RuleEarlyHeaderIgnored, d, "%s inside %s is never applied: httpd runs early directives before it reads per-request sections; move it to the <VirtualHost> or the main server, or drop early",
				written(d.Name, d.Args), "<"+written(sec.Name, sec.Args)+">")
		}
	})
}

// directoryHeadersNotProxied reports every late RequestHeader on a
// forwarding header inside <Directory>, <DirectoryMatch>, <Files> or
// <FilesMatch> of a scope that has mod_proxy take requests as httpd
// translates their URL (see translationProxy), or of the main server when
// such a virtual host inherits it. httpd never merges those sections for
// such a request, so the app never receives what the directive sets or
// removes; the requests httpd maps to a file still get it, which is why
// the finding names the requests it misses, and is information only: the
// section may be meant for those files (PHP through SetHandler proxy:,
// a directory the proxied paths never reach). When the app lacks the
// header because of it, apache/no-forwarded-proto and
// apache/client-forwarding-headers-passed say so. Other headers are left
// alone. An early one is apache/early-header-ignored's.
func (c *checker) directoryHeadersNotProxied() {
	reported := map[*Directive]bool{}
	for _, s := range c.scopes {
		proxy := translationProxy(s)
		if proxy == nil {
			continue
		}
		for _, sc := range c.withMain(s) {
			for _, it := range sc.named("RequestHeader") {
				h := readRequestHeader(it.d)
				sec := directoryWalkSection(it.parents)
				if h.early || sec == nil || !forwardingHeader(h.header) || reported[h.d] {
					continue
				}
				reported[h.d] = true
				c.at(RuleDirectoryHeaderNotProxied, h.d, "%s inside <%s> is not applied to the requests that %s (%s:%d) proxies: httpd merges <Directory> and <Files> sections only for a request it maps to a file, and mod_proxy takes these before that; if it is meant for those requests, move it out of the section, to the <VirtualHost> or a <Location>",
					written(h.d.Name, h.d.Args), written(sec.Name, sec.Args), written(proxy.Name, proxy.Args), proxy.File, proxy.Line)
			}
		}
	}
}

// proxyKind names a translationProxy directive for messages: ProxyPass,
// ProxyPassMatch or RewriteRule … [P].
func proxyKind(d *Directive) string {
	if d.Is("RewriteRule") {
		return "RewriteRule … [P]"
	}
	return d.Name
}

// forwardingHeader reports whether a request header is one the rules
// reason about: those that tell the app the client's address, host,
// scheme or path prefix.
func forwardingHeader(name string) bool {
	switch strings.ToLower(name) {
	case "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-prefix", "forwarded":
		return true
	}
	return false
}

// written is a directive or a section's opening tag (without the angle
// brackets) as it would be written, its arguments quoted where needed.
func written(name string, args []string) string {
	out := []string{name}
	for i, a := range args {
		q, err := quoteArg(a, i == len(args)-1)
		if err != nil {
			q = a // cannot be written back; shown as it is
		}
		out = append(out, q)
	}
	return strings.Join(out, " ")
}
