package apache

import "strings"

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
	// removes what the client sent. A late directive on the same header
	// runs after it and may replace its value.
	early bool
	// condition is the env= or expr= clause, "" when the directive
	// applies to every request.
	condition string
}

// requestHeaders returns the RequestHeader directives of s that httpd
// applies, in file order. An early one inside a per-request section
// (<Location>, <Directory>, <If>, …) is left out: early directives run
// before httpd reads those sections, so httpd accepts it and never
// applies it.
func requestHeaders(s *scope) []requestHeader {
	var out []requestHeader
	for _, it := range s.named("RequestHeader") {
		h := readRequestHeader(it.d)
		if h.early && perRequest(it.parents) {
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

// perRequest reports whether one of the sections enclosing a directive
// is merged per request, after the request has been read; the
// configuration-time ones (<IfModule>, <IfDefine>, …) are not.
func perRequest(parents []*Directive) bool {
	for _, p := range parents {
		switch strings.ToLower(p.Name) {
		case "directory", "directorymatch", "files", "filesmatch", "location", "locationmatch",
			"proxy", "proxymatch", "if", "elseif", "else":
			return true
		}
	}
	return false
}
