package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

// AccountState is an account with its capture position.
type AccountState struct {
	ID        int64
	Account   archive.Account
	Status    string
	SinceID   string
	CheckedAt time.Time
}

// AccountByHandle returns the account with this handle (any case, with or
// without "@"), or archive.ErrNotFound.
func (db *DB) AccountByHandle(ctx context.Context, platform, handle string) (AccountState, error) {
	var s AccountState
	var checked sql.NullString
	err := db.db.QueryRowContext(ctx, `SELECT id, platform, platform_id, handle, name, status, since_id, checked_at
		FROM accounts WHERE platform = ? AND handle_lc = ? ORDER BY platform_id <> '' DESC, id LIMIT 1`,
		platform, archive.NormalizeHandle(handle)).Scan(&s.ID, &s.Account.Platform, &s.Account.PlatformID,
		&s.Account.Handle, &s.Account.Name, &s.Status, &s.SinceID, &checked)
	if err != nil {
		return s, fmt.Errorf("account @%s: %w", archive.NormalizeHandleCase(handle), notFound(err))
	}
	if checked.Valid {
		s.CheckedAt = parseTime(checked.String)
	}
	return s, nil
}

// SaveAccount records an account as watched (creating or updating it) and
// returns its state.
func (db *DB) SaveAccount(ctx context.Context, a archive.Account) (AccountState, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		r, err := upsertAccount(ctx, tx, a, formatTime(db.now()))
		if err != nil {
			return err
		}
		id = r.id
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET watched = 1 WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return AccountState{}, fmt.Errorf("save account: %w", err)
	}
	return db.AccountByHandle(ctx, a.Platform, a.Handle)
}

// SetAccountPosition records a complete timeline pass up to sinceID.
func (db *DB) SetAccountPosition(ctx context.Context, id int64, sinceID string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET since_id = CASE WHEN ? <> '' THEN ? ELSE since_id END,
			checked_at = ?, status = 'active', status_at = NULL WHERE id = ?`, sinceID, sinceID, formatTime(db.now()), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("account position: %w", err)
	}
	return nil
}

// SetAccountStatus records an account's status (active, protected,
// suspended, not-found) with when it was first noticed.
func (db *DB) SetAccountStatus(ctx context.Context, id int64, status string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET status_at = CASE WHEN status = ? THEN status_at ELSE ? END, status = ? WHERE id = ?`,
			status, formatTime(db.now()), status, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("account status: %w", err)
	}
	return nil
}

// DuePost is a post to recheck.
type DuePost struct {
	Ord       int64
	ID        string
	LatestID  string
	CreatedAt time.Time
}

// DuePosts returns live and edited posts whose recheck is due at now,
// most overdue first; with all, every live and edited post after the given
// order key, in key order (for a full pass in pages).
func (db *DB) DuePosts(ctx context.Context, now time.Time, all bool, after int64, limit int) ([]DuePost, error) {
	var rows *sql.Rows
	var err error
	if all {
		rows, err = db.db.QueryContext(ctx, `SELECT ord, id, latest_id, created_at FROM posts
			WHERE status IN ('live', 'edited') AND ord > ? ORDER BY ord LIMIT ?`, after, limit)
	} else {
		rows, err = db.db.QueryContext(ctx, `SELECT ord, id, latest_id, created_at FROM posts
			WHERE status IN ('live', 'edited') AND coalesce(next_check, first_seen) <= ?
			ORDER BY coalesce(next_check, first_seen) LIMIT ?`, formatTime(now), limit)
	}
	if err != nil {
		return nil, fmt.Errorf("due posts: %w", friendly(err))
	}
	defer rows.Close()
	var out []DuePost
	for rows.Next() {
		var d DuePost
		var created string
		if err := rows.Scan(&d.Ord, &d.ID, &d.LatestID, &created); err != nil {
			return nil, err
		}
		d.CreatedAt = parseTime(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkChecked records a successful recheck of the posts and schedules the
// next by their age.
func (db *DB) MarkChecked(ctx context.Context, posts []DuePost) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE posts SET checked_at = ?, next_check = ?, last_seen = ? WHERE ord = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range posts {
			next := now.Add(archive.RecheckInterval(now.Sub(p.CreatedAt)))
			if _, err := st.ExecContext(ctx, formatTime(now), formatTime(next), formatTime(now), p.Ord); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark checked: %w", err)
	}
	return nil
}

// SetPostStatus records that a post was found deleted, unavailable or live
// again, keeping everything archived. It reports whether the status
// changed; the time of the change is the time it was first noticed.
func (db *DB) SetPostStatus(ctx context.Context, id, status, detail string) (bool, error) {
	changed := false
	now := formatTime(db.now())
	err := db.tx(ctx, func(tx *sql.Tx) error {
		changed = false
		var ord int64
		var cur, editIDs string
		var versions int
		err := tx.QueryRowContext(ctx, `SELECT p.ord, p.status, p.edit_ids, p.versions FROM posts p WHERE p.ord IN
			(SELECT post_ord FROM versions WHERE id = ? UNION SELECT post_ord FROM edit_links WHERE id = ?)`, id, id).Scan(&ord, &cur, &editIDs, &versions)
		if err != nil {
			return notFound(err)
		}
		next := status
		event := status
		if status == archive.StatusLive {
			if cur == archive.StatusLive || cur == archive.StatusEdited {
				return nil
			}
			event = "restored"
			if versions > 1 || strings.Contains(editIDs, " ") {
				next = archive.StatusEdited
			}
		}
		if cur == next {
			return nil
		}
		changed = true
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET status = ?, status_at = ? WHERE ord = ?`, next, now, ord); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]string{"id": id, "detail": detail, "previous": cur})
		_, err = tx.ExecContext(ctx, `INSERT INTO post_events(post_ord, kind, at, detail) VALUES (?, ?, ?, ?)`, ord, event, now, string(d))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("post %s status: %w", id, err)
	}
	return changed, nil
}

// MediaItem is a media file to download.
type MediaItem struct {
	PostOrd  int64
	PostID   string
	Key      string
	Type     string
	URL      string
	Attempts int
}

// AddMedia records media of archived posts as pending downloads; media
// already known are left alone.
func (db *DB) AddMedia(ctx context.Context, posts []archive.Post) (int, error) {
	added := 0
	now := formatTime(db.now())
	err := db.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, p := range posts {
			for _, m := range p.Media {
				if m.URL == "" || m.Key == "" {
					continue
				}
				res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO media(post_ord, media_key, type, url, next_attempt)
					SELECT post_ord, ?, ?, ?, ? FROM versions WHERE id = ?`, m.Key, m.Type, m.URL, now, p.ID)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				added += int(n)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add media: %w", err)
	}
	return added, nil
}

// DueMedia returns media whose download is due.
func (db *DB) DueMedia(ctx context.Context, now time.Time, limit int) ([]MediaItem, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT m.post_ord, p.id, m.media_key, m.type, m.url, m.attempts FROM media m JOIN posts p ON p.ord = m.post_ord
		WHERE m.status IN ('pending', 'failed') AND m.next_attempt <= ? ORDER BY m.next_attempt LIMIT ?`, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due media: %w", friendly(err))
	}
	defer rows.Close()
	var out []MediaItem
	for rows.Next() {
		var m MediaItem
		if err := rows.Scan(&m.PostOrd, &m.PostID, &m.Key, &m.Type, &m.URL, &m.Attempts); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MediaStored records a downloaded media file: one capture with the
// artifact, and the media row pointing at it, in one transaction.
func (db *DB) MediaStored(ctx context.Context, m MediaItem, art archive.Artifact) error {
	now := formatTime(db.now())
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO captures(kind, target, at, verdict, post_ord, completed_at, software) VALUES ('media', ?, ?, 'ok', ?, ?, ?)`,
			m.URL, now, m.PostOrd, now, ledger.Software())
		if err != nil {
			return err
		}
		capID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (?, 'media', ?, ?, ?)`,
			capID, art.MediaType, art.Size, art.SHA256); err != nil {
			return err
		}
		if err := db.logCapture(ctx, tx, capID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE media SET status = 'stored', media_type = ?, size = ?, sha256 = ?, stored_at = ?, capture_id = ?,
			attempts = attempts + 1, last_error = '' WHERE post_ord = ? AND media_key = ?`,
			art.MediaType, art.Size, art.SHA256, now, capID, m.PostOrd, m.Key)
		return err
	})
	if err != nil {
		return fmt.Errorf("media stored: %w", err)
	}
	return nil
}

// MediaFailed records a failed download; it is retried at retryAt, or
// never when status is "skipped" (too large, not media).
func (db *DB) MediaFailed(ctx context.Context, m MediaItem, status, reason string, retryAt time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE media SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt = ?
			WHERE post_ord = ? AND media_key = ?`, status, reason, formatTime(retryAt), m.PostOrd, m.Key)
		return err
	})
	if err != nil {
		return fmt.Errorf("media failed: %w", err)
	}
	return nil
}

// JobRun is one recorded run of a scheduled or manual job.
type JobRun struct {
	ID      int64          `json:"id"`
	Job     string         `json:"job"`
	Started time.Time      `json:"started_at"`
	Ended   *time.Time     `json:"ended_at,omitempty"`
	Counts  map[string]any `json:"counts"`
	Error   string         `json:"error,omitempty"`
}

// StartJob records the start of a job run, by this process. First it
// settles runs left open by processes that are gone (see
// SettleInterrupted).
func (db *DB) StartJob(ctx context.Context, job string) (int64, error) {
	if _, err := db.SettleInterrupted(ctx); err != nil {
		return 0, fmt.Errorf("start job: %w", err)
	}
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO job_runs(job, started_at, owner) VALUES (?, ?, ?)`, job, formatTime(db.now()), processOwner)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start job: %w", err)
	}
	return id, nil
}

// EndJob records the end of a job run with its counts and error.
func (db *DB) EndJob(ctx context.Context, id int64, counts any, jobErr error) error {
	b, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("end job: %w", err)
	}
	msg := ""
	if jobErr != nil {
		msg = jobErr.Error()
	}
	// Record the end even if the job's own context was cancelled.
	ctx = context.WithoutCancel(ctx)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE job_runs SET ended_at = ?, counts = ?, error = ? WHERE id = ?`, formatTime(db.now()), string(b), msg, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("end job: %w", err)
	}
	return nil
}

// InterruptedRun is the error recorded for a job run whose process ended
// before the run did.
const InterruptedRun = "interrupted: the process running it ended first (killed or crashed)"

// staleRun is how long a run of a process that cannot be checked (another
// host's, or one recorded before owners were) stays open before it is
// taken for interrupted. No job runs this long.
const staleRun = 24 * time.Hour

// SettleInterrupted ends the job runs left open by processes that are gone
// (killed, crashed, the machine restarted): they get InterruptedRun as
// their error and the time they were found as their end, so reports count
// them as failed runs and nothing waits on them. Runs of live processes,
// and for a day those of processes it cannot check, are left alone. It
// returns how many runs it ended.
func (db *DB) SettleInterrupted(ctx context.Context) (int, error) {
	host, _ := os.Hostname()
	rows, err := db.db.QueryContext(ctx, `SELECT id, owner, started_at FROM job_runs WHERE ended_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("interrupted job runs: %w", friendly(err))
	}
	var gone []int64
	now := db.now()
	for rows.Next() {
		var id int64
		var owner, started string
		if err := rows.Scan(&id, &owner, &started); err != nil {
			rows.Close()
			return 0, err
		}
		if owner == processOwner {
			continue
		}
		if ownerGone(owner, host) || now.Sub(parseTime(started)) > staleRun {
			gone = append(gone, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(gone) == 0 {
		return 0, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range gone {
			if _, err := tx.ExecContext(ctx, `UPDATE job_runs SET ended_at = ?, error = ? WHERE id = ? AND ended_at IS NULL`,
				formatTime(now), InterruptedRun, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("interrupted job runs: %w", err)
	}
	db.log.Warn("job runs of processes that are gone marked interrupted", "runs", len(gone))
	return len(gone), nil
}

// JobRuns returns the latest runs, newest first, of one job or of all.
func (db *DB) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, job, started_at, ended_at, counts, error FROM job_runs
		WHERE ? = '' OR job = ? ORDER BY id DESC LIMIT ?`, job, job, limit)
	if err != nil {
		return nil, fmt.Errorf("job runs: %w", friendly(err))
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		var r JobRun
		var started, counts string
		var ended sql.NullString
		if err := rows.Scan(&r.ID, &r.Job, &started, &ended, &counts, &r.Error); err != nil {
			return nil, err
		}
		r.Started = parseTime(started)
		if ended.Valid {
			t := parseTime(ended.String)
			r.Ended = &t
		}
		_ = json.Unmarshal([]byte(counts), &r.Counts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PostOrd returns the order key of the post holding a version id.
func (db *DB) PostOrd(ctx context.Context, id string) (int64, error) {
	var ord int64
	err := db.db.QueryRowContext(ctx, `SELECT post_ord FROM versions WHERE id = ?
		UNION ALL SELECT post_ord FROM edit_links WHERE id = ? LIMIT 1`, id, id).Scan(&ord)
	if err != nil {
		return 0, fmt.Errorf("post %s: %w", id, notFound(err))
	}
	return ord, nil
}

// SnapshotDue is a post that needs a browser snapshot of some kind.
type SnapshotDue struct {
	ID       string // the post's id
	LatestID string
	Handle   string
	Attempts int
}

// DueSnapshots returns posts first seen since `since` that have no good
// snapshot of the given kind (post, embed), fewer than maxAttempts tries,
// and no try in the last retryAfter: new posts, and degraded captures due
// for another try. Newest first.
func (db *DB) DueSnapshots(ctx context.Context, kind string, since time.Time, retryAfter time.Duration, maxAttempts, limit int) ([]SnapshotDue, error) {
	now := db.now()
	rows, err := db.db.QueryContext(ctx, `SELECT p.id, p.latest_id, p.handle,
			(SELECT count(*) FROM captures c WHERE c.post_ord = p.ord AND c.kind = 'snapshot' AND c.format = ?1) AS tries
		FROM posts p
		WHERE p.status IN ('live', 'edited') AND p.first_seen >= ?2
		AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.post_ord = p.ord AND c.kind = 'snapshot' AND c.format = ?1 AND c.verdict = 'ok')
		AND coalesce((SELECT max(at) FROM captures c WHERE c.post_ord = p.ord AND c.kind = 'snapshot' AND c.format = ?1), '') <= ?3
		AND tries < ?4
		ORDER BY p.ord DESC LIMIT ?5`, kind, formatTime(since), formatTime(now.Add(-retryAfter)), maxAttempts, limit)
	if err != nil {
		return nil, fmt.Errorf("due snapshots: %w", friendly(err))
	}
	defer rows.Close()
	var out []SnapshotDue
	for rows.Next() {
		var d SnapshotDue
		if err := rows.Scan(&d.ID, &d.LatestID, &d.Handle, &d.Attempts); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
