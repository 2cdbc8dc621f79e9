package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EnvConfigFile names the environment variable Load reads the config file
// path from when it is given none.
const EnvConfigFile = "VERBATIM_CONFIG"

// EnvVar describes one environment variable that overrides a setting.
type EnvVar struct {
	// Name is the variable, e.g. "VERBATIM_DATA".
	Name string
	// Field is the YAML path of the setting, e.g. "data_dir".
	Field string
	// Secret marks settings read only from the environment and never shown.
	Secret bool
	// Doc is a one-line description for help text and the README.
	Doc string

	// set parses value and stores it in c.
	set func(c *Config, value string) error
	// str points at the setting when it is a string (always, for secrets).
	str func(c *Config) *string
}

// EnvVars returns every environment override, in documentation order. It is
// the single source of truth for the names Load reads.
func EnvVars() []EnvVar {
	return []EnvVar{
		stringVar("VERBATIM_DATA", "data_dir", "data directory (archive, blobs, ledger)",
			func(c *Config) *string { return &c.DataDir }),
		{
			Name:  "VERBATIM_ACCOUNTS",
			Field: "accounts",
			Doc:   `watched accounts, comma-separated, e.g. "@VP,x:VPPressSec" (replaces the list)`,
			set: func(c *Config, v string) error {
				accts, err := parseAccounts(v)
				if err != nil {
					return err
				}
				c.Accounts = accts
				return nil
			},
		},
		stringVar("VERBATIM_LOG_FORMAT", "log.format", "log format: auto, text or json",
			func(c *Config) *string { return &c.Log.Format }),
		stringVar("VERBATIM_LOG_LEVEL", "log.level", "log level: debug, info, warn or error",
			func(c *Config) *string { return &c.Log.Level }),
		stringVar("VERBATIM_X_API_URL", "x.api_url", "X API base URL",
			func(c *Config) *string { return &c.X.APIURL }),
		secretVar("VERBATIM_X_BEARER_TOKEN", "x.bearer_token", "X API v2 bearer token",
			func(c *Config) *string { return &c.X.BearerToken }),
		secretVar("VERBATIM_X_CONSUMER_KEY", "x.consumer_key", "X API v1.1 OAuth1 consumer key",
			func(c *Config) *string { return &c.X.ConsumerKey }),
		secretVar("VERBATIM_X_CONSUMER_SECRET", "x.consumer_secret", "X API v1.1 OAuth1 consumer secret",
			func(c *Config) *string { return &c.X.ConsumerSecret }),
		secretVar("VERBATIM_X_ACCESS_TOKEN", "x.access_token", "X API v1.1 OAuth1 access token",
			func(c *Config) *string { return &c.X.AccessToken }),
		secretVar("VERBATIM_X_ACCESS_SECRET", "x.access_secret", "X API v1.1 OAuth1 access secret",
			func(c *Config) *string { return &c.X.AccessSecret }),
		stringVar("VERBATIM_TZ", "schedule.tz", "time zone of the cron schedules (IANA name)",
			func(c *Config) *string { return &c.Schedule.TZ }),
		stringVar("VERBATIM_BROWSER_PATH", "browser.path", "Chromium executable (empty: search)",
			func(c *Config) *string { return &c.Browser.Path }),
		{
			Name:  "VERBATIM_BROWSER_TABS",
			Field: "browser.tabs",
			Doc:   "concurrent browser tabs (1-16)",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not an integer", v)
				}
				c.Browser.Tabs = n
				return nil
			},
		},
		{
			Name:  "VERBATIM_ALLOW_PRIVATE_URLS",
			Field: "browser.allow_private_urls",
			Doc:   "let the browser load loopback and private addresses (1/true or 0/false)",
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a boolean (use 1/true or 0/false)", v)
				}
				c.Browser.AllowPrivateURLs = b
				return nil
			},
		},
		stringVar("VERBATIM_ADDR", "server.addr", "listen address, host:port",
			func(c *Config) *string { return &c.Server.Addr }),
		stringVar("VERBATIM_PUBLIC_URL", "server.public_url", "externally visible base URL of the web UI",
			func(c *Config) *string { return &c.Server.PublicURL }),
		{
			Name:  "VERBATIM_CACHE_TTL",
			Field: "server.cache_ttl",
			Doc:   "how long pages and API answers are reused (Go duration, 0 for never)",
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a duration (2s, 500ms, 0)", v)
				}
				c.Server.CacheTTL = d
				return nil
			},
		},
		secretVar("VERBATIM_API_TOKEN", "server.api_token", "bearer token for write endpoints of the JSON API",
			func(c *Config) *string { return &c.Server.APIToken }),
		secretVar("VERBATIM_SLACK_SIGNING_SECRET", "slack.signing_secret", "Slack request signing secret",
			func(c *Config) *string { return &c.Slack.SigningSecret }),
		secretVar("VERBATIM_SLACK_BOT_TOKEN", "slack.bot_token", "Slack bot token (xoxb-...)",
			func(c *Config) *string { return &c.Slack.BotToken }),
		stringVar("VERBATIM_SLACK_API_URL", "slack.api_url", "Slack Web API base URL, ending in /",
			func(c *Config) *string { return &c.Slack.APIURL }),
		stringVar("VERBATIM_SLACK_REPORT_CHANNEL", "slack.report_channel", "Slack channel for the integrity report",
			func(c *Config) *string { return &c.Slack.ReportChannel }),
		stringVar("VERBATIM_TSA_URL", "tsa.url", "RFC 3161 timestamp authority URL (empty: off)",
			func(c *Config) *string { return &c.TSA.URL }),
	}
}

func stringVar(name, field, doc string, str func(*Config) *string) EnvVar {
	return EnvVar{
		Name:  name,
		Field: field,
		Doc:   doc,
		str:   str,
		set: func(c *Config, v string) error {
			*str(c) = v
			return nil
		},
	}
}

func secretVar(name, field, doc string, str func(*Config) *string) EnvVar {
	v := stringVar(name, field, doc, str)
	v.Secret = true
	return v
}

// applyEnv overrides c with every non-empty variable of getenv and reports
// every malformed value, each naming its variable.
func applyEnv(c *Config, getenv func(string) string) []error {
	var errs []error
	for _, v := range EnvVars() {
		value := getenv(v.Name)
		if value == "" {
			continue
		}
		if err := v.set(c, value); err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", v.Name, err))
		}
	}
	return errs
}

// parseAccounts reads a comma-separated list of [platform:][@]handle.
func parseAccounts(s string) ([]Account, error) {
	accts := []Account{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a := Account{Platform: PlatformX, Handle: part}
		if p, h, ok := strings.Cut(part, ":"); ok {
			a = Account{Platform: strings.TrimSpace(p), Handle: h}
			if a.Platform == "" {
				return nil, fmt.Errorf("%q is not [platform:]handle", part)
			}
		}
		a = a.normalized()
		if a.Handle == "" {
			return nil, fmt.Errorf("%q is not [platform:]handle", part)
		}
		accts = append(accts, a)
	}
	return accts, nil
}

// normalized returns a with the platform lower-cased (default "x") and the
// handle without surrounding space or a leading "@".
func (a Account) normalized() Account {
	a.Platform = strings.ToLower(strings.TrimSpace(a.Platform))
	if a.Platform == "" {
		a.Platform = PlatformX
	}
	a.Handle = strings.TrimPrefix(strings.TrimSpace(a.Handle), "@")
	return a
}
