package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

func runExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("export", "[CAPTURE_ID...]")
	format := formatFlag(fs, "jsonl", "csv", "warc")
	fs.Lookup("format").Usage = "export `format`: jsonl or csv (posts), warc (browser snapshots)"
	out := fs.String("o", "", "write to this file instead of standard output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var ids []int64
	for _, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || *format != "warc" {
			return usagef("export: capture ids go with --format warc (got %q)", p)
		}
		ids = append(ids, id)
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var w io.Writer = a.stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("export: %w", unwrapPath(err))
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	n := 0
	switch *format {
	case "jsonl":
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		err = st.db.EachPost(ctx, a.cfg.X.PostURL, func(p archive.PostSummary) error { n++; return enc.Encode(p) })
	case "csv":
		cw := csv.NewWriter(bw)
		cw.Write([]string{"id", "platform", "handle", "created_at", "status", "url", "text"})
		err = st.db.EachPost(ctx, a.cfg.X.PostURL, func(p archive.PostSummary) error {
			n++
			return cw.Write([]string{p.ID, p.Platform, p.Handle, p.CreatedAt.Format(time.RFC3339), p.Status, p.URL, p.Text})
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	case "warc":
		// WARC files concatenate: each capture's file is copied as stored.
		if st.blobs == nil {
			return fmt.Errorf("export: the blob store is not readable here")
		}
		err = st.db.SnapshotWARCs(ctx, ids, func(id int64, sum string) error {
			rc, err := st.blobs.Open(ctx, sum)
			if err != nil {
				return fmt.Errorf("capture %d: %w", id, err)
			}
			defer rc.Close()
			n++
			_, err = io.Copy(bw, rc)
			return err
		})
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if *out != "" {
		fmt.Fprintf(a.stderr, "exported %d records to %s\n", n, *out)
	}
	return nil
}
