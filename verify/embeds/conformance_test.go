package embeds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedDir returns the shared fixtures directory: $VERBATIM_SHARED, or ../shared beside the
// module root. It skips the test with one line if there is none.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VERBATIM_SHARED")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "fixtures", "articles")); dir == "" || err != nil {
		t.Skip("shared fixtures not found (set VERBATIM_SHARED to the directory holding fixtures/articles)")
	}
	return dir
}

// derivedRecord is one "=== <file> <status-url>" record of DERIVED_plaintext_embeds.txt: an
// embed of the named fixture, flattened to text.
type derivedRecord struct {
	file string
	ref  statusRef
	body string
}

func readDerived(t *testing.T, articles string) []derivedRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(articles, "DERIVED_plaintext_embeds.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []derivedRecord
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=== "):
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("bad record line %q", line)
			}
			ref, ok := parseStatus(f[2])
			if !ok {
				t.Fatalf("record line %q: not a status URL", line)
			}
			recs = append(recs, derivedRecord{file: f[1], ref: ref})
		case len(recs) > 0:
			recs[len(recs)-1].body += line
		}
	}
	if len(recs) == 0 {
		t.Fatal("no records in DERIVED_plaintext_embeds.txt")
	}
	return recs
}

// TestConformance runs Find over the real article pages in the shared fixtures: every embed that
// DERIVED_plaintext_embeds.txt lists is found in its page by id, with the handle, date and text
// that the flattened copy shows, and every flattened copy parses as a plain-text embed.
func TestConformance(t *testing.T) {
	articles := filepath.Join(sharedDir(t), "fixtures", "articles")
	pages := map[string][]Embed{}
	srcs := map[string][]byte{}
	files, err := filepath.Glob(filepath.Join(articles, "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no article pages in %s (%v)", articles, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := Find(src, Options{})
		checkBounds(t, src, got)
		for _, e := range got {
			if e.DateMismatch {
				t.Errorf("%s: %s %s shows %s, but its id says %s", filepath.Base(f), e.Kind, e.PostID, e.ClaimedDateText, e.PostTime)
			}
		}
		pages[filepath.Base(f)], srcs[filepath.Base(f)] = got, src
	}

	recs := readDerived(t, articles)
	for _, r := range recs {
		t.Run(r.file+"/"+r.ref.id, func(t *testing.T) {
			var embed *Embed
			for i, e := range pages[r.file] {
				if e.PostID == r.ref.id {
					embed = &pages[r.file][i]
					break
				}
			}
			if embed == nil {
				t.Fatalf("status %s not found in %s", r.ref.id, r.file)
			}
			if embed.Kind != KindBlockquote || !strings.EqualFold(embed.Handle, r.ref.handle) {
				t.Errorf("got %s by @%s, want a blockquote by @%s", embed.Kind, embed.Handle, r.ref.handle)
			}
			flat := Find([]byte(r.body), Options{})
			if len(flat) != 1 || flat[0].Kind != KindPlaintext {
				t.Fatalf("the flattened copy gives %d embeds (%+v), want one plain-text embed", len(flat), flat)
			}
			p := flat[0]
			if !strings.EqualFold(p.Handle, r.ref.handle) {
				t.Errorf("flattened: handle %q, want %q", p.Handle, r.ref.handle)
			}
			if p.ClaimedDate.IsZero() || !p.ClaimedDate.Equal(embed.ClaimedDate) {
				t.Errorf("flattened: date %s, want %s as in the page", p.ClaimedDate.Format(time.DateOnly), embed.ClaimedDate.Format(time.DateOnly))
			}
			if fold(p.Text) != fold(embed.Text) {
				t.Errorf("flattened text %q,\nthe page's %q", p.Text, embed.Text)
			}
			if p.Mangled || p.AuthorName != embed.AuthorName {
				t.Errorf("flattened: Mangled %v, AuthorName %q; want false, %q", p.Mangled, p.AuthorName, embed.AuthorName)
			}
		})
	}

	// All the flattened copies in one text, one after another, with no record lines between.
	t.Run("all-flattened", func(t *testing.T) {
		var all strings.Builder
		for _, r := range recs {
			all.WriteString(r.body)
		}
		var flat []Embed
		for _, e := range Find([]byte(all.String()), Options{}) {
			if e.Kind == KindPlaintext {
				flat = append(flat, e)
			}
		}
		if len(flat) != len(recs) {
			t.Fatalf("got %d plain-text embeds, want %d", len(flat), len(recs))
		}
		for i, r := range recs {
			if e := flat[i]; !strings.EqualFold(e.Handle, r.ref.handle) || e.Mangled || !strings.Contains(r.body, e.Text) {
				t.Errorf("[%d] got @%s %q (mangled %v), want @%s's text", i, e.Handle, e.Text, e.Mangled, r.ref.handle)
			}
		}
	})

	t.Run("rendered", func(t *testing.T) {
		// Saved after widgets.js ran: only iframes with ids are left.
		var ids []string
		for _, e := range pages["readability_breitbart_source.html"] {
			if e.Kind == KindIframe {
				ids = append(ids, e.PostID)
			}
		}
		if want := "800384752746254337 769239021021036544 807998073116835840"; strings.Join(ids, " ") != want {
			t.Errorf("rendered embeds: got %v, want %s", ids, want)
		}
	})

	t.Run("classless", func(t *testing.T) {
		// Readability's output drops the class; the blockquote is still a post.
		got := pages["readability_001_expected_classless.html"]
		if len(got) != 1 || got[0].Kind != KindBlockquote || got[0].PostID != "370525864523743232" || got[0].Handle != "ironshay" {
			t.Errorf("got %+v, want the @ironshay blockquote", got)
		}
	})

	t.Run("seed", func(t *testing.T) {
		src, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(articles)), "seed", "000_8c96f19471802b30.txt"))
		if err != nil {
			t.Skip("seed article not found")
		}
		got := Find(src, vpOptions)
		checkBounds(t, src, got)
		checkEmbeds(t, got, []want{
			{kind: KindPlaintext, handle: "VP", name: "Vice President JD Vance", date: "2026-02-10", mangled: true,
				text:  "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\nThe two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 pic.twitter.com/AEfulNuR0q",
				slugs: []string{"AEfulNuR0q"}},
			{kind: KindPlaintext, handle: "VPPressSec", name: "Taylor Van Kirk", date: "2026-02-10",
				text:  ".@VP @JDVance and Azerbaijan President Aliyev sign a charter on strategic partnership between the U.S. and Azerbaijan pic.twitter.com/YevGjfLIIT",
				slugs: []string{"YevGjfLIIT"}},
			{kind: KindPlaintext, handle: "VP", date: "2026-02-10", mangled: true,
				text:  "VP Vance in Azerbaijan:\n“The president of this country, the PM of Armenia, and, of course, @POTUS, working together, created peace where previously there was war.\nAnd, I think in the future, will create prosperity where once there was only fighting and conflict.” pic.twitter.com/eSKtDZ28eC",
				slugs: []string{"eSKtDZ28eC"}},
		})
	})
}
