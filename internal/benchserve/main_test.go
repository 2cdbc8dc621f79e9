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
