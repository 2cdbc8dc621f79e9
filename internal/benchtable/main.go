// Command benchtable runs the benchmarks behind the issues' figures and
// prints them as one Markdown table, each figure beside its limit or a peer
// measured in the same run, as a ratio, writing it also to a file:
//
//   - #2: import beside a plain SQLite insert, its stages alone, search over
//     a million posts;
//   - #3: a capture pass through the fake X API, 50 accounts beside 10;
//   - #4: Chromium captures with 1, 2 and 4 tabs beside bare chromedp;
//   - #5: quote lookup over a million posts, article extraction on the
//     shared benchmark (../shared) beside the raw libraries, and
//     verify/compare beside git diff --no-index --word-diff;
//   - #6: `verbatim serve` under wrk (internal/benchserve);
//   - #7: audit throughput beside crypto/sha256 and sha256sum, ledger
//     appends beside the same captures without the ledger, proofs in a
//     million-leaf tree.
//
// Each step is its own process (go test, or go run for the serve figures),
// so a failure names its step; a failed step is reported and the others
// still run. A step whose prerequisite is missing (wrk, Chromium, the
// shared benchmark) is skipped, and its rows say so.
//
// The machine these run on is shared and noisy, so the figures that are
// compared with a peer are measured side by side: each round runs the
// import and its plain-insert peer back to back in one process, and the
// table shows the median over rounds of each figure and of the per-round
// ratio; the other peers run in the same process as what they are compared
// with.
//
//	go run ./internal/benchtable [-rounds 3] [-only audit,ledger-proof] [-serve-duration 5s] [-o bench-results.md]
//	go run ./internal/benchtable -list
//	go run ./internal/benchtable -in saved-output.txt
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// options shape the steps.
type options struct {
	rounds        int
	queries       int
	serveDuration time.Duration
	tabCaptures   int
}

// step is one process of the run.
type step struct {
	name   string        // what -only selects it by
	issues string        // the issues whose figures it measures
	args   []string      // go's arguments
	skip   func() string // why it cannot run here, or ""
}

// steps returns the run's steps, in order.
func steps(o options) []step {
	bench := func(name, issues, pattern, benchtime, pkg string) step {
		args := []string{"test", "-run", "^$", "-count", "1", "-timeout", "30m", "-bench", pattern}
		if benchtime != "" {
			args = append(args, "-benchtime", benchtime)
		}
		return step{name: name, issues: issues, args: append(args, pkg)}
	}
	var ss []step
	// Each round runs the import and its peer in one process, so their
	// ratio compares like with like on a noisy machine.
	for range o.rounds {
		ss = append(ss, bench("import", "#2", "^(BenchmarkImportV2JSONL|BenchmarkPlainInsert)$", "1x", "./archive/importer"))
	}
	extract := step{name: "extract", issues: "#5", args: []string{"test", "-run", "^TestExtractionBenchmark$", "-count", "1", "-v", "-timeout", "30m", "./verify/extract"}, skip: sharedMissing}
	compare := step{name: "compare", issues: "#5", args: []string{"test", "-run", "^TestGitWordDiffRatio$", "-count", "1", "-v", "./verify/compare"}}
	serve := step{name: "serve", issues: "#6", args: []string{"run", "./internal/benchserve", "-duration", o.serveDuration.String(), "-o=", "-bench-lines"}, skip: wrkMissing}
	tabs := bench("capture-tabs", "#4", "^BenchmarkCaptureTabs$", strconv.Itoa(o.tabCaptures)+"x", "./archive/browser")
	tabs.skip = chromiumMissing
	return append(ss,
		bench("decode", "#2", "^BenchmarkDecodePage$", "5x", "./archive/xapi"),
		bench("writer", "#2", "^BenchmarkWritePosts$", "1x", "./archive/sqlite"),
		// One process for both: they share the million-post archive.
		bench("search", "#2 #5", "^(BenchmarkSearch1M|BenchmarkQuoteLookup1M)$", strconv.Itoa(o.queries)+"x", "./archive/sqlite"),
		extract,
		compare,
		bench("audit", "#7", "^(BenchmarkAudit|BenchmarkAuditLedger)$", "5x", "./archive/audit"),
		bench("ledger-append", "#7", "^BenchmarkLedgerAppend$", "100000x", "./archive/sqlite"),
		bench("ledger-proof", "#7", "^BenchmarkLedgerProof$", "", "./archive/sqlite"),
		bench("capture-pass", "#3", "^BenchmarkCapturePass$", "1x", "./cmd/verbatim"),
		serve,
		tabs,
	)
}

// Prerequisites, replaceable in tests.
var (
	lookPath = exec.LookPath
	execStep = defaultExecStep
)

// defaultExecStep runs go with args, its standard output to stdout.
func defaultExecStep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	return cmd.Run()
}

func wrkMissing() string {
	if _, err := lookPath("wrk"); err != nil {
		return "wrk not installed"
	}
	return ""
}

// chromiumMissing looks for Chromium as archive/browser.Find does.
func chromiumMissing() string {
	if p := os.Getenv("VERBATIM_BROWSER_PATH"); p != "" {
		if _, err := lookPath(p); err != nil {
			return "Chromium not found at VERBATIM_BROWSER_PATH=" + p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if _, err := lookPath(name); err == nil {
			return ""
		}
	}
	return "Chromium not installed (make chromium)"
}

// sharedMissing looks for the shared extraction benchmark as verify/extract
// does: $VERBATIM_SHARED, else ../shared beside the module.
func sharedMissing() string {
	dir, name := os.Getenv("VERBATIM_SHARED"), "$VERBATIM_SHARED"
	if dir == "" {
		dir, name = filepath.Join("..", "shared"), "../shared"
	}
	if _, err := os.Stat(dir); err != nil {
		return name + " absent"
	}
	if _, err := os.Stat(filepath.Join(dir, "peer", "article-extraction-benchmark", "ground-truth.json")); err != nil {
		return "no peer/article-extraction-benchmark in " + name
	}
	return ""
}

// selectSteps keeps the steps named in only (comma-separated step names or
// issues such as #7); all of them when only is empty.
func selectSteps(all []step, only string) ([]step, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	var names []string
	for _, s := range all {
		if !slices.Contains(names, s.name) {
			names = append(names, s.name)
		}
	}
	want := make(map[string]bool)
	for _, w := range strings.Split(only, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(w, "#")); err == nil {
			w = "#" + strconv.Itoa(n)
		}
		known := slices.Contains(names, w)
		for _, s := range all {
			known = known || slices.Contains(strings.Fields(s.issues), w)
		}
		if !known {
			return nil, fmt.Errorf("-only: no step %q (steps: %s; or an issue: #2 to #7)", w, strings.Join(names, ", "))
		}
		want[w] = true
	}
	var sel []step
	for _, s := range all {
		match := want[s.name]
		for _, i := range strings.Fields(s.issues) {
			match = match || want[i]
		}
		if match {
			sel = append(sel, s)
		}
	}
	return sel, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of the import benchmarks")
	fs.IntVar(&o.queries, "queries", 300, "queries of each kind in the search and quote-lookup benchmarks")
	fs.DurationVar(&o.serveDuration, "serve-duration", 5*time.Second, "how long wrk drives each serve figure")
	fs.IntVar(&o.tabCaptures, "tab-captures", 4, "captures per variant and round in the Chromium benchmark")
	only := fs.String("only", "", "run only these steps, comma-separated: step names or issues (#7); see -list")
	list := fs.Bool("list", false, "list the steps and exit")
	out := fs.String("o", "bench-results.md", "also write the table to this file (\"\" for none)")
	in := fs.String("in", "", "read saved output (of go test -bench and of this command's steps) instead of running the benchmarks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	sel, err := selectSteps(steps(o), *only)
	if err != nil {
		return err
	}
	if *list {
		all := steps(o)
		for i, s := range all {
			if i > 0 && all[i-1].name == s.name {
				continue // a round
			}
			n := 0
			for _, t := range all {
				if t.name == s.name {
					n++
				}
			}
			times := ""
			if n > 1 {
				times = fmt.Sprintf(" (%d rounds)", n)
			}
			fmt.Fprintf(stdout, "%-14s %-6s go %s%s\n", s.name, s.issues, strings.Join(s.args, " "), times)
		}
		return nil
	}
	var raw bytes.Buffer
	var failed []string
	var elapsed time.Duration
	if *in != "" {
		b, err := os.ReadFile(*in)
		if err != nil {
			return err
		}
		raw.Write(b)
	} else {
		both := io.MultiWriter(&raw, stderr)
		begin := time.Now()
		for i, s := range sel {
			if s.skip != nil {
				if why := s.skip(); why != "" {
					fmt.Fprintf(both, "benchtable: skip %s: %s\n", s.name, why)
					continue
				}
			}
			fmt.Fprintf(stderr, "benchtable: step %d of %d (%s): go %s\n", i+1, len(sel), s.name, strings.Join(s.args, " "))
			start := time.Now()
			err := execStep(ctx, s.args, both, stderr)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				fmt.Fprintf(both, "benchtable: fail %s: %v\n", s.name, err)
				failed = append(failed, fmt.Sprintf("%s (go %s: %v)", s.name, strings.Join(s.args, " "), err))
			}
			fmt.Fprintf(&raw, "benchtable: took %s %s\n", s.name, time.Since(start).Round(100*time.Millisecond))
		}
		elapsed = time.Since(begin)
	}
	res, err := parse(bytes.NewReader(raw.Bytes()))
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	fmt.Fprintf(&doc, "# Benchmarks for issues #2 to #7\n\n%s\n", header(*in != ""))
	if t := res.timing(elapsed); t != "" {
		fmt.Fprintf(&doc, "\n%s\n", t)
	}
	fmt.Fprintln(&doc)
	table(&doc, res)
	fmt.Fprintf(&doc, "\nRatio is measured ÷ limit where there is a limit (throughput: ≥ 1 is ok; latency, memory: ≤ 1 is ok); "+
		"where a peer is named, the ratio says which way it is taken (ours ÷ peer, or bare ÷ ours for Chromium's overhead), and the peer was measured in the same step as the figure, side by side. "+
		"Rows without a limit are there for the record (ok? —).")
	if n := res.rounds(); n > 0 {
		fmt.Fprintf(&doc, " Import ÷ plain is taken per round, the import and its peer back to back in one process, median over rounds (%d).", n)
	}
	fmt.Fprintf(&doc, "\n\n<details><summary>benchmark output</summary>\n\n```\n%s```\n</details>\n", benchLines(raw.String()))
	if _, err := stdout.Write(doc.Bytes()); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, doc.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d step(s) failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// header describes where and when the figures were measured.
func header(saved bool) string {
	if saved {
		return "From saved benchmark output."
	}
	commit := "unknown commit"
	if b, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		commit = "commit " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("Measured %s at %s, %s, %s/%s, %d CPUs.",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

// results holds what the output says: each benchmark's runs, in order
// (name → runs → unit → value), what was skipped or failed and why, and how
// long each step took.
type results struct {
	runs    map[string][]map[string]float64
	skipped map[string]string        // step, test or benchmark → why
	failed  map[string]string        // step → how
	took    map[string]time.Duration // step → time, summed over its rounds
	steps   []string                 // steps in the order they ran
	tookN   map[string]int           // step → processes
}

var (
	// A line of TestExtractionBenchmark's table: engine, F1 ± std,
	// precision ± std, recall ± std, accuracy, errors, ms/page mean, p50, p95.
	extractRow   = regexp.MustCompile(`^(\S.*?)\s+(\d+\.\d+) ± (\d+\.\d+)\s+(\d+\.\d+) ± \d+\.\d+\s+(\d+\.\d+) ± \d+\.\d+\s+(\d+\.\d+)\s+(\d+)\s+([\d.]+), ([\d.]+), ([\d.]+)$`)
	extractPages = regexp.MustCompile(`article-extraction benchmark, (\d+) pages`)
	// TestGitWordDiffRatio's log line.
	gitRatio = regexp.MustCompile(`best of (\d+): Compare (\S+), git diff --no-index --word-diff (\S+) \(process included\); Compare/git = ([\d.]+)`)
	// The file:line prefix of a test's log line.
	logPrefix = regexp.MustCompile(`^\S+\.go:\d+: ?`)
)

const (
	extractTest = "TestExtractionBenchmark"
	gitTest     = "TestGitWordDiffRatio"
)

// parse reads the output of the steps: 'go test -bench' result lines (a
// benchmark run more than once, in rounds or with -count, keeps every run,
// in order), skipped tests and benchmarks with their reasons, the logged
// tables of TestExtractionBenchmark and TestGitWordDiffRatio, and this
// command's own skip, fail and took lines.
func parse(r io.Reader) (*results, error) {
	res := &results{
		runs:    make(map[string][]map[string]float64),
		skipped: make(map[string]string),
		failed:  make(map[string]string),
		took:    make(map[string]time.Duration),
		tookN:   make(map[string]int),
	}
	add := func(name string, m map[string]float64) { res.runs[name] = append(res.runs[name], m) }
	var (
		logs     []string // indented lines since the last unindented one
		running  string   // the test of the last === RUN line
		awaiting string   // a skipped test whose reason follows
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			l := logPrefix.ReplaceAllString(strings.TrimSpace(line), "")
			if l != "" {
				logs = append(logs, l)
			}
			if m := extractRow.FindStringSubmatch(l); m != nil {
				v := func(i int) float64 { f, _ := strconv.ParseFloat(m[i], 64); return f }
				add(extractTest+"/"+m[1], map[string]float64{"F1": v(2), "F1-std": v(3), "precision": v(4), "recall": v(5),
					"accuracy": v(6), "errors": v(7), "ms/page": v(8), "p50-ms/page": v(9), "p95-ms/page": v(10)})
			} else if m := extractPages.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				add(extractTest, map[string]float64{"pages": float64(n)})
			} else if m := gitRatio.FindStringSubmatch(l); m != nil {
				runs, _ := strconv.Atoi(m[1])
				c, err1 := time.ParseDuration(m[2])
				g, err2 := time.ParseDuration(m[3])
				if err1 == nil && err2 == nil && g > 0 {
					add(gitTest, map[string]float64{"runs": float64(runs), "compare-ms": msOf(c), "git-ms": msOf(g), "compare/git": msOf(c) / msOf(g)})
				}
			}
			continue
		}
		if awaiting != "" {
			res.skipped[awaiting] = reason(logs)
			awaiting = ""
		}
		prev := logs
		logs = nil
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "===" && f[1] == "RUN":
			running = f[2]
		case len(f) >= 3 && f[0] == "---" && f[1] == "SKIP:":
			name := trimProcs(f[2])
			if name == running && len(prev) > 0 { // -v: the reason came first
				res.skipped[name] = reason(prev)
			} else {
				awaiting = name
			}
		case len(f) >= 3 && f[0] == "benchtable:" && (f[1] == "skip" || f[1] == "fail"):
			name, why, _ := strings.Cut(strings.Join(f[2:], " "), ": ")
			if f[1] == "skip" {
				res.skipped[name] = why
			} else {
				res.failed[name] = why
			}
		case len(f) == 4 && f[0] == "benchtable:" && f[1] == "took":
			if d, err := time.ParseDuration(f[3]); err == nil {
				if _, ok := res.took[f[2]]; !ok {
					res.steps = append(res.steps, f[2])
				}
				res.took[f[2]] += d
				res.tookN[f[2]]++
			}
		case len(f) >= 4 && strings.HasPrefix(f[0], "Benchmark") && len(f)%2 == 0:
			if _, err := strconv.Atoi(f[1]); err != nil {
				continue
			}
			name := trimProcs(f[0])
			m := make(map[string]float64)
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					return nil, fmt.Errorf("%s: %q is not a number", name, f[i])
				}
				m[f[i+1]] = v
			}
			add(name, m)
		}
	}
	if awaiting != "" {
		res.skipped[awaiting] = reason(logs)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.runs) == 0 && len(res.skipped) == 0 && len(res.failed) == 0 {
		return nil, errors.New("no benchmark results in the output")
	}
	return res, nil
}

// trimProcs drops the -GOMAXPROCS suffix of a benchmark's name.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// reason joins a skipped test's log lines.
func reason(logs []string) string {
	if len(logs) == 0 {
		return "no reason given"
	}
	return strings.Join(logs, "; ")
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rounds is how many times the import benchmark ran.
func (r *results) rounds() int { return len(r.runs["BenchmarkImportV2JSONL"]) }

// median returns the median of a unit over a benchmark's runs.
func (r *results) median(name, unit string) (float64, bool) {
	var vs []float64
	for _, m := range r.runs[name] {
		if v, ok := m[unit]; ok {
			vs = append(vs, v)
		}
	}
	return median(vs)
}

// medianRatio returns the median over runs of a/b, pairing the i-th run of
// each benchmark (which ran in the same round).
func (r *results) medianRatio(a, b, unit string) (float64, bool) {
	var vs []float64
	for i, m := range r.runs[a] {
		if i < len(r.runs[b]) && r.runs[b][i][unit] > 0 {
			vs = append(vs, m[unit]/r.runs[b][i][unit])
		}
	}
	return median(vs)
}

// withPrefix returns the benchmarks whose names start with prefix, sorted.
func (r *results) withPrefix(prefix string) []string {
	var names []string
	for n := range r.runs {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// missing says why a step's figures are absent: skipped (the step, or one
// of the tests or benchmarks named) or failed; "" when they are not absent
// for a known reason (the step did not run).
func (r *results) missing(step string, names ...string) string {
	if why, ok := r.skipped[step]; ok {
		return "skipped: " + why
	}
	for _, n := range names {
		if why, ok := r.skipped[n]; ok {
			return "skipped: " + why
		}
	}
	if why, ok := r.failed[step]; ok {
		return "failed: " + why + " (see the output)"
	}
	return ""
}

// timing says how long the steps took.
func (r *results) timing(total time.Duration) string {
	if len(r.steps) == 0 {
		return ""
	}
	var parts []string
	var sum time.Duration
	for _, s := range r.steps {
		d := r.took[s]
		sum += d
		if n := r.tookN[s]; n > 1 {
			parts = append(parts, fmt.Sprintf("%s %s (%d×)", s, d.Round(time.Second), n))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s", s, d.Round(time.Second)))
		}
	}
	if total == 0 {
		total = sum
	}
	return fmt.Sprintf("Steps took %s in all: %s.", total.Round(time.Second), strings.Join(parts, ", "))
}

func median(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// The issues' targets.
const (
	importTarget = 50_000 // posts/s, at least (#2)
	phraseTarget = 5.0    // ms at p50, at most, for phrase and two-term queries (#2)
	commonTarget = 20.0   // ms at p50, at most, for a common term's top 20 (#2)
	quoteP50     = 10.0   // ms at p50, at most, for a quote lookup (#5)
	quoteP99     = 100.0  // ms at p99, at most (#5)
	quoteRecall  = 0.99   // recall@1, at least, one word changed (#5)
	extractF1    = 0.970  // F1 on the shared benchmark, at least: TestExtractionBenchmark's floor (#5)
	searchRPS    = 3000   // search API requests/s, at least (#6)
	postRPS      = 10000  // post page requests/s, at least (#6)
	serveRSS     = 150.0  // MB, peak RSS of verbatim serve, under (#6)
	auditShare   = 0.8    // audit MB/s ÷ crypto/sha256 over the same files, at least (#7)
	proofTarget  = 1.0    // ms, an inclusion proof in a 1M-leaf tree, under (#7)
)

func table(w io.Writer, r *results) {
	fmt.Fprintln(w, "| figure | measured | limit/peer | ratio | ok? |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	row := func(cells ...string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) }
	// absent writes one row for a group of figures that is not there, if
	// it is absent for a known reason.
	absent := func(label, limit, step string, names ...string) {
		if why := r.missing(step, names...); why != "" {
			row(label, why, limit, "—", "—")
		}
	}

	// #2: import, its stages and search.
	const imp, plain = "BenchmarkImportV2JSONL", "BenchmarkPlainInsert"
	if v, ok := r.median(imp, "posts/s"); ok {
		row("#2 import 100k X API v2 posts (JSONL, 100 a page) into a fresh data dir, FTS included",
			posts(v), "≥ "+posts(importTarget), ratio(v/importTarget), okIf(v >= importTarget))
		if p, ok := r.median(plain, "posts/s"); ok {
			q, _ := r.medianRatio(imp, plain, "posts/s")
			row("#2 plain SQLite insert of the same rows, the import's peer (prepared INSERT, bare table, 5000 a tx)",
				posts(p), "—", "import ÷ plain: "+ratio(q), "—")
		}
	} else {
		absent("#2 import 100k X API v2 posts", "≥ "+posts(importTarget), "import", imp)
	}
	// Stages of the import, each of which must reach the target alone.
	stages := []struct{ step, name, label string }{
		{"decode", "BenchmarkDecodePage", "#2 import stage alone: JSON decoding (xapi.DecodePage, one goroutine)"},
		{"writer", "BenchmarkWritePosts/order=newest-first", "#2 import stage alone: PostWriter, 5000 a tx, posts newest first as in the file"},
		{"writer", "BenchmarkWritePosts/order=oldest-first", "#2 import stage alone: PostWriter, 5000 a tx, posts oldest first"},
	}
	for _, st := range stages {
		if v, ok := r.median(st.name, "posts/s"); ok {
			row(st.label, posts(v), "≥ "+posts(importTarget), ratio(v/importTarget), okIf(v >= importTarget))
		} else if st.name != "BenchmarkWritePosts/order=oldest-first" {
			absent(st.label, "≥ "+posts(importTarget), st.step, st.name)
		}
	}
	searched := false
	for _, k := range []struct{ name, label string }{
		{"phrase", "phrase query (\"strategic partnership\" and the like)"},
		{"two-term", "two-term query (charter azerbaijan and the like)"},
		{"common-top20", "common term (in 30–50% of posts), top 20"},
	} {
		target := phraseTarget
		if k.name == "common-top20" {
			target = commonTarget
		}
		for _, acct := range []string{"", "/account=VP"} {
			name := "BenchmarkSearch1M/" + k.name + acct
			p50, ok := r.median(name, "p50-ms")
			if !ok {
				continue
			}
			searched = true
			p95, _ := r.median(name, "p95-ms")
			hits, _ := r.median(name, "hits")
			label := "#2 search 1M posts: " + k.label
			if acct != "" {
				label += ", --account VP"
			}
			row(label, fmt.Sprintf("p50 %s ms, p95 %s ms (median %s hits)", ms(p50), ms(p95), count(hits)),
				fmt.Sprintf("p50 ≤ %s ms", ms(target)), ratio(p50/target), okIf(p50 <= target))
		}
	}
	if !searched {
		absent("#2 search 1M posts", fmt.Sprintf("p50 ≤ %s ms", ms(phraseTarget)), "search", "BenchmarkSearch1M")
	}

	// #3: a capture pass.
	if v, ok := r.median("BenchmarkCapturePass", "posts/s"); ok {
		rss, _ := r.median("BenchmarkCapturePass", "peak-RSS-MB")
		small, _ := r.median("BenchmarkCapturePass", "posts/s-10acct")
		smallRSS, _ := r.median("BenchmarkCapturePass", "peak-RSS-MB-10acct")
		row("#3 capture pass through the fake X API, 50 accounts × 3,200 posts, `verbatim capture` in its own process",
			fmt.Sprintf("%s, peak RSS %.0f MB", posts(v), rss),
			fmt.Sprintf("peer: the same pass over 10 accounts, same run: %s, peak RSS %.0f MB (equal peaks: memory bounded by page size)", posts(small), smallRSS),
			fmt.Sprintf("RSS 50 ÷ 10 accounts: %s; posts/s: %s", ratio(rss/smallRSS), ratio(v/small)), "—")
	} else {
		absent("#3 capture pass through the fake X API", "—", "capture-pass", "BenchmarkCapturePass")
	}

	// #4: Chromium captures beside bare chromedp.
	tabs := r.withPrefix("BenchmarkCaptureTabs/tabs=")
	slices.SortFunc(tabs, func(a, b string) int { return len(a) - len(b) })
	for _, name := range tabs {
		n := strings.TrimPrefix(name, "BenchmarkCaptureTabs/tabs=")
		bare, _ := r.median(name, "bare-captures/min")
		for _, v := range []struct{ key, label string }{
			{"full", "default capture (network idle, screenshot, DOM, MHTML, body, text, verdict)"},
			{"shot-load-shared", "screenshot only, settled on load, shared context (bare's work plus guard, tracking and verdict)"},
		} {
			rate, ok := r.median(name, v.key+"-captures/min")
			if !ok {
				continue
			}
			over, _ := r.median(name, v.key+"-overhead")
			rss, _ := r.median(name, v.key+"-chromium-peak-RSS-MiB")
			pss, _ := r.median(name, v.key+"-chromium-peak-PSS-MiB")
			row(fmt.Sprintf("#4 Chromium capture, %s: %s", plural(n, "tab"), v.label),
				fmt.Sprintf("%.0f captures/min; Chromium peak RSS %.0f MiB (PSS %.0f MiB)", rate, rss, pss),
				fmt.Sprintf("peer: bare chromedp (new tab, Navigate, full-page PNG), same browser flags, same run: %.0f captures/min", bare),
				"bare ÷ ours: "+ratio(over), "—")
		}
	}
	if len(tabs) == 0 {
		absent("#4 Chromium captures, 1, 2 and 4 tabs", "peer: bare chromedp", "capture-tabs", "BenchmarkCaptureTabs")
	}

	// #5: quote lookup, extraction and comparison.
	quoted := false
	for _, k := range []struct{ name, label string }{
		{"index", "#5 quote lookup, 1M posts, one word changed: in-memory index, then FTS5"},
		{"fts", "#5 quote lookup, 1M posts, one word changed: FTS5 alone (no index built)"},
	} {
		name := "BenchmarkQuoteLookup1M/" + k.name
		p50, ok := r.median(name, "p50-ms")
		if !ok {
			continue
		}
		quoted = true
		p99, _ := r.median(name, "p99-ms")
		rec, _ := r.median(name, "recall@1")
		cost := ""
		if mib, ok := r.median(name, "index-MiB"); ok {
			build, _ := r.median(name, "build-s")
			cost = fmt.Sprintf("; index %.0f MiB, built in %.1f s", mib, build)
		}
		row(k.label, fmt.Sprintf("p50 %s ms, p99 %s ms, recall@1 %.3f%s", ms(p50), ms(p99), rec, cost),
			fmt.Sprintf("p50 ≤ %s ms, p99 ≤ %s ms, recall ≥ %.2f", ms(quoteP50), ms(quoteP99), quoteRecall),
			ratio(max(p50/quoteP50, p99/quoteP99)), okIf(p50 <= quoteP50 && p99 <= quoteP99 && rec >= quoteRecall))
	}
	if !quoted {
		absent("#5 quote lookup, 1M posts", fmt.Sprintf("p50 ≤ %s ms, p99 ≤ %s ms, recall ≥ %.2f", ms(quoteP50), ms(quoteP99), quoteRecall),
			"search", "BenchmarkQuoteLookup1M")
	}
	const def = extractTest + "/default"
	if f1, ok := r.median(def, "F1"); ok {
		pages, _ := r.median(extractTest, "pages")
		p, _ := r.median(def, "precision")
		rec, _ := r.median(def, "recall")
		mean, _ := r.median(def, "ms/page")
		row(fmt.Sprintf("#5 article extraction, shared benchmark (%s pages): default engine (go-trafilatura and go-readability in consensus)", count(pages)),
			fmt.Sprintf("F1 %.3f (precision %.3f, recall %.3f), %s ms/page", f1, p, rec, ms(mean)),
			fmt.Sprintf("F1 ≥ %.3f (the test's floor; published go-trafilatura 0.960)", extractF1), ratio(f1/extractF1), okIf(f1 >= extractF1))
		for _, peer := range []string{"raw go-trafilatura", "raw readeck/go-readability"} {
			if pf, ok := r.median(extractTest+"/"+peer, "F1"); ok && pf > 0 {
				pm, _ := r.median(extractTest+"/"+peer, "ms/page")
				row("#5 extraction peer, same run: "+peer+", called as the benchmark's own runner calls it",
					fmt.Sprintf("F1 %.3f, %s ms/page", pf, ms(pm)), "—", "default ÷ peer F1: "+ratio(f1/pf), "—")
			}
		}
	} else {
		absent("#5 article extraction, shared benchmark", fmt.Sprintf("F1 ≥ %.3f", extractF1), "extract", extractTest)
	}
	if c, ok := r.median(gitTest, "compare-ms"); ok {
		g, _ := r.median(gitTest, "git-ms")
		q, _ := r.median(gitTest, "compare/git")
		n, _ := r.median(gitTest, "runs")
		row(fmt.Sprintf("#5 compare a republished 2,000-word article with its original (verify/compare.Compare), best of %.0f", n),
			ms(c)+" ms", fmt.Sprintf("peer: git diff --no-index --word-diff on the same texts, same run: %s ms (process included)", ms(g)),
			"Compare ÷ git: "+ratio(q), "—")
	} else {
		absent("#5 compare a republished article with its original", "peer: git diff --no-index --word-diff", "compare", gitTest)
	}

	// #6: verbatim serve under wrk.
	served := false
	for _, ttl := range r.serveTTLs() {
		note := "server.cache_ttl " + ttl
		switch ttl {
		case "2s":
			note += " (the default)"
		case "0":
			note = "no answer cache (server.cache_ttl 0)"
		}
		for _, t := range []struct {
			key, label string
			target     float64
		}{
			{"search", "search API (GET /api/v1/search, two-term queries)", searchRPS},
			{"post", "post page (GET /posts/{id}, HTML)", postRPS},
		} {
			name := "BenchmarkServe/target=" + t.key + "/cache_ttl=" + ttl
			rps, ok := r.median(name, "req/s")
			if !ok {
				continue
			}
			served = true
			p99, _ := r.median(name, "p99-ms")
			row(fmt.Sprintf("#6 verbatim serve, 100,000 posts, wrk: %s, %s", t.label, note),
				fmt.Sprintf("%s req/s, p99 %s ms", count(rps), ms(p99)), "≥ "+count(t.target)+" req/s", ratio(rps/t.target), okIf(rps >= t.target))
		}
		if hwm, ok := r.median("BenchmarkServe/target=rss/cache_ttl="+ttl, "peak-RSS-MB"); ok {
			served = true
			row("#6 peak RSS of verbatim serve after both wrk runs, "+note,
				fmt.Sprintf("%.0f MB", hwm), fmt.Sprintf("< %.0f MB", serveRSS), ratio(hwm/serveRSS), okIf(hwm < serveRSS))
		}
	}
	if !served {
		absent("#6 verbatim serve under wrk: search API, post page, peak RSS",
			fmt.Sprintf("≥ %s req/s, ≥ %s req/s, < %.0f MB", count(searchRPS), count(postRPS), serveRSS), "serve")
	}

	// #7: audit and ledger.
	const audit = "BenchmarkAudit/hash="
	if files, ok := r.median(audit+"crypto-sha256/from=files", "MB/s"); ok && files > 0 {
		for _, wk := range []string{"2", "1"} {
			v, ok := r.median(audit+"audit/workers="+wk, "MB/s")
			if !ok {
				continue
			}
			q := v / files
			okCell := okIf(q >= auditShare)
			if wk != "2" {
				okCell = "—" // the target is for 2 workers
			}
			row(fmt.Sprintf("#7 audit, %s: blobs re-hashed (192 MiB in the page cache), manifests, tree, checkpoints", plural(wk, "worker")),
				mbs(v), fmt.Sprintf("≥ %.1f × Go crypto/sha256 over the same files, same run (%s)", auditShare, mbs(files)),
				"audit ÷ crypto/sha256: "+ratio(q), okCell)
		}
		ours, _ := r.median(audit+"audit/workers=2", "MB/s")
		if v, ok := r.median(audit+"crypto-sha256/from=memory", "MB/s"); ok {
			row("#7 audit peer: Go crypto/sha256 over the same bytes in memory, one goroutine", mbs(v), "—", "audit (2) ÷ this: "+ratio(ours/v), "—")
		}
		if v, ok := r.median(audit+"sha256sum/from=files", "MB/s"); ok {
			row("#7 audit peer: sha256sum over the same files", mbs(v), "—", "audit (2) ÷ sha256sum: "+ratio(ours/v), "—")
		}
	} else {
		absent("#7 audit throughput", fmt.Sprintf("≥ %.1f × Go crypto/sha256", auditShare), "audit", "BenchmarkAudit")
	}
	if v, ok := r.median("BenchmarkAuditLedger", "leaves/s"); ok {
		row("#7 audit, ledger half alone: 200,000 captures' manifests remade, tree rebuilt, checkpoints checked", count(v)+" leaves/s", "—", "—", "—")
	}
	const app = "BenchmarkLedgerAppend/path="
	if v, ok := r.median(app+"record-capture", "leaves/s"); ok {
		peer, _ := r.median(app+"no-ledger", "captures/s")
		row("#7 ledger append through RecordCapture: one tx a capture (capture, 2 artifacts, leaf, tree nodes, state)",
			count(v)+" leaves/s", fmt.Sprintf("peer: the same captures without the ledger, same run: %s captures/s", count(peer)),
			"with ÷ without: "+ratio(v/peer), "—")
		if b, ok := r.median(app+"backfill", "leaves/s"); ok {
			row("#7 ledger backfill: existing captures made leaves in one tx, as an upgraded archive's first write", count(b)+" leaves/s", "—", "—", "—")
		}
	} else {
		absent("#7 ledger append through RecordCapture", "peer: the same captures without the ledger", "ledger-append", "BenchmarkLedgerAppend")
	}
	proved := false
	for _, p := range []struct{ kind, label string }{
		{"inclusion", "inclusion proof"},
		{"consistency", "consistency proof"},
		{"receipt", "receipt (leaf lookup, latest checkpoint, inclusion proof)"},
	} {
		for _, name := range r.withPrefix("BenchmarkLedgerProof/proof=" + p.kind + "/") {
			nsop, ok := r.median(name, "ns/op")
			if !ok {
				continue
			}
			proved = true
			leaves, _ := strconv.ParseFloat(strings.TrimPrefix(name, "BenchmarkLedgerProof/proof="+p.kind+"/leaves="), 64)
			v := nsop / 1e6
			label := fmt.Sprintf("#7 %s in a tree of %s leaves", p.label, count(leaves))
			if p.kind == "inclusion" {
				row(label, msFine(v)+" ms", fmt.Sprintf("< %s ms", ms(proofTarget)), ratio(v/proofTarget), okIf(v < proofTarget))
			} else {
				row(label, msFine(v)+" ms", "— (the inclusion proof's limit: < 1 ms)", "—", "—")
			}
		}
	}
	if !proved {
		absent("#7 inclusion proof in a 1M-leaf tree", fmt.Sprintf("< %s ms", ms(proofTarget)), "ledger-proof", "BenchmarkLedgerProof")
	}
}

// serveTTLs returns the server.cache_ttl values the serve figures were
// measured with, the default first.
func (r *results) serveTTLs() []string {
	var ttls []string
	for _, n := range r.withPrefix("BenchmarkServe/") {
		if _, ttl, ok := strings.Cut(n, "/cache_ttl="); ok && !slices.Contains(ttls, ttl) {
			ttls = append(ttls, ttl)
		}
	}
	slices.SortStableFunc(ttls, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "2s":
			return -1
		case b == "2s":
			return 1
		}
		return 0
	})
	return ttls
}

func okIf(ok bool) string {
	if ok {
		return "✅ yes"
	}
	return "❌ no"
}

func ratio(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

func ms(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// msFine writes a duration in milliseconds that may be well under one.
func msFine(v float64) string {
	if v < 1 {
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return ms(v)
}

// plural writes "1 tab" or "4 tabs".
func plural(n, noun string) string {
	if n == "1" {
		return n + " " + noun
	}
	return n + " " + noun + "s"
}

func posts(v float64) string { return count(v) + " posts/s" }

func mbs(v float64) string { return count(v) + " MB/s" }

// count writes a whole number with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// benchLines keeps the lines of the output that the table is made from, and
// those naming a package or CPU, for the record.
func benchLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		t := logPrefix.ReplaceAllString(strings.TrimSpace(l), "")
		if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") || strings.HasPrefix(l, "cpu:") ||
			strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "--- FAIL") || strings.HasPrefix(l, "benchtable: ") ||
			strings.HasPrefix(t, "engine ") || extractRow.MatchString(t) || extractPages.MatchString(t) || gitRatio.MatchString(t) {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
