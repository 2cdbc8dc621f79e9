package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/importer"
)

func runImport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("import", "FILE...")
	format := formatFlag(fs, "text", "json")
	handle := fs.String("handle", "", "author of posts in files that do not name one (an X archive's tweets.js); found in account.js beside it when not given")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("import: name at least one file (%s)", importer.Accepted)
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	results, err := importFiles(ctx, a, st, files, *handle, *format == "text")
	if *format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if results == nil {
			results = []importer.Result{}
		}
		if eerr := enc.Encode(map[string]any{"files": results}); eerr != nil && err == nil {
			err = eerr
		}
	}
	return err
}

// importFiles imports each file, reporting as it goes; a file that fails
// does not stop the others. The error summarises what went wrong.
func importFiles(ctx context.Context, a *app, st *store, files []string, handle string, text bool) ([]importer.Result, error) {
	im := &importer.Importer{DB: st.db, Blobs: st.blobs, Log: a.log}
	var results []importer.Result
	var inputErrs, hardErrs int
	var lastErr error
	for _, file := range files {
		opt := importer.Options{}
		if handle != "" {
			opt.Account = archive.Account{Platform: archive.PlatformX, Handle: archive.NormalizeHandleCase(handle)}
		} else if acct, ok := importer.FindAccountJS(file); ok {
			opt.Account = acct
		}
		var bar *progressbar.ProgressBar
		if isTerminal(a.stderr) {
			if fi, err := os.Stat(file); err == nil && fi.Size() > 1<<20 {
				bar = progressbar.NewOptions64(fi.Size(), progressbar.OptionSetWriter(a.stderr),
					progressbar.OptionSetDescription("import "+file), progressbar.OptionShowBytes(true),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
				im.Progress = func(done, total int64) { bar.Set64(done) }
			}
		}
		start := time.Now()
		res, err := im.ImportFile(ctx, file, opt)
		im.Progress = nil
		if bar != nil {
			bar.Finish()
		}
		results = append(results, res)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return results, err
			}
			if errors.Is(err, importer.ErrBadInput) {
				inputErrs++
			} else {
				hardErrs++
			}
			lastErr = err
			fmt.Fprintf(a.stderr, "verbatim: %s\n", oneLine(err.Error()))
			continue
		}
		for _, p := range res.Problems {
			fmt.Fprintf(a.stderr, "verbatim: %s:%d: %s\n", file, p.Line, oneLine(p.Err))
		}
		if len(res.Problems) > 0 {
			inputErrs++
		}
		a.log.Debug("imported", "file", file, "format", res.Format, "sha256", res.SHA256, "posts", res.Stats.Posts,
			"versions", res.Stats.Versions, "unchanged", res.Stats.Unchanged, "problems", len(res.Problems), "took", time.Since(start))
		if text {
			printImport(a, res, time.Since(start))
		}
	}
	switch {
	case hardErrs > 0:
		if len(files) == 1 {
			return results, &reportedError{lastErr}
		}
		fmt.Fprintf(a.stderr, "verbatim: %d of %d files could not be imported fully\n", hardErrs+inputErrs, len(files))
		return results, &reportedError{lastErr}
	case inputErrs > 0:
		return results, &findingsError{fmt.Sprintf("%d of %d files had bad input (reported above); everything readable was imported", inputErrs, len(files))}
	}
	return results, nil
}

// reportedError was already printed; it only sets the exit status.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

func printImport(a *app, r importer.Result, took time.Duration) {
	if r.Skipped {
		fmt.Fprintf(a.stdout, "%s: already imported (capture %d, sha256 %s); nothing added\n", r.File, r.CaptureID, r.SHA256)
		return
	}
	fmt.Fprintf(a.stdout, "%s: %s, %s, %s, %d already archived (capture %d, sha256 %s, %s)\n",
		r.File, r.Format, plural(r.Stats.Posts, "new post"), plural(r.Stats.Versions, "new version"), r.Stats.Unchanged,
		r.CaptureID, r.SHA256, took.Round(time.Millisecond))
	if n := len(r.APIErrors); n > 0 {
		fmt.Fprintf(a.stdout, "  the pages also carried %d API errors (deleted or protected posts), e.g. %s\n", n, r.APIErrors[0])
	}
}
