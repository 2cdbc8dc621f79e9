package embeds

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func FuzzFind(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"",
		"(@",
		"— (@a)",
		"x\n— A (@a)\nFebruary 10, 2026\ny pic.twitter.com/abcd",
		"<blockquote class=twitter-tweet><a href=//x.com/a/status/1>Feb 30, 2026</a>",
		"<p>“a” Vance wrote</p><p>@VP posted that \"b\"</p>",
		"<a href=https://twitter.com/a/status/99999999999999999999><a>",
		"&mdash;&#8212;&#x2014;&amp;mdash; (@a) 10 Feb 2026",
		"<pre>\r\n— A (@a) Feb 10, 2026</pre>",
		"\xff\xfe(@\x00)\u2014",
	} {
		f.Add([]byte(s))
	}
	finder := NewFinder(vpOptions)
	f.Fuzz(func(t *testing.T, src []byte) {
		got := finder.Find(src)
		prev := 0
		for i, e := range got {
			if e.Offset < 0 || e.Offset > e.End || e.End > len(src) {
				t.Fatalf("[%d] %s at %d..%d, outside 0..%d", i, e.Kind, e.Offset, e.End, len(src))
			}
			if e.Offset < prev {
				t.Fatalf("[%d] offset %d before the previous one, %d", i, e.Offset, prev)
			}
			prev = e.Offset
			switch e.Kind {
			case KindBlockquote, KindIframe, KindLink, KindPlaintext, KindQuote:
			default:
				t.Fatalf("[%d] kind %q", i, e.Kind)
			}
			if e.Kind == KindLink && e.PostID == "" {
				t.Fatalf("[%d] a link with no post id", i)
			}
			if utf8.Valid(src) && !utf8.ValidString(e.Text) {
				t.Fatalf("[%d] text %q is not UTF-8, from UTF-8 input", i, e.Text)
			}
			_ = e.Key()
		}
	})
}
