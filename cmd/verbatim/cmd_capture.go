package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/capture"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/archive/xv1"
)

// runner builds the capture runner from the configuration.
func (a *app) runner(st *store) (*capture.Runner, error) {
	r := &capture.Runner{DB: st.db, Blobs: st.blobs, Log: a.log, PostURL: a.cfg.X.PostURL,
		HTTP: &http.Client{Timeout: 5 * time.Minute}}
	x := a.cfg.X
	switch {
	case x.BearerToken != "":
		r.X = xapi.New(x.APIURL, x.BearerToken, &http.Client{Timeout: 60 * time.Second}, xapi.WithLogger(a.log))
	case x.ConsumerKey != "" && x.AccessToken != "":
		// Accounts that still have v1.1 access, with OAuth 1.0a user credentials.
		base := ""
		if x.APIURL != "https://api.x.com" {
			base = x.APIURL
		}
		r.V1 = xv1.NewClient(base, xv1.Credentials{ConsumerKey: x.ConsumerKey, ConsumerSecret: x.ConsumerSecret,
			AccessToken: x.AccessToken, AccessSecret: x.AccessSecret}, &http.Client{Timeout: 60 * time.Second}, xv1.WithLogger(a.log))
	}
	return r, nil
}

func (a *app) requireX(r *capture.Runner) error {
	if r.X == nil && r.V1 == nil {
		return errors.New("no X API credentials: set VERBATIM_X_BEARER_TOKEN (v2), or the VERBATIM_X_CONSUMER_*/ACCESS_* OAuth 1.0a credentials (v1.1)")
	}
	return nil
}

func runCapture(ctx context.Context, a *app, args []string) error {
	fs := a.flags("capture", "[@handle...]")
	format := formatFlag(fs, "text", "json")
	noMedia := fs.Bool("no-media", false, "do not download media in this pass")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	for _, p := range pos {
		if strings.Contains(p, "://") {
			return usagef("capture: browser snapshots of URLs are not available in this build yet; give @handles")
		}
	}
	if err := a.setup(); err != nil {
		return err
	}
	accounts := make([]archive.Account, 0, len(pos))
	for _, h := range pos {
		accounts = append(accounts, archive.Account{Platform: archive.PlatformX, Handle: archive.NormalizeHandleCase(h)})
	}
	if len(accounts) == 0 {
		for _, c := range a.cfg.Accounts {
			accounts = append(accounts, archive.Account{Platform: c.Platform, Handle: c.Handle})
		}
	}
	if len(accounts) == 0 {
		return usagef("capture: no accounts: name @handles or configure accounts")
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := a.runner(st)
	if err != nil {
		return err
	}
	if err := a.requireX(r); err != nil {
		return err
	}
	res, err := recordJob(ctx, st, "capture", func(ctx context.Context) (capture.PassResult, map[string]int, error) {
		res, err := r.CaptureAccounts(ctx, accounts)
		if err == nil && !*noMedia {
			res.MediaStored, res.MediaFailed, err = r.DownloadMedia(ctx, 1000)
		}
		return res, res.Counts(), err
	})
	if *format == "json" {
		if jerr := writeJSON(a.stdout, res); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		printPass(a.stdout, res)
	}
	if err != nil {
		return err
	}
	for _, ar := range res.Accounts {
		if ar.Status != "ok" {
			return &findingsError{fmt.Sprintf("%d of %d accounts could not be captured (see above)", countFailed(res), len(res.Accounts))}
		}
	}
	return nil
}

func countFailed(res capture.PassResult) int {
	n := 0
	for _, ar := range res.Accounts {
		if ar.Status != "ok" {
			n++
		}
	}
	return n
}

// recordJob runs fn as a recorded job run.
func recordJob[T any](ctx context.Context, st *store, job string, fn func(context.Context) (T, map[string]int, error)) (T, error) {
	id, err := st.db.StartJob(ctx, job)
	if err != nil {
		var zero T
		return zero, err
	}
	res, counts, err := fn(ctx)
	if eerr := st.db.EndJob(ctx, id, counts, err); eerr != nil && err == nil {
		err = eerr
	}
	return res, err
}

func printPass(w io.Writer, res capture.PassResult) {
	for _, ar := range res.Accounts {
		if ar.Status != "ok" {
			fmt.Fprintf(w, "@%s: %s: %s\n", ar.Handle, ar.Status, ar.Error)
			continue
		}
		fmt.Fprintf(w, "@%s: %s, %s, %s, %d media queued\n", ar.Handle, plural(ar.Pages, "page"), plural(ar.Posts, "new post"),
			plural(ar.Versions, "new version"), ar.Media)
	}
	if res.MediaStored+res.MediaFailed > 0 {
		fmt.Fprintf(w, "media: %d stored, %d failed (retried later)\n", res.MediaStored, res.MediaFailed)
	}
}

func runRecheck(ctx context.Context, a *app, args []string) error {
	fs := a.flags("recheck", "")
	format := formatFlag(fs, "text", "json")
	all := fs.Bool("all", false, "recheck every live post, ignoring the age-based cadence")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := a.runner(st)
	if err != nil {
		return err
	}
	if err := a.requireX(r); err != nil {
		return err
	}
	res, err := recordJob(ctx, st, "recheck", func(ctx context.Context) (capture.RecheckResult, map[string]int, error) {
		res, err := r.Recheck(ctx, *all)
		return res, res.Counts(), err
	})
	if *format == "json" {
		if jerr := writeJSON(a.stdout, res); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		printRecheck(a.stdout, res)
	}
	return err
}

func printRecheck(w io.Writer, res capture.RecheckResult) {
	fmt.Fprintf(w, "checked %d posts, %d changes\n", res.Checked, len(res.Changes))
	for _, c := range res.Changes {
		fmt.Fprintf(w, "  %-11s @%s %s %s\n", c.Kind, c.Handle, c.ID, c.URL)
		if c.Detail != "" {
			fmt.Fprintf(w, "              %s\n", c.Detail)
		}
		if c.Diff != "" {
			fmt.Fprintf(w, "              %s\n", c.Diff)
		}
	}
}

// plural writes "1 page" and "2 pages".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
