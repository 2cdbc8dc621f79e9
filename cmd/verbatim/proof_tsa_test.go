package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/ledger/tsatest"
)

// TestProofTimestamp: with tsa.url set, receipts carry an RFC 3161
// timestamp of their checkpoint that verify-receipt and openssl check;
// a TSA that fails costs the receipt its timestamp, nothing else.
func TestProofTimestamp(t *testing.T) {
	tsa := tsatest.New(t, nil)
	dir, env := ledgerArchive(t)
	env["VERBATIM_TSA_URL"] = tsa.URL
	pub := filepath.Join(dir, "ledger.pub")
	out := t.TempDir()
	note, tsr := filepath.Join(out, "checkpoint.txt"), filepath.Join(out, "checkpoint.tsr")

	r := cli(t, env, "proof", "1", "--note", note, "--tsr", tsr)
	if r.code != 0 {
		t.Fatalf("proof: exit %d: %s", r.code, r.stderr)
	}
	var rc ledger.Receipt
	if err := json.Unmarshal([]byte(r.stdout), &rc); err != nil {
		t.Fatal(err)
	}
	if rc.Timestamp == nil || rc.Timestamp.TSA != tsa.URL {
		t.Fatalf("receipt timestamp %+v", rc.Timestamp)
	}
	if b, err := os.ReadFile(note); err != nil || string(b) != rc.Checkpoint {
		t.Errorf("--note wrote %q, %v", b, err)
	}
	if b, err := os.ReadFile(tsr); err != nil || string(b) != string(rc.Timestamp.Token) {
		t.Errorf("--tsr wrote %d bytes, %v", len(b), err)
	}
	receipt := writeFile(t, "receipt.json", r.stdout)

	// Offline: the token is checked; its signer only with --tsa-ca.
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", pub)
	if r.code != 0 || !strings.Contains(r.stdout, "ok: the checkpoint existed at ") ||
		!strings.Contains(r.stdout, "signed by CN=verbatim test TSA") || !strings.Contains(r.stdout, "give --tsa-ca") {
		t.Errorf("verify-receipt: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ca := tsa.WriteCA(t, out)
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", pub, "--tsa-ca", ca)
	if r.code != 0 || !strings.Contains(r.stdout, "ok: the timestamp's signer chains to "+ca) {
		t.Errorf("verify-receipt --tsa-ca: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", pub, "--tsa-ca", ca, "--format", "json")
	var res receiptResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 || res.Timestamp == nil || !res.Timestamp.Chained {
		t.Errorf("verify-receipt json: exit %d %+v %v", r.code, res.Timestamp, err)
	}
	otherCA := tsatest.New(t, nil).WriteCA(t, t.TempDir())
	r = cli(t, nil, "verify-receipt", receipt, "--pubkey", pub, "--tsa-ca", otherCA)
	if r.code != 1 || !strings.Contains(r.stderr, "not trusted") {
		t.Errorf("verify-receipt with another TSA's CA: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, nil, "verify-receipt", receipt, "--pubkey", pub, "--tsa-ca", note); r.code != 2 {
		t.Errorf("--tsa-ca of a file with no certificate: exit %d %s", r.code, r.stderr)
	}

	// As an outsider would, with the files proof --note and --tsr wrote.
	if openssl, err := exec.LookPath("openssl"); err != nil {
		t.Log("skipping openssl ts -verify: no openssl on PATH")
	} else {
		cmd := exec.Command(openssl, "ts", "-verify", "-data", note, "-in", tsr, "-token_in", "-CAfile", ca)
		if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "Verification: OK") {
			t.Errorf("%s: %v\n%s", cmd, err, b)
		}
	}

	// A receipt whose timestamp is another checkpoint's.
	var forged ledger.Receipt
	_ = json.Unmarshal([]byte(mustRead(t, receipt)), &forged)

	// The TSA is down: the checkpoint and the receipt are made, without a
	// timestamp, with a warning; --tsr fails.
	importAnother(t, env, 1)
	tsa.FailNext(tsatest.HTTP500)
	r = cli(t, env, "proof", "2")
	if r.code != 0 || !strings.Contains(r.stderr, "checkpoint kept without a timestamp") || !strings.Contains(r.stderr, "HTTP 500") {
		t.Fatalf("proof with the TSA down: exit %d\n%s", r.code, r.stderr)
	}
	var rc2 ledger.Receipt
	if err := json.Unmarshal([]byte(r.stdout), &rc2); err != nil || rc2.Timestamp != nil || rc2.TreeSize != 2 {
		t.Fatalf("receipt with the TSA down: %+v %v", rc2, err)
	}
	if r := cli(t, nil, "verify-receipt", writeFile(t, "r2.json", r.stdout), "--pubkey", pub); r.code != 0 {
		t.Errorf("receipt without a timestamp: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, nil, "verify-receipt", writeFile(t, "r2.json", r.stdout), "--pubkey", pub, "--tsa-ca", ca); r.code != 1 || !strings.Contains(r.stderr, "receipt has no timestamp") {
		t.Errorf("--tsa-ca on a receipt without a timestamp: exit %d %s", r.code, r.stderr)
	}
	tsa.FailNext(tsatest.HTTP500)
	if r := cli(t, env, "proof", "2", "--tsr", filepath.Join(out, "x.tsr")); r.code == 0 || !strings.Contains(r.stderr, "has no timestamp") {
		t.Errorf("proof --tsr with the TSA down: exit %d %s", r.code, r.stderr)
	}
	// Back up: the next proof timestamps the same checkpoint.
	r = cli(t, env, "proof", "2")
	if err := json.Unmarshal([]byte(r.stdout), &rc2); err != nil || r.code != 0 || rc2.Timestamp == nil || rc2.TreeSize != 2 {
		t.Fatalf("proof with the TSA back: exit %d %v\n%s", r.code, err, r.stderr)
	}

	forged.Timestamp.Token = rc2.Timestamp.Token
	fb, _ := json.Marshal(forged)
	r = cli(t, nil, "verify-receipt", writeFile(t, "forged.json", string(fb)), "--pubkey", pub)
	if r.code != 1 || !strings.Contains(r.stderr, "it is for other data") {
		t.Errorf("a receipt with another checkpoint's token: exit %d %s", r.code, r.stderr)
	}
	if !strings.Contains(string(fb), `"token":"`+base64.StdEncoding.EncodeToString(rc2.Timestamp.Token)) {
		t.Errorf("token is not base64 in the receipt: %s", fb)
	}
}

func TestProofTimestampWithoutTSA(t *testing.T) {
	_, env := ledgerArchive(t)
	r := cli(t, env, "proof", "1", "--tsr", filepath.Join(t.TempDir(), "x.tsr"))
	if r.code != 2 || !strings.Contains(r.stderr, "no timestamp authority configured") {
		t.Errorf("--tsr without a TSA: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, env, "proof", "--since", "1", "--tsr", "x"); r.code != 2 {
		t.Errorf("--tsr with --since: exit %d", r.code)
	}
	r = cli(t, env, "proof", "1")
	if r.code != 0 || strings.Contains(r.stdout, `"timestamp"`) {
		t.Errorf("proof without a TSA: exit %d\n%s", r.code, r.stdout)
	}
	env["VERBATIM_TSA_URL"] = "ftp://tsa.example/"
	if r := cli(t, env, "proof", "1"); r.code != 2 || !strings.Contains(r.stderr, "tsa.url") {
		t.Errorf("an ftp TSA URL: exit %d %s", r.code, r.stderr)
	}
}
