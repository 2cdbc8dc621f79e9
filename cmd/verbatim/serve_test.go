package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/bot/metrics"
	"github.com/verbatim-archive/verbatim/bot/slack"
)

// TestWebAPIMatchesCLI serves the archive the CLI wrote and compares the
// API's answers with the CLI's JSON byte for byte.
func TestWebAPIMatchesCLI(t *testing.T) {
	env := map[string]string{"VERBATIM_DATA": t.TempDir(), "VERBATIM_API_TOKEN": "tok"}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	search := cli(t, env, "search", "--format", "json", "peace OR Baku", "--account", "VP", "--since", "2026-02-10")
	show := cli(t, env, "show", "--format", "json", "2021150315377594369")
	if search.code != 0 || show.code != 0 {
		t.Fatalf("cli: %s %s", search.stderr, show.stderr)
	}
	ctx := context.Background()
	a := &app{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: io.Discard}
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	noBrowser := &lazyPool{start: func() (*browser.Pool, error) { return nil, errors.New("no browser in this test") }}
	h := a.frontDoor(a.router(ctx, st, nil, noBrowser), st, false, nil, nil)
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	if code, body := get("/api/v1/search?q=peace+OR+Baku&account=VP&since=2026-02-10"); code != 200 || body != search.stdout {
		t.Errorf("API search: %d\n%s\nCLI:\n%s", code, body, search.stdout)
	}
	if code, body := get("/api/v1/posts/2021150315377594369"); code != 200 || body != show.stdout {
		t.Errorf("API post: %d\n%s\nCLI:\n%s", code, body, show.stdout)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := get("/posts/2021150315377594369"); code != 200 || !strings.Contains(body, "Charter on Strategic Partnership") {
		t.Errorf("post page: %d", code)
	}
	post := func(body, auth string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if code, _ := post(`{"url": "http://127.0.0.1/"}`, ""); code != 401 {
		t.Errorf("check without token: %d", code)
	}
	if code, body := post(`{"url": "http://127.0.0.1/"}`, "tok"); code != 400 || !strings.Contains(body, "VERBATIM_ALLOW_PRIVATE_URLS") {
		t.Errorf("check of loopback: %d %s", code, body)
	}
	// Without a browser, a URL that passes the guard cannot be fetched.
	a.cfg.Browser.AllowPrivateURLs = true
	h = a.frontDoor(a.router(ctx, st, nil, noBrowser), st, false, nil, nil)
	if code, body := post(`{"url": "http://127.0.0.1/"}`, "tok"); code != 503 || !strings.Contains(body, "no browser in this test") {
		t.Errorf("check without a browser: %d %s", code, body)
	}
}

// TestDemoServes runs the demo as a process: it prints the web UI's
// address, serves the archive it built, and stops cleanly on SIGINT.
func TestDemoServes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	cmd := proc(t, "demo", "--data", t.TempDir())
	cmd.Env = append(cmd.Env, "VERBATIM_BROWSER_PATH=/nonexistent/chromium")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`the web UI on this archive: (http://127\.0\.0\.1:\d+)/`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
		close(base)
	}()
	var u string
	select {
	case u = <-base:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no URL printed\n%s", stderr.String())
	}
	if u == "" {
		t.Fatalf("demo ended without serving\n%s", stderr.String())
	}
	for _, p := range []string{"/", "/accounts/VP", "/search?q=charter", "/api/v1/status"} {
		resp, err := http.Get(u + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "VP") && p != "/api/v1/status" {
			t.Errorf("%s: %d\n%s", p, resp.StatusCode, b)
		}
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop on SIGINT")
	}
}

// TestFrontDoorMetricsAndSlack mounts /metrics and Slack as serve does:
// requests are timed by route, and an unsigned slash command is refused.
func TestFrontDoorMetricsAndSlack(t *testing.T) {
	env := map[string]string{"VERBATIM_DATA": t.TempDir()}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ctx := context.Background()
	a := &app{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: io.Discard}
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	noBrowser := &lazyPool{start: func() (*browser.Pool, error) { return nil, errors.New("no browser in this test") }}
	rt := a.router(ctx, st, nil, noBrowser)
	m := metrics.New(st.db)
	chat := slack.New(slack.Options{Router: rt, SigningSecret: "test-secret"})
	h := a.frontDoor(rt, st, false, m, chat)
	do := func(method, path, body string) (int, string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if code, _ := do(http.MethodGet, "/api/v1/search?q=charter", ""); code != 200 {
		t.Fatalf("search: %d", code)
	}
	code, body := do(http.MethodGet, "/metrics", "")
	for _, want := range []string{`verbatim_http_request_duration_seconds_count{code="200",method="GET",route="GET /api/v1/search"}`,
		`verbatim_archive_posts 4`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q (%d)", want, code)
		}
	}
	if code, _ := do(http.MethodPost, "/slack/command", "text=status&response_url=https://hooks.slack.com/x"); code != http.StatusUnauthorized {
		t.Errorf("unsigned slash command: %d, want 401", code)
	}
}
