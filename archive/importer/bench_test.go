package importer

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite" // the driver, for the plain-insert peer

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// Issue #2's import figure: 100,000 X API v2 posts, 100 a page, through
// the real importer, beside a plain SQLite insert of the same rows.
const (
	benchPosts   = 100_000
	benchPerPage = 100
	benchSeed    = 1
)

// benchFiles holds inputs shared by the benchmarks of one run; TestMain
// removes it.
var benchFiles struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFiles.dir != "" {
		os.RemoveAll(benchFiles.dir)
	}
	os.Exit(code)
}

// v2JSONL returns the path of a JSONL file of benchPosts generated posts,
// written once per run.
func v2JSONL(b *testing.B) string {
	b.Helper()
	f := &benchFiles
	f.once.Do(func() {
		f.dir, f.err = os.MkdirTemp("", "verbatim-bench-")
		if f.err != nil {
			return
		}
		f.path = filepath.Join(f.dir, "timeline.jsonl")
		out, err := os.Create(f.path)
		if err != nil {
			f.err = err
			return
		}
		if err := archivetest.WriteV2JSONL(out, benchPosts, benchPerPage, benchSeed); err != nil {
			out.Close()
			f.err = err
			return
		}
		// On disk before the clock starts, as a file to import would be:
		// otherwise the kernel writes it out during the first import.
		if err := out.Sync(); err != nil {
			out.Close()
			f.err = err
			return
		}
		f.err = out.Close()
		runtime.GC()
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.path
}

// BenchmarkImportV2JSONL imports the file into a fresh data directory:
// blob store (hash, write, fsync), capture, JSON decoding, PostWriter and
// the full-text index, everything ImportFile does.
func BenchmarkImportV2JSONL(b *testing.B) {
	path := v2JSONL(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		bs, err := blob.Open(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		im := &Importer{DB: db, Blobs: bs}
		b.StartTimer()

		res, err := im.ImportFile(ctx, path, Options{})

		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Stats.Posts != benchPosts || len(res.Problems) > 0 {
			b.Fatalf("imported %+v with %d problems, want %d posts", res.Stats, len(res.Problems), benchPosts)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchPosts*b.N)/b.Elapsed().Seconds(), "posts/s")
}

// plainSchema is the posts table with the same columns, and none of its
// indexes, triggers or full-text index.
const plainSchema = `CREATE TABLE posts (
	ord         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL,
	platform    TEXT NOT NULL,
	account_id  INTEGER,
	handle      TEXT NOT NULL DEFAULT '',
	author_name TEXT NOT NULL DEFAULT '',
	author      TEXT GENERATED ALWAYS AS (handle || ' ' || author_name) VIRTUAL,
	created_at  TEXT NOT NULL,
	latest_id   TEXT NOT NULL,
	text        TEXT NOT NULL,
	previous    TEXT NOT NULL DEFAULT '',
	lang        TEXT NOT NULL DEFAULT '',
	versions    INTEGER NOT NULL DEFAULT 1,
	edit_ids    TEXT NOT NULL DEFAULT '',
	has_media   INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL DEFAULT 'live',
	status_at   TEXT,
	first_seen  TEXT NOT NULL,
	last_seen   TEXT NOT NULL,
	fts         INTEGER NOT NULL DEFAULT 0
)`

// BenchmarkPlainInsert is the peer of BenchmarkImportV2JSONL: the same
// rows, in the same order (newest first, as the file has them), inserted
// with one prepared INSERT into a bare table, one transaction per 5000
// rows, with the pragmas sqlite.Open sets. The row values are computed
// before the timer starts.
func BenchmarkPlainInsert(b *testing.B) {
	posts := archivetest.GenPosts(benchPosts, benchSeed)
	accountIDs := make(map[string]int64)
	for i, a := range archivetest.Accounts() {
		accountIDs[a.PlatformID] = int64(i + 1)
	}
	const now = "2026-02-11T12:00:00.000Z"
	rows := make([][]any, 0, len(posts))
	for i := len(posts) - 1; i >= 0; i-- {
		p := &posts[i]
		status, hasMedia := archive.StatusLive, 0
		if len(p.EditHistory) > 1 {
			status = archive.StatusEdited
		}
		if len(p.Media) > 0 {
			hasMedia = 1
		}
		rows = append(rows, []any{
			archive.OrderKey(p.Platform, p.RootID(), p.CreatedAt), p.RootID(), p.Platform,
			accountIDs[p.Author.PlatformID], p.Author.Handle, p.Author.Name,
			p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), p.ID, p.Text, p.Lang,
			strings.Join(p.EditHistory, " "), hasMedia, status, now, now,
		})
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db := openPlain(b, filepath.Join(b.TempDir(), "plain.db"))
		b.StartTimer()

		const batch = 5000
		for i := 0; i < len(rows); i += batch {
			if err := insertPlain(ctx, db, rows[i:min(i+batch, len(rows))]); err != nil {
				b.Fatal(err)
			}
		}

		b.StopTimer()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM posts`).Scan(&n); err != nil || n != benchPosts {
			b.Fatalf("table holds %d rows (%v), want %d", n, err, benchPosts)
		}
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchPosts*b.N)/b.Elapsed().Seconds(), "posts/s")
}

// openPlain opens a new database with the DSN pragmas of sqlite.Open and
// the bare posts table.
func openPlain(b *testing.B, path string) *sql.DB {
	b.Helper()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)",
		"busy_timeout(30000)", "temp_store(MEMORY)", "cache_size(-65536)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(plainSchema); err != nil {
		db.Close()
		b.Fatal(err)
	}
	return db
}

func insertPlain(ctx context.Context, db *sql.DB, rows [][]any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO posts(ord, id, platform, account_id, handle, author_name, created_at,
		latest_id, text, lang, versions, edit_ids, has_media, status, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("insert %v: %w", r[0], err)
		}
	}
	return tx.Commit()
}
