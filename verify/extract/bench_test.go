package extract

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Zyte article-extraction benchmark (github.com/scrapinghub/article-extraction-benchmark) is
// read from the shared folder next to the module, never copied into this repository:
//
//	$VERBATIM_SHARED/peer/article-extraction-benchmark   (VERBATIM_SHARED defaults to ../shared,
//	                                                     relative to the directory holding go.mod)
//
// Run it with
//
//	go test -run TestExtractionBenchmark -v ./verify/extract
//
// It prints precision, recall, F1 and accuracy of every configuration side by side, computed with
// the benchmark's own metric (score_test.go), and the time per page: every Engine through
// Extract, the two libraries called as the benchmark's own runners call them ("raw", the
// published baselines), and the go-trafilatura focus variants (benchconfigs_test.go). With
// VERBATIM_BENCH_DUMP=DIR it also writes each configuration's output as DIR/<name>.json in the
// benchmark's format, for its evaluate.py.
//
// Under -short it is skipped; under -race only EngineDefault is measured.

// benchDir is the benchmark's folder relative to the shared folder.
const benchDir = "peer/article-extraction-benchmark"

// minDefaultF1 is the F1 below which TestExtractionBenchmark fails for EngineDefault, so that a
// library upgrade or a change here that loses quality is noticed. The published scores are 0.960
// for go-trafilatura and 0.970 for the best extractor listed.
const minDefaultF1 = 0.970

type benchPage struct {
	id, url, truth string
	html           []byte
}

// benchConfig is one way of extracting a page, as the benchmark compares them.
type benchConfig struct {
	name string
	run  func(page []byte, url string) (Article, error)
}

// benchConfigs are the configurations TestExtractionBenchmark compares: every Engine, through
// Extract, so charset handling, paragraph splitting and metadata are measured too.
func benchConfigs() []benchConfig {
	var cs []benchConfig
	for _, e := range []Engine{EngineDefault, EngineTrafilatura, EngineTrafilaturaFallback, EngineReadability, EngineTrafilaturaReadability} {
		cs = append(cs, benchConfig{e.String(), func(page []byte, url string) (Article, error) {
			return Extract(page, url, Options{ContentType: "text/html; charset=utf-8", Engine: e})
		}})
	}
	return cs
}

// sharedDir returns the shared folder: $VERBATIM_SHARED, else ../shared next to the module root.
func sharedDir() (string, error) {
	if d := os.Getenv("VERBATIM_SHARED"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// loadBenchmark reads the benchmark's ground truth and gunzipped pages, sorted by id. It skips t
// when the benchmark is not there.
func loadBenchmark(tb testing.TB) []benchPage {
	tb.Helper()
	shared, err := sharedDir()
	if err != nil {
		tb.Skipf("article-extraction benchmark not found: %v", err)
	}
	dir := filepath.Join(shared, benchDir)
	raw, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		tb.Skipf("article-extraction benchmark not found at %s (set VERBATIM_SHARED)", dir)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		tb.Fatalf("ground-truth.json: %v", err)
	}
	var pages []benchPage
	for id, g := range truth {
		f, err := os.Open(filepath.Join(dir, "html", id+".html.gz"))
		if err != nil {
			tb.Fatalf("page %s: %v", id, err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatalf("page %s: %v", id, err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			tb.Fatalf("page %s: %v", id, err)
		}
		pages = append(pages, benchPage{id: id, url: g.URL, truth: g.ArticleBody, html: b})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].id < pages[j].id })
	return pages
}

// configScore is one configuration's result on the benchmark.
type configScore struct {
	name     string
	m, std   prf
	accuracy float64
	perPage  []counts
	texts    []string
	times    []time.Duration // per page
	failures int             // pages Extract returned an error for
}

// runConfig extracts every page with c, using all CPUs, and scores the result.
func runConfig(pages []benchPage, c benchConfig) configScore {
	s := configScore{
		name:    c.name,
		perPage: make([]counts, len(pages)),
		texts:   make([]string, len(pages)),
		times:   make([]time.Duration, len(pages)),
	}
	errs := make([]bool, len(pages))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				a, err := c.run(pages[i].html, pages[i].url)
				s.times[i] = time.Since(start)
				s.texts[i] = a.Text()
				errs[i] = err != nil
			}
		})
	}
	for i := range pages {
		next <- i
	}
	close(next)
	wg.Wait()
	acc := 0.0
	for i, p := range pages {
		s.perPage[i] = shingleMatch(p.truth, s.texts[i])
		acc += accuracy(p.truth, s.texts[i])
		if errs[i] {
			s.failures++
		}
	}
	s.m = metrics(s.perPage)
	s.std = bootstrapStd(s.perPage, 1000)
	s.accuracy = acc / float64(len(pages))
	return s
}

func TestExtractionBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("article-extraction benchmark skipped in -short mode")
	}
	pages := loadBenchmark(t)
	configs := slices.Concat(benchConfigs(), rawConfigs(), variantConfigs())
	if raceEnabled {
		// Under the race detector every page takes ~10× longer; measure the default only.
		configs = configs[:1]
	}

	// Warm up: the first pages pay for lazily built regular expressions and the like.
	for _, c := range configs {
		for _, p := range pages[:3] {
			_, _ = c.run(p.html, p.url)
		}
	}

	var scores []configScore
	for _, c := range configs {
		start := time.Now()
		s := runConfig(pages, c)
		t.Logf("%-34s done in %v", c.name, time.Since(start).Round(time.Millisecond))
		scores = append(scores, s)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "article-extraction benchmark, %d pages, GOMAXPROCS=%d\n", len(pages), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "%-34s %-14s %-14s %-14s %-8s %-6s %s\n", "engine", "F1", "precision", "recall", "accuracy", "errors", "ms/page (mean, p50, p95)")
	for _, s := range scores {
		fmt.Fprintf(&b, "%-34s %.3f ± %.3f  %.3f ± %.3f  %.3f ± %.3f  %.3f    %-6d %.1f, %.1f, %.1f\n",
			s.name, s.m.f1, s.std.f1, s.m.precision, s.std.precision, s.m.recall, s.std.recall,
			s.accuracy, s.failures, msMean(s.times), msQuantile(s.times, 0.5), msQuantile(s.times, 0.95))
	}
	t.Log("\n" + b.String())

	if dir := os.Getenv("VERBATIM_BENCH_DUMP"); dir != "" {
		dumpPredictions(t, dir, pages, scores)
	}

	if got := scores[0].m.f1; got < minDefaultF1 {
		t.Errorf("default engine F1 = %.3f, want ≥ %.3f", got, minDefaultF1)
	}
}

// dumpPredictions writes each configuration's output in the benchmark's own format, so that
// evaluate.py can score it: dir/<name>.json.
func dumpPredictions(t *testing.T, dir string, pages []benchPage, scores []configScore) {
	t.Helper()
	for _, s := range scores {
		out := map[string]map[string]string{}
		for i, p := range pages {
			out[p.id] = map[string]string{"articleBody": s.texts[i], "url": p.url}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", " ")
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, strings.NewReplacer("+", "_", " ", "_").Replace(s.name)+".json")
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func msMean(ds []time.Duration) float64 {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return float64(sum) / float64(len(ds)) / 1e6
}

func msQuantile(ds []time.Duration, q float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))]) / 1e6
}

// BenchmarkExtract measures Extract with the default engine over the benchmark's pages; one op is
// one page.
func BenchmarkExtract(b *testing.B) {
	pages := loadBenchmark(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		p := pages[i%len(pages)]
		i++
		if _, err := Extract(p.html, p.url, Options{ContentType: "text/html; charset=utf-8"}); err != nil && !strings.Contains(err.Error(), ErrNoArticle.Error()) {
			b.Fatal(err)
		}
	}
}
