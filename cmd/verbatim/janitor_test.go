package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestStaleTempsRemoved: the temporary files a killed writer leaves in the
// data directory (one of them a copy of the signing key) are removed when
// the archive is next opened, once they are old; young ones and other
// files are kept.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	files := map[string]bool{ // name → removed
		".ledger-key-123":           true,
		".tmp-456":                  true,
		".verbatim-write-check-789": true,
		"reports/.report-1":         true,
		"ledger.key":                false,
		"ledger.pub":                false,
		".hidden-by-the-user":       false,
		"reports/2026-02-10.json":   false,
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	young := filepath.Join(dir, ".tmp-young")
	if err := os.WriteFile(young, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := removeStaleTemps(dir, staleTempAge)
	if err != nil {
		t.Fatal(err)
	}
	for name, gone := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gotGone := os.IsNotExist(err); gotGone != gone {
			t.Errorf("%s: removed %v, want %v", name, gotGone, gone)
		}
		if gone && !slices.Contains(removed, filepath.Join(dir, name)) {
			t.Errorf("%s removed but not reported", name)
		}
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young temporary file (a writer at work) was removed: %v", err)
	}
	// Opening the archive to write does it, and gc.
	for _, args := range [][]string{{"import", filepath.Join("testdata", "vp-timeline.jsonl")}, {"gc"}} {
		p := filepath.Join(dir, ".ledger-key-again")
		os.WriteFile(p, []byte("secret"), 0o600)
		os.Chtimes(p, old, old)
		res := cli(t, map[string]string{"VERBATIM_DATA": dir}, args...)
		if res.code != 0 {
			t.Fatalf("%s: %d %s", args[0], res.code, res.stderr)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: a stale copy of the signing key survived", args[0])
		}
	}
}
