package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleManifest() Manifest {
	return Manifest{
		CaptureID: 12,
		Kind:      "snapshot",
		Target:    "https://x.com/VP/status/2021150315377594369",
		At:        "2026-02-10T14:03:07.123Z",
		Software:  "verbatim v0.3.0",
		Artifacts: []ManifestArtifact{
			{Kind: "warc", MediaType: "application/warc", Size: 9000, SHA256: strings.Repeat("c", 64)},
			{Kind: "dom", MediaType: "text/html; charset=utf-8", Size: 1234, SHA256: strings.Repeat("a", 64)},
			{Kind: "screenshot", MediaType: "image/png", Size: 56789, SHA256: strings.Repeat("b", 64)},
		},
	}
}

func TestLedgerManifestCanonical(t *testing.T) {
	got := string(sampleManifest().Canonical())
	want := `{"artifacts":[` +
		`{"kind":"dom","media_type":"text/html; charset=utf-8","sha256":"` + strings.Repeat("a", 64) + `","size":1234},` +
		`{"kind":"screenshot","media_type":"image/png","sha256":"` + strings.Repeat("b", 64) + `","size":56789},` +
		`{"kind":"warc","media_type":"application/warc","sha256":"` + strings.Repeat("c", 64) + `","size":9000}],` +
		`"at":"2026-02-10T14:03:07.123Z","capture_id":12,"kind":"snapshot","software":"verbatim v0.3.0",` +
		`"target":"https://x.com/VP/status/2021150315377594369","type":"verbatim.capture/v1"}`
	if got != want {
		t.Errorf("canonical manifest\n got %s\nwant %s", got, want)
	}
	// The direct encoder and the generic one agree.
	generic, err := CanonicalJSON([]byte(got))
	if err != nil || string(generic) != got {
		t.Errorf("CanonicalJSON of the canonical manifest\n got %s %v\nwant %s", generic, err, got)
	}
	// The artifacts' order does not matter.
	m := sampleManifest()
	m.Artifacts[0], m.Artifacts[2] = m.Artifacts[2], m.Artifacts[0]
	if string(m.Canonical()) != got {
		t.Error("artifact order changed the canonical form")
	}
	// No artifacts is an empty list, not null.
	m.Artifacts = nil
	if !strings.HasPrefix(string(m.Canonical()), `{"artifacts":[],`) {
		t.Errorf("no artifacts: %s", m.Canonical())
	}
}

func TestLedgerCanonicalStrings(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`quote " and \ backslash`, `"quote \" and \\ backslash"`},
		{"tab\tnl\ncr\rbs\bff\f", `"tab\tnl\ncr\rbs\bff\f"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<html> & ' / é € 😀 \u2028", `"<html> & ' / é € 😀 ` + "\u2028" + `"`},
		{"bad \xff utf8", "\"bad \uFFFD utf8\""},
	} {
		if got := string(appendString(nil, tc.in)); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestLedgerCanonicalJSONRoundTrip(t *testing.T) {
	m := sampleManifest()
	m.Target = "a \"quoted\" target\twith <html> & é\x01"
	canonical := m.Canonical()
	// Indented, reordered, escaped differently: the same canonical bytes.
	var v map[string]any
	if err := json.Unmarshal(canonical, &v); err != nil {
		t.Fatal(err)
	}
	pretty, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := CanonicalJSON(pretty)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, canonical) {
		t.Errorf("re-canonicalised\n got %s\nwant %s", got, canonical)
	}
	back, err := ParseManifest(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.Target != m.Target || back.CaptureID != 12 || len(back.Artifacts) != 3 {
		t.Errorf("parsed back %+v", back)
	}
	for _, bad := range []string{`{"size":1.5}`, `{"size":1e300}`, `{"a":1} {"b":2}`, `[`} {
		if _, err := CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%s) did not fail", bad)
		}
	}
	if got, err := CanonicalJSON([]byte(`{"b":-0,"a":1.0e2,"c":[true,null,"x"]}`)); err != nil || string(got) != `{"a":100,"b":0,"c":[true,null,"x"]}` {
		t.Errorf("numbers: %s %v", got, err)
	}
}

func TestLedgerKeyFiles(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "ledger.key"), filepath.Join(dir, "ledger.pub")
	k, err := OpenKey(keyFile, pubFile, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger.key mode %v, want 0600", fi.Mode().Perm())
	}
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(pub)) != k.VerifierKey() || !strings.HasPrefix(k.Name(), "verbatim.archive/") {
		t.Errorf("ledger.pub %q, key %s", pub, k.Name())
	}
	// Opened again: the same key.
	k2, err := OpenKey(keyFile, pubFile, "")
	if err != nil {
		t.Fatal(err)
	}
	if k2.VerifierKey() != k.VerifierKey() {
		t.Error("reopened key differs")
	}
	// A key from the environment that ledger.pub does not match is refused.
	other, err := GenerateKey("verbatim.archive/other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKey(keyFile, pubFile, other); err == nil || !strings.Contains(err.Error(), "another public key") {
		t.Errorf("mismatched ledger.pub: %v", err)
	}
	// With no ledger.pub yet, the environment's key is used and published.
	dir2 := t.TempDir()
	k3, err := OpenKey(filepath.Join(dir2, "ledger.key"), filepath.Join(dir2, "ledger.pub"), other)
	if err != nil {
		t.Fatal(err)
	}
	if k3.Name() != "verbatim.archive/other" {
		t.Errorf("env key name %q", k3.Name())
	}
	if _, err := os.Stat(filepath.Join(dir2, "ledger.key")); !os.IsNotExist(err) {
		t.Errorf("an environment key was written to ledger.key: %v", err)
	}
	if _, err := ParseKey("PRIVATE+KEY+x+00000000+AAAA"); err == nil {
		t.Error("a malformed key parsed")
	}
}

func TestLedgerCheckpointSignature(t *testing.T) {
	skey, _ := GenerateKey("verbatim.archive/test")
	k, err := ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	root := LeafHash([]byte("x"))
	text, err := k.Sign(42, root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "verbatim.archive/test\n42\n") || !strings.Contains(text, "\n\n— verbatim.archive/test ") {
		t.Errorf("checkpoint note:\n%s", text)
	}
	size, got, err := OpenCheckpoint(text, k.Verifier())
	if err != nil || size != 42 || !bytes.Equal(got, root) {
		t.Fatalf("OpenCheckpoint = %d, %x, %v", size, got, err)
	}
	// Another key of the same name does not verify it.
	oskey, _ := GenerateKey("verbatim.archive/test")
	ok, _ := ParseKey(oskey)
	if _, _, err := OpenCheckpoint(text, ok.Verifier()); err == nil || !strings.Contains(err.Error(), "not signed by") {
		t.Errorf("other key: %v", err)
	}
	// A changed size breaks the signature.
	forged := strings.Replace(text, "\n42\n", "\n43\n", 1)
	if _, _, err := OpenCheckpoint(forged, k.Verifier()); err == nil {
		t.Error("a forged checkpoint verified")
	}
}

func TestLedgerReceiptVerify(t *testing.T) {
	ctx := context.Background()
	skey, _ := GenerateKey("verbatim.archive/test")
	k, _ := ParseKey(skey)
	m := newMemTree()
	var manifests [][]byte
	for i := range 13 {
		mf := sampleManifest()
		mf.CaptureID = int64(i + 1)
		manifests = append(manifests, mf.Canonical())
		m.append(t, LeafHash(manifests[i]))
	}
	const index, size = 4, 9
	root, err := RootAt(ctx, m, size)
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := k.Sign(size, root)
	path, err := InclusionProof(ctx, m, index, size)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReceipt(manifests[index], index, size, path, cp)
	b, _ := json.MarshalIndent(r, "", "  ")
	var r2 Receipt
	if err := json.Unmarshal(b, &r2); err != nil {
		t.Fatal(err)
	}
	got, err := r2.Verify(k.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if got.Manifest.CaptureID != 5 || got.TreeSize != size || got.LeafIndex != index {
		t.Errorf("verified %+v", got)
	}

	// A later checkpoint with its consistency proof.
	root2 := m.tree.Root()
	cp2, _ := k.Sign(m.tree.Size(), root2)
	cpath, err := ConsistencyProof(ctx, m, size, m.tree.Size())
	if err != nil {
		t.Fatal(err)
	}
	later := NewConsistency(size, m.tree.Size(), cpath, cp2)
	if n, err := later.Verify(k.Verifier(), size, root); err != nil || n != 13 {
		t.Errorf("later: %d, %v", n, err)
	}
	lb, _ := json.Marshal(later)
	if parsed, err := ParseLater(lb); err != nil {
		t.Error(err)
	} else if _, err := parsed.Verify(k.Verifier(), size, root); err != nil {
		t.Errorf("parsed later: %v", err)
	}
	// A bare note of the same size checks by root; of another size it
	// needs a proof.
	bare, err := ParseLater([]byte(cp))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Verify(k.Verifier(), size, root); err != nil {
		t.Errorf("bare same-size checkpoint: %v", err)
	}
	bare2, _ := ParseLater([]byte(cp2))
	if _, err := bare2.Verify(k.Verifier(), size, root); err == nil || !strings.Contains(err.Error(), "--since 9") {
		t.Errorf("bare later checkpoint: %v", err)
	}

	// Tampering.
	oskey, _ := GenerateKey("verbatim.archive/test")
	other, _ := ParseKey(oskey)
	forgedCp, _ := other.Sign(size, root)
	rewritten := m.tree.Clone()
	_ = rewritten.Append(LeafHash([]byte("x")), nil)
	cases := map[string]func(r *Receipt){
		"manifest sha256": func(r *Receipt) {
			r.Manifest = bytes.Replace(r.Manifest, []byte(strings.Repeat("a", 64)), []byte(strings.Repeat("d", 64)), 1)
		},
		"manifest capture": func(r *Receipt) {
			r.Manifest = bytes.Replace(r.Manifest, []byte(`"capture_id": 5`), []byte(`"capture_id": 6`), 1)
		},
		"leaf index":  func(r *Receipt) { r.LeafIndex = 5 },
		"tree size":   func(r *Receipt) { r.TreeSize = 10 },
		"proof":       func(r *Receipt) { r.InclusionProof[0] = strings.Repeat("0", 64) },
		"short proof": func(r *Receipt) { r.InclusionProof = r.InclusionProof[1:] },
		"other key":   func(r *Receipt) { r.Checkpoint = forgedCp },
		"no manifest": func(r *Receipt) { r.Manifest = nil },
		"leaf hash":   func(r *Receipt) { r.LeafHash = strings.Repeat("1", 64) },
	}
	for name, tamper := range cases {
		var bad Receipt
		_ = json.Unmarshal(b, &bad)
		tamper(&bad)
		if strings.HasPrefix(name, "manifest") && bytes.Equal(bad.Manifest, r2.Manifest) {
			t.Errorf("%s: tamper did not apply", name)
		}
		if _, err := bad.Verify(k.Verifier()); err == nil {
			t.Errorf("%s: tampered receipt verified", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
	// A later checkpoint of a rewritten log fails.
	fork, _ := k.Sign(rewritten.Size(), rewritten.Root())
	badLater := NewConsistency(size, rewritten.Size(), cpath, fork)
	if _, err := badLater.Verify(k.Verifier(), size, root); err == nil {
		t.Error("a later checkpoint of another tree verified")
	}
}

// TestLedgerKeyNotReplaced: a ledger.pub without its ledger.key (an
// archive restored from a backup without the private key) is an error, and
// no new key is made.
func TestLedgerKeyNotReplaced(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "ledger.key"), filepath.Join(dir, "ledger.pub")
	if _, err := OpenKey(keyFile, pubFile, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	_, err := OpenKey(keyFile, pubFile, "")
	if err == nil || !strings.Contains(err.Error(), "ledger.key is missing but ledger.pub is there") {
		t.Errorf("OpenKey without its key file: %v", err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("a new ledger.key was made: %v", err)
	}
}
