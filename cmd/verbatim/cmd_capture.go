package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/capture"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/archive/xv1"
)

// runner builds the capture runner from the configuration; opts go to the
// X API client (metrics hooks in serve).
func (a *app) runner(st *store, opts ...xapi.Option) *capture.Runner {
	r := &capture.Runner{DB: st.db, Blobs: st.blobs, Log: a.log, PostURL: a.cfg.X.PostURL,
		HTTP: &http.Client{Timeout: 5 * time.Minute}}
	opts = append([]xapi.Option{xapi.WithLogger(a.log)}, opts...)
	x := a.cfg.X
	switch {
	case x.BearerToken != "":
		r.X = xapi.New(x.APIURL, x.BearerToken, &http.Client{Timeout: 60 * time.Second}, opts...)
	case x.ConsumerKey != "" && x.AccessToken != "":
		// Accounts that still have v1.1 access, with OAuth 1.0a user credentials.
		base := ""
		if x.APIURL != "https://api.x.com" {
			base = x.APIURL
		}
		r.V1 = xv1.NewClient(base, xv1.Credentials{ConsumerKey: x.ConsumerKey, ConsumerSecret: x.ConsumerSecret,
			AccessToken: x.AccessToken, AccessSecret: x.AccessSecret}, &http.Client{Timeout: 60 * time.Second}, opts...)
	}
	return r
}

// xRunner is runner for commands that need the X API.
func (a *app) xRunner(st *store) (*capture.Runner, error) {
	r := a.runner(st)
	return r, a.requireX(r)
}

func (a *app) requireX(r *capture.Runner) error {
	if r.X == nil && r.V1 == nil {
		return errors.New("no X API credentials: set VERBATIM_X_BEARER_TOKEN (v2), or the VERBATIM_X_CONSUMER_*/ACCESS_* OAuth 1.0a credentials (v1.1)")
	}
	return nil
}

func runCapture(ctx context.Context, a *app, args []string) error {
	fs := a.flags("capture", "[@handle... | URL...]")
	format := formatFlag(fs, "text", "json")
	noMedia := fs.Bool("no-media", false, "do not download media in this pass")
	noSnapshots := fs.Bool("no-snapshots", false, "do not snapshot new posts with the browser")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var urls []string
	var accounts []archive.Account
	for _, p := range pos {
		if isURL(p) {
			urls = append(urls, p)
		} else {
			accounts = append(accounts, archive.Account{Platform: archive.PlatformX, Handle: archive.NormalizeHandleCase(p)})
		}
	}
	if err := a.setup(); err != nil {
		return err
	}
	if len(urls) > 0 {
		if len(accounts) > 0 {
			return usagef("capture: give either @handles or URLs, not both")
		}
		return captureURLs(ctx, a, urls, *format)
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
	r, err := a.xRunner(st)
	if err != nil {
		return err
	}
	res, err := recordJob(ctx, st, "capture", func(ctx context.Context) (passOutput, map[string]int, error) {
		var out passOutput
		var err error
		out.PassResult, err = r.CaptureAccounts(ctx, accounts)
		if err == nil && !*noMedia {
			out.MediaStored, out.MediaFailed, err = r.DownloadMedia(ctx, 1000)
		}
		counts := out.Counts()
		if err == nil && !*noSnapshots {
			out.Snapshots, err = a.snapshotNewPosts(ctx, st)
			counts["snapshots_ok"], counts["snapshots_degraded"] = out.Snapshots.OK, out.Snapshots.Degraded
		}
		return out, counts, err
	})
	if *format == "json" {
		if jerr := writeJSON(a.stdout, res); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		printPass(a.stdout, res.PassResult)
		if res.Snapshots.OK+res.Snapshots.Degraded > 0 {
			fmt.Fprintf(a.stdout, "snapshots: %d ok, %d degraded (retried later)\n", res.Snapshots.OK, res.Snapshots.Degraded)
		}
	}
	if err != nil {
		return err
	}
	for _, ar := range res.Accounts {
		if ar.Status != "ok" {
			return &findingsError{fmt.Sprintf("%d of %d accounts could not be captured (see above)", countFailed(res.PassResult), len(res.Accounts))}
		}
	}
	return nil
}

// passOutput is a capture pass with its snapshots.
type passOutput struct {
	capture.PassResult
	Snapshots snapshot.PassResult `json:"snapshots"`
}

// snapshotNewPosts snapshots posts of the last week that have no good
// snapshot yet; without a browser it says so once and carries on.
func (a *app) snapshotNewPosts(ctx context.Context, st *store) (snapshot.PassResult, error) {
	pool, err := a.browserPool(ctx, false)
	if err != nil {
		a.log.Warn("no browser snapshots", "reason", err)
		return snapshot.PassResult{}, nil
	}
	defer pool.Close()
	return a.snapshotter(st, pool).SnapshotDuePosts(ctx, time.Now().Add(-7*24*time.Hour), 200)
}

// captureURLs snapshots URLs now: `verbatim capture URL...`.
func captureURLs(ctx context.Context, a *app, urls []string, format string) error {
	// Refuse internal addresses before anything starts.
	guard := &netguard.Guard{AllowPrivate: a.cfg.Browser.AllowPrivateURLs}
	for _, u := range urls {
		if err := guard.Check(ctx, u); err != nil {
			return usagef("%v", err)
		}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	pool, err := a.browserPool(ctx, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	s := a.snapshotter(st, pool)
	results, errs := snapshotURLs(ctx, s, urls, "url", a.cfg.Browser.Tabs)
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", urls[i], err))
		} else if results[i].Verdict != snapshot.OK {
			failed = append(failed, fmt.Sprintf("%s: %s", urls[i], results[i].Verdict))
		}
	}
	if format == "json" {
		if err := writeJSON(a.stdout, map[string]any{"captures": results}); err != nil {
			return err
		}
	} else {
		printSnapshots(a.stdout, results)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for i, err := range errs {
		if err != nil && errors.Is(err, netguard.ErrPrivateAddress) {
			return usagef("capture %s: %v", urls[i], err)
		}
	}
	if len(failed) > 0 {
		return &findingsError{fmt.Sprintf("%d of %d captures are degraded or failed: %s", len(failed), len(urls), strings.Join(failed, "; "))}
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
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := a.xRunner(st)
	if err != nil {
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
