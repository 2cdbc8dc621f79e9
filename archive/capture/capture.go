// Package capture is Verbatim's first job: a pass over the watched accounts
// that stores every new post from the X API with the raw page it came in,
// rechecks archived posts for edits and deletions on an age-based cadence,
// and downloads media into the blob store. Every API page is evidence: it
// is stored as a blob and recorded as a capture before any post derived
// from it, so a crash leaves at most an orphan blob.
package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/archive/xv1"
	"github.com/verbatim-archive/verbatim/verify"
)

// Runner runs capture passes, rechecks and media downloads. Its fields are
// set by the caller; X may be nil for media-only use.
type Runner struct {
	DB    *sqlite.DB
	Blobs *blob.Store
	X     *xapi.Client
	// V1 is the v1.1 client, used for timelines and rechecks when X is nil
	// (accounts that still have v1.1 access).
	V1 *xv1.Client
	// HTTP downloads media; http.DefaultClient when nil.
	HTTP *http.Client
	Log  *slog.Logger
	Now  func() time.Time
	// MediaMaxBytes caps one media download (default 512 MiB); larger
	// files are skipped and recorded as such.
	MediaMaxBytes int64
	// MediaTimeout bounds one media download (default 2 minutes).
	MediaTimeout time.Duration
	// PostURL is the template for links in reports.
	PostURL string
	// ResumeAfter is how old an unfinished API capture must be for Resume
	// to take it (DefaultResumeAfter when 0; every one when negative).
	ResumeAfter time.Duration
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// AccountResult reports one account's capture.
type AccountResult struct {
	Handle   string `json:"handle"`
	Pages    int    `json:"pages"`
	Posts    int    `json:"new_posts"`
	Versions int    `json:"new_versions"`
	Media    int    `json:"media_queued"`
	SinceID  string `json:"since_id,omitempty"`
	Status   string `json:"status"` // ok, not-found, suspended, protected, error
	Error    string `json:"error,omitempty"`
}

// PassResult reports one capture pass.
type PassResult struct {
	Accounts    []AccountResult `json:"accounts"`
	MediaStored int             `json:"media_stored"`
	MediaFailed int             `json:"media_failed"`
	// Resumed counts pages an earlier, killed pass stored but did not
	// finish, completed at the start of this one.
	Resumed int `json:"resumed,omitempty"`
}

// Counts summarises a pass for the job log.
func (p PassResult) Counts() map[string]int {
	c := map[string]int{"accounts": len(p.Accounts), "media_stored": p.MediaStored, "media_failed": p.MediaFailed}
	if p.Resumed > 0 {
		c["resumed_pages"] = p.Resumed
	}
	for _, a := range p.Accounts {
		c["pages"] += a.Pages
		c["new_posts"] += a.Posts
		c["new_versions"] += a.Versions
		if a.Status != "ok" {
			c["failed_accounts"]++
		}
	}
	return c
}

// fatal reports errors that end a whole pass rather than one account: bad
// credentials, a usage cap, cancellation.
func fatal(err error) bool {
	var ae *xapi.AuthError
	var uc *xapi.UsageCapError
	return errors.As(err, &ae) || errors.As(err, &uc) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// CaptureAccounts captures new posts of each account. A problem with one
// account (it does not exist, it is suspended, a page failed after retries)
// is recorded in its result and the pass goes on; bad credentials, a usage
// cap or cancellation end the pass with an error.
func (r *Runner) CaptureAccounts(ctx context.Context, accounts []archive.Account) (PassResult, error) {
	var res PassResult
	if r.X == nil && r.V1 == nil {
		return res, errors.New("capture: no X API client configured")
	}
	n, err := r.Resume(ctx)
	res.Resumed = n
	if err != nil {
		return res, err
	}
	for _, a := range accounts {
		ar, err := r.captureAccount(ctx, a)
		if err != nil {
			ar.Status = statusOf(err)
			ar.Error = err.Error()
			r.log().Warn("capture failed", "handle", a.Handle, "err", err)
		}
		res.Accounts = append(res.Accounts, ar)
		if err != nil && fatal(err) {
			return res, err
		}
	}
	return res, nil
}

func statusOf(err error) string {
	switch {
	case errors.Is(err, xapi.ErrUserNotFound):
		return "not-found"
	case errors.Is(err, xapi.ErrUserSuspended):
		return "suspended"
	case errors.Is(err, xapi.ErrProtected):
		return "protected"
	}
	return "error"
}

func (r *Runner) captureAccount(ctx context.Context, a archive.Account) (AccountResult, error) {
	if a.Platform == "" {
		a.Platform = archive.PlatformX
	}
	ar := AccountResult{Handle: a.Handle, Status: "ok"}
	st, err := r.DB.AccountByHandle(ctx, a.Platform, a.Handle)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return ar, err
	}
	if err != nil || st.Account.PlatformID == "" {
		lookup := func(ctx context.Context, h string) (archive.Account, error) {
			if r.X == nil {
				return r.V1.UserByScreenName(ctx, h)
			}
			return r.X.UserByUsername(ctx, h)
		}
		u, err := lookup(ctx, a.Handle)
		if err != nil {
			if st.ID != 0 && !fatal(err) {
				r.DB.SetAccountStatus(ctx, st.ID, statusOf(err))
			}
			return ar, fmt.Errorf("@%s: %w", a.Handle, err)
		}
		if st, err = r.DB.SaveAccount(ctx, u); err != nil {
			return ar, err
		}
	}
	w := r.DB.NewPostWriter()
	newest := st.SinceID
	page := 0
	if r.X == nil {
		err = r.V1.UserTimeline(ctx, st.Account.Handle, st.SinceID, func(raw []byte, posts []archive.Post) error {
			page++
			target := fmt.Sprintf("x-api-v1.1:/1.1/statuses/user_timeline.json?screen_name=%s&since_id=%s#page=%d", st.Account.Handle, st.SinceID, page)
			added, err := r.store(ctx, w, target, "x-v1.1", raw, 0, posts)
			if err != nil {
				return err
			}
			ar.Pages++
			ar.Posts += added.Posts
			ar.Versions += added.Versions
			ar.Media += added.media
			for _, post := range posts {
				if newerID(post.ID, newest) {
					newest = post.ID
				}
			}
			return nil
		})
		return r.finishAccount(ctx, st, a, ar, newest, err)
	}
	err = r.X.UserTweets(ctx, st.Account.PlatformID, xapi.TimelineOptions{SinceID: st.SinceID}, func(raw []byte, p *xapi.Page) error {
		page++
		target := fmt.Sprintf("x-api:/2/users/%s/tweets?since_id=%s#page=%d", st.Account.PlatformID, st.SinceID, page)
		added, err := r.storePage(ctx, w, target, raw, p)
		if err != nil {
			return err
		}
		ar.Pages++
		ar.Posts += added.Posts
		ar.Versions += added.Versions
		ar.Media += added.media
		for _, post := range p.Posts {
			if newerID(post.ID, newest) {
				newest = post.ID
			}
		}
		return nil
	})
	return r.finishAccount(ctx, st, a, ar, newest, err)
}

// finishAccount records the end of an account's timeline walk.
func (r *Runner) finishAccount(ctx context.Context, st sqlite.AccountState, a archive.Account, ar AccountResult, newest string, err error) (AccountResult, error) {
	if err != nil {
		if !fatal(err) {
			if s := statusOf(err); s != "error" {
				r.DB.SetAccountStatus(ctx, st.ID, s)
			}
		}
		return ar, fmt.Errorf("@%s: %w", a.Handle, err)
	}
	// Only a complete pass moves the account's position, so a pass cut
	// short is repeated from where the last complete one ended.
	if err := r.DB.SetAccountPosition(ctx, st.ID, newest); err != nil {
		return ar, err
	}
	ar.SinceID = newest
	return ar, nil
}

// newerID reports whether snowflake id a is newer than b.
func newerID(a, b string) bool {
	if b == "" {
		return true
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

type pageStats struct {
	sqlite.WriteStats
	media int
}

// storePage keeps a v2 API page as evidence, then the posts it carries.
func (r *Runner) storePage(ctx context.Context, w *sqlite.PostWriter, target string, raw []byte, p *xapi.Page) (pageStats, error) {
	return r.store(ctx, w, target, "x-v2", raw, len(p.Errors), p.Posts, p.Included)
}

// store keeps an API page as evidence (a blob, then a capture), then the
// posts it carries, then their media as pending downloads.
func (r *Runner) store(ctx context.Context, w *sqlite.PostWriter, target, format string, raw []byte, apiErrors int, lists ...[]archive.Post) (pageStats, error) {
	var ps pageStats
	ref, err := r.Blobs.Put(ctx, strings.NewReader(string(raw)))
	if err != nil {
		return ps, err
	}
	capID, err := r.DB.RecordCapture(ctx, sqlite.CaptureInput{
		Kind: "api", Target: target, Format: format,
		Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: ref.Size, SHA256: ref.SHA256}},
	})
	if err != nil {
		return ps, err
	}
	var items []sqlite.Item
	seen := make(map[string]bool)
	var posts []archive.Post
	for _, list := range lists {
		for _, post := range list {
			if seen[post.ID] {
				continue
			}
			seen[post.ID] = true
			items = append(items, sqlite.Item{Post: post, CaptureID: capID, Page: 1})
			posts = append(posts, post)
		}
	}
	if len(items) > 0 {
		if ps.WriteStats, err = w.Write(ctx, items); err != nil {
			return ps, err
		}
		if ps.media, err = r.DB.AddMedia(ctx, posts); err != nil {
			return ps, err
		}
	}
	detail := map[string]any{"added": ps.WriteStats, "api_errors": apiErrors}
	return ps, r.DB.CompleteCapture(ctx, capID, detail)
}

// DefaultResumeAfter is how old an unfinished API capture must be for
// Resume to take it: a younger one may belong to a pass still running in
// another process (taking it too would do no harm but twice the work).
const DefaultResumeAfter = 10 * time.Minute

// Resume completes the API captures a killed pass recorded but did not
// finish: each one's page is read back from the blob store, its posts
// written (those archived already count as unchanged) and their media
// queued, and the capture marked complete, with "resumed" in its detail.
// The posts come from the stored evidence, as they would have. A page
// that cannot be read or decoded is logged and left for the audit.
func (r *Runner) Resume(ctx context.Context) (int, error) {
	after := r.ResumeAfter
	if after == 0 {
		after = DefaultResumeAfter
	}
	before := r.now().Add(-after)
	if after < 0 {
		before = r.now().Add(time.Hour)
	}
	caps, err := r.DB.IncompleteCaptures(ctx, "api", before)
	if err != nil || len(caps) == 0 {
		return 0, err
	}
	w := r.DB.NewPostWriter()
	done := 0
	for _, c := range caps {
		posts, apiErrors, err := r.decodeStored(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			r.log().Warn("an unfinished API capture could not be resumed", "capture", c.ID, "target", c.Target, "err", err)
			continue
		}
		var items []sqlite.Item
		for _, p := range posts {
			items = append(items, sqlite.Item{Post: p, CaptureID: c.ID, Page: 1})
		}
		var st sqlite.WriteStats
		if len(items) > 0 {
			if st, err = w.Write(ctx, items); err != nil {
				return done, err
			}
			if _, err := r.DB.AddMedia(ctx, posts); err != nil {
				return done, err
			}
		}
		detail := map[string]any{"added": st, "api_errors": apiErrors, "resumed": true}
		if err := r.DB.CompleteCapture(ctx, c.ID, detail); err != nil {
			return done, err
		}
		r.log().Info("completed an API capture a killed pass left unfinished", "capture", c.ID, "target", c.Target,
			"posts", st.Posts, "versions", st.Versions)
		done++
	}
	return done, nil
}

// decodeStored reads an API capture's stored page and returns its posts,
// each once, in the order store wrote them.
func (r *Runner) decodeStored(ctx context.Context, c sqlite.IncompleteCapture) ([]archive.Post, int, error) {
	rc, err := r.Blobs.Open(ctx, c.Raw.SHA256)
	if err != nil {
		return nil, 0, err
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, 0, err
	}
	var lists [][]archive.Post
	apiErrors := 0
	switch c.Format {
	case "x-v2":
		p, err := xapi.DecodePage(raw)
		if err != nil {
			return nil, 0, err
		}
		lists, apiErrors = [][]archive.Post{p.Posts, p.Included}, len(p.Errors)
	case "x-v1.1":
		posts, err := xv1.DecodeStatuses(raw)
		if err != nil {
			return nil, 0, err
		}
		lists = [][]archive.Post{posts}
	default:
		return nil, 0, fmt.Errorf("unknown format %q", c.Format)
	}
	seen := make(map[string]bool)
	var out []archive.Post
	for _, list := range lists {
		for _, p := range list {
			if !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	return out, apiErrors, nil
}

// Change is an edit, deletion or other change noticed by a recheck.
type Change struct {
	ID     string `json:"id"`
	Handle string `json:"handle"`
	URL    string `json:"url"`
	Kind   string `json:"kind"` // edited, deleted, unavailable
	Detail string `json:"detail,omitempty"`
	// Diff is the word diff from the previous version, for edits.
	Diff string `json:"diff,omitempty"`
}

// RecheckResult reports a recheck pass.
type RecheckResult struct {
	Checked int      `json:"checked"`
	Changes []Change `json:"changes"`
}

// Counts summarises a recheck for the job log.
func (r RecheckResult) Counts() map[string]int {
	c := map[string]int{"checked": r.Checked}
	for _, ch := range r.Changes {
		c[ch.Kind]++
	}
	return c
}

// recheckBatch is the number of ids one lookup asks for.
const recheckBatch = 100

// Recheck looks up posts that are due (or all live posts) and records
// edits, deletions and posts that became unavailable. Only an explicit
// "Not Found" from the API marks a post deleted: network errors and 5xx
// end the pass without marking anything.
func (r *Runner) Recheck(ctx context.Context, all bool) (RecheckResult, error) {
	res := RecheckResult{Changes: []Change{}}
	if r.X == nil && r.V1 == nil {
		return res, errors.New("recheck: no X API client configured")
	}
	w := r.DB.NewPostWriter()
	var after int64
	for {
		due, err := r.DB.DuePosts(ctx, r.now(), all, after, 1000)
		if err != nil {
			return res, err
		}
		if len(due) == 0 {
			return res, nil
		}
		for i := 0; i < len(due); i += recheckBatch {
			batch := due[i:min(i+recheckBatch, len(due))]
			if err := r.recheckBatch(ctx, w, batch, &res); err != nil {
				return res, err
			}
			res.Checked += len(batch)
		}
		after = due[len(due)-1].Ord
		if !all && len(due) < 1000 {
			return res, nil
		}
	}
}

func (r *Runner) recheckBatch(ctx context.Context, w *sqlite.PostWriter, batch []sqlite.DuePost, res *RecheckResult) error {
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.LatestID
	}
	var edited []string
	var followUp []string
	statuses := make(map[string]string) // id -> new status
	details := make(map[string]string)
	lookup := func(ids []string) error {
		if r.X == nil {
			return r.V1.Lookup(ctx, ids, func(raw []byte, posts []archive.Post, missing []string) error {
				ps, err := r.store(ctx, w, "x-api-v1.1:/1.1/statuses/lookup.json?id="+strings.Join(ids, ","), "x-v1.1", raw, len(missing), posts)
				if err != nil {
					return err
				}
				edited = append(edited, ps.Edited...)
				for _, post := range posts {
					statuses[post.ID] = archive.StatusLive
				}
				// v1.1 answers null both for deleted posts and for posts these
				// credentials may not see, so it cannot prove a deletion.
				for _, id := range missing {
					statuses[id] = archive.StatusUnavailable
					details[id] = "not returned by the v1.1 lookup (deleted, or hidden from these credentials)"
				}
				return nil
			})
		}
		return r.X.Tweets(ctx, ids, func(raw []byte, p *xapi.Page) error {
			ps, err := r.storePage(ctx, w, "x-api:/2/tweets?ids="+strings.Join(ids, ","), raw, p)
			if err != nil {
				return err
			}
			edited = append(edited, ps.Edited...)
			for _, post := range p.Posts {
				statuses[post.ID] = archive.StatusLive
				// A version newer than any archived is fetched next.
				for _, h := range post.EditHistory {
					if _, err := r.DB.PostOrd(ctx, h); errors.Is(err, archive.ErrNotFound) && !seenIn(h, p.Posts, p.Included) {
						followUp = append(followUp, h)
					}
				}
			}
			for _, e := range p.Errors {
				id := e.ResourceID
				if id == "" {
					id = e.Value
				}
				switch {
				case id == "":
				case strings.Contains(e.Title, "Not Found"):
					statuses[id] = archive.StatusDeleted
					details[id] = e.Detail
				case strings.Contains(e.Title, "Authorization"), strings.Contains(e.Title, "Forbidden"), strings.Contains(e.Detail, "suspended"):
					statuses[id] = archive.StatusUnavailable
					details[id] = e.Title + ": " + e.Detail
				}
			}
			return nil
		})
	}
	if err := lookup(ids); err != nil {
		return fmt.Errorf("recheck: %w", err)
	}
	if len(followUp) > 0 {
		if err := lookup(followUp); err != nil {
			return fmt.Errorf("recheck: %w", err)
		}
	}
	for _, p := range batch {
		st, ok := statuses[p.LatestID]
		if !ok || st == archive.StatusLive {
			continue
		}
		changed, err := r.DB.SetPostStatus(ctx, p.LatestID, st, details[p.LatestID])
		if err != nil {
			return err
		}
		if changed {
			res.Changes = append(res.Changes, r.change(ctx, p.ID, st, details[p.LatestID]))
		}
	}
	for _, id := range unique(edited) {
		res.Changes = append(res.Changes, r.change(ctx, id, "edited", ""))
	}
	return r.DB.MarkChecked(ctx, batch)
}

func seenIn(id string, lists ...[]archive.Post) bool {
	for _, l := range lists {
		for _, p := range l {
			if p.ID == id {
				return true
			}
		}
	}
	return false
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// change describes a change to a post, with the word diff of an edit.
func (r *Runner) change(ctx context.Context, id, kind, detail string) Change {
	c := Change{ID: id, Kind: kind, Detail: detail}
	d, err := r.DB.Post(ctx, id, r.PostURL)
	if err != nil {
		return c
	}
	c.ID, c.Handle, c.URL = d.ID, d.Handle, d.URL
	if kind == "edited" && len(d.Versions) >= 2 {
		prev, cur := d.Versions[len(d.Versions)-2], d.Versions[len(d.Versions)-1]
		c.Diff = verify.RenderText(verify.DiffWords(prev.Text, cur.Text))
	}
	return c
}

// DownloadMedia downloads media whose download is due, each bounded by its
// own timeout and size cap, and records each result. A failure is retried
// later with backoff; it never affects the posts already archived.
func (r *Runner) DownloadMedia(ctx context.Context, limit int) (stored, failed int, err error) {
	items, err := r.DB.DueMedia(ctx, r.now(), limit)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range items {
		if ctx.Err() != nil {
			return stored, failed, ctx.Err()
		}
		art, status, err := r.download(ctx, m)
		if err == nil {
			if err := r.DB.MediaStored(ctx, m, art); err != nil {
				return stored, failed, err
			}
			stored++
			continue
		}
		failed++
		r.log().Warn("media download failed", "post", m.PostID, "url", m.URL, "err", err)
		if err := r.DB.MediaFailed(ctx, m, status, err.Error(), r.now().Add(mediaBackoff(m.Attempts))); err != nil {
			return stored, failed, err
		}
	}
	return stored, failed, nil
}

// mediaBackoff is the wait before retry n+1: exponential with jitter, at
// most a day.
func mediaBackoff(attempts int) time.Duration {
	d := time.Minute << min(attempts, 10)
	if d > 24*time.Hour {
		d = 24 * time.Hour
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (r *Runner) download(ctx context.Context, m sqlite.MediaItem) (archive.Artifact, string, error) {
	timeout := r.MediaTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	max := r.MediaMaxBytes
	if max == 0 {
		max = 512 << 20
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return archive.Artifact{}, "skipped", fmt.Errorf("media url: %w", err)
	}
	hc := r.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return archive.Artifact{}, "failed", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		status := "failed"
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			status = "failed" // may be a passing CDN fault; retried with backoff
		}
		return archive.Artifact{}, status, fmt.Errorf("media: HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > max {
		return archive.Artifact{}, "skipped", fmt.Errorf("media: %d bytes is over the %d-byte cap", resp.ContentLength, max)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "" {
		mt = "application/octet-stream"
	}
	lr := &capReader{r: resp.Body, left: max}
	ref, err := r.Blobs.Put(ctx, lr)
	if err != nil {
		if lr.over {
			return archive.Artifact{}, "skipped", fmt.Errorf("media: over the %d-byte cap", max)
		}
		return archive.Artifact{}, "failed", err
	}
	if resp.ContentLength >= 0 && ref.Size != resp.ContentLength {
		return archive.Artifact{}, "failed", fmt.Errorf("media: got %d of %d bytes", ref.Size, resp.ContentLength)
	}
	return archive.Artifact{Kind: "media", MediaType: mt, Size: ref.Size, SHA256: ref.SHA256}, "", nil
}

// capReader fails a read that goes past the cap, so an oversized download
// is never stored.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

var errOverCap = errors.New("over the size cap")

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
			return 0, errOverCap
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
