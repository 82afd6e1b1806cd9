package iis

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apphost/apphost/config"
)

// The ranges IIS documents for the attributes written here. A value
// outside them makes IIS refuse the whole web.config (HTTP 500.19).
const (
	// startupTimeLimit, httpPlatform and aspNetCore: 0–3600 seconds.
	maxStartupTimeLimit = 3600
	// shutdownTimeLimit, aspNetCore: 0–600 seconds.
	maxShutdownTimeLimit = 600
	// rapidFailsPerMinute and startupRetryCount: 0–100.
	maxRapidFails = 100
	// maxAllowedContentLength is a uint (32 bits): 4 GB − 1.
	maxContentLength = math.MaxUint32
	// requestTimeout: the modules' schemas allow 0–1296000 seconds
	// (360:00:00, 15 days) for aspNetCore, in steps of a second, and
	// 0–2592000 seconds (30 days) for httpPlatform, in whole minutes.
	maxANCMRequestTimeout          = 1296000 * time.Second
	maxHTTPPlatformRequestTimeout  = 2592000 * time.Second
	httpPlatformRequestTimeoutStep = time.Minute
	// defaultRequestTimeout is both modules' default: two minutes.
	defaultRequestTimeout = "00:02:00"
	// defaultStartupRetryCount is HttpPlatformHandler's default.
	defaultStartupRetryCount = 10
	// iisDefaultContentLength is requestLimits' default when the
	// attribute is absent: 30,000,000 bytes (about 28.6 MiB).
	iisDefaultContentLength = 30000000
)

// seconds converts a duration to whole seconds, rounding up so a limit is
// never shorter than configured, and clamps it to [0, max]. note explains
// a clamp for the generated file's comments; it is "" otherwise.
func seconds(key string, d time.Duration, max int64) (value string, note string) {
	s := int64(math.Ceil(d.Seconds()))
	if s < 0 {
		s = 0
	}
	if s > max {
		return strconv.FormatInt(max, 10), fmt.Sprintf("%s is %s; IIS accepts at most %d seconds, so %d is written.", key, d, max, max)
	}
	return strconv.FormatInt(s, 10), ""
}

// count clamps a count to [0, max], with a note when it had to.
func count(key string, n int, max int) (value string, note string) {
	if n < 0 {
		n = 0
	}
	if n > max {
		return strconv.Itoa(max), fmt.Sprintf("%s is %d; IIS accepts at most %d, so %d is written.", key, n, max, max)
	}
	return strconv.Itoa(n), ""
}

// contentLength is maxAllowedContentLength for the app's body limit. No
// limit (0) and limits above IIS's largest value become that value, with a
// note.
func contentLength(limit config.Size) (value string, note string) {
	switch {
	case limit == 0:
		return strconv.FormatUint(maxContentLength, 10), "app.limits.max_request_body is 0 (no limit); IIS cannot turn its limit off, so its largest value, 4294967295 bytes, is written."
	case int64(limit) > maxContentLength:
		return strconv.FormatUint(maxContentLength, 10), fmt.Sprintf("app.limits.max_request_body is %s; IIS accepts at most 4294967295 bytes (4 GB - 1), so larger bodies are refused by IIS with 404.13.", limit)
	}
	return strconv.FormatInt(int64(limit), 10), ""
}

// expectedContentLength is the number contentLength writes.
func expectedContentLength(limit config.Size) uint64 {
	if limit == 0 || int64(limit) > maxContentLength {
		return maxContentLength
	}
	return uint64(limit)
}
