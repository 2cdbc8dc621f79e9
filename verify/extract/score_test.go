package extract

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// This file is the metric of the Zyte article-extraction benchmark
// (github.com/scrapinghub/article-extraction-benchmark, evaluate.py), re-implemented exactly:
//
//   - tokens are the matches of Python's re `\w+` with re.UNICODE: runs of letters (L*), numbers
//     (N*) and underscores. Case is kept: the IGNORECASE flag does not change what findall
//     returns, so "The" and "the" are different tokens. Combining marks are not \w in Python, so
//     they split tokens, here too;
//   - shingles are the 4-token windows; a text with fewer than 4 tokens (but at least one) is a
//     single shorter shingle;
//   - per page, over the multiset of shingles: TP = Σ min(true, pred), FP = Σ max(0, pred−true),
//     FN = Σ max(0, true−pred), then all three divided by TP+FP+FN so every page weighs the same;
//   - precision is the mean, over pages with TP+FP > 0, of TP/(TP+FP) (1 if FP = FN = 0); recall
//     the mean, over pages with TP+FN > 0, of TP/(TP+FN) (1 if FP = FN = 0); F1 is the harmonic
//     mean of those two means, not a mean of per-page F1s. A page where the extractor returns
//     nothing therefore lowers recall but not precision;
//   - accuracy is the share of pages whose token lists are identical;
//   - the ± figures are the standard deviation over 1000 bootstrap resamples of the pages (here
//     with a fixed seed, so runs are reproducible).

// tokenize returns the \w+ tokens of s, as Python's re module finds them.
func tokenize(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if isWord(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// isWord reports whether r matches Python's \w in Unicode mode: str.isalnum() or '_'.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// shingles counts the n-token windows of tokens.
func shingles(tokens []string, n int) map[string]int {
	m := make(map[string]int)
	for i := 0; i < max(1, len(tokens)-n+1); i++ {
		w := tokens[i:min(i+n, len(tokens))]
		if len(w) == 0 {
			continue
		}
		m[strings.Join(w, "\x00")]++
	}
	return m
}

// counts is one page's normalised TP, FP and FN.
type counts struct{ tp, fp, fn float64 }

// shingleMatch is evaluate.py's string_shingle_matching with ngram_n = 4.
func shingleMatch(truth, pred string) counts {
	ts := shingles(tokenize(truth), 4)
	ps := shingles(tokenize(pred), 4)
	var c counts
	for k, tc := range ts {
		pc := ps[k]
		c.tp += float64(min(tc, pc))
		c.fn += float64(max(0, tc-pc))
	}
	for k, pc := range ps {
		c.fp += float64(max(0, pc-ts[k]))
	}
	if s := c.tp + c.fp + c.fn; s > 0 {
		c.tp, c.fp, c.fn = c.tp/s, c.fp/s, c.fn/s
	}
	return c
}

func precisionScore(c counts) float64 {
	switch {
	case c.fp == 0 && c.fn == 0:
		return 1
	case c.tp == 0 && c.fp == 0:
		return 0
	}
	return c.tp / (c.tp + c.fp)
}

func recallScore(c counts) float64 {
	switch {
	case c.fp == 0 && c.fn == 0:
		return 1
	case c.tp == 0 && c.fn == 0:
		return 0
	}
	return c.tp / (c.tp + c.fn)
}

// prf is evaluate.py's metrics_from_tp_fp_fns.
type prf struct{ precision, recall, f1 float64 }

func metrics(pages []counts) prf {
	var ps, rs []float64
	for _, c := range pages {
		if c.tp+c.fp > 0 {
			ps = append(ps, precisionScore(c))
		}
		if c.tp+c.fn > 0 {
			rs = append(rs, recallScore(c))
		}
	}
	var m prf
	m.precision, m.recall = mean(ps), mean(rs)
	m.f1 = 2 * m.precision * m.recall / (m.precision + m.recall)
	return m
}

// bootstrapStd returns the standard deviation of precision, recall and F1 over n resamples of
// pages, drawn with a fixed seed.
func bootstrapStd(pages []counts, n int) prf {
	r := rand.New(rand.NewPCG(1, 2))
	var ps, rs, fs []float64
	sample := make([]counts, len(pages))
	for range n {
		for i := range sample {
			sample[i] = pages[r.IntN(len(pages))]
		}
		m := metrics(sample)
		ps, rs, fs = append(ps, m.precision), append(rs, m.recall), append(fs, m.f1)
	}
	return prf{stdev(ps), stdev(rs), stdev(fs)}
}

// accuracy is evaluate.py's get_accuracy: 1 if the token lists are equal.
func accuracy(truth, pred string) float64 {
	if slices.Equal(tokenize(truth), tokenize(pred)) {
		return 1
	}
	return 0
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN() // Python's statistics.mean raises here
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// stdev is the sample standard deviation, as Python's statistics.stdev.
func stdev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := mean(xs)
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello, World!", []string{"Hello", "World"}},
		{"snake_case and CamelCase 42x", []string{"snake_case", "and", "CamelCase", "42x"}},
		{"don't — stop", []string{"don", "t", "stop"}},
		{"Привет, мир", []string{"Привет", "мир"}},
		{"مرحبا بالعالم", []string{"مرحبا", "بالعالم"}},
		{"emoji 🇺🇦 and ½ ²", []string{"emoji", "and", "½", "²"}},
		{"नमस्ते", []string{"नमस", "त"}}, // Python: virama and vowel signs (Mn/Mc) are not \w
		{"東京都", []string{"東京都"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tokenize(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestShingleMatch(t *testing.T) {
	tests := []struct {
		name        string
		truth, pred string
		want        counts
	}{
		{"identical", "a b c d e", "a b c d e", counts{1, 0, 0}},
		{"both empty", "", "", counts{0, 0, 0}},
		{"empty prediction", "a b c d e", "", counts{0, 0, 1}},
		{"empty truth", "", "a b c d", counts{0, 1, 0}},
		// truth shingles: abcd bcde; pred: abcd bcdx → tp 1, fp 1, fn 1
		{"one changed word", "a b c d e", "a b c d x", counts{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		// fewer than four tokens: one short shingle each
		{"short equal", "a b", "a b", counts{1, 0, 0}},
		{"short differs", "a b", "a c", counts{0, 0.5, 0.5}},
		// repeated shingles count as a multiset: truth has "a a a a" twice, pred once
		{"multiset", "a a a a a", "a a a a", counts{0.5, 0, 0.5}},
		{"case kept", "The cat sat down", "the cat sat down", counts{0, 0.5, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shingleMatch(tt.truth, tt.pred)
			if math.Abs(got.tp-tt.want.tp) > 1e-12 || math.Abs(got.fp-tt.want.fp) > 1e-12 || math.Abs(got.fn-tt.want.fn) > 1e-12 {
				t.Errorf("shingleMatch(%q, %q) = %+v, want %+v", tt.truth, tt.pred, got, tt.want)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	pages := []counts{
		{1, 0, 0},             // perfect: P 1, R 1
		{0, 0, 1},             // nothing extracted: counts for recall (0) only
		{0.5, 0.25, 0.25},     // P 2/3, R 2/3
		{0.5, 0.5, 0},         // P 0.5, R 1
		{0, 0, 0},             // empty truth and prediction: in neither mean
		{0.25, 0.0, 0.75},     // P 1, R 0.25
		{0.0, 1.0, 0.0},       // only junk: P 0, not in recall
		{1.0 / 3, 0, 2.0 / 3}, // P 1, R 1/3
	}
	got := metrics(pages)
	wantP := (1 + 2.0/3 + 0.5 + 1 + 0 + 1) / 6
	wantR := (1 + 0 + 2.0/3 + 1 + 0.25 + 1.0/3) / 6
	wantF := 2 * wantP * wantR / (wantP + wantR)
	if math.Abs(got.precision-wantP) > 1e-12 || math.Abs(got.recall-wantR) > 1e-12 || math.Abs(got.f1-wantF) > 1e-12 {
		t.Errorf("metrics = %+v, want {%v %v %v}", got, wantP, wantR, wantF)
	}
}
