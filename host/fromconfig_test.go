package host

import (
	"testing"
	"time"

	deployment "github.com/apphost/apphost/config"
)

// TestOptionsFromConfigSendTimeout proves the description's send_timeout
// reaches Limits, with 0 turning it off.
func TestOptionsFromConfigSendTimeout(t *testing.T) {
	c := deployment.Default()
	if got := OptionsFromConfig(c).Limits.SendTimeout; got != 60*time.Second {
		t.Errorf("default: %s, want 60s", got)
	}
	c.App.Limits.SendTimeout = 0
	if got := OptionsFromConfig(c).Limits.SendTimeout; got >= 0 {
		t.Errorf("send_timeout 0: %s, want a negative value (off)", got)
	}
	c.App.Limits.SendTimeout = 20 * time.Second
	if got := OptionsFromConfig(c).Limits.SendTimeout; got != 20*time.Second {
		t.Errorf("send_timeout 20s: %s", got)
	}
}
