package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/verbatim-archive/verbatim/archive/audit"
)

func runGC(ctx context.Context, a *app, args []string) error {
	fs := a.flags("gc", "")
	format := formatFlag(fs, "text", "json")
	grace := fs.Duration("grace", audit.DefaultGrace, "remove only orphans last stored longer ago than this; keep it above the longest capture\n(0: every orphan, only when no other verbatim process is running)")
	dryRun := fs.Bool("dry-run", false, "list what would be removed, and remove nothing")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("usage: verbatim gc [--grace 1h] [--dry-run] [--format text|json]")
	}
	if *grace < 0 {
		return usagef("gc: --grace must not be negative")
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.blobs == nil {
		return fmt.Errorf("gc: the archive in %s is read-only", a.cfg.DataDir)
	}
	// --grace 0 is for an archive nothing else writes to (after a crash,
	// before a restart): blobs stored before the collection began count.
	opt := audit.GCOptions{Grace: max(*grace, time.Nanosecond), DryRun: *dryRun, Log: a.log}
	job := "gc"
	if *dryRun {
		job = "gc-dry-run"
	}
	rep, err := recordJob(ctx, st, job, func(ctx context.Context) (audit.GCReport, map[string]int, error) {
		rep, err := audit.Collect(ctx, st.db, st.blobs, opt)
		if err == nil && !*dryRun {
			// Beside the blob store's, the data directory's own.
			removed, terr := removeStaleTemps(a.cfg.DataDir, min(staleTempAge, opt.Grace))
			rep.TempRemoved += len(removed)
			err = terr
		}
		return rep, map[string]int{"removed": len(rep.Removed), "mb_freed": int(rep.BytesFreed >> 20),
			"young": rep.Young, "spared": rep.Spared, "temp_removed": rep.TempRemoved}, err
	})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(a.stdout, rep)
	}
	printGC(a.stdout, rep, *grace)
	return nil
}

func printGC(w io.Writer, rep audit.GCReport, grace time.Duration) {
	line, summary := "removed", "%s removed, %s freed (%s in the store)\n"
	if rep.DryRun {
		line, summary = "would remove", "dry run: %s to remove, %s to free (%s in the store)\n"
	}
	for _, r := range rep.Removed {
		fmt.Fprintf(w, "%s  %s  %d bytes\n", line, r.SHA256, r.Size)
	}
	fmt.Fprintf(w, summary, plural(len(rep.Removed), "orphan blob"), humanBytes(rep.BytesFreed), plural(rep.Blobs, "blob"))
	if rep.Young > 0 {
		fmt.Fprintf(w, "kept %s stored within the last %s (a capture may be on its way)\n", plural(rep.Young, "orphan"), grace)
	}
	if rep.Spared > 0 {
		fmt.Fprintf(w, "kept %s recorded or stored again while the collection ran\n", plural(rep.Spared, "blob"))
	}
	if rep.Restored > 0 {
		fmt.Fprintf(w, "put back %s an interrupted collection had moved aside\n", plural(rep.Restored, "blob"))
	}
	if rep.TempRemoved > 0 {
		fmt.Fprintf(w, "removed %s left by interrupted writes\n", plural(rep.TempRemoved, "temporary file"))
	}
}

// humanBytes writes n with its unit: "512 bytes", "1.5 KiB", "3.2 MiB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
