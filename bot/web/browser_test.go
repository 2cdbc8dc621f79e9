package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
)

// requests records the paths Chromium asked the server for.
type requests struct {
	mu    sync.Mutex
	paths []string
}

func (r *requests) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.UserAgent(), "Chrome") {
			r.mu.Lock()
			r.paths = append(r.paths, req.URL.Path)
			r.mu.Unlock()
		}
		h.ServeHTTP(w, req)
	})
}

func (r *requests) saw(path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.paths {
		if p == path {
			return true
		}
	}
	return false
}

// TestBrowser drives the UI with headless Chromium: a post is snapshotted
// for real, then the browser searches, opens the post and sees its
// screenshot, and reads an article check. A PNG of each page is saved
// under VERBATIM_TEST_ARTIFACTS (or a temporary directory).
func TestBrowser(t *testing.T) {
	exec, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs Chromium for the browser test: %v", err)
		}
		t.Skipf("chromium not found: %v", err)
	}
	artifacts := os.Getenv("VERBATIM_TEST_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, "web")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pool, err := browser.New(ctx, browser.Options{ExecPath: exec, Tabs: 1, Timeout: 30 * time.Second,
		Guard: &netguard.Guard{AllowPrivate: true}}) // the test servers are on loopback
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	f := newFixture(t, nil)
	// A post page as X would show it, snapshotted by the real pipeline.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Vice President JD Vance on X</title><style>
body{font-family:sans-serif;background:#fff;margin:0}article{max-width:36rem;margin:2rem auto;border:1px solid #cfd9de;border-radius:16px;padding:1rem 1.25rem}
.n{font-weight:700}.h{color:#536471}.t{font-size:1.3rem;margin:.75rem 0}.d{color:#536471;border-bottom:1px solid #eff3f4;padding-bottom:.75rem}
.ph{height:180px;background:linear-gradient(135deg,#3a7bd5,#00d2ff);border-radius:12px}</style></head><body><article>
<div class="n">Vice President JD Vance</div><div class="h">@VP</div>
<p class="t">Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev. The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks.</p>
<div class="ph"></div><p class="d">9:12 AM · Feb 10, 2026</p></article></body></html>`)
	}))
	defer site.Close()
	snap := &snapshot.Snapshotter{Recorder: snapshot.Recorder{DB: f.db, Blobs: f.blobs, Software: "verbatim/test"}, Browser: snapshot.FromPool(pool)}
	res, err := snap.Snapshot(ctx, snapshot.Target{URL: site.URL + "/VP/status/" + bakuID, Kind: "post", PostID: bakuID})
	if err != nil || res.Verdict != snapshot.OK {
		t.Fatalf("snapshot: %v %+v", err, res)
	}
	var shot string
	for _, a := range res.Artifacts {
		if a.Kind == "screenshot" {
			shot = a.SHA256
		}
	}
	if shot == "" {
		t.Fatalf("snapshot without a screenshot: %+v", res)
	}

	var seen requests
	srv := httptest.NewServer(seen.wrap(f.h))
	defer srv.Close()
	load := func(name, path string, wants ...string) {
		t.Helper()
		r, err := pool.Capture(ctx, browser.Request{URL: srv.URL + path, Only: browser.PartScreenshot})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if r.Status != 200 {
			t.Errorf("%s: status %d", path, r.Status)
		}
		if err := os.WriteFile(filepath.Join(artifacts, name+".png"), r.Screenshot, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(r.Text, w) {
				t.Errorf("%s: the page does not show %q:\n%s", path, w, r.Text)
			}
		}
		if len(r.Dialogs) > 0 {
			t.Errorf("%s: a script ran: %+v", path, r.Dialogs)
		}
	}

	// Search, as the form submits it.
	load("1-search", "/search?q=charter+Baku&account=VP", "Charter on Strategic Partnership", "1 post.")
	if !seen.saw("/assets/style.css") {
		t.Error("the stylesheet was not loaded")
	}
	// Open the post: its screenshot is shown, from the blob store.
	load("2-post", "/posts/"+bakuID, "Post by @VP", "Captures (", "Versions (1)")
	if !seen.saw("/blobs/" + shot) {
		t.Errorf("the browser did not load the screenshot /blobs/%s; it asked for %v", shot, seen.paths)
	}
	// The full screenshot, as the thumbnail links to it.
	load("3-screenshot", "/blobs/"+shot)
	// Hostile posts render as text: no dialog opens (checked in load).
	load("4-hostile", "/accounts/Hostile", "<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`)
	// Check an article: the form's upload, then the check's page.
	b, ct := upload(t, map[string]string{"token": token}, articleHTML)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/check", b)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", srv.URL)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/articles/\d+$`).MatchString(loc) {
		t.Fatalf("check: %d %q", resp.StatusCode, loc)
	}
	load("5-check-form", "/check", "Check an article", "API token")
	load("6-article", loc, "Vance signs charter in Baku", "1 misquoted", "Words the article dropped", "Military")
	load("7-status", "/status", "Archive status")
	t.Logf("screenshots in %s", artifacts)
}
