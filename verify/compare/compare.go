// Package compare compares a republished article with its original, paragraph by paragraph and
// sentence by sentence, and says what the republisher added, removed, altered or moved.
//
// Both articles are given as paragraphs (as extract.Article.Paragraphs has them). Each paragraph
// is split into sentences, and sentences are compared by their normalised tokens (verify.Words,
// verify.Normalize), so differences of typography, case and spacing alone never count as
// alterations. Sentences are aligned in three passes:
//
//  1. identical sentences, in order: a longest common subsequence of the two sentence lists;
//  2. between two such anchors, similar sentences in order (verify.Similarity of at least
//     Options.MinSimilarity): altered;
//  3. what is left: the same sentence elsewhere (or a very similar one, at least 0.8) is moved;
//     anything else is removed (original only) or added (republished only).
//
// Because sentences are aligned across paragraph boundaries, a paragraph the republisher split in
// two, or merged with its neighbour, keeping the same sentences, is not a content change: it is
// reported as a change of kind KindSplit or KindMerged that never sets Result.Altered. A sentence
// inserted into a paragraph is KindAdded.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no package-level
// mutable state.
package compare

import (
	"sort"
	"strings"

	"github.com/verbatim-archive/verbatim/verify"
)

// Kinds of Change. Added, removed, altered and moved changes alter content (Result.Altered);
// typographic, split and merged changes do not.
const (
	// KindAdded is text only the republished article has: a paragraph, or sentences inserted
	// into a paragraph that is otherwise there.
	KindAdded = "added"
	// KindRemoved is text only the original has.
	KindRemoved = "removed"
	// KindAltered is a sentence (or a run of neighbouring sentences) that the republished
	// article has in changed words at the same place; Diff holds the word diff.
	KindAltered = "altered"
	// KindMoved is text both have, but out of order. If its words differ too, Diff holds the word
	// diff.
	KindMoved = "moved"
	// KindTypographic is text that differs only in typography, case or spacing: curly against
	// straight quotes, dashes, ellipses, white space, invisible characters.
	KindTypographic = "typographic"
	// KindSplit is an original paragraph whose sentences the republished article spreads over
	// more paragraphs (or over as many, with the boundaries elsewhere).
	KindSplit = "split"
	// KindMerged is a republished paragraph that joins sentences of several original paragraphs.
	KindMerged = "merged"
)

// Kinds of Row besides those of Change.
const (
	// RowEqual is a pair of paragraphs with the same text.
	RowEqual = "equal"
	// RowChanged is a group of aligned paragraphs with content changes inside: sentences added,
	// removed, altered or moved.
	RowChanged = "changed"
	// RowIgnored is a paragraph with nothing left to compare once the Ignore texts and white
	// space are removed.
	RowIgnored = "ignored"
)

// DefaultMinSimilarity is the similarity from which two sentences at the same place count as one
// altered sentence rather than one removed and one added.
const DefaultMinSimilarity = 0.6

// moveSimilarity is the similarity from which two sentences at different places count as one
// moved sentence.
const moveSimilarity = 0.8

// Options configure Compare. The zero value is ready to use.
type Options struct {
	// Ignore lists texts to drop from both articles before they are compared: typically the
	// texts of the posts the articles embed (embeds.Embed.Text) and their attribution lines
	// ("— Name (@handle) February 10, 2026"), which are checked against the archive on their own
	// and would otherwise show up as noise. Texts are matched on normalised tokens, wherever they
	// occur, also across paragraphs; each line of a text with line breaks is also dropped on its
	// own (a line of fewer than 3 tokens only where it is a whole paragraph), so an embed whose
	// attribution line was moved inside it is still dropped. A paragraph left empty shows as a
	// row of kind RowIgnored and is in no change.
	Ignore []string
	// MinSimilarity is the verify.Similarity from which two sentences at the same place count as
	// one altered sentence; 0 means DefaultMinSimilarity.
	MinSimilarity float64
}

// Change is one difference between the articles.
type Change struct {
	// Kind is KindAdded, KindRemoved, KindAltered, KindMoved, KindTypographic, KindSplit or
	// KindMerged.
	Kind string `json:"kind"`
	// Original and Republished are the text on each side: a whole paragraph where the change
	// covers one, else the sentences concerned; "" for the side an addition or removal lacks.
	// For a split or merge they are the paragraphs involved, joined by a blank line.
	Original    string `json:"original,omitempty"`
	Republished string `json:"republished,omitempty"`
	// Diff is the word diff of Original against Republished (verify.DiffWords), for altered
	// changes and for moved ones whose words changed too.
	Diff []verify.Edit `json:"diff,omitempty"`
	// OriginalIndex and RepublishedIndex are the indexes of the paragraphs the text is in (the
	// first, for a split or merge), or -1 for the side without text.
	OriginalIndex    int `json:"original_index"`
	RepublishedIndex int `json:"republished_index"`
}

// Row is one line of a side-by-side view: paragraphs of the original aligned with paragraphs of
// the republished article. Every paragraph of each article is in exactly one row, and rows are in
// the order of both articles.
type Row struct {
	// Kind is RowEqual, KindTypographic, KindSplit, KindMerged or RowChanged for rows with
	// paragraphs on both sides; KindAdded, KindRemoved or KindMoved for rows with paragraphs on
	// one side (all of them new, gone, or found elsewhere); or RowIgnored.
	Kind string `json:"kind"`
	// Original and Republished are the indexes of the row's paragraphs on each side, ascending
	// and consecutive; either may be empty.
	Original    []int `json:"original,omitempty"`
	Republished []int `json:"republished,omitempty"`
	// OriginalText and RepublishedText are those paragraphs, once the Ignore texts are dropped,
	// joined by a blank line.
	OriginalText    string `json:"original_text,omitempty"`
	RepublishedText string `json:"republished_text,omitempty"`
	// Diff is the word diff of OriginalText against RepublishedText, for rows with text on both
	// sides that are not RowEqual.
	Diff []verify.Edit `json:"diff,omitempty"`
}

// Result is what Compare found.
type Result struct {
	// Similarity is the F1 score of the 4-word shingles of the two articles (tokens are runs of
	// letters, digits, marks and underscores, lower-cased; the Ignore texts are dropped first):
	// 1 for the same words in the same order, 0 for nothing in common. Two articles without any
	// word have similarity 1; texts of fewer than 4 words are one shingle each.
	Similarity float64 `json:"similarity"`
	// Changes are the differences, in the order of Rows.
	Changes []Change `json:"changes"`
	// Counts is the number of changes of each kind present.
	Counts map[string]int `json:"counts"`
	// Altered reports whether any content was added, removed, altered or moved.
	Altered bool `json:"altered"`
	// Rows align the paragraphs of both articles, for a side-by-side view.
	Rows []Row `json:"rows"`
}

// sentence is one sentence of an article.
type sentence struct {
	para int    // index of its paragraph
	text string // as written, trimmed
	key  string // its tokens' norms joined by spaces
	bag  []int32
}

// doc is one article, split into sentences.
type doc struct {
	paras []string // after Ignore
	sents []sentence
	first []int // first sentence of each paragraph; first[len(paras)] == len(sents)
}

// match kinds of a sentence.
const (
	unmatched = iota
	equal
	typographic
	altered
	moved
)

// Compare compares the paragraphs of a republished article with those of its original.
func Compare(original, republished []string, opts Options) Result {
	thr := opts.MinSimilarity
	if thr <= 0 {
		thr = DefaultMinSimilarity
	}
	dict := map[string]int32{}
	a := newDoc(dropIgnored(original, opts.Ignore), dict)
	b := newDoc(dropIgnored(republished, opts.Ignore), dict)
	al := align(a, b, thr)
	res := Result{
		Similarity: shingleF1(a.paras, b.paras),
		Counts:     map[string]int{},
	}
	res.Rows = al.rows()
	res.Changes = al.changes(res.Rows)
	for _, c := range res.Changes {
		res.Counts[c.Kind]++
		switch c.Kind {
		case KindAdded, KindRemoved, KindAltered, KindMoved:
			res.Altered = true
		}
	}
	return res
}

func newDoc(paras []string, dict map[string]int32) *doc {
	d := &doc{paras: paras, first: make([]int, len(paras)+1)}
	for p, text := range paras {
		d.first[p] = len(d.sents)
		for _, s := range splitSentences(text) {
			toks := norms(s)
			if len(toks) == 0 {
				continue
			}
			bag := make([]int32, len(toks))
			for i, t := range toks {
				id, ok := dict[t]
				if !ok {
					id = int32(len(dict))
					dict[t] = id
				}
				bag[i] = id
			}
			sort.Slice(bag, func(i, j int) bool { return bag[i] < bag[j] })
			d.sents = append(d.sents, sentence{para: p, text: s, key: strings.Join(toks, " "), bag: bag})
		}
	}
	d.first[len(paras)] = len(d.sents)
	return d
}

// text returns the text of sentences [i, j), which are in one paragraph: the paragraph's
// text if they are all of it.
func (d *doc) text(i, j int) string {
	p := d.sents[i].para
	if i == d.first[p] && j == d.first[p+1] {
		return d.paras[p]
	}
	parts := make([]string, 0, j-i)
	for _, s := range d.sents[i:j] {
		parts = append(parts, s.text)
	}
	return strings.Join(parts, " ")
}

// alignment is how the sentences of two articles correspond.
type alignment struct {
	a, b   *doc
	ma, mb []int // the matched sentence on the other side, or -1
	kind   []int // match kind of each sentence of a
	kindB  []int // match kind of each sentence of b
}

// bound returns an upper bound of verify.Similarity of two sentences: the share of tokens their
// bags have in common.
func bound(x, y []int32) float64 {
	common := 0
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i] == y[j]:
			common++
			i++
			j++
		case x[i] < y[j]:
			i++
		default:
			j++
		}
	}
	return float64(2*common) / float64(len(x)+len(y))
}

func similarity(x, y *sentence, thr float64) float64 {
	if bound(x.bag, y.bag) < thr {
		return 0
	}
	if s := verify.Similarity(x.text, y.text); s >= thr {
		return s
	}
	return 0
}

func align(a, b *doc, thr float64) *alignment {
	al := &alignment{a: a, b: b,
		ma: make([]int, len(a.sents)), mb: make([]int, len(b.sents)),
		kind: make([]int, len(a.sents)), kindB: make([]int, len(b.sents)),
	}
	for i := range al.ma {
		al.ma[i] = -1
	}
	for j := range al.mb {
		al.mb[j] = -1
	}
	set := func(i, j, k int) {
		al.ma[i], al.mb[j], al.kind[i], al.kindB[j] = j, i, k, k
	}
	keysA := make([]string, len(a.sents))
	for i, s := range a.sents {
		keysA[i] = s.key
	}
	keysB := make([]string, len(b.sents))
	for j, s := range b.sents {
		keysB[j] = s.key
	}
	anchors := lcs(keysA, keysB)
	for _, p := range anchors {
		k := equal
		if a.sents[p[0]].text != b.sents[p[1]].text {
			k = typographic
		}
		set(p[0], p[1], k)
	}

	// Between anchors: similar sentences in order are altered. gapA and gapB number the gaps so
	// that the last pass can tell altered from moved.
	gapA := make([]int, len(a.sents))
	gapB := make([]int, len(b.sents))
	pa, pb := 0, 0
	for g := 0; g <= len(anchors); g++ {
		ea, eb := len(a.sents), len(b.sents)
		if g < len(anchors) {
			ea, eb = anchors[g][0], anchors[g][1]
		}
		for i := pa; i < ea; i++ {
			gapA[i] = g
		}
		for j := pb; j < eb; j++ {
			gapB[j] = g
		}
		n, m := ea-pa, eb-pb
		if n > 0 && m > 0 && n*m <= maxSimilarCells {
			for _, p := range alignSimilar(n, m, func(i, j int) float64 {
				return similarity(&a.sents[pa+i], &b.sents[pb+j], thr)
			}) {
				set(pa+p[0], pb+p[1], altered)
			}
		}
		pa, pb = ea+1, eb+1
	}

	// What is left: the same sentence elsewhere is moved.
	var restA, restB []int
	byKey := map[string][]int{}
	for i := range a.sents {
		if al.ma[i] < 0 {
			restA = append(restA, i)
			byKey[a.sents[i].key] = append(byKey[a.sents[i].key], i)
		}
	}
	for j := range b.sents {
		if al.mb[j] >= 0 {
			continue
		}
		if q := byKey[b.sents[j].key]; len(q) > 0 {
			byKey[b.sents[j].key] = q[1:]
			set(q[0], j, moved)
			continue
		}
		restB = append(restB, j)
	}
	// Then similar sentences: altered within the same gap (where that gap was too big to compare
	// all its sentences), moved when very similar across gaps.
	if len(restA)*len(restB) > 0 && len(restA)*len(restB) <= maxMoveCells {
		type cand struct {
			i, j int
			s    float64
		}
		var cands []cand
		for _, i := range restA {
			if al.ma[i] >= 0 {
				continue
			}
			for _, j := range restB {
				if s := similarity(&a.sents[i], &b.sents[j], thr); s > 0 && (gapA[i] == gapB[j] || s >= moveSimilarity) {
					cands = append(cands, cand{i, j, s})
				}
			}
		}
		sort.SliceStable(cands, func(x, y int) bool { return cands[x].s > cands[y].s })
		for _, c := range cands {
			if al.ma[c.i] >= 0 || al.mb[c.j] >= 0 {
				continue
			}
			k := moved
			if gapA[c.i] == gapB[c.j] {
				k = altered
			}
			set(c.i, c.j, k)
		}
	}
	return al
}
