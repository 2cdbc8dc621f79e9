package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// AccountOptions tune AccountOverview. Zero values take the defaults.
type AccountOptions struct {
	// CaptureGap is the longest stretch between two API timeline captures
	// of the account, or from the last one to Now, that still counts as
	// covered (default 1 hour). A post made and deleted within a longer
	// stretch may never have been seen.
	CaptureGap time.Duration
	// PostGap is the longest stretch between two archived posts of the
	// account that is not reported (default 7 days). Longer silences are
	// either a quiet account or posts missing from the archive.
	PostGap time.Duration
	// Limit caps each list (deletions, gaps; default 100).
	Limit int
	// Now is the end of the last stretch since a capture; db's clock when
	// zero.
	Now time.Time
	// PostURL is the template for post URLs (archive.DefaultPostURL when
	// empty).
	PostURL string
}

// AccountOverview is what the archive knows about one account: its counts,
// the posts found deleted and the gaps in coverage.
type AccountOverview struct {
	Platform   string     `json:"platform"`
	PlatformID string     `json:"platform_id,omitempty"`
	Handle     string     `json:"handle"`
	Name       string     `json:"name"`
	Watched    bool       `json:"watched"`
	Status     string     `json:"status"` // active, protected, suspended, not-found
	StatusAt   *time.Time `json:"status_at,omitempty"`
	// CheckedAt is the end of the last complete timeline pass.
	CheckedAt *time.Time `json:"checked_at,omitempty"`
	Posts     int        `json:"posts"`
	Edited    int        `json:"edited"`
	Deleted   int        `json:"deleted"`
	FirstPost *time.Time `json:"first_post,omitempty"`
	LastPost  *time.Time `json:"last_post,omitempty"`
	// TimelineCaptures counts the API timeline pages captured.
	TimelineCaptures int        `json:"timeline_captures"`
	FirstCapture     *time.Time `json:"first_capture,omitempty"`
	LastCapture      *time.Time `json:"last_capture,omitempty"`
	Deletions        []Deletion `json:"deletions"`
	Gaps             []Gap      `json:"gaps"`
	// CaptureGap and PostGap are the thresholds the gaps were found with,
	// as Go durations ("1h0m0s").
	CaptureGap string `json:"capture_gap"`
	PostGap    string `json:"post_gap"`
}

// Deletion is a post found deleted (or unavailable) at source, with when
// that was first noticed.
type Deletion struct {
	archive.PostSummary
	NoticedAt *time.Time `json:"noticed_at,omitempty"`
}

// Gap kinds.
const (
	// GapCaptures is a stretch between two API timeline captures (or from
	// the last one to now) longer than AccountOptions.CaptureGap.
	GapCaptures = "captures"
	// GapPosts is a stretch between two archived posts longer than
	// AccountOptions.PostGap.
	GapPosts = "posts"
)

// Gap is a stretch of time in which the archive may have missed posts.
type Gap struct {
	Kind string    `json:"kind"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Open says the gap runs to now: nothing was captured since From.
	Open bool `json:"open,omitempty"`
}

// Length is how long the gap lasts.
func (g Gap) Length() time.Duration { return g.To.Sub(g.From) }

// AccountOverview returns the account with this handle (any case, with or
// without "@") on platform, or archive.ErrNotFound.
func (db *DB) AccountOverview(ctx context.Context, platform, handle string, opt AccountOptions) (AccountOverview, error) {
	if opt.CaptureGap <= 0 {
		opt.CaptureGap = time.Hour
	}
	if opt.PostGap <= 0 {
		opt.PostGap = 7 * 24 * time.Hour
	}
	if opt.Limit <= 0 {
		opt.Limit = 100
	}
	if opt.Now.IsZero() {
		opt.Now = db.now()
	}
	if opt.PostURL == "" {
		opt.PostURL = archive.DefaultPostURL
	}
	o := AccountOverview{CaptureGap: opt.CaptureGap.String(), PostGap: opt.PostGap.String(), Deletions: []Deletion{}, Gaps: []Gap{}}
	fail := func(err error) (AccountOverview, error) {
		return o, fmt.Errorf("account @%s: %w", archive.NormalizeHandleCase(handle), notFound(err))
	}
	var statusAt, checkedAt sql.NullString
	var watched int
	err := db.db.QueryRowContext(ctx, `SELECT platform, platform_id, handle, name, watched, status, status_at, checked_at
		FROM accounts WHERE platform = ? AND handle_lc = ? ORDER BY platform_id <> '' DESC, id LIMIT 1`,
		platform, archive.NormalizeHandle(handle)).Scan(&o.Platform, &o.PlatformID, &o.Handle, &o.Name, &watched, &o.Status, &statusAt, &checkedAt)
	if err != nil {
		return fail(err)
	}
	o.Watched = watched != 0
	o.StatusAt, o.CheckedAt = nullTime(statusAt), nullTime(checkedAt)
	// Every account row with this handle: an account first seen by its
	// handle alone and later by its id may have both.
	accounts := `(SELECT id FROM accounts WHERE platform = ? AND handle_lc = ?)`
	args := []any{platform, archive.NormalizeHandle(handle)}
	var first, last sql.NullString
	err = db.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(versions > 1 OR edit_ids LIKE '% %'), 0),
			coalesce(sum(status IN ('deleted', 'unavailable')), 0), min(created_at), max(created_at)
		FROM posts WHERE account_id IN `+accounts, args...).Scan(&o.Posts, &o.Edited, &o.Deleted, &first, &last)
	if err != nil {
		return fail(err)
	}
	o.FirstPost, o.LastPost = nullTime(first), nullTime(last)

	rows, err := db.db.QueryContext(ctx, `SELECT id, platform, handle, created_at, text, status, status_at FROM posts
		WHERE account_id IN `+accounts+` AND status IN ('deleted', 'unavailable')
		ORDER BY coalesce(status_at, created_at) DESC, ord DESC LIMIT ?`, append(args, opt.Limit)...)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var d Deletion
		var created string
		var at sql.NullString
		if err := rows.Scan(&d.ID, &d.Platform, &d.Handle, &created, &d.Text, &d.Status, &at); err != nil {
			rows.Close()
			return fail(err)
		}
		d.CreatedAt = parseTime(created)
		d.URL = archive.PostURL(opt.PostURL, d.Handle, d.ID)
		d.NoticedAt = nullTime(at)
		o.Deletions = append(o.Deletions, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}

	// Gaps between the API timeline captures of the account: v2 pages name
	// the user id, v1.1 pages the screen name.
	capCond := `kind = 'api' AND completed_at IS NOT NULL AND (target LIKE ? ESCAPE '\' OR target LIKE ? ESCAPE '\')`
	v2 := "x-api:/2/users/" + likeEscape(o.PlatformID) + "/tweets%"
	if o.PlatformID == "" {
		v2 = "\x00" // matches nothing
	}
	v1 := "x-api-v1.1:/1.1/statuses/user_timeline.json?screen_name=" + likeEscape(o.Handle) + "&%"
	capArgs := []any{v2, v1}
	var firstCap, lastCap sql.NullString
	err = db.db.QueryRowContext(ctx, `SELECT count(*), min(at), max(at) FROM captures WHERE `+capCond, capArgs...).Scan(
		&o.TimelineCaptures, &firstCap, &lastCap)
	if err != nil {
		return fail(err)
	}
	o.FirstCapture, o.LastCapture = nullTime(firstCap), nullTime(lastCap)
	secs := func(d time.Duration) float64 { return d.Seconds() }
	if o.TimelineCaptures > 0 {
		gaps, err := db.gaps(ctx, GapCaptures, `SELECT prev, at FROM (SELECT at, lag(at) OVER (ORDER BY at) AS prev FROM captures
			WHERE `+capCond+`) WHERE prev IS NOT NULL AND (julianday(at) - julianday(prev)) * 86400 > ?
			ORDER BY at DESC LIMIT ?`, append(capArgs, secs(opt.CaptureGap), opt.Limit)...)
		if err != nil {
			return fail(err)
		}
		// An account whose timeline is captured at all is expected to be
		// captured on: the stretch since the last capture counts too.
		if o.LastCapture != nil && opt.Now.Sub(*o.LastCapture) > opt.CaptureGap {
			o.Gaps = append(o.Gaps, Gap{Kind: GapCaptures, From: *o.LastCapture, To: opt.Now, Open: true})
		}
		o.Gaps = append(o.Gaps, gaps...)
	}
	gaps, err := db.gaps(ctx, GapPosts, `SELECT prev, created_at FROM (SELECT created_at, lag(created_at) OVER (ORDER BY ord) AS prev FROM posts
		WHERE account_id IN `+accounts+`) WHERE prev IS NOT NULL AND (julianday(created_at) - julianday(prev)) * 86400 > ?
		ORDER BY created_at DESC LIMIT ?`, append(args, secs(opt.PostGap), opt.Limit)...)
	if err != nil {
		return fail(err)
	}
	o.Gaps = append(o.Gaps, gaps...)
	return o, nil
}

// gaps runs a query of (from, to) pairs.
func (db *DB) gaps(ctx context.Context, kind, query string, args ...any) ([]Gap, error) {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Gap
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			return nil, err
		}
		out = append(out, Gap{Kind: kind, From: parseTime(from), To: parseTime(to)})
	}
	return out, rows.Err()
}

func nullTime(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

// likeEscape escapes LIKE's wildcards with a backslash.
func likeEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '_' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
