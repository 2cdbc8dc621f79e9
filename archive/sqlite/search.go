package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// SearchQuery is a full-text search with filters.
type SearchQuery struct {
	Text     string    // user query syntax (see ParseQuery); empty lists by filters
	Account  string    // handle, with or without "@", any case
	Since    time.Time // inclusive
	Until    time.Time // exclusive
	Deleted  bool      // only posts deleted at source
	Edited   bool      // only posts with more than one version
	HasMedia bool      // only posts with media
	Limit    int       // default 20, at most 1000
	Offset   int
	// PostURL is the template for result URLs (archive.DefaultPostURL when empty).
	PostURL string
}

// SearchResult is a page of results, newest first, and the total count.
type SearchResult struct {
	Total int `json:"total"`
	// TotalCapped says Total stopped counting at MaxCount.
	TotalCapped bool                  `json:"total_capped,omitempty"`
	Results     []archive.PostSummary `json:"results"`
}

// MaxCount is where counting matches stops: a query matching half the
// archive answers "more than 10,000" at once instead of counting them all.
// Counts that need each post's row (filters by account, status, media)
// stop at MaxFilteredCount.
const (
	MaxCount         = 10000
	MaxFilteredCount = 1000
)

// Search runs a full-text query. Matches are ordered newest first, which
// FTS5 delivers in index order, so a query stops after the page it needs.
func (db *DB) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	var res SearchResult
	if q.Limit <= 0 {
		q.Limit = 20
	}
	if q.Limit > 1000 {
		q.Limit = 1000
	}
	if q.PostURL == "" {
		q.PostURL = archive.DefaultPostURL
	}
	var where []string
	var args []any
	useFTS := strings.TrimSpace(q.Text) != ""
	key := "p.ord"
	if useFTS {
		match, err := ParseQuery(q.Text)
		if err != nil {
			return res, err
		}
		where = append(where, "posts_fts MATCH ?")
		args = append(args, match)
		key = "posts_fts.rowid"
	}
	// Keys are times (to the millisecond) since X's epoch: a time range is
	// a key range, which FTS5 applies as it walks its index. Only bounds
	// before the epoch need the posts' own times.
	postFilters := false
	if !q.Since.IsZero() {
		where = append(where, key+" >= ?")
		args = append(args, archive.SnowflakeAt(q.Since))
	}
	if !q.Until.IsZero() {
		if q.Until.After(twitterEpoch) {
			where = append(where, key+" < ?")
			args = append(args, archive.SnowflakeAt(q.Until))
		} else {
			where = append(where, "p.created_at < ?")
			args = append(args, formatTime(q.Until))
			postFilters = true
		}
	}
	if q.Account != "" {
		where = append(where, "p.account_id IN (SELECT id FROM accounts WHERE handle_lc = ?)")
		args = append(args, archive.NormalizeHandle(q.Account))
		postFilters = true
	}
	if q.Deleted {
		where = append(where, "p.status = 'deleted'")
		postFilters = true
	}
	if q.Edited {
		where = append(where, "(p.versions > 1 OR p.edit_ids LIKE '% %')")
		postFilters = true
	}
	if q.HasMedia {
		where = append(where, "p.has_media = 1")
		postFilters = true
	}
	from := "posts p"
	snippet := "''"
	if useFTS {
		from = "posts_fts JOIN posts p ON p.ord = posts_fts.rowid"
		snippet = "snippet(posts_fts, -1, char(2), char(3), '…', 24)"
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := db.db.QueryContext(ctx, `SELECT p.id, p.platform, p.handle, p.created_at, p.text, p.status, `+snippet+`
		FROM `+from+cond+` ORDER BY `+key+` DESC LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return res, searchErr(err)
	}
	defer rows.Close()
	res.Results = []archive.PostSummary{}
	for rows.Next() {
		var s archive.PostSummary
		var created string
		if err := rows.Scan(&s.ID, &s.Platform, &s.Handle, &created, &s.Text, &s.Status, &s.Snippet); err != nil {
			return res, searchErr(err)
		}
		s.CreatedAt = parseTime(created)
		s.URL = archive.PostURL(q.PostURL, s.Handle, s.ID)
		res.Results = append(res.Results, s)
	}
	if err := rows.Err(); err != nil {
		return res, searchErr(err)
	}
	if len(res.Results) < q.Limit && (q.Offset == 0 || len(res.Results) > 0) {
		res.Total = q.Offset + len(res.Results)
		return res, nil
	}
	// Count, up to MaxCount; from the index alone when no filter needs the
	// posts themselves.
	countFrom := from
	max := MaxFilteredCount
	if !postFilters {
		max = MaxCount
		if useFTS {
			countFrom = "posts_fts"
			cond = strings.ReplaceAll(cond, "posts_fts.rowid", "rowid")
		}
	}
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+countFrom+cond+` LIMIT ?)`,
		append(args, max+1)...).Scan(&res.Total); err != nil {
		return res, searchErr(err)
	}
	if res.Total > max {
		res.Total, res.TotalCapped = max, true
	}
	return res, nil
}

var twitterEpoch = time.UnixMilli(1288834974657)

// searchErr keeps FTS5's complaints to one line.
func searchErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "fts5") {
		return qerr("%s", strings.TrimSpace(msg[strings.Index(msg, "fts5"):]))
	}
	return fmt.Errorf("search: %w", friendly(err))
}

// Post returns everything archived about a post, by the id of any of its
// versions, or archive.ErrNotFound.
func (db *DB) Post(ctx context.Context, id, postURL string) (archive.PostDetail, error) {
	var d archive.PostDetail
	if postURL == "" {
		postURL = archive.DefaultPostURL
	}
	id = strings.TrimSpace(id)
	var ord int64
	err := db.db.QueryRowContext(ctx, `SELECT post_ord FROM versions WHERE id = ?
		UNION ALL SELECT ord FROM posts WHERE id = ?
		UNION ALL SELECT post_ord FROM edit_links WHERE id = ? LIMIT 1`, id, id, id).Scan(&ord)
	if err != nil {
		return d, fmt.Errorf("post %s: %w", id, notFound(err))
	}
	var created, firstSeen, lastSeen, editIDs string
	var statusAt, authorID sql.NullString
	err = db.db.QueryRowContext(ctx, `SELECT p.id, p.platform, p.handle, p.author_name, a.platform_id, p.created_at, p.text, p.status,
			p.status_at, p.latest_id, p.edit_ids, p.first_seen, p.last_seen
		FROM posts p LEFT JOIN accounts a ON a.id = p.account_id WHERE p.ord = ?`, ord).Scan(
		&d.ID, &d.Platform, &d.Handle, &d.AuthorName, &authorID, &created, &d.Text, &d.Status,
		&statusAt, &d.LatestID, &editIDs, &firstSeen, &lastSeen)
	if err != nil {
		return d, fmt.Errorf("post %s: %w", id, notFound(err))
	}
	d.AuthorID = authorID.String
	d.CreatedAt = parseTime(created)
	d.FirstSeen = parseTime(firstSeen)
	d.LastSeen = parseTime(lastSeen)
	if statusAt.Valid {
		t := parseTime(statusAt.String)
		d.StatusAt = &t
	}
	d.EditHistory = strings.Fields(editIDs)
	d.URL = archive.PostURL(postURL, d.Handle, d.ID)

	rows, err := db.db.QueryContext(ctx, `SELECT id, seq, created_at, text, first_seen, capture_id, page, detail
		FROM versions WHERE post_ord = ? ORDER BY seq, created_at`, ord)
	if err != nil {
		return d, fmt.Errorf("post %s: %w", id, err)
	}
	defer rows.Close()
	d.Versions = []archive.Version{}
	for rows.Next() {
		var v archive.Version
		var created, seen, detail string
		var capID sql.NullInt64
		if err := rows.Scan(&v.ID, &v.Seq, &created, &v.Text, &seen, &capID, &v.Page, &detail); err != nil {
			return d, fmt.Errorf("post %s: %w", id, err)
		}
		v.CreatedAt = parseTime(created)
		v.FirstSeen = parseTime(seen)
		v.CaptureID = capID.Int64
		var vd versionDetail
		if err := json.Unmarshal([]byte(detail), &vd); err == nil {
			v.Media = vd.Media
			v.ReplyToID = vd.ReplyToID
			v.QuotedID = vd.QuotedID
		}
		d.Versions = append(d.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("post %s: %w", id, err)
	}
	caps, err := db.capturesWhere(ctx, `c.post_ord = ? OR c.id IN (SELECT capture_id FROM versions WHERE post_ord = ?)`, ord, ord)
	if err != nil {
		return d, fmt.Errorf("post %s: %w", id, err)
	}
	d.Captures = []archive.CaptureSummary{}
	for _, c := range caps {
		arts := c.Artifacts
		if arts == nil {
			arts = []archive.Artifact{}
		}
		d.Captures = append(d.Captures, archive.CaptureSummary{ID: c.ID, Kind: c.Kind, Target: c.Target, At: c.At, Verdict: c.Verdict, Artifacts: arts})
	}
	if d.Articles, err = db.ArticlesQuoting(ctx, ord); err != nil {
		return d, fmt.Errorf("post %s: %w", id, err)
	}
	if d.Articles == nil {
		d.Articles = []archive.ArticleRef{}
	}
	return d, nil
}

// Stats counts what the archive holds.
type Stats struct {
	Accounts  int `json:"accounts"`
	Posts     int `json:"posts"`
	Versions  int `json:"versions"`
	Deleted   int `json:"deleted"`
	Captures  int `json:"captures"`
	Artifacts int `json:"artifacts"`
}

// CountVersionsSQL is an SQL expression for the number of post versions
// archived: the rows of post_versions, and one for every post that keeps
// its only version in its own row, which are the posts without rows there
// (migration 7). Each part is an index scan; counting the versions view
// would read every post.
const CountVersionsSQL = `((SELECT count(*) FROM post_versions) + (SELECT count(*) FROM posts) -
	(SELECT count(*) FROM (SELECT DISTINCT post_ord FROM post_versions)))`

// Stats returns counts of what the archive holds.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := db.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM accounts), (SELECT count(*) FROM posts), `+CountVersionsSQL+`,
		(SELECT count(*) FROM posts WHERE status = 'deleted'), (SELECT count(*) FROM captures), (SELECT count(*) FROM artifacts)`).Scan(
		&s.Accounts, &s.Posts, &s.Versions, &s.Deleted, &s.Captures, &s.Artifacts)
	if err != nil {
		return s, fmt.Errorf("stats: %w", friendly(err))
	}
	return s, nil
}

// EachPost calls fn for every post, oldest first, with the same fields as
// search results.
func (db *DB) EachPost(ctx context.Context, postURL string, fn func(archive.PostSummary) error) error {
	if postURL == "" {
		postURL = archive.DefaultPostURL
	}
	rows, err := db.db.QueryContext(ctx, `SELECT id, platform, handle, created_at, text, status FROM posts ORDER BY ord`)
	if err != nil {
		return fmt.Errorf("posts: %w", friendly(err))
	}
	defer rows.Close()
	for rows.Next() {
		var s archive.PostSummary
		var created string
		if err := rows.Scan(&s.ID, &s.Platform, &s.Handle, &created, &s.Text, &s.Status); err != nil {
			return err
		}
		s.CreatedAt = parseTime(created)
		s.URL = archive.PostURL(postURL, s.Handle, s.ID)
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SnapshotWARCs calls fn with the hash of every stored WARC artifact, in
// capture order, optionally only for the given capture ids.
func (db *DB) SnapshotWARCs(ctx context.Context, ids []int64, fn func(captureID int64, sha256 string) error) error {
	q := `SELECT a.capture_id, a.sha256 FROM artifacts a WHERE a.kind = 'warc'`
	var args []any
	if len(ids) > 0 {
		q += ` AND a.capture_id IN (` + strings.Repeat("?,", len(ids)-1) + `?)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := db.db.QueryContext(ctx, q+` ORDER BY a.capture_id`, args...)
	if err != nil {
		return fmt.Errorf("warc artifacts: %w", friendly(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sum string
		if err := rows.Scan(&id, &sum); err != nil {
			return err
		}
		if err := fn(id, sum); err != nil {
			return err
		}
	}
	return rows.Err()
}
