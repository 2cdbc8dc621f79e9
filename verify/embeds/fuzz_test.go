package embeds

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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
		// Attributions dated in other languages and forms.
		`<blockquote class="twitter-tweet"><p lang="es" dir="ltr">Hoy firmamos la Carta pic.twitter.com/AEfulNuR0q</p>&mdash; JD Vance (@VP) <a href="https://twitter.com/VP/status/2021150315377594369">9 de febrero de 2026</a></blockquote>`,
		`<blockquote class="twitter-tweet"><p lang="ru">Текст</p>&mdash; Имя (@a) <a href="https://twitter.com/a/status/2021150315377594369">10 февр. 2026 г.</a></blockquote>`,
		"<p>Hoy firmamos la Carta hasta 2026<br>— JD Vance (@VP) 10 feb. 2026</p>",
		"Une nouvelle étape\n— JD Vance (@VP) 1er février 2026\nEin neues Kapitel\n&mdash; JD Vance (@VP)\n10. Feb. 2026",
		"Um novo capítulo\n— JD Vance (@VP) 10 de fevereiro de 2026 · 10 febbraio 2026 · 10 mrt. 2026",
		"in 10 years\n— A (@a) 10/02/2026\nby 2026\n— A (@a) 10.02.2026\nx\n— A (@a) 2026-02-10",
		"新しい章\n— A (@a) 2026年2月10日\n새로운 장\n— A (@a) 2026년 2월 10일\n— A (@a) ２０２６年２月１０日",
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

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"February 10, 2026", "9 de febrero de 2026", "10 feb. 2026", "10 de feb. de 2026", "1er février 2026",
		"10. Februar 2026", "10 de fevereiro de 2026", "10 febbraio 2026", "10 mrt. 2026", "febrero 10 de 2026",
		"10th of February, 2026", "10/02/2026", "13/02/2026", "10.02.2026", "2026-02-10", "2026/2/10",
		"2026年2月10日", "2026 년 2 월 10 일", "２０２６年２月１０日", "10 fe\u0301vrier 2026", "1.º de setiembre de 2026",
		"by 2026", "10 years", "10 February 20261", "2026年", "10\u00a0de\u00a0febrero", "\xff10 feb 2026", "10 f\xe9v 2026",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, n, ok := parseDatePrefix(s)
		if !ok {
			if n != 0 || !tm.IsZero() {
				t.Fatalf("parseDatePrefix(%q) = %s, %d, false; want zero values", s, tm, n)
			}
			return
		}
		if n <= 0 || n > len(s) {
			t.Fatalf("parseDatePrefix(%q) took %d bytes", s, n)
		}
		if !tm.IsZero() && (tm.Location() != time.UTC || tm.Year() < 1990 || tm.Year() > 2200 || tm.Hour() != 0 || tm.Minute() != 0) {
			t.Fatalf("parseDatePrefix(%q) = %s", s, tm)
		}
		// The date does not depend on what follows it.
		if tm2, n2, ok2 := parseDatePrefix(s[:n]); !ok2 || n2 != n || !tm2.Equal(tm) {
			t.Fatalf("parseDatePrefix(%q) = %s, %d; of its prefix %q, %s, %d, %v", s, tm, n, s[:n], tm2, n2, ok2)
		}
		if d, ok := ParseDate(s[:n]); ok != !tm.IsZero() || !d.Equal(tm) {
			t.Fatalf("ParseDate(%q) = %s, %v; parseDatePrefix gave %s", s[:n], d, ok, tm)
		}
	})
}
