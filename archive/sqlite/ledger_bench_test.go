package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

// BenchmarkLedgerAppend: issue #7's "appending 100,000 leaves". Run with
// -benchtime=100000x for the figure.
//
// record-capture is the real path, one transaction a capture: the capture,
// its two artifacts and its leaf (manifest, hash, ~1 tree node and the
// compact state). no-ledger is the same capture without the leaf, the
// baseline. backfill appends leaves in bulk, in one transaction, as an
// upgraded archive's first ledger write does.
func BenchmarkLedgerAppend(b *testing.B) {
	ctx := context.Background()
	input := func(i int) CaptureInput {
		return CaptureInput{Kind: "snapshot", Target: fmt.Sprintf("https://x.com/VP/status/%d", 2021150315377594369+i), Format: "post",
			At: time.Date(2026, 2, 10, 14, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second), Complete: true,
			Artifacts: []archive.Artifact{
				{Kind: "screenshot", MediaType: "image/png", Size: int64(100000 + i), SHA256: fakeSum(fmt.Sprint("png", i))},
				{Kind: "warc", MediaType: "application/warc", Size: int64(500000 + i), SHA256: fakeSum(fmt.Sprint("warc", i))},
			}}
	}
	b.Run("path=record-capture", func(b *testing.B) {
		db := openTest(b)
		i := 0
		for b.Loop() {
			if _, err := db.RecordCapture(ctx, input(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
		if size, _, _ := db.LedgerSize(ctx); size != uint64(i) {
			b.Fatalf("ledger size %d, want %d", size, i)
		}
	})
	b.Run("path=no-ledger", func(b *testing.B) {
		db := openTest(b)
		// The ledger's appends fail (and are not measured); the capture is
		// written as RecordCapture writes it.
		i := 0
		for b.Loop() {
			in := input(i)
			err := db.tx(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, `INSERT INTO captures(kind, target, at, verdict, format, completed_at, detail, software)
					VALUES (?, ?, ?, 'ok', ?, ?, '{}', ?)`, in.Kind, in.Target, formatTime(in.At), in.Format, formatTime(in.At), ledger.Software())
				if err != nil {
					return err
				}
				id, _ := res.LastInsertId()
				for _, a := range in.Artifacts {
					if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (?, ?, ?, ?, ?)`,
						id, a.Kind, a.MediaType, a.Size, a.SHA256); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "captures/s")
	})
	b.Run("path=backfill", func(b *testing.B) {
		db := openTest(b)
		insertBareCaptures(b, db, b.N)
		b.ResetTimer()
		n, err := db.LedgerBackfill(ctx)
		if err != nil || n != b.N {
			b.Fatalf("backfilled %d of %d: %v", n, b.N, err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
	})
}

// insertBareCaptures writes n captures with one artifact each, as an
// archive from before the ledger holds them, and marks the ledger not
// backfilled.
func insertBareCaptures(b testing.TB, db *DB, n int) {
	ctx := context.Background()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cs, err := tx.PrepareContext(ctx, `INSERT INTO captures(id, kind, target, at) VALUES (?, 'import', ?, '2026-02-10T14:00:00.000Z')`)
		if err != nil {
			return err
		}
		defer cs.Close()
		as, err := tx.PrepareContext(ctx, `INSERT INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (?, 'raw', 'application/json', ?, ?)`)
		if err != nil {
			return err
		}
		defer as.Close()
		for i := 1; i <= n; i++ {
			if _, err := cs.ExecContext(ctx, i, fmt.Sprintf("timeline-%d.jsonl", i)); err != nil {
				return err
			}
			if _, err := as.ExecContext(ctx, i, 1000+i, fakeSum(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE ledger_state SET backfilled = 0`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLedgerProof: issue #7's "inclusion proof for a tree of
// 1,000,000 leaves" (target under 1 ms), with the consistency proof and a
// receipt (leaf lookup, latest checkpoint, proof) beside it.
func BenchmarkLedgerProof(b *testing.B) {
	const leaves = 1_000_000
	ctx := context.Background()
	db := openTest(b)
	start := time.Now()
	insertBareCaptures(b, db, leaves)
	if _, err := db.LedgerBackfill(ctx); err != nil {
		b.Fatal(err)
	}
	built := time.Since(start)
	var pages, leafBytes, nodeBytes int64
	db.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages)
	db.SQL().QueryRow(`SELECT sum(pgsize) FROM dbstat WHERE name IN ('ledger_leaves', 'sqlite_autoindex_ledger_leaves_1')`).Scan(&leafBytes)
	db.SQL().QueryRow(`SELECT sum(pgsize) FROM dbstat WHERE name = 'ledger_nodes'`).Scan(&nodeBytes)
	b.Logf("%d captures and their leaves in %v (backfill included); ledger_leaves %d MB, ledger_nodes %d MB, database %d MB",
		leaves, built.Round(time.Millisecond), leafBytes>>20, nodeBytes>>20, pages*4096>>20)
	key := testKey(b, "verbatim.archive/bench")
	cp, err := db.CreateCheckpoint(ctx, key)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.Run(fmt.Sprintf("proof=inclusion/leaves=%d", leaves), func(b *testing.B) {
		for b.Loop() {
			i := rng.Uint64N(leaves)
			if _, err := db.InclusionProof(ctx, i, leaves); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("proof=consistency/leaves=%d", leaves), func(b *testing.B) {
		for b.Loop() {
			s := 1 + rng.Uint64N(leaves-1)
			if _, err := db.ConsistencyProof(ctx, s, leaves); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("proof=receipt/leaves=%d", leaves), func(b *testing.B) {
		for b.Loop() {
			id := 1 + rng.Int64N(leaves)
			r, err := db.Receipt(ctx, id, key)
			if err != nil {
				b.Fatal(err)
			}
			if r.TreeSize != cp.Size {
				b.Fatalf("receipt against a new checkpoint")
			}
		}
	})
	// Each proof verifies.
	r, _ := db.Receipt(ctx, 123457, key)
	if _, err := r.Verify(key.Verifier()); err != nil {
		b.Fatal(err)
	}
}
