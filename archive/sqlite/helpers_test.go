package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/archivetest"
)

// openTest opens a fresh database in a temporary directory.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "verbatim.db"), Options{
		Now: func() time.Time { return time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// genPosts makes n posts of plausible text from a few accounts, oldest
// first: archivetest's generator, the same the benchmarks use.
func genPosts(n int, seed uint64) []archive.Post {
	return archivetest.GenPosts(n, seed)
}
