package compare

import (
	"hash/fnv"
	"strings"
	"unicode"
)

// shingleF1 returns the F1 score of the 4-word shingles of the two texts: twice the number of
// shingles they have in common (as multisets) over the number of shingles in both.
func shingleF1(a, b []string) float64 {
	sa, sb := shingles(a), shingles(b)
	if len(sa)+len(sb) == 0 {
		return 1
	}
	count := make(map[uint64]int, len(sa))
	for _, h := range sa {
		count[h]++
	}
	common := 0
	for _, h := range sb {
		if count[h] > 0 {
			count[h]--
			common++
		}
	}
	return float64(2*common) / float64(len(sa)+len(sb))
}

// shingles returns the hashes of the 4-word shingles of the paragraphs taken as one text, or of
// the whole text if it has fewer than 4 words.
func shingles(paras []string) []uint64 {
	var toks []string
	for _, p := range paras {
		toks = append(toks, strings.FieldsFunc(strings.ToLower(p), func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_')
		})...)
	}
	if len(toks) == 0 {
		return nil
	}
	n := min(4, len(toks))
	out := make([]uint64, 0, len(toks)-n+1)
	for i := 0; i+n <= len(toks); i++ {
		h := fnv.New64a()
		for _, t := range toks[i : i+n] {
			h.Write([]byte(t))
			h.Write([]byte{0})
		}
		out = append(out, h.Sum64())
	}
	return out
}
