package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// What happened in the archive over a window of time, for the integrity
// report (archive/report). Every method reads [from, to): a time equal to
// to belongs to the next window.

// ActivityCounts are the totals of a window; the lists of the other
// methods may be cut at a limit, these never are.
type ActivityCounts struct {
	Captures int `json:"captures"`
	// Failed counts captures that produced nothing (verdict "error"),
	// Degraded those with any other verdict but "ok".
	Failed   int `json:"failed"`
	Degraded int `json:"degraded"`
	NewPosts int `json:"new_posts"`
	Edits    int `json:"edits"`
	// StatusChanges counts posts found deleted, unavailable or restored.
	StatusChanges int `json:"status_changes"`
	Articles      int `json:"articles"`
	Misquotes     int `json:"misquotes"`
	FailedJobs    int `json:"failed_jobs"`
}

// ActivityCounts returns the totals of the window.
func (db *DB) ActivityCounts(ctx context.Context, from, to time.Time) (ActivityCounts, error) {
	var c ActivityCounts
	f, t := formatTime(from), formatTime(to)
	err := db.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM captures WHERE at >= ?1 AND at < ?2),
		(SELECT count(*) FROM captures WHERE at >= ?1 AND at < ?2 AND verdict = 'error'),
		(SELECT count(*) FROM captures WHERE at >= ?1 AND at < ?2 AND verdict NOT IN ('ok', 'error')),
		(SELECT count(*) FROM posts WHERE first_seen >= ?1 AND first_seen < ?2),
		(SELECT count(*) FROM post_events WHERE at >= ?1 AND at < ?2 AND kind = 'edited'),
		(SELECT count(*) FROM post_events WHERE at >= ?1 AND at < ?2 AND kind <> 'edited'),
		(SELECT count(*) FROM articles WHERE checked_at >= ?1 AND checked_at < ?2),
		(SELECT coalesce(sum(coalesce(json_extract(result, '$.misquotes'), 0)), 0) FROM articles
			WHERE checked_at >= ?1 AND checked_at < ?2 AND json_valid(result)),
		(SELECT count(*) FROM job_runs WHERE started_at >= ?1 AND started_at < ?2 AND error <> '')`, f, t).Scan(
		&c.Captures, &c.Failed, &c.Degraded, &c.NewPosts, &c.Edits, &c.StatusChanges, &c.Articles, &c.Misquotes, &c.FailedJobs)
	if err != nil {
		return c, fmt.Errorf("activity counts: %w", friendly(err))
	}
	return c, nil
}

// AccountActivity is what the window added for one account: its new posts
// and the captures of it by kind. Handle "" gathers what belongs to no
// account (imports, lookups by id, article and URL snapshots).
type AccountActivity struct {
	Handle   string         `json:"handle"`
	NewPosts int            `json:"new_posts"`
	Captures int            `json:"captures"`
	ByKind   map[string]int `json:"by_kind"`
}

// captureHandle is the SQL of the account a capture c is of: the author of
// the post it snapshots or downloaded media of, else the account whose
// timeline an API page is (v2 pages name the user id, v1.1 pages the
// screen name), else ”.
const captureHandle = `coalesce(
	(SELECT coalesce(a.handle, p.handle) FROM posts p LEFT JOIN accounts a ON a.id = p.account_id WHERE p.ord = c.post_ord),
	CASE WHEN c.kind = 'api' AND c.target LIKE 'x-api:/2/users/%' THEN
		(SELECT a.handle FROM accounts a WHERE a.platform_id <> '' AND c.target LIKE 'x-api:/2/users/' || a.platform_id || '/%' ORDER BY a.id LIMIT 1)
	WHEN c.kind = 'api' AND c.target LIKE '` + v1TimelinePrefix + `%&%' THEN
		substr(c.target, length('` + v1TimelinePrefix + `') + 1, instr(c.target, '&') - length('` + v1TimelinePrefix + `') - 1)
	END, '')`

// v1TimelinePrefix starts the target of a v1.1 timeline page, whose screen
// name runs to the next '&'.
const v1TimelinePrefix = "x-api-v1.1:/1.1/statuses/user_timeline.json?screen_name="

// AccountActivity returns, for every account with new posts or captures in
// the window, how many; by handle, "" last.
func (db *DB) AccountActivity(ctx context.Context, from, to time.Time) ([]AccountActivity, error) {
	f, t := formatTime(from), formatTime(to)
	byHandle := map[string]*AccountActivity{}
	var order []string
	get := func(h string) *AccountActivity {
		a, ok := byHandle[h]
		if !ok {
			a = &AccountActivity{Handle: h, ByKind: map[string]int{}}
			byHandle[h] = a
			order = append(order, h)
		}
		return a
	}
	rows, err := db.db.QueryContext(ctx, `SELECT handle, kind, count(*) FROM
		(SELECT `+captureHandle+` AS handle, c.kind AS kind FROM captures c WHERE c.at >= ? AND c.at < ?)
		GROUP BY handle, kind`, f, t)
	if err != nil {
		return nil, fmt.Errorf("account activity: %w", friendly(err))
	}
	for rows.Next() {
		var h, kind string
		var n int
		if err := rows.Scan(&h, &kind, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("account activity: %w", err)
		}
		a := get(h)
		a.ByKind[kind] += n
		a.Captures += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account activity: %w", err)
	}
	rows, err = db.db.QueryContext(ctx, `SELECT coalesce(a.handle, p.handle, ''), count(*) FROM posts p LEFT JOIN accounts a ON a.id = p.account_id
		WHERE p.first_seen >= ? AND p.first_seen < ? GROUP BY 1`, f, t)
	if err != nil {
		return nil, fmt.Errorf("account activity: %w", friendly(err))
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("account activity: %w", err)
		}
		get(h).NewPosts += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account activity: %w", err)
	}
	out := make([]AccountActivity, 0, len(order))
	for _, h := range order {
		out = append(out, *byHandle[h])
	}
	sortActivity(out)
	return out, nil
}

// sortActivity orders accounts by handle, case-insensitively, with ""
// last.
func sortActivity(as []AccountActivity) {
	slices.SortStableFunc(as, func(a, b AccountActivity) int {
		if (a.Handle == "") != (b.Handle == "") {
			if a.Handle == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(strings.ToLower(a.Handle), strings.ToLower(b.Handle))
	})
}

// DayCount is the number of captures made on one UTC day (YYYY-MM-DD).
type DayCount struct {
	Day      string `json:"day"`
	Captures int    `json:"captures"`
}

// CapturesPerDay returns the captures of each UTC day in the window that
// has any, oldest first.
func (db *DB) CapturesPerDay(ctx context.Context, from, to time.Time) ([]DayCount, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT substr(at, 1, 10) AS day, count(*) FROM captures
		WHERE at >= ? AND at < ? GROUP BY day ORDER BY day`, formatTime(from), formatTime(to))
	if err != nil {
		return nil, fmt.Errorf("captures per day: %w", friendly(err))
	}
	defer rows.Close()
	var out []DayCount
	for rows.Next() {
		var d DayCount
		if err := rows.Scan(&d.Day, &d.Captures); err != nil {
			return nil, fmt.Errorf("captures per day: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// PostEvent is one thing noticed about a post: an edit (a new version),
// or that it was deleted, became unavailable or was restored.
type PostEvent struct {
	Kind      string    // edited, deleted, unavailable, restored
	At        time.Time // when it was noticed
	PostID    string    // the post's id (its first version's)
	Handle    string
	CreatedAt time.Time // when the post was made
	// Text is the post's newest text (for an edit, the new version's).
	Text string
	// VersionID and Before are, for an edit, the new version's id and the
	// text of the version before it ("" if none is archived); After is the
	// text of the version after it, when the version noticed is an earlier
	// one, seen after a later one ("" otherwise).
	VersionID string
	Before    string
	After     string
	// Detail is what the recheck said (a deletion's API error).
	Detail string
}

// PostEvents returns up to limit events noticed in the window, oldest
// first.
func (db *DB) PostEvents(ctx context.Context, from, to time.Time, limit int) ([]PostEvent, error) {
	// post_versions rather than the versions view: an edited post's
	// versions are all there (a second version materializes the first).
	rows, err := db.db.QueryContext(ctx, `SELECT e.kind, e.at, p.id, coalesce(a.handle, p.handle), p.created_at, p.text,
			coalesce(v.id, ''), coalesce(v.text, ''),
			coalesce((SELECT w.text FROM post_versions w WHERE w.post_ord = v.post_ord
				AND (w.seq < v.seq OR (w.seq = v.seq AND w.created_at < v.created_at))
				ORDER BY w.seq DESC, w.created_at DESC LIMIT 1), ''),
			coalesce((SELECT w.text FROM post_versions w WHERE w.post_ord = v.post_ord
				AND (w.seq > v.seq OR (w.seq = v.seq AND w.created_at > v.created_at))
				ORDER BY w.seq, w.created_at LIMIT 1), ''),
			coalesce(CAST(json_extract(e.detail, '$.detail') AS TEXT), '')
		FROM post_events e JOIN posts p ON p.ord = e.post_ord
		LEFT JOIN accounts a ON a.id = p.account_id
		LEFT JOIN post_versions v ON e.kind = 'edited' AND json_valid(e.detail) AND v.id = json_extract(e.detail, '$.version_id')
		WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id LIMIT ?`, formatTime(from), formatTime(to), limit)
	if err != nil {
		return nil, fmt.Errorf("post events: %w", friendly(err))
	}
	defer rows.Close()
	var out []PostEvent
	for rows.Next() {
		var e PostEvent
		var at, created, vtext string
		if err := rows.Scan(&e.Kind, &at, &e.PostID, &e.Handle, &created, &e.Text, &e.VersionID, &vtext, &e.Before, &e.After, &e.Detail); err != nil {
			return nil, fmt.Errorf("post events: %w", err)
		}
		e.At, e.CreatedAt = parseTime(at), parseTime(created)
		if e.VersionID != "" {
			e.Text = vtext
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CaptureProblem is a capture whose verdict is not "ok": a browser
// snapshot that failed ("error") or is degraded (login-wall, not-found,
// error-page, cookie-overlay, blank, timeout).
type CaptureProblem struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Format  string    `json:"format,omitempty"` // post, embed, article, url for snapshots
	Target  string    `json:"target"`
	At      time.Time `json:"at"`
	Verdict string    `json:"verdict"`
	Detail  string    `json:"detail,omitempty"`
	PostID  string    `json:"post_id,omitempty"`
	Handle  string    `json:"handle,omitempty"`
}

// CaptureProblems returns up to limit captures of the window whose verdict
// is not "ok", oldest first.
func (db *DB) CaptureProblems(ctx context.Context, from, to time.Time, limit int) ([]CaptureProblem, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT c.id, c.kind, c.format, c.target, c.at, c.verdict,
			CASE WHEN json_valid(c.detail) THEN coalesce(CAST(json_extract(c.detail, '$.verdict_detail') AS TEXT),
				CAST(json_extract(c.detail, '$.error') AS TEXT), '') ELSE '' END,
			coalesce(p.id, ''), coalesce(a.handle, p.handle, '')
		FROM captures c LEFT JOIN posts p ON p.ord = c.post_ord LEFT JOIN accounts a ON a.id = p.account_id
		WHERE c.at >= ? AND c.at < ? AND c.verdict <> 'ok' ORDER BY c.at, c.id LIMIT ?`, formatTime(from), formatTime(to), limit)
	if err != nil {
		return nil, fmt.Errorf("capture problems: %w", friendly(err))
	}
	defer rows.Close()
	var out []CaptureProblem
	for rows.Next() {
		var c CaptureProblem
		var at string
		if err := rows.Scan(&c.ID, &c.Kind, &c.Format, &c.Target, &at, &c.Verdict, &c.Detail, &c.PostID, &c.Handle); err != nil {
			return nil, fmt.Errorf("capture problems: %w", err)
		}
		c.At = parseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// FailedJobRuns returns up to limit job runs started in the window that
// ended with an error, oldest first.
func (db *DB) FailedJobRuns(ctx context.Context, from, to time.Time, limit int) ([]JobRun, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, job, started_at, ended_at, counts, error FROM job_runs
		WHERE started_at >= ? AND started_at < ? AND error <> '' ORDER BY id LIMIT ?`, formatTime(from), formatTime(to), limit)
	if err != nil {
		return nil, fmt.Errorf("failed job runs: %w", friendly(err))
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		var r JobRun
		var started, counts string
		var ended sql.NullString
		if err := rows.Scan(&r.ID, &r.Job, &started, &ended, &counts, &r.Error); err != nil {
			return nil, fmt.Errorf("failed job runs: %w", err)
		}
		r.Started, r.Ended = parseTime(started), nullTime(ended)
		_ = json.Unmarshal([]byte(counts), &r.Counts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ArticlesChecked returns up to limit article checks recorded in the
// window, oldest first.
func (db *DB) ArticlesChecked(ctx context.Context, from, to time.Time, limit int) ([]ArticleRecord, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, url, title, capture_id, checked_at, result FROM articles
		WHERE checked_at >= ? AND checked_at < ? ORDER BY checked_at, id LIMIT ?`, formatTime(from), formatTime(to), limit)
	if err != nil {
		return nil, fmt.Errorf("articles checked: %w", friendly(err))
	}
	defer rows.Close()
	var out []ArticleRecord
	for rows.Next() {
		var a ArticleRecord
		var at string
		var capID sql.NullInt64
		if err := rows.Scan(&a.ID, &a.URL, &a.Title, &capID, &at, &a.Result); err != nil {
			return nil, fmt.Errorf("articles checked: %w", err)
		}
		a.CaptureID, a.CheckedAt = capID.Int64, parseTime(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
