// Package config holds Verbatim's settings: the Config struct, its built-in
// defaults, loading from a YAML file and the environment, and validation.
//
// Settings are resolved in three layers: Default, then the YAML file, then
// environment variables (see EnvVars). Secrets (API tokens, signing secrets)
// are read only from the environment; a YAML file that sets one is rejected.
// Config is read by cmd/verbatim and plain values are passed down; no other
// package reads configuration or the environment.
package config

import "time"

// Platform names accepted in Account.Platform.
const (
	// PlatformX is X (formerly Twitter).
	PlatformX = "x"
)

// Config is the whole effective configuration of a Verbatim process.
type Config struct {
	// DataDir holds the SQLite archive, blobs and ledger.
	DataDir string `yaml:"data_dir"`
	// Accounts are the watched accounts.
	Accounts []Account `yaml:"accounts"`
	Log      Log       `yaml:"log"`
	X        X         `yaml:"x"`
	Schedule Schedule  `yaml:"schedule"`
	Browser  Browser   `yaml:"browser"`
	Server   Server    `yaml:"server"`
	Slack    Slack     `yaml:"slack"`
	Report   Report    `yaml:"report"`
	TSA      TSA       `yaml:"tsa"`
}

// Account is one watched account. Handle is stored without a leading "@",
// with its case preserved.
type Account struct {
	Platform string `yaml:"platform"`
	Handle   string `yaml:"handle"`
}

// Log configures the process logger.
type Log struct {
	// Format is "auto" (text on a terminal, JSON otherwise), "text" or "json".
	Format string `yaml:"format"`
	// Level is "debug", "info", "warn" or "error".
	Level string `yaml:"level"`
}

// X configures access to X. The token fields are secrets and are read only
// from the environment.
type X struct {
	APIURL string `yaml:"api_url"`
	// BearerToken is the app-only token for the v2 API.
	BearerToken string `yaml:"-"`
	// ConsumerKey, ConsumerSecret, AccessToken and AccessSecret are the
	// OAuth1 credentials for the v1.1 API.
	ConsumerKey    string `yaml:"-"`
	ConsumerSecret string `yaml:"-"`
	AccessToken    string `yaml:"-"`
	AccessSecret   string `yaml:"-"`
	// PostURL is the public URL of a post; {handle} and {id} are replaced.
	PostURL string `yaml:"post_url"`
	// EmbedURL is the embed page of a post; {id} is replaced.
	EmbedURL string `yaml:"embed_url"`
}

// Schedule holds the cron expressions of the background jobs. Each is five
// standard fields (minute hour day-of-month month day-of-week) or a
// descriptor such as "@hourly" or "@every 5m".
type Schedule struct {
	// TZ is the time zone the expressions are read in (a CRON_TZ name).
	TZ            string `yaml:"tz"`
	Capture       string `yaml:"capture"`
	Recheck       string `yaml:"recheck"`
	SnapshotRetry string `yaml:"snapshot_retry"`
	Report        string `yaml:"report"`
}

// Browser configures the headless Chromium pool used for snapshots.
type Browser struct {
	// Path is the Chromium executable; empty means search for one.
	Path string `yaml:"path"`
	// Tabs is the number of pages captured concurrently.
	Tabs int `yaml:"tabs"`
	// Timeout bounds one page capture.
	Timeout time.Duration `yaml:"timeout"`
	// Settle is how a page is judged ready: "network-idle" or "delay".
	Settle string `yaml:"settle"`
	// SettleDelay is how long to wait after load when Settle is "delay".
	SettleDelay time.Duration `yaml:"settle_delay"`
	// MaxScreenshotHeight caps full-page screenshots, in CSS pixels.
	MaxScreenshotHeight int `yaml:"max_screenshot_height"`
	// AllowPrivateURLs permits loopback and private addresses (tests, demo).
	AllowPrivateURLs bool `yaml:"allow_private_urls"`
}

// Server configures the web UI, JSON API and chat endpoints.
type Server struct {
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// PublicURL is the externally visible base URL, used in links.
	PublicURL string `yaml:"public_url"`
	// APIToken guards write endpoints; a secret.
	APIToken string `yaml:"-"`
	// OpenWrites allows write endpoints without a token.
	OpenWrites bool `yaml:"open_writes"`
	// CacheTTL is how long a page or API answer may be served again
	// without asking the archive (0: never).
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// Slack configures the Slack integration. SigningSecret and BotToken are
// secrets.
type Slack struct {
	SigningSecret string `yaml:"-"`
	BotToken      string `yaml:"-"`
	// APIURL is the Web API base, ending in "/".
	APIURL string `yaml:"api_url"`
	// ReportChannel receives the scheduled integrity report.
	ReportChannel string `yaml:"report_channel"`
}

// Report configures the integrity report.
type Report struct {
	// Since is the period a report covers, ending now.
	Since time.Duration `yaml:"since"`
}

// TSA configures RFC 3161 timestamping; an empty URL disables it.
type TSA struct {
	URL string `yaml:"url"`
}

// Default returns the built-in configuration that Load starts from.
func Default() Config {
	return Config{
		DataDir: "./verbatim-data",
		Accounts: []Account{
			{Platform: PlatformX, Handle: "VP"},
			{Platform: PlatformX, Handle: "VPPressSec"},
		},
		Log: Log{Format: "auto", Level: "info"},
		X: X{
			APIURL:   "https://api.x.com",
			PostURL:  "https://x.com/{handle}/status/{id}",
			EmbedURL: "https://platform.twitter.com/embed/Tweet.html?id={id}",
		},
		Schedule: Schedule{
			TZ:            "UTC",
			Capture:       "*/5 * * * *",
			Recheck:       "*/15 * * * *",
			SnapshotRetry: "*/30 * * * *",
			Report:        "0 6 * * *",
		},
		Browser: Browser{
			Tabs:                2,
			Timeout:             30 * time.Second,
			Settle:              "network-idle",
			SettleDelay:         2 * time.Second,
			MaxScreenshotHeight: 16384,
		},
		Server: Server{Addr: "127.0.0.1:8080", CacheTTL: 2 * time.Second},
		Slack:  Slack{APIURL: "https://slack.com/api/"},
		Report: Report{Since: 24 * time.Hour},
	}
}
