// Package sqlite is Verbatim's archive database: the only package that
// imports modernc.org/sqlite. It keeps accounts, posts and their versions,
// captures with their artifact hashes, articles, job runs and a full-text
// index, in one SQLite file in WAL mode.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/verbatim-archive/verbatim/archive/ledger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// timeFormat is how times are stored: UTC, milliseconds, sortable as text.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}

// DB is the archive database.
type DB struct {
	db   *sql.DB
	path string
	now  func() time.Time
	tsa  ledger.Timestamper // nil: checkpoints are not timestamped
	log  *slog.Logger

	// quotes is the in-memory quotation index, once BuildQuoteIndex made it.
	quotes quoteIndex

	// kick wakes the checkpointer after a write; stop ends it and done
	// says it ended. All nil for a read-only database.
	kick, stop, done chan struct{}
}

// Options tune Open.
type Options struct {
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// ReadOnly opens the database immutable and without write access (and
	// without migrating), for archives on read-only media.
	ReadOnly bool
	// BusyTimeout is how long a writer waits for another process's lock.
	BusyTimeout time.Duration
	// CacheKiB is the page cache of each pooled connection, in KiB
	// (DefaultCacheKiB when 0). A server with many readers keeps it small.
	CacheKiB int
	// Timestamper, when not nil, gets an RFC 3161 timestamp for each
	// checkpoint that CreateCheckpoint makes or returns without one, and
	// for Timestamp.
	Timestamper ledger.Timestamper
	// Log receives warnings that do not fail an operation, such as a
	// timestamp authority that failed; they are dropped when nil.
	Log *slog.Logger
}

// DefaultCacheKiB is a connection's page cache unless Options say
// otherwise: 16 MiB, for bulk writes.
const DefaultCacheKiB = 16 << 10

// Open opens (creating if needed) the archive database at path and applies
// pending migrations.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BusyTimeout == 0 {
		opt.BusyTimeout = 30 * time.Second
	}
	if opt.CacheKiB <= 0 {
		opt.CacheKiB = DefaultCacheKiB
	}
	if !opt.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	q := url.Values{}
	// busy_timeout first: the other pragmas may wait for another process
	// that is creating or migrating the same file.
	for _, p := range []string{
		fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeout.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		"foreign_keys(ON)",
		"temp_store(MEMORY)",
		fmt.Sprintf("cache_size(-%d)", opt.CacheKiB), // a connection's page cache: memory is bounded by this, not by the archive
		"wal_autocheckpoint(0)",                      // the checkpointer does it, beside the writers rather than inside their commits
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	if opt.ReadOnly {
		// Read-only media: no -wal or -shm can be made, so the file is
		// read as it stands (a checkpointed archive, as backups are).
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	}
	dsn := "file:" + path + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	db := &DB{db: sdb, path: path, now: opt.Now, tsa: opt.Timestamper, log: opt.Log}
	// Switching a new file to WAL takes an exclusive lock that the busy
	// timeout does not cover: retry while another process holds it.
	for attempt := 0; ; attempt++ {
		if err = sdb.PingContext(ctx); err == nil || !isBusy(err) || attempt >= 100 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(20+attempt*10) * time.Millisecond)
	}
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database %s: %w", path, friendly(err))
	}
	if !opt.ReadOnly {
		if err := db.migrate(ctx); err != nil {
			sdb.Close()
			return nil, err
		}
		db.kick, db.stop, db.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go db.checkpoints()
	}
	return db, nil
}

// Close closes the database. The last connection to close copies what is
// left of the write-ahead log into the database file.
func (db *DB) Close() error {
	if db.stop != nil {
		select {
		case <-db.stop:
		default:
			close(db.stop)
		}
		<-db.done
	}
	return db.db.Close()
}

// checkpointEvery is the shortest time between two checkpoints while
// writes keep coming; checkpointIdle is how often the checkpointer looks
// without being woken (writes outside db.tx do not wake it).
const (
	checkpointEvery = 200 * time.Millisecond
	checkpointIdle  = 2 * time.Second
)

// checkpoints copies the write-ahead log into the database file in the
// background, in PASSIVE checkpoints that neither wait for nor block
// readers and writers. SQLite's automatic checkpoint would do it inside
// the commit that takes the log past 1000 pages, on the writer's time;
// here it runs beside the writer, at most every checkpointEvery.
func (db *DB) checkpoints() {
	defer close(db.done)
	idle := time.NewTicker(checkpointIdle)
	defer idle.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-db.kick:
		case <-idle.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := db.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && !isBusy(err) {
			db.log.Warn("checkpoint of the write-ahead log failed", "err", err)
		}
		cancel()
		select {
		case <-db.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// wrote wakes the checkpointer.
func (db *DB) wrote() {
	select {
	case db.kick <- struct{}{}:
	default:
	}
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// SQL returns the underlying handle, for tests and benchmarks.
func (db *DB) SQL() *sql.DB { return db.db }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the number of the newest migration this build knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate applies each pending migration in its own transaction, recording
// it with PRAGMA user_version.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		var cur int
		if err := db.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
			return fmt.Errorf("migrate: %w", friendly(err))
		}
		if cur > len(ms) {
			return fmt.Errorf("migrate: database schema version %d is newer than this build's %d; upgrade verbatim", cur, len(ms))
		}
		if cur == len(ms) {
			return nil
		}
		m := ms[cur]
		err := db.tx(ctx, func(tx *sql.Tx) error {
			// Re-check inside the write lock: another process may have migrated.
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return err
			}
			if v != cur {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE), retrying when another
// process holds the lock longer than the busy timeout allows.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.tx1(ctx, fn)
		if err == nil || !isBusy(err) || attempt >= 20 || ctx.Err() != nil {
			return friendly(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
		}
	}
}

func (db *DB) tx1(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if db.kick != nil {
		db.wrote()
	}
	return nil
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// friendly turns SQLite's errors about the file system into one clear line.
func friendly(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("database or disk is full: %w", err)
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("database is read-only (check the data directory's permissions and mount): %w", err)
	case sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("cannot open database file (does the data directory exist and is it writable?): %w", err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("database is busy: another verbatim process held it too long: %w", err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("database file is damaged or not a verbatim database: %w", err)
	}
	return err
}

// IntegrityCheck runs PRAGMA integrity_check and returns its findings.
func (db *DB) IntegrityCheck(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != "ok" {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}
