//go:build race

package hardening

// raceBuild: the race detector multiplies memory use (and apphost is built
// with it too), so memory bounds double.
const raceBuild = true
