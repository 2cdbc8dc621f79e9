package verify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = [][2]string{
	{"", ""},
	{"the quick brown fox", "the slow brown fox"},
	{seedOriginal, seedCopy},
	{"“Vance’s visit…” — done", `"Vance's visit..." - done`},
	{"a@b #c @d e.g. https://t.co/x).", "(https://t.co/x) @d@e.social #c"},
	{"👩\u200d💻 🇺🇸🇺🇸 1️⃣ 🏴\U000E0067\U000E0062\U000E007F", "👩 💻 🇺🇸 #️⃣"},
	{"stra\u00adtegic \u200b x\xff", "strategic\u00a0x\ufffd"},
	{"Cafe\u0301 \u1100\u1161 副总统", "café 가 副 总 统"},
	{"a b a b a b a", "b a b a b"},
	{"  \n", "\t"},
}

func FuzzDiffWords(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		edits := DiffWords(a, b)
		checkEdits(t, a, b, edits)
		if sim := Similarity(a, b); sim < 0 || sim > 1 {
			t.Errorf("Similarity(%q, %q) = %v, want within [0, 1]", a, b, sim)
		}
		if a == b && len(edits) > 1 {
			t.Errorf("DiffWords(%q, itself) = %q, want at most one Equal", a, edits)
		}
		RenderText(edits)
		if h := RenderHTML(edits); strings.ContainsAny(h, `<>"'`) && !validHTMLMarkup(h) {
			t.Errorf("RenderHTML(%q) = %q lets markup through", edits, h)
		}
	})
}

// validHTMLMarkup reports whether every tag in h is one RenderHTML writes.
func validHTMLMarkup(h string) bool {
	for _, tag := range []string{"<del>", "</del>", "<ins>", "</ins>"} {
		h = strings.ReplaceAll(h, tag, "")
	}
	return !strings.ContainsAny(h, `<>"'`)
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0])
		f.Add(s[1])
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Errorf("Normalize(%q) = %q, but Normalize of that = %q", s, n, again)
		}
		if !utf8.ValidString(n) {
			t.Errorf("Normalize(%q) = %q, invalid UTF-8", s, n)
		}
		if strings.TrimSpace(n) != n || strings.Contains(n, "  ") {
			t.Errorf("Normalize(%q) = %q, white space not collapsed", s, n)
		}
	})
}

func FuzzWords(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0])
		f.Add(s[1])
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkWords(t, s, Words(s))
	})
}
