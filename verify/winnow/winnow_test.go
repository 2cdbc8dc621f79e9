package winnow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestCandidates(t *testing.T) {
	var b Builder
	b.Add(10, "Today we signed a Charter on Strategic Partnership with Azerbaijan.")
	b.Add(20, "The Vice President met President Aliyev in Baku to sign the charter and talk trade.")
	b.Add(30, "Leaders here and in Armenia chose peace where there had been war.")
	b.Add(30, "Leaders here and in Armenia, together with @POTUS, chose peace where there had been war.") // a later version
	b.Add(40, "שלום לכולם — peace to all from Baku 🇦🇿")
	ix := b.Build()
	if ix.Len() != 4 {
		t.Fatalf("Len %d, want 4 (two versions are one document)", ix.Len())
	}
	for _, tc := range []struct {
		quote string
		want  int64
	}{
		{"signed a Charter on Strategic Partnership", 10},
		{"we signed a Treaty on Strategic Partnership with Azerbaijan", 10}, // one word changed
		{"MET PRESIDENT ALIYEV in Baku", 20},
		{"together with @POTUS, chose peace where there", 30},
		{"שלום לכולם — peace to all from", 40}, // six words: the guarantee
	} {
		keys, counts := ix.Candidates(tc.quote, 3)
		if len(keys) == 0 || keys[0] != tc.want || counts[0] == 0 {
			t.Errorf("%q: candidates %v %v, want %d first", tc.quote, keys, counts, tc.want)
		}
	}
	for _, q := range []string{"", "   ", "nothing of the kind at all here"} {
		if keys, _ := ix.Candidates(q, 3); len(keys) != 0 {
			t.Errorf("%q: candidates %v, want none", q, keys)
		}
	}
	if keys, _ := ix.Candidates("signed a Charter", 0); len(keys) != 0 {
		t.Errorf("limit 0 gave %v", keys)
	}
}

// TestSharedRunIsAlwaysFound checks the winnowing guarantee on random
// texts: a quotation that shares any W+K-1 words in a row with a text finds
// that text among its candidates.
func TestSharedRunIsAlwaysFound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 300)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%d", i)
	}
	text := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = vocab[r.IntN(len(vocab))]
		}
		return out
	}
	var b Builder
	docs := make([][]string, 2000)
	for i := range docs {
		docs[i] = text(10 + r.IntN(40))
		b.Add(int64(i), strings.Join(docs[i], " "))
	}
	ix := b.Build()
	for range 500 {
		d := r.IntN(len(docs))
		doc := docs[d]
		run := W + K - 1
		start := r.IntN(len(doc) - run + 1)
		// The shared run between words that are in no text.
		quote := append(append([]string{"xa", "xb"}, doc[start:start+run]...), "xc", "xd")
		keys, _ := ix.Candidates(strings.Join(quote, " "), len(docs))
		if !slices.Contains(keys, int64(d)) {
			t.Fatalf("document %d not found by the run %v", d, doc[start:start+run])
		}
	}
}

func TestFingerprintsAreAFraction(t *testing.T) {
	words := strings.Fields(strings.Repeat("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu ", 20))
	hs := shingles(words)
	fp := fingerprints(hs)
	if len(fp) == 0 || len(fp) > len(hs)/2 {
		t.Errorf("%d fingerprints of %d shingles", len(fp), len(hs))
	}
}

func FuzzCandidates(f *testing.F) {
	f.Add("Today we signed a Charter", "signed a Charter")
	f.Add("", "x")
	f.Add("a b", "a b c d e f g")
	f.Fuzz(func(t *testing.T, text, quote string) {
		var b Builder
		b.Add(1, text)
		ix := b.Build()
		keys, counts := ix.Candidates(quote, 5)
		if len(keys) != len(counts) || len(keys) > 1 {
			t.Fatalf("keys %v counts %v", keys, counts)
		}
		// The text quoted whole is always found.
		if len(tokens(text)) > 0 {
			if keys, _ := ix.Candidates(text, 1); len(keys) != 1 {
				t.Fatalf("%q not found by itself", text)
			}
		}
	})
}
