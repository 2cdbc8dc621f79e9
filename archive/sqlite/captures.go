package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

// CaptureInput is what RecordCapture writes: a capture with every artifact,
// whose blobs must already be stored.
type CaptureInput struct {
	Kind      string
	Target    string
	Format    string
	Verdict   string
	PostID    string // a post this capture is a snapshot of, if any
	ArticleID int64
	At        time.Time
	Complete  bool   // the capture holds nothing more than its artifacts
	Software  string // what made the capture, for its ledger manifest; ledger.Software() when empty
	Detail    map[string]any
	Artifacts []archive.Artifact
}

// RecordCapture writes a capture and all of its artifacts in one
// transaction, and appends the capture's manifest to the ledger in the
// same transaction. The caller stores the blobs first, so a crash leaves at
// most orphan blobs, never a row without its blob.
func (db *DB) RecordCapture(ctx context.Context, in CaptureInput) (int64, error) {
	if in.At.IsZero() {
		in.At = db.now()
	}
	if in.Verdict == "" {
		in.Verdict = "ok"
	}
	if in.Software == "" {
		in.Software = ledger.Software()
	}
	detail := []byte("{}")
	if len(in.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(in.Detail); err != nil {
			return 0, fmt.Errorf("record capture: %w", err)
		}
	}
	for _, a := range in.Artifacts {
		if len(a.SHA256) != 64 {
			return 0, fmt.Errorf("record capture: artifact %s has no sha256", a.Kind)
		}
	}
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var postOrd any
		if in.PostID != "" {
			var ord int64
			err := tx.QueryRowContext(ctx, `SELECT post_ord FROM versions WHERE id = ?`, in.PostID).Scan(&ord)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.QueryRowContext(ctx, `SELECT ord FROM posts WHERE id = ?`, in.PostID).Scan(&ord)
			}
			if err != nil {
				return fmt.Errorf("post %s: %w", in.PostID, notFound(err))
			}
			postOrd = ord
		}
		var articleID any
		if in.ArticleID != 0 {
			articleID = in.ArticleID
		}
		var completed any
		if in.Complete {
			completed = formatTime(in.At)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO captures(kind, target, at, verdict, post_ord, article_id, format, completed_at, detail, software)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Kind, in.Target, formatTime(in.At), in.Verdict, postOrd, articleID, in.Format, completed, string(detail), in.Software)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, a := range in.Artifacts {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (?, ?, ?, ?, ?)`,
				id, a.Kind, a.MediaType, a.Size, a.SHA256); err != nil {
				return err
			}
		}
		return db.logCapture(ctx, tx, id)
	})
	if err != nil {
		return 0, fmt.Errorf("record capture: %w", err)
	}
	return id, nil
}

// CompleteCapture marks a capture complete and stores its final detail.
func (db *DB) CompleteCapture(ctx context.Context, id int64, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("complete capture: %w", err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE captures SET completed_at = ?, detail = ? WHERE id = ?`, formatTime(db.now()), string(b), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("complete capture: %w", err)
	}
	return nil
}

// IncompleteCapture is a capture recorded but never completed: a process
// ended between storing a page and writing all it carries.
type IncompleteCapture struct {
	ID     int64
	Target string
	Format string
	At     time.Time
	Raw    archive.Artifact // the stored page ("raw" artifact)
}

// IncompleteCaptures returns the captures of the kind, recorded before
// before, that were never completed, oldest first, with their raw artifact.
func (db *DB) IncompleteCaptures(ctx context.Context, kind string, before time.Time) ([]IncompleteCapture, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT c.id, c.target, c.format, c.at, a.kind, a.media_type, a.size, a.sha256
		FROM captures c JOIN artifacts a ON a.capture_id = c.id AND a.kind = 'raw'
		WHERE c.kind = ? AND c.completed_at IS NULL AND c.at < ? ORDER BY c.id`, kind, formatTime(before))
	if err != nil {
		return nil, fmt.Errorf("incomplete captures: %w", friendly(err))
	}
	defer rows.Close()
	var out []IncompleteCapture
	for rows.Next() {
		var c IncompleteCapture
		var at string
		if err := rows.Scan(&c.ID, &c.Target, &c.Format, &at, &c.Raw.Kind, &c.Raw.MediaType, &c.Raw.Size, &c.Raw.SHA256); err != nil {
			return nil, err
		}
		c.At = parseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ImportedSource describes an earlier import of the same bytes.
type ImportedSource struct {
	CaptureID int64
	Complete  bool
	At        time.Time
}

// FindImport returns the most recent import capture of the file with the
// given hash, or archive.ErrNotFound.
func (db *DB) FindImport(ctx context.Context, sha256 string) (ImportedSource, error) {
	var s ImportedSource
	var at string
	var completed sql.NullString
	err := db.db.QueryRowContext(ctx, `SELECT c.id, c.at, c.completed_at FROM captures c
		JOIN artifacts a ON a.capture_id = c.id
		WHERE a.sha256 = ? AND a.kind = 'raw' AND c.kind = 'import'
		ORDER BY c.completed_at IS NULL, c.id DESC LIMIT 1`, sha256).Scan(&s.CaptureID, &at, &completed)
	if err != nil {
		return s, fmt.Errorf("find import: %w", notFound(err))
	}
	s.At = parseTime(at)
	s.Complete = completed.Valid
	return s, nil
}

// ArtifactHashes calls fn for every distinct artifact hash recorded, for
// audits that look for missing and orphan blobs.
func (db *DB) ArtifactHashes(ctx context.Context, fn func(sha256 string, size int64) error) error {
	rows, err := db.db.QueryContext(ctx, `SELECT sha256, max(size) FROM artifacts GROUP BY sha256 ORDER BY sha256`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var n int64
		if err := rows.Scan(&h, &n); err != nil {
			return err
		}
		if err := fn(h, n); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (db *DB) capturesWhere(ctx context.Context, where string, args ...any) ([]archive.Capture, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT c.id, c.kind, c.target, c.at, c.verdict,
			a.kind, a.media_type, a.size, a.sha256
		FROM captures c LEFT JOIN artifacts a ON a.capture_id = c.id
		WHERE `+where+` ORDER BY c.at, c.id, a.kind`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []archive.Capture
	for rows.Next() {
		var c archive.Capture
		var at string
		var ak, amt, ash sql.NullString
		var asz sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Kind, &c.Target, &at, &c.Verdict, &ak, &amt, &asz, &ash); err != nil {
			return nil, err
		}
		c.At = parseTime(at)
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			out[n-1].Artifacts = append(out[n-1].Artifacts, archive.Artifact{Kind: ak.String, MediaType: amt.String, Size: asz.Int64, SHA256: ash.String})
			continue
		}
		if ak.Valid {
			c.Artifacts = []archive.Artifact{{Kind: ak.String, MediaType: amt.String, Size: asz.Int64, SHA256: ash.String}}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Capture returns one capture with its artifacts.
func (db *DB) Capture(ctx context.Context, id int64) (archive.Capture, error) {
	cs, err := db.capturesWhere(ctx, "c.id = ?", id)
	if err != nil {
		return archive.Capture{}, fmt.Errorf("capture %d: %w", id, err)
	}
	if len(cs) == 0 {
		return archive.Capture{}, fmt.Errorf("capture %d: %w", id, archive.ErrNotFound)
	}
	return cs[0], nil
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return archive.ErrNotFound
	}
	return friendly(err)
}
