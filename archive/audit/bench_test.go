package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// BenchmarkAudit: issue #7's audit throughput, side by side in one run
// with Go's crypto/sha256 over the same bytes (in memory, and read from
// the same files by one goroutine) and with sha256sum over the same files.
// MB/s is the figure; the target is an audit with 2 workers at 0.8 or more
// of the Go hashing rate. The files are in the page cache throughout, so
// this measures hashing and reading, not the disk.
func BenchmarkAudit(b *testing.B) {
	const (
		blobs    = 96
		blobSize = 2 << 20 // 192 MiB in all, sizes varied ±50%
	)
	ctx := context.Background()
	dir := b.TempDir()
	store, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	key, err := ledger.OpenKey(filepath.Join(dir, "ledger.key"), filepath.Join(dir, "ledger.pub"), "")
	if err != nil {
		b.Fatal(err)
	}
	src := rand.NewChaCha8([32]byte{7})
	rng := rand.New(src)
	var data [][]byte
	var paths []string
	var total int64
	for i := range blobs {
		body := make([]byte, blobSize/2+rng.IntN(blobSize))
		src.Read(body)
		ref, err := store.Put(ctx, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: fmt.Sprint("https://example.org/", i),
			Artifacts: []archive.Artifact{{Kind: "warc", MediaType: "application/warc", Size: ref.Size, SHA256: ref.SHA256}}}); err != nil {
			b.Fatal(err)
		}
		data = append(data, body)
		paths = append(paths, store.Path(ref.SHA256))
		total += ref.Size
	}
	if _, err := db.CreateCheckpoint(ctx, key); err != nil {
		b.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	for _, p := range paths {
		os.Chtimes(p, past, past)
	}

	for _, workers := range []int{2, 1} {
		b.Run(fmt.Sprintf("hash=audit/workers=%d", workers), func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				rep, err := Run(ctx, db, store, Options{Workers: workers, Verifier: key.Verifier()})
				if err != nil {
					b.Fatal(err)
				}
				if !rep.OK || rep.BytesChecked != total {
					b.Fatalf("audit: %+v", rep.Findings)
				}
			}
		})
	}
	b.Run("hash=crypto-sha256/from=memory", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			for _, d := range data {
				sha256.Sum256(d)
			}
		}
	})
	b.Run("hash=crypto-sha256/from=files", func(b *testing.B) {
		b.SetBytes(total)
		buf := make([]byte, 1<<20)
		for b.Loop() {
			for _, p := range paths {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				h := sha256.New()
				if _, err := io.CopyBuffer(struct{ io.Writer }{h}, struct{ io.Reader }{f}, buf); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
	})
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		b.Run("hash=sha256sum/from=files", func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				cmd := exec.Command(sum, paths...)
				cmd.Stdout = io.Discard
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuditLedger measures the ledger half of an audit (every
// manifest re-made from its rows and compared, the tree rebuilt and
// compared node by node with the stored one, every checkpoint checked)
// over 200,000 captures.
func BenchmarkAuditLedger(b *testing.B) {
	const captures = 200_000
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	key, err := ledger.OpenKey(filepath.Join(dir, "ledger.key"), filepath.Join(dir, "ledger.pub"), "")
	if err != nil {
		b.Fatal(err)
	}
	tx, err := db.SQL().Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= captures; i++ {
		if _, err := tx.Exec(`INSERT INTO captures(id, kind, target, at) VALUES (?, 'snapshot', ?, '2026-02-10T14:00:00.000Z')`, i, fmt.Sprint("https://x.com/VP/status/", i)); err != nil {
			b.Fatal(err)
		}
		for _, kind := range []string{"screenshot", "warc"} {
			sum := sha256.Sum256(fmt.Appendf(nil, "%s%d", kind, i))
			if _, err := tx.Exec(`INSERT INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (?, ?, 'application/octet-stream', ?, ?)`,
				i, kind, 1000+i, fmt.Sprintf("%x", sum)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := tx.Exec(`UPDATE ledger_state SET backfilled = 0`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.CreateCheckpoint(ctx, key); err != nil { // backfills first
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := Run(ctx, db, nil, Options{SkipBlobs: true, Verifier: key.Verifier()})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK || rep.Leaves != captures {
			b.Fatalf("audit: %d leaves, %v", rep.Leaves, rep.Findings)
		}
	}
	b.ReportMetric(float64(captures*b.N)/b.Elapsed().Seconds(), "leaves/s")
}
