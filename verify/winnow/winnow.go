// Package winnow is an in-memory index that finds the texts a quotation
// may come from, by document fingerprinting: each text is cut into
// shingles of K consecutive words, each shingle hashed, and of every W
// consecutive hashes the smallest is kept as a fingerprint (winnowing,
// Schleimer, Wilkerson and Aiken, 2003). Any run of W+K-1 words that a
// quotation shares with a text shares at least one fingerprint with it, so
// a twelve-word quotation with one word changed, which keeps a run of at
// least six words intact, always finds its source; about 2/(W+1) of the
// shingles are kept, so the index stays a fraction of the texts' size.
//
// Candidates are only candidates: the caller re-checks them word by word.
// Everything here is pure: no I/O, no clock, no package-level mutable
// state. An Index is immutable once built and safe for concurrent use.
package winnow

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// Shingle length K and window W. W+K-1 = 6: any six words in a row that a
// quotation shares with a text are enough to find it.
const (
	K = 3
	W = 4
)

// maxPostings is how many texts a fingerprint may be in before a lookup
// ignores it: a shingle that common ("one of the") narrows nothing down.
const maxPostings = 2000

// Builder collects texts for an Index. The zero value is ready to use.
type Builder struct {
	pairs []pair
	keys  []int64
}

type pair struct {
	hash uint32
	doc  uint32
}

// Add adds a text under a key (a post's order key). Texts added under the
// same key are one document; several versions of a post can go in so.
func (b *Builder) Add(key int64, text string) {
	doc := uint32(len(b.keys))
	if n := len(b.keys); n > 0 && b.keys[n-1] == key {
		doc = uint32(n - 1)
	} else {
		b.keys = append(b.keys, key)
	}
	for _, h := range fingerprints(shingles(tokens(text))) {
		b.pairs = append(b.pairs, pair{h, doc})
	}
}

// Len reports how many documents have been added.
func (b *Builder) Len() int { return len(b.keys) }

// Build returns the index of everything added and resets the builder.
func (b *Builder) Build() *Index {
	slices.SortFunc(b.pairs, func(x, y pair) int {
		if c := cmp.Compare(x.hash, y.hash); c != 0 {
			return c
		}
		return cmp.Compare(x.doc, y.doc)
	})
	ix := &Index{keys: b.keys, hashes: make([]uint32, 0, len(b.pairs)), docs: make([]uint32, 0, len(b.pairs))}
	for i, p := range b.pairs {
		if i > 0 && p == b.pairs[i-1] {
			continue
		}
		ix.hashes = append(ix.hashes, p.hash)
		ix.docs = append(ix.docs, p.doc)
	}
	*b = Builder{}
	return ix
}

// Index maps fingerprints to the documents that have them.
type Index struct {
	keys   []int64  // document → key
	hashes []uint32 // sorted fingerprints, one entry per (fingerprint, document)
	docs   []uint32 // the document of each entry
}

// Len reports how many documents the index holds.
func (ix *Index) Len() int { return len(ix.keys) }

// Bytes is roughly the memory the index takes.
func (ix *Index) Bytes() int { return 8*len(ix.keys) + 4*len(ix.hashes) + 4*len(ix.docs) }

// MaxKey returns the largest key added, or 0 for an empty index.
func (ix *Index) MaxKey() int64 {
	var m int64
	for _, k := range ix.keys {
		m = max(m, k)
	}
	return m
}

// Candidates returns the keys of up to limit documents that share the most
// shingles with the quotation, most first (smaller key first among equals),
// with how many they share. Every shingle of the quotation is looked up, not
// only its fingerprints, so a shared run of W+K-1 words is always found.
func (ix *Index) Candidates(quote string, limit int) ([]int64, []int) {
	hs := shingles(tokens(quote))
	slices.Sort(hs)
	hs = slices.Compact(hs)
	tally := make(map[uint32]int)
	for _, h := range hs {
		lo, found := slices.BinarySearch(ix.hashes, h)
		if !found {
			continue
		}
		hi := lo
		for hi < len(ix.hashes) && ix.hashes[hi] == h {
			hi++
		}
		if hi-lo > maxPostings {
			continue
		}
		for _, d := range ix.docs[lo:hi] {
			tally[d]++
		}
	}
	type hit struct {
		doc uint32
		n   int
	}
	hits := make([]hit, 0, len(tally))
	for d, n := range tally {
		hits = append(hits, hit{d, n})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(ix.keys[a.doc], ix.keys[b.doc])
	})
	hits = hits[:min(len(hits), max(limit, 0))]
	keys, counts := make([]int64, len(hits)), make([]int, len(hits))
	for i, h := range hits {
		keys[i], counts[i] = ix.keys[h.doc], h.n
	}
	return keys, counts
}

// tokens splits text into lower-cased runs of letters, digits and marks, as
// the full-text index does.
func tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r)
	})
}

// shingles hashes every run of K tokens (FNV-1a, words separated by a
// space). A text of fewer than K tokens is one shingle of all of them.
func shingles(toks []string) []uint32 {
	if len(toks) == 0 {
		return nil
	}
	n := max(len(toks)-K+1, 1)
	out := make([]uint32, n)
	for i := range n {
		h := uint32(2166136261)
		for j := i; j < min(i+K, len(toks)); j++ {
			if j > i {
				h = (h ^ ' ') * 16777619
			}
			for k := 0; k < len(toks[j]); k++ {
				h = (h ^ uint32(toks[j][k])) * 16777619
			}
		}
		out[i] = h
	}
	return out
}

// fingerprints winnows hashes: the smallest of every W in a row (the
// rightmost of equals), each chosen position once.
func fingerprints(hs []uint32) []uint32 {
	if len(hs) <= W {
		if len(hs) == 0 {
			return nil
		}
		return []uint32{slices.Min(hs)}
	}
	var out []uint32
	last := -1
	for i := 0; i+W <= len(hs); i++ {
		m := i
		for j := i + 1; j < i+W; j++ {
			if hs[j] <= hs[m] {
				m = j
			}
		}
		if m != last {
			out = append(out, hs[m])
			last = m
		}
	}
	return out
}
