// Package systemd writes the systemd units that run an application under
// apphost: a .socket unit that owns the listening sockets from boot, and
// a .service unit (Type=notify) that runs `apphost supervise` on them, or
// the application directly when it speaks socket activation and sd_notify
// itself. The units are hardened (NoNewPrivileges, ProtectSystem=strict,
// PrivateTmp, a dynamic user) and give the application longer to stop than
// its drain timeout.
package systemd
