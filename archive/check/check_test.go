package check

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/verify/embeds"
	"github.com/verbatim-archive/verbatim/verify/extract"
	"github.com/verbatim-archive/verbatim/verify/match"
)

var ctx = context.Background()

// Snowflake ids of 2026-02-10.
const (
	idCharter = "2021150315377594369"
	idSign    = "2021163552601022466"
	idRTL     = "2021185161655234563"
)

func newChecker(t *testing.T) *Checker {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vp := archive.Account{Platform: "x", PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"}
	ps := archive.Account{Platform: "x", PlatformID: "1879644163769335808", Handle: "VPPressSec", Name: "Taylor Van Kirk"}
	post := func(id string, a archive.Account, text string) sqlite.Item {
		at, _ := archive.SnowflakeTime(id)
		return sqlite.Item{Post: archive.Post{Platform: "x", ID: id, EditHistory: []string{id}, Author: a, CreatedAt: at, Text: text}}
	}
	items := []sqlite.Item{
		post(idCharter, vp, "Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 https://t.co/AEfulNuR0q"),
		post(idSign, ps, ".@VP and President Aliyev sign the charter on strategic partnership in Baku"),
		post(idRTL, vp, "שלום לכולם — peace to all from Baku"),
	}
	if _, err := db.NewPostWriter().Write(ctx, items); err != nil {
		t.Fatal(err)
	}
	return &Checker{DB: db, Watched: []string{"VP", "VPPressSec"}, Names: map[string][]string{"VP": {"Vance"}}}
}

func blockquote(text, name, handle, id, date string) string {
	return `<blockquote class="twitter-tweet"><p lang="en" dir="ltr">` + text + `</p>&mdash; ` + name + ` (@` + handle +
		`) <a href="https://twitter.com/` + handle + `/status/` + id + `">` + date + `</a></blockquote>`
}

func page(body string) []byte {
	return []byte(`<!doctype html><html><head><meta charset="utf-8"><title>Charter signed</title></head><body><article><h1>Charter signed</h1>
<p>The Vice President travelled to Baku this week, where a long negotiation ended with a signature and a promise of trade.</p>` +
		body + `<p>Observers in both capitals expect ratification debates to begin within the month.</p></article></body></html>`)
}

func TestCheckVerdicts(t *testing.T) {
	c := newChecker(t)
	html := page(
		blockquote("Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q", "Vice President JD Vance", "VP", idCharter, "February 10, 2026") +
			blockquote(".@VP and President Aliyev sign the treaty on strategic partnership in Baku", "Taylor Van Kirk", "VPPressSec", idSign, "February 10, 2026") +
			blockquote("Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q", "Vice President JD Vance", "VP", idCharter, "February 10, 2026") +
			blockquote("Nothing like this was ever posted by anyone we watch", "Someone Else", "someone", "2021100000000000000", "February 9, 2026") +
			blockquote("שלום לכולם — peace to all from Baku", "Vice President JD Vance", "VP", idRTL, "February 14, 2026") +
			`<p>Vance wrote: “Today we signed a Charter on Strategic Partnership with Azerbaijan.”</p>`)
	r, err := c.Check(ctx, Page{HTML: html, URL: "https://news.example/charter"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		verdict string
		repeat  bool
	}{
		{match.Normalized, false},
		{match.Altered, false},
		{match.Normalized, true},
		{match.NotArchived, false},
		{match.WrongDate, false},
		{match.Exact, false},
	}
	if len(r.Embeds) != len(want) {
		for _, e := range r.Embeds {
			t.Logf("%s %s %q", e.Kind, e.Verdict, e.Text)
		}
		t.Fatalf("got %d embeds, want %d", len(r.Embeds), len(want))
	}
	for i, w := range want {
		e := r.Embeds[i]
		if e.Verdict != w.verdict || e.Repeat != w.repeat {
			t.Errorf("embed %d (%s %q): verdict %s repeat %v, want %s %v (%s)", i+1, e.Kind, e.Text, e.Verdict, e.Repeat, w.verdict, w.repeat, e.Reason)
		}
	}
	if e := r.Embeds[1]; !strings.Contains(e.Diff, "[-charter-]{+treaty+}") || e.Archived == nil || e.Archived.ID != idSign {
		t.Errorf("altered embed: diff %q archived %+v", e.Diff, e.Archived)
	}
	if r.Embeds[3].Archived != nil {
		t.Errorf("not-archived embed has archived %+v", r.Embeds[3].Archived)
	}
	if r.Misquotes != 2 {
		t.Errorf("misquotes %d, want 2 (altered, wrong-date)", r.Misquotes)
	}
	// Recorded and linked: the post knows the article quoted it.
	if err := c.Save(ctx, &r); err != nil || r.ArticleID == 0 {
		t.Fatalf("save: %v", err)
	}
	d, err := c.DB.Post(ctx, idSign, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Articles) != 1 || d.Articles[0].Verdict != match.Altered || d.Articles[0].URL != "https://news.example/charter" {
		t.Errorf("articles quoting the altered post: %+v", d.Articles)
	}
}

func TestCheckBadPages(t *testing.T) {
	c := newChecker(t)
	t.Run("windows-1251 page", func(t *testing.T) {
		body := "<html><head><meta charset=\"windows-1251\"><title>\xcd\xee\xe2\xee\xf1\xf2\xe8</title></head><body><article><p>" +
			strings.Repeat("\xc2\xe8\xf6\xe5-\xef\xf0\xe5\xe7\xe8\xe4\xe5\xed\xf2 \xef\xf0\xe8\xe1\xfb\xeb \xe2 \xc1\xe0\xea\xf3. ", 20) + "</p></article></body></html>"
		r, err := c.Check(ctx, Page{HTML: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, "Вице-президент прибыл в Баку") {
			t.Errorf("text %q not decoded from windows-1251", r.Text[:min(len(r.Text), 80)])
		}
	})
	t.Run("only embeds", func(t *testing.T) {
		html := []byte("<html><body>" + blockquote("Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q",
			"Vice President JD Vance", "VP", idCharter, "February 10, 2026") + "</body></html>")
		r, err := c.Check(ctx, Page{HTML: html})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Embeds) != 1 || r.Embeds[0].Verdict != match.Normalized {
			t.Errorf("embeds %+v", r.Embeds)
		}
	})
	t.Run("no article body", func(t *testing.T) {
		r, err := c.Check(ctx, Page{HTML: []byte("<html><body><nav>Home</nav></body></html>")})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Notes) == 0 || len(r.Embeds) != 0 {
			t.Errorf("notes %v embeds %d", r.Notes, len(r.Embeds))
		}
	})
	t.Run("huge page", func(t *testing.T) {
		huge := make([]byte, extract.DefaultMaxBytes+1)
		_, err := c.Check(ctx, Page{HTML: huge})
		if !errors.Is(err, extract.ErrTooLarge) || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %v, want a one-line ErrTooLarge", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		html := page(blockquote("x", "Vice President JD Vance", "VP", idCharter, "February 10, 2026"))
		if _, err := c.Check(cctx, Page{HTML: html}); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

func TestCompare(t *testing.T) {
	c := newChecker(t)
	embed := blockquote("Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q", "Vice President JD Vance", "VP", idCharter, "February 10, 2026")
	flat := "<p>Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q<br>— Vice President JD Vance (@VP) February 10, 2026</p>"
	orig := page("<p>Trade between the two countries has doubled in five years.</p>" + embed)
	repub := page("<p>Trade between the two countries has tripled in five years.</p>\n" + flat + "<p>An added paragraph from the republisher about regional politics and energy.</p>")
	start := time.Now()
	cmp, err := c.Compare(ctx, Page{HTML: orig}, Page{HTML: repub})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compared in %v", time.Since(start))
	kinds := map[string]int{}
	for _, ch := range cmp.Changes {
		kinds[ch.Kind]++
	}
	if kinds["altered"] != 1 || kinds["added"] != 1 || len(cmp.Changes) != 2 || !cmp.Altered {
		t.Errorf("changes %+v, want one altered and one added (the flattened embed is not a change of prose)", cmp.Changes)
	}
	if len(cmp.Embeds) != 1 || cmp.Embeds[0].Verdict != match.Normalized {
		t.Errorf("embeds %+v", cmp.Embeds)
	}
	if cmp.Similarity <= 0.5 || cmp.Similarity >= 1 {
		t.Errorf("similarity %.3f", cmp.Similarity)
	}
}

func TestCheckSpanishArticle(t *testing.T) {
	// A Spanish page shows the embed's date in Spanish; the attribution line is still left out
	// of the post's text, so the embed is exact, whether in embed code or flattened to text.
	const idES = "2021257853137850445" // 2026-02-10
	const text = "Hoy firmamos la Carta de Asociación Estratégica con Azerbaiyán. ¡Una nueva etapa para nuestros dos países!"
	c := newChecker(t)
	vp := archive.Account{Platform: "x", PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"}
	at, _ := archive.SnowflakeTime(idES)
	item := sqlite.Item{Post: archive.Post{Platform: "x", ID: idES, EditHistory: []string{idES}, Author: vp, CreatedAt: at, Text: text}}
	if _, err := c.DB.NewPostWriter().Write(ctx, []sqlite.Item{item}); err != nil {
		t.Fatal(err)
	}
	page := func(embed string) []byte {
		return []byte(`<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Carta firmada en Bakú</title></head><body><article><h1>Carta firmada en Bakú</h1>
<p>El vicepresidente viajó a Bakú esta semana, donde una larga negociación terminó con una firma y una promesa de comercio.</p>` +
			embed + `<p>Los observadores en ambas capitales esperan que los debates sobre la ratificación comiencen dentro del mes.</p></article></body></html>`)
	}
	tests := []struct {
		name, embed, kind string
	}{
		{"embed code", `<blockquote class="twitter-tweet"><p lang="es" dir="ltr">` + text + `</p>&mdash; JD Vance (@VP) <a href="https://twitter.com/VP/status/` +
			idES + `?ref_src=twsrc%5Etfw">10 de febrero de 2026</a></blockquote>`, embeds.KindBlockquote},
		{"flattened", "<p>" + text + "<br>— JD Vance (@VP) 10 de febrero de 2026</p>", embeds.KindPlaintext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := c.Check(ctx, Page{HTML: page(tt.embed), URL: "https://noticias.example/carta"})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Embeds) != 1 {
				for _, e := range r.Embeds {
					t.Logf("%s %s %q", e.Kind, e.Verdict, e.Text)
				}
				t.Fatalf("got %d embeds, want 1", len(r.Embeds))
			}
			e := r.Embeds[0]
			if e.Kind != tt.kind || e.Verdict != match.Exact || e.Text != text || e.ClaimedDate != "2026-02-10" || e.Handle != "VP" {
				t.Errorf("got %s %s @%s %s %q (%s); want %s %s @VP 2026-02-10 %q", e.Kind, e.Verdict, e.Handle, e.ClaimedDate, e.Text, e.Reason, tt.kind, match.Exact, text)
			}
			if e.Archived == nil || e.Archived.ID != idES {
				t.Errorf("archived %+v, want post %s", e.Archived, idES)
			}
		})
	}
}
