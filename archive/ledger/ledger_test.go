package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/verbatim-archive/verbatim/archive"
)

// memTree is an in-memory NodeReader: the leaf hashes and every node that
// Tree.Append reports, as the archive stores them.
type memTree struct {
	tree  *Tree
	nodes map[compact.NodeID][]byte
}

func newMemTree() *memTree { return &memTree{tree: NewTree(), nodes: map[compact.NodeID][]byte{}} }

func (m *memTree) append(t testing.TB, leafHash []byte) {
	t.Helper()
	m.nodes[compact.NewNodeID(0, m.tree.Size())] = leafHash
	if err := m.tree.Append(leafHash, func(id compact.NodeID, h []byte) {
		if id.Level == 0 {
			t.Fatalf("visit reported a leaf")
		}
		m.nodes[id] = h
	}); err != nil {
		t.Fatal(err)
	}
}

func (m *memTree) ReadNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := m.nodes[id]
		if !ok {
			return nil, fmt.Errorf("node %v: %w", id, archive.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

func hd(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The classic 8-leaf RFC 6962 / Certificate Transparency test vectors, as
// transparency-dev/merkle carries them (proof/verify_test.go; the leaf
// numbers there count from 1).
var (
	inclusionVectors = []struct {
		index, size uint64
		proof       [][]byte
	}{
		{0, 1, nil},
		{0, 8, [][]byte{
			hd("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
			hd("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			hd("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
		}},
		{5, 8, [][]byte{
			hd("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
			hd("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
			hd("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
		{2, 3, [][]byte{
			hd("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
		}},
		{1, 5, [][]byte{
			hd("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
			hd("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			hd("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
		}},
	}
	consistencyVectors = []struct {
		size1, size2 uint64
		proof        [][]byte
	}{
		{1, 1, nil},
		{1, 8, [][]byte{
			hd("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
			hd("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			hd("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
		}},
		{6, 8, [][]byte{
			hd("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
			hd("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
			hd("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
		{2, 5, [][]byte{
			hd("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			hd("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
		}},
		{6, 7, [][]byte{
			hd("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
			hd("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
			hd("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
	}
)

func rfcTree(t *testing.T) *memTree {
	m := newMemTree()
	for _, in := range testonly.LeafInputs() {
		m.append(t, LeafHash(in))
	}
	return m
}

func TestLedgerRFC6962Roots(t *testing.T) {
	roots := testonly.RootHashes()
	m := newMemTree()
	if got := m.tree.Root(); !bytes.Equal(got, roots[0]) {
		t.Errorf("empty root %x, want %x", got, roots[0])
	}
	for i, in := range testonly.LeafInputs() {
		m.append(t, LeafHash(in))
		size := uint64(i + 1)
		if got := m.tree.Root(); !bytes.Equal(got, roots[size]) {
			t.Errorf("root at %d: got %x, want %x", size, got, roots[size])
		}
		// The compact state reloads to the same tree.
		re, err := LoadTree(size, m.tree.State())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(re.Root(), roots[size]) {
			t.Errorf("reloaded root at %d differs", size)
		}
	}
	// Every stored node is the known node hash.
	for level, row := range testonly.NodeHashes() {
		for i, want := range row {
			if got := m.nodes[compact.NewNodeID(uint(level), uint64(i))]; !bytes.Equal(got, want) {
				t.Errorf("node (%d, %d): got %x, want %x", level, i, got, want)
			}
		}
	}
	// Roots of every past size come from the stored nodes.
	for size := uint64(0); size <= 8; size++ {
		got, err := RootAt(context.Background(), m, size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, roots[size]) {
			t.Errorf("RootAt(%d) = %x, want %x", size, got, roots[size])
		}
	}
}

func TestLedgerRFC6962InclusionProofs(t *testing.T) {
	m := rfcTree(t)
	roots := testonly.RootHashes()
	leaves := testonly.LeafInputs()
	for _, v := range inclusionVectors {
		t.Run(fmt.Sprintf("%d-of-%d", v.index, v.size), func(t *testing.T) {
			got, err := InclusionProof(context.Background(), m, v.index, v.size)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(v.proof) {
				t.Fatalf("got %d hashes, want %d", len(got), len(v.proof))
			}
			for i := range got {
				if !bytes.Equal(got[i], v.proof[i]) {
					t.Errorf("proof[%d] = %x, want %x", i, got[i], v.proof[i])
				}
			}
			leaf := LeafHash(leaves[v.index])
			if err := VerifyInclusion(v.index, v.size, leaf, got, roots[v.size]); err != nil {
				t.Errorf("verify: %v", err)
			}
			if err := VerifyInclusion(v.index, v.size, LeafHash([]byte("other")), got, roots[v.size]); err == nil {
				t.Error("a wrong leaf verified")
			}
			if v.size > 1 {
				if err := VerifyInclusion(v.index^1, v.size, leaf, got, roots[v.size]); err == nil {
					t.Error("a wrong index verified")
				}
			}
			for i := range got {
				bad := cloneAll(got)
				bad[i][0] ^= 1
				if VerifyInclusion(v.index, v.size, leaf, bad, roots[v.size]) == nil {
					t.Errorf("proof with hash %d flipped verified", i)
				}
			}
		})
	}
}

func TestLedgerRFC6962ConsistencyProofs(t *testing.T) {
	m := rfcTree(t)
	roots := testonly.RootHashes()
	for _, v := range consistencyVectors {
		t.Run(fmt.Sprintf("%d-to-%d", v.size1, v.size2), func(t *testing.T) {
			got, err := ConsistencyProof(context.Background(), m, v.size1, v.size2)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(v.proof) {
				t.Fatalf("got %d hashes, want %d", len(got), len(v.proof))
			}
			for i := range got {
				if !bytes.Equal(got[i], v.proof[i]) {
					t.Errorf("proof[%d] = %x, want %x", i, got[i], v.proof[i])
				}
			}
			if err := VerifyConsistency(v.size1, v.size2, got, roots[v.size1], roots[v.size2]); err != nil {
				t.Errorf("verify: %v", err)
			}
			if v.size1 != v.size2 {
				if VerifyConsistency(v.size1, v.size2, got, roots[v.size1], roots[v.size1]) == nil {
					t.Error("a wrong new root verified")
				}
				for i := range got {
					bad := cloneAll(got)
					bad[i][31] ^= 0x80
					if VerifyConsistency(v.size1, v.size2, bad, roots[v.size1], roots[v.size2]) == nil {
						t.Errorf("proof with hash %d flipped verified", i)
					}
				}
			}
		})
	}
	// Every pair of sizes proves and verifies.
	for s1 := uint64(0); s1 <= 8; s1++ {
		for s2 := s1; s2 <= 8; s2++ {
			p, err := ConsistencyProof(context.Background(), m, s1, s2)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(s1, s2, p, roots[s1], roots[s2]); err != nil {
				t.Errorf("%d to %d: %v", s1, s2, err)
			}
		}
	}
}

func cloneAll(hs [][]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = bytes.Clone(h)
	}
	return out
}

// TestLedgerAgainstTlog checks roots and proofs against Go's checksum
// database implementation of the same tree, golang.org/x/mod/sumdb/tlog,
// over random sizes.
func TestLedgerAgainstTlog(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const maxSize = 1500
	m := newMemTree()
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	roots := []tlog.Hash{}
	for n := int64(0); n < maxSize; n++ {
		data := fmt.Appendf(nil, "record %d %x", n, rng.Uint64())
		hs, err := tlog.StoredHashes(n, data, reader)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		m.append(t, LeafHash(data))
		if rh := tlog.RecordHash(data); !bytes.Equal(rh[:], LeafHash(data)) {
			t.Fatalf("leaf hash of record %d differs from tlog's", n)
		}
		th, err := tlog.TreeHash(n+1, reader)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, th)
		if !bytes.Equal(th[:], m.tree.Root()) {
			t.Fatalf("root at %d: %x, tlog %x", n+1, m.tree.Root(), th[:])
		}
	}
	ctx := context.Background()
	for range 400 {
		size := 1 + rng.Int64N(maxSize)
		index := rng.Int64N(size)
		want, err := tlog.ProveRecord(size, index, reader)
		if err != nil {
			t.Fatal(err)
		}
		got, err := InclusionProof(ctx, m, uint64(index), uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		if !sameProof(got, want) {
			t.Fatalf("inclusion proof of %d in %d differs from tlog's", index, size)
		}
		root, err := RootAt(ctx, m, uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(root, roots[size-1][:]) {
			t.Fatalf("RootAt(%d) differs from tlog", size)
		}
		if err := tlog.CheckRecord(toTlog(got), size, roots[size-1], index, stored[tlog.StoredHashIndex(0, index)]); err != nil {
			t.Fatalf("tlog rejects our inclusion proof of %d in %d: %v", index, size, err)
		}

		size1 := 1 + rng.Int64N(size)
		wantc, err := tlog.ProveTree(size, size1, reader)
		if err != nil {
			t.Fatal(err)
		}
		gotc, err := ConsistencyProof(ctx, m, uint64(size1), uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		if !sameProof(gotc, wantc) {
			t.Fatalf("consistency proof %d to %d differs from tlog's", size1, size)
		}
		if err := VerifyConsistency(uint64(size1), uint64(size), gotc, roots[size1-1][:], roots[size-1][:]); err != nil {
			t.Fatalf("consistency %d to %d: %v", size1, size, err)
		}
	}
}

func sameProof[H ~[32]byte](got [][]byte, want []H) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i][:]) {
			return false
		}
	}
	return true
}

func toTlog(p [][]byte) tlog.RecordProof {
	out := make(tlog.RecordProof, len(p))
	for i, h := range p {
		copy(out[i][:], h)
	}
	return out
}

func TestLedgerNodeKey(t *testing.T) {
	for _, id := range []compact.NodeID{{Level: 0, Index: 0}, {Level: 1, Index: 5}, {Level: 20, Index: 1<<35 + 3}, {Level: MaxLevel, Index: 1<<56 - 1}} {
		k := NodeKey(id)
		if k < 0 {
			t.Errorf("NodeKey(%v) = %d, negative", id, k)
		}
		if got := NodeFromKey(k); got != id {
			t.Errorf("NodeFromKey(NodeKey(%v)) = %v", id, got)
		}
	}
}

func TestLedgerLoadTreeRefusesBadState(t *testing.T) {
	m := rfcTree(t)
	if _, err := LoadTree(7, m.tree.State()); err == nil {
		t.Error("a state of the wrong size loaded")
	}
	if _, err := LoadTree(8, m.tree.State()[:31]); err == nil {
		t.Error("a truncated state loaded")
	}
}
