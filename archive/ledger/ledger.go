// Package ledger makes every capture provable to an outsider who does not
// trust the archive, the way Certificate Transparency and Go's checksum
// database do.
//
// Each capture's canonical manifest (see Manifest) is a leaf of one
// append-only RFC 6962 Merkle tree. The tree's head is published in signed
// checkpoints (the C2SP checkpoint note format, Ed25519, see Key); a
// receipt (see Receipt) holds a manifest, its inclusion proof and a
// checkpoint, and anyone with the archive's public key can check it
// offline. A later checkpoint with a consistency proof (see Consistency)
// shows that the tree only grew in between.
//
// The package is pure apart from reading and writing the key files: it
// hashes, appends to compact ranges, and builds and checks proofs from node
// hashes that a NodeReader (the archive database) supplies. Hashing is
// github.com/transparency-dev/merkle's rfc6962 hasher: a leaf hash is
// SHA-256(0x00 || manifest), an interior node SHA-256(0x01 || left || right).
package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size of every hash in the tree.
const HashSize = sha256.Size

// MaxLevel is the highest node level a NodeKey can encode: trees of up to
// 2^55 leaves, far beyond any archive.
const MaxLevel = 55

var (
	hasher  = rfc6962.DefaultHasher
	factory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
)

// LeafHash returns the RFC 6962 leaf hash of data: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte { return hasher.HashLeaf(data) }

// NodeHash returns the RFC 6962 hash of an interior node:
// SHA-256(0x01 || left || right).
func NodeHash(left, right []byte) []byte { return hasher.HashChildren(left, right) }

// EmptyRoot is the root hash of the empty tree: SHA-256 of nothing.
func EmptyRoot() []byte { return hasher.EmptyRoot() }

// NodeKey packs a perfect-subtree node id into one integer, level in the
// top bits, so that the archive can keep node hashes in a table keyed by an
// integer. It panics if the level or index is out of range.
func NodeKey(id compact.NodeID) int64 {
	if id.Level > MaxLevel || id.Index >= 1<<56 {
		panic(fmt.Sprintf("ledger: node (%d, %d) out of range", id.Level, id.Index))
	}
	return int64(id.Level)<<56 | int64(id.Index)
}

// NodeFromKey is the inverse of NodeKey.
func NodeFromKey(k int64) compact.NodeID {
	return compact.NewNodeID(uint(k>>56), uint64(k)&(1<<56-1))
}

// Tree is the compact state of an append-only tree: the hashes of the
// O(log n) perfect subtrees that cover it, enough to append a leaf and to
// compute the root, but not to build proofs. Its zero value is not usable;
// use NewTree or LoadTree.
type Tree struct {
	r *compact.Range
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{r: factory.NewEmptyRange(0)} }

// LoadTree returns the tree of the given size whose compact state is
// state, as State returned it. It fails if state has the wrong length for
// size.
func LoadTree(size uint64, state []byte) (*Tree, error) {
	if len(state)%HashSize != 0 {
		return nil, fmt.Errorf("ledger: tree state of %d bytes is not a whole number of hashes", len(state))
	}
	hashes := make([][]byte, 0, len(state)/HashSize)
	for i := 0; i < len(state); i += HashSize {
		hashes = append(hashes, bytes.Clone(state[i:i+HashSize]))
	}
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("ledger: tree state for size %d: %w", size, err)
	}
	return &Tree{r: r}, nil
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 { return t.r.End() }

// State returns the compact state: the covering subtree hashes, left to
// right, concatenated.
func (t *Tree) State() []byte {
	hs := t.r.Hashes()
	b := make([]byte, 0, len(hs)*HashSize)
	for _, h := range hs {
		b = append(b, h...)
	}
	return b
}

// Append adds a leaf hash at index Size(). visit, if not nil, is called for
// every perfect subtree node the leaf completes (above the leaf itself),
// lowest first: the nodes an archive stores so that proofs need no
// rehashing.
func (t *Tree) Append(leafHash []byte, visit func(id compact.NodeID, hash []byte)) error {
	if len(leafHash) != HashSize {
		return fmt.Errorf("ledger: leaf hash of %d bytes", len(leafHash))
	}
	var fn compact.VisitFn
	if visit != nil {
		fn = func(id compact.NodeID, hash []byte) {
			if id.Level > 0 {
				visit(id, hash)
			}
		}
	}
	return t.r.Append(leafHash, fn)
}

// Root returns the root hash of the tree.
func (t *Tree) Root() []byte {
	if t.r.End() == 0 {
		return EmptyRoot()
	}
	h, err := t.r.GetRootHash(nil)
	if err != nil { // only for ranges not starting at 0, which a Tree never is
		panic(err)
	}
	return h
}

// Clone returns an independent copy of the tree.
func (t *Tree) Clone() *Tree {
	hs := make([][]byte, len(t.r.Hashes()))
	copy(hs, t.r.Hashes())
	r, _ := factory.NewRange(0, t.r.End(), hs)
	return &Tree{r: r}
}

// NodeReader supplies stored node hashes. Level 0 nodes are leaf hashes;
// every other node is a perfect subtree that Tree.Append reported.
type NodeReader interface {
	// ReadNodes returns the hashes of ids, in order. It returns an error
	// wrapping archive.ErrNotFound if one of them is not stored.
	ReadNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
}

// RootAt returns the root hash of the tree's first size leaves.
func RootAt(ctx context.Context, r NodeReader, size uint64) ([]byte, error) {
	if size == 0 {
		return EmptyRoot(), nil
	}
	hs, err := r.ReadNodes(ctx, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, fmt.Errorf("root at %d: %w", size, err)
	}
	h := hs[len(hs)-1]
	for i := len(hs) - 2; i >= 0; i-- {
		h = NodeHash(hs[i], h)
	}
	return h, nil
}

// InclusionProof returns the RFC 6962 audit path of leaf index in the tree
// of the first size leaves.
func InclusionProof(ctx context.Context, r NodeReader, index, size uint64) ([][]byte, error) {
	ns, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	hs, err := r.ReadNodes(ctx, ns.IDs)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	return ns.Rehash(hs, NodeHash)
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of the first size1 and size2 leaves.
func ConsistencyProof(ctx context.Context, r NodeReader, size1, size2 uint64) ([][]byte, error) {
	ns, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	hs, err := r.ReadNodes(ctx, ns.IDs)
	if err != nil {
		return nil, fmt.Errorf("consistency proof %d to %d: %w", size1, size2, err)
	}
	return ns.Rehash(hs, NodeHash)
}

// VerifyInclusion checks that leafHash is leaf index of the tree of size
// leaves with the given root.
func VerifyInclusion(index, size uint64, leafHash []byte, path [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(hasher, index, size, leafHash, path, root); err != nil {
		return fmt.Errorf("inclusion proof does not lead to the checkpoint's root: %w", oneLine(err))
	}
	return nil
}

// oneLine rewrites merkle's multi-line root mismatch error as one line.
func oneLine(err error) error {
	var rm proof.RootMismatchError
	if errors.As(err, &rm) {
		return fmt.Errorf("it leads to %x, not %x", rm.CalculatedRoot, rm.ExpectedRoot)
	}
	return err
}

// VerifyConsistency checks that the tree of size2 leaves with root2
// extends the tree of size1 leaves with root1.
func VerifyConsistency(size1, size2 uint64, path [][]byte, root1, root2 []byte) error {
	if size1 > size2 {
		return fmt.Errorf("later checkpoint has %d leaves, fewer than %d", size2, size1)
	}
	if size1 == 0 && len(path) == 0 {
		// Every tree extends the empty one; merkle's verifier refuses
		// size1 == 0 as a degenerate request.
		if !bytes.Equal(root1, EmptyRoot()) {
			return errors.New("an empty tree's root must be the hash of nothing")
		}
		return nil
	}
	if err := proof.VerifyConsistency(hasher, size1, size2, path, root1, root2); err != nil {
		return fmt.Errorf("consistency proof from %d to %d leaves fails: %w", size1, size2, oneLine(err))
	}
	return nil
}
