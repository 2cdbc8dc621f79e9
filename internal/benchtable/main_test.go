package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
