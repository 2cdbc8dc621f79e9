package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/warc"
)

var ctx = context.Background()

// newSnapshotter starts a real browser (skipping without one, except in
// CI) over a real archive.
func newSnapshotter(t *testing.T, allowPrivate bool) *Snapshotter {
	t.Helper()
	path, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs a browser: %v", err)
		}
		t.Skipf("chromium not found: %v", err)
	}
	pool, err := browser.New(ctx, browser.Options{ExecPath: path, Timeout: 20 * time.Second, Guard: &netguard.Guard{AllowPrivate: allowPrivate}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return &Snapshotter{Recorder: Recorder{DB: db, Blobs: bs, Software: "verbatim/test"}, Browser: FromPool(pool), Tabs: 2}
}

func site(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/VP/status/2021150315377594369":
			fmt.Fprint(w, `<!doctype html><title>VP on X</title><article><p>Today we signed a Charter on Strategic Partnership.</p></article>`)
		case "/VP/status/2021163552601022466":
			fmt.Fprint(w, `<!doctype html><title>X</title><h1>Hmm...this page doesn’t exist. Try searching for something else.</h1>`)
		default:
			fmt.Fprint(w, `<!doctype html><title>Article</title><h1>An article</h1><p>With a paragraph of text about the charter.</p>`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSnapshotStoresEveryArtifactAndAVerifiableWARC(t *testing.T) {
	s := newSnapshotter(t, true)
	srv := site(t)
	res, err := s.Snapshot(ctx, Target{URL: srv.URL + "/articles/one", Kind: "article"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != OK || res.ID == 0 {
		t.Fatalf("result %+v", res)
	}
	kinds := map[string]archive.Artifact{}
	for _, a := range res.Artifacts {
		kinds[a.Kind] = a
		if ok, _ := s.Blobs.Has(ctx, a.SHA256); !ok {
			t.Errorf("%s blob %s missing", a.Kind, a.SHA256)
		}
	}
	for _, k := range []string{"screenshot", "dom", "mhtml", "pdf", "warc"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s artifact: %+v", k, res.Artifacts)
		}
	}
	rc, err := s.Blobs.Open(ctx, kinds["warc"].SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	recs, err := warc.Verify(rc)
	if err != nil {
		t.Fatalf("our WARC does not verify: %v", err)
	}
	types := map[string]int{}
	for _, r := range recs {
		types[r.Type]++
	}
	if types["warcinfo"] != 1 || types["request"] != 1 || types["response"] != 1 || types["resource"] != 4 || types["metadata"] != 1 {
		t.Errorf("records %v", types)
	}
	c, err := s.DB.Capture(ctx, res.ID)
	if err != nil || c.Kind != "snapshot" || len(c.Artifacts) != len(res.Artifacts) {
		t.Errorf("recorded capture %+v %v", c, err)
	}
}

func TestSnapshotDuePostsAndVerdicts(t *testing.T) {
	s := newSnapshotter(t, true)
	srv := site(t)
	w := s.DB.NewPostWriter()
	for _, id := range []string{"2021150315377594369", "2021163552601022466"} {
		at, _ := archive.SnowflakeTime(id)
		p := archive.Post{Platform: "x", ID: id, EditHistory: []string{id}, CreatedAt: at, Text: "post " + id,
			Author: archive.Account{Platform: "x", PlatformID: "1542228578", Handle: "VP"}}
		if _, err := w.Write(ctx, []sqlite.Item{{Post: p}}); err != nil {
			t.Fatal(err)
		}
	}
	s.PostURL = srv.URL + "/{handle}/status/{id}"
	pr, err := s.SnapshotDuePosts(ctx, time.Now().Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if pr.OK != 1 || pr.Degraded != 1 {
		t.Errorf("pass %+v, want 1 ok and 1 degraded (not-found)", pr)
	}
	d, _ := s.DB.Post(ctx, "2021163552601022466", "")
	if len(d.Captures) != 1 || d.Captures[0].Verdict != NotFound {
		t.Errorf("captures of the missing post %+v", d.Captures)
	}
	// The good one is not taken again; the degraded one waits its backoff.
	pr, err = s.SnapshotDuePosts(ctx, time.Now().Add(-time.Hour), 10)
	if err != nil || pr.OK+pr.Degraded != 0 {
		t.Errorf("second pass %+v %v, want nothing due", pr, err)
	}
}

func TestSnapshotRefusesPrivateAndRecordsFailures(t *testing.T) {
	s := newSnapshotter(t, false)
	_, err := s.Snapshot(ctx, Target{URL: "http://10.0.0.1/admin", Kind: "url"})
	if !errors.Is(err, netguard.ErrPrivateAddress) {
		t.Errorf("private address: %v", err)
	}
	st, _ := s.DB.Stats(ctx)
	if st.Captures != 0 {
		t.Errorf("a refused URL was recorded")
	}

	// A loopback port nobody listens on, with private addresses allowed:
	// the failure is recorded so it is seen and retried.
	s2 := newSnapshotter(t, true)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	res, err := s2.Snapshot(ctx, Target{URL: "http://" + addr + "/", Kind: "url"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == OK || res.ID == 0 || res.Detail == "" || bytes.ContainsRune([]byte(res.Detail), '\n') {
		t.Errorf("unreachable: %+v", res)
	}
}
