package nginx

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Version is an nginx version such as 1.22.1. The zero value is not a
// valid version; DefaultVersion is used when none is known.
type Version struct {
	Major, Minor, Patch int
}

// DefaultVersion is assumed when no nginx is installed: 1.22, the version
// in Debian 12.
func DefaultVersion() Version { return Version{1, 22, 0} }

var versionPattern = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?$`)

// ParseVersion reads "1.25" or "1.25.1".
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("nginx version %q: want MAJOR.MINOR or MAJOR.MINOR.PATCH, such as 1.22 or 1.25.1", s)
	}
	var v Version
	var err error
	if v.Major, err = strconv.Atoi(m[1]); err != nil {
		return Version{}, fmt.Errorf("nginx version %q: %w", s, err)
	}
	if v.Minor, err = strconv.Atoi(m[2]); err != nil {
		return Version{}, fmt.Errorf("nginx version %q: %w", s, err)
	}
	if m[3] != "" {
		if v.Patch, err = strconv.Atoi(m[3]); err != nil {
			return Version{}, fmt.Errorf("nginx version %q: %w", s, err)
		}
	}
	return v, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// flag is v as --nginx-version takes it, in its shortest exact form: "1.22"
// for 1.22.0, "1.25.1" with a patch.
func (v Version) flag() string {
	if v.Patch == 0 {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return v.String()
}

// AtLeast reports whether v is o or later.
func (v Version) AtLeast(o Version) bool {
	if v.Major != o.Major {
		return v.Major > o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor > o.Minor
	}
	return v.Patch >= o.Patch
}

// IsZero reports whether v is the zero Version.
func (v Version) IsZero() bool { return v == Version{} }

var nginxVersionOutput = regexp.MustCompile(`nginx version: [^/\s]+/(\d+\.\d+(?:\.\d+)?)`)

// ParseVersionOutput reads what `nginx -v` prints (on standard error), such
// as "nginx version: nginx/1.22.1".
func ParseVersionOutput(out string) (Version, error) {
	m := nginxVersionOutput.FindStringSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("no \"nginx version: nginx/X.Y.Z\" in %q", strings.TrimSpace(out))
	}
	return ParseVersion(m[1])
}

// DetectVersion runs `nginx -v` with the given binary and returns the
// version it reports.
func DetectVersion(ctx context.Context, binary string) (Version, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "-v")
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return Version{}, fmt.Errorf("running %s -v: %w", binary, err)
	}
	v, err := ParseVersionOutput(out.String())
	if err != nil {
		return Version{}, fmt.Errorf("running %s -v: %w", binary, err)
	}
	return v, nil
}

// FindBinary returns the path of the nginx program: on PATH, or in the
// sbin directories where Debian installs it. ok is false when there is
// none.
func FindBinary() (path string, ok bool) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/sbin/nginx", "/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"} {
		if p2, err := exec.LookPath(p); err == nil {
			return p2, true
		}
	}
	return "", false
}

// InstalledVersion is the version of the nginx on this machine, or
// DefaultVersion when none is installed or it cannot tell.
func InstalledVersion(ctx context.Context) Version {
	bin, ok := FindBinary()
	if !ok {
		return DefaultVersion()
	}
	v, err := DetectVersion(ctx, bin)
	if err != nil {
		return DefaultVersion()
	}
	return v
}
