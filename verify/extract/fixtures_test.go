package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedArticleFixtures runs Extract on the real article pages with embedded posts in
// ../shared/fixtures/articles (see SOURCE.txt there) and checks that the text of every embed
// blockquote is in the extracted article, in page order, and that nothing else fails.
func TestSharedArticleFixtures(t *testing.T) {
	shared, err := sharedDir()
	if err != nil {
		t.Skipf("shared fixtures not found: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(shared, "fixtures", "articles", "*.html"))
	if len(files) == 0 {
		t.Skipf("shared article fixtures not found in %s (set VERBATIM_SHARED)", filepath.Join(shared, "fixtures", "articles"))
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Extract(b, "", Options{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			pg := readPage(parseHTML(t, string(b)))
			text := a.Text()
			at := 0
			for _, s := range pg.embeds {
				for _, p := range pg.paragraphs[s.start:s.end] {
					i := strings.Index(text[at:], p)
					if i < 0 {
						t.Errorf("embed paragraph missing or out of order: %q", p)
						continue
					}
					at += i + len(p)
				}
			}
		})
	}
}
