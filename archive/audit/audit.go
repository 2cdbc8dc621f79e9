// Package audit checks an archive from end to end, trusting nothing it
// stores: every blob is re-hashed, every capture's manifest is made again
// from its rows and compared with the logged one, the Merkle tree is
// rebuilt from the logged manifests and compared, node by node, with the
// stored tree, and every signed checkpoint is checked against the rebuilt
// tree and the archive's public key.
//
// Collect removes the orphan blobs an audit finds (blobs no artifact
// refers to, left by captures that crashed between storing their blobs
// and recording them), sharing the audit's walk of the blob store.
package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// Finding kinds.
const (
	Missing    = "missing"    // an artifact's blob is not in the store
	Corrupt    = "corrupt"    // a blob's bytes do not hash to its name, or its size is not the recorded one
	Orphan     = "orphan"     // a blob that no artifact refers to
	Unlogged   = "unlogged"   // a capture that is not in the ledger
	Manifest   = "manifest"   // a logged manifest differs from what the capture's rows say now
	Leaf       = "leaf"       // a stored leaf hash is not the hash of its stored manifest
	Ledger     = "ledger"     // the stored tree (leaves, nodes, state) is damaged
	Checkpoint = "checkpoint" // a checkpoint does not match the rebuilt tree, or its signature fails
)

// Finding is one thing found wrong. Ref names what it is about: a blob's
// sha256, "capture:ID", "leaf:N", "node:LEVEL/INDEX", "state" or
// "checkpoint:ID".
type Finding struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	Detail string `json:"detail"`
}

// Report is the outcome of an audit.
type Report struct {
	OK           bool      `json:"ok"`
	BlobsChecked int       `json:"blobs_checked"`
	BytesChecked int64     `json:"bytes_checked"`
	Leaves       uint64    `json:"leaves"`
	Root         string    `json:"root"`
	Checkpoints  int       `json:"checkpoints"`
	Workers      int       `json:"workers"`
	Seconds      float64   `json:"seconds"`
	Findings     []Finding `json:"findings"`
}

// Options tune Run.
type Options struct {
	// Workers hash blobs in parallel; runtime.GOMAXPROCS(0) when 0.
	Workers int
	// Verifier is the archive's public key, to check checkpoint
	// signatures. When nil, every stored checkpoint is a finding, as it
	// cannot be checked.
	Verifier note.Verifier
	// OrphanAge is how old an unreferenced blob must be to be reported as
	// an orphan: a capture stores its blobs before it records them, so a
	// younger one may belong to a capture still being made. 15 minutes
	// when 0.
	OrphanAge time.Duration
	// SkipBlobs leaves out the blob phase (for ledger-only checks).
	SkipBlobs bool
	// Log receives progress; discarded when nil.
	Log *slog.Logger
}

// Run audits the archive. Findings are in the report; the error is for
// audits that could not run (a database that cannot be read).
func Run(ctx context.Context, db *sqlite.DB, blobs *blob.Store, opt Options) (Report, error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.OrphanAge <= 0 {
		opt.OrphanAge = 15 * time.Minute
	}
	start := time.Now()
	r := &run{db: db, blobs: blobs, opt: opt, start: start}
	rep := Report{Workers: opt.Workers}
	// Captures from before the ledger are appended first, so that they are
	// checked rather than reported as unlogged.
	if n, err := db.LedgerBackfill(ctx); err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	} else if n > 0 {
		opt.Log.Info("ledger backfilled", "captures", n)
	}
	if !opt.SkipBlobs && blobs != nil {
		if err := r.checkBlobs(ctx); err != nil {
			return rep, fmt.Errorf("audit: %w", err)
		}
	}
	if err := r.checkLedger(ctx); err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	rep.BlobsChecked = int(r.blobsChecked.Load())
	rep.BytesChecked = r.bytesChecked.Load()
	rep.Leaves, rep.Root, rep.Checkpoints = r.leaves, hex.EncodeToString(r.root), r.checkpoints
	rep.Findings = r.findings
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	rep.OK = len(rep.Findings) == 0
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

type run struct {
	db    *sqlite.DB
	blobs *blob.Store
	opt   Options
	start time.Time

	mu       sync.Mutex
	findings []Finding

	blobsChecked atomic.Int64
	bytesChecked atomic.Int64

	leaves      uint64
	root        []byte
	checkpoints int
}

func (r *run) add(kind, ref, format string, args ...any) {
	r.mu.Lock()
	r.findings = append(r.findings, Finding{Kind: kind, Ref: ref, Detail: fmt.Sprintf(format, args...)})
	r.mu.Unlock()
}

// checkBlobs re-hashes every blob that an artifact refers to, in parallel,
// and reports missing, corrupt and orphan blobs.
func (r *run) checkBlobs(ctx context.Context) error {
	type job struct {
		sum        string
		size, disk int64
	}
	jobs := make(chan job, 4*r.opt.Workers)
	var wg sync.WaitGroup
	for range r.opt.Workers {
		wg.Go(func() {
			buf := make([]byte, 1<<20)
			for j := range jobs {
				r.rehash(ctx, j.sum, j.size, buf)
			}
		})
	}
	sc, err := scanBlobs(ctx, r.db, r.blobs, func(ref archive.BlobRef, recorded int64) error {
		select {
		case jobs <- job{sum: ref.SHA256, size: recorded, disk: ref.Size}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, m := range sc.missing {
		a, err := r.db.Artifact(ctx, m.SHA256)
		if err != nil {
			a.Kind = "artifact"
		}
		r.add(Missing, m.SHA256, "%s of %d bytes is not in the blob store", a.Kind, m.Size)
	}
	old, _, err := sc.orphans(ctx, r.db, r.blobs, r.start.Add(-r.opt.OrphanAge))
	if err != nil {
		return err
	}
	for _, o := range old {
		r.add(Orphan, o.SHA256, "blob of %d bytes that no artifact refers to", o.Size)
	}
	return nil
}

// scan is what one walk of the blob store found, beside the recorded
// hashes.
type scan struct {
	// missing are recorded blobs that are not in the store, by hash.
	missing []archive.BlobRef
	// unreferred are blobs in the store that no artifact named when the
	// walk began: orphans, or blobs of captures being made.
	unreferred []archive.BlobRef
}

// scanBlobs reads the recorded hashes, then walks the store once, calling
// referred (if not nil) for each blob an artifact names, with its
// recorded size, and collecting the others. It is the one walk that audit
// (Run) and garbage collection (Collect) share.
//
// The recorded hashes are read before the store is walked: blobs are
// always stored before the rows that name them, so a blob named by a row
// read first is on disk by the time of the walk, and there are no false
// "missing". A blob stored after the rows were read may look unreferred;
// scan.orphans looks each one up again.
func scanBlobs(ctx context.Context, db *sqlite.DB, blobs *blob.Store, referred func(ref archive.BlobRef, recorded int64) error) (scan, error) {
	var sc scan
	want := map[string]int64{}
	if err := db.ArtifactHashes(ctx, func(sum string, size int64) error {
		want[sum] = size
		return nil
	}); err != nil {
		return sc, err
	}
	err := blobs.Walk(ctx, func(ref archive.BlobRef) error {
		size, ok := want[ref.SHA256]
		if !ok {
			sc.unreferred = append(sc.unreferred, ref)
			return nil
		}
		delete(want, ref.SHA256)
		if referred == nil {
			return nil
		}
		return referred(ref, size)
	})
	if err != nil {
		return sc, err
	}
	for sum, size := range want {
		sc.missing = append(sc.missing, archive.BlobRef{SHA256: sum, Size: size})
	}
	sort.Slice(sc.missing, func(i, j int) bool { return sc.missing[i].SHA256 < sc.missing[j].SHA256 })
	return sc, nil
}

// orphans looks each unreferred blob up again (it may have been recorded
// since the walk) and splits those still unreferred into old ones, last
// stored before cutoff, and young ones, which may belong to a capture on
// its way. Blobs gone meanwhile are in neither.
func (sc scan) orphans(ctx context.Context, db *sqlite.DB, blobs *blob.Store, cutoff time.Time) (old, young []archive.BlobRef, err error) {
	for _, o := range sc.unreferred {
		if used, err := referred(ctx, db, o.SHA256); err != nil {
			return nil, nil, err
		} else if used {
			continue // recorded since the walk
		}
		fi, err := os.Stat(blobs.Path(o.SHA256))
		switch {
		case err != nil:
			// gone
		case fi.ModTime().Before(cutoff):
			old = append(old, archive.BlobRef{SHA256: o.SHA256, Size: fi.Size()})
		default:
			young = append(young, archive.BlobRef{SHA256: o.SHA256, Size: fi.Size()})
		}
	}
	return old, young, nil
}

// referred reports whether an artifact names the blob sum now.
func referred(ctx context.Context, db *sqlite.DB, sum string) (bool, error) {
	_, err := db.Artifact(ctx, sum)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, archive.ErrNotFound):
		return false, nil
	}
	return false, err
}

// rehash reads one blob and checks its hash and size.
func (r *run) rehash(ctx context.Context, sum string, size int64, buf []byte) {
	rc, err := r.blobs.Open(ctx, sum)
	if errors.Is(err, archive.ErrNotFound) {
		r.add(Missing, sum, "blob vanished during the audit")
		return
	}
	if err != nil {
		r.add(Corrupt, sum, "cannot be read: %v", err)
		return
	}
	defer rc.Close()
	h := newHash()
	var n int64
	for {
		if ctx.Err() != nil {
			return
		}
		k, err := rc.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			r.add(Corrupt, sum, "read error after %d bytes: %v", n, err)
			return
		}
	}
	r.blobsChecked.Add(1)
	r.bytesChecked.Add(n)
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		r.add(Corrupt, sum, "bytes hash to %s", got)
	} else if n != size {
		r.add(Corrupt, sum, "%d bytes on disk, %d recorded", n, size)
	}
}

// checkLedger rebuilds the tree from the logged manifests and checks it
// against the stored leaves, nodes, state and checkpoints.
func (r *run) checkLedger(ctx context.Context) error {
	tree := ledger.NewTree()
	broken := false // a gap in the leaves: the tree cannot be rebuilt past it
	nodes := newNodeChecker(r)
	var dump sqlite.LedgerDump
	// The roots at the sizes the checkpoints name, as the tree passes them.
	roots := map[uint64][]byte{0: ledger.EmptyRoot()}
	want := map[uint64]bool{}
	err := r.db.ReadLedger(ctx, func(d sqlite.LedgerDump) error {
		dump = d
		for _, cp := range d.Checkpoints {
			want[cp.Size] = true
		}
		return nil
	}, func(e sqlite.LedgerEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ref := fmt.Sprintf("capture:%d", e.CaptureID)
		h := ledger.LeafHash([]byte(e.Manifest))
		if !bytes.Equal(h, e.Hash) {
			r.add(Leaf, fmt.Sprintf("leaf:%d", e.Index), "stored leaf hash %x is not the hash of the stored manifest (%x)", e.Hash, h)
		}
		switch {
		case e.Current == nil:
			r.add(Manifest, ref, "leaf %d logs capture %d, which is no longer in the archive", e.Index, e.CaptureID)
		case !bytes.Equal(e.Current, []byte(e.Manifest)):
			r.add(Manifest, ref, "leaf %d: %s", e.Index, diffManifests([]byte(e.Manifest), e.Current))
		}
		if broken {
			return nil
		}
		if e.Index != tree.Size() {
			broken = true
			r.add(Ledger, fmt.Sprintf("leaf:%d", tree.Size()), "leaves %d to %d are missing from the log", tree.Size(), e.Index-1)
			return nil
		}
		if err := tree.Append(h, nodes.visit); err != nil {
			return err
		}
		if err := nodes.flushIfFull(ctx); err != nil {
			return err
		}
		if want[tree.Size()] {
			roots[tree.Size()] = tree.Root()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := nodes.flush(ctx); err != nil {
		return err
	}
	r.leaves, r.root, r.checkpoints = tree.Size(), tree.Root(), len(dump.Checkpoints)
	switch {
	case broken:
	case dump.Size != tree.Size():
		r.add(Ledger, "state", "the stored state says %d leaves, the log holds %d", dump.Size, tree.Size())
	case !bytes.Equal(dump.State, tree.State()):
		r.add(Ledger, "state", "the stored compact state differs from the rebuilt tree's: the next leaves would hash wrong")
	}
	for _, id := range dump.Unlogged {
		r.add(Unlogged, fmt.Sprintf("capture:%d", id), "capture %d is not in the ledger", id)
	}
	r.checkCheckpoints(dump.Checkpoints, roots, tree.Size(), broken)
	return nil
}

// checkCheckpoints checks every checkpoint's signature, that it states the
// size and root its row has, and that its root is the rebuilt tree's at
// its size.
func (r *run) checkCheckpoints(cps []ledger.Checkpoint, roots map[uint64][]byte, size uint64, broken bool) {
	var prev ledger.Checkpoint
	for i, cp := range cps {
		ref := fmt.Sprintf("checkpoint:%d", cp.ID)
		if i > 0 && cp.ID != prev.ID+1 {
			r.add(Checkpoint, ref, "checkpoints %d to %d are missing", prev.ID+1, cp.ID-1)
		}
		if i > 0 && cp.Size < prev.Size {
			r.add(Checkpoint, ref, "covers %d leaves, fewer than the %d of the checkpoint before it", cp.Size, prev.Size)
		}
		prev = cp
		if r.opt.Verifier == nil {
			r.add(Checkpoint, ref, "no public key (ledger.pub) to check its signature")
		} else if s, root, err := ledger.OpenCheckpoint(cp.Note, r.opt.Verifier); err != nil {
			r.add(Checkpoint, ref, "%v", err)
		} else if s != cp.Size || !bytes.Equal(root, cp.Root) {
			r.add(Checkpoint, ref, "its signed note states %d leaves and root %x, its row %d and %x", s, root, cp.Size, cp.Root)
		}
		switch want, ok := roots[cp.Size]; {
		case ok && !bytes.Equal(want, cp.Root):
			r.add(Checkpoint, ref, "root %x at %d leaves, but the logged manifests make %x: the log was rewritten", cp.Root, cp.Size, want)
		case !ok && cp.Size > size:
			r.add(Checkpoint, ref, "covers %d leaves, but the log holds %d: leaves were removed", cp.Size, size)
		case !ok && !broken:
			r.add(Checkpoint, ref, "no root was rebuilt at %d leaves", cp.Size)
		}
	}
}
