package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one invalid setting found by Validate.
type Problem struct {
	// Field is the YAML path of the setting, e.g. "accounts[1].handle".
	Field string
	// Message says what is wrong, quoting the value.
	Message string
}

// Error returns the problem as "config: field: message".
func (p Problem) Error() string {
	return "config: " + p.Field + ": " + p.Message
}

// Problems is the error Validate returns: every problem found, in field
// order.
type Problems []Problem

// Error returns one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Validate checks every setting and returns nil or Problems listing all that
// are wrong, each with its YAML path.
func (c Config) Validate() error {
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	oneOf := func(field, value string, allowed ...string) {
		if !slices.Contains(allowed, value) {
			add(field, "%q is not one of %s", value, strings.Join(allowed, ", "))
		}
	}
	checkURL := func(field, value string, required bool) {
		if value == "" && !required {
			return
		}
		if err := checkHTTPURL(value); err != nil {
			add(field, "%q %v", value, err)
		}
	}
	positive := func(field string, d time.Duration) {
		if d <= 0 {
			add(field, "%s must be greater than zero", d)
		}
	}

	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "must not be empty")
	}

	seen := make(map[Account]int, len(c.Accounts))
	for i, a := range c.Accounts {
		field := fmt.Sprintf("accounts[%d]", i)
		switch a.Platform {
		case PlatformX:
			if !validXHandle(a.Handle) {
				add(field+".handle", "%q is not a valid X handle (1–15 letters, digits or _)", a.Handle)
			}
		default:
			add(field+".platform", "%q is not a known platform (want %q)", a.Platform, PlatformX)
		}
		key := Account{Platform: strings.ToLower(a.Platform), Handle: strings.ToLower(a.Handle)}
		if j, dup := seen[key]; dup {
			add(field, "%s:@%s duplicates accounts[%d]", a.Platform, a.Handle, j)
		} else {
			seen[key] = i
		}
	}

	oneOf("log.format", c.Log.Format, "auto", "text", "json")
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")

	checkURL("x.api_url", c.X.APIURL, true)
	for _, t := range []struct{ field, value string }{
		{"x.post_url", c.X.PostURL},
		{"x.embed_url", c.X.EmbedURL},
	} {
		if err := checkTemplate(t.value); err != nil {
			add(t.field, "%q %v", t.value, err)
		}
	}

	if c.Schedule.TZ == "" {
		add("schedule.tz", `must not be empty (use "UTC")`)
	} else if _, err := time.LoadLocation(c.Schedule.TZ); err != nil {
		add("schedule.tz", "%q is not a known time zone", c.Schedule.TZ)
	}
	for _, s := range []struct{ field, expr string }{
		{"schedule.capture", c.Schedule.Capture},
		{"schedule.recheck", c.Schedule.Recheck},
		{"schedule.snapshot_retry", c.Schedule.SnapshotRetry},
		{"schedule.report", c.Schedule.Report},
	} {
		if err := checkCron(s.expr); err != nil {
			add(s.field, "%q is not a valid cron expression: %v", s.expr, err)
		}
	}

	if c.Browser.Tabs < 1 || c.Browser.Tabs > 16 {
		add("browser.tabs", "%d is not between 1 and 16", c.Browser.Tabs)
	}
	positive("browser.timeout", c.Browser.Timeout)
	oneOf("browser.settle", c.Browser.Settle, "network-idle", "delay")
	if c.Browser.SettleDelay < 0 {
		add("browser.settle_delay", "%s must not be negative", c.Browser.SettleDelay)
	}
	if c.Browser.MaxScreenshotHeight <= 0 {
		add("browser.max_screenshot_height", "%d must be greater than zero", c.Browser.MaxScreenshotHeight)
	}

	if c.Server.CacheTTL < 0 {
		add("server.cache_ttl", "%s must not be negative", c.Server.CacheTTL)
	}
	if err := checkAddr(c.Server.Addr); err != nil {
		add("server.addr", "%q %v", c.Server.Addr, err)
	}
	checkURL("server.public_url", c.Server.PublicURL, false)

	checkURL("slack.api_url", c.Slack.APIURL, true)
	if c.Slack.APIURL != "" && !strings.HasSuffix(c.Slack.APIURL, "/") {
		add("slack.api_url", "%q must end in /", c.Slack.APIURL)
	}

	positive("report.since", c.Report.Since)
	checkURL("tsa.url", c.TSA.URL, false)

	if len(ps) == 0 {
		return nil
	}
	return ps
}

// validXHandle reports whether h is 1 to 15 ASCII letters, digits or '_'.
func validXHandle(h string) bool {
	if len(h) < 1 || len(h) > 15 {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
		default:
			return false
		}
	}
	return true
}

// checkHTTPURL checks that s is an absolute http or https URL with a host.
// Its errors complete the sentence "<value> ...".
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("is not an http or https URL")
	}
	if u.Host == "" {
		return errors.New("has no host")
	}
	return nil
}

// checkTemplate checks a post URL template: it must contain {id}, may
// contain {handle}, and must be an http(s) URL once they are filled in.
func checkTemplate(s string) error {
	if !strings.Contains(s, "{id}") {
		return errors.New("does not contain {id}")
	}
	filled := strings.NewReplacer("{id}", "1", "{handle}", "h").Replace(s)
	if strings.ContainsAny(filled, "{}") {
		return errors.New("has a placeholder other than {id} and {handle}")
	}
	return checkHTTPURL(filled)
}

// checkAddr checks that s is host:port with a numeric port; the host may be
// empty (all interfaces).
func checkAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("is not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("has port %q, want a number from 0 to 65535", port)
	}
	return nil
}
