package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/report"
)

// fakeSlack is Slack's Web API as chat.postMessage needs it: it keeps the
// channel and text of each post, and answers with fail when set.
type fakeSlack struct {
	*httptest.Server
	mu    sync.Mutex
	posts []map[string]string
	fail  string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.posts = append(f.posts, map[string]string{"path": r.URL.Path, "channel": r.PostForm.Get("channel"),
			"text": r.PostForm.Get("text"), "blocks": r.PostForm.Get("blocks"), "token": r.PostForm.Get("token"), "auth": r.Header.Get("Authorization")})
		w.Header().Set("Content-Type", "application/json")
		if f.fail != "" {
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": f.fail})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C0REPORTS", "ts": "1770789600.000100"})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) sent() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.posts...)
}

func importCopy(t *testing.T, env map[string]string, extra string) {
	t.Helper()
	b, err := os.ReadFile("testdata/vp-timeline.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "copy.jsonl")
	os.WriteFile(p, append(b, extra...), 0o644)
	if r := cli(t, env, "import", p); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	slack := newFakeSlack(t)
	env := map[string]string{"VERBATIM_DATA": dir, "VERBATIM_SLACK_BOT_TOKEN": "xoxb-test",
		"VERBATIM_SLACK_API_URL": slack.URL + "/api/", "VERBATIM_SLACK_REPORT_CHANNEL": "#standards"}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}

	r := cli(t, env, "report", "--format", "json")
	if r.code != 0 {
		t.Fatalf("report: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, r.stdout)
	}
	if !rep.OK || rep.Summary.Captures != 1 || rep.Summary.NewPosts != 4 || !rep.Audit.OK || rep.Checkpoint.Size != 1 || !rep.Checkpoint.New ||
		rep.To.Sub(rep.From).Hours() != 24 {
		t.Errorf("report: %+v", rep)
	}
	if len(rep.Delivery) != 1 || !rep.Delivery[0].OK || rep.Delivery[0].To != "slack:#standards" || rep.Delivery[0].Ref != "1770789600.000100" {
		t.Errorf("delivery %+v", rep.Delivery)
	}
	sent := slack.sent()
	if len(sent) != 1 || sent[0]["path"] != "/api/chat.postMessage" || sent[0]["channel"] != "#standards" || (sent[0]["auth"] != "Bearer xoxb-test" && sent[0]["token"] != "xoxb-test") ||
		!strings.HasPrefix(sent[0]["text"], "Integrity report ") || !strings.Contains(sent[0]["blocks"], "# Verbatim integrity report") {
		t.Errorf("sent to Slack: %+v", sent)
	}
	// The three files are in the data directory, the JSON with its
	// delivery.
	for _, ext := range []string{".json", ".md", ".html"} {
		if _, err := os.Stat(filepath.Join(dir, "reports", rep.Name+ext)); err != nil {
			t.Errorf("report file: %v", err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "reports", rep.Name+".json"))
	if string(b) != r.stdout {
		t.Errorf("the JSON written differs from the JSON printed")
	}

	// A receipt made now is checked later against the next report's
	// consistency proof.
	r = cli(t, env, "proof", "1")
	if r.code != 0 {
		t.Fatalf("proof: exit %d: %s", r.code, r.stderr)
	}
	receipt := filepath.Join(t.TempDir(), "receipt.json")
	os.WriteFile(receipt, []byte(r.stdout), 0o644)

	// Slack refuses: the report is still written, the failure logged and
	// recorded, and the exit status is 0.
	importCopy(t, env, "\n")
	slack.fail = "channel_not_found"
	r = cli(t, env, "report", "--format", "md", "--since", "1h")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "# Verbatim integrity report · OK") || !strings.Contains(r.stderr, "not delivered") ||
		!strings.Contains(r.stderr, "channel_not_found") {
		t.Fatalf("report with Slack failing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Consistent with the previous report's ("+rep.Name+", 1 leaf)") {
		t.Errorf("second report:\n%s", r.stdout)
	}
	d := report.Dir(filepath.Join(dir, "reports"))
	rep2, _, err := d.Latest()
	if err != nil || rep2 == nil || rep2.Name == rep.Name {
		t.Fatalf("latest: %v %v", rep2, err)
	}
	if len(rep2.Delivery) != 1 || rep2.Delivery[0].OK || !strings.Contains(rep2.Delivery[0].Error, "channel_not_found") ||
		rep2.Checkpoint.Size != 2 || rep2.Checkpoint.Consistency == nil || rep2.To.Sub(rep2.From).Hours() != 1 {
		t.Errorf("second report: delivery %+v, checkpoint %+v", rep2.Delivery, rep2.Checkpoint)
	}
	later := filepath.Join(t.TempDir(), "later.json")
	cj, _ := json.Marshal(rep2.Checkpoint.Consistency)
	os.WriteFile(later, cj, 0o644)
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", filepath.Join(dir, "ledger.pub"), "--checkpoint", later)
	if r.code != 0 || !strings.Contains(r.stdout, "the later checkpoint of 2 leaves extends that tree") {
		t.Errorf("verify-receipt with the report's consistency proof: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// HTML for people.
	r = cli(t, env, "report", "--format", "html")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "<!DOCTYPE html>") || !strings.Contains(r.stdout, "<svg") || strings.Contains(r.stdout, "<script") {
		t.Errorf("report --format html: exit %d\n%.300s%s", r.code, r.stdout, r.stderr)
	}

	// Damage: a blob is changed. The report says so and exits 1.
	var blobPath string
	filepath.Walk(filepath.Join(dir, "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && blobPath == "" {
			blobPath = p
		}
		return nil
	})
	os.Chmod(blobPath, 0o644)
	os.WriteFile(blobPath, []byte("not what was captured"), 0o644)
	r = cli(t, env, "report", "--format", "json")
	if r.code != 1 || !strings.Contains(r.stderr, "audit: 1 corrupt") {
		t.Errorf("report of a damaged archive: exit %d\n%s", r.code, r.stderr)
	}
	json.Unmarshal([]byte(r.stdout), &rep)
	if rep.OK || rep.Checkpoint.New {
		t.Errorf("report of a damaged archive: ok %v, new checkpoint %v", rep.OK, rep.Checkpoint.New)
	}

	for _, args := range [][]string{{"report", "extra"}, {"report", "--since", "-1h"}, {"report", "--format", "pdf"}} {
		if r := cli(t, env, args...); r.code != 2 {
			t.Errorf("%q: exit %d, want 2", args, r.code)
		}
	}
}

// TestServeReportJob runs serve's report job as its schedule would, and
// checks what the web front door then serves: the feed, the report, the
// checkpoint, the public key and a receipt that `verbatim proof` agrees
// with.
func TestServeReportJob(t *testing.T) {
	dir := t.TempDir()
	slack := newFakeSlack(t)
	env := map[string]string{"VERBATIM_DATA": dir, "VERBATIM_SLACK_BOT_TOKEN": "xoxb-test",
		"VERBATIM_SLACK_API_URL": slack.URL + "/api/", "VERBATIM_SLACK_REPORT_CHANNEL": "C0REPORTS",
		"VERBATIM_PUBLIC_URL": "https://verbatim.example", "VERBATIM_BROWSER_PATH": "/nonexistent/chromium"}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	ctx := context.Background()
	a := &app{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: io.Discard}
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	if a.cfg.Schedule.Report != "0 6 * * *" {
		t.Errorf("default report schedule %q", a.cfg.Schedule.Report)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	noBrowser := &lazyPool{start: func() (*browser.Pool, error) { return nil, errors.New("no browser in this test") }}
	sched, err := a.scheduler(st, a.runner(st), noBrowser)
	if err != nil {
		t.Fatal(err)
	}
	if err := sched.RunOnce(ctx, "report"); err != nil {
		t.Fatalf("report job: %v", err)
	}
	runs, err := st.db.JobRuns(ctx, "report", 5)
	if err != nil || len(runs) != 1 || runs[0].Error != "" || runs[0].Counts["ok"] != float64(1) || runs[0].Counts["delivered"] != float64(1) {
		t.Errorf("report job runs: %+v %v", runs, err)
	}
	names, err := report.Dir(filepath.Join(dir, "reports")).Names()
	if err != nil || len(names) != 1 {
		t.Fatalf("reports: %q %v", names, err)
	}
	if sent := slack.sent(); len(sent) != 1 || sent[0]["channel"] != "C0REPORTS" ||
		!strings.Contains(sent[0]["blocks"], "https://verbatim.example/reports/"+names[0]+".html") {
		t.Errorf("sent to Slack: %+v", sent)
	}

	h := a.frontDoor(a.router(ctx, st, nil, noBrowser), st, false, nil, nil)
	get := func(path string) (int, http.Header, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Header(), w.Body.String()
	}
	code, hd, body := get("/reports.atom")
	if code != 200 || !strings.Contains(body, "https://verbatim.example/reports/"+names[0]+".html") || !strings.HasPrefix(hd.Get("Content-Type"), "application/atom+xml") {
		t.Errorf("feed: %d %s", code, body)
	}
	code, hd, body = get("/reports/" + names[0] + ".html")
	if code != 200 || hd.Get("Content-Security-Policy") != report.CSP || !strings.Contains(body, "<svg") {
		t.Errorf("report page: %d %v", code, hd)
	}
	code, _, pub := get("/checkpoint.pub")
	b, _ := os.ReadFile(filepath.Join(dir, "ledger.pub"))
	if code != 200 || pub != string(b) {
		t.Errorf("public key: %d %q, ledger.pub %q", code, pub, b)
	}
	v, err := ledger.ParseVerifierKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	code, _, cp := get("/checkpoint")
	if size, _, err := ledger.OpenCheckpoint(cp, v); code != 200 || err != nil || size != 1 {
		t.Errorf("checkpoint: %d %d %v\n%s", code, size, err, cp)
	}
	code, _, body = get("/posts/2021150315377594369")
	if code != 200 || !strings.Contains(body, `href="/api/v1/captures/1/receipt"`) {
		t.Errorf("post page: %d, no receipt link", code)
	}
	code, _, body = get("/api/v1/captures/1/receipt")
	proof := cli(t, env, "proof", "1")
	if code != 200 || proof.code != 0 || body != proof.stdout {
		t.Errorf("receipt: %d\n%s\nverbatim proof 1:\n%s", code, body, proof.stdout)
	}
}
