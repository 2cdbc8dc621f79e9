package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// words splits s into lower-cased runs of letters, combining marks and digits; everything else
// (spaces, punctuation, symbols, emoji) separates words.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	})
}

// wordIndex answers whether a paragraph's words occur in a text: it holds the text's n-word
// windows, and the text itself for phrases shorter than n words.
type wordIndex struct {
	n      int
	grams  map[string]bool
	joined string // " w1 w2 … " of every paragraph, paragraphs separated by "|"
}

func newWordIndex(paragraphs []string, n int) wordIndex {
	ix := wordIndex{n: n, grams: make(map[string]bool)}
	var b strings.Builder
	b.WriteString(" ")
	for _, p := range paragraphs {
		w := words(p)
		for i := 0; i+n <= len(w); i++ {
			ix.grams[strings.Join(w[i:i+n], " ")] = true
		}
		b.WriteString(strings.Join(w, " "))
		b.WriteString(" | ")
	}
	ix.joined = b.String()
	return ix
}

// support is the share of p's n-word windows found in the index; a paragraph shorter than n words
// has support 1 if it occurs in the text as a phrase, else 0. A paragraph without words has
// support 1.
func (ix wordIndex) support(p string) float64 {
	w := words(p)
	switch {
	case len(w) == 0:
		return 1
	case len(w) < ix.n:
		if strings.Contains(ix.joined, " "+strings.Join(w, " ")+" ") {
			return 1
		}
		return 0
	}
	total, found := 0, 0
	for i := 0; i+ix.n <= len(w); i++ {
		total++
		if ix.grams[strings.Join(w[i:i+ix.n], " ")] {
			found++
		}
	}
	return float64(found) / float64(total)
}

// agree keeps the paragraphs of primary that second also found. If that would drop more than
// 1-minKeep of primary's text, the two extractors disagree about where the article is, and
// primary is returned unchanged.
func agree(primary, second []string, minKeep float64) []string {
	if len(primary) == 0 {
		return second
	}
	if len(second) == 0 {
		return primary
	}
	ix := newWordIndex(second, 3)
	var kept []string
	keptLen, allLen := 0, 0
	for _, p := range primary {
		l := utf8.RuneCountInString(p)
		allLen += l
		if ix.support(p) >= 0.5 {
			kept = append(kept, p)
			keptLen += l
		}
	}
	if float64(keptLen) < minKeep*float64(allLen) {
		return primary
	}
	return kept
}

// dropTitle removes a paragraph among the first two that repeats one of the titles: extractors
// often keep the headline as the start of the body.
func dropTitle(paragraphs []string, titles ...string) []string {
	for i := 0; i < len(paragraphs) && i < 2; i++ {
		k := key(paragraphs[i])
		for _, t := range titles {
			if t = key(t); t != "" && k == t {
				return append(paragraphs[:i:i], paragraphs[i+1:]...)
			}
		}
	}
	return paragraphs
}
