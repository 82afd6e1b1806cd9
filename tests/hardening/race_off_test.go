//go:build !race

package hardening

const raceBuild = false
