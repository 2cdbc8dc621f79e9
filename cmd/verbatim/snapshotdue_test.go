package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/config"
)

// TestSnapshotPassesDoNotOverlap runs the snapshot pass of the capture job
// and that of the retry job at once, as the default schedules can: each
// due post is snapshotted once.
func TestSnapshotPassesDoNotOverlap(t *testing.T) {
	if _, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH")); err != nil {
		t.Skipf("no Chromium: %v (set VERBATIM_BROWSER_PATH)", err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html><body><article><p>%s</p></article></body></html>`, r.URL.Path)
	}))
	defer site.Close()

	var stderr bytes.Buffer
	a := &app{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &stderr,
		cfg: config.Default(), log: slog.New(slog.DiscardHandler)}
	a.cfg.DataDir = t.TempDir()
	a.cfg.Browser.Path = os.Getenv("VERBATIM_BROWSER_PATH")
	a.cfg.X.PostURL = site.URL + "/{handle}/status/{id}"
	a.cfg.X.EmbedURL = site.URL + "/embed/{id}"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 6
	var items []sqlite.Item
	now := time.Now().UTC().Add(-time.Hour)
	for i := range n {
		id := fmt.Sprint(archive.SnowflakeAt(now) + int64(i))
		items = append(items, sqlite.Item{Post: archive.Post{Platform: archive.PlatformX, ID: id, EditHistory: []string{id},
			CreatedAt: now, Text: fmt.Sprintf("post %d", i),
			Author: archive.Account{Platform: archive.PlatformX, PlatformID: "1542228578", Handle: "VP"}}})
	}
	if _, err := st.db.NewPostWriter().Write(ctx, items); err != nil {
		t.Fatal(err)
	}
	pools := &lazyPool{start: func() (*browser.Pool, error) {
		return a.browserPool(ctx, true)
	}}
	defer pools.Close()

	var wg sync.WaitGroup
	results := make([]snapshot.PassResult, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = a.snapshotDue(ctx, st, pools) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
	}
	var snaps, posts, twice int
	if err := st.db.SQL().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT post_ord) FROM captures
		WHERE kind = 'snapshot' AND post_ord IS NOT NULL`).Scan(&snaps, &posts); err != nil {
		t.Fatal(err)
	}
	if err := st.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM captures
		WHERE kind = 'snapshot' AND post_ord IS NOT NULL GROUP BY post_ord, target HAVING count(*) > 1)`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if posts != n || twice > 0 {
		t.Errorf("%d snapshots of %d posts (want all %d), %d of a page taken more than once; passes %+v %+v",
			snaps, posts, n, twice, results[0], results[1])
	}
	if got := results[0].OK + results[0].Degraded + results[1].OK + results[1].Degraded; got != snaps {
		t.Errorf("the passes report %d snapshots, the archive holds %d", got, snaps)
	}
}
