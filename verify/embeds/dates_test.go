package embeds

import (
	"strings"
	"testing"
	"time"
)

func TestParseDatePrefix(t *testing.T) {
	const ambiguous = "?" // recognised, but day and month may be either way round
	tests := []struct {
		in   string
		want string // the date, ambiguous, or "" if s does not start with a date
		n    int    // bytes taken, if not all of in
	}{
		// English
		{in: "February 10, 2026", want: "2026-02-10"},
		{in: "Feb. 10th 2026", want: "2026-02-10"},
		{in: "10th of February 2026", want: "2026-02-10"},
		{in: "10 February, 2026", want: "2026-02-10"},
		// Spanish
		{in: "9 de febrero de 2026", want: "2026-02-09"},
		{in: "10 de febrero del 2026", want: "2026-02-10"},
		{in: "10 feb. 2026", want: "2026-02-10"},
		{in: "10 de feb. de 2026", want: "2026-02-10"},
		{in: "1º de septiembre de 2026", want: "2026-09-01"},
		{in: "1.º de setiembre de 2026", want: "2026-09-01"},
		{in: "febrero 10, 2026", want: "2026-02-10"},
		{in: "febrero 10 de 2026", want: "2026-02-10"},
		{in: "31 dic. 2025", want: "2025-12-31"},
		{in: "10\u00a0de\u00a0febrero\u00a0de\u00a02026", want: "2026-02-10"},
		// French
		{in: "10 février 2026", want: "2026-02-10"},
		{in: "10 févr. 2026", want: "2026-02-10"},
		{in: "1er février 2026", want: "2026-02-01"},
		{in: "10 FÉVRIER 2026", want: "2026-02-10"},
		{in: "10 fevrier 2026", want: "2026-02-10"},
		{in: "10 fe\u0301vrier 2026", want: "2026-02-10"}, // a decomposed é
		{in: "15 août 2026", want: "2026-08-15"},
		{in: "3 déc. 2026", want: "2026-12-03"},
		// German
		{in: "10. Februar 2026", want: "2026-02-10"},
		{in: "10. Feb. 2026", want: "2026-02-10"},
		{in: "3. März 2026", want: "2026-03-03"},
		{in: "3. Mrz. 2026", want: "2026-03-03"},
		{in: "24. Dez. 2026", want: "2026-12-24"},
		{in: "10. Jänner 2026", want: "2026-01-10"},
		// Portuguese
		{in: "10 de fevereiro de 2026", want: "2026-02-10"},
		{in: "10 de fev. de 2026", want: "2026-02-10"},
		{in: "10 de março de 2026", want: "2026-03-10"},
		{in: "10 de out. de 2026", want: "2026-10-10"},
		// Italian
		{in: "10 febbraio 2026", want: "2026-02-10"},
		{in: "10 feb 2026", want: "2026-02-10"},
		{in: "10 set 2026", want: "2026-09-10"},
		{in: "2 giu 2026", want: "2026-06-02"},
		{in: "10 gennaio 2026", want: "2026-01-10"},
		// Dutch
		{in: "10 februari 2026", want: "2026-02-10"},
		{in: "10 mrt. 2026", want: "2026-03-10"},
		{in: "10 mei 2026", want: "2026-05-10"},
		{in: "10 okt 2026", want: "2026-10-10"},
		// Numbers
		{in: "2026-02-10", want: "2026-02-10"},
		{in: "2026/02/10", want: "2026-02-10"},
		{in: "2026.2.10", want: "2026-02-10"},
		{in: "10.02.2026", want: "2026-02-10"},
		{in: "10.2.2026", want: "2026-02-10"},
		{in: "13/02/2026", want: "2026-02-13"},
		{in: "02/13/2026", want: "2026-02-13"},
		{in: "13-02-2026", want: "2026-02-13"},
		{in: "10/10/2026", want: "2026-10-10"},
		{in: "10/02/2026", want: ambiguous},
		{in: "02/10/2026", want: ambiguous},
		{in: "10-02-2026", want: ambiguous},
		// Chinese, Japanese, Korean
		{in: "2026年2月10日", want: "2026-02-10"},
		{in: "2026 年 2 月 10 日", want: "2026-02-10"},
		{in: "２０２６年２月１０日", want: "2026-02-10"},
		{in: "2026년 2월 10일", want: "2026-02-10"},
		// What follows the date is not part of it.
		{in: "10 de febrero de 2026. Más", want: "2026-02-10", n: len("10 de febrero de 2026")},
		{in: "10.02.2026, 14:00", want: "2026-02-10", n: len("10.02.2026")},
		{in: "2026年2月10日 午後", want: "2026-02-10", n: len("2026年2月10日")},
		// Not dates: a year or a number alone, a part missing, a day that does not exist, a number
		// too long for a year, a date run into a word.
		{in: "2026"},
		{in: "by 2026"},
		{in: "10 years"},
		{in: "10 de 2026"},
		{in: "10 febrero"},
		{in: "febrero de 2026"},
		{in: "February 2026"},
		{in: "10/02"},
		{in: "10/02/26"},
		{in: "10.02.26"},
		{in: "10/02-2026"},
		{in: "13/13/2026"},
		{in: "00/00/2026"},
		{in: "2026-13-01"},
		{in: "2026-02-30"},
		{in: "30 de febrero de 2026"},
		{in: "10 févriers 2026"},
		{in: "10 Febtober 2026"},
		{in: "10 February 20261"},
		{in: "10.02.20261"},
		{in: "10 February 2026x"},
		{in: "2026年2月"},
		{in: "10 February 1850"},
		{in: "10feb 2026"},
		{in: "10\n February 2026"},
		{in: ""},
	}
	for _, tt := range tests {
		got, n, ok := parseDatePrefix(tt.in)
		switch {
		case tt.want == "":
			if ok || n != 0 || !got.IsZero() {
				t.Errorf("parseDatePrefix(%q) = %s, %d, %v; want no date", tt.in, got, n, ok)
			}
			continue
		case tt.want == ambiguous:
			if !ok || !got.IsZero() {
				t.Errorf("parseDatePrefix(%q) = %s, %d, %v; want an ambiguous date (zero time, ok)", tt.in, got, n, ok)
			}
		case !ok || got.Format(time.DateOnly) != tt.want:
			t.Errorf("parseDatePrefix(%q) = %s, %d, %v; want %s", tt.in, got, n, ok, tt.want)
		}
		if want := cmpOr(tt.n, len(tt.in)); n != want {
			t.Errorf("parseDatePrefix(%q) took %d bytes (%q), want %d", tt.in, n, tt.in[:n], want)
		}
		if d, ok := ParseDate(tt.in); tt.n == 0 && (ok != (tt.want != ambiguous) || (ok && d.Format(time.DateOnly) != tt.want)) {
			t.Errorf("ParseDate(%q) = %s, %v", tt.in, d, ok)
		}
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// embedShapes are the shapes an embed takes in a page: the embed code X gives out, the same with
// the date's link dropped, and the embed flattened to text in HTML and in plain text. Each builds
// a page with one embed of post by JD Vance (@VP), dated date, between paragraphs of prose.
var embedShapes = []struct {
	name string
	kind string
	page func(post, date string) string
}{
	{"embed code", KindBlockquote, func(post, date string) string {
		return pageAround(`<blockquote class="twitter-tweet"><p lang="es" dir="ltr">` + post +
			`</p>&mdash; JD Vance (@VP) <a href="https://twitter.com/VP/status/2021150315377594369?ref_src=twsrc%5Etfw">` +
			date + `</a></blockquote>`)
	}},
	{"embed code, date unlinked", KindBlockquote, func(post, date string) string {
		return pageAround(`<blockquote class="twitter-tweet"><p lang="es" dir="ltr">` + post +
			`</p>&mdash; JD Vance (@VP) ` + date + `</blockquote>`)
	}},
	{"flattened HTML", KindPlaintext, func(post, date string) string {
		return pageAround(`<p>` + post + `<br>— JD Vance (@VP) ` + date + `</p>`)
	}},
	{"flattened text", KindPlaintext, func(post, date string) string {
		return intro + "\n" + post + "\n— JD Vance (@VP) " + date + "\n" + outro + "\n"
	}},
}

const (
	intro = "El vicepresidente viajó a Bakú esta semana, donde una larga negociación terminó con una firma y una promesa de comercio entre los dos países, según el comunicado oficial que publicó la embajada al final de la tarde."
	outro = "Los observadores en ambas capitales esperan que los debates sobre la ratificación comiencen dentro del mes, aunque nadie se atreve a dar una fecha para la votación final en el parlamento."
)

func pageAround(embed string) string {
	return `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Carta firmada</title></head><body><article><h1>Carta firmada</h1>` +
		"\n<p>" + intro + "</p>\n" + embed + "\n<p>" + outro + "</p></article></body></html>"
}

// findOne finds the one embed in src, of the kind wanted, or fails.
func findOne(t *testing.T, src, kind string) Embed {
	t.Helper()
	got := Find([]byte(src), Options{})
	if len(got) != 1 || got[0].Kind != kind {
		for _, e := range got {
			t.Logf("got %s @%s %q date %q", e.Kind, e.Handle, e.Text, e.ClaimedDateText)
		}
		t.Fatalf("got %d embeds, want one %s", len(got), kind)
	}
	checkBounds(t, []byte(src), got)
	return got[0]
}

func TestAttributionDates(t *testing.T) {
	const ambiguous = ""
	tests := []struct {
		lang, date, want, post string
	}{
		{"en", "February 10, 2026", "2026-02-10", "Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q"},
		{"en", "10th of February 2026", "2026-02-10", "Today we signed a Charter on Strategic Partnership with Azerbaijan."},
		{"es", "9 de febrero de 2026", "2026-02-09", "Hoy firmamos la Carta de Asociación Estratégica con Azerbaiyán 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q"},
		{"es", "10 feb. 2026", "2026-02-10", "Hoy firmamos la Carta de Asociación Estratégica con Azerbaiyán."},
		{"es", "10 de febrero del 2026", "2026-02-10", "¡Una nueva etapa para nuestros dos países!"},
		{"es", "febrero 10 de 2026", "2026-02-10", "¡Una nueva etapa para nuestros dos países!"},
		{"fr", "10 février 2026", "2026-02-10", "Aujourd’hui, nous avons signé une charte de partenariat stratégique avec l’Azerbaïdjan."},
		{"fr", "10 févr. 2026", "2026-02-10", "Une nouvelle étape pour nos deux pays pic.twitter.com/AEfulNuR0q"},
		{"fr", "1er février 2026", "2026-02-01", "Une nouvelle étape pour nos deux pays."},
		{"de", "10. Februar 2026", "2026-02-10", "Heute haben wir eine Charta über strategische Partnerschaft mit Aserbaidschan unterzeichnet."},
		{"de", "10. Feb. 2026", "2026-02-10", "Ein neues Kapitel für unsere beiden Länder pic.twitter.com/AEfulNuR0q"},
		{"pt", "10 de fevereiro de 2026", "2026-02-10", "Hoje assinamos uma Carta de Parceria Estratégica com o Azerbaijão."},
		{"pt", "10 de fev. de 2026", "2026-02-10", "Um novo capítulo para os nossos dois países."},
		{"it", "10 febbraio 2026", "2026-02-10", "Oggi abbiamo firmato una Carta di partenariato strategico con l’Azerbaigian."},
		{"it", "10 feb 2026", "2026-02-10", "Un nuovo capitolo per i nostri due paesi."},
		{"nl", "10 februari 2026", "2026-02-10", "Vandaag hebben we een handvest voor strategisch partnerschap met Azerbeidzjan ondertekend."},
		{"nl", "10 feb. 2026", "2026-02-10", "Een nieuw hoofdstuk voor onze twee landen."},
		{"numeric", "10.02.2026", "2026-02-10", "Heute in Baku unterzeichnet."},
		{"numeric", "2026-02-10", "2026-02-10", "Signed in Baku today."},
		{"numeric", "13/02/2026", "2026-02-13", "Firmado hoy en Bakú."},
		{"numeric", "10/02/2026", ambiguous, "Firmado hoy en Bakú."},
		{"numeric", "02/10/2026", ambiguous, "Signed in Baku today."},
		{"zh", "2026年2月10日", "2026-02-10", "今天我们与阿塞拜疆签署了战略伙伴关系宪章。"},
		{"ja", "2026年2月10日", "2026-02-10", "本日、アゼルバイジャンと戦略的パートナーシップ憲章に署名しました。"},
		{"ko", "2026년 2월 10일", "2026-02-10", "오늘 아제르바이잔과 전략적 동반자 헌장에 서명했습니다."},
	}
	for _, tt := range tests {
		for _, shape := range embedShapes {
			t.Run(tt.lang+"/"+tt.date+"/"+shape.name, func(t *testing.T) {
				e := findOne(t, shape.page(tt.post, tt.date), shape.kind)
				if e.Text != tt.post {
					t.Errorf("Text = %q, want %q", e.Text, tt.post)
				}
				if e.Handle != "VP" || e.AuthorName != "JD Vance" {
					t.Errorf("Handle, AuthorName = %q, %q; want VP, JD Vance", e.Handle, e.AuthorName)
				}
				if e.ClaimedDateText != tt.date {
					t.Errorf("ClaimedDateText = %q, want %q", e.ClaimedDateText, tt.date)
				}
				got := ""
				if !e.ClaimedDate.IsZero() {
					got = e.ClaimedDate.Format(time.DateOnly)
				}
				if got != tt.want {
					t.Errorf("ClaimedDate = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestAttributionKeepsPostText(t *testing.T) {
	// Posts whose text ends with a year, a number or a date keep every word of it: only what
	// follows the handle is the attribution's date.
	posts := []string{
		"We will double trade with Azerbaijan by 2026",
		"The charter will be reviewed in 10 years",
		"Duplicaremos el comercio con Azerbaiyán hasta 2026",
		"La votación será el 10 de febrero de 2026",
		"Abstimmung am 10.02.2026",
		"Rendez-vous le 10/02/2026",
		"Nos vemos en 2026.",
		"目标是2026年",
		"Seats left: 10",
	}
	dates := []string{"9 de febrero de 2026", "10. Februar 2026", "10/02/2026", "2026年2月10日"}
	for _, post := range posts {
		for _, date := range dates {
			for _, shape := range embedShapes {
				t.Run(post+"/"+date+"/"+shape.name, func(t *testing.T) {
					e := findOne(t, shape.page(post, date), shape.kind)
					if e.Text != post || e.ClaimedDateText != date {
						t.Errorf("Text, ClaimedDateText = %q, %q; want %q, %q", e.Text, e.ClaimedDateText, post, date)
					}
				})
			}
		}
	}
}

func TestAttributionNeedsADate(t *testing.T) {
	// Prose with a handle in brackets after a dash, followed by a number or a year that is not a
	// date, is no flattened embed; nor is a line that ends in a date without a handle.
	lines := []string{
		"— Jane Roe (@janeroe) by 2026",
		"— Jane Roe (@janeroe) 10 years ago",
		"— Jane Roe (@janeroe) 2026",
		"— Jane Roe (@janeroe) 10 de 2026",
		"— Jane Roe (@janeroe) febrero de 2026",
		"— Jane Roe (@janeroe) 10/02/26",
		"— Jane Roe (@janeroe) 10.02.20261",
		"— Jane Roe (@janeroe) 10 February 2026x",
		"Jane Roe (@janeroe) 2026 and beyond",
		"The statement — signed by Jane Roe (@janeroe) in 2026 — was released the next morning.",
		"— Jane Roe, 10 de febrero de 2026",
	}
	for _, line := range lines {
		for _, src := range []string{
			intro + "\nA short line of text\n" + line + "\n" + outro,
			pageAround("<p>A short line of text<br>" + line + "</p>"),
		} {
			if got := Find([]byte(src), Options{}); len(got) != 0 {
				t.Errorf("%q: got %d embeds (%s %q), want none", line, len(got), got[0].Kind, got[0].Text)
			}
		}
	}
}

func TestAttributionUnknownDate(t *testing.T) {
	// In embed code the link to the status marks out the date, so the attribution is dropped from
	// the text even when the date is in a language the parser does not know; it is not read.
	dates := []string{"10 февр. 2026 г.", "10 Şub 2026", "10 lut 2026", "١٠ فبراير ٢٠٢٦", "Feb 30, 2026"}
	const post = "Today we signed a Charter on Strategic Partnership with Azerbaijan 🇺🇸🇦🇿 pic.twitter.com/AEfulNuR0q"
	for _, date := range dates {
		t.Run(date, func(t *testing.T) {
			e := findOne(t, embedShapes[0].page(post, date), KindBlockquote)
			if e.Text != post || e.Handle != "VP" || e.AuthorName != "JD Vance" || e.PostID != "2021150315377594369" {
				t.Errorf("got @%s %q, id %s, text %q; want @VP JD Vance, id 2021150315377594369, text %q", e.Handle, e.AuthorName, e.PostID, e.Text, post)
			}
			if e.ClaimedDateText != date || !e.ClaimedDate.IsZero() {
				t.Errorf("ClaimedDate, ClaimedDateText = %s, %q; want zero, %q", e.ClaimedDate, e.ClaimedDateText, date)
			}
		})
	}
	// Without the link there is nothing to mark the date out: the line stays in the text rather
	// than an unknown line being taken for a date.
	e := findOne(t, embedShapes[1].page(post, dates[0]), KindBlockquote)
	if !strings.HasPrefix(e.Text, post) {
		t.Errorf("unlinked: Text = %q, want it to start with the post", e.Text)
	}
}
