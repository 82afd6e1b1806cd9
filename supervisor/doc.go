// Package supervisor keeps an application process running behind a
// reverse proxy without ever refusing a connection.
//
// The supervisor owns the listening sockets and hands them to the
// application through the systemd socket-activation protocol (LISTEN_FDS,
// LISTEN_FDNAMES, LISTEN_PID). When the application crashes, is restarted
// or is replaced on SIGHUP, the sockets stay open in the supervisor, so new
// connections wait in the kernel's backlog instead of being refused.
//
// Run starts the command through a small shim (the supervisor's own
// binary, re-executed with an APPHOST_INTERNAL_ variable) that sets
// LISTEN_PID to its own pid and then execs the command, so LISTEN_PID
// equals the application's pid as the protocol requires. A program using
// the supervisor must call RunShimIfRequested first thing in main.
//
// The supervisor waits for readiness (READY=1 on NOTIFY_SOCKET, or a 2xx
// from a ready URL), restarts by policy with capped exponential backoff,
// gives up after too many failed starts in a minute, probes liveness,
// stops the application's process group with a grace period, reaps every
// descendant as child subreaper, serves app_offline.htm with 503 while the
// file exists, copies the application's output to rotated log files, and
// exports its state as Prometheus metrics on a registry passed in.
//
// Run reaps every child process of the calling process (wait4 on -1): a
// program running a supervisor must not start other processes of its own.
package supervisor
