package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/report"
	"github.com/verbatim-archive/verbatim/archive/warc"
)

// TestMain lets the test binary stand in for the verbatim binary, so tests
// can run it as separate processes.
func TestMain(m *testing.M) {
	if os.Getenv("VERBATIM_TEST_AS_CLI") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

// cli runs verbatim in-process with the given environment.
func cli(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// proc runs verbatim as a separate process.
func proc(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "VERBATIM_TEST_AS_CLI=1")
	return cmd
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, nil, "demo", "--no-serve", "--data", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"2 new posts, 1 new version", "@VP: 1 page, 3 new posts", "media: 3 stored", "deleted     @VPPressSec",
		"[-Internatonal-]{+International+}", "Charter", "Versions (2)", "changes from v1", "sha256:",
		"== verbatim compare", "only [-conflict-]{+war+}", "normalized   plaintext @VPPressSec", "altered      quote @VP",
		// It ends with an audit and the integrity report.
		"== verbatim audit", "ok: no findings", "== verbatim report --format md", "# Verbatim integrity report · OK",
		"## Edits (2)", "~~Internatonal~~**International**", "**deleted** @VPPressSec", "## Articles checked (2) · 2 misquotes",
		"The first report: there is no earlier checkpoint"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if i, j := strings.Index(r.stdout, "== verbatim audit"), strings.Index(r.stdout, "== verbatim compare"); i < j {
		t.Errorf("the audit is not after the pipeline")
	}
	names, err := report.Dir(filepath.Join(dir, "reports")).Names()
	if err != nil || len(names) != 1 {
		t.Errorf("demo reports: %q %v", names, err)
	}
	// Twice is fine: nothing is added, and the second report's checkpoint
	// extends the first's.
	r = cli(t, nil, "demo", "--no-serve", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "already imported") || !strings.Contains(r.stdout, "Consistent with the previous report's ("+names[0]) {
		t.Errorf("second demo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestImportSearchShowJSON(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VERBATIM_DATA": dir}
	r := cli(t, env, "import", "--format", "json", "testdata/vp-timeline.jsonl")
	if r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	var imp struct {
		Files []struct {
			Format string
			SHA256 string
			Added  struct{ Posts, Versions int }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &imp); err != nil {
		t.Fatalf("import json: %v\n%s", err, r.stdout)
	}
	if len(imp.Files) != 1 || imp.Files[0].Added.Posts != 4 || len(imp.Files[0].SHA256) != 64 {
		t.Fatalf("import result %+v", imp)
	}

	for _, acct := range []string{"VP", "@vp", "@Vp", "vp"} {
		r = cli(t, env, "search", "charter", "--account", acct, "--format", "json")
		if r.code != 0 {
			t.Fatalf("search: exit %d: %s", r.code, r.stderr)
		}
		var sr struct {
			Total   int
			Results []map[string]any
		}
		if err := json.Unmarshal([]byte(r.stdout), &sr); err != nil {
			t.Fatal(err)
		}
		if sr.Total != 1 || len(sr.Results) != 1 {
			t.Fatalf("--account %s: %s", acct, r.stdout)
		}
		for _, k := range []string{"id", "platform", "handle", "created_at", "text", "status", "url"} {
			if _, ok := sr.Results[0][k]; !ok {
				t.Errorf("search result lacks %q: %v", k, sr.Results[0])
			}
		}
		if sr.Results[0]["id"] != "2021150315377594369" || sr.Results[0]["status"] != "live" {
			t.Errorf("result %v", sr.Results[0])
		}
	}

	r = cli(t, env, "show", "--format", "json", "https://x.com/VP/status/2020896690009030661?s=20")
	if r.code != 0 {
		t.Fatalf("show: exit %d: %s", r.code, r.stderr)
	}
	var show struct {
		Post struct {
			ID       string
			Status   string
			Versions []struct{ ID, Text string }
			Captures []struct {
				ID        int64
				Kind, At  string
				Verdict   string
				Artifacts []struct {
					Kind      string
					MediaType string `json:"media_type"`
					Size      int64
					SHA256    string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil {
		t.Fatal(err)
	}
	p := show.Post
	if p.ID != "2020895486243782660" || p.Status != "edited" || len(p.Versions) != 2 {
		t.Errorf("show: %+v", p)
	}
	if len(p.Captures) != 1 || p.Captures[0].Kind != "import" || p.Captures[0].Artifacts[0].SHA256 != imp.Files[0].SHA256 {
		t.Errorf("captures: %+v", p.Captures)
	}

	r = cli(t, env, "search", "--edited")
	if r.code != 0 || !strings.Contains(r.stdout, "[edited]") || !strings.Contains(r.stdout, "1 post\n") {
		t.Errorf("search --edited: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = cli(t, env, "show", "999")
	if r.code != 2 || !strings.Contains(r.stderr, "not in the archive") {
		t.Errorf("show unknown: %d %q", r.code, r.stderr)
	}
}

func TestImportBadInput(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VERBATIM_DATA": dir}
	good, _ := os.ReadFile("testdata/vp-timeline.jsonl")
	lines := strings.SplitAfter(string(good), "\n")
	bad := filepath.Join(t.TempDir(), "mixed.jsonl")
	os.WriteFile(bad, []byte(lines[0]+"{\"data\": [nope\n"), 0o644)

	r := cli(t, env, "import", bad)
	if r.code != 1 {
		t.Errorf("malformed line: exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, bad+":2:") {
		t.Errorf("stderr %q does not name file and line", r.stderr)
	}
	if !strings.Contains(r.stdout, "4 new posts") {
		t.Errorf("the good line was not imported: %s", r.stdout)
	}

	csv := filepath.Join(t.TempDir(), "posts.csv")
	os.WriteFile(csv, []byte("id,text\n1,x\n"), 0o644)
	r = cli(t, env, "import", csv)
	if r.code != 1 || !strings.Contains(r.stderr, "unknown format: expected X API v2") || strings.Count(r.stderr, "\n") != 2 {
		t.Errorf("unknown format: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, env, "import")
	if r.code != 2 || !strings.Contains(r.stderr, "name at least one file") {
		t.Errorf("no files: exit %d %q", r.code, r.stderr)
	}
	r = cli(t, env, "import", "/nonexistent.json")
	if r.code != 2 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: exit %d %q", r.code, r.stderr)
	}
}

func TestSearchErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VERBATIM_DATA": dir}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, q := range []string{`"charter`, `(peace`, `NOT peace`, `peace OR`} {
		r := cli(t, env, "search", q)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2", q, r.code)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "verbatim: search: ") || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%q: stderr %q, want one line", q, r.stderr)
		}
	}
	r := cli(t, env, "search", "peace", "--since", "yesterday")
	if r.code != 2 || !strings.Contains(r.stderr, "--since") {
		t.Errorf("bad date: %d %q", r.code, r.stderr)
	}
	r = cli(t, map[string]string{"VERBATIM_DATA": t.TempDir()}, "search", "peace")
	if r.code != 2 || !strings.Contains(r.stderr, "no archive in") {
		t.Errorf("no archive: %d %q", r.code, r.stderr)
	}
}

func TestConfigShowRedactsSecrets(t *testing.T) {
	const secret = "s3cr3t-token-value-do-not-print"
	env := map[string]string{"VERBATIM_X_BEARER_TOKEN": secret, "VERBATIM_SLACK_SIGNING_SECRET": secret}
	r := cli(t, env, "config", "show")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, secret) {
		t.Fatal("config show printed a secret")
	}
	if !strings.Contains(r.stdout, "[redacted]") || !strings.Contains(r.stdout, "VPPressSec") {
		t.Errorf("config show:\n%s", r.stdout)
	}
	cfg := filepath.Join(t.TempDir(), "v.yaml")
	os.WriteFile(cfg, []byte("accounts:\n  - handle: 'not a handle!'\nlog:\n  level: loud\n"), 0o644)
	r = cli(t, nil, "--config", cfg, "config", "show")
	if r.code != 2 || !strings.Contains(r.stderr, "accounts[0].handle") || !strings.Contains(r.stderr, "log.level") {
		t.Errorf("invalid config: exit %d %q", r.code, r.stderr)
	}
}

func TestUsage(t *testing.T) {
	if r := cli(t, nil); r.code != 2 || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("no args: %d %q", r.code, r.stderr)
	}
	if r := cli(t, nil, "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", r.code, r.stderr)
	}
	if r := cli(t, nil, "search", "--format", "xml", "x"); r.code != 2 || !strings.Contains(r.stderr, "--format") {
		t.Errorf("bad format: %d %q", r.code, r.stderr)
	}
	// Every command refuses a format it does not write, in one line, before
	// it touches anything.
	for _, c := range []string{"search", "show", "import", "capture", "recheck", "export", "extract", "check-article", "compare"} {
		r := cli(t, map[string]string{"VERBATIM_DATA": t.TempDir()}, c, "--format", "xml", "x")
		if r.code != 2 || !strings.Contains(r.stderr, `--format "xml": choose one of`) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%s --format xml: exit %d %q", c, r.code, r.stderr)
		}
	}
	if r := cli(t, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "verbatim ") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
}

// bigJSONL writes n generated posts as a v2 JSONL file.
func bigJSONL(t *testing.T, n int, seed uint64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), fmt.Sprintf("gen-%d.jsonl", seed))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := archivetest.WriteV2JSONL(f, n, 100, seed); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestTwoProcessesImportAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	// Two processes, three files each: their transactions interleave.
	files := [][]string{
		{bigJSONL(t, 1500, 1), bigJSONL(t, 1500, 2), bigJSONL(t, 1500, 3)},
		{bigJSONL(t, 1500, 4), bigJSONL(t, 1500, 5), bigJSONL(t, 1500, 6)},
	}
	var wg sync.WaitGroup
	outs := make([][]byte, len(files))
	errs := make([]error, len(files))
	for i, f := range files {
		wg.Add(1)
		go func(i int, f []string) {
			defer wg.Done()
			outs[i], errs[i] = proc(t, append([]string{"--data", dir, "import"}, f...)...).CombinedOutput()
		}(i, f)
	}
	wg.Wait()
	for i := range files {
		if errs[i] != nil {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
		}
		if bytes.Contains(outs[i], []byte("busy")) || bytes.Contains(outs[i], []byte("locked")) {
			t.Errorf("process %d saw the lock: %s", i, outs[i])
		}
	}
	r := cli(t, map[string]string{"VERBATIM_DATA": dir}, "stats", "--format", "json")
	var s struct{ Posts, Captures int }
	json.Unmarshal([]byte(r.stdout), &s)
	if s.Posts != 9000 || s.Captures != 6 {
		t.Errorf("stats %s", r.stdout)
	}
}

// mountTmpfs mounts a tmpfs of the given size at a new directory, or skips
// the test when this process may not mount.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); this test needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

func TestReadOnlyDataDir(t *testing.T) {
	dir := mountTmpfs(t, "16m")
	data := filepath.Join(dir, "data")
	env := map[string]string{"VERBATIM_DATA": data}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	before, _ := os.ReadFile(filepath.Join(data, "verbatim.db"))
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only: %v", err)
	}
	other := filepath.Join(t.TempDir(), "other.jsonl")
	os.WriteFile(other, []byte(strings.ReplaceAll(mustRead(t, "testdata/vp-timeline.jsonl"), "2026-02-10", "2026-02-11")), 0o644)
	r := cli(t, env, "import", other)
	if r.code != 2 {
		t.Errorf("import into a read-only dir: exit %d, want 2", r.code)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "read-only file system") {
		t.Errorf("stderr %q, want one line naming the read-only file system", r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(data, "verbatim.db"))
	if !bytes.Equal(before, after) {
		t.Error("the database changed")
	}
	// Reading a read-only archive works.
	r = cli(t, env, "search", "charter", "--format", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"total": 1`) {
		t.Errorf("search of a read-only archive: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestFullDisk(t *testing.T) {
	dir := mountTmpfs(t, "3m")
	data := filepath.Join(dir, "data")
	env := map[string]string{"VERBATIM_DATA": data}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	big := bigJSONL(t, 20000, 3) // several MB: more than the disk holds
	r := cli(t, env, "import", big)
	if r.code != 2 {
		t.Errorf("import onto a full disk: exit %d, want 2", r.code)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "no space left on device") {
		t.Errorf("stderr %q, want one line saying the disk is full", r.stderr)
	}
	r = cli(t, env, "stats", "--format", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"posts": 4`) {
		t.Errorf("after the failed import: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Nothing half-written is left in the blob store's temp directory.
	if ents, _ := os.ReadDir(filepath.Join(data, "blobs", "tmp")); len(ents) != 0 {
		t.Errorf("%d temp files left", len(ents))
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKilledMidPassResumes kills `verbatim capture` with SIGKILL while it
// waits for a rate-limit reset after storing some pages; the next pass
// completes what was missed and stores no duplicates.
func TestKilledMidPassResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	fake := archivetest.NewFakeX(t)
	fake.AddUser("1542228578", "VP", "Vice President JD Vance")
	fake.GeneratePosts("1542228578", 1000, fake.Now().Add(-1000*time.Hour), time.Hour)
	fake.SetRateLimit(archivetest.FakeXUserTweets, 3) // the 4th page must wait 15 minutes
	dir := t.TempDir()
	run := func() *exec.Cmd {
		cmd := proc(t, "--data", dir, "capture", "--no-media", "--no-snapshots", "@VP")
		cmd.Env = append(cmd.Env, "VERBATIM_X_API_URL="+fake.URL(), "VERBATIM_X_BEARER_TOKEN="+fake.Token)
		return cmd
	}
	cmd := run()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for fake.RequestCount("/2/users/1542228578/tweets") < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let it store the third page and start waiting
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	r := cli(t, map[string]string{"VERBATIM_DATA": dir}, "stats", "--format", "json")
	var before struct{ Posts int }
	json.Unmarshal([]byte(r.stdout), &before)
	if before.Posts == 0 || before.Posts >= 1000 {
		t.Fatalf("after the kill %d posts are archived; want some but not all", before.Posts)
	}

	fake.SetRateLimit(archivetest.FakeXUserTweets, 1500)
	fake.Advance(16 * time.Minute)
	out, err := run().CombinedOutput()
	if err != nil {
		t.Fatalf("second pass: %v\n%s", err, out)
	}
	r = cli(t, map[string]string{"VERBATIM_DATA": dir}, "stats", "--format", "json")
	var after struct{ Posts, Versions int }
	json.Unmarshal([]byte(r.stdout), &after)
	if after.Posts != 1000 || after.Versions != 1000 {
		t.Errorf("after the second pass: %s; want 1000 posts and versions, no duplicates", r.stdout)
	}
	t.Logf("killed with %d posts archived; the next pass completed the rest", before.Posts)
}

func TestCaptureAndRecheckCommands(t *testing.T) {
	fake := archivetest.NewFakeX(t)
	fake.AddUser("1542228578", "VP", "Vice President JD Vance")
	id := fake.Post("1542228578", "The two signed a Charter on Strategic Partnership", fake.Now().Add(-time.Hour))
	gone := fake.Post("1542228578", "soon gone", fake.Now().Add(-time.Minute))
	env := map[string]string{"VERBATIM_DATA": t.TempDir(), "VERBATIM_X_API_URL": fake.URL()}

	r := cli(t, env, "capture")
	if r.code != 2 || !strings.Contains(r.stderr, "VERBATIM_X_BEARER_TOKEN") {
		t.Errorf("no token: exit %d %q", r.code, r.stderr)
	}
	env["VERBATIM_X_BEARER_TOKEN"] = fake.Token
	r = cli(t, env, "capture", "--no-snapshots", "@VP", "@NoSuchOfficial", "--format", "json")
	if r.code != 1 {
		t.Errorf("capture with an unknown account: exit %d, want 1\n%s", r.code, r.stderr)
	}
	var pass struct {
		Accounts []struct {
			Handle, Status string
			NewPosts       int `json:"new_posts"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &pass); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(pass.Accounts) != 2 || pass.Accounts[0].NewPosts != 2 || pass.Accounts[1].Status != "not-found" {
		t.Errorf("capture result %s", r.stdout)
	}

	fake.Edit(id, "The two signed a historic Charter on Strategic Partnership", fake.Now())
	fake.Delete(gone)
	r = cli(t, env, "recheck", "--all", "--format", "json")
	if r.code != 0 {
		t.Fatalf("recheck: exit %d %s", r.code, r.stderr)
	}
	var rc struct {
		Checked int
		Changes []struct{ ID, Kind, Diff string }
	}
	json.Unmarshal([]byte(r.stdout), &rc)
	if rc.Checked != 2 || len(rc.Changes) != 2 {
		t.Fatalf("recheck result %s", r.stdout)
	}
	r = cli(t, env, "show", id)
	if !strings.Contains(r.stdout, "{+historic+}") || !strings.Contains(r.stdout, "Status   edited") {
		t.Errorf("show after the edit:\n%s", r.stdout)
	}
	r = cli(t, env, "show", gone, "--format", "json")
	if !strings.Contains(r.stdout, `"status": "deleted"`) || !strings.Contains(r.stdout, `"status_at"`) {
		t.Errorf("show after the deletion:\n%s", r.stdout)
	}
	r = cli(t, env, "search", "--deleted")
	if !strings.Contains(r.stdout, "soon gone") {
		t.Errorf("search --deleted:\n%s", r.stdout)
	}
}

func TestServeRunsJobsAndStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	fake := archivetest.NewFakeX(t)
	fake.AddUser("1542228578", "VP", "Vice President JD Vance")
	fake.Post("1542228578", "served", fake.Now().Add(-time.Hour))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := proc(t, "--data", t.TempDir(), "serve")
	cmd.Env = append(cmd.Env, "VERBATIM_X_API_URL="+fake.URL(), "VERBATIM_X_BEARER_TOKEN="+fake.Token,
		"VERBATIM_ADDR="+addr, "VERBATIM_ACCOUNTS=@VP", "VERBATIM_BROWSER_PATH=/nonexistent/chromium")
	cfg := filepath.Join(t.TempDir(), "v.yaml")
	os.WriteFile(cfg, []byte("schedule:\n  capture: '@every 1s'\n"), 0o644)
	cmd.Env = append(cmd.Env, "VERBATIM_CONFIG="+cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var status struct {
		Archive struct{ Posts int }
		Runs    []struct{ Job, Error string }
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/api/v1/status")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&status)
			resp.Body.Close()
			if status.Archive.Posts == 1 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status.Archive.Posts != 1 || len(status.Runs) == 0 || status.Runs[0].Job != "capture" {
		t.Fatalf("status %+v\n%s", status, stderr.String())
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
}

func TestExportPosts(t *testing.T) {
	env := map[string]string{"VERBATIM_DATA": t.TempDir()}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := cli(t, env, "export", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 4 {
		t.Fatalf("jsonl export: %d %q", r.code, r.stdout)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &p); err != nil || p["id"] == nil || p["url"] == nil {
		t.Errorf("jsonl line %q: %v", lines[0], err)
	}
	out := filepath.Join(t.TempDir(), "posts.csv")
	r = cli(t, env, "export", "--format", "csv", "-o", out)
	b, _ := os.ReadFile(out)
	if r.code != 0 || !strings.HasPrefix(string(b), "id,platform,handle,created_at,status,url,text\n") || strings.Count(string(b), "\n") < 5 {
		t.Errorf("csv export: %d %q %q", r.code, r.stderr, b)
	}
	if r := cli(t, env, "export", "--format", "xml"); r.code != 2 {
		t.Errorf("bad format: exit %d", r.code)
	}
}

func TestCaptureURLs(t *testing.T) {
	if _, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs a browser: %v", err)
		}
		t.Skipf("chromium not found: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Article</title><h1>Charter signed</h1><p>The charter covers energy and trade.</p>`)
	}))
	defer srv.Close()
	env := map[string]string{"VERBATIM_DATA": t.TempDir()}
	// Loopback is refused by default, decided before any connection.
	r := cli(t, env, "capture", srv.URL+"/article")
	if r.code != 2 || !strings.Contains(r.stderr, "VERBATIM_ALLOW_PRIVATE_URLS") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("private URL: exit %d %q", r.code, r.stderr)
	}
	env["VERBATIM_ALLOW_PRIVATE_URLS"] = "1"
	r = cli(t, env, "capture", "--format", "json", srv.URL+"/article")
	if r.code != 0 {
		t.Fatalf("capture: exit %d %s", r.code, r.stderr)
	}
	var out struct {
		Captures []struct {
			ID                     int64
			URL, FinalURL, Verdict string
			Artifacts              []struct{ Kind, SHA256 string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Captures) != 1 || out.Captures[0].Verdict != "ok" || out.Captures[0].ID == 0 || len(out.Captures[0].Artifacts) < 5 {
		t.Fatalf("captures %s", r.stdout)
	}
	warcOut := filepath.Join(t.TempDir(), "all.warc")
	r = cli(t, env, "export", "--format", "warc", "-o", warcOut)
	f, err := os.Open(warcOut)
	if r.code != 0 || err != nil {
		t.Fatalf("export warc: %d %s %v", r.code, r.stderr, err)
	}
	defer f.Close()
	if recs, err := warc.Verify(f); err != nil || len(recs) < 6 {
		t.Errorf("exported WARC: %d records, %v", len(recs), err)
	}
}

// TestSignalsDuringCaptureLeaveNothingBehind sends SIGINT and SIGTERM to
// `verbatim capture URL` while Chromium loads a page that never finishes:
// verbatim exits, and no Chromium process or profile directory is left.
func TestSignalsDuringCaptureLeaveNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	if _, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs a browser: %v", err)
		}
		t.Skipf("chromium not found: %v", err)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case arrived <- struct{}{}:
				default:
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(200)
				fmt.Fprint(w, "<!doctype html><p>loading")
				w.(http.Flusher).Flush()
				<-r.Context().Done() // never finishes
			}))
			defer srv.Close()
			// A short TMPDIR: Chromium puts a socket there, and socket paths
			// are limited to about 100 bytes.
			tmp, err := os.MkdirTemp("/tmp", "vb")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(tmp)
			cmd := proc(t, "--data", t.TempDir(), "capture", srv.URL+"/slow")
			cmd.Env = append(cmd.Env, "VERBATIM_ALLOW_PRIVATE_URLS=1", "TMPDIR="+tmp)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the page was never requested\n%s", stderr.String())
			}
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("verbatim did not exit on %v", sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("exit %d, stderr %q", code, stderr.String())
			}
			// No Chromium of ours, and no profile directory.
			deadline := time.Now().Add(5 * time.Second)
			for {
				left := chromiumUsing(tmp)
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Chromium processes left: %v", left)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("left in TMPDIR: %v", names)
			}
		})
	}
}

// chromiumUsing lists processes whose command line mentions dir.
func chromiumUsing(dir string) []string {
	var out []string
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		b, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(dir)) {
			out = append(out, p.Name()+": "+string(bytes.ReplaceAll(b[:min(len(b), 120)], []byte{0}, []byte{' '})))
		}
	}
	return out
}

// articleHTML is an article that embeds the archived post 2020770277880778757
// with text, misquoting (or not) its words.
func articleHTML(arrived, extra string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vance in Yerevan</title>
<meta name="author" content="Ana Ruiz"><meta property="article:published_time" content="2026-02-10T08:00:00Z"></head>
<body><article><h1>Vance in Yerevan</h1>
<p>The Vice President began his tour of the South Caucasus in Armenia on Monday, meeting the prime minister in the capital.</p>
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">` + arrived + `</p>&mdash; Vice President JD Vance (@VP)
<a href="https://twitter.com/VP/status/2020770277880778757?ref_src=twsrc%5Etfw">February 9, 2026</a></blockquote>
<p>Talks on a civil nuclear agreement were expected to conclude within days, officials said after the first meeting.</p>` + extra + `
</article></body></html>`
}

func TestCheckArticleAndCompare(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VERBATIM_DATA": dir}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	orig := filepath.Join(dir, "original.html")
	repub := filepath.Join(dir, "republished.html")
	os.WriteFile(orig, []byte(articleHTML("Arrived in Yerevan, Armenia. Grateful to Prime Minister Pashinyan for the warm welcome.", "")), 0o644)
	os.WriteFile(repub, []byte(articleHTML("Arrived in Yerevan, Armenia. Grateful to Prime Minister Pashinyan for the cold welcome.",
		"<p>The republisher added this paragraph about energy prices in the region and the markets.</p>")), 0o644)

	r := cli(t, env, "check-article", "--format", "json", orig)
	if r.code != 0 {
		t.Fatalf("check-article original: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Embeds []struct {
			Handle      string
			PostID      string `json:"post_id"`
			ClaimedDate string `json:"claimed_date"`
			Text        string
			Verdict     string
			Archived    *struct{ ID, Text string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Embeds) != 1 || rep.Embeds[0].Verdict != "exact" || rep.Embeds[0].Archived == nil ||
		rep.Embeds[0].Archived.ID != "2020770277880778757" || rep.Embeds[0].ClaimedDate != "2026-02-09" || rep.Embeds[0].Handle != "VP" {
		t.Errorf("check of the original: %s", r.stdout)
	}

	r = cli(t, env, "check-article", "--format", "json", repub)
	if r.code != 1 || !strings.Contains(r.stdout, `"verdict": "altered"`) || !strings.Contains(r.stderr, "misquoted") {
		t.Errorf("check of the republished copy: exit %d, want 1 with an altered embed\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = cli(t, env, "compare", "--format", "json", orig, repub)
	var cmp struct {
		Similarity float64
		Changes    []struct{ Kind, Original, Republished string }
		Embeds     []struct{ Verdict string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &cmp); err != nil {
		t.Fatalf("compare json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	if r.code != 1 || len(cmp.Changes) != 1 || cmp.Changes[0].Kind != "added" || len(cmp.Embeds) != 1 || cmp.Embeds[0].Verdict != "altered" ||
		cmp.Similarity <= 0.5 || cmp.Similarity >= 1 {
		t.Errorf("compare: exit %d %+v", r.code, cmp)
	}
	r = cli(t, env, "compare", "--format", "html", orig, repub)
	for _, want := range []string{"<!DOCTYPE html>", "<del>warm</del>", "<ins>cold</ins>"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("compare html lacks %q", want)
		}
	}

	// The post knows which articles quoted it.
	r = cli(t, env, "show", "--format", "json", "2020770277880778757")
	var show struct {
		Post struct {
			Articles []struct{ URL, Verdict string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil {
		t.Fatal(err)
	}
	if len(show.Post.Articles) < 3 {
		t.Errorf("articles quoting the post: %+v", show.Post.Articles)
	}

	r = cli(t, env, "extract", "--format", "json", orig)
	var ex map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &ex); err != nil || r.code != 0 {
		t.Fatalf("extract: exit %d %v %s", r.code, err, r.stderr)
	}
	if ex["title"] != "Vance in Yerevan" || !strings.Contains(ex["text"], "\n\nTalks on a civil nuclear") || ex["published"] != "2026-02-10T08:00:00Z" {
		t.Errorf("extract: %+v", ex)
	}
}

func TestCheckArticleBadInput(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VERBATIM_DATA": dir}
	huge := filepath.Join(dir, "huge.html")
	os.WriteFile(huge, bytes.Repeat([]byte("<p>word </p>"), 1<<20), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"private address, refused by the guard's decision", []string{"check-article", "http://10.1.2.3/article"}, "private"},
		{"metadata address", []string{"compare", "http://169.254.169.254/latest", "http://169.254.169.254/x"}, "169.254.169.254"},
		{"not a URL scheme we fetch", []string{"extract", "file:///etc/passwd"}, "scheme"},
		{"missing file", []string{"check-article", filepath.Join(dir, "nope.html")}, "no such file"},
		{"huge file", []string{"check-article", huge}, "over 8 MiB"},
		{"no arguments", []string{"compare", "a.html"}, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, env, tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Errorf("exit %d stderr %q, want exit 2 and one line with %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestNamesFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Vice President JD Vance", []string{"Vice President JD Vance", "Vance"}},
		{"Karoline Leavitt", []string{"Karoline Leavitt", "Leavitt"}},
		{"The White House", []string{"The White House", "House"}},
		{"POTUS", []string{"POTUS"}},
		{"   ", []string{"   "}},
		{"office of the vp", []string{"office of the vp"}},
	} {
		if got := namesFor(tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("namesFor(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
