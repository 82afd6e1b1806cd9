// Package apache generates Apache httpd (mod_proxy) configuration for an
// apphost deployment and checks existing httpd configurations for the
// mistakes that break or endanger proxied applications.
//
// The work is split by phase, each in its own file:
//
//   - lexer.go reads httpd configuration syntax into logical lines: comments,
//     line continuations and quoted arguments, each line keeping its number;
//   - parser.go nests <Section> blocks and reports unclosed or mismatched
//     sections at the line that opened or closed them;
//   - format.go writes parsed directives back as text;
//   - include.go expands Include and IncludeOptional (with globs), Define
//     and ${VAR}, reporting variables that nothing defines;
//   - generate.go writes the virtual hosts for a deployment description;
//   - model.go splits the configuration into the main server and its
//     virtual hosts and reads ProxyPass and BalancerMember;
//   - requestheader.go reads RequestHeader and runs the directives on a
//     header in the order httpd does, early ones first, leaving out those
//     it never applies to a proxied request;
//   - rules.go lists the rules; check.go holds those that need only the
//     configuration, crosscheck.go those that compare it with the
//     deployment description;
//   - apachetest.go runs the real `apache2 -t` on a temporary server root.
//
// Nothing here needs Apache installed except ConfigTest and SyntaxCheck.
package apache
