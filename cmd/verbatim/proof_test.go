package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// ledgerArchive imports the test timeline and a second file into a new
// data directory, so that the ledger holds two leaves.
func ledgerArchive(t *testing.T) (dir string, env map[string]string) {
	t.Helper()
	dir = t.TempDir()
	env = map[string]string{"VERBATIM_DATA": dir}
	if r := cli(t, env, "import", "testdata/vp-timeline.jsonl"); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	return dir, env
}

func importAnother(t *testing.T, env map[string]string, n int) {
	t.Helper()
	b, err := os.ReadFile("testdata/vp-timeline.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "again.jsonl")
	if err := os.WriteFile(p, append(b, strings.Repeat("\n", n)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, env, "import", p); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProofReceiptVerify(t *testing.T) {
	dir, env := ledgerArchive(t)
	r := cli(t, env, "proof", "1")
	if r.code != 0 {
		t.Fatalf("proof: exit %d: %s", r.code, r.stderr)
	}
	var rc ledger.Receipt
	if err := json.Unmarshal([]byte(r.stdout), &rc); err != nil {
		t.Fatalf("receipt: %v\n%s", err, r.stdout)
	}
	if rc.LeafIndex != 0 || rc.TreeSize != 1 || !strings.Contains(rc.Checkpoint, "\n1\n") {
		t.Errorf("receipt %+v", rc)
	}
	fi, err := os.Stat(filepath.Join(dir, "ledger.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger.key: %v %v", fi, err)
	}
	pub := filepath.Join(dir, "ledger.pub")
	receipt := writeFile(t, "receipt.json", r.stdout)

	// Offline: only the receipt and the public key, no data directory.
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", pub)
	if r.code != 0 || !strings.Contains(r.stdout, "ok: capture 1 (import of testdata/vp-timeline.jsonl") {
		t.Fatalf("verify-receipt: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The data directory's ledger.pub by default; JSON output.
	r = cli(t, env, "verify-receipt", "--format", "json", receipt)
	var res receiptResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 || !res.OK || res.CaptureID != 1 {
		t.Fatalf("verify-receipt json: exit %d %+v %v\n%s", r.code, res, err, r.stderr)
	}

	// A later checkpoint, with a consistency proof from the receipt's tree.
	importAnother(t, env, 1)
	r = cli(t, env, "proof", "--since", "1")
	if r.code != 0 {
		t.Fatalf("proof --since: exit %d: %s", r.code, r.stderr)
	}
	later := writeFile(t, "later.json", r.stdout)
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", pub, "--checkpoint", later)
	if r.code != 0 || !strings.Contains(r.stdout, "later checkpoint of 2 leaves extends") {
		t.Errorf("with later checkpoint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A receipt for the new capture is in the 2-leaf tree.
	r = cli(t, env, "proof", "2")
	if r.code != 0 || !strings.Contains(r.stdout, `"tree_size": 2`) {
		t.Errorf("proof 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, args := range [][]string{{"proof"}, {"proof", "x"}, {"proof", "1", "--since", "1"}, {"proof", "--since", "-3"}} {
		if r := cli(t, env, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
	if r := cli(t, env, "proof", "99"); r.code != 2 || !strings.Contains(r.stderr, "capture 99 is not in the archive") {
		t.Errorf("proof 99: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, env, "proof", "--since", "5"); r.code != 2 {
		t.Errorf("proof --since beyond the tree: exit %d", r.code)
	}
}

// TestReceiptTampering: verify-receipt exits 1 with one line for every
// kind of forgery.
func TestReceiptTampering(t *testing.T) {
	dir, env := ledgerArchive(t)
	importAnother(t, env, 1)
	r := cli(t, env, "proof", "1")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	good := r.stdout
	pub := filepath.Join(dir, "ledger.pub")
	var rc ledger.Receipt
	json.Unmarshal([]byte(good), &rc)

	otherSkey, _ := ledger.GenerateKey(strings.SplitN(rc.Checkpoint, "\n", 2)[0])
	other, _ := ledger.ParseKey(otherSkey)
	_, size, root, _ := ledger.CheckpointBody(rc.Checkpoint)
	resigned, _ := other.Sign(size, root)
	otherPub := writeFile(t, "other.pub", other.VerifierKey()+"\n")

	for name, tc := range map[string]struct {
		receipt string
		pubkey  string
		want    string
	}{
		"changed artifact hash":      {strings.Replace(good, `"sha256": "b`, `"sha256": "c`, 1), pub, "leaf_hash"},
		"changed target":             {strings.Replace(good, "vp-timeline.jsonl", "vp-timeline2.jsonl", 1), pub, "leaf_hash"},
		"changed hash, no leaf_hash": {noLeafHash(strings.Replace(good, `"sha256": "b`, `"sha256": "c`, 1)), pub, "not leaf 0"},
		"changed leaf index":         {strings.Replace(good, `"leaf_index": 0`, `"leaf_index": 1`, 1), pub, "not leaf 1"},
		"re-signed checkpoint":       {replaceCheckpoint(t, good, resigned), pub, "not signed by"},
		"other public key":           {good, otherPub, "not signed by"},
		"not a receipt":              {"hello", pub, "not a receipt"},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.receipt == good && tc.pubkey == pub {
				t.Fatal("tamper did not apply")
			}
			r := cli(t, nil, "verify-receipt", writeFile(t, "r.json", tc.receipt), "--pubkey", tc.pubkey)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q, want one line with %q", r.stderr, tc.want)
			}
		})
	}
	// A later checkpoint of a rewritten log.
	importAnother(t, env, 2)
	forkRoot := ledger.LeafHash([]byte("fork"))
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := ledger.OpenKey(filepath.Join(dir, "ledger.key"), pub, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.ConsistencySince(context.Background(), 2, key)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	c.Checkpoint, _ = key.Sign(c.TreeSize, forkRoot)
	b, _ := json.Marshal(c)
	r = cli(t, nil, "verify-receipt", writeFile(t, "r.json", good), "--pubkey", pub, "--checkpoint", writeFile(t, "later.json", string(b)))
	if r.code != 1 || !strings.Contains(r.stderr, "does not extend") {
		t.Errorf("forked later checkpoint: exit %d %s", r.code, r.stderr)
	}
	// No key at all.
	if r := cli(t, map[string]string{"VERBATIM_DATA": t.TempDir()}, "verify-receipt", writeFile(t, "r.json", good)); r.code != 2 || !strings.Contains(r.stderr, "--pubkey") {
		t.Errorf("no key: exit %d %s", r.code, r.stderr)
	}
}

func noLeafHash(receipt string) string {
	return strings.Replace(receipt, `"leaf_hash"`, `"leaf_hash_dropped"`, 1)
}

func replaceCheckpoint(t *testing.T, receipt, note string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(receipt), &m); err != nil {
		t.Fatal(err)
	}
	m["checkpoint"] = note
	b, _ := json.MarshalIndent(m, "", "  ")
	return string(b)
}

func TestAuditCommand(t *testing.T) {
	dir, env := ledgerArchive(t)
	if r := cli(t, env, "proof", "1"); r.code != 0 { // makes a checkpoint
		t.Fatal(r.stderr)
	}
	r := cli(t, env, "audit", "--format", "json")
	var rep struct {
		OK           bool
		BlobsChecked int `json:"blobs_checked"`
		Findings     []struct{ Kind, Ref, Detail string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || !rep.OK || rep.BlobsChecked != 1 {
		t.Fatalf("audit: exit %d %+v %v\n%s%s", r.code, rep, err, r.stdout, r.stderr)
	}
	r = cli(t, env, "audit")
	if r.code != 0 || !strings.Contains(r.stdout, "ok: no findings") || !strings.Contains(r.stdout, "1 checkpoint") {
		t.Errorf("audit text: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Flip a byte in the blob.
	var sum string
	filepath.Walk(filepath.Join(dir, "blobs", "sha256"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			sum = fi.Name()
			os.Chmod(p, 0o644)
			b, _ := os.ReadFile(p)
			b[10] ^= 0x20
			os.WriteFile(p, b, 0o644)
		}
		return nil
	})
	r = cli(t, env, "audit", "--format", "json", "--workers", "1")
	rep.Findings = nil
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("audit json: %v\n%s", err, r.stdout)
	}
	if r.code != 1 || rep.OK || len(rep.Findings) != 1 || rep.Findings[0].Kind != "corrupt" || rep.Findings[0].Ref != sum {
		t.Errorf("audit of a flipped byte: exit %d %+v", r.code, rep)
	}
	if !strings.Contains(r.stderr, "audit: 1 corrupt") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("stderr %q", r.stderr)
	}

	// Every run is a recorded "audit" job.
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.JobRuns(context.Background(), "audit", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].Ended == nil || !strings.Contains(runs[0].Error, "1 corrupt") || runs[1].Error != "" {
		t.Errorf("audit job runs: %+v", runs)
	}
	if runs[0].Counts["blobs_checked"] != float64(1) || runs[0].Counts["findings"] != float64(1) {
		t.Errorf("audit job counts: %v", runs[0].Counts)
	}
}
