package warc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/warc"
)

// warcioVersion is the warcio.js release the conformance test reads with.
const warcioVersion = "2.4.11"

// TestWarcioConformance reads the WARCs that Write and WriteGzip produce
// with warcio.js, the reader behind ReplayWeb.page and Browsertrix, and
// checks every digest in node with node's own crypto
// (testdata/warcio_verify.mjs).
//
// It installs warcio with npm into a temporary directory, or reuses
// $VERBATIM_WARCIO_DIR (installing there when it lacks this version). It
// skips when node or npm is missing or npm cannot install warcio, except
// when CI=true, where it fails.
func TestWarcioConformance(t *testing.T) {
	unavailable := t.Skipf
	if os.Getenv("CI") == "true" {
		unavailable = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("warcio conformance: node not found: %v", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable("warcio conformance: npm not found: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "warcio_verify.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("VERBATIM_WARCIO_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	start := time.Now()
	if err := installWarcio(t, npm, dir); err != nil {
		unavailable("warcio conformance: npm could not install warcio@%s: %v", warcioVersion, err)
	}
	t.Logf("warcio@%s ready in %s after %v", warcioVersion, dir, time.Since(start).Round(time.Millisecond))

	// The sample capture, a binary and truncated one, and a larger
	// resource that warcio reads in many chunks; each plain and gzipped.
	binary := sampleCapture()
	binary.Request.Method = "POST"
	binary.Request.Body = binaryBytes
	binary.Response.Body = binaryBytes
	binary.Response.BodyTruncated = true
	binary.Resources = []warc.Resource{{Kind: "raw", Body: binaryBytes}}
	big := sampleCapture()
	big.Resources = []warc.Resource{{Kind: warc.KindPDF, BodyAt: &pattern{size: 1 << 20}, Size: 1 << 20}}
	noExchange := sampleCapture()
	noExchange.Request, noExchange.Response = nil, nil

	tmp := t.TempDir()
	var files []string
	summaries := map[string]warc.Summary{}
	for name, c := range map[string]warc.Capture{"sample": sampleCapture(), "binary": binary, "big": big, "no-exchange": noExchange} {
		for _, gz := range []bool{false, true} {
			file := filepath.Join(tmp, name+".warc")
			if gz {
				file += ".gz"
			}
			b, sum := writeWARC(t, c, gz)
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, file)
			summaries[file] = sum
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start = time.Now()
	cmd := exec.CommandContext(ctx, node, append([]string{script, dir}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", filepath.Base(script), err, stderr.Bytes())
	}
	t.Logf("warcio read %d files in %v", len(files), time.Since(start).Round(time.Millisecond))
	if stderr.Len() > 0 {
		t.Errorf("warcio warned: %s", stderr.Bytes())
	}

	var got warcioReport
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if len(got.Files) != len(files) {
		t.Fatalf("warcio read %d files, want %d", len(got.Files), len(files))
	}
	verified := 0
	for _, f := range got.Files {
		sum := summaries[f.File]
		name := filepath.Base(f.File)
		if len(f.Records) != len(sum.Records) {
			t.Errorf("%s: warcio read %d records, Write wrote %d", name, len(f.Records), len(sum.Records))
			continue
		}
		for i, r := range f.Records {
			w := sum.Records[i]
			where := fmt.Sprintf("%s record %d (%s)", name, i, w.Type)
			for _, c := range []struct {
				field     string
				got, want any
			}{
				{"offset", r.Offset, w.Offset},
				{"type", r.Type, w.Type},
				{"id", r.ID, w.ID},
				{"target URI", r.TargetURI, w.TargetURI},
				{"content type", r.ContentType, w.ContentType},
				{"content length", r.ContentLength, w.Length},
				{"block length", r.BlockLength, w.Length},
				{"concurrent to", r.ConcurrentTo, strings.Join(w.ConcurrentTo, ",")},
				{"truncated", r.Truncated, w.Truncated},
			} {
				if c.got != c.want {
					t.Errorf("%s: warcio %s = %v, want %v", where, c.field, c.got, c.want)
				}
			}
			if r.BlockDigest == nil || !r.BlockDigest.OK || r.BlockDigest.Field != w.BlockDigest {
				t.Errorf("%s: warcio block digest check = %+v, want %s verified", where, r.BlockDigest, w.BlockDigest)
				continue
			}
			switch {
			case w.PayloadDigest == "" && r.PayloadDigest != nil:
				t.Errorf("%s: warcio found a payload digest %+v", where, r.PayloadDigest)
				continue
			case w.PayloadDigest != "" && (r.PayloadDigest == nil || !r.PayloadDigest.OK || r.PayloadDigest.Field != w.PayloadDigest):
				t.Errorf("%s: warcio payload digest check = %+v, want %s verified", where, r.PayloadDigest, w.PayloadDigest)
				continue
			}
			switch w.Type {
			case warc.TypeRequest, warc.TypeResponse:
				if r.HTTP == nil {
					t.Errorf("%s: warcio parsed no HTTP head", where)
					continue
				}
				if r.HTTP.PayloadSHA256 != r.PayloadSHA256 {
					t.Errorf("%s: warcio's payload hashes to %s, the block after its head to %s", where, r.HTTP.PayloadSHA256, r.PayloadSHA256)
				}
				if w.Type == warc.TypeResponse && r.HTTP.Status != 200 {
					t.Errorf("%s: warcio status = %d (%q), want 200", where, r.HTTP.Status, r.HTTP.Statusline)
				}
				if w.Type == warc.TypeRequest && r.HTTP.Method == "" {
					t.Errorf("%s: warcio found no method in %q", where, r.HTTP.Statusline)
				}
			}
			verified++
		}
	}
	t.Logf("warcio verified every digest of %d records", verified)
}

// warcioReport is what testdata/warcio_verify.mjs prints.
type warcioReport struct {
	Files []struct {
		File    string `json:"file"`
		Records []struct {
			Offset        int64        `json:"offset"`
			Type          string       `json:"type"`
			ID            string       `json:"id"`
			TargetURI     string       `json:"targetURI"`
			ContentType   string       `json:"contentType"`
			ContentLength int64        `json:"contentLength"`
			BlockLength   int64        `json:"blockLength"`
			ConcurrentTo  string       `json:"concurrentTo"`
			Truncated     string       `json:"truncated"`
			BlockDigest   *warcioCheck `json:"blockDigest"`
			PayloadDigest *warcioCheck `json:"payloadDigest"`
			PayloadSHA256 string       `json:"payloadSHA256"`
			HTTP          *struct {
				Statusline    string `json:"statusline"`
				Status        int    `json:"status"`
				Method        string `json:"method"`
				PayloadSHA256 string `json:"payloadSHA256"`
			} `json:"http"`
		} `json:"records"`
	} `json:"files"`
}

type warcioCheck struct {
	Field    string `json:"field"`
	OK       bool   `json:"ok"`
	Computed string `json:"computed"`
	Error    string `json:"error"`
}

// installWarcio makes sure dir/node_modules holds warcio at warcioVersion.
func installWarcio(t *testing.T, npm, dir string) error {
	t.Helper()
	manifest, err := os.ReadFile(filepath.Join(dir, "node_modules", "warcio", "package.json"))
	if err == nil {
		var pkg struct{ Version string }
		if json.Unmarshal(manifest, &pkg) == nil && pkg.Version == warcioVersion {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A package.json of its own keeps npm from installing into a parent.
	pj := filepath.Join(dir, "package.json")
	if _, err := os.Stat(pj); os.IsNotExist(err) {
		if err := os.WriteFile(pj, []byte(`{"private": true}`+"\n"), 0o644); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "warcio@"+warcioVersion)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false",
		"npm_config_fetch_retries=1", "npm_config_fetch_retry_mintimeout=2000")
	cmd.WaitDelay = 10 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		// npm's message follows the lines that name the error code.
		why := strings.TrimSpace(string(out))
		for line := range strings.SplitSeq(why, "\n") {
			msg, ok := strings.CutPrefix(line, "npm error ")
			word, _, _ := strings.Cut(msg, " ")
			if ok && word != "" && !slices.Contains([]string{"code", "syscall", "errno", "path", "dest"}, word) {
				why = msg
				break
			}
		}
		return fmt.Errorf("%w: %s", err, why)
	}
	return nil
}
