package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:38215
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.91ms    3.21ms  41.20ms   80.12%
    Req/Sec     3.40k   312.45     4.10k    71.00%
  Latency Distribution
     50%    4.20ms
     75%    6.10ms
     90%    8.70ms
     99%   17.03ms
  67712 requests in 10.01s, 95.12MB read
Requests/sec:   6764.32
Transfer/sec:      9.50MB
`

func TestParseWrk(t *testing.T) {
	rps, p99, err := parseWrk(wrkOutput)
	if err != nil || rps != 6764.32 || p99 != "17.03ms" {
		t.Errorf("got %v %q %v", rps, p99, err)
	}
	if _, _, err := parseWrk(wrkOutput + "  Non-2xx or 3xx responses: 12\n"); err == nil {
		t.Error("non-2xx responses were not reported")
	}
	if _, _, err := parseWrk("nothing"); err == nil {
		t.Error("empty output accepted")
	}
}

func TestWriteScript(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.lua")
	if err := writeScript(p, []string{"/a?q=x+y", `/b"c`}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), `"/a?q=x+y",`) || !strings.Contains(string(b), `"/b\"c",`) {
		t.Errorf("script:\n%s", b)
	}
}

func TestBenchLine(t *testing.T) {
	for in, want := range map[string]float64{"17.03ms": 17.03, "850.00us": 0.85, "1.20s": 1200, "1.00m": 60000} {
		if got, err := wrkMillis(in); err != nil || got != want {
			t.Errorf("wrkMillis(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := wrkMillis("fast"); err == nil {
		t.Error("wrkMillis accepted a word")
	}
	got := benchLine("search", "2s", 6764.32, 17.03)
	if want := "BenchmarkServe/target=search/cache_ttl=2s\t1\t6764 req/s\t17.030 p99-ms"; got != want {
		t.Errorf("benchLine = %q, want %q", got, want)
	}
}
