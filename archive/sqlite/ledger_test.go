package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

func testKey(t testing.TB, name string) *ledger.Key {
	t.Helper()
	skey, err := ledger.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ledger.ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fakeSum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func recordN(t testing.TB, db *DB, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		id, err := db.RecordCapture(context.Background(), CaptureInput{
			Kind: "snapshot", Target: fmt.Sprintf("https://x.com/VP/status/%d", 1000+i), Format: "post",
			At: time.Date(2026, 2, 10, 14, 0, i, 0, time.UTC), Complete: true,
			Artifacts: []archive.Artifact{
				{Kind: "screenshot", MediaType: "image/png", Size: int64(100 + i), SHA256: fakeSum(fmt.Sprint("png", i))},
				{Kind: "dom", MediaType: "text/html", Size: int64(50 + i), SHA256: fakeSum(fmt.Sprint("dom", i))},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func count(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLedgerRecordCaptureAppendsLeaf(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ids := recordN(t, db, 5)
	size, root, err := db.LedgerSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if size != 5 {
		t.Fatalf("ledger size %d, want 5", size)
	}
	// The root is the tree of the stored manifests, each made from the
	// capture's rows.
	tree := ledger.NewTree()
	for i, id := range ids {
		leaf, err := db.LedgerLeaf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if leaf.Index != uint64(i) {
			t.Errorf("capture %d is leaf %d, want %d", id, leaf.Index, i)
		}
		c, err := db.Capture(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m := ledger.Manifest{CaptureID: id, Kind: c.Kind, Target: c.Target, At: formatTime(c.At), Software: ledger.Software()}
		for _, a := range c.Artifacts {
			m.Artifacts = append(m.Artifacts, ledger.ManifestArtifact{Kind: a.Kind, MediaType: a.MediaType, Size: a.Size, SHA256: a.SHA256})
		}
		if string(m.Canonical()) != leaf.Manifest {
			t.Errorf("leaf manifest\n got %s\nwant %s", leaf.Manifest, m.Canonical())
		}
		if !bytes.Equal(leaf.Hash, ledger.LeafHash([]byte(leaf.Manifest))) {
			t.Error("stored leaf hash is not the manifest's")
		}
		tree.Append(leaf.Hash, nil)
	}
	if !bytes.Equal(tree.Root(), root) {
		t.Errorf("root %x, rebuilt %x", root, tree.Root())
	}
	for s := uint64(0); s <= size; s++ {
		r, err := ledger.RootAt(ctx, db.LedgerNodes(), s)
		if err != nil {
			t.Fatal(err)
		}
		if s == size && !bytes.Equal(r, root) {
			t.Errorf("RootAt(%d) from stored nodes differs from the state's root", s)
		}
	}
}

// TestLedgerSameTransaction: a capture whose transaction fails leaves no
// leaf, and a leaf that cannot be appended leaves no capture.
func TestLedgerSameTransaction(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	recordN(t, db, 2)
	before := [3]int{count(t, db, "captures"), count(t, db, "artifacts"), count(t, db, "ledger_leaves")}

	// The capture fails after its rows are written (no such post).
	_, err := db.RecordCapture(ctx, CaptureInput{Kind: "snapshot", Target: "u", PostID: "404",
		Artifacts: []archive.Artifact{{Kind: "dom", MediaType: "text/html", Size: 1, SHA256: fakeSum("x")}}})
	if err == nil {
		t.Fatal("capture of an unknown post was recorded")
	}
	// The ledger fails: the leaf's insert, then the state's update.
	for _, trigger := range []string{
		`CREATE TRIGGER fail_leaf BEFORE INSERT ON ledger_leaves BEGIN SELECT RAISE(ABORT, 'no leaves today'); END`,
		`CREATE TRIGGER fail_state BEFORE UPDATE ON ledger_state BEGIN SELECT RAISE(ABORT, 'no state today'); END`,
	} {
		if _, err := db.SQL().Exec(trigger); err != nil {
			t.Fatal(err)
		}
		_, err := db.RecordCapture(ctx, CaptureInput{Kind: "snapshot", Target: "u",
			Artifacts: []archive.Artifact{{Kind: "dom", MediaType: "text/html", Size: 1, SHA256: fakeSum("y")}}})
		if err == nil || !strings.Contains(err.Error(), "today") {
			t.Fatalf("with %s: %v", trigger, err)
		}
		name := strings.Fields(trigger)[2]
		if _, err := db.SQL().Exec(`DROP TRIGGER ` + name); err != nil {
			t.Fatal(err)
		}
	}
	after := [3]int{count(t, db, "captures"), count(t, db, "artifacts"), count(t, db, "ledger_leaves")}
	if after != before {
		t.Errorf("captures, artifacts, leaves: %v after failed captures, %v before", after, before)
	}
	size, _, _ := db.LedgerSize(ctx)
	if size != 2 {
		t.Errorf("ledger size %d after failed captures, want 2", size)
	}
	// And the next capture still appends at the right place.
	ids := recordN(t, db, 1)
	leaf, err := db.LedgerLeaf(ctx, ids[0])
	if err != nil || leaf.Index != 2 {
		t.Errorf("next leaf %+v, %v", leaf, err)
	}
}

func TestLedgerMediaStoredAppendsLeaf(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.NewPostWriter().Write(ctx, items(genPosts(1, 1)...)); err != nil {
		t.Fatal(err)
	}
	var ord int64
	if err := db.SQL().QueryRow(`SELECT ord FROM posts LIMIT 1`).Scan(&ord); err != nil {
		t.Fatal(err)
	}
	err := db.MediaStored(ctx, MediaItem{PostOrd: ord, Key: "3_1", URL: "https://pbs.twimg.com/media/a.jpg"},
		archive.Artifact{Kind: "media", MediaType: "image/jpeg", Size: 10, SHA256: fakeSum("jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	var capID int64
	if err := db.SQL().QueryRow(`SELECT id FROM captures WHERE kind = 'media'`).Scan(&capID); err != nil {
		t.Fatal(err)
	}
	leaf, err := db.LedgerLeaf(ctx, capID)
	if err != nil {
		t.Fatalf("media capture not in the ledger: %v", err)
	}
	if !strings.Contains(leaf.Manifest, `"kind":"media"`) || !strings.Contains(leaf.Manifest, fakeSum("jpeg")) {
		t.Errorf("media manifest %s", leaf.Manifest)
	}
}

// TestLedgerBackfill: captures from before the ledger are appended in
// capture id order by the first ledger write, once.
func TestLedgerBackfill(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	// An archive upgraded from schema 4: captures without leaves.
	for i := range 3 {
		res, err := db.SQL().Exec(`INSERT INTO captures(kind, target, at) VALUES ('import', ?, '2026-01-01T00:00:00.000Z')`, fmt.Sprint("old", i))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		if _, err := db.SQL().Exec(`INSERT INTO artifacts(capture_id, kind, media_type, size, sha256) VALUES (?, 'raw', 'application/json', 5, ?)`,
			id, fakeSum(fmt.Sprint("old", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().Exec(`UPDATE ledger_state SET backfilled = 0`); err != nil {
		t.Fatal(err)
	}
	ids := recordN(t, db, 1)
	size, _, _ := db.LedgerSize(ctx)
	if size != 4 {
		t.Fatalf("ledger size %d after the first capture, want 3 old + 1", size)
	}
	for i := int64(1); i <= 3; i++ {
		leaf, err := db.LedgerLeaf(ctx, i)
		if err != nil || leaf.Index != uint64(i-1) {
			t.Errorf("old capture %d: %+v %v", i, leaf, err)
		}
		if !strings.Contains(leaf.Manifest, `"software":""`) {
			t.Errorf("old capture's manifest claims a software: %s", leaf.Manifest)
		}
	}
	if leaf, _ := db.LedgerLeaf(ctx, ids[0]); leaf.Index != 3 {
		t.Errorf("new capture is leaf %d, want 3", leaf.Index)
	}
	n, err := db.LedgerBackfill(ctx)
	if err != nil || n != 0 {
		t.Errorf("second backfill: %d, %v", n, err)
	}
	// A capture that escapes the ledger later is not quietly appended.
	if _, err := db.SQL().Exec(`INSERT INTO captures(kind, target, at) VALUES ('import', 'sneaky', '2026-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.LedgerBackfill(ctx); n != 0 {
		t.Errorf("backfill after it was done appended %d", n)
	}
}

func TestLedgerBackfillByCheckpoint(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.SQL().Exec(`INSERT INTO captures(kind, target, at) VALUES ('import', 'old', '2026-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE ledger_state SET backfilled = 0`); err != nil {
		t.Fatal(err)
	}
	cp, err := db.CreateCheckpoint(ctx, testKey(t, "verbatim.archive/t"))
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 1 {
		t.Errorf("checkpoint of %d leaves, want the backfilled 1", cp.Size)
	}
}

func TestLedgerCheckpointsAndReceipts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	key := testKey(t, "verbatim.archive/test")
	if _, err := db.LatestCheckpoint(ctx); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("latest checkpoint of a new archive: %v", err)
	}
	ids := recordN(t, db, 7)
	cp1, err := db.CreateCheckpoint(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if cp1.Size != 7 {
		t.Errorf("checkpoint size %d", cp1.Size)
	}
	again, err := db.CreateCheckpoint(ctx, key)
	if err != nil || again.ID != cp1.ID {
		t.Errorf("a checkpoint of an unchanged tree made a new one: %+v %v", again, err)
	}
	// A receipt for an old capture uses the latest checkpoint.
	r, err := db.Receipt(ctx, ids[2], key)
	if err != nil {
		t.Fatal(err)
	}
	if r.TreeSize != 7 || r.Checkpoint != cp1.Note {
		t.Errorf("receipt tree size %d", r.TreeSize)
	}
	if _, err := r.Verify(key.Verifier()); err != nil {
		t.Errorf("receipt: %v", err)
	}
	// A receipt for a capture newer than the latest checkpoint makes one.
	more := recordN(t, db, 6)
	r2, err := db.Receipt(ctx, more[5], key)
	if err != nil {
		t.Fatal(err)
	}
	if r2.TreeSize != 13 {
		t.Errorf("new receipt's tree size %d, want 13", r2.TreeSize)
	}
	got, err := r2.Verify(key.Verifier())
	if err != nil || got.Manifest.CaptureID != more[5] {
		t.Errorf("receipt: %+v %v", got, err)
	}
	cps, err := db.Checkpoints(ctx)
	if err != nil || len(cps) != 2 {
		t.Fatalf("checkpoints %d, %v", len(cps), err)
	}
	// Consistency from the first receipt's tree to the latest.
	c, err := db.ConsistencySince(ctx, r.TreeSize, key)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := r.Verify(key.Verifier())
	if n, err := c.Verify(key.Verifier(), v1.TreeSize, v1.Root); err != nil || n != 13 {
		t.Errorf("consistency: %d %v", n, err)
	}
	// Round-trips through JSON, as `verbatim proof` writes it.
	b, _ := json.MarshalIndent(r, "", "  ")
	var back ledger.Receipt
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := back.Verify(key.Verifier()); err != nil {
		t.Errorf("receipt through JSON: %v", err)
	}
	if _, err := db.Receipt(ctx, 999, key); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("receipt of no capture: %v", err)
	}
	if _, err := db.ConsistencySince(ctx, 14, key); err == nil {
		t.Error("consistency from a size beyond the tree")
	}
}

// TestLedgerProofsMatchEveryIndex checks every inclusion proof of a tree
// of awkward size against its root.
func TestLedgerProofsMatchEveryIndex(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ids := recordN(t, db, 37)
	size, root, _ := db.LedgerSize(ctx)
	for _, id := range ids {
		leaf, _ := db.LedgerLeaf(ctx, id)
		for _, s := range []uint64{leaf.Index + 1, size} {
			p, err := db.InclusionProof(ctx, leaf.Index, s)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ledger.RootAt(ctx, db.LedgerNodes(), s)
			if err != nil {
				t.Fatal(err)
			}
			if err := ledger.VerifyInclusion(leaf.Index, s, leaf.Hash, p, r); err != nil {
				t.Errorf("leaf %d in %d: %v", leaf.Index, s, err)
			}
		}
	}
	for s1 := uint64(1); s1 <= size; s1 += 5 {
		r1, _ := ledger.RootAt(ctx, db.LedgerNodes(), s1)
		p, err := db.ConsistencyProof(ctx, s1, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.VerifyConsistency(s1, size, p, r1, root); err != nil {
			t.Errorf("%d to %d: %v", s1, size, err)
		}
	}
}
