package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

type fixture struct {
	dir   string
	db    *sqlite.DB
	blobs *blob.Store
	key   *ledger.Key
	sums  []string // every artifact's sha256, in the order stored
	ids   []int64
}

// newFixture makes an archive of n captures of three artifacts each, with
// a checkpoint after the first half and one at the end.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{dir: t.TempDir()}
	var err error
	if f.blobs, err = blob.Open(filepath.Join(f.dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	if f.db, err = sqlite.Open(ctx, filepath.Join(f.dir, "verbatim.db"), sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	if f.key, err = ledger.OpenKey(filepath.Join(f.dir, "ledger.key"), filepath.Join(f.dir, "ledger.pub"), ""); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		var arts []archive.Artifact
		for _, kind := range []string{"screenshot", "dom", "warc"} {
			body := bytes.Repeat(fmt.Appendf(nil, "%s of capture %d; ", kind, i), 50+i)
			ref, err := f.blobs.Put(ctx, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			arts = append(arts, archive.Artifact{Kind: kind, MediaType: "application/octet-stream", Size: ref.Size, SHA256: ref.SHA256})
			f.sums = append(f.sums, ref.SHA256)
		}
		id, err := f.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: fmt.Sprintf("https://x.com/VP/status/%d", i),
			At: time.Date(2026, 2, 10, 12, 0, i, 0, time.UTC), Complete: true, Artifacts: arts})
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, id)
		if i == n/2 || i == n-1 {
			if _, err := f.db.CreateCheckpoint(ctx, f.key); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Everything so far is older than any audit the test runs.
	past := time.Now().Add(-time.Hour)
	filepath.Walk(filepath.Join(f.dir, "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			os.Chtimes(p, past, past)
		}
		return nil
	})
	return f
}

func (f *fixture) audit(t testing.TB) Report {
	t.Helper()
	rep, err := Run(context.Background(), f.db, f.blobs, Options{Workers: 2, Verifier: f.key.Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (f *fixture) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := f.db.SQL().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func kinds(rep Report) []string {
	var ks []string
	for _, x := range rep.Findings {
		if !slices.Contains(ks, x.Kind) {
			ks = append(ks, x.Kind)
		}
	}
	slices.Sort(ks)
	return ks
}

func hasFinding(rep Report, kind, ref string) bool {
	for _, x := range rep.Findings {
		if (kind == "" || x.Kind == kind) && (ref == "" || x.Ref == ref) {
			return true
		}
	}
	return false
}

func TestAuditClean(t *testing.T) {
	f := newFixture(t, 9)
	rep := f.audit(t)
	if !rep.OK || len(rep.Findings) != 0 {
		t.Fatalf("clean archive: %+v", rep.Findings)
	}
	if rep.BlobsChecked != 27 || rep.Leaves != 9 || rep.Checkpoints != 2 {
		t.Errorf("checked %d blobs, %d leaves, %d checkpoints", rep.BlobsChecked, rep.Leaves, rep.Checkpoints)
	}
	_, root, _ := f.db.LedgerSize(context.Background())
	if rep.Root != fmt.Sprintf("%x", root) {
		t.Errorf("root %s, ledger %x", rep.Root, root)
	}
	// Blobs just stored (their capture not yet recorded) are not orphans.
	if _, err := f.blobs.Put(context.Background(), strings.NewReader("in flight")); err != nil {
		t.Fatal(err)
	}
	if rep := f.audit(t); !rep.OK {
		t.Errorf("a blob just stored was reported: %+v", rep.Findings)
	}
}

// TestAuditTampering: every kind of tampering is found.
func TestAuditTampering(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, f *fixture)
		want   []string // finding kinds, sorted
		ref    func(f *fixture) string
	}{
		{"flip a byte in a blob", func(t *testing.T, f *fixture) {
			p := f.blobs.Path(f.sums[4])
			os.Chmod(p, 0o644)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{Corrupt}, func(f *fixture) string { return f.sums[4] }},

		{"truncate a blob", func(t *testing.T, f *fixture) {
			p := f.blobs.Path(f.sums[5])
			os.Chmod(p, 0o644)
			if err := os.Truncate(p, 10); err != nil {
				t.Fatal(err)
			}
		}, []string{Corrupt}, func(f *fixture) string { return f.sums[5] }},

		{"delete a blob", func(t *testing.T, f *fixture) {
			if err := os.Remove(f.blobs.Path(f.sums[0])); err != nil {
				t.Fatal(err)
			}
		}, []string{Missing}, func(f *fixture) string { return f.sums[0] }},

		{"an orphan blob", func(t *testing.T, f *fixture) {
			ref, err := f.blobs.Put(ctx, strings.NewReader("nobody's"))
			if err != nil {
				t.Fatal(err)
			}
			past := time.Now().Add(-time.Hour)
			os.Chtimes(f.blobs.Path(ref.SHA256), past, past)
		}, []string{Orphan}, nil},

		{"change a sha256 in SQLite", func(t *testing.T, f *fixture) {
			forged := strings.Repeat("e", 64)
			f.exec(t, `UPDATE artifacts SET sha256 = ? WHERE sha256 = ?`, forged, f.sums[7])
		}, []string{Manifest, Missing, Orphan}, func(f *fixture) string { return fmt.Sprintf("capture:%d", f.ids[2]) }},

		{"change a size in SQLite", func(t *testing.T, f *fixture) {
			f.exec(t, `UPDATE artifacts SET size = size + 1 WHERE sha256 = ?`, f.sums[8])
		}, []string{Corrupt, Manifest}, nil},

		{"change a capture's target", func(t *testing.T, f *fixture) {
			f.exec(t, `UPDATE captures SET target = 'https://x.com/other' WHERE id = ?`, f.ids[1])
		}, []string{Manifest}, func(f *fixture) string { return fmt.Sprintf("capture:%d", f.ids[1]) }},

		{"delete a ledger row", func(t *testing.T, f *fixture) {
			f.exec(t, `DELETE FROM ledger_leaves WHERE leaf_index = 3`)
		}, []string{Checkpoint, Ledger, Unlogged}, nil},

		{"delete the last ledger row", func(t *testing.T, f *fixture) {
			f.exec(t, `DELETE FROM ledger_leaves WHERE leaf_index = (SELECT max(leaf_index) FROM ledger_leaves)`)
		}, []string{Checkpoint, Ledger, Unlogged}, nil},

		{"rewrite a manifest", func(t *testing.T, f *fixture) {
			f.exec(t, `UPDATE ledger_leaves SET manifest = replace(manifest, 'status/2', 'status/9') WHERE leaf_index = 2`)
		}, []string{Checkpoint, Leaf, Ledger, Manifest}, func(f *fixture) string { return "leaf:2" }},

		{"rewrite a manifest and its leaf hash", func(t *testing.T, f *fixture) {
			var m string
			f.db.SQL().QueryRow(`SELECT manifest FROM ledger_leaves WHERE leaf_index = 2`).Scan(&m)
			m = strings.Replace(m, "status/2", "status/9", 1)
			f.exec(t, `UPDATE ledger_leaves SET manifest = ?, leaf_hash = ? WHERE leaf_index = 2`, m, ledger.LeafHash([]byte(m)))
		}, []string{Checkpoint, Ledger, Manifest}, nil},

		{"rewrite a stored tree node", func(t *testing.T, f *fixture) {
			f.exec(t, `UPDATE ledger_nodes SET hash = zeroblob(32) WHERE id = (SELECT min(id) FROM ledger_nodes)`)
		}, []string{Ledger}, nil},

		{"delete a stored tree node", func(t *testing.T, f *fixture) {
			f.exec(t, `DELETE FROM ledger_nodes WHERE id = (SELECT max(id) FROM ledger_nodes)`)
		}, []string{Ledger}, nil},

		{"rewrite the tree state", func(t *testing.T, f *fixture) {
			f.exec(t, `UPDATE ledger_state SET hashes = zeroblob(length(hashes))`)
		}, []string{Ledger}, func(f *fixture) string { return "state" }},

		{"a capture that bypassed the ledger", func(t *testing.T, f *fixture) {
			f.exec(t, `INSERT INTO captures(kind, target, at) VALUES ('import', 'sneaky', '2026-01-01T00:00:00.000Z')`)
		}, []string{Unlogged}, nil},

		{"re-sign a checkpoint with another key", func(t *testing.T, f *fixture) {
			skey, _ := ledger.GenerateKey(f.key.Name())
			other, _ := ledger.ParseKey(skey)
			var size int64
			var root []byte
			f.db.SQL().QueryRow(`SELECT size, root FROM ledger_checkpoints WHERE id = 1`).Scan(&size, &root)
			note, _ := other.Sign(uint64(size), root)
			f.exec(t, `UPDATE ledger_checkpoints SET note = ? WHERE id = 1`, note)
		}, []string{Checkpoint}, func(f *fixture) string { return "checkpoint:1" }},

		{"rewrite a checkpoint's root", func(t *testing.T, f *fixture) {
			f.exec(t, `UPDATE ledger_checkpoints SET root = zeroblob(32) WHERE id = 2`)
		}, []string{Checkpoint}, func(f *fixture) string { return "checkpoint:2" }},

		{"delete a checkpoint", func(t *testing.T, f *fixture) {
			// A third checkpoint, so that deleting the second leaves a gap.
			recordMore(t, f)
			f.exec(t, `DELETE FROM ledger_checkpoints WHERE id = 2`)
		}, []string{Checkpoint}, func(f *fixture) string { return "checkpoint:3" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 6)
			tc.tamper(t, f)
			rep := f.audit(t)
			if rep.OK {
				t.Fatal("tampering not found")
			}
			if got := kinds(rep); !slices.Equal(got, tc.want) {
				t.Errorf("finding kinds %v, want %v:\n%s", got, tc.want, show(rep))
			}
			if tc.ref != nil && !hasFinding(rep, tc.want[0], tc.ref(f)) && !hasFinding(rep, "", tc.ref(f)) {
				t.Errorf("no finding about %s:\n%s", tc.ref(f), show(rep))
			}
			for _, x := range rep.Findings {
				if x.Detail == "" || strings.Contains(x.Detail, "\n") {
					t.Errorf("finding detail %q", x.Detail)
				}
			}
		})
	}
}

func recordMore(t *testing.T, f *fixture) {
	ctx := context.Background()
	ref, err := f.blobs.Put(ctx, strings.NewReader("more"))
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(f.blobs.Path(ref.SHA256), past, past)
	if _, err := f.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "import", Target: "more.json",
		Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: ref.Size, SHA256: ref.SHA256}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateCheckpoint(ctx, f.key); err != nil {
		t.Fatal(err)
	}
}

func show(rep Report) string {
	var b strings.Builder
	for _, x := range rep.Findings {
		fmt.Fprintf(&b, "  %s %s %s\n", x.Kind, x.Ref, x.Detail)
	}
	return b.String()
}

func TestAuditWithoutPublicKey(t *testing.T) {
	f := newFixture(t, 3)
	rep, err := Run(context.Background(), f.db, f.blobs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !hasFinding(rep, Checkpoint, "checkpoint:1") {
		t.Errorf("checkpoints unchecked for want of a key were not reported: %s", show(rep))
	}
}

func TestAuditBackfillsOldArchive(t *testing.T) {
	f := newFixture(t, 2)
	// As if upgraded from schema 4: a capture without its leaf, and the
	// ledger not yet backfilled.
	ctx := context.Background()
	ref, _ := f.blobs.Put(ctx, strings.NewReader("old import"))
	past := time.Now().Add(-time.Hour)
	os.Chtimes(f.blobs.Path(ref.SHA256), past, past)
	f.exec(t, `INSERT INTO captures(kind, target, at) VALUES ('import', 'old.json', '2025-01-01T00:00:00.000Z')`)
	f.exec(t, `INSERT INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (last_insert_rowid(), 'raw', 'application/json', ?, ?)`, ref.Size, ref.SHA256)
	f.exec(t, `UPDATE ledger_state SET backfilled = 0`)
	rep := f.audit(t)
	if !rep.OK || rep.Leaves != 3 {
		t.Errorf("audit of an upgraded archive: %d leaves, findings:\n%s", rep.Leaves, show(rep))
	}
}
