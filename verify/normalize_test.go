package verify

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "already plain text", "already plain text"},
		{"lower-case", "Vice President VANCE", "vice president vance"},
		{"lower-case non-ASCII", "ÉLYSÉE Ärger ΣΟΦΙΑ", "élysée ärger σοφια"},
		{"curly single quotes", "‘Vance’s’ ‚low‛", "'vance's' 'low'"},
		{"curly double quotes", "“strategic” „partnership‟", `"strategic" "partnership"`},
		{"guillemets and primes", "«paix» ‹x› 5′ 10″", `"paix" 'x' 5' 10"`},
		{"acute as apostrophe", "don´t", "don't"},
		{"dashes", "a‐b a‑b a‒b a–b a—b a―b −1", "a-b a-b a-b a-b a-b a-b -1"},
		{"ellipsis", "wait…", "wait..."},
		{"no-break and other spaces", "a\u00a0b\u2009c\u202fd\u3000e\u2003f", "a b c d e f"},
		{"collapse and trim", " \t a \n\n b\r\n\tc  ", "a b c"},
		{"line and paragraph separators", "a\u2028b\u2029c\u0085d", "a b c d"},
		{"zero-width removed", "stra\u200btegic\u200c \ufeffpart\u2060ner\u00adship", "strategic partnership"},
		{"bidirectional marks removed", "\u200eabc\u200f \u202adef\u202c \u2066g\u2069", "abc def g"},
		{"controls removed", "a\x00b\x07c\x7fd\u0080e", "abcde"},
		{"space before invisible", "a \u200b b", "a b"},
		{"emoji untouched", "📸Vance 🇺🇸🇺🇸 👍🏽 ❤️ 1️⃣", "📸vance 🇺🇸🇺🇸 👍🏽 ❤️ 1️⃣"},
		{"ZWJ sequence kept", "👩\u200d💻 👨\u200d👩\u200d👧", "👩\u200d💻 👨\u200d👩\u200d👧"},
		{"ZWJ kept after skin tone and VS16", "👩🏽\u200d🚀 🏳\ufe0f\u200d🌈", "👩🏽\u200d🚀 🏳\ufe0f\u200d🌈"},
		{"ZWJ outside emoji removed", "a\u200db 👩\u200d \u200d💻", "ab 👩 💻"},
		{"tag sequence kept", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"},
		{"stray tags removed", "a\U000E0067b", "ab"},
		{"compose acute", "Cafe\u0301", "café"},
		{"compose two marks in order", "e\u0323\u0302 A\u030a\u0301", "ệ ǻ"},
		{"uncomposable mark kept", "x\u0301", "x\u0301"},
		{"compose after case folding", "J\u030c", "ǰ"},
		{"Hangul jamo", "\u1112\u1161\u11ab\u1100\u1173\u11af", "한글"},
		{"singletons", "\u2126 \u212a \u212b \u1f71", "ω k å ά"},
		{"ligatures", "ﬁnal ﬂow eﬀort oﬃce ﬄuent ﬅ ﬆ", "final flow effort office ffluent st st"},
		{"fullwidth ASCII", "ＶＰ（２０２６）", "vp(2026)"},
		{"URL lower-cased too", "https://t.co/AEfulNuR0q", "https://t.co/aefulnur0q"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"han untouched", "副总统 万斯", "副总统 万斯"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize is not idempotent: Normalize(%q) = %q", got, again)
			}
		})
	}
}

func TestNormalizeTypographyOnlyDifferencesMatch(t *testing.T) {
	pairs := [][2]string{
		{"The “123 Agreement” — it’s done…", `the "123 agreement" - it's done...`},
		{"Vance’s recent visits", "Vance's  recent\nvisits"},
		{"long\u2011time adversaries", "long-time adversaries"},
		{"Cafe\u0301 Noir", "CAFÉ NOIR"},
	}
	for _, p := range pairs {
		if a, b := Normalize(p[0]), Normalize(p[1]); a != b {
			t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q; want them equal", p[0], a, p[1], b)
		}
	}
}

func TestCompositionTablesSorted(t *testing.T) {
	for i := 1; i < len(compositions); i++ {
		p, c := compositions[i-1], compositions[i]
		if p.mark > c.mark || (p.mark == c.mark && p.base >= c.base) {
			t.Fatalf("compositions not sorted at %d: %+v then %+v", i, p, c)
		}
	}
	for i := 1; i < len(singletons); i++ {
		if singletons[i-1].from >= singletons[i].from {
			t.Fatalf("singletons not sorted at %d", i)
		}
	}
	for _, c := range compositions {
		if got, ok := compose(c.base, c.mark); !ok || got != c.composed {
			t.Errorf("compose(%U, %U) = %U, %v; want %U", c.base, c.mark, got, ok, c.composed)
		}
	}
}

func TestWords(t *testing.T) {
	type tok struct {
		text string
		kind Kind
	}
	w := func(text string) tok { return tok{text, KindWord} }
	p := func(text string) tok { return tok{text, KindPunct} }
	tests := []struct {
		name string
		in   string
		want []tok
	}{
		{"empty", "", nil},
		{"only space and invisibles", " \u00a0\u200b\t\n", nil},
		{"words and punctuation", "Baku, Azerbaijan.", []tok{w("Baku"), p(","), w("Azerbaijan"), p(".")}},
		{"apostrophes inside words", "Vance’s don't rock’n’roll ʼokina", []tok{w("Vance’s"), w("don't"), w("rock’n’roll"), w("ʼokina")}},
		{"apostrophes as quotes", "‘teachers’ 'x'", []tok{p("‘"), w("teachers"), p("’"), p("'"), w("x"), p("'")}},
		{"numbers", "$9 billion, 1,000.5 and 2026.", []tok{p("$"), w("9"), w("billion"), p(","), w("1,000.5"), w("and"), w("2026"), p(".")}},
		{"hyphen splits", "long-time", []tok{w("long"), p("-"), w("time")}},
		{"ellipsis and dots", "so… then... .", []tok{w("so"), p("…"), w("then"), p("..."), p(".")}},
		{"invisible inside word", "Stra\u00adtegic Part\u200bnership\u200b", []tok{w("Stra\u00adtegic"), w("Part\u200bnership")}},
		{"URL with scheme", "see https://t.co/AEfulNuR0q.", []tok{w("see"), {"https://t.co/AEfulNuR0q", KindURL}, p(".")}},
		{"bare domain with path", "remarks pic.twitter.com/AEfulNuR0q", []tok{w("remarks"), {"pic.twitter.com/AEfulNuR0q", KindURL}}},
		{"www URL in parentheses", "(www.whitehouse.gov)", []tok{p("("), {"www.whitehouse.gov", KindURL}, p(")")}},
		{"URL keeps balanced parentheses", "https://en.wikipedia.org/wiki/Baku_(city), ok", []tok{{"https://en.wikipedia.org/wiki/Baku_(city)", KindURL}, p(","), w("ok")}},
		{"URL ends at curly quote", "“https://x.com/VP/status/1”", []tok{p("“"), {"https://x.com/VP/status/1", KindURL}, p("”")}},
		{"URL in brackets", "[http://x.com/a[1]] www.", []tok{p("["), {"http://x.com/a[1]", KindURL}, p("]"), w("www"), p(".")}},
		{"keycap without variation selector", "5\u20e3 five", []tok{{"5\u20e3", KindEmoji}, w("five")}},
		{"two invisibles inside a word", "a\u200b\u200cb", []tok{w("a\u200b\u200cb")}},
		{"combining mark on punctuation", "!\u0301 x", []tok{p("!\u0301"), w("x")}},
		{"scheme alone is no URL", "https://", []tok{w("https"), p(":"), p("/"), p("/")}},
		{"dotted words are no URL", "U.S./Azerbaijan e.g.", []tok{w("U"), p("."), w("S"), p("."), p("/"), w("Azerbaijan"), w("e"), p("."), w("g"), p(".")}},
		{"handles", ".@VP and @VPPressSec’s, @user@mastodon.social", []tok{p("."), {"@VP", KindHandle}, w("and"), {"@VPPressSec", KindHandle}, p("’"), w("s"), p(","), {"@user@mastodon.social", KindHandle}}},
		{"e-mail is no handle", "press@vp.gov", []tok{w("press"), p("@"), w("vp"), p("."), w("gov")}},
		{"lone at sign", "@ home", []tok{p("@"), w("home")}},
		{"hashtags", "#Baku #TRIPP2025 a#b #", []tok{{"#Baku", KindTag}, {"#TRIPP2025", KindTag}, w("a"), p("#"), w("b"), p("#")}},
		{"emoji", "📸Vice 🇺🇸🇺🇸 👍🏽!", []tok{{"📸", KindEmoji}, w("Vice"), {"🇺🇸", KindEmoji}, {"🇺🇸", KindEmoji}, {"👍🏽", KindEmoji}, p("!")}},
		{"emoji sequences", "👩\u200d💻 ❤️ 1️⃣ #️⃣ 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", []tok{{"👩\u200d💻", KindEmoji}, {"❤️", KindEmoji}, {"1️⃣", KindEmoji}, {"#️⃣", KindEmoji}, {"🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", KindEmoji}}},
		{"dangling ZWJ is not part of the emoji", "👩\u200d x", []tok{{"👩", KindEmoji}, w("x")}},
		{"CJK one character per word", "副总统JD", []tok{w("副"), w("总"), w("统"), w("JD")}},
		{"combining marks stay in the word", "Cafe\u0301 \u0301x", []tok{w("Cafe\u0301"), w("\u0301x")}},
		{"invalid UTF-8", "a\xffb", []tok{w("a"), p("\xff"), w("b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words := Words(tt.in)
			var got []tok
			for _, w := range words {
				got = append(got, tok{w.Text, w.Kind})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Words(%q)\n got %v\nwant %v", tt.in, got, tt.want)
			}
			checkWords(t, tt.in, words)
		})
	}
}

func TestWordsNorm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Vance’s", "vance's"},
		{"“", `"`},
		{"—", "-"},
		{"…", "..."},
		{"@VP", "@vp"},
		{"#Baku", "#baku"},
		{"HTTPS://T.CO/AEfulNuR0q", "https://t.co/AEfulNuR0q"},
		{"Pic.Twitter.com/AEfulNuR0q?S=20#Top", "pic.twitter.com/AEfulNuR0q?S=20#Top"},
		{"Stra\u00adtegic", "strategic"},
		{"Cafe\u0301", "café"},
		{"📸", "📸"},
	}
	for _, tt := range tests {
		words := Words(tt.in)
		if len(words) != 1 || words[0].Norm != tt.want {
			t.Errorf("Words(%q) = %+v, want one word with Norm %q", tt.in, words, tt.want)
		}
	}
}

func TestWordsTypographicVariantsTokeniseAlike(t *testing.T) {
	pairs := [][2]string{
		{"“Vance’s visit…” — done", `"Vance's visit..." - done`},
		{"long‑time\u00a0adversaries", "long-time adversaries"},
		{"ﬁnal CAFÉ", "final cafe\u0301"},
	}
	for _, p := range pairs {
		a, b := norms(Words(p[0])), norms(Words(p[1]))
		if !slices.Equal(a, b) {
			t.Errorf("Words(%q) norms %q, Words(%q) norms %q; want equal", p[0], a, p[1], b)
		}
	}
}

func norms(words []Word) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.Norm
	}
	return out
}

// checkWords checks the invariants of Words(s): tokens in order, each the slice of s at its offsets,
// each with a non-empty Norm, and only white space and invisible characters between them.
func checkWords(t *testing.T, s string, words []Word) {
	t.Helper()
	pos := 0
	for _, w := range words {
		if w.Start < pos || w.End <= w.Start || w.End > len(s) {
			t.Fatalf("Words(%q): token %+v out of order or out of range (previous end %d)", s, w, pos)
		}
		if s[w.Start:w.End] != w.Text {
			t.Errorf("Words(%q): s[%d:%d] = %q, Text %q", s, w.Start, w.End, s[w.Start:w.End], w.Text)
		}
		if w.Norm == "" {
			t.Errorf("Words(%q): token %+v has an empty Norm", s, w)
		}
		if w.Kind != KindURL && w.Norm != Normalize(w.Text) {
			t.Errorf("Words(%q): token %+v: Norm is not Normalize(Text) = %q", s, w, Normalize(w.Text))
		}
		checkGap(t, s, s[pos:w.Start])
		pos = w.End
	}
	checkGap(t, s, s[pos:])
}

func checkGap(t *testing.T, s, gap string) {
	t.Helper()
	for _, r := range gap {
		if !unicode.IsSpace(r) && !isInvisible(r) {
			t.Errorf("Words(%q): %q between tokens", s, gap)
			return
		}
	}
	if !utf8.ValidString(gap) {
		t.Errorf("Words(%q): invalid UTF-8 %q between tokens", s, gap)
	}
}

func TestKindString(t *testing.T) {
	var names []string
	for k := KindWord; k <= KindPunct+1; k++ {
		names = append(names, k.String())
	}
	if got, want := strings.Join(names, " "), "word url handle tag emoji punct kind(6)"; got != want {
		t.Errorf("kind names = %q, want %q", got, want)
	}
}
