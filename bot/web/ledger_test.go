package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/report"
	"github.com/verbatim-archive/verbatim/bot/web"
)

func newKey(t *testing.T) *ledger.Key {
	t.Helper()
	dir := t.TempDir()
	k, err := ledger.OpenKey(filepath.Join(dir, "ledger.key"), filepath.Join(dir, "ledger.pub"), "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCheckpointAndReceipts(t *testing.T) {
	key := newKey(t)
	f := newFixture(t, func(o *web.Options) { o.Ledger = key })

	// No checkpoint is signed until something needs one.
	w := f.get("/checkpoint")
	if body := wantStatus(t, w, 404); !strings.Contains(body, "no checkpoint") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("checkpoint before any: %q %q", w.Header().Get("Content-Type"), body)
	}
	w = f.get("/checkpoint.pub")
	pub := wantStatus(t, w, 200)
	if pub != key.VerifierKey()+"\n" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("public key %q", pub)
	}
	v, err := note.NewVerifier(strings.TrimSpace(pub))
	if err != nil {
		t.Fatal(err)
	}

	// The post page links each capture's receipt.
	body := wantStatus(t, f.get("/posts/"+bakuID), 200)
	link := fmt.Sprintf(`href="/api/v1/captures/%d/receipt"`, f.snap.ID)
	contains(t, body, link, fmt.Sprintf(`download="receipt-%d.json"`, f.snap.ID))
	if n := strings.Count(body, "/receipt\""); n < 2 {
		t.Errorf("%d receipt links on the post page, want one for each of its captures", n)
	}
	contains(t, wantStatus(t, f.get(fmt.Sprintf("/captures/%d", f.snap.ID)), 200), link)

	w = f.get(fmt.Sprintf("/api/v1/captures/%d/receipt", f.snap.ID))
	body = wantStatus(t, w, 200)
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("receipt content type %q", w.Header().Get("Content-Type"))
	}
	var rc ledger.Receipt
	if err := json.Unmarshal([]byte(body), &rc); err != nil {
		t.Fatal(err)
	}
	got, err := rc.Verify(v)
	if err != nil {
		t.Fatalf("receipt does not verify with /checkpoint.pub: %v\n%s", err, body)
	}
	if got.Manifest.CaptureID != f.snap.ID || len(got.Manifest.Artifacts) != len(f.snap.Artifacts) {
		t.Errorf("receipt's manifest %+v", got.Manifest)
	}

	// The receipt signed a checkpoint: /checkpoint serves it, and it
	// verifies with the public key.
	w = f.get("/checkpoint")
	cp := wantStatus(t, w, 200)
	n, err := note.Open([]byte(cp), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint %q does not verify: %v", cp, err)
	}
	if lines := strings.Split(n.Text, "\n"); len(lines) < 3 || lines[0] != key.Name() || lines[1] != fmt.Sprint(rc.TreeSize) {
		t.Errorf("checkpoint text %q, receipt tree size %d", n.Text, rc.TreeSize)
	}
	if cp != rc.Checkpoint {
		t.Errorf("/checkpoint %q is not the receipt's %q", cp, rc.Checkpoint)
	}

	for path, code := range map[string]int{"/api/v1/captures/999999/receipt": 404, "/api/v1/captures/abc/receipt": 404} {
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(wantStatus(t, f.get(path), code)), &e); err != nil || e.Error == "" {
			t.Errorf("%s: %v %+v", path, err, e)
		}
	}

	// A server without the key cannot sign, so gives no receipts.
	g := newFixture(t, nil)
	body = wantStatus(t, g.get(fmt.Sprintf("/api/v1/captures/%d/receipt", g.snap.ID)), 503)
	contains(t, body, "signing key")
	wantStatus(t, g.get("/checkpoint.pub"), 404)
}

func TestReportsFeedAndFiles(t *testing.T) {
	key := newKey(t)
	dir := report.Dir(t.TempDir())
	f := newFixture(t, func(o *web.Options) { o.Ledger = key; o.Reports = string(dir) })

	// No reports yet: an empty feed.
	w := f.get("/reports.atom")
	body := wantStatus(t, w, 200)
	if ct := w.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("feed content type %q", ct)
	}
	if feed := parseFeed(t, body); len(feed.Entries) != 0 || feed.ID != "http://example.com/reports.atom" {
		t.Errorf("empty feed: %+v", feed)
	}

	var prev *report.Report
	var names []string
	for i := range 2 {
		now := time.Now().Add(time.Duration(i) * time.Second)
		r, err := report.Build(context.Background(), f.db, report.Options{From: now.Add(-24 * time.Hour), To: now, Key: key, Blobs: f.blobs, Previous: prev})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dir.Write(r, report.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		prev = r
		names = append(names, r.Name)
	}
	if !prev.OK || prev.Checkpoint.Previous == nil || !prev.Checkpoint.Verified {
		t.Fatalf("second report: %q %+v", prev.Problems, prev.Checkpoint)
	}

	feed := parseFeed(t, wantStatus(t, f.get("/reports.atom"), 200))
	if len(feed.Entries) != 2 || feed.Entries[0].ID != "http://example.com/reports/"+names[1]+".html" ||
		!strings.HasPrefix(feed.Entries[0].Title, "Integrity report ") || !strings.Contains(feed.Entries[0].Title, ": OK") {
		t.Errorf("feed: %+v", feed)
	}
	g := newFixture(t, func(o *web.Options) { o.Reports = string(dir); o.PublicURL = "https://verbatim.example/" })
	feed = parseFeed(t, wantStatus(t, g.get("/reports.atom"), 200))
	if len(feed.Entries) != 2 || feed.Entries[1].Links[0].Href != "https://verbatim.example/reports/"+names[0]+".html" {
		t.Errorf("feed with a public URL: %+v", feed)
	}

	// Each report's files, the HTML under its own policy.
	w = f.get("/reports/" + names[1] + ".html")
	body = wantStatus(t, w, 200)
	if w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Content-Security-Policy") != report.CSP ||
		w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("report headers %v", w.Header())
	}
	contains(t, body, "Integrity report", "<svg", "consistent</span> with the previous report", "Internatonal")
	lacks(t, body, "<script")
	w = f.get("/reports/" + names[1] + ".json")
	var r report.Report
	if err := json.Unmarshal([]byte(wantStatus(t, w, 200)), &r); err != nil || r.Name != names[1] || r.Checkpoint.Consistency == nil {
		t.Errorf("report JSON: %v %+v", err, r.Checkpoint)
	}
	w = f.get("/reports/" + names[0] + ".md")
	if body := wantStatus(t, w, 200); !strings.HasPrefix(body, "# Verbatim integrity report") || w.Header().Get("Content-Type") != "text/markdown; charset=utf-8" {
		t.Errorf("markdown %q: %.80s", w.Header().Get("Content-Type"), body)
	}
	for _, bad := range []string{"/reports/" + names[0] + ".exe", "/reports/20200101T000000Z.html", "/reports/verbatim.db", "/reports/..%2fverbatim.db", "/reports/" + names[0]} {
		wantStatus(t, f.get(bad), 404)
	}
	// A server with no reports directory has none.
	wantStatus(t, newFixture(t, nil).get("/reports/"+names[0]+".html"), 404)
}

type atomFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Entries []struct {
		Title string `xml:"title"`
		ID    string `xml:"id"`
		Links []struct {
			Href string `xml:"href,attr"`
			Type string `xml:"type,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

func parseFeed(t *testing.T, body string) atomFeed {
	t.Helper()
	var f atomFeed
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, body)
	}
	return f
}
