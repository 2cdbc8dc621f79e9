package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// Article is a checked article as it is recorded.
type Article struct {
	URL       string // the page's URL, or the file name it was read from
	Title     string
	Byline    string
	Published string
	Text      string // the extracted text, paragraphs separated by blank lines
	CaptureID int64  // the browser capture of the page, 0 for a file
	Result    string // the check's report, JSON
	Links     []ArticleLink
}

// ArticleLink is an archived post an article embeds or quotes.
type ArticleLink struct {
	PostOrd int64
	Kind    string
	Verdict string
}

// SaveArticle records a checked article and the archived posts it embeds
// or quotes, in one transaction, and returns its id. Every check is a new
// record: an article checked twice has two.
func (db *DB) SaveArticle(ctx context.Context, a Article) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var capID any
		if a.CaptureID != 0 {
			capID = a.CaptureID
		}
		if a.Result == "" {
			a.Result = "{}"
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO articles(url, title, byline, published, text, capture_id, checked_at, result)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.URL, a.Title, a.Byline, a.Published, a.Text, capID, formatTime(db.now()), a.Result)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if a.CaptureID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE captures SET article_id = ? WHERE id = ?`, id, a.CaptureID); err != nil {
				return err
			}
		}
		for _, l := range a.Links {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO article_posts(article_id, post_ord, kind, verdict) VALUES (?, ?, ?, ?)`,
				id, l.PostOrd, l.Kind, l.Verdict); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save article: %w", err)
	}
	return id, nil
}

// ArticlesQuoting returns the checked articles that embed or quote the
// post with the given order key, newest check first.
func (db *DB) ArticlesQuoting(ctx context.Context, ord int64) ([]archive.ArticleRef, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT a.id, a.url, a.title, a.checked_at, ap.kind, ap.verdict
		FROM article_posts ap JOIN articles a ON a.id = ap.article_id
		WHERE ap.post_ord = ? ORDER BY a.checked_at DESC, a.id DESC`, ord)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, nil // a read-only archive of an older schema
		}
		return nil, fmt.Errorf("articles quoting: %w", err)
	}
	defer rows.Close()
	var out []archive.ArticleRef
	for rows.Next() {
		var r archive.ArticleRef
		var at string
		if err := rows.Scan(&r.ID, &r.URL, &r.Title, &at, &r.Kind, &r.Verdict); err != nil {
			return nil, fmt.Errorf("articles quoting: %w", err)
		}
		r.CheckedAt = parseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ArticleRecord is a checked article as recorded: Result holds the
// check's report as JSON.
type ArticleRecord struct {
	ID        int64
	URL       string
	Title     string
	CaptureID int64
	CheckedAt time.Time
	Result    string
}

// Article returns a recorded article check, or an error wrapping
// archive.ErrNotFound.
func (db *DB) Article(ctx context.Context, id int64) (ArticleRecord, error) {
	a := ArticleRecord{ID: id}
	var at string
	var capID sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT url, title, capture_id, checked_at, result FROM articles WHERE id = ?`, id).Scan(
		&a.URL, &a.Title, &capID, &at, &a.Result)
	if err != nil {
		return a, fmt.Errorf("article %d: %w", id, notFound(err))
	}
	a.CaptureID, a.CheckedAt = capID.Int64, parseTime(at)
	return a, nil
}
