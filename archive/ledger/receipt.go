package ledger

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Receipt proves that one capture's manifest is in the archive's log, to
// anyone who holds the archive's public key, with nothing else:
//
//	{"manifest": {…}, "leaf_index": 11, "tree_size": 40,
//	 "leaf_hash": "…", "inclusion_proof": ["hex", …],
//	 "checkpoint": "verbatim.archive/…\n40\n<base64 root>\n\n— …\n",
//	 "timestamp": {"tsa": "…", "time": "…", "token": "<base64 DER>"}}
//
// The manifest is an object in any JSON layout; the verifier re-encodes it
// canonically (CanonicalJSON) before hashing. leaf_hash is informative:
// Verify recomputes it. timestamp, when there is one, is an RFC 3161
// token over the checkpoint string's bytes (see Timestamp).
type Receipt struct {
	Manifest       json.RawMessage `json:"manifest"`
	LeafIndex      uint64          `json:"leaf_index"`
	TreeSize       uint64          `json:"tree_size"`
	LeafHash       string          `json:"leaf_hash,omitempty"`
	InclusionProof []string        `json:"inclusion_proof"`
	Checkpoint     string          `json:"checkpoint"`
	Timestamp      *Timestamp      `json:"timestamp,omitempty"`
}

// Consistency carries a later checkpoint and the proof that its tree
// extends an earlier one of FromSize leaves (as `verbatim proof --since`
// writes it):
//
//	{"from_size": 40, "tree_size": 90, "consistency_proof": ["hex", …],
//	 "checkpoint": "…"}
type Consistency struct {
	FromSize         uint64   `json:"from_size"`
	TreeSize         uint64   `json:"tree_size"`
	ConsistencyProof []string `json:"consistency_proof"`
	Checkpoint       string   `json:"checkpoint"`

	bare bool // read from a bare checkpoint note: no proof
}

// Verified is what a good receipt shows.
type Verified struct {
	Manifest  Manifest `json:"manifest"`
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	Root      []byte   `json:"root"`
	Origin    string   `json:"origin"`
	// Timestamp is what the checkpoint's timestamp token states, nil if
	// the receipt has none. Its signer is not checked against any root.
	Timestamp *TimestampInfo `json:"timestamp,omitempty"`
}

// NewReceipt assembles a receipt.
func NewReceipt(canonical []byte, index, size uint64, path [][]byte, checkpoint string) Receipt {
	return Receipt{
		Manifest:       json.RawMessage(canonical),
		LeafIndex:      index,
		TreeSize:       size,
		LeafHash:       hex.EncodeToString(LeafHash(canonical)),
		InclusionProof: hexList(path),
		Checkpoint:     checkpoint,
	}
}

// NewConsistency assembles a consistency proof to a later checkpoint.
func NewConsistency(fromSize, size uint64, path [][]byte, checkpoint string) Consistency {
	return Consistency{FromSize: fromSize, TreeSize: size, ConsistencyProof: hexList(path), Checkpoint: checkpoint}
}

// Verify checks the receipt offline with the archive's public key: the
// checkpoint's signature, that it states the receipt's tree size, that
// the manifest's leaf hash and the inclusion proof lead to its root, and,
// if the receipt has a timestamp, that its token is over the checkpoint
// and signed by the certificate it carries (VerifyTimestamp without roots:
// whether that TSA is trusted is the reader's call). The error says, in
// one line, the first thing that is wrong.
func (r Receipt) Verify(v note.Verifier) (Verified, error) {
	var out Verified
	if len(r.Manifest) == 0 {
		return out, errors.New("receipt has no manifest")
	}
	canonical, err := CanonicalJSON(r.Manifest)
	if err != nil {
		return out, fmt.Errorf("receipt's manifest: %w", err)
	}
	m, err := ParseManifest(canonical)
	if err != nil {
		return out, fmt.Errorf("receipt's %w", err)
	}
	leaf := LeafHash(canonical)
	if r.LeafHash != "" && r.LeafHash != hex.EncodeToString(leaf) {
		return out, fmt.Errorf("receipt's leaf_hash %s is not the hash of its manifest (%x)", r.LeafHash, leaf)
	}
	size, root, err := OpenCheckpoint(r.Checkpoint, v)
	if err != nil {
		return out, err
	}
	if size != r.TreeSize {
		return out, fmt.Errorf("receipt says tree_size %d but its checkpoint is for %d leaves", r.TreeSize, size)
	}
	path, err := unhexList(r.InclusionProof)
	if err != nil {
		return out, fmt.Errorf("receipt's inclusion_proof: %w", err)
	}
	if err := VerifyInclusion(r.LeafIndex, size, leaf, path, root); err != nil {
		return out, fmt.Errorf("manifest of capture %d is not leaf %d of the checkpoint's tree: %w", m.CaptureID, r.LeafIndex, err)
	}
	out = Verified{Manifest: m, LeafIndex: r.LeafIndex, TreeSize: size, Root: root, Origin: v.Name()}
	if r.Timestamp != nil {
		info, err := r.VerifyTimestamp(nil)
		if err != nil {
			return Verified{}, err
		}
		out.Timestamp = &info
	}
	return out, nil
}

// VerifyTimestamp checks the receipt's timestamp token against its
// checkpoint (see the package function VerifyTimestamp; roots may be nil),
// and that the time the receipt states is the token's.
func (r Receipt) VerifyTimestamp(roots *x509.CertPool) (TimestampInfo, error) {
	if r.Timestamp == nil {
		return TimestampInfo{}, errors.New("receipt has no timestamp")
	}
	if len(r.Timestamp.Token) == 0 {
		return TimestampInfo{}, errors.New("receipt's timestamp has no token")
	}
	info, err := VerifyTimestamp(r.Timestamp.Token, []byte(r.Checkpoint), roots)
	if err != nil {
		return TimestampInfo{}, fmt.Errorf("receipt's %w", err)
	}
	if !r.Timestamp.Time.IsZero() && !r.Timestamp.Time.Equal(info.Time) {
		return TimestampInfo{}, fmt.Errorf("receipt's timestamp says %s but its token says %s", r.Timestamp.Time.Format(time.RFC3339Nano), info.Time.Format(time.RFC3339Nano))
	}
	info.TSA = r.Timestamp.TSA
	return info, nil
}

// Verify checks the later checkpoint's signature and that its tree extends
// the earlier tree of size leaves with the given root. It returns the later
// tree's size.
func (c Consistency) Verify(v note.Verifier, size uint64, root []byte) (uint64, error) {
	size2, root2, err := OpenCheckpoint(c.Checkpoint, v)
	if err != nil {
		return 0, fmt.Errorf("later %w", err)
	}
	if size2 != c.TreeSize {
		return 0, fmt.Errorf("later checkpoint is for %d leaves but says tree_size %d", size2, c.TreeSize)
	}
	if c.bare && size2 != size {
		return 0, fmt.Errorf("a bare checkpoint of %d leaves cannot be checked against a receipt of %d without a consistency proof (make one with: verbatim proof --since %d)", size2, size, size)
	}
	if !c.bare && c.FromSize != size {
		return 0, fmt.Errorf("consistency proof starts at %d leaves, not at the receipt's %d (make one with: verbatim proof --since %d)", c.FromSize, size, size)
	}
	path, err := unhexList(c.ConsistencyProof)
	if err != nil {
		return 0, fmt.Errorf("consistency_proof: %w", err)
	}
	if size == size2 {
		if len(path) != 0 || !bytes.Equal(root, root2) {
			return 0, fmt.Errorf("later checkpoint of the same size %d has another root: the log was rewritten", size)
		}
		return size2, nil
	}
	if err := VerifyConsistency(size, size2, path, root, root2); err != nil {
		return 0, fmt.Errorf("later checkpoint does not extend the receipt's: %w", err)
	}
	return size2, nil
}

// ParseLater reads what verify-receipt --checkpoint takes: a Consistency
// as JSON, or a bare checkpoint note (then only a checkpoint of the
// receipt's own size can be checked, by comparing roots).
func ParseLater(b []byte) (Consistency, error) {
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '{' {
		var c Consistency
		if err := json.Unmarshal(t, &c); err != nil {
			return c, fmt.Errorf("later checkpoint: %w", err)
		}
		if c.Checkpoint == "" {
			return c, errors.New("later checkpoint: no checkpoint in the file")
		}
		return c, nil
	}
	origin, size, _, err := CheckpointBody(string(b))
	if err != nil || origin == "" {
		return Consistency{}, errors.New("later checkpoint: neither a checkpoint note nor the JSON of verbatim proof --since")
	}
	return Consistency{FromSize: size, TreeSize: size, Checkpoint: string(b), bare: true}, nil
}

func hexList(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h)
	}
	return out
}

func unhexList(ss []string) ([][]byte, error) {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != HashSize {
			return nil, fmt.Errorf("element %d is not a %d-byte hex hash", i, HashSize)
		}
		out[i] = b
	}
	return out, nil
}
