package config

import "time"

// AdminOff is the admin address that turns the admin listener off.
const AdminOff Address = "off"

// defaultHSTSMaxAge is two years, Mozilla's recommended max-age.
const defaultHSTSMaxAge = 2 * 365 * 24 * time.Hour

// Default returns a Config holding every default; each value's reason is
// documented on its field.
func Default() *Config {
	return &Config{
		Name: "app",
		App: App{
			Listen:          []Address{"127.0.0.1:5000"},
			UnixSocketMode:  0o660,
			AdminListen:     "127.0.0.1:9464",
			ShutdownTimeout: 30 * time.Second,
			AccessLog:       true,
			Limits: Limits{
				MaxRequestBody:        30_000_000,
				MaxRequestHeaders:     32 << 10,
				MaxHeaderCount:        100,
				MaxRequestLine:        8 << 10,
				RequestHeadersTimeout: 30 * time.Second,
				KeepAliveTimeout:      130 * time.Second,
				MinRequestBodyRate:    240,
				MinRequestBodyGrace:   5 * time.Second,
				SendTimeout:           60 * time.Second,
				MaxConnections:        0,
			},
		},
		Forwarded: Forwarded{
			Headers:        "x-forwarded",
			TrustedProxies: []string{"loopback", "unix"},
			ForwardLimit:   1,
		},
		Proxy: Proxy{
			ServerNames: []string{"localhost"},
			Edge:        true,
			HTTPListen:  "80",
			HTTPSListen: "443",
		},
		Supervise: Supervise{
			Restart:             "on-failure",
			HealthInterval:      10 * time.Second,
			HealthFailures:      3,
			StartupTimeout:      60 * time.Second,
			StopSignal:          "SIGTERM",
			StopTimeout:         35 * time.Second,
			BackoffInitial:      time.Second,
			BackoffFactor:       2,
			BackoffMax:          30 * time.Second,
			BackoffReset:        60 * time.Second,
			RapidFailsPerMinute: 10,
			LogMaxSize:          10_000_000,
			LogMaxFiles:         5,
			AdminListen:         "127.0.0.1:9465",
		},
	}
}
