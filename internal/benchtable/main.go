// Command benchtable runs the benchmarks behind the issues' figures (#2:
// import and search; #5: quote lookup) and prints them as one Markdown
// table, writing it also to a file.
//
// The machine these run on is shared and noisy, so the figures that are
// compared with a peer are measured side by side: each round runs the
// import and its plain-insert peer back to back in one process, and the
// table shows the median over rounds of each figure and of the per-round
// ratio.
//
//	go run ./internal/benchtable [-rounds 3] [-o bench-results.md]
//	go run ./internal/benchtable -in saved-go-test-output.txt
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 3, "rounds of the import benchmarks")
	queries := fs.Int("queries", 300, "queries of each kind in the search and quote-lookup benchmarks")
	out := fs.String("o", "bench-results.md", "also write the table to this file (\"\" for none)")
	in := fs.String("in", "", "read saved 'go test -bench' output instead of running the benchmarks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var raw bytes.Buffer
	if *in != "" {
		b, err := os.ReadFile(*in)
		if err != nil {
			return err
		}
		raw.Write(b)
	} else {
		// Each round runs the import and its peer in one process, so their
		// ratio compares like with like on a noisy machine.
		var steps [][]string
		for range *rounds {
			steps = append(steps, []string{"-bench", "^(BenchmarkImportV2JSONL|BenchmarkPlainInsert)$", "-benchtime", "1x", "./archive/importer"})
		}
		steps = append(steps,
			[]string{"-bench", "^BenchmarkDecodePage$", "-benchtime", "5x", "./archive/xapi"},
			[]string{"-bench", "^BenchmarkWritePosts$", "-benchtime", "1x", "./archive/sqlite"},
			// One process for both: they share the million-post archive.
			[]string{"-bench", "^(BenchmarkSearch1M|BenchmarkQuoteLookup1M)$", "-benchtime", strconv.Itoa(*queries) + "x", "./archive/sqlite"})
		for i, s := range steps {
			fmt.Fprintf(stderr, "benchtable: step %d of %d: go test %s\n", i+1, len(steps), strings.Join(s, " "))
			args := append([]string{"test", "-run", "^$", "-count", "1", "-timeout", "30m"}, s...)
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Stdout = io.MultiWriter(&raw, stderr)
			cmd.Stderr = stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
			}
		}
	}
	res, err := parse(bytes.NewReader(raw.Bytes()))
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	fmt.Fprintf(&doc, "# Benchmarks for issues #2 and #5\n\n%s\n\n", header(*in != ""))
	table(&doc, res)
	fmt.Fprintf(&doc, "\nRatio is measured ÷ limit (throughput: ≥ 1 is ok; latency: ≤ 1 is ok); import ÷ plain is taken per round, the import and its peer back to back in one process, median over rounds (%d).\n", res.rounds())
	fmt.Fprintf(&doc, "\n<details><summary>go test output</summary>\n\n```\n%s```\n</details>\n", benchLines(raw.String()))
	if _, err := stdout.Write(doc.Bytes()); err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, doc.Bytes(), 0o644)
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

// results holds each benchmark's runs, in order: name → runs → unit → value.
type results map[string][]map[string]float64

// parse reads 'go test -bench' output. A benchmark run more than once (in
// rounds, or with -count) keeps every run, in order.
func parse(r io.Reader) (results, error) {
	res := make(results)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the -GOMAXPROCS suffix
			}
		}
		m := make(map[string]float64)
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", name, f[i])
			}
			m[f[i+1]] = v
		}
		res[name] = append(res[name], m)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res) == 0 {
		return nil, errors.New("no benchmark results in the output")
	}
	return res, nil
}

// rounds is how many times the import benchmark ran.
func (r results) rounds() int { return len(r["BenchmarkImportV2JSONL"]) }

// median returns the median of a unit over a benchmark's runs.
func (r results) median(name, unit string) (float64, bool) {
	var vs []float64
	for _, m := range r[name] {
		if v, ok := m[unit]; ok {
			vs = append(vs, v)
		}
	}
	return median(vs)
}

// medianRatio returns the median over runs of a/b, pairing the i-th run of
// each benchmark (which ran in the same round).
func (r results) medianRatio(a, b, unit string) (float64, bool) {
	var vs []float64
	for i, m := range r[a] {
		if i < len(r[b]) && r[b][i][unit] > 0 {
			vs = append(vs, m[unit]/r[b][i][unit])
		}
	}
	return median(vs)
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
)

func table(w io.Writer, r results) {
	fmt.Fprintln(w, "| figure | measured | limit/peer | ratio | ok? |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	row := func(cells ...string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) }
	const imp, plain = "BenchmarkImportV2JSONL", "BenchmarkPlainInsert"
	if v, ok := r.median(imp, "posts/s"); ok {
		row("import 100k X API v2 posts (JSONL, 100 a page) into a fresh data dir, FTS included",
			posts(v), "≥ "+posts(importTarget), ratio(v/importTarget), okIf(v >= importTarget))
		if p, ok := r.median(plain, "posts/s"); ok {
			q, _ := r.medianRatio(imp, plain, "posts/s")
			row("plain SQLite insert of the same rows, the import's peer (prepared INSERT, bare table, 5000 a tx)",
				posts(p), "—", "import ÷ plain: "+ratio(q), "—")
		}
	}
	// Stages of the import, each of which must reach the target alone.
	stages := []struct{ name, label string }{
		{"BenchmarkDecodePage", "import stage alone: JSON decoding (xapi.DecodePage, one goroutine)"},
		{"BenchmarkWritePosts/order=newest-first", "import stage alone: PostWriter, 5000 a tx, posts newest first as in the file"},
		{"BenchmarkWritePosts/order=oldest-first", "import stage alone: PostWriter, 5000 a tx, posts oldest first"},
	}
	for _, st := range stages {
		if v, ok := r.median(st.name, "posts/s"); ok {
			row(st.label, posts(v), "≥ "+posts(importTarget), ratio(v/importTarget), okIf(v >= importTarget))
		}
	}
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
			p95, _ := r.median(name, "p95-ms")
			hits, _ := r.median(name, "hits")
			label := "search 1M posts: " + k.label
			if acct != "" {
				label += ", --account VP"
			}
			row(label, fmt.Sprintf("p50 %s ms, p95 %s ms (median %s hits)", ms(p50), ms(p95), count(hits)),
				fmt.Sprintf("p50 ≤ %s ms", ms(target)), ratio(p50/target), okIf(p50 <= target))
		}
	}
	for _, k := range []struct{ name, label string }{
		{"index", "quote lookup, 1M posts, one word changed: in-memory index, then FTS5"},
		{"fts", "quote lookup, 1M posts, one word changed: FTS5 alone (no index built)"},
	} {
		name := "BenchmarkQuoteLookup1M/" + k.name
		p50, ok := r.median(name, "p50-ms")
		if !ok {
			continue
		}
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

func posts(v float64) string { return count(v) + " posts/s" }

// count writes a whole number with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// benchLines keeps the lines of go test output that name a benchmark or a
// package, for the record.
func benchLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") || strings.HasPrefix(l, "cpu:") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
