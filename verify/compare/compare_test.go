package compare

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/verbatim-archive/verbatim/verify"
)

var (
	p1 = "Vice President JD Vance visited Yerevan and Baku this week. The visits were more than a milestone."
	p2 = "In Armenia, the highlight was a civil nuclear agreement. It paves the way for U.S. companies to export technology."
	p3 = "Security cooperation also advanced. A sales agreement for drones signals a measured evolution in defense ties."
	p4 = "Challenges remain. Ratification requires political courage in both capitals."
	p5 = "The overall outlook is quite promising, says Dr. Aliyev of the institute."
)

// changeWant is a change a test expects: its kind and a piece of its text.
type changeWant struct {
	kind, text string
}

func TestCompare(t *testing.T) {
	base := []string{p1, p2, p3, p4, p5}
	tests := []struct {
		name        string
		orig, repub []string
		opts        Options
		altered     bool
		want        []changeWant // in order
		rows        []string     // row kinds, if given
		minSim      float64
		maxSim      float64
	}{
		{
			name: "identical", orig: base, repub: base,
			rows: []string{RowEqual, RowEqual, RowEqual, RowEqual, RowEqual}, minSim: 1, maxSim: 1,
		},
		{
			name:    "added at start and end",
			orig:    base,
			repub:   append(append([]string{"A new geopolitical chapter may be unfolding."}, base...), "Share on social media"),
			altered: true,
			want:    []changeWant{{KindAdded, "geopolitical chapter"}, {KindAdded, "Share on social media"}},
			rows:    []string{KindAdded, RowEqual, RowEqual, RowEqual, RowEqual, RowEqual, KindAdded},
			minSim:  0.8, maxSim: 0.99,
		},
		{
			name: "removed", orig: base, repub: []string{p1, p2, p4, p5}, altered: true,
			want: []changeWant{{KindRemoved, p3}},
			rows: []string{RowEqual, RowEqual, KindRemoved, RowEqual, RowEqual},
		},
		{
			name:    "altered by a word",
			orig:    base,
			repub:   []string{p1, p2, strings.Replace(p3, "measured", "bold", 1), p4, p5},
			altered: true,
			want:    []changeWant{{KindAltered, "[-measured-]{+bold+}"}},
			rows:    []string{RowEqual, RowEqual, RowChanged, RowEqual, RowEqual},
		},
		{
			name:    "sentence inserted into a paragraph",
			orig:    base,
			repub:   []string{p1, strings.Replace(p2, "agreement. It", "agreement. Critics were not convinced. It", 1), p3, p4, p5},
			altered: true,
			want:    []changeWant{{KindAdded, "Critics were not convinced."}},
			rows:    []string{RowEqual, RowChanged, RowEqual, RowEqual, RowEqual},
		},
		{
			name:   "paragraph split in two",
			orig:   base,
			repub:  []string{p1, "In Armenia, the highlight was a civil nuclear agreement.", "It paves the way for U.S. companies to export technology.", p3, p4, p5},
			want:   []changeWant{{KindSplit, "highlight"}},
			rows:   []string{RowEqual, KindSplit, RowEqual, RowEqual, RowEqual},
			minSim: 1, maxSim: 1,
		},
		{
			name:   "two paragraphs merged",
			orig:   base,
			repub:  []string{p1, p2, p3 + " " + p4, p5},
			want:   []changeWant{{KindMerged, "Challenges remain."}},
			rows:   []string{RowEqual, RowEqual, KindMerged, RowEqual},
			minSim: 1, maxSim: 1,
		},
		{
			name:    "reordered paragraphs",
			orig:    base,
			repub:   []string{p1, p2, p4, p5, p3},
			altered: true,
			want:    []changeWant{{KindMoved, p3}},
			rows:    []string{RowEqual, RowEqual, KindMoved, RowEqual, RowEqual, KindMoved},
		},
		{
			name:   "typography only",
			orig:   []string{"Vance’s visit — “historic” … they said.", "It costs $9 billion – roughly."},
			repub:  []string{`Vance's visit - "historic" ... they said.`, "It  costs $9 billion - roughly."},
			want:   []changeWant{{KindTypographic, "“historic”"}, {KindTypographic, "It  costs"}},
			rows:   []string{KindTypographic, KindTypographic},
			minSim: 1, maxSim: 1,
		},
		{
			name: "spacing between sentences only",
			orig: []string{"One sentence here. Another one there."}, repub: []string{"One sentence here.  Another one there."},
			want: []changeWant{{KindTypographic, "here.  Another"}},
			rows: []string{KindTypographic}, minSim: 1, maxSim: 1,
		},
		{
			name:    "right-to-left and emoji",
			orig:    []string{"שלום לכולם, זהו מאמר חשוב מאוד. הוא עוסק בשלום 🇺🇸🇺🇸", "مرحبا بالعالم، هذا نص عربي طويل. هل هو صحيح؟ نعم 👍🏽"},
			repub:   []string{"שלום לכולם, זהו מאמר חשוב ביותר. הוא עוסק בשלום 🇺🇸🇺🇸", "مرحبا بالعالم، هذا نص عربي طويل. هل هو صحيح؟ نعم 👍🏽"},
			altered: true,
			want:    []changeWant{{KindAltered, "[-מאוד-]{+ביותר+}"}},
			rows:    []string{RowChanged, RowEqual},
		},
		{
			name: "empty", orig: nil, repub: nil, minSim: 1, maxSim: 1,
		},
		{
			name: "empty original", orig: nil, repub: []string{p1}, altered: true,
			want: []changeWant{{KindAdded, p1}}, rows: []string{KindAdded},
		},
		{
			name: "blank paragraphs", orig: []string{"", p1, "  "}, repub: []string{p1, "\u200b"},
			rows: []string{RowIgnored, RowEqual, RowIgnored, RowIgnored}, minSim: 1, maxSim: 1,
		},
		{
			name: "embeds ignored",
			orig: []string{p1, p2},
			repub: []string{
				p1,
				"📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.",
				"— Vice President JD Vance (@VP) February 10, 2026",
				"The two signed a Charter on Strategic Partnership 🇺🇸🇺🇸 pic.twitter.com/AEfulNuR0q",
				p2 + " VP Vance in Azerbaijan: “Peace where there was war.” pic.twitter.com/eSKtDZ28eC — Vice President JD Vance (@VP) February 10, 2026",
			},
			opts: Options{Ignore: []string{
				"📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\nThe two signed a Charter on Strategic Partnership 🇺🇸🇺🇸 pic.twitter.com/AEfulNuR0q",
				"— Vice President JD Vance (@VP) February 10, 2026",
				"VP Vance in Azerbaijan:\n\"Peace where there was war.\" pic.twitter.com/eSKtDZ28eC",
			}},
			rows:   []string{RowEqual, RowIgnored, RowIgnored, RowIgnored, RowEqual},
			minSim: 1, maxSim: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(tt.orig, tt.repub, tt.opts)
			checkResult(t, tt.orig, tt.repub, got)
			if got.Altered != tt.altered {
				t.Errorf("Altered = %v, want %v", got.Altered, tt.altered)
			}
			if len(got.Changes) != len(tt.want) {
				t.Errorf("got %d changes, want %d", len(got.Changes), len(tt.want))
			}
			for i, w := range tt.want {
				if i >= len(got.Changes) {
					break
				}
				c := got.Changes[i]
				text := c.Original + "\n" + c.Republished + "\n" + verify.RenderText(c.Diff)
				if c.Kind != w.kind || !strings.Contains(text, w.text) {
					t.Errorf("change %d = %s %q, want %s containing %q", i, c.Kind, text, w.kind, w.text)
				}
				if c.Kind == KindAltered && len(c.Diff) == 0 {
					t.Errorf("change %d: altered without a diff", i)
				}
			}
			if tt.rows != nil {
				var kinds []string
				for _, r := range got.Rows {
					kinds = append(kinds, r.Kind)
				}
				if !slices.Equal(kinds, tt.rows) {
					t.Errorf("row kinds = %v, want %v", kinds, tt.rows)
				}
			}
			if tt.maxSim > 0 && (got.Similarity < tt.minSim || got.Similarity > tt.maxSim) {
				t.Errorf("Similarity = %v, want within [%v, %v]", got.Similarity, tt.minSim, tt.maxSim)
			}
			if t.Failed() {
				t.Log(got.Text())
			}
		})
	}
}

// checkResult checks what every result must satisfy: every paragraph of both sides is in exactly
// one row, rows are in order, every row that is not equal (or ignored) is accounted for by a
// change, and Counts and Altered agree with Changes.
func checkResult(t *testing.T, orig, repub []string, r Result) {
	t.Helper()
	if r.Similarity < 0 || r.Similarity > 1 {
		t.Errorf("Similarity = %v, want within [0, 1]", r.Similarity)
	}
	nextO, nextR := 0, 0
	for x, row := range r.Rows {
		for _, p := range row.Original {
			if p != nextO {
				t.Fatalf("row %d has original paragraph %d, want %d", x, p, nextO)
			}
			nextO++
		}
		for _, q := range row.Republished {
			if q != nextR {
				t.Fatalf("row %d has republished paragraph %d, want %d", x, q, nextR)
			}
			nextR++
		}
		if len(row.Original)+len(row.Republished) == 0 {
			t.Errorf("row %d is empty", x)
		}
		switch row.Kind {
		case RowEqual:
			if row.OriginalText != row.RepublishedText || len(row.Original) != 1 || len(row.Republished) != 1 {
				t.Errorf("equal row %d: %q against %q", x, row.OriginalText, row.RepublishedText)
			}
			continue
		case RowIgnored:
			continue
		}
		found := false
		for _, c := range r.Changes {
			if slices.Contains(row.Original, c.OriginalIndex) || slices.Contains(row.Republished, c.RepublishedIndex) {
				found = true
				if (row.Kind == KindSplit || row.Kind == KindMerged || row.Kind == KindTypographic) && c.Kind != row.Kind && c.Kind != KindTypographic {
					t.Errorf("row %d of kind %s has a change of kind %s", x, row.Kind, c.Kind)
				}
			}
		}
		if !found {
			t.Errorf("row %d of kind %s (%q | %q) has no change", x, row.Kind, row.OriginalText, row.RepublishedText)
		}
	}
	if nextO != len(orig) || nextR != len(repub) {
		t.Errorf("rows cover %d and %d paragraphs, want %d and %d", nextO, nextR, len(orig), len(repub))
	}
	counts := map[string]int{}
	altered := false
	for i, c := range r.Changes {
		counts[c.Kind]++
		switch c.Kind {
		case KindAdded, KindRemoved, KindAltered, KindMoved:
			altered = true
		case KindTypographic, KindSplit, KindMerged:
		default:
			t.Errorf("change %d has kind %q", i, c.Kind)
		}
		if c.OriginalIndex < -1 || c.OriginalIndex >= len(orig) || c.RepublishedIndex < -1 || c.RepublishedIndex >= len(repub) {
			t.Errorf("change %d has indexes %d, %d out of range", i, c.OriginalIndex, c.RepublishedIndex)
		}
		if (c.OriginalIndex < 0) != (c.Original == "") || (c.RepublishedIndex < 0) != (c.Republished == "") {
			t.Errorf("change %d: indexes %d, %d do not fit texts %q, %q", i, c.OriginalIndex, c.RepublishedIndex, c.Original, c.Republished)
		}
		if c.Kind == KindTypographic && verify.Similarity(c.Original, c.Republished) != 1 {
			t.Errorf("typographic change %d differs in words: %q, %q", i, c.Original, c.Republished)
		}
	}
	if !maps(counts, r.Counts) {
		t.Errorf("Counts = %v, want %v", r.Counts, counts)
	}
	if altered != r.Altered {
		t.Errorf("Altered = %v, want %v", r.Altered, altered)
	}
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"The U.S. and Dr. Aliyev met at 3.5 p.m. in St. Louis. Then left.", []string{"The U.S. and Dr. Aliyev met at 3.5 p.m. in St. Louis.", "Then left."}},
		{"J. D. Vance spoke. He said “Go.” Then silence… and more... Done.", []string{"J. D. Vance spoke.", "He said “Go.”", "Then silence… and more...", "Done."}},
		{"See pic.twitter.com/AEfulNuR0q. Next (really.) Yes", []string{"See pic.twitter.com/AEfulNuR0q.", "Next (really.)", "Yes"}},
		{"line one\nline two", []string{"line one", "line two"}},
		{"他来了。她走了！好吗？", []string{"他来了。", "她走了！", "好吗？"}},
		{"هل هو صحيح؟ نعم.", []string{"هل هو صحيح؟", "نعم."}},
		{"It was $9.5 billion. It grew.", []string{"It was $9.5 billion.", "It grew."}},
	}
	for _, tt := range tests {
		if got := splitSentences(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitSentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShingleF1(t *testing.T) {
	tests := []struct {
		a, b []string
		want float64
	}{
		{nil, nil, 1},
		{[]string{"a b c d"}, nil, 0},
		{[]string{"A b, c d e"}, []string{"a b c d e"}, 1},
		{[]string{"a b c d e"}, []string{"a b c d x"}, 0.5},
		{[]string{"a b"}, []string{"a b"}, 1},
		{[]string{"a b c"}, []string{"a b d"}, 0},
		{[]string{"שלום לכולם זהו מאמר"}, []string{"שלום לכולם זהו מאמר"}, 1},
	}
	for _, tt := range tests {
		if got := shingleF1(tt.a, tt.b); got != tt.want {
			t.Errorf("shingleF1(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLCS(t *testing.T) {
	a := strings.Fields("a b c d e f g")
	b := strings.Fields("x b c y e f z g")
	got := lcs(a, b)
	want := [][2]int{{1, 1}, {2, 2}, {4, 4}, {5, 5}, {6, 7}}
	if !slices.Equal(got, want) {
		t.Errorf("lcs = %v, want %v", got, want)
	}
}

// TestLCSLarge checks that runs too big for dynamic programming are split at unique keys.
func TestLCSLarge(t *testing.T) {
	n := 1500
	a := make([]string, n)
	b := make([]string, n)
	for i := range a {
		a[i] = fmt.Sprint("k", i)
		b[i] = fmt.Sprint("k", i)
	}
	a[0], b[n-1] = "start", "end" // no common prefix or suffix
	b[700] = "changed"
	got := lcs(a, b)
	if len(got) != n-3 {
		t.Errorf("lcs of %d keys found %d pairs, want %d", n, len(got), n-3)
	}
}

// genArticle returns paragraphs of about words words of made-up prose, and the sentences of each.
func genArticle(r *rand.Rand, words int) [][]string {
	syl := strings.Fields("ba ku ve ri ta com pa ny str at e gic part ner ship sign ed char ter pre si dent al i yev mo del ar me ni a")
	word := func() string {
		var sb strings.Builder
		for k := 1 + r.IntN(3); k > 0; k-- {
			sb.WriteString(syl[r.IntN(len(syl))])
		}
		return sb.String()
	}
	vocab := make([]string, 400)
	for i := range vocab {
		vocab[i] = word()
	}
	zipf := rand.NewZipf(r, 1.2, 2, uint64(len(vocab)-1))
	var paras [][]string
	for n := 0; n < words; {
		var para []string
		for s := 3 + r.IntN(5); s > 0 && n < words; s-- {
			k := 8 + r.IntN(23)
			ws := make([]string, k)
			for i := range ws {
				ws[i] = vocab[zipf.Uint64()]
				if i > 0 && i < k-1 && r.IntN(12) == 0 {
					ws[i] += ","
				}
			}
			ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
			para = append(para, strings.Join(ws, " ")+".")
			n += k
		}
		paras = append(paras, para)
	}
	return paras
}

func join(paras [][]string) []string {
	out := make([]string, len(paras))
	for i, p := range paras {
		out[i] = strings.Join(p, " ")
	}
	return out
}

// changedPair returns a 2,000-word article and a copy with 5% of its words replaced, and the
// number of sentences changed.
func changedPair(seed uint64) (orig, repub []string, changed int) {
	r := rand.New(rand.NewPCG(seed, 1))
	a := genArticle(r, 2000)
	b := make([][]string, len(a))
	for i := range a {
		b[i] = slices.Clone(a[i])
	}
	touched := map[[2]int]bool{}
	for n := 0; n < 100; n++ {
		p := r.IntN(len(b))
		s := r.IntN(len(b[p]))
		ws := strings.Fields(b[p][s])
		ws[1+r.IntN(len(ws)-2)] = fmt.Sprint("replaced", n)
		b[p][s] = strings.Join(ws, " ")
		touched[[2]int{p, s}] = true
	}
	return join(a), join(b), len(touched)
}

func TestCompare2000Words(t *testing.T) {
	orig, repub, changed := changedPair(7)
	got := Compare(orig, repub, Options{})
	checkResult(t, orig, repub, got)
	if !got.Altered {
		t.Error("Altered = false, want true")
	}
	for _, k := range []string{KindAdded, KindRemoved, KindMoved, KindSplit, KindMerged} {
		if got.Counts[k] != 0 {
			t.Errorf("Counts[%s] = %d, want 0", k, got.Counts[k])
		}
	}
	// Neighbouring altered sentences of a paragraph are one change.
	sentences := 0
	for _, c := range got.Changes {
		sentences += len(splitSentences(c.Republished))
		if len(c.Diff) == 0 {
			t.Errorf("altered change without diff: %q", c.Original)
		}
	}
	if sentences != changed {
		t.Errorf("altered changes cover %d sentences, want %d", sentences, changed)
	}
	if got.Similarity < 0.5 || got.Similarity > 0.9 {
		t.Errorf("Similarity = %v, want about 0.8", got.Similarity)
	}
	t.Logf("similarity %.3f, %d changes over %d sentences", got.Similarity, len(got.Changes), changed)
}

func TestRender(t *testing.T) {
	orig := []string{p1, "<script>alert(1)</script> & “quoted” text here.", p3, p4}
	repub := []string{"Framing added by <b>us</b>.", p1, "<script>alert(2)</script> & \"quoted\" text here.", p4, p3}
	r := Compare(orig, repub, Options{})
	text := r.Text()
	for _, want := range []string{"added - → ¶1", "+ Framing added by <b>us</b>.", "[-1-]{+2+}", "moved"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
	page := r.HTML(`Compare <"x">`)
	for _, want := range []string{"<!DOCTYPE html>", "<title>Compare &lt;&#34;x&#34;&gt;</title>", "<style>", "&lt;script&gt;alert(<del>1</del>)", "alert(<ins>2</ins>)", "Framing added by &lt;b&gt;us&lt;/b&gt;.", `dir="auto"`} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML() lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<b>", "http://", "https://", "src="} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML() contains %q", bad)
		}
	}
	if got, want := strings.Count(page, "<tr class="), len(r.Rows); got != want {
		t.Errorf("HTML() has %d rows, want %d", got, want)
	}
}
