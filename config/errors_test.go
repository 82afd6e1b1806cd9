package config

import "testing"

// More bad values, each of a kind TestErrorsNameFileLineAndKey does not
// cover: the error names the file, the line and column of the value, the
// key, and what would be accepted.
func TestErrorsSayWhatIsAccepted(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"mapping where a list is wanted", "app:\n  listen:\n    a: b\n", []string{":3:5: app.listen: want a list of values"}},
		{"mapping inside a list", "app:\n  listen: [{a: b}]\n", []string{"app.listen", "want a list of plain values"}},
		{"no value", "app:\n  shutdown_timeout:\n", []string{":2:20: app.shutdown_timeout: needs a value"}},
		{"not a boolean", "app:\n  access_log: maybe\n", []string{":2:15: app.access_log: want true or false", `"maybe"`}},
		{"not an octal mode", "app:\n  unix_socket_mode: 999\n", []string{":2:21: app.unix_socket_mode: want an octal file mode such as 0660", `"999"`}},
		{"fraction where a whole number is wanted", "app:\n  limits:\n    max_header_count: 1.5\n", []string{":3:23: app.limits.max_header_count: want a whole number of at least 1", `"1.5"`}},
		{"unknown size unit", "app:\n  limits:\n    max_request_line: 8 kilobytes\n", []string{":3:23: app.limits.max_request_line: want a size such as 30MB, 32KiB or a number of bytes"}},
		{"duration without a unit", "app:\n  limits:\n    keep_alive_timeout: 130\n", []string{":3:25: app.limits.keep_alive_timeout: want a duration in Go syntax such as 30s"}},
		{"negative duration", "app:\n  shutdown_timeout: -1s\n", []string{":2:21: app.shutdown_timeout: want a duration"}},
		{"admin address without a port", "app:\n  admin_listen: localhost\n", []string{":2:17: app.admin_listen", `"host:port"`, "or off"}},
		{"port out of range", "app:\n  listen: [127.0.0.1:99999]\n", []string{":2:11: app.listen", "not a number from 0 to 65535"}},
		{"the host * to listen on", "app:\n  listen: [\"*:5000\"]\n", []string{":2:11: app.listen: *:5000 is nginx's way of writing every interface; write :5000"}},
		{"too small a header limit", "app:\n  limits:\n    max_request_headers: 100\n", []string{":3:26: app.limits.max_request_headers: want a size of at least 1KiB, got \"100\""}},
		{"allowed host with a port", "forwarded:\n  allowed_hosts: [\"shop.example.com:443\"]\n", []string{":2:18: forwarded.allowed_hosts", "no port"}},
		{"unknown key in forwarded", "forwarded:\n  trusted: [loopback]\n", []string{":2:3: forwarded.trusted: unknown key; forwarded accepts: allowed_hosts, forward_limit, headers, trusted_proxies"}},
		{"pprof not a boolean", "app:\n  pprof: sometimes\n", []string{":2:10: app.pprof: want true or false", `"sometimes"`}},
		{"send timeout without a unit", "app:\n  limits:\n    send_timeout: 60\n", []string{":3:19: app.limits.send_timeout: want a duration in Go syntax such as 30s"}},
		{"negative send timeout", "app:\n  limits:\n    send_timeout: -5s\n", []string{":3:19: app.limits.send_timeout: want a duration"}},
		{"hold admin not a boolean", "supervise:\n  hold_admin: both\n", []string{":2:15: supervise.hold_admin: want true or false", `"both"`}},
		{"command that is the root directory", "supervise:\n  command: [/]\n", []string{":2:12: supervise.command: the first element is the program to run", `"/" names none`}},
		{"log file that is a directory", "supervise:\n  log_file: /var/log/shop/\n", []string{":2:13: supervise.log_file: want the file the output is appended to", `"/var/log/shop/" is a directory`}},
		{"command that is a directory", "supervise:\n  command: [/usr/local/bin/, --port, 1]\n", []string{":2:12: supervise.command", `"/usr/local/bin/" names none`}},
		{"command ending in a dot", "supervise:\n  command: [/usr/bin/.]\n", []string{":2:12: supervise.command", `"/usr/bin/." names none`}},
		{"empty command", "supervise:\n  command: [\"\"]\n", []string{":2:12: supervise.command", `"" names none`}},
		{"tab indentation", "app:\n\tlisten: [127.0.0.1:5000]\n", []string{":2: invalid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantLoadError(t, tt.yaml, tt.want) })
	}
}
