// Package bot is the one command router behind every front door: the web
// UI and JSON API (bot/web) and newsroom chat (bot/slack). It answers
// search, show, verify, capture, status and help; the transports only
// translate requests into its calls and its results into their formats.
package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/capture"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/verify"
)

// ErrNotAvailable is returned by commands the router was built without
// (no browser for verify and URL captures, no X API for account captures).
var ErrNotAvailable = errors.New("not available on this server")

// Router answers commands against one archive. Its function fields are the
// parts that need a browser or the X API; a nil one makes its commands
// return ErrNotAvailable.
type Router struct {
	DB      *sqlite.DB
	Checker *check.Checker
	// Guard decides which URLs may be fetched; every URL a front door
	// submits is checked with it first. Nil is the strict default: only
	// public addresses.
	Guard *netguard.Guard
	// FetchPage captures an article with the browser (kept as evidence)
	// and returns the page to check.
	FetchPage func(ctx context.Context, url string) (check.Page, error)
	// CaptureURL snapshots a URL with the browser.
	CaptureURL func(ctx context.Context, url string) (snapshot.Result, error)
	// CaptureAccounts runs a capture pass over accounts now.
	CaptureAccounts func(ctx context.Context, accounts []archive.Account) (capture.PassResult, error)
	// Next returns the next run of each scheduled job.
	Next func() map[string]time.Time
	// PostURL is the template of links to posts on X.
	PostURL string
}

// guard returns the router's guard, the strict default when none is set.
func (r *Router) guard() *netguard.Guard {
	if r.Guard == nil {
		return &netguard.Guard{}
	}
	return r.Guard
}

// Search runs a full-text search.
func (r *Router) Search(ctx context.Context, q sqlite.SearchQuery) (sqlite.SearchResult, error) {
	q.PostURL = r.PostURL
	return r.DB.Search(ctx, q)
}

// Show returns everything archived about a post, with word diffs between
// consecutive versions. A missing post wraps archive.ErrNotFound.
func (r *Router) Show(ctx context.Context, id string) (archive.PostDetail, error) {
	d, err := r.DB.Post(ctx, id, r.PostURL)
	if err != nil {
		return d, err
	}
	AddDiffs(&d)
	return d, nil
}

// AddDiffs sets each version's Diff to the word diff from the version
// before it.
func AddDiffs(d *archive.PostDetail) {
	for i := 1; i < len(d.Versions); i++ {
		d.Versions[i].Diff = verify.RenderText(verify.DiffWords(d.Versions[i-1].Text, d.Versions[i].Text))
	}
}

// CheckURL refuses what the guard refuses, then captures the article,
// checks its embeds and quotes against the archive and records the check.
func (r *Router) CheckURL(ctx context.Context, url string) (check.Report, error) {
	if r.FetchPage == nil {
		return check.Report{}, fmt.Errorf("verify: fetching pages: %w", ErrNotAvailable)
	}
	if err := r.guard().Check(ctx, url); err != nil {
		return check.Report{}, err
	}
	p, err := r.FetchPage(ctx, url)
	if err != nil {
		return check.Report{}, err
	}
	return r.CheckPage(ctx, p)
}

// CheckPage checks a page already in hand (an upload) and records the
// check.
func (r *Router) CheckPage(ctx context.Context, p check.Page) (check.Report, error) {
	rep, err := r.Checker.Check(ctx, p)
	if err != nil {
		return rep, err
	}
	if err := r.Checker.Save(ctx, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// CaptureReply is what a capture command did: a snapshot of a URL, or a
// capture pass over an account.
type CaptureReply struct {
	Snapshot *snapshot.Result    `json:"snapshot,omitempty"`
	Pass     *capture.PassResult `json:"pass,omitempty"`
}

// Capture snapshots a URL, or captures an account's new posts when target
// is an @handle.
func (r *Router) Capture(ctx context.Context, target string) (CaptureReply, error) {
	target = strings.TrimSpace(target)
	if strings.HasPrefix(target, "@") {
		if r.CaptureAccounts == nil {
			return CaptureReply{}, fmt.Errorf("capture %s: the X API: %w", target, ErrNotAvailable)
		}
		pass, err := r.CaptureAccounts(ctx, []archive.Account{{Platform: archive.PlatformX, Handle: archive.NormalizeHandleCase(target)}})
		return CaptureReply{Pass: &pass}, err
	}
	if r.CaptureURL == nil {
		return CaptureReply{}, fmt.Errorf("capture %s: the browser: %w", target, ErrNotAvailable)
	}
	if err := r.guard().Check(ctx, target); err != nil {
		return CaptureReply{}, err
	}
	res, err := r.CaptureURL(ctx, target)
	return CaptureReply{Snapshot: &res}, err
}

// Status is the state of the archive and its jobs.
type Status struct {
	Archive sqlite.Stats         `json:"archive"`
	Runs    []sqlite.JobRun      `json:"runs"`
	Failed  []sqlite.JobRun      `json:"failed"`
	Next    map[string]time.Time `json:"next,omitempty"`
	// Checkpoint is the latest signed checkpoint of the evidence ledger,
	// nil before the first.
	Checkpoint *ledger.Checkpoint `json:"checkpoint,omitempty"`
}

// Status reports what the archive holds, the last job runs and the failed
// ones among them, when each job runs next, and the latest checkpoint.
func (r *Router) Status(ctx context.Context) (Status, error) {
	var s Status
	var err error
	if s.Archive, err = r.DB.Stats(ctx); err != nil {
		return s, err
	}
	if s.Runs, err = r.DB.JobRuns(ctx, "", 20); err != nil {
		return s, err
	}
	s.Failed = []sqlite.JobRun{}
	for _, run := range s.Runs {
		if run.Error != "" {
			s.Failed = append(s.Failed, run)
		}
	}
	if r.Next != nil {
		s.Next = r.Next()
	}
	switch cp, err := r.DB.LatestCheckpoint(ctx); {
	case err == nil:
		s.Checkpoint = &cp
	case !errors.Is(err, archive.ErrNotFound):
		return s, err
	}
	return s, nil
}

// SearchParams are the query parameters of a search's page and API call
// (q, account, since, until, deleted, edited, media, limit, offset), as
// ParseSearchParams reads them.
func SearchParams(q sqlite.SearchQuery) url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Text)
	set("account", q.Account)
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	for k, on := range map[string]bool{"deleted": q.Deleted, "edited": q.Edited, "media": q.HasMedia} {
		if on {
			v.Set(k, "1")
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	return v
}

// ParseSearchParams reads a search from query parameters: q, account,
// since and until (dates, 2026-02-10, or RFC 3339 times; a date as until
// means the end of that day), deleted, edited and media ("1", "true" or
// "on"), limit and offset. Mistakes give an error wrapping
// sqlite.ErrQuery.
func ParseSearchParams(v url.Values) (sqlite.SearchQuery, error) {
	q := sqlite.SearchQuery{Text: strings.TrimSpace(v.Get("q")), Account: strings.TrimSpace(v.Get("account"))}
	var err error
	if q.Since, err = ParseWhen(v.Get("since"), false); err != nil {
		return q, fmt.Errorf("%w: since: %v", sqlite.ErrQuery, err)
	}
	if q.Until, err = ParseWhen(v.Get("until"), true); err != nil {
		return q, fmt.Errorf("%w: until: %v", sqlite.ErrQuery, err)
	}
	on := func(k string) bool {
		switch strings.ToLower(v.Get(k)) {
		case "1", "true", "on", "yes":
			return true
		}
		return false
	}
	q.Deleted, q.Edited, q.HasMedia = on("deleted"), on("edited"), on("media")
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &q.Limit, 1000}, {"offset", &q.Offset, 1 << 30}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > p.max {
			return q, fmt.Errorf("%w: %s must be a number from 0 to %d", sqlite.ErrQuery, p.name, p.max)
		}
		*p.dst = n
	}
	return q, nil
}

// ParseWhen reads a date (2026-02-10) or an RFC 3339 time. A bare date as
// an upper bound means the end of that day. "" is the zero time.
func ParseWhen(s string, upper bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (2026-02-10) or an RFC 3339 time (2026-02-10T15:04:05Z)", s)
	}
	if upper {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}
