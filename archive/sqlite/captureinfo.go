package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// CaptureInfo is one capture as a page shows it: what was recorded, when,
// with what verdict, of which post or article, every artifact, and the
// capture's detail (final URL, HTTP headers, browser, TLS summary, counts).
type CaptureInfo struct {
	ID          int64              `json:"id"`
	Kind        string             `json:"kind"`
	Target      string             `json:"target"`
	Format      string             `json:"format,omitempty"`
	At          time.Time          `json:"at"`
	CompletedAt *time.Time         `json:"completed_at,omitempty"`
	Verdict     string             `json:"verdict"`
	PostID      string             `json:"post_id,omitempty"`
	ArticleID   int64              `json:"article_id,omitempty"`
	Detail      map[string]any     `json:"detail"`
	Artifacts   []archive.Artifact `json:"artifacts"`
}

// CaptureInfo returns one capture with its artifacts and detail, or an
// error wrapping archive.ErrNotFound.
func (db *DB) CaptureInfo(ctx context.Context, id int64) (CaptureInfo, error) {
	c := CaptureInfo{ID: id}
	var at, detail string
	var completed, postID sql.NullString
	var articleID sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT c.kind, c.target, c.format, c.at, c.completed_at, c.verdict, p.id, c.article_id, c.detail
		FROM captures c LEFT JOIN posts p ON p.ord = c.post_ord WHERE c.id = ?`, id).Scan(
		&c.Kind, &c.Target, &c.Format, &at, &completed, &c.Verdict, &postID, &articleID, &detail)
	if err != nil {
		return c, fmt.Errorf("capture %d: %w", id, notFound(err))
	}
	c.At, c.CompletedAt = parseTime(at), nullTime(completed)
	c.PostID, c.ArticleID = postID.String, articleID.Int64
	if err := json.Unmarshal([]byte(detail), &c.Detail); err != nil || c.Detail == nil {
		c.Detail = map[string]any{}
	}
	cs, err := db.capturesWhere(ctx, "c.id = ?", id)
	if err != nil {
		return c, fmt.Errorf("capture %d: %w", id, err)
	}
	c.Artifacts = []archive.Artifact{}
	if len(cs) > 0 && cs[0].Artifacts != nil {
		c.Artifacts = cs[0].Artifacts
	}
	return c, nil
}

// Artifact returns an artifact stored under this hash (the first recorded,
// when the same bytes were kept more than once), or an error wrapping
// archive.ErrNotFound.
func (db *DB) Artifact(ctx context.Context, sha256 string) (archive.Artifact, error) {
	a := archive.Artifact{SHA256: sha256}
	err := db.db.QueryRowContext(ctx, `SELECT kind, media_type, size FROM artifacts WHERE sha256 = ? ORDER BY capture_id LIMIT 1`, sha256).Scan(
		&a.Kind, &a.MediaType, &a.Size)
	if err != nil {
		return a, fmt.Errorf("artifact %s: %w", sha256, notFound(err))
	}
	return a, nil
}
