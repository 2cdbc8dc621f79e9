package verify

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The seed case: a post of @VP of 2026-02-10 as posted, and as a republished article embedded it,
// with the attribution line moved into the middle and the link rewritten.
const (
	seedOriginal = "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n\n" +
		"The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 https://t.co/AEfulNuR0q"
	seedCopy = "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n" +
		"— Vice President JD Vance (@VP) February 10, 2026\n" +
		"The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 pic.twitter.com/AEfulNuR0q"
)

func eq(a, b string) Edit { return Edit{Op: Equal, A: a, B: b} }
func del(a string) Edit   { return Edit{Op: Delete, A: a} }
func ins(b string) Edit   { return Edit{Op: Insert, B: b} }

func TestDiffWords(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []Edit
		text string // RenderText of the edits
	}{
		{
			name: "identical",
			a:    "The two signed a Charter.", b: "The two signed a Charter.",
			want: []Edit{eq("The two signed a Charter.", "The two signed a Charter.")},
			text: "The two signed a Charter.",
		},
		{
			name: "one word changed",
			a:    "the quick brown fox", b: "the slow brown fox",
			want: []Edit{eq("the ", "the "), del("quick"), ins("slow"), eq(" brown fox", " brown fox")},
			text: "the [-quick-]{+slow+} brown fox",
		},
		{
			name: "insertion at start",
			a:    "quick brown fox", b: "The quick brown fox",
			want: []Edit{ins("The"), eq("quick brown fox", " quick brown fox")},
			text: "{+The+} quick brown fox",
		},
		{
			name: "insertion at end",
			a:    "one two three", b: "one two three four.",
			want: []Edit{eq("one two three", "one two three "), ins("four.")},
			text: "one two three {+four.+}",
		},
		{
			name: "insertion in the middle",
			a:    "Hello world", b: "Hello, world",
			want: []Edit{eq("Hello ", "Hello"), ins(","), eq("world", " world")},
			text: "Hello{+,+} world",
		},
		{
			name: "deletion in the middle",
			a:    "the quick brown fox", b: "the brown fox",
			want: []Edit{eq("the ", "the "), del("quick"), eq(" brown fox", "brown fox")},
			text: "the [-quick-] brown fox",
		},
		{
			name: "deletion at start and end",
			a:    "Oh, the brown fox, really", b: "the brown fox",
			want: []Edit{del("Oh,"), eq(" the brown fox", "the brown fox"), del(", really")},
			text: "[-Oh,-] the brown fox[-, really-]",
		},
		{
			name: "reordered sentences",
			a:    "The two signed a charter. They held meetings. Both delivered remarks.",
			b:    "They held meetings. The two signed a charter. Both delivered remarks.",
			want: []Edit{
				ins("They held meetings."),
				eq("The two signed a charter. ", " The two signed a charter. "),
				del("They held meetings."),
				eq(" Both delivered remarks.", "Both delivered remarks."),
			},
			text: "{+They held meetings.+} The two signed a charter. [-They held meetings.-] Both delivered remarks.",
		},
		{
			name: "typography only is equal",
			a:    "“Vance’s visit…” — a long\u2011time ally\u00a0of CAFÉ",
			b:    "\"vance's  visit...\" - a long-time ally\nof cafe\u0301",
			want: []Edit{eq("“Vance’s visit…” — a long\u2011time ally\u00a0of CAFÉ", "\"vance's  visit...\" - a long-time ally\nof cafe\u0301")},
			text: "\"vance's  visit...\" - a long-time ally\nof cafe\u0301",
		},
		{
			name: "links are compared by their path as written",
			a:    "see https://t.co/AEfulNuR0q", b: "see HTTPS://T.CO/AEfulNuR0q and https://t.co/aefulnur0q",
			want: []Edit{eq("see https://t.co/AEfulNuR0q", "see HTTPS://T.CO/AEfulNuR0q "), ins("and https://t.co/aefulnur0q")},
			text: "see HTTPS://T.CO/AEfulNuR0q {+and https://t.co/aefulnur0q+}",
		},
		{
			name: "two separate replacements",
			a:    "a b c d e", b: "a X c Y e",
			want: []Edit{eq("a ", "a "), del("b"), ins("X"), eq(" c ", " c "), del("d"), ins("Y"), eq(" e", " e")},
			text: "a [-b-]{+X+} c [-d-]{+Y+} e",
		},
		{
			name: "stray common words do not cut up a replacement",
			a:    "He said the plan failed.", b: "She thinks the idea works.",
			want: []Edit{del("He said the plan failed"), ins("She thinks the idea works"), eq(".", ".")},
			text: "[-He said the plan failed-]{+She thinks the idea works+}.",
		},
		{
			name: "an ambiguous insertion is put at a sentence boundary",
			a:    "I like cats. I like dogs.", b: "I like cats. I like birds. I like dogs.",
			want: []Edit{eq("I like cats. ", "I like cats. "), ins("I like birds."), eq("I like dogs.", " I like dogs.")},
			text: "I like cats. {+I like birds.+} I like dogs.",
		},
		{
			name: "an ambiguous deletion is put at a line break",
			a:    "Yes. Thanks. Thanks.\nBye", b: "Yes. Thanks.\nBye",
			want: []Edit{eq("Yes. Thanks. ", "Yes. Thanks.\n"), del("Thanks."), eq("\nBye", "Bye")},
			text: "Yes. Thanks. [-Thanks.-]\nBye",
		},
		{
			name: "both empty",
			a:    "", b: "",
			want: nil,
		},
		{
			name: "a empty",
			a:    "", b: "new text",
			want: []Edit{ins("new text")},
			text: "{+new text+}",
		},
		{
			name: "b empty",
			a:    " old text\n", b: "",
			want: []Edit{del(" old text\n")},
			text: "[-old text-]",
		},
		{
			name: "white space only",
			a:    " \n", b: "\t",
			want: []Edit{eq(" \n", "\t")},
			text: "\t",
		},
		{
			name: "text against white space",
			a:    "x", b: " ",
			want: []Edit{eq("", " "), del("x")},
			text: " [-x-]",
		},
		{
			name: "white space against text",
			a:    "  ", b: "x",
			want: []Edit{eq("  ", ""), ins("x")},
			text: "{+x+}",
		},
		{
			name: "seed case",
			a:    seedOriginal, b: seedCopy,
			want: []Edit{
				eq("📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n\n",
					"📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n"),
				ins("— Vice President JD Vance (@VP) February 10, 2026"),
				eq("The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 ",
					"\nThe two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 "),
				del("https://t.co/AEfulNuR0q"),
				ins("pic.twitter.com/AEfulNuR0q"),
			},
			text: "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n" +
				"{+— Vice President JD Vance (@VP) February 10, 2026+}\n" +
				"The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 " +
				"[-https://t.co/AEfulNuR0q-]{+pic.twitter.com/AEfulNuR0q+}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiffWords(tt.a, tt.b)
			if !slices.Equal(got, tt.want) {
				t.Errorf("DiffWords(%q, %q)\n got %q\nwant %q", tt.a, tt.b, got, tt.want)
			}
			checkEdits(t, tt.a, tt.b, got)
			if text := RenderText(got); text != tt.text {
				t.Errorf("RenderText = %q, want %q", text, tt.text)
			}
		})
	}
}

// checkEdits checks the invariants of DiffWords(a, b): the edits rebuild a and b exactly, no two
// neighbours share an Op, an Insert never directly precedes a Delete, each token of a and b lies
// within one edit, a change has tokens on its side only, and the two sides of an Equal have the same
// tokens.
func checkEdits(t *testing.T, a, b string, edits []Edit) {
	t.Helper()
	if a == "" && b == "" && edits != nil {
		t.Errorf("DiffWords of two empty texts = %q, want nil", edits)
	}
	wa, wb := Words(a), Words(b)
	var ra, rb strings.Builder
	nextA, nextB := 0, 0
	for i, e := range edits {
		na := tokensIn(t, wa, &nextA, ra.Len(), ra.Len()+len(e.A))
		nb := tokensIn(t, wb, &nextB, rb.Len(), rb.Len()+len(e.B))
		ra.WriteString(e.A)
		rb.WriteString(e.B)
		if i > 0 {
			prev := edits[i-1]
			if prev.Op == e.Op {
				t.Errorf("edits %d and %d are both %v: %q", i-1, i, e.Op, edits)
			}
			if prev.Op == Insert && e.Op == Delete {
				t.Errorf("edit %d: Insert followed by Delete: %q", i, edits)
			}
		}
		switch e.Op {
		case Equal:
			if !slices.Equal(na, nb) {
				t.Errorf("edit %d: Equal with different tokens %q and %q", i, na, nb)
			}
		case Delete:
			if e.B != "" || len(na) == 0 {
				t.Errorf("edit %d: bad Delete %q", i, e)
			}
		case Insert:
			if e.A != "" || len(nb) == 0 {
				t.Errorf("edit %d: bad Insert %q", i, e)
			}
		default:
			t.Errorf("edit %d: bad Op %v", i, e.Op)
		}
	}
	if nextA != len(wa) || nextB != len(wb) {
		t.Errorf("edits hold %d of %d tokens of a and %d of %d of b", nextA, len(wa), nextB, len(wb))
	}
	if ra.String() != a {
		t.Errorf("the A sides rebuild %q, want %q", ra.String(), a)
	}
	if rb.String() != b {
		t.Errorf("the B sides rebuild %q, want %q", rb.String(), b)
	}
}

// tokensIn returns the norms of the tokens in text[start:end], the first of which is words[*next],
// advances *next past them, and reports tokens that cross either end.
func tokensIn(t *testing.T, words []Word, next *int, start, end int) []string {
	t.Helper()
	var out []string
	for ; *next < len(words) && words[*next].Start < end; *next++ {
		w := words[*next]
		if w.Start < start || w.End > end {
			t.Errorf("token %q at [%d, %d) crosses the edge of an edit at [%d, %d)", w.Text, w.Start, w.End, start, end)
		}
		out = append(out, w.Norm)
	}
	return out
}

// TestDiffWordsReconstructs diffs many random pairs of related texts, made from words, punctuation,
// emoji, links and odd spacing in several typographic variants, and checks every invariant.
func TestDiffWordsReconstructs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{
		"the", "The", "THE", "a", "of", "Vance", "Vance’s", "Vance's", "Baku", "Azerbaijan", ",", ".", "…", "...",
		"—", "-", "–", "“", "”", "\"", "'", "📸", "🇺🇸", "👩\u200d💻", "@VP", "#Baku", "https://t.co/AEfulNuR0q",
		"pic.twitter.com/AEfulNuR0q", "1,000", "2026", "café", "cafe\u0301", "副", "stra\u00adtegic", "(", ")",
	}
	spaces := []string{" ", " ", " ", "", "\n", "\n\n", "\u00a0", "  ", "\t", "\u200b"}
	gen := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = pieces[r.IntN(len(pieces))] + spaces[r.IntN(len(spaces))]
		}
		return out
	}
	iterations := 3000
	if testing.Short() {
		iterations = 300
	}
	for range iterations {
		base := gen(r.IntN(40))
		other := slices.Clone(base)
		for range r.IntN(8) {
			switch i := r.IntN(len(other) + 1); r.IntN(4) {
			case 0:
				other = slices.Insert(other, i, gen(1+r.IntN(4))...)
			case 1:
				if i < len(other) {
					other = slices.Delete(other, i, min(len(other), i+1+r.IntN(4)))
				}
			case 2:
				if i < len(other) {
					other[i] = gen(1)[0]
				}
			case 3: // move a run
				if i < len(other) {
					j := min(len(other), i+1+r.IntN(6))
					run := slices.Clone(other[i:j])
					other = slices.Delete(other, i, j)
					k := r.IntN(len(other) + 1)
					other = slices.Insert(other, k, run...)
				}
			}
		}
		a, b := strings.Join(base, ""), strings.Join(other, "")
		edits := DiffWords(a, b)
		checkEdits(t, a, b, edits)
		if t.Failed() {
			t.Fatalf("DiffWords(%q, %q) = %q", a, b, edits)
		}
	}
}

// TestDiffWordsMinimal checks on small random inputs, where no common run is folded away, that the
// diff keeps as many tokens as a longest common subsequence has.
func TestDiffWordsMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	gen := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a' + r.IntN(4)))
		}
		return out
	}
	for range 2000 {
		x, y := gen(r.IntN(30)), gen(r.IntN(30))
		ia, ib := make([]int32, len(x)), make([]int32, len(y))
		for i, s := range x {
			ia[i] = int32(s[0])
		}
		for i, s := range y {
			ib[i] = int32(s[0])
		}
		d := &differ{a: ia, b: ib, ids: 128, work: 1 << 20, coarse: 1 << 20}
		d.diff(0, len(ia), 0, len(ib))
		kept := 0
		for _, bl := range d.out {
			if bl.eq {
				kept += bl.a1 - bl.a0
			}
		}
		if want := lcsLength(x, y); kept != want {
			t.Fatalf("diff of %q and %q keeps %d tokens, a longest common subsequence has %d", x, y, kept, want)
		}
		// The bisection (used for larger inputs) must agree with dynamic programming.
		if len(ia) > 0 && len(ib) > 0 && ia[0] != ib[0] && ia[len(ia)-1] != ib[len(ib)-1] {
			d := &differ{a: ia, b: ib, ids: 128, work: 1 << 20, coarse: 1 << 20}
			x0, y0, ok := d.bisect(0, len(ia), 0, len(ib), 1<<20)
			if !ok {
				t.Fatalf("bisect(%q, %q) gave up", x, y)
			}
			d.diff(0, x0, 0, y0)
			d.diff(x0, len(ia), y0, len(ib))
			kept := 0
			for _, bl := range d.out {
				if bl.eq {
					kept += bl.a1 - bl.a0
				}
			}
			if want := lcsLength(x, y); kept != want {
				t.Fatalf("bisect of %q and %q at (%d, %d) keeps %d tokens, want %d", x, y, x0, y0, kept, want)
			}
		}
		a, b := strings.Join(x, " "), strings.Join(y, " ")
		checkEdits(t, a, b, DiffWords(a, b))
	}
}

// TestDifferStrategies checks each way of comparing token runs on random runs long enough for it:
// Myers' search and Hunt–Szymanski find a longest common subsequence, splitting at unique tokens
// and giving up yield valid blocks.
func TestDifferStrategies(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	gen := func(n, alphabet int) []int32 {
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(r.IntN(alphabet))
		}
		return out
	}
	for iter := range 200 {
		alphabet := []int{2, 5, 30, 300}[iter%4]
		ia := gen(50+r.IntN(400), alphabet)
		ib := slices.Clone(ia)
		for range r.IntN(len(ib)) { // from nearly equal to unrelated
			ib[r.IntN(len(ib))] = int32(r.IntN(alphabet))
		}
		ib = append(ib[:r.IntN(len(ib))], gen(r.IntN(100), alphabet)...)
		want := lcsLength(ia, ib)
		run := func(name string, strategy func(d *differ), exact bool) {
			d := &differ{a: ia, b: ib, ids: alphabet, work: 1 << 30, coarse: 1 << 30}
			strategy(d)
			kept := checkBlocks(t, name, d.out, ia, ib)
			if exact && kept != want {
				t.Fatalf("%s keeps %d tokens, a longest common subsequence has %d (%v against %v)", name, kept, want, ia, ib)
			}
		}
		run("diff", func(d *differ) { d.diff(0, len(ia), 0, len(ib)) }, true)
		run("bisect", func(d *differ) {
			var rec func(a0, a1, b0, b1 int)
			rec = func(a0, a1, b0, b1 int) {
				for a0 < a1 && b0 < b1 && ia[a0] == ib[b0] {
					d.emit(true, a0, a0+1, b0, b0+1)
					a0, b0 = a0+1, b0+1
				}
				s := 0
				for a1-s > a0 && b1-s > b0 && ia[a1-s-1] == ib[b1-s-1] {
					s++
				}
				if a0 == a1-s || b0 == b1-s {
					d.emit(false, a0, a1-s, b0, b1-s)
				} else {
					x, y, ok := d.bisect(a0, a1-s, b0, b1-s, 1<<30)
					if !ok || (x == a0 && y == b0) || (x == a1-s && y == b1-s) {
						t.Fatalf("bisect(%d, %d, %d, %d) = %d, %d, %v", a0, a1-s, b0, b1-s, x, y, ok)
					}
					rec(a0, x, b0, y)
					rec(x, a1-s, y, b1-s)
				}
				d.emit(true, a1-s, a1, b1-s, b1)
			}
			rec(0, len(ia), 0, len(ib))
		}, true)
		run("hunt", func(d *differ) { d.hunt(0, 0, d.matches(0, len(ia), 0, len(ib))) }, true)
		run("anchor", func(d *differ) {
			if !d.anchor(0, len(ia), 0, len(ib)) {
				d.emit(false, 0, len(ia), 0, len(ib))
			}
		}, false)
		run("diff without budget", func(d *differ) {
			d.work, d.coarse = 0, 0
			d.diff(0, len(ia), 0, len(ib))
		}, false)
		run("diff with a small budget", func(d *differ) {
			d.work, d.coarse = 2000, 200
			d.diff(0, len(ia), 0, len(ib))
		}, false)
	}
}

// checkBlocks checks that blocks cover a and b in order without gaps, alternate between equal runs
// and changes, and pair equal tokens in equal runs; it returns the number of tokens kept.
func checkBlocks(t *testing.T, name string, blocks []block, a, b []int32) int {
	t.Helper()
	ai, bi, kept := 0, 0, 0
	for k, bl := range blocks {
		if bl.a0 != ai || bl.b0 != bi || bl.a1 < bl.a0 || bl.b1 < bl.b0 || (bl.a0 == bl.a1 && bl.b0 == bl.b1) {
			t.Fatalf("%s: block %d %+v does not follow (%d, %d) or is empty", name, k, bl, ai, bi)
		}
		if k > 0 && blocks[k-1].eq == bl.eq {
			t.Fatalf("%s: blocks %d and %d of the same kind", name, k-1, k)
		}
		if bl.eq {
			if !slices.Equal(a[bl.a0:bl.a1], b[bl.b0:bl.b1]) {
				t.Fatalf("%s: equal block %+v pairs different tokens", name, bl)
			}
			kept += bl.a1 - bl.a0
		}
		ai, bi = bl.a1, bl.b1
	}
	if ai != len(a) || bi != len(b) {
		t.Fatalf("%s: blocks end at (%d, %d), want (%d, %d)", name, ai, bi, len(a), len(b))
	}
	return kept
}

// lcsLength returns the length of a longest common subsequence of x and y.
func lcsLength[T comparable](x, y []T) int {
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for i := range x {
		for j := range y {
			if x[i] == y[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}

func TestDiffWordsLargeInputsAreBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	vocab := genVocab(r, 5000)
	big := genArticle(r, vocab, 100_000)
	tiny := genVocab(r, 8)
	randomTiny := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = tiny[r.IntN(len(tiny))]
		}
		return strings.Join(w, " ")
	}
	tests := []struct {
		name     string
		a, b     string
		minKept  float64 // share of a's bytes in Equal edits
		maxDelay time.Duration
	}{
		{"100000 words, 1% changed", join(big), join(mutate(r, vocab, big, 0.01)), 0.95, 20 * time.Second},
		{"quote in 100000 words", join(big[60_000:60_080]), join(big), 0.99, 20 * time.Second},
		{"100000 words of 8 distinct", randomTiny(100_000), randomTiny(100_000), 0, 20 * time.Second},
		{"100000 words unrelated", join(big), join(genArticle(r, vocab, 100_000)), 0, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("large input")
			}
			start := time.Now()
			edits := DiffWords(tt.a, tt.b)
			if took := time.Since(start); took > tt.maxDelay {
				t.Errorf("DiffWords took %v, want at most %v", took, tt.maxDelay)
			}
			checkEdits(t, tt.a, tt.b, edits)
			if kept := keptShare(edits); kept < tt.minKept {
				t.Errorf("%.3f of a kept, want at least %.3f", kept, tt.minKept)
			}
		})
	}
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"  ", "\n", 1},
		{"word", "", 0},
		{"the quick brown fox", "the quick brown fox", 1},
		{"“Don’t” — stop…", `"don't" - STOP...`, 1},
		{"the quick brown fox", "the slow brown fox", 0.75},
		{"the quick brown fox", "the brown fox", 6.0 / 7},
		{"alpha beta", "gamma delta", 0},
		{seedOriginal, seedOriginal, 1},
	}
	for _, tt := range tests {
		if got := Similarity(tt.a, tt.b); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("Similarity(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if s := Similarity(seedOriginal, seedCopy); s < 0.8 || s >= 1 {
		t.Errorf("Similarity of the seed post and its copy = %v, want in [0.8, 1)", s)
	}
}

func TestRenderHTML(t *testing.T) {
	edits := DiffWords(`Say “hi” & <b>wave</b>`, `Say "hi" & <script>alert('x')</script>`)
	got := RenderHTML(edits)
	want := `Say &#34;hi&#34; &amp; &lt;<del>b</del><ins>script</ins>&gt;<del>wave</del><ins>alert(&#39;x&#39;)</ins>&lt;/<del>b</del><ins>script</ins>&gt;`
	if got != want {
		t.Errorf("RenderHTML = %q, want %q", got, want)
	}
	if strings.ContainsAny(got, `"'`) || strings.Contains(got, "<script") {
		t.Errorf("RenderHTML let markup through: %q", got)
	}
	// Every piece is escaped, whatever its Op.
	got = RenderHTML([]Edit{eq("<a>", "<b>"), del("<i>"), ins("<script>x</script>"), eq(" &", " &")})
	if want := "&lt;b&gt;<del>&lt;i&gt;</del><ins>&lt;script&gt;x&lt;/script&gt;</ins> &amp;"; got != want {
		t.Errorf("RenderHTML = %q, want %q", got, want)
	}
	if got := RenderHTML(nil); got != "" {
		t.Errorf("RenderHTML(nil) = %q, want empty", got)
	}
}

func TestRenderTextSeedCase(t *testing.T) {
	got := RenderHTML(DiffWords(seedOriginal, seedCopy))
	for _, want := range []string{
		"<ins>— Vice President JD Vance (@VP) February 10, 2026</ins>",
		"<del>https://t.co/AEfulNuR0q</del><ins>pic.twitter.com/AEfulNuR0q</ins>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("RenderHTML of the seed case = %q, want it to contain %q", got, want)
		}
	}
}

func TestOpJSON(t *testing.T) {
	edits := []Edit{eq("a ", "a "), del("b"), ins("c")}
	data, err := json.Marshal(edits)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"op":"equal","a":"a ","b":"a "},{"op":"delete","a":"b"},{"op":"insert","b":"c"}]`; string(data) != want {
		t.Errorf("json = %s, want %s", data, want)
	}
	var back []Edit
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, edits) {
		t.Errorf("round trip = %q, want %q", back, edits)
	}
	if err := json.Unmarshal([]byte(`[{"op":"replace"}]`), &back); err == nil {
		t.Error("unknown op decoded without error")
	}
	if _, err := json.Marshal(Edit{Op: 7}); err == nil {
		t.Error("invalid op encoded without error")
	}
	for op, want := range map[Op]string{Equal: "equal", Insert: "insert", Delete: "delete", Op(7): "Op(7)"} {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", int(op), got, want)
		}
	}
}
