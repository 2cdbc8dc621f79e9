package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone names in tests must not depend on the host
)

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// env returns a getenv backed by m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	got, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load(\"\", nil) error: %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(\"\", nil) = %+v, want Default() %+v", got, want)
	}
}

func TestLoadYAML(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(c *Config)
	}{
		{
			name: "empty file keeps defaults",
			yaml: "",
			want: func(*Config) {},
		},
		{
			name: "comments only keep defaults",
			yaml: "# nothing here\n",
			want: func(*Config) {},
		},
		{
			name: "partial section keeps the rest of its defaults",
			yaml: "log:\n  level: debug\n",
			want: func(c *Config) { c.Log.Level = "debug" },
		},
		{
			name: "accounts replace the list and lose their @",
			yaml: "accounts:\n  - handle: \"@SecondLady\"\n  - {platform: X, handle: WhiteHouse}\n",
			want: func(c *Config) {
				c.Accounts = []Account{
					{Platform: "x", Handle: "SecondLady"},
					{Platform: "x", Handle: "WhiteHouse"},
				}
			},
		},
		{
			name: "many sections",
			yaml: `data_dir: /var/lib/verbatim
log: {format: json, level: warn}
x:
  api_url: http://127.0.0.1:9999
  post_url: https://twitter.com/{handle}/status/{id}
schedule:
  tz: Europe/Paris
  capture: "@every 2m"
  report: "30 7 * * MON-FRI"
browser:
  path: /usr/bin/chromium
  tabs: 4
  timeout: 45s
  settle: delay
  settle_delay: 500ms
  max_screenshot_height: 8000
  allow_private_urls: true
server:
  addr: ":9090"
  public_url: https://verbatim.example.org
  open_writes: true
slack:
  report_channel: "#standards"
report:
  since: 48h
tsa:
  url: https://freetsa.org/tsr
`,
			want: func(c *Config) {
				c.DataDir = "/var/lib/verbatim"
				c.Log = Log{Format: "json", Level: "warn"}
				c.X.APIURL = "http://127.0.0.1:9999"
				c.X.PostURL = "https://twitter.com/{handle}/status/{id}"
				c.Schedule.TZ = "Europe/Paris"
				c.Schedule.Capture = "@every 2m"
				c.Schedule.Report = "30 7 * * MON-FRI"
				c.Browser = Browser{
					Path:                "/usr/bin/chromium",
					Tabs:                4,
					Timeout:             45 * time.Second,
					Settle:              "delay",
					SettleDelay:         500 * time.Millisecond,
					MaxScreenshotHeight: 8000,
					AllowPrivateURLs:    true,
				}
				c.Server.Addr = ":9090"
				c.Server.PublicURL = "https://verbatim.example.org"
				c.Server.OpenWrites = true
				c.Slack.ReportChannel = "#standards"
				c.Report.Since = 48 * time.Hour
				c.TSA.URL = "https://freetsa.org/tsr"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "verbatim.yaml", tt.yaml)
			got, err := Load(path, nil)
			if err != nil {
				t.Fatalf("Load error: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want func(c *Config)
	}{
		{"data", map[string]string{"VERBATIM_DATA": "/data"},
			func(c *Config) { c.DataDir = "/data" }},
		{"accounts with and without @ and platform", map[string]string{"VERBATIM_ACCOUNTS": " @VP, x:@Potus ,, X:WhiteHouse"},
			func(c *Config) {
				c.Accounts = []Account{{"x", "VP"}, {"x", "Potus"}, {"x", "WhiteHouse"}}
			}},
		{"accounts of only commas means none", map[string]string{"VERBATIM_ACCOUNTS": ","},
			func(c *Config) { c.Accounts = []Account{} }},
		{"log", map[string]string{"VERBATIM_LOG_FORMAT": "json", "VERBATIM_LOG_LEVEL": "debug"},
			func(c *Config) { c.Log = Log{Format: "json", Level: "debug"} }},
		{"x", map[string]string{
			"VERBATIM_X_API_URL":         "http://127.0.0.1:1",
			"VERBATIM_X_BEARER_TOKEN":    "b",
			"VERBATIM_X_CONSUMER_KEY":    "ck",
			"VERBATIM_X_CONSUMER_SECRET": "cs",
			"VERBATIM_X_ACCESS_TOKEN":    "at",
			"VERBATIM_X_ACCESS_SECRET":   "as",
		}, func(c *Config) {
			c.X.APIURL = "http://127.0.0.1:1"
			c.X.BearerToken = "b"
			c.X.ConsumerKey = "ck"
			c.X.ConsumerSecret = "cs"
			c.X.AccessToken = "at"
			c.X.AccessSecret = "as"
		}},
		{"tz", map[string]string{"VERBATIM_TZ": "America/New_York"},
			func(c *Config) { c.Schedule.TZ = "America/New_York" }},
		{"browser", map[string]string{
			"VERBATIM_BROWSER_PATH":       "/opt/chrome",
			"VERBATIM_BROWSER_TABS":       " 8 ",
			"VERBATIM_ALLOW_PRIVATE_URLS": "1",
		}, func(c *Config) {
			c.Browser.Path = "/opt/chrome"
			c.Browser.Tabs = 8
			c.Browser.AllowPrivateURLs = true
		}},
		{"allow private urls false", map[string]string{"VERBATIM_ALLOW_PRIVATE_URLS": "false"},
			func(*Config) {}},
		{"server", map[string]string{
			"VERBATIM_ADDR":       "0.0.0.0:80",
			"VERBATIM_PUBLIC_URL": "https://v.example",
			"VERBATIM_API_TOKEN":  "tok",
		}, func(c *Config) {
			c.Server.Addr = "0.0.0.0:80"
			c.Server.PublicURL = "https://v.example"
			c.Server.APIToken = "tok"
		}},
		{"slack", map[string]string{
			"VERBATIM_SLACK_SIGNING_SECRET": "sig",
			"VERBATIM_SLACK_BOT_TOKEN":      "xoxb",
			"VERBATIM_SLACK_API_URL":        "http://127.0.0.1:2/api/",
			"VERBATIM_SLACK_REPORT_CHANNEL": "C123",
		}, func(c *Config) {
			c.Slack = Slack{SigningSecret: "sig", BotToken: "xoxb", APIURL: "http://127.0.0.1:2/api/", ReportChannel: "C123"}
		}},
		{"tsa", map[string]string{"VERBATIM_TSA_URL": "https://tsa.example/tsr"},
			func(c *Config) { c.TSA.URL = "https://tsa.example/tsr" }},
		{"empty values are unset", map[string]string{"VERBATIM_DATA": "", "VERBATIM_BROWSER_TABS": ""},
			func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load("", env(tt.env))
			if err != nil {
				t.Fatalf("Load error: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	path := writeFile(t, "v.yaml", "browser:\n  tabs: 4\n  path: /from/file\n")

	t.Run("env overrides file", func(t *testing.T) {
		got, err := Load(path, env(map[string]string{"VERBATIM_BROWSER_TABS": "6"}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Browser.Tabs != 6 || got.Browser.Path != "/from/file" {
			t.Errorf("got tabs %d path %q, want 6 and /from/file", got.Browser.Tabs, got.Browser.Path)
		}
	})
	t.Run("VERBATIM_CONFIG names the file", func(t *testing.T) {
		got, err := Load("", env(map[string]string{EnvConfigFile: path}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Browser.Tabs != 4 {
			t.Errorf("got tabs %d, want 4", got.Browser.Tabs)
		}
	})
	t.Run("file argument beats VERBATIM_CONFIG", func(t *testing.T) {
		other := writeFile(t, "o.yaml", "browser: {tabs: 9}\n")
		got, err := Load(other, env(map[string]string{EnvConfigFile: path}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Browser.Tabs != 9 {
			t.Errorf("got tabs %d, want 9", got.Browser.Tabs)
		}
	})
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error; "FILE" stands for the path
	}{
		{"unknown top-level field", "data_dir: d\n\nbogus: 1\n",
			[]string{"FILE:3:", `unknown field "bogus"`}},
		{"unknown nested field", "browser:\n  tabs: 2\n  tabz: 3\n",
			[]string{"FILE:3:", `unknown field "tabz" in browser`}},
		{"unknown account field", "accounts:\n  - handle: VP\n    name: Vance\n",
			[]string{"FILE:3:", `unknown field "name" in accounts`}},
		{"wrong type", "browser:\n  tabs: many\n",
			[]string{"FILE:2:", "many"}},
		{"bare number for a duration", "browser:\n  timeout: 30\n",
			[]string{"FILE:2:", "time.Duration"}},
		{"syntax error", "log:\n  level: [debug\n",
			[]string{"FILE:"}},
		{"duplicate key", "log: {}\nlog: {}\n",
			[]string{"FILE:2:", "already defined"}},
		{"two documents", "log: {}\n---\nlog: {}\n",
			[]string{"FILE:", "more than one YAML document"}},
		{"not a mapping", "- a\n- b\n",
			[]string{"FILE:1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.yaml", tt.yaml)
			_, err := Load(path, nil)
			if err == nil {
				t.Fatal("Load error = nil, want an error")
			}
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "FILE", path)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error = %q, want it to contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("Load error = %q, want prefix %q", err, "config: ")
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.yaml")
		_, err := Load(path, nil)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load error = %v, want os.ErrNotExist", err)
		}
	})
}

func TestLoadRejectsSecretsInYAML(t *testing.T) {
	const secret = "zz-TOP-SECRET-9f3a"
	for _, v := range EnvVars() {
		if !v.Secret {
			continue
		}
		t.Run(v.Field, func(t *testing.T) {
			section, key, _ := strings.Cut(v.Field, ".")
			path := writeFile(t, "s.yaml", fmt.Sprintf("data_dir: d\n%s:\n  %s: %s\n", section, key, secret))
			_, err := Load(path, nil)
			if err == nil {
				t.Fatal("Load error = nil, want an error")
			}
			msg := err.Error()
			want := fmt.Sprintf("config: %s:3: %s: secrets are read only from the environment (%s)", path, v.Field, v.Name)
			if msg != want {
				t.Errorf("Load error = %q, want %q", msg, want)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("Load error %q contains the secret", msg)
			}
		})
	}

	t.Run("empty secret and alias are still rejected", func(t *testing.T) {
		path := writeFile(t, "s.yaml", "slack: &s\n  bot_token: \"\"\nx: {bearer_token: ~}\n")
		_, err := Load(path, nil)
		if err == nil {
			t.Fatal("Load error = nil, want an error")
		}
		for _, w := range []string{"slack.bot_token", "VERBATIM_SLACK_BOT_TOKEN", "x.bearer_token"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Load error = %q, want it to contain %q", err, w)
			}
		}
	})
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"tabs not a number", map[string]string{"VERBATIM_BROWSER_TABS": "abc"},
			[]string{`config: VERBATIM_BROWSER_TABS: "abc" is not an integer`}},
		{"bool", map[string]string{"VERBATIM_ALLOW_PRIVATE_URLS": "maybe"},
			[]string{"VERBATIM_ALLOW_PRIVATE_URLS", `"maybe"`}},
		{"account without handle", map[string]string{"VERBATIM_ACCOUNTS": "VP,x:"},
			[]string{"VERBATIM_ACCOUNTS", `"x:"`}},
		{"account without platform", map[string]string{"VERBATIM_ACCOUNTS": ":VP"},
			[]string{"VERBATIM_ACCOUNTS"}},
		{"account of a lone @", map[string]string{"VERBATIM_ACCOUNTS": "@"},
			[]string{"VERBATIM_ACCOUNTS"}},
		{"every bad variable is reported", map[string]string{
			"VERBATIM_BROWSER_TABS":       "2.5",
			"VERBATIM_ALLOW_PRIVATE_URLS": "yes please",
		}, []string{"VERBATIM_BROWSER_TABS", "VERBATIM_ALLOW_PRIVATE_URLS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", env(tt.env))
			if err == nil {
				t.Fatal("Load error = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.DataDir = ""
	c.Accounts = []Account{
		{Platform: "x", Handle: "VP"},
		{Platform: "x", Handle: "bad handle!"},
		{Platform: "mastodon", Handle: "someone"},
		{Platform: "x", Handle: "vp"},
	}
	c.Log = Log{Format: "xml", Level: "loud"}
	c.X.APIURL = "ftp://api.x.com"
	c.X.PostURL = "https://x.com/{handle}/status"
	c.X.EmbedURL = "https://x.com/{idd}/{id}"
	c.Schedule = Schedule{TZ: "Mars/Olympus", Capture: "*/5 * * *", Recheck: "61 * * * *",
		SnapshotRetry: "@fortnightly", Report: "0 6 * * 7"}
	c.Browser = Browser{Tabs: 17, Timeout: 0, Settle: "forever", SettleDelay: -time.Second, MaxScreenshotHeight: 0}
	c.Server = Server{Addr: "8080", PublicURL: "verbatim.example"}
	c.Slack.APIURL = "https://slack.com/api"
	c.Report.Since = -time.Hour
	c.TSA.URL = "https://"

	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want problems")
	}
	fields := []string{
		"data_dir",
		"accounts[1].handle",
		"accounts[2].platform",
		"accounts[3]",
		"log.format",
		"log.level",
		"x.api_url",
		"x.post_url",
		"x.embed_url",
		"schedule.tz",
		"schedule.capture",
		"schedule.recheck",
		"schedule.snapshot_retry",
		"schedule.report",
		"browser.tabs",
		"browser.timeout",
		"browser.settle",
		"browser.settle_delay",
		"browser.max_screenshot_height",
		"server.addr",
		"server.public_url",
		"slack.api_url",
		"report.since",
		"tsa.url",
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Validate() = %T, want Problems", err)
	}
	got := make([]string, len(ps))
	for i, p := range ps {
		got[i] = p.Field
	}
	if !reflect.DeepEqual(got, fields) {
		t.Errorf("problem fields:\n got %q\nwant %q", got, fields)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(fields) {
		t.Errorf("Validate() gave %d lines, want %d:\n%v", len(lines), len(fields), err)
	}
	for _, f := range fields {
		if !strings.Contains(err.Error(), "config: "+f+": ") {
			t.Errorf("Validate() = %q, want a line for %s", err, f)
		}
	}
	want := `config: accounts[1].handle: "bad handle!" is not a valid X handle (1–15 letters, digits or _)`
	if lines[1] != want {
		t.Errorf("line 2 = %q, want %q", lines[1], want)
	}
}

func TestValidateFields(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(c *Config)
		field string // "" means valid
	}{
		{"no accounts", func(c *Config) { c.Accounts = nil }, ""},
		{"15-character handle", func(c *Config) { c.Accounts[0].Handle = "abcdefghij_1234" }, ""},
		{"16-character handle", func(c *Config) { c.Accounts[0].Handle = "abcdefghij_12345" }, "accounts[0].handle"},
		{"handle with @", func(c *Config) { c.Accounts[1].Handle = "@VP2" }, "accounts[1].handle"},
		{"empty handle", func(c *Config) { c.Accounts[1].Handle = "" }, "accounts[1].handle"},
		{"duplicate ignores case", func(c *Config) { c.Accounts[1].Handle = "vP" }, "accounts[1]"},
		{"public url with path", func(c *Config) { c.Server.PublicURL = "https://example.org/verbatim/" }, ""},
		{"public url without scheme", func(c *Config) { c.Server.PublicURL = "example.org" }, "server.public_url"},
		{"x api url empty", func(c *Config) { c.X.APIURL = "" }, "x.api_url"},
		{"x api url bad", func(c *Config) { c.X.APIURL = "http://[::1" }, "x.api_url"},
		{"embed url without id", func(c *Config) { c.X.EmbedURL = "https://x.com/" }, "x.embed_url"},
		{"post url not http", func(c *Config) { c.X.PostURL = "file:///{id}" }, "x.post_url"},
		{"tz local name", func(c *Config) { c.Schedule.TZ = "Asia/Kolkata" }, ""},
		{"tz empty", func(c *Config) { c.Schedule.TZ = "" }, "schedule.tz"},
		{"cron with TZ prefix", func(c *Config) { c.Schedule.Capture = "CRON_TZ=UTC */5 * * * *" }, "schedule.capture"},
		{"cron empty", func(c *Config) { c.Schedule.Recheck = "" }, "schedule.recheck"},
		{"tabs 1", func(c *Config) { c.Browser.Tabs = 1 }, ""},
		{"tabs 16", func(c *Config) { c.Browser.Tabs = 16 }, ""},
		{"tabs 0", func(c *Config) { c.Browser.Tabs = 0 }, "browser.tabs"},
		{"settle delay", func(c *Config) { c.Browser.Settle = "delay" }, ""},
		{"negative timeout", func(c *Config) { c.Browser.Timeout = -time.Second }, "browser.timeout"},
		{"addr without host", func(c *Config) { c.Server.Addr = ":0" }, ""},
		{"addr ipv6", func(c *Config) { c.Server.Addr = "[::1]:8080" }, ""},
		{"addr port too big", func(c *Config) { c.Server.Addr = "localhost:70000" }, "server.addr"},
		{"addr named port", func(c *Config) { c.Server.Addr = "localhost:http" }, "server.addr"},
		{"slack url without slash", func(c *Config) { c.Slack.APIURL = "http://127.0.0.1:1/api" }, "slack.api_url"},
		{"report since zero", func(c *Config) { c.Report.Since = 0 }, "report.since"},
		{"tsa ftp", func(c *Config) { c.TSA.URL = "ftp://tsa.example" }, "tsa.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("Validate() = %v, want one problem", err)
			}
			if got := ps[0].Field; got != tt.field {
				t.Errorf("problem field = %q, want %q (%v)", got, tt.field, err)
			}
		})
	}
}

func TestCheckCron(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr string // "" means valid
	}{
		{"*/5 * * * *", ""},
		{"0 6 * * *", ""},
		{"0,30 8-18/2 1-15 JAN-jun mon-FRI", ""},
		{"? ? ? ? ?", ""},
		{"5/10 * * * *", ""},
		{"0 0 31 12 6", ""},
		{"  0 6 * * *  ", ""},
		{"@hourly", ""},
		{"@daily", ""},
		{"@midnight", ""},
		{"@weekly", ""},
		{"@monthly", ""},
		{"@yearly", ""},
		{"@annually", ""},
		{"@every 5m", ""},
		{"@every 1h30m", ""},
		{"", "empty"},
		{"* * * *", "has 4 fields, want 5"},
		{"0 * * * * *", "has 6 fields, want 5"},
		{"60 * * * *", "minute 60 is out of range 0-59"},
		{"* 24 * * *", "hour 24 is out of range 0-23"},
		{"* * 0 * *", "day-of-month 0 is out of range 1-31"},
		{"* * * 13 *", "month 13 is out of range 1-12"},
		{"* * * * 7", "day-of-week 7 is out of range 0-6"},
		{"* * * * MONDAY", `day-of-week "MONDAY" is not a number`},
		{"*/0 * * * *", `minute step "0" is not a positive number`},
		{"*/x * * * *", `minute step "x" is not a positive number`},
		{"10-5 * * * *", `minute range "10-5" runs backwards`},
		{"1-2-3 * * * *", `minute "2-3" is not a number`},
		{"1,,2 * * * *", "minute has an empty list item"},
		{"-1 * * * *", `minute "" is not a number`},
		{"@every", `unknown descriptor "@every"`},
		{"@every soon", `@every: "soon" is not a duration`},
		{"@every 10ms", "@every: 10ms is shorter than 1s"},
		{"@reboot", `unknown descriptor "@reboot"`},
		{"TZ=UTC 0 6 * * *", "set the time zone in schedule.tz"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			err := checkCron(tt.expr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkCron(%q) = %v, want nil", tt.expr, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("checkCron(%q) = nil, want %q", tt.expr, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("checkCron(%q) = %q, want it to contain %q", tt.expr, err, tt.wantErr)
			}
		})
	}
}

// secretEnv sets every secret to a distinctive value containing its name.
func secretEnv() map[string]string {
	m := map[string]string{}
	for _, v := range EnvVars() {
		if v.Secret {
			m[v.Name] = "s3cr3t-" + strings.ToLower(v.Name) + "-q7"
		}
	}
	return m
}

func TestRedacted(t *testing.T) {
	secrets := secretEnv()
	c, err := Load("", env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Redacted()
	for _, v := range EnvVars() {
		if !v.Secret {
			continue
		}
		if got := *v.str(&r); got != RedactedValue {
			t.Errorf("Redacted %s = %q, want %q", v.Field, got, RedactedValue)
		}
		if got, want := *v.str(&c), secrets[v.Name]; got != want {
			t.Errorf("original %s = %q, want %q (Redacted must not modify it)", v.Field, got, want)
		}
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(format, r)
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("Sprintf(%q, Redacted()) = %s, contains a secret", format, out)
		}
	}

	r.Accounts[0].Handle = "Changed"
	if c.Accounts[0].Handle == "Changed" {
		t.Error("Redacted shares Accounts with the original")
	}

	if got := Default().Redacted(); !reflect.DeepEqual(got, Default()) {
		t.Errorf("Default().Redacted() = %+v, want unset secrets left empty", got)
	}
}

func TestShowYAML(t *testing.T) {
	t.Run("secrets set", func(t *testing.T) {
		c, err := Load("", env(secretEnv()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.ShowYAML()
		if err != nil {
			t.Fatalf("ShowYAML error: %v", err)
		}
		if strings.Contains(string(out), "s3cr3t") {
			t.Errorf("ShowYAML contains a secret:\n%s", out)
		}
		for _, v := range EnvVars() {
			if !strings.Contains(string(out), "# "+v.Name+"\n") {
				t.Errorf("ShowYAML lacks a comment naming %s:\n%s", v.Name, out)
			}
			if v.Secret {
				_, key, _ := strings.Cut(v.Field, ".")
				want := fmt.Sprintf("%s: '%s' # %s", key, RedactedValue, v.Name)
				if !strings.Contains(string(out), want) {
					t.Errorf("ShowYAML lacks %q:\n%s", want, out)
				}
			}
		}
	})
	t.Run("secrets unset", func(t *testing.T) {
		out, err := Default().ShowYAML()
		if err != nil {
			t.Fatalf("ShowYAML error: %v", err)
		}
		for _, want := range []string{
			"bearer_token: " + UnsetValue + " # VERBATIM_X_BEARER_TOKEN",
			"data_dir: ./verbatim-data # VERBATIM_DATA",
			"timeout: 30s",
			"  - platform: x\n    handle: VP\n",
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("ShowYAML lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestEnvVarsTable(t *testing.T) {
	names := map[string]bool{}
	fields := map[string]bool{}
	for _, v := range EnvVars() {
		if !strings.HasPrefix(v.Name, "VERBATIM_") {
			t.Errorf("%s: want prefix VERBATIM_", v.Name)
		}
		if names[v.Name] || fields[v.Field] {
			t.Errorf("%s (%s) is listed twice", v.Name, v.Field)
		}
		names[v.Name], fields[v.Field] = true, true
		if v.Doc == "" || v.Field == "" || v.set == nil {
			t.Errorf("%s: incomplete entry %+v", v.Name, v)
		}
		if v.Secret && v.str == nil {
			t.Errorf("%s: secret without a string field", v.Name)
		}
	}

	// Every field tagged yaml:"-" is a secret with exactly one variable.
	var c Config
	tagged := map[*string]string{}
	cv := reflect.ValueOf(&c).Elem()
	for i := range cv.NumField() {
		sec := cv.Field(i)
		if sec.Kind() != reflect.Struct {
			continue
		}
		for j := range sec.NumField() {
			f := sec.Type().Field(j)
			if f.Tag.Get("yaml") == "-" {
				tagged[sec.Field(j).Addr().Interface().(*string)] = cv.Type().Field(i).Name + "." + f.Name
			}
		}
	}
	secrets := map[*string]string{}
	for _, v := range EnvVars() {
		if v.Secret {
			secrets[v.str(&c)] = v.Name
		}
	}
	for p, field := range tagged {
		if _, ok := secrets[p]; !ok {
			t.Errorf("field %s is tagged yaml:\"-\" but has no secret variable", field)
		}
	}
	for p, name := range secrets {
		if _, ok := tagged[p]; !ok {
			t.Errorf("secret %s points at a field not tagged yaml:\"-\"", name)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("data_dir: /d\naccounts:\n  - handle: \"@VP\"\n  - {platform: x, handle: Potus}\nbrowser:\n  tabs: 3\n  timeout: 10s\n"))
	f.Add([]byte("schedule:\n  tz: Europe/Paris\n  capture: \"@every 1m\"\n  report: \"0 6 * * MON-FRI\"\n"))
	f.Add([]byte("x:\n  bearer_token: leak\n"))
	f.Add([]byte("bogus: 1\n"))
	f.Add([]byte("a: &a [*a]\nlog: *a\n"))
	f.Add([]byte("browser: {tabs: many, timeout: 30}\n---\n"))
	f.Add([]byte("log: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, nil)
		if err != nil {
			return
		}
		var empty Config
		for _, v := range EnvVars() {
			if v.Secret && *v.str(&c) != *v.str(&empty) {
				t.Fatalf("secret %s was read from the file", v.Field)
			}
		}
		_ = c.Validate()
		if _, err := c.ShowYAML(); err != nil {
			t.Fatalf("ShowYAML error: %v", err)
		}
	})
}
