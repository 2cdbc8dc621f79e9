package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/report"
	"github.com/verbatim-archive/verbatim/bot/slack"
)

// fakeWebAPI is Slack's Web API as chat.postMessage needs it: it keeps
// what was posted, and answers with fail when set.
type fakeWebAPI struct {
	mu    sync.Mutex
	posts []map[string]string
	fail  string // a Slack error code to answer with
}

func (f *fakeWebAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/chat.postMessage" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	r.ParseForm()
	got := map[string]string{"auth": r.Header.Get("Authorization")}
	for k := range r.PostForm {
		got[k] = r.PostForm.Get(k)
	}
	f.mu.Lock()
	f.posts = append(f.posts, got)
	fail := f.fail
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fail != "" {
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": fail})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C0REPORTS", "ts": "1770789600.000100"})
}

func TestPostReport(t *testing.T) {
	fake := &fakeWebAPI{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	r := &report.Report{Name: "20260211T060000Z", OK: true, To: time.Date(2026, 2, 11, 6, 0, 0, 0, time.UTC),
		From: time.Date(2026, 2, 10, 6, 0, 0, 0, time.UTC), Origin: "verbatim.archive/0123abcd",
		Summary: report.Summary{Captures: 12, Edits: 1},
		Edits: []report.Edit{{PostID: postID, Handle: "VP", URL: "https://x.com/VP/status/" + postID,
			Before: "<!channel> vote", After: "<!channel> vote <script>x</script>"}}}
	p := slack.NewPoster("xoxb-test", srv.URL+"/api/", nil)
	ts, err := p.PostReport(context.Background(), "#standards", r, report.RenderOptions{BaseURL: baseURL})
	if err != nil || ts != "1770789600.000100" {
		t.Fatalf("post: %q %v", ts, err)
	}
	if len(fake.posts) != 1 {
		t.Fatalf("%d posts", len(fake.posts))
	}
	got := fake.posts[0]
	if got["channel"] != "#standards" || got["auth"] != "Bearer xoxb-test" && got["token"] != "xoxb-test" {
		t.Errorf("posted to %q with %q/%q", got["channel"], got["auth"], got["token"])
	}
	if !strings.HasPrefix(got["text"], "Integrity report 2026-02-11 06:00 UTC: OK") {
		t.Errorf("text %q", got["text"])
	}
	var blocks []struct{ Type, Text string }
	if err := json.Unmarshal([]byte(got["blocks"]), &blocks); err != nil || len(blocks) != 1 || blocks[0].Type != "markdown" {
		t.Fatalf("blocks %s: %v", got["blocks"], err)
	}
	md := blocks[0].Text
	if !strings.Contains(md, "# Verbatim integrity report · OK") || !strings.Contains(md, "&lt;!channel&gt;") ||
		!strings.Contains(md, "https://verbatim.example/reports/20260211T060000Z.html") || strings.Contains(md, "<!channel>") || strings.Contains(md, "<script") {
		t.Errorf("markdown:\n%s", md)
	}

	// A long report is cut at a line and points to the whole.
	for range 400 {
		r.Edits = append(r.Edits, r.Edits[0])
	}
	if _, err := p.PostReport(context.Background(), "#standards", r, report.RenderOptions{BaseURL: baseURL}); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(fake.posts[1]["blocks"]), &blocks)
	if md := blocks[0].Text; len(md) > 12000 || !strings.Contains(md, "… (cut here; [the full report](https://verbatim.example/reports/20260211T060000Z.html))") {
		t.Errorf("long report: %d characters, ending %q", len(md), md[max(0, len(md)-200):])
	}

	// Slack's refusal comes back as the error.
	fake.fail = "channel_not_found"
	if _, err := p.PostReport(context.Background(), "#nowhere", r, report.RenderOptions{}); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("refused post: %v", err)
	}
	srv.Close()
	if _, err := p.PostReport(context.Background(), "#standards", r, report.RenderOptions{}); err == nil {
		t.Error("post to a closed server: no error")
	}
}
