package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
)

// browserPool starts Chromium as configured. allowPrivate adds to the
// configuration's allow_private_urls (the demo's own loopback site).
func (a *app) browserPool(ctx context.Context, allowPrivate bool) (*browser.Pool, error) {
	path, err := browser.Find(a.cfg.Browser.Path)
	if err != nil {
		return nil, err
	}
	b := a.cfg.Browser
	return browser.New(ctx, browser.Options{ExecPath: path, Tabs: b.Tabs, Timeout: b.Timeout, Settle: b.Settle,
		SettleDelay: b.SettleDelay, MaxScreenshotHeight: b.MaxScreenshotHeight,
		Guard: &netguard.Guard{AllowPrivate: b.AllowPrivateURLs || allowPrivate}, Log: a.log})
}

func (a *app) snapshotter(st *store, pool *browser.Pool) *snapshot.Snapshotter {
	return &snapshot.Snapshotter{
		Recorder: snapshot.Recorder{DB: st.db, Blobs: st.blobs, Software: "verbatim/" + version(), Log: a.log},
		Browser:  snapshot.FromPool(pool),
		PostURL:  a.cfg.X.PostURL, EmbedURL: a.cfg.X.EmbedURL, Tabs: a.cfg.Browser.Tabs,
	}
}

// snapshotURLs captures the URLs, as many at once as the pool has tabs.
func snapshotURLs(ctx context.Context, s *snapshot.Snapshotter, urls []string, kind string, tabs int) ([]snapshot.Result, []error) {
	results := make([]snapshot.Result, len(urls))
	errs := make([]error, len(urls))
	sem := make(chan struct{}, max(tabs, 1))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = s.Snapshot(ctx, snapshot.Target{URL: u, Kind: kind})
		}(i, u)
	}
	wg.Wait()
	return results, errs
}

func printSnapshots(w io.Writer, rs []snapshot.Result) {
	for _, r := range rs {
		id := "-"
		if r.ID != 0 {
			id = fmt.Sprintf("#%d", r.ID)
		}
		fmt.Fprintf(w, "%s  %s  %s", id, r.Verdict, r.URL)
		if r.FinalURL != "" && r.FinalURL != r.URL {
			fmt.Fprintf(w, " → %s", r.FinalURL)
		}
		fmt.Fprintln(w)
		if r.Detail != "" {
			fmt.Fprintf(w, "      %s\n", oneLine(r.Detail))
		}
		for _, art := range r.Artifacts {
			fmt.Fprintf(w, "      %-10s %-26s %9d bytes  sha256:%s\n", art.Kind, art.MediaType, art.Size, art.SHA256)
		}
	}
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.Contains(s, "://")
}
