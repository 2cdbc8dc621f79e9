package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/verbatim-archive/verbatim/archive/audit"
)

func runAudit(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit", "")
	format := formatFlag(fs, "text", "json")
	workers := fs.Int("workers", 0, "blobs hashed in parallel (default GOMAXPROCS)")
	pubkey := fs.String("pubkey", "", "the public key `file` to check checkpoints with (default: the data directory's ledger.pub)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("usage: verbatim audit [--format text|json] [--workers N] [--pubkey FILE]")
	}
	if *workers < 0 {
		return usagef("audit: --workers must be at least 1")
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
		return fmt.Errorf("audit: the archive in %s is read-only; audit a writable copy", a.cfg.DataDir)
	}
	v, err := a.ledgerVerifier(*pubkey)
	if err != nil {
		return err
	}
	var runErr error
	rep, err := recordJob(ctx, st, "audit", func(ctx context.Context) (audit.Report, map[string]int, error) {
		rep, err := audit.Run(ctx, st.db, st.blobs, audit.Options{Workers: *workers, Verifier: v, Log: a.log})
		runErr = err
		counts := map[string]int{"blobs_checked": rep.BlobsChecked, "mb_checked": int(rep.BytesChecked >> 20),
			"leaves": int(rep.Leaves), "checkpoints": rep.Checkpoints, "findings": len(rep.Findings)}
		if err == nil && !rep.OK {
			err = fmt.Errorf("%s", findingsSummary(rep))
		}
		return rep, counts, err
	})
	if runErr != nil {
		return runErr // the audit could not run
	}
	if err != nil && rep.OK {
		return err // the run could not be recorded
	}
	if *format == "json" {
		if werr := writeJSON(a.stdout, rep); werr != nil {
			return werr
		}
	} else {
		printAudit(a.stdout, rep)
	}
	if !rep.OK {
		return &findingsError{"audit: " + findingsSummary(rep)}
	}
	return nil
}

// findingsSummary counts findings by kind: "2 corrupt, 1 orphan".
func findingsSummary(rep audit.Report) string {
	var kinds []string
	n := map[string]int{}
	for _, f := range rep.Findings {
		if n[f.Kind] == 0 {
			kinds = append(kinds, f.Kind)
		}
		n[f.Kind]++
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", n[k], k)
	}
	return strings.Join(parts, ", ")
}

func printAudit(w io.Writer, rep audit.Report) {
	mb := float64(rep.BytesChecked) / 1e6
	rate := 0.0
	if rep.Seconds > 0 {
		rate = mb / rep.Seconds
	}
	fmt.Fprintf(w, "blobs     %d re-hashed, %.1f MB in %.2fs (%.0f MB/s, %d workers)\n", rep.BlobsChecked, mb, rep.Seconds, rate, rep.Workers)
	fmt.Fprintf(w, "ledger    %d leaves, root %s\n", rep.Leaves, rep.Root)
	fmt.Fprintf(w, "          %s checked against the rebuilt tree\n", plural(rep.Checkpoints, "checkpoint"))
	if rep.OK {
		fmt.Fprintln(w, "ok: no findings")
		return
	}
	fmt.Fprintf(w, "%s:\n", plural(len(rep.Findings), "finding"))
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "  %-10s %s  %s\n", f.Kind, f.Ref, f.Detail)
	}
}
