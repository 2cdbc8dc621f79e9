package ledger

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/ledger/tsatest"
)

var tsaNow = time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC)

func testNote(t *testing.T) string {
	t.Helper()
	skey, _ := GenerateKey("verbatim.archive/test")
	k, err := ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	note, err := k.Sign(7, LeafHash([]byte("root")))
	if err != nil {
		t.Fatal(err)
	}
	return note
}

func TestTSAClientTimestamp(t *testing.T) {
	tsa := tsatest.New(t, func() time.Time { return tsaNow })
	c, err := NewTSAClient(tsa.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	note := testNote(t)
	ts, err := c.Timestamp(context.Background(), []byte(note))
	if err != nil {
		t.Fatal(err)
	}
	if !ts.Time.Equal(tsaNow) || ts.TSA != tsa.URL || len(ts.Token) == 0 {
		t.Errorf("timestamp %v from %s, %d-byte token", ts.Time, ts.TSA, len(ts.Token))
	}
	// What was asked: SHA-256 of the whole note, a nonce, the certificate.
	reqs := tsa.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	if q := reqs[0]; q.HashAlgorithm.String() != "SHA-256" || !q.Certificates || q.Nonce == nil || q.Nonce.BitLen() != 64 {
		t.Errorf("request: %v certReq=%v nonce=%v", q.HashAlgorithm, q.Certificates, q.Nonce)
	}

	// Offline, without and with the TSA's root.
	info, err := VerifyTimestamp(ts.Token, []byte(note), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Time.Equal(tsaNow) || !strings.Contains(info.Signer, "verbatim test TSA") || info.Chained || info.Accuracy != time.Second {
		t.Errorf("info %+v", info)
	}
	roots := x509.NewCertPool()
	roots.AddCert(tsa.CA)
	if info, err := VerifyTimestamp(ts.Token, []byte(note), roots); err != nil || !info.Chained {
		t.Errorf("with the TSA's root: %+v %v", info, err)
	}
	other := tsatest.New(t, nil)
	otherRoots := x509.NewCertPool()
	otherRoots.AddCert(other.CA)
	if _, err := VerifyTimestamp(ts.Token, []byte(note), otherRoots); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("with another root: %v", err)
	}
	// Other data, a flipped byte in the token.
	if _, err := VerifyTimestamp(ts.Token, []byte(note+" "), nil); err == nil || !strings.Contains(err.Error(), "other data") {
		t.Errorf("other data: %v", err)
	}
	bad := append([]byte(nil), ts.Token...)
	bad[len(bad)-5] ^= 1
	if _, err := VerifyTimestamp(bad, []byte(note), nil); err == nil {
		t.Error("a token with a flipped byte verified")
	}

	openSSLVerify(t, note, ts.Token, tsa)
}

// openSSLVerify checks the token as an outsider would, with
// openssl ts -verify and the TSA's CA certificate.
func openSSLVerify(t *testing.T, note string, token []byte, tsa *tsatest.TSA) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("skipping openssl ts -verify: no openssl on PATH")
		return
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "checkpoint.txt")
	tok := filepath.Join(dir, "token.tsr")
	if err := os.WriteFile(data, []byte(note), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tok, token, 0o644); err != nil {
		t.Fatal(err)
	}
	ca := tsa.WriteCA(t, dir)
	out, err := exec.Command(openssl, "ts", "-verify", "-data", data, "-in", tok, "-token_in", "-CAfile", ca).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	// And openssl refuses other data.
	if err := os.WriteFile(data, []byte(note+"x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(openssl, "ts", "-verify", "-data", data, "-in", tok, "-token_in", "-CAfile", ca).CombinedOutput(); err == nil {
		t.Errorf("openssl ts -verify accepted other data:\n%s", out)
	}
}

func TestTSAClientRefusesBadAnswers(t *testing.T) {
	tsa := tsatest.New(t, func() time.Time { return tsaNow })
	c, err := NewTSAClient(tsa.URL, &http.Client{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	note := []byte(testNote(t))
	for _, tc := range []struct {
		name  string
		fault tsatest.Fault
		want  string
	}{
		{"down", tsatest.HTTP500, "HTTP 500"},
		{"timeout", tsatest.Hang, "Timeout"},
		{"wrong imprint", tsatest.WrongImprint, "other data"},
		{"nonce mismatch", tsatest.WrongNonce, "nonce"},
		{"rejection", tsatest.Rejection, "rejected"},
		{"no certificate", tsatest.NoCert, "carries no certificate"},
		{"not a TSA certificate", tsatest.NotTSACert, "not for timestamping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tsa.FailNext(tc.fault)
			_, err := c.Timestamp(context.Background(), note)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "tsa "+tsa.URL+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q does not name the TSA in one line", err)
			}
		})
	}
	// The fault was one request's: the next is good.
	if _, err := c.Timestamp(context.Background(), note); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	// A cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Timestamp(ctx, note); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestTSAClientURL(t *testing.T) {
	for _, u := range []string{"", "ftp://tsa.example/", "file:///etc/passwd", "tsa.example", "http://"} {
		if _, err := NewTSAClient(u, nil); err == nil {
			t.Errorf("%q: accepted", u)
		}
	}
	c, err := NewTSAClient("https://user:secret@tsa.example/ts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.URL(), "secret") {
		t.Errorf("URL() = %s shows the password", c.URL())
	}
}

func TestTSAParseResponse(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("not DER"), {0x30, 0x03, 0x02, 0x01, 0x00}} {
		if _, err := ParseTimestampResponse(b); err == nil {
			t.Errorf("%x: parsed", b)
		}
	}
}

func TestTSAReceiptTimestamp(t *testing.T) {
	ctx := context.Background()
	tsa := tsatest.New(t, func() time.Time { return tsaNow })
	c, _ := NewTSAClient(tsa.URL, nil)
	skey, _ := GenerateKey("verbatim.archive/test")
	k, _ := ParseKey(skey)
	m := newMemTree()
	mf := sampleManifest()
	m.append(t, LeafHash(mf.Canonical()))
	note, _ := k.Sign(1, m.tree.Root())
	ts, err := c.Timestamp(ctx, []byte(note))
	if err != nil {
		t.Fatal(err)
	}
	r := NewReceipt(mf.Canonical(), 0, 1, nil, note)
	r.Timestamp = &ts
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"timestamp":{"tsa":"`+tsa.URL+`","time":"2026-02-11T12:00:00Z","token":"MII`) {
		t.Errorf("receipt JSON: %s", b)
	}
	var back Receipt
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.Verify(k.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if got.Timestamp == nil || !got.Timestamp.Time.Equal(tsaNow) || got.Timestamp.TSA != tsa.URL {
		t.Errorf("verified timestamp %+v", got.Timestamp)
	}

	// A token over another checkpoint, a changed time, no token.
	other, _ := k.Sign(1, LeafHash([]byte("other")))
	ots, _ := c.Timestamp(ctx, []byte(other))
	for name, tamper := range map[string]func(r *Receipt){
		"other checkpoint's token": func(r *Receipt) { r.Timestamp.Token = ots.Token },
		"time":                     func(r *Receipt) { r.Timestamp.Time = r.Timestamp.Time.Add(-time.Hour) },
		"no token":                 func(r *Receipt) { r.Timestamp.Token = nil },
		"garbage token":            func(r *Receipt) { r.Timestamp.Token = []byte("x") },
	} {
		var bad Receipt
		_ = json.Unmarshal(b, &bad)
		tamper(&bad)
		if _, err := bad.Verify(k.Verifier()); err == nil {
			t.Errorf("%s: verified", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
}
