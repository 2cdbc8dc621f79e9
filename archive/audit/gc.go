package audit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// DefaultGrace is how old an orphan blob must be before Collect removes
// it, unless GCOptions say otherwise.
const DefaultGrace = time.Hour

// GCOptions tune Collect.
type GCOptions struct {
	// Grace is how long ago an orphan must have been last stored to be
	// removed (DefaultGrace when 0). A capture stores its blobs before it
	// records them, so Grace must be longer than any capture takes from
	// its first blob to its record.
	Grace time.Duration
	// DryRun lists what would be removed and removes nothing.
	DryRun bool
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Log receives progress; discarded when nil.
	Log *slog.Logger

	// beforeRemove, in tests, runs between the listing and each removal.
	beforeRemove func(archive.BlobRef)
}

// Removed is one orphan blob Collect removed (or, in a dry run, would).
type Removed struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// GCReport is what Collect did.
type GCReport struct {
	DryRun bool   `json:"dry_run"`
	Grace  string `json:"grace"`
	Cutoff string `json:"cutoff"` // orphans last stored before this time are removed
	Blobs  int    `json:"blobs"`  // blobs in the store when the walk began
	// Orphans counts the blobs no artifact refers to, old and young.
	Orphans int `json:"orphans"`
	// Removed lists the orphans removed, by hash.
	Removed []Removed `json:"removed"`
	// BytesFreed is the size of the removed blobs.
	BytesFreed int64 `json:"bytes_freed"`
	// Young counts orphans kept because they were stored within the grace
	// period; Spared those that became referred, or were stored again,
	// between the listing and their removal.
	Young  int `json:"young"`
	Spared int `json:"spared"`
	// Restored counts blobs a crashed earlier collection had left moved
	// aside, put back before this one began; TempRemoved the temporary
	// files of crashed writes, older than the grace period, removed.
	Restored    int     `json:"restored"`
	TempRemoved int     `json:"temp_removed"`
	Seconds     float64 `json:"seconds"`
}

// Collect removes orphan blobs: blobs in the store that no artifact refers
// to and that were last stored more than opt.Grace ago. It finds them with
// the same walk as Run (an audit reports exactly these as orphans when its
// OrphanAge equals Grace), and removes each with blob.Store.RemoveUnused,
// which looks the hash up in the database once more after moving the blob
// out of reach, so that a blob recorded by a capture at any moment before
// its removal is kept. A referred blob is never removed.
//
// It also puts back blobs an interrupted collection left aside and removes
// the temporary files of crashed writes older than Grace. The error is for
// a collection that could not run or finish; the report holds what was
// done until then.
func Collect(ctx context.Context, db *sqlite.DB, blobs *blob.Store, opt GCOptions) (GCReport, error) {
	if opt.Grace <= 0 {
		opt.Grace = DefaultGrace
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	start := opt.Now()
	cutoff := start.Add(-opt.Grace)
	rep := GCReport{DryRun: opt.DryRun, Grace: opt.Grace.String(), Cutoff: cutoff.UTC().Format(time.RFC3339), Removed: []Removed{}}
	done := func(err error) (GCReport, error) {
		rep.Seconds = opt.Now().Sub(start).Seconds()
		if err != nil {
			err = fmt.Errorf("gc: %w", err)
		}
		return rep, err
	}

	if !opt.DryRun {
		n, err := blobs.RestoreRemovals()
		rep.Restored = n
		if err != nil {
			return done(err)
		}
		if n > 0 {
			opt.Log.Warn("put back blobs an interrupted collection had moved aside", "blobs", n)
		}
	}
	blobCount := 0
	sc, err := scanBlobs(ctx, db, blobs, func(archive.BlobRef, int64) error {
		blobCount++
		return nil
	})
	if err != nil {
		return done(err)
	}
	rep.Blobs = blobCount + len(sc.unreferred)
	old, young, err := sc.orphans(ctx, db, blobs, cutoff)
	if err != nil {
		return done(err)
	}
	rep.Orphans, rep.Young = len(old)+len(young), len(young)
	for _, o := range old {
		if err := ctx.Err(); err != nil {
			return done(err)
		}
		if opt.beforeRemove != nil {
			opt.beforeRemove(o)
		}
		if opt.DryRun {
			rep.Removed = append(rep.Removed, Removed{SHA256: o.SHA256, Size: o.Size})
			rep.BytesFreed += o.Size
			continue
		}
		removed, size, err := blobs.RemoveUnused(ctx, o.SHA256, cutoff, func(ctx context.Context) (bool, error) {
			return referred(ctx, db, o.SHA256)
		})
		if err != nil {
			return done(err)
		}
		if !removed {
			rep.Spared++
			continue
		}
		opt.Log.Debug("removed orphan blob", "sha256", o.SHA256, "size", size)
		rep.Removed = append(rep.Removed, Removed{SHA256: o.SHA256, Size: size})
		rep.BytesFreed += size
	}
	if !opt.DryRun {
		n, err := blobs.CleanTemp(opt.Grace)
		rep.TempRemoved = n
		if err != nil {
			return done(err)
		}
	}
	return done(nil)
}
