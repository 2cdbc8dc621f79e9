package verify

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// syllables make up the words of generated texts.
var syllables = strings.Fields("ba ku ve ri ta com pa ny str at e gic part ner ship sign ed char ter pre si dent al i yev mo del ar me ni a do nald tr ump ener gy se cu ri ty tra de route peace")

// genVocab returns n distinct made-up words.
func genVocab(r *rand.Rand, n int) []string {
	seen := make(map[string]bool, n)
	vocab := make([]string, 0, n)
	for len(vocab) < n {
		var sb strings.Builder
		for k := 1 + r.IntN(3); k > 0; k-- {
			sb.WriteString(syllables[r.IntN(len(syllables))])
		}
		if w := sb.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	return vocab
}

// genArticle returns words words of prose-like text: Zipf-distributed words from vocab, in sentences
// of 8 to 30 words with commas, and paragraphs of 3 to 7 sentences.
func genArticle(r *rand.Rand, vocab []string, words int) []string {
	zipf := rand.NewZipf(r, 1.2, 2, uint64(len(vocab)-1))
	out := make([]string, 0, words)
	sentence, paragraph := 0, 0
	for len(out) < words {
		w := vocab[zipf.Uint64()]
		if sentence == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
			sentence = 8 + r.IntN(23)
		}
		sentence--
		switch {
		case sentence == 0:
			w += "."
			if paragraph--; paragraph <= 0 {
				w += "\n\n"
				paragraph = 3 + r.IntN(5)
			}
		case r.IntN(12) == 0:
			w += ","
		}
		out = append(out, w)
	}
	return out
}

// mutate returns words with about rate of them replaced, deleted, or preceded by an inserted word.
func mutate(r *rand.Rand, vocab, words []string, rate float64) []string {
	out := make([]string, 0, len(words)+len(words)/10)
	for _, w := range words {
		if r.Float64() >= rate {
			out = append(out, w)
			continue
		}
		switch r.IntN(3) {
		case 0:
			out = append(out, vocab[r.IntN(len(vocab))])
		case 1:
		case 2:
			out = append(out, vocab[r.IntN(len(vocab))], w)
		}
	}
	return out
}

func join(words []string) string {
	return strings.ReplaceAll(strings.Join(words, " "), "\n ", "\n")
}

func BenchmarkDiffWords(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := genVocab(r, 5000)
	article := genArticle(r, vocab, 2000)
	big := genArticle(r, vocab, 100_000)
	small := genVocab(r, 8)
	randomSmall := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = small[r.IntN(len(small))]
		}
		return strings.Join(w, " ")
	}
	cases := []struct{ name, a, b string }{
		{"article-2000w-5pct", join(article), join(mutate(r, vocab, article, 0.05))},
		{"article-2000w-rewritten", join(article), join(genArticle(r, vocab, 2000))},
		{"book-100000w-1pct", join(big), join(mutate(r, vocab, big, 0.01))},
		{"quote-50w-in-100000w", join(mutate(r, vocab, big[50_000:50_050], 0.05)), join(big)},
		{"pathological-100000w-8-word-vocab", randomSmall(100_000), randomSmall(100_000)},
		{"pathological-100000w-unrelated", join(big), join(genArticle(r, vocab, 100_000))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.a) + len(c.b)))
			b.ReportAllocs()
			var kept float64
			for b.Loop() {
				kept = keptShare(DiffWords(c.a, c.b))
			}
			b.ReportMetric(kept, "kept-of-a")
		})
	}
}

// keptShare returns the share of the bytes of a in Equal edits: how much of a the diff found in b.
func keptShare(edits []Edit) float64 {
	eq, all := 0, 0
	for _, e := range edits {
		if e.Op == Equal {
			eq += len(e.A)
		}
		all += len(e.A)
	}
	if all == 0 {
		return 1
	}
	return float64(eq) / float64(all)
}
