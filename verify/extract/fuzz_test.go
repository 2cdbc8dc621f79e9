package extract

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract checks that Extract never panics and that what it returns is well formed, whatever
// the bytes.
func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	f.Add([]byte(`<blockquote class="twitter-tweet"><p>x</p></blockquote><p>`+strings.Repeat("word ", 80)+`</p>`), "text/html; charset=windows-1251")
	f.Add([]byte("<table><tr><td><p>a<br><br>b</td></tr></table><svg><text>s</text></svg>"), "text/html; charset=shift_jis")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		a, err := Extract(page, "https://example.com/a", Options{ContentType: contentType, MaxBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrNoArticle) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(a.Paragraphs) != 0 {
				t.Fatalf("error %v with %d paragraphs", err, len(a.Paragraphs))
			}
			return
		}
		if len(a.Paragraphs) == 0 {
			t.Fatal("no error and no paragraphs")
		}
		for _, p := range a.Paragraphs {
			if p == "" || p != normalizeSpace(p) || !utf8.ValidString(p) {
				t.Fatalf("malformed paragraph %q", p)
			}
		}
		for _, s := range []string{a.Title, a.Byline, a.Lang} {
			if !utf8.ValidString(s) || s != normalizeSpace(s) {
				t.Fatalf("malformed metadata %q", s)
			}
		}
	})
}
