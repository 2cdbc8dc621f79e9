package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const sample = `goos: linux
pkg: github.com/verbatim-archive/verbatim/archive/importer
cpu: AMD EPYC
BenchmarkImportV2JSONL-2   	       1	8112494617 ns/op	     12000 posts/s
BenchmarkPlainInsert-2     	       1	 796265430 ns/op	    120000 posts/s
PASS
BenchmarkImportV2JSONL-2   	       1	8549345830 ns/op	     11000 posts/s
BenchmarkPlainInsert-2     	       1	 835508972 ns/op	    100000 posts/s
BenchmarkImportV2JSONL-2   	       1	8549345830 ns/op	     30000 posts/s
BenchmarkPlainInsert-2     	       1	 835508972 ns/op	    150000 posts/s
BenchmarkWritePosts/order=newest-first-2         	       1	5816388056 ns/op	     17193 posts/s
BenchmarkSearch1M/phrase-2         	     100	  10163424 ns/op	       134.0 hits	         2.425 p50-ms	        27.35 p95-ms
BenchmarkSearch1M/common-top20/account=VP-2   	     100	 330208992 ns/op	     65839 hits	       329.6 p50-ms	       365.9 p95-ms
BenchmarkQuoteLookup1M/fts-2         	     500	  26807847 ns/op	        16.13 p50-ms	       147.1 p99-ms	         1.000 recall@1
BenchmarkQuoteLookup1M/index-2       	     500	   3164812 ns/op	         6.507 build-s	        90.87 index-MiB	         0.8120 p50-ms	        14.86 p99-ms	         1.000 recall@1
ok  	github.com/verbatim-archive/verbatim/archive/sqlite	104.867s
`

func TestParse(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.rounds(), 3; got != want {
		t.Errorf("rounds = %d, want %d", got, want)
	}
	if got, _ := res.median("BenchmarkImportV2JSONL", "posts/s"); got != 12000 {
		t.Errorf("median import = %v, want 12000", got)
	}
	// Ratios pair runs of the same round: 0.1, 0.11, 0.2.
	if got, _ := res.medianRatio("BenchmarkImportV2JSONL", "BenchmarkPlainInsert", "posts/s"); got != 0.11 {
		t.Errorf("median ratio = %v, want 0.11", got)
	}
	if got, _ := res.median("BenchmarkSearch1M/common-top20/account=VP", "p95-ms"); got != 365.9 {
		t.Errorf("p95 = %v, want 365.9", got)
	}
}

func TestTable(t *testing.T) {
	in := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bench-results.md")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-in", in, "-o", out}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	saved, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, stdout.Bytes()) {
		t.Error("the file differs from what was printed")
	}
	for _, want := range []string{
		"| figure | measured | limit/peer | ratio | ok? |",
		"| 12,000 posts/s | ≥ 50,000 posts/s | 0.24× | ❌ no |",
		"| 120,000 posts/s | — | import ÷ plain: 0.11× | — |",
		"| 17,193 posts/s | ≥ 50,000 posts/s | 0.34× | ❌ no |",
		"BenchmarkSearch1M/phrase-2 ",
		"| p50 2.4 ms, p95 27.4 ms (median 134 hits) | p50 ≤ 5.0 ms | 0.48× | ✅ yes |",
		"--account VP | p50 330 ms, p95 366 ms (median 65,839 hits) | p50 ≤ 20.0 ms | 16× | ❌ no |",
		"in-memory index, then FTS5 | p50 0.8 ms, p99 14.9 ms, recall@1 1.000; index 91 MiB, built in 6.5 s | p50 ≤ 10.0 ms, p99 ≤ 100 ms, recall ≥ 0.99 | 0.15× | ✅ yes |",
		"FTS5 alone (no index built) | p50 16.1 ms, p99 147 ms, recall@1 1.000 | p50 ≤ 10.0 ms, p99 ≤ 100 ms, recall ≥ 0.99 | 1.61× | ❌ no |",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestParseNothing(t *testing.T) {
	if _, err := parse(strings.NewReader("PASS\nok x 1s\n")); err == nil {
		t.Error("no error for output without benchmarks")
	}
}

// sampleMore is saved output of the steps for issues #3, #4, #5, #6 and #7,
// shortened: go test -bench, go test -v (extraction, git diff) and
// benchserve -bench-lines, with this command's took lines.
const sampleMore = `pkg: github.com/verbatim-archive/verbatim/archive/audit
BenchmarkAudit/hash=audit/workers=2-2         	       5	  55679079 ns/op	3552.19 MB/s
BenchmarkAudit/hash=audit/workers=1-2         	       5	 104983916 ns/op	1883.94 MB/s
BenchmarkAudit/hash=crypto-sha256/from=memory-2         	       5	  95488694 ns/op	2071.27 MB/s
BenchmarkAudit/hash=crypto-sha256/from=files-2          	       5	 103491837 ns/op	1911.10 MB/s
BenchmarkAudit/hash=sha256sum/from=files-2              	       5	 376340092 ns/op	 525.54 MB/s
BenchmarkAuditLedger-2                                  	       5	1747039077 ns/op	    114479 leaves/s
PASS
benchtable: took audit 17.2s
BenchmarkLedgerAppend/path=record-capture-2         	  100000	    269327 ns/op	      3713 leaves/s
BenchmarkLedgerAppend/path=no-ledger-2              	  100000	     82252 ns/op	     12158 captures/s
BenchmarkLedgerAppend/path=backfill-2               	  100000	     10220 ns/op	     97846 leaves/s
--- BENCH: BenchmarkLedgerProof-2
    ledger_bench_test.go:139: 1000000 captures and their leaves in 15s (backfill included)
BenchmarkLedgerProof/proof=inclusion/leaves=1000000-2         	   21459	     54244 ns/op
BenchmarkLedgerProof/proof=consistency/leaves=1000000-2       	   26236	     45930 ns/op
BenchmarkLedgerProof/proof=receipt/leaves=1000000-2           	   12562	     95348 ns/op
BenchmarkCapturePass-2   	       1	14305497919 ns/op	         1.131 RSS-ratio-50/10	       174.2 peak-RSS-MB	       154.0 peak-RSS-MB-10acct	     12849 posts/s	     17278 posts/s-10acct
BenchmarkCaptureTabs/tabs=1-2         	       4	10593052752 ns/op	       136.9 bare-captures/min	        58.09 full-captures/min	        79.03 full-chromium-peak-PSS-MiB	       233.9 full-chromium-peak-RSS-MiB	         2.407 full-overhead	       163.9 shot-load-shared-captures/min	        79.15 shot-load-shared-chromium-peak-PSS-MiB	       234.0 shot-load-shared-chromium-peak-RSS-MiB	         0.8901 shot-load-shared-overhead
BenchmarkCaptureTabs/tabs=4-2         	       4	6844829979 ns/op	       270.2 bare-captures/min	       117.3 full-captures/min	       103.2 full-chromium-peak-PSS-MiB	       260.8 full-chromium-peak-RSS-MiB	         2.129 full-overhead
=== RUN   TestExtractionBenchmark
    bench_test.go:206: default                            done in 805ms
    bench_test.go:218: 
        article-extraction benchmark, 181 pages, GOMAXPROCS=2
        engine                             F1             precision      recall         accuracy errors ms/page (mean, p50, p95)
        default                            0.975 ± 0.004  0.964 ± 0.006  0.987 ± 0.003  0.464    0      7.8, 6.3, 16.5
        raw go-trafilatura                 0.960 ± 0.007  0.940 ± 0.009  0.980 ± 0.006  0.293    0      9.6, 7.0, 18.2
        raw readeck/go-readability         0.952 ± 0.004  0.918 ± 0.008  0.989 ± 0.003  0.188    0      2.6, 2.2, 6.3
        
--- PASS: TestExtractionBenchmark (10.06s)
=== RUN   TestGitWordDiffRatio
    bench_test.go:69: best of 20: Compare 3.065542ms, git diff --no-index --word-diff 1.777431ms (process included); Compare/git = 1.72
--- PASS: TestGitWordDiffRatio (0.16s)
PASS
| search API (GET /api/v1/search?q=…, JSON, two-term queries) | 2s | 27315 req/s, p99 79.10ms | ≥ 3000 req/s | 9.11× | ✅ yes |
BenchmarkServe/target=search/cache_ttl=0	1	1317 req/s	85.700 p99-ms
BenchmarkServe/target=search/cache_ttl=2s	1	27315 req/s	79.100 p99-ms
BenchmarkServe/target=post/cache_ttl=2s	1	21822 req/s	24.610 p99-ms
BenchmarkServe/target=rss/cache_ttl=2s	1	153.7 peak-RSS-MB	112.0 RSS-MB
benchtable: took serve 27s
`

// sampleSkipped is saved output of a run without wrk, Chromium or
// ../shared, in which a step failed: skips reported by this command, by a
// benchmark (reason after the SKIP line) and by a test under -v (reason
// before it).
const sampleSkipped = `benchtable: skip extract: ../shared absent
benchtable: skip serve: wrk not installed
goos: linux
pkg: github.com/verbatim-archive/verbatim/archive/browser
--- SKIP: BenchmarkCaptureTabs
    browser_test.go:47: chromium not found: no Chromium found
PASS
ok  	github.com/verbatim-archive/verbatim/archive/browser	0.1s
=== RUN   TestGitWordDiffRatio
    bench_test.go:26: git is not on PATH
--- SKIP: TestGitWordDiffRatio (0.00s)
PASS
BenchmarkLedgerAppend/path=record-capture-2         	  100000	    269327 ns/op	      3713 leaves/s
--- FAIL: BenchmarkLedgerAppend/path=no-ledger
    ledger_bench_test.go:70: disk full
FAIL
benchtable: fail ledger-append: exit status 1
benchtable: fail ledger-proof: exit status 2
`

// render runs the command on saved output and returns the table.
func render(t *testing.T, output string) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(in, []byte(output), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-in", in, "-o", ""}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	return stdout.String()
}

func contains(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("table lacks %q:\n%s", w, got)
		}
	}
}

func TestParseMore(t *testing.T) {
	res, err := parse(strings.NewReader(sampleMore))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, unit string
		want       float64
	}{
		{"TestExtractionBenchmark", "pages", 181},
		{"TestExtractionBenchmark/default", "F1", 0.975},
		{"TestExtractionBenchmark/raw readeck/go-readability", "ms/page", 2.6},
		{"TestGitWordDiffRatio", "compare/git", 3.065542 / 1.777431},
		{"BenchmarkServe/target=post/cache_ttl=2s", "p99-ms", 24.61},
		{"BenchmarkLedgerProof/proof=inclusion/leaves=1000000", "ns/op", 54244},
		{"BenchmarkCaptureTabs/tabs=4", "full-overhead", 2.129},
	} {
		if got, ok := res.median(c.name, c.unit); !ok || math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("%s %s = %v (%v), want %v", c.name, c.unit, got, ok, c.want)
		}
	}
	if got := res.serveTTLs(); !slices.Equal(got, []string{"2s", "0"}) {
		t.Errorf("cache TTLs %q, want the default first", got)
	}
	if len(res.skipped)+len(res.failed) != 0 {
		t.Errorf("skipped %v, failed %v", res.skipped, res.failed)
	}
	if got := res.timing(0); got != "Steps took 44s in all: audit 17s, serve 27s." {
		t.Errorf("timing %q", got)
	}
}

func TestTableMore(t *testing.T) {
	out := render(t, sampleMore)
	contains(t, out,
		"| #3 capture pass through the fake X API, 50 accounts × 3,200 posts, `verbatim capture` in its own process | 12,849 posts/s, peak RSS 174 MB | peer: the same pass over 10 accounts, same run: 17,278 posts/s, peak RSS 154 MB",
		"| RSS 50 ÷ 10 accounts: 1.13×; posts/s: 0.74× | — |",
		"| #4 Chromium capture, 1 tab: default capture",
		"| 58 captures/min; Chromium peak RSS 234 MiB (PSS 79 MiB) | peer: bare chromedp (new tab, Navigate, full-page PNG), same browser flags, same run: 137 captures/min | bare ÷ ours: 2.41× | — |",
		"| 164 captures/min; Chromium peak RSS 234 MiB (PSS 79 MiB) | peer: bare chromedp (new tab, Navigate, full-page PNG), same browser flags, same run: 137 captures/min | bare ÷ ours: 0.89× | — |",
		"| #4 Chromium capture, 4 tabs: default capture",
		"| #5 article extraction, shared benchmark (181 pages): default engine (go-trafilatura and go-readability in consensus) | F1 0.975 (precision 0.964, recall 0.987), 7.8 ms/page | F1 ≥ 0.970 (the test's floor; published go-trafilatura 0.960) | 1.01× | ✅ yes |",
		"| #5 extraction peer, same run: raw go-trafilatura, called as the benchmark's own runner calls it | F1 0.960, 9.6 ms/page | — | default ÷ peer F1: 1.02× | — |",
		"| 3.1 ms | peer: git diff --no-index --word-diff on the same texts, same run: 1.8 ms (process included) | Compare ÷ git: 1.72× | — |",
		"search API (GET /api/v1/search, two-term queries), server.cache_ttl 2s (the default) | 27,315 req/s, p99 79.1 ms | ≥ 3,000 req/s | 9.11× | ✅ yes |",
		"post page (GET /posts/{id}, HTML), server.cache_ttl 2s (the default) | 21,822 req/s, p99 24.6 ms | ≥ 10,000 req/s | 2.18× | ✅ yes |",
		"| #6 peak RSS of verbatim serve after both wrk runs, server.cache_ttl 2s (the default) | 154 MB | < 150 MB | 1.02× | ❌ no |",
		"search API (GET /api/v1/search, two-term queries), no answer cache (server.cache_ttl 0) | 1,317 req/s, p99 85.7 ms | ≥ 3,000 req/s | 0.44× | ❌ no |",
		"| #7 audit, 2 workers: blobs re-hashed (192 MiB in the page cache), manifests, tree, checkpoints | 3,552 MB/s | ≥ 0.8 × Go crypto/sha256 over the same files, same run (1,911 MB/s) | audit ÷ crypto/sha256: 1.86× | ✅ yes |",
		"| #7 audit, 1 worker: blobs re-hashed (192 MiB in the page cache), manifests, tree, checkpoints | 1,884 MB/s | ≥ 0.8 × Go crypto/sha256 over the same files, same run (1,911 MB/s) | audit ÷ crypto/sha256: 0.99× | — |",
		"| #7 audit peer: sha256sum over the same files | 526 MB/s | — | audit (2) ÷ sha256sum: 6.76× | — |",
		"| 114,479 leaves/s | — | — | — |",
		"| 3,713 leaves/s | peer: the same captures without the ledger, same run: 12,158 captures/s | with ÷ without: 0.31× | — |",
		"| #7 inclusion proof in a tree of 1,000,000 leaves | 0.054 ms | < 1.0 ms | 0.05× | ✅ yes |",
		"| #7 receipt (leaf lookup, latest checkpoint, inclusion proof) in a tree of 1,000,000 leaves | 0.095 ms |",
		"Steps took 44s in all: audit 17s, serve 27s.",
		// The record keeps the figures' lines, not the Markdown or logs.
		"        default                            0.975 ± 0.004",
		"best of 20: Compare 3.065542ms",
		"BenchmarkServe/target=rss/cache_ttl=2s\t1\t153.7 peak-RSS-MB",
	)
	if strings.Contains(out, "done in 805ms") || strings.Contains(out, "| 2s | 27315 req/s") {
		t.Errorf("the record keeps lines that are not figures:\n%s", out)
	}
	// Figures that did not run have no rows.
	if strings.Contains(out, "| #2 ") || strings.Contains(out, "quote lookup") {
		t.Errorf("rows for steps that did not run:\n%s", out)
	}
	if strings.Contains(out, "median over rounds") {
		t.Error("the rounds are described without an import")
	}
}

func TestTableSkipped(t *testing.T) {
	res, err := parse(strings.NewReader(sampleSkipped))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"extract":              "../shared absent",
		"serve":                "wrk not installed",
		"BenchmarkCaptureTabs": "chromium not found: no Chromium found",
		"TestGitWordDiffRatio": "git is not on PATH",
	} {
		if got := res.skipped[name]; got != want {
			t.Errorf("skipped[%s] = %q, want %q", name, got, want)
		}
	}
	out := render(t, sampleSkipped)
	contains(t, out,
		"| #5 article extraction, shared benchmark | skipped: ../shared absent | F1 ≥ 0.970 | — | — |",
		"| #6 verbatim serve under wrk: search API, post page, peak RSS | skipped: wrk not installed | ≥ 3,000 req/s, ≥ 10,000 req/s, < 150 MB | — | — |",
		"| #4 Chromium captures, 1, 2 and 4 tabs | skipped: chromium not found: no Chromium found | peer: bare chromedp | — | — |",
		"| #5 compare a republished article with its original | skipped: git is not on PATH |",
		// A failed step keeps what it measured before failing.
		"| 3,713 leaves/s | peer: the same captures without the ledger, same run: 0 captures/s |",
		"| #7 inclusion proof in a 1M-leaf tree | failed: exit status 2 (see the output) | < 1.0 ms | — | — |",
		"--- SKIP: BenchmarkCaptureTabs",
		"benchtable: skip serve: wrk not installed",
	)
	// Steps that neither ran nor were skipped have no rows.
	if strings.Contains(out, "| #2 ") || strings.Contains(out, "| #3 ") || strings.Contains(out, "audit") {
		t.Errorf("rows for steps that did not run:\n%s", out)
	}
}

func TestSelectSteps(t *testing.T) {
	all := steps(options{rounds: 2, queries: 10, serveDuration: time.Second, tabCaptures: 2})
	names := func(ss []step) string {
		var n []string
		for _, s := range ss {
			n = append(n, s.name)
		}
		return strings.Join(n, ",")
	}
	for only, want := range map[string]string{
		"":                    names(all),
		"audit, ledger-proof": "audit,ledger-proof",
		"import":              "import,import",
		"#7":                  "audit,ledger-append,ledger-proof",
		"5,serve":             "search,extract,compare,serve",
	} {
		got, err := selectSteps(all, only)
		if err != nil || names(got) != want {
			t.Errorf("-only %q: %s, %v; want %s", only, names(got), err, want)
		}
	}
	if _, err := selectSteps(all, "audit,nonesuch"); err == nil || !strings.Contains(err.Error(), "nonesuch") {
		t.Errorf("an unknown step: %v", err)
	}
	if _, err := selectSteps(all, "#9"); err == nil {
		t.Error("an issue without steps was accepted")
	}
	for _, s := range all {
		if s.args[0] != "test" && s.name != "serve" {
			t.Errorf("step %s is not a go test process: %q", s.name, s.args)
		}
	}
}

// TestRunSteps runs steps with go replaced: a missing wrk, Chromium and
// shared folder skip their steps without running them, a failing step is
// named and the others still run, and the table is written all the same.
func TestRunSteps(t *testing.T) {
	t.Setenv("VERBATIM_SHARED", filepath.Join(t.TempDir(), "nothing"))
	t.Setenv("VERBATIM_BROWSER_PATH", "")
	lookPath = func(string) (string, error) { return "", exec.ErrNotFound }
	var ran []string
	execStep = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		ran = append(ran, strings.Join(args, " "))
		if slices.Contains(args, "./archive/audit") {
			io.WriteString(stdout, "BenchmarkAudit/hash=audit/workers=2-2 \t 5\t 1 ns/op\t 900 MB/s\n"+
				"BenchmarkAudit/hash=crypto-sha256/from=files-2 \t 5\t 1 ns/op\t 1000 MB/s\n")
			return nil
		}
		return errors.New("exit status 1")
	}
	t.Cleanup(func() { lookPath, execStep = exec.LookPath, defaultExecStep })
	out := filepath.Join(t.TempDir(), "bench-results.md")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-only", "serve,extract,capture-tabs,audit,ledger-proof", "-o", out}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "ledger-proof (go test") {
		t.Errorf("error %v does not name the failed step", err)
	}
	if len(ran) != 2 || !strings.Contains(ran[0], "-bench ^(BenchmarkAudit|BenchmarkAuditLedger)$ -benchtime 5x ./archive/audit") {
		t.Errorf("ran %q", ran)
	}
	saved, _ := os.ReadFile(out)
	if !bytes.Equal(saved, stdout.Bytes()) {
		t.Error("the file differs from what was printed")
	}
	contains(t, stdout.String(),
		"| skipped: $VERBATIM_SHARED absent |",
		"| skipped: wrk not installed |",
		"| skipped: Chromium not installed (make chromium) |",
		"| 900 MB/s | ≥ 0.8 × Go crypto/sha256 over the same files, same run (1,000 MB/s) | audit ÷ crypto/sha256: 0.90× | ✅ yes |",
		"| failed: exit status 1 (see the output) |",
		"Steps took ",
	)
	contains(t, stderr.String(), "benchtable: step 3 of 5 (ledger-proof): go test -run ^$")

	stdout.Reset()
	if err := run(context.Background(), []string{"-list", "-rounds", "1"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	contains(t, stdout.String(), "serve          #6     go run ./internal/benchserve -duration 5s -o= -bench-lines\n")
	if err := run(context.Background(), []string{"-only", "bogus"}, &stdout, &stderr); err == nil {
		t.Error("-only bogus accepted")
	}
}
