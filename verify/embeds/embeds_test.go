package embeds

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// vpOptions watch @VP under the names prose uses for him.
var vpOptions = Options{
	Watched: []string{"VP"},
	Names:   map[string][]string{"VP": {"Vance", "JD Vance", "the Vice President"}},
}

// want is what a test expects of an Embed; empty fields are not checked, except Kind and PostID.
type want struct {
	kind, id, handle, name, date, text string
	slugs                              []string
	mangled, mismatch                  bool
	context                            string
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFind(t *testing.T) {
	const feb10 = "2026-02-10"
	tests := []struct {
		file string
		opts Options
		want []want
	}{
		{"modern.html", vpOptions, []want{
			{kind: KindBlockquote, id: "2021217608790986875", handle: "VP", name: "Vice President JD Vance", date: feb10,
				text:  "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n\nThe two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 pic.twitter.com/AEfulNuR0q",
				slugs: []string{"AEfulNuR0q"}},
			{kind: KindBlockquote, id: "2021253746914398331", handle: "VPPressSec", name: "Taylor Van Kirk", date: feb10,
				text:  ".@VP @JDVance and Azerbaijan President Aliyev sign a charter on strategic partnership between the U.S. and Azerbaijan pic.twitter.com/YevGjfLIIT",
				slugs: []string{"YevGjfLIIT"}},
			// Right-to-left text, a flag sequence and a handshake emoji, from an unwatched account.
			{kind: KindBlockquote, id: "2021288052126646395", handle: "AkhbarNews", name: "قناة الأخبار", date: feb10,
				text: "نائب الرئيس الأمريكي في باكو اليوم 🇦🇿🤝🇺🇸 pic.twitter.com/Rtl0Arab1c", slugs: []string{"Rtl0Arab1c"}},
			// twitter-video, whose date contradicts its id (made on February 10).
			{kind: KindBlockquote, id: "2021150143411126395", handle: "someoutlet", date: "2026-02-14",
				text: "Watch: the signing ceremony in full 👇🏽 pic.twitter.com/Vid30Clip9", mismatch: true},
		}},
		{"old.html", Options{}, []want{
			{kind: KindBlockquote, id: "517045156826988544", handle: "oldaccount", name: "Old Account", date: "2014-09-30",
				text: `Great day at the "summit" & more to come. http://t.co/Ab12Cd34Ef`, slugs: []string{"Ab12Cd34Ef"}},
			{kind: KindBlockquote, id: "808335105232142337", handle: "mobileperson", date: "2016-12-12", text: "Line one\nLine two\nLine three"},
			{kind: KindBlockquote, id: "370525864523743233", handle: "readermode", date: "2013-08-22",
				text: "Copied without its class: still a post. pic.twitter.com/Cl4ssl3ss0"},
			{kind: KindBlockquote, id: "370525864523743232", handle: "shayexample", name: "Shay Example", date: "2013-08-22",
				text: "Drinking game for web devs:\n(1) Think of a noun\n(2) Google \"<noun>.js\""},
		}},
		{"rendered.html", Options{}, []want{
			{kind: KindIframe, id: "2021217608790986875"},
			{kind: KindIframe, id: "2021253746914398331"}, // a rendered div and the iframe in it: one embed
			{kind: KindIframe, id: "2021288052126646395"},
			{kind: KindIframe, id: "1808953928709046395"}, // amp-twitter
		}},
		{"links.html", Options{}, []want{
			// The first link is to the post embedded below, so only the embed is reported.
			{kind: KindLink, id: "2021253746914398331", handle: "VPPressSec"},
			{kind: KindLink, id: "2021150143411126395", handle: "VP"},
			{kind: KindLink, id: "1984953635435446395", handle: "VP"},
			{kind: KindLink, id: "2021426464158646395", handle: ""},
			{kind: KindLink, id: "1808953928709046395", handle: "VP"},
			{kind: KindLink, id: "2021288052126646395", handle: "VP"},
			{kind: KindBlockquote, id: "2021217608790986875", handle: "VP", text: "Embedded here. pic.twitter.com/Emb3dd3d01"},
		}},
		{"seedstyle.txt", vpOptions, []want{
			{kind: KindPlaintext, handle: "VP", name: "Vice President JD Vance", date: feb10, mangled: true,
				text:    "Vice President Vance arrives in Baku for talks with President Aliyev.\nA charter on strategic partnership was signed this afternoon 🇺🇸🇦🇿 pic.twitter.com/Aa11Bb22Cc",
				slugs:   []string{"Aa11Bb22Cc"},
				context: "Vice President Vance spent Tuesday in the South Caucasus, where he met the leaders of both countries and signed two agreements that officials in Washington described as a turning point for the region and for American engagement there."},
			{kind: KindPlaintext, handle: "VPPressSec", name: "Taylor Van Kirk", date: feb10,
				text: ".@VP and President Aliyev sign the charter on strategic partnership pic.twitter.com/Dd33Ee44Ff", slugs: []string{"Dd33Ee44Ff"}},
			{kind: KindPlaintext, handle: "VP", date: feb10, mangled: true,
				text:  "VP Vance in Azerbaijan:\n“Peace is being built here, by people who were at war not long ago.\nAnd prosperity will follow.” pic.twitter.com/Gg55Hh66Ii",
				slugs: []string{"Gg55Hh66Ii"}},
		}},
		{"seedstyle.html", vpOptions, []want{
			// The date kept its link to the status: the id comes with it.
			{kind: KindPlaintext, id: "2021217608790986875", handle: "VP", date: feb10, mangled: true,
				text:  "Vice President Vance arrives in Baku for talks with President Aliyev.\nA charter on strategic partnership was signed this afternoon 🇺🇸🇦🇿 pic.twitter.com/Aa11Bb22Cc",
				slugs: []string{"Aa11Bb22Cc"}},
			{kind: KindPlaintext, handle: "VPPressSec", date: feb10,
				text: ".@VP and President Aliyev sign the charter on strategic partnership pic.twitter.com/Dd33Ee44Ff"},
		}},
		{"prose_before.html", Options{Watched: []string{"VP"}}, []want{
			// The paragraphs of the article before the post's own paragraph are not its text.
			{kind: KindPlaintext, handle: "VP", name: "Vice President JD Vance", date: feb10,
				text:    "Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q",
				slugs:   []string{"AEfulNuR0q"},
				context: "Trade between the two countries has tripled in five years."},
		}},
		{"plaintext_variants.txt", Options{}, []want{
			{kind: KindPlaintext, handle: "nameone", name: "Name One", date: feb10, text: "Text one pic.twitter.com/Var1Slug01", slugs: []string{"Var1Slug01"}},
			{kind: KindPlaintext, handle: "nametwo", date: feb10, text: "Text two https://t.co/Var2Slug02", slugs: []string{"Var2Slug02"}},
			{kind: KindPlaintext, handle: "namethree", date: feb10, text: "Text three"},
			{kind: KindPlaintext, handle: "namefour", date: feb10, text: "Text four, no media at all."},
			{kind: KindPlaintext, handle: "namefive", date: feb10, text: "Text five pic.twitter.com/Var5Slug05"},
			{kind: KindPlaintext, handle: "namesix", name: "Name Six", date: feb10, text: "Text six pic.twitter.com/Var6Slug06"},
			{kind: KindPlaintext, handle: "nameseven", date: "0001-01-01", text: "Text seven pic.twitter.com/Var7Slug07"},
			{kind: KindPlaintext, handle: "JDVance", date: feb10, text: "Line A of the post\nLine B of the post pic.twitter.com/Var9Slug09",
				context: "Vance wrote on X:"},
		}},
		{"quotes.html", vpOptions, []want{
			{kind: KindQuote, handle: "VP", name: "Vance", text: "Peace is being built here.", context: "Vance wrote: “Peace is being built here.”"},
			{kind: KindQuote, handle: "VP", name: "@VP", text: "the charter is a new chapter for both countries"},
			{kind: KindQuote, handle: "VP", name: "the Vice President", text: "We will be back soon",
				context: "“We will be back soon,” the Vice President wrote on X on Wednesday."},
			{kind: KindQuote, handle: "VP", name: "JD Vance", text: "Thank you, Baku!"},
			{kind: KindQuote, handle: "VP", text: "The visit was a success."},
			// "said" with no sign of a post, a book, an unwatched writer, no writer, and a quotation
			// inside an embed are not quotes of a post.
			{kind: KindBlockquote, id: "2021426464158646395", handle: "someone", text: "Vance wrote: “inside an embed”"},
		}},
		{"quotes.html", Options{}, []want{ // nobody watched: no quotes
			{kind: KindBlockquote, id: "2021426464158646395"},
		}},
		{"hostile.html", Options{}, []want{
			// Not the blockquotes in the script, comment, textarea, style or noscript.
			{kind: KindBlockquote, id: "2021217608790986875", handle: "realperson", text: "Real one, never closed pic.twitter.com/Unc1osed01"},
			{kind: KindLink, id: "2021288052126646395", handle: "other"},
			{kind: KindLink, id: "1", handle: "x"},
			{kind: KindLink, id: "2021426464158646395", handle: "y"},
			{kind: KindIframe}, // an iframe of class twitter-tweet with no id it can give
			{kind: KindBlockquote, id: "1808953928709046395", handle: "outer", text: "inner\n\nouter"},
		}},
		{"only_embeds.html", Options{}, []want{
			{kind: KindBlockquote, id: "2021217608790986875", handle: "VP", text: "First post pic.twitter.com/Only0000001"},
			{kind: KindBlockquote, id: "2021253746914398331", handle: "VPPressSec", text: "Second post"},
			{kind: KindBlockquote, id: "2021217608790986875", handle: "VP", text: "First post pic.twitter.com/Only0000001"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src := readTestdata(t, tt.file)
			got := Find(src, tt.opts)
			checkEmbeds(t, got, tt.want)
			checkBounds(t, src, got)
		})
	}
}

// checkEmbeds compares got with want, field by field.
func checkEmbeds(t *testing.T, got []Embed, want []want) {
	t.Helper()
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("got %s %s @%s %q", e.Kind, e.PostID, e.Handle, e.Text)
		}
		t.Fatalf("got %d embeds, want %d", len(got), len(want))
	}
	for i, w := range want {
		e := got[i]
		if e.Kind != w.kind || e.PostID != w.id {
			t.Errorf("[%d] got %s %q, want %s %q", i, e.Kind, e.PostID, w.kind, w.id)
		}
		check := func(field, got, want string) {
			if want != "" && got != want {
				t.Errorf("[%d] %s: got %q, want %q", i, field, got, want)
			}
		}
		check("Handle", e.Handle, w.handle)
		check("AuthorName", e.AuthorName, w.name)
		check("ClaimedDate", e.ClaimedDate.Format(time.DateOnly), w.date)
		check("Text", e.Text, w.text)
		check("Context", e.Context, w.context)
		if w.slugs != nil && !slices.Equal(e.MediaSlugs, w.slugs) {
			t.Errorf("[%d] MediaSlugs: got %q, want %q", i, e.MediaSlugs, w.slugs)
		}
		if e.Mangled != w.mangled {
			t.Errorf("[%d] Mangled: got %v, want %v", i, e.Mangled, w.mangled)
		}
		if e.DateMismatch != w.mismatch {
			t.Errorf("[%d] DateMismatch: got %v, want %v (claimed %s, id time %s)", i, e.DateMismatch, w.mismatch, e.ClaimedDate, e.PostTime)
		}
	}
}

// checkBounds checks that every embed lies within src, in order, and starts where its kind says.
func checkBounds(t *testing.T, src []byte, got []Embed) {
	t.Helper()
	for i, e := range got {
		if e.Offset < 0 || e.Offset > e.End || e.End > len(src) {
			t.Errorf("[%d] %s at %d..%d, outside 0..%d", i, e.Kind, e.Offset, e.End, len(src))
			continue
		}
		if i > 0 && e.Offset < got[i-1].Offset {
			t.Errorf("[%d] offset %d before the previous one, %d", i, e.Offset, got[i-1].Offset)
		}
		at := string(src[e.Offset:])
		switch e.Kind {
		case KindBlockquote:
			if !strings.HasPrefix(at, "<blockquote") {
				t.Errorf("[%d] blockquote offset points at %.30q", i, at)
			}
		case KindIframe:
			if !strings.HasPrefix(at, "<iframe") && !strings.HasPrefix(at, "<div") && !strings.HasPrefix(at, "<amp-twitter") {
				t.Errorf("[%d] iframe offset points at %.30q", i, at)
			}
		case KindLink:
			if !strings.HasPrefix(at, "<a ") && (len(e.Links) != 1 || !strings.HasPrefix(at, e.Links[0])) {
				t.Errorf("[%d] link offset points at %.30q", i, at)
			}
		case KindQuote:
			if !strings.HasPrefix(at, "“") && !strings.HasPrefix(at, `"`) {
				t.Errorf("[%d] quote offset points at %.30q", i, at)
			}
		case KindPlaintext:
			first, _, _ := strings.Cut(e.Text, "\n")
			if n := min(len(first), 10); !strings.HasPrefix(at, first[:n]) {
				t.Errorf("[%d] plaintext offset points at %.30q, want the text %.30q", i, at, first)
			}
		}
	}
}

func TestKey(t *testing.T) {
	got := Find(readTestdata(t, "only_embeds.html"), Options{})
	if len(got) != 3 {
		t.Fatalf("got %d embeds, want 3", len(got))
	}
	if got[0].Key() != got[2].Key() || got[0].Offset == got[2].Offset {
		t.Errorf("the post embedded twice: keys %q, %q at %d, %d; want one key, two offsets", got[0].Key(), got[2].Key(), got[0].Offset, got[2].Offset)
	}
	if got[0].Key() == got[1].Key() {
		t.Errorf("two posts share the key %q", got[0].Key())
	}
	a := Embed{Handle: "VP", Text: "“Peace,” he wrote —\n  now"}
	b := Embed{Handle: "vp", Text: `"peace," he wrote - now`}
	if a.Key() != b.Key() {
		t.Errorf("Key(%q) = %q, Key(%q) = %q; want equal", a.Text, a.Key(), b.Text, b.Key())
	}
	if c := (Embed{Handle: "VPPressSec", Text: a.Text}); c.Key() == a.Key() {
		t.Errorf("posts by two accounts share the key %q", a.Key())
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" if it does not parse
	}{
		{"February 10, 2026", "2026-02-10"},
		{"Feb 10, 2026", "2026-02-10"},
		{"Feb. 10, 2026", "2026-02-10"},
		{"feb 10 2026", "2026-02-10"},
		{"10 February 2026", "2026-02-10"},
		{"10 Feb 2026", "2026-02-10"},
		{"Sept 9, 2016", "2016-09-09"},
		{"May 1st, 2024", "2024-05-01"},
		{" October 31, 2021 ", "2021-10-31"},
		{"February\u00a010,\u00a02026", "2026-02-10"},
		{"February 30, 2026", ""},
		{"Febtober 10, 2026", ""},
		{"February 10, 2026 at noon", ""},
		{"2026-02-10", "2026-02-10"},
		{"10 de febrero de 2026", "2026-02-10"},
		{"10/02/2026", ""}, // day or month first: not read
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		if s := got.Format(time.DateOnly); ok != (tt.want != "") || (ok && s != tt.want) {
			t.Errorf("ParseDate(%q) = %s, %v; want %q", tt.in, s, ok, tt.want)
		}
	}
}

func TestDateMismatch(t *testing.T) {
	// 2021426464158646395 was made at 03:30 UTC on February 11, 2026: the evening of February 10
	// in America, so an embed may show either day; a day either side of the UTC date is allowed.
	tests := []struct {
		id, date string
		mismatch bool
	}{
		{"2021426464158646395", "February 11, 2026", false},
		{"2021426464158646395", "February 10, 2026", false},
		{"2021426464158646395", "February 12, 2026", false},
		{"2021426464158646395", "February 9, 2026", true},
		{"2021426464158646395", "February 13, 2026", true},
		{"2021426464158646395", "March 11, 2025", true},
		{"20", "March 11, 2006", false}, // not a snowflake: no time to compare with
	}
	for _, tt := range tests {
		html := `<blockquote class="twitter-tweet"><p>x</p>&mdash; A (@a) <a href="https://twitter.com/a/status/` + tt.id + `">` + tt.date + `</a></blockquote>`
		got := Find([]byte(html), Options{})
		if len(got) != 1 {
			t.Fatalf("%s %s: got %d embeds, want 1", tt.id, tt.date, len(got))
		}
		if got[0].DateMismatch != tt.mismatch {
			t.Errorf("%s shown as %s: DateMismatch = %v, want %v (id time %s)", tt.id, tt.date, got[0].DateMismatch, tt.mismatch, got[0].PostTime)
		}
		if wantTime := tt.id != "20"; got[0].PostTime.IsZero() == wantTime {
			t.Errorf("%s: PostTime = %s", tt.id, got[0].PostTime)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct{ url, handle, id string }{
		{"https://twitter.com/VP/status/2021217608790986875?ref_src=twsrc%5Etfw", "VP", "2021217608790986875"},
		{"https://x.com/VP/status/2021217608790986875", "VP", "2021217608790986875"},
		{"https://www.x.com/VP/status/2021217608790986875/photo/1", "VP", "2021217608790986875"},
		{"http://mobile.twitter.com/VP/statuses/2021217608790986875#frag", "VP", "2021217608790986875"},
		{"//twitter.com/VP/status/2021217608790986875", "VP", "2021217608790986875"},
		{"twitter.com/VP/status/2021217608790986875", "VP", "2021217608790986875"},
		{"https://twitter.com/#!/VP/status/2021217608790986875", "VP", "2021217608790986875"},
		{"https://twitter.com/i/web/status/2021217608790986875", "", "2021217608790986875"},
		{"https://x.com/i/status/2021217608790986875", "", "2021217608790986875"},
		{"https://twitter.com/VP", "", ""},
		{"https://twitter.com/intent/tweet?in_reply_to=2021217608790986875", "", ""},
		{"https://nottwitter.com/VP/status/1", "", ""},
		{"https://example.com/?u=https://twitter.com/VP/status/1", "", ""},
	}
	for _, tt := range tests {
		r, ok := parseStatus(tt.url)
		if ok != (tt.id != "") || r.handle != tt.handle || r.id != tt.id {
			t.Errorf("parseStatus(%q) = %q, %q, %v; want %q, %q", tt.url, r.handle, r.id, ok, tt.handle, tt.id)
		}
	}
}

func TestPlainTextStaysPlain(t *testing.T) {
	// Plain text that mentions a tag or two keeps its line breaks, which the embed needs.
	src := "The CMS turns <br> and </p> into line breaks, which this long paragraph of prose explains at a length that no post would run to, going on about paragraphs, line breaks and the ways of content management systems.\nFirst line\nSecond line pic.twitter.com/Plain00001\n— Plain Person (@plainperson) February 10, 2026\n"
	got := Find([]byte(src), Options{})
	checkEmbeds(t, got, []want{{kind: KindPlaintext, handle: "plainperson", text: "First line\nSecond line pic.twitter.com/Plain00001"}})
	checkBounds(t, []byte(src), got)
}

func TestEntitiesAndOffsets(t *testing.T) {
	// Offsets point into the raw HTML, past entities that the text decodes.
	src := `<p>Caf&eacute; &amp; more &mdash; a long paragraph of article prose that runs on and on, far longer than any one post could be, so that it is not taken for part of one; it keeps going for a while longer still, about the caf&eacute; and its customers and the street outside.</p>` +
		`<p>&#x1F600; Smile &amp; wave pic.twitter.com/Ent1ty0001</p><p>&mdash; Ent Ity (@entity) Feb 10, 2026</p>`
	got := Find([]byte(src), Options{})
	checkEmbeds(t, got, []want{{kind: KindPlaintext, handle: "entity", text: "😀 Smile & wave pic.twitter.com/Ent1ty0001"}})
	if want := strings.Index(src, "&#x1F600;"); len(got) == 1 && got[0].Offset != want {
		t.Errorf("Offset = %d (%.20q), want %d", got[0].Offset, src[got[0].Offset:], want)
	}
}

func TestHugeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 16 MiB page")
	}
	embed := func(id string) string {
		return `<blockquote class="twitter-tweet"><p>Post ` + id + `</p>&mdash; Big (@big) <a href="https://twitter.com/big/status/` + id + `">February 10, 2026</a></blockquote>`
	}
	var b bytes.Buffer
	b.WriteString("<html><body>" + embed("2021217608790986875"))
	para := "<p>" + strings.Repeat("filler words and more filler words ", 30) + "</p>\n"
	for b.Len() < MaxInput {
		b.WriteString(para)
	}
	b.WriteString(embed("2021253746914398331")) // past MaxInput: not looked at
	got := Find(b.Bytes(), Options{})
	checkEmbeds(t, got, []want{{kind: KindBlockquote, id: "2021217608790986875", handle: "big"}})
	checkBounds(t, b.Bytes(), got)
}

func TestDeepNesting(t *testing.T) {
	// Far deeper than the stack tracks: it must neither fail nor take long.
	src := strings.Repeat("<div><span>", 5000) + `<blockquote class="twitter-tweet"><p>Deep</p>&mdash; Deep (@deep) <a href="https://twitter.com/deep/status/2021217608790986875">February 10, 2026</a></blockquote>` + strings.Repeat("</span></div>", 5000)
	got := Find([]byte(src), Options{})
	checkEmbeds(t, got, []want{{kind: KindBlockquote, id: "2021217608790986875", handle: "deep", text: "Deep"}})
	checkBounds(t, []byte(src), got)
}
