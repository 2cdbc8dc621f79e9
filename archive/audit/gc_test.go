package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// putOrphan stores body without recording it, last stored age ago.
func (f *fixture) putOrphan(t *testing.T, body string, age time.Duration) archive.BlobRef {
	t.Helper()
	ref, err := f.blobs.Put(context.Background(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(f.blobs.Path(ref.SHA256), at, at); err != nil {
		t.Fatal(err)
	}
	return ref
}

func (f *fixture) has(t *testing.T, sum string) bool {
	t.Helper()
	ok, err := f.blobs.Has(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func removedSums(rep GCReport) []string {
	var out []string
	for _, r := range rep.Removed {
		out = append(out, r.SHA256)
	}
	slices.Sort(out)
	return out
}

func TestGCCollect(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 4)
	// The fixture's blobs are all referred to, and two hours old.
	for _, sum := range f.sums {
		at := time.Now().Add(-2 * time.Hour)
		os.Chtimes(f.blobs.Path(sum), at, at)
	}
	old1 := f.putOrphan(t, "left by a capture killed before it recorded", 2*time.Hour)
	old2 := f.putOrphan(t, "another one, much older", 30*24*time.Hour)
	young := f.putOrphan(t, "a capture still on its way", 10*time.Minute)
	// A crashed write's temporary file.
	tmp := filepath.Join(f.dir, "blobs", "tmp", "put-crashed")
	os.WriteFile(tmp, []byte("partial"), 0o600)
	at := time.Now().Add(-2 * time.Hour)
	os.Chtimes(tmp, at, at)

	// The audit reports exactly what gc will remove.
	rep, err := Run(ctx, f.db, f.blobs, Options{Verifier: f.key.Verifier(), OrphanAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var orphans []string
	for _, x := range rep.Findings {
		if x.Kind == Orphan {
			orphans = append(orphans, x.Ref)
		}
	}
	slices.Sort(orphans)
	want := []string{old1.SHA256, old2.SHA256}
	slices.Sort(want)
	if !slices.Equal(orphans, want) || len(rep.Findings) != 2 {
		t.Fatalf("audit before gc: %s", show(rep))
	}

	// A dry run lists them and removes nothing.
	dry, err := Collect(ctx, f.db, f.blobs, GCOptions{Grace: time.Hour, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := removedSums(dry); !slices.Equal(got, want) || !dry.DryRun || dry.Young != 1 {
		t.Errorf("dry run: %+v, want %v", dry, want)
	}
	for _, ref := range []archive.BlobRef{old1, old2, young} {
		if !f.has(t, ref.SHA256) {
			t.Errorf("dry run removed %s", ref.SHA256)
		}
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("dry run removed a temporary file")
	}

	gc, err := Collect(ctx, f.db, f.blobs, GCOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := removedSums(gc); !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	if gc.BytesFreed != old1.Size+old2.Size || gc.Young != 1 || gc.TempRemoved != 1 || gc.Blobs != len(f.sums)+3 {
		t.Errorf("report %+v", gc)
	}
	for _, ref := range []archive.BlobRef{old1, old2} {
		if f.has(t, ref.SHA256) {
			t.Errorf("old orphan %s kept", ref.SHA256)
		}
	}
	if !f.has(t, young.SHA256) {
		t.Errorf("young orphan removed")
	}
	for _, sum := range f.sums {
		if !f.has(t, sum) {
			t.Errorf("referred blob %s removed", sum)
		}
	}
	if rep := f.audit(t); !rep.OK {
		t.Errorf("audit after gc: %s", show(rep))
	}

	// Nothing left to do; a second run removes nothing.
	again, err := Collect(ctx, f.db, f.blobs, GCOptions{Grace: time.Hour})
	if err != nil || len(again.Removed) != 0 {
		t.Errorf("second gc: %+v, %v", again, err)
	}
}

// TestGCRaces: blobs that a capture records, or stores again, between the
// listing and their removal are kept.
func TestGCRaces(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 2)
	recorded := f.putOrphan(t, "recorded by a capture while gc runs", 2*time.Hour)
	restored := f.putOrphan(t, "stored again by a capture while gc runs", 2*time.Hour)
	orphan := f.putOrphan(t, "a true orphan", 2*time.Hour)
	// After listing, RemoveUnused looks the hash up once more: a record
	// made at any moment before then keeps the blob.
	var seen []string
	gc, err := Collect(ctx, f.db, f.blobs, GCOptions{Grace: time.Hour, beforeRemove: func(ref archive.BlobRef) {
		seen = append(seen, ref.SHA256)
		switch ref.SHA256 {
		case recorded.SHA256:
			if _, err := f.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "import", Target: "late.json",
				Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: recorded.Size, SHA256: recorded.SHA256}}}); err != nil {
				t.Error(err)
			}
		case restored.SHA256:
			// Put finds the bytes stored and makes the file young.
			if _, err := f.blobs.Put(ctx, strings.NewReader("stored again by a capture while gc runs")); err != nil {
				t.Error(err)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("listed %d orphans, want 3", len(seen))
	}
	if got := removedSums(gc); !slices.Equal(got, []string{orphan.SHA256}) || gc.Spared != 2 {
		t.Errorf("removed %v (spared %d), want only %s", got, gc.Spared, orphan.SHA256)
	}
	if !f.has(t, recorded.SHA256) || !f.has(t, restored.SHA256) || f.has(t, orphan.SHA256) {
		t.Errorf("after gc: recorded %v, stored again %v, orphan %v", f.has(t, recorded.SHA256), f.has(t, restored.SHA256), f.has(t, orphan.SHA256))
	}
	if rep := f.audit(t); !rep.OK {
		t.Errorf("audit after gc: %s", show(rep))
	}
	// Blobs in the tmp directory, other than crashed writes, are none.
	es, _ := os.ReadDir(filepath.Join(f.dir, "blobs", "tmp"))
	if len(es) != 0 {
		t.Errorf("tmp holds %d files", len(es))
	}
}

// TestGCNeverRemovesReferred: every blob an artifact names survives,
// however old, even with the shortest grace.
func TestGCNeverRemovesReferred(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 6)
	ancient := time.Now().Add(-365 * 24 * time.Hour)
	for _, sum := range f.sums {
		os.Chtimes(f.blobs.Path(sum), ancient, ancient)
	}
	gc, err := Collect(ctx, f.db, f.blobs, GCOptions{Grace: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(gc.Removed) != 0 {
		t.Errorf("removed %v", removedSums(gc))
	}
	for _, sum := range f.sums {
		if !f.has(t, sum) {
			t.Errorf("referred blob %s removed", sum)
		}
	}
	if gc.Blobs != len(f.sums) {
		t.Errorf("walked %d blobs, want %d", gc.Blobs, len(f.sums))
	}
}

// TestGCConcurrentCaptures races collections against captures that store
// again, and record, bytes that sat in the store as old orphans: whatever
// the interleaving, a recorded blob is on disk afterwards.
func TestGCConcurrentCaptures(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 1)
	const rounds = 40
	for i := range rounds {
		body := fmt.Sprintf("page %d, orphaned by a killed capture, then captured again", i)
		ref := f.putOrphan(t, body, 2*time.Hour)
		done := make(chan error, 1)
		go func() {
			// As a capture does: the blob first, then the record.
			if _, err := f.blobs.Put(ctx, strings.NewReader(body)); err != nil {
				done <- err
				return
			}
			_, err := f.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "import", Target: fmt.Sprintf("again-%d.json", i),
				Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: ref.Size, SHA256: ref.SHA256}}})
			done <- err
		}()
		if _, err := Collect(ctx, f.db, f.blobs, GCOptions{Grace: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !f.has(t, ref.SHA256) {
			t.Fatalf("round %d: a blob stored again and recorded was removed", i)
		}
	}
	if rep := f.audit(t); !rep.OK {
		t.Errorf("audit: %s", show(rep))
	}
}
