package extract

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExtract(t *testing.T) {
	tests := []struct {
		file        string
		contentType string
		title       string
		byline      string
		published   string // RFC 3339, "" for the zero time
		lang        string
		// paragraphs that must be present, in this order (others may come between)
		want []string
		// substrings that must not be anywhere in the text
		notWant []string
	}{
		{
			file:      "article.html",
			title:     "Harbour board approves night ferry pilot",
			byline:    "Mara Ellison",
			published: "2026-02-10T14:30:00-05:00",
			lang:      "en",
			want: []string{
				"The Lakeside harbour board voted five to two on Tuesday to run a six-month pilot of a late-night ferry between the old pier and the island terminal, the first change to the crossing timetable in eleven years.",
				"Board chair Ilse Varga said the vote followed a petition signed by more than four thousand residents, many of them shift workers at the island hospital who currently rely on a single water taxi after ten in the evening.",
				// the embedded post, as text, with its attribution line, in place
				"Tonight the board said yes to the night ferry pilot. Thank you to every nurse, cook and cleaner who signed. See you on the 23:15 🚢🇪🇺 pic.twitter.com/abc123",
				"— Lakeside Harbour Board (@LakesideHarbour) February 10, 2026",
				// emoji with ZWJ, skin tone, variation selector; flags from regional
				// indicators and from tag sequences
				"At the vote, supporters wore badges reading 👩\u200d⚕️ 🧑🏽\u200d🍳 ❤️ and waved 🇪🇺 and 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f flags.",
				"What happens next",
				"Sailings: Thursday to Saturday, 23:15 and 00:40",
				"Fares: same as the daytime single ticket",
				// <br><br> splits a paragraph
				"Residents can send comments to the board until March 1.",
				"Correction: an earlier version of this story gave the wrong sailing time.",
			},
			notWant: []string{"Subscribe for $1", "Most read", "Storm closes coastal road", "Privacy policy", "All rights reserved", "dataLayer", "widgets.js"},
		},
		{
			file:      "cp1251.html",
			title:     "Городской совет утвердил ночной паром",
			byline:    "Анна Соколова",
			published: "2026-02-11T09:00:00+03:00",
			lang:      "ru",
			want: []string{
				"Во вторник городской совет пятью голосами против двух одобрил полугодовой эксперимент с ночным паромом между старой пристанью и островным терминалом.",
				"Совет оценит число пассажиров, пунктуальность и жалобы на шум в сентябре, прежде чем сделать рейсы постоянными.",
			},
			notWant: []string{"Главная", "Городские новости", "\uFFFD"},
		},
		{
			// the charset is declared after the first 1024 bytes
			file:      "latin9.html",
			title:     "Hafenrat beschließt Nachtfähre",
			published: "2026-02-10T00:00:00Z",
			lang:      "de",
			want: []string{
				"Zwei zusätzliche Fahrten sollen ab April donnerstags bis samstags um 23:15 und 00:40 Uhr ablegen. Der Fahrpreis entspricht dem Einzelfahrschein am Tag und kostet 4 €.",
			},
			notWant: []string{"layout rules", "\uFFFD"},
		},
		{
			// no <meta> charset: only the Content-Type says Shift_JIS
			file:        "shift_jis.html",
			contentType: "text/html; charset=Shift_JIS",
			title:       "夜間フェリーの試験運航が決定",
			lang:        "ja",
			want: []string{
				"港湾委員会は火曜日、旧桟橋と島のターミナルを結ぶ夜間フェリーを六か月間試験的に運航することを賛成五、反対二で可決した。時刻表の変更は十一年ぶりとなる。",
				"委員長は、島の病院で働く夜勤の職員を中心に四千人以上が署名した請願を受けての決定だと述べた。委員会は九月に利用者数や定時性を検証する。",
			},
			notWant: []string{"\uFFFD"},
		},
		{
			file:      "rtl-ar.html",
			title:     "مجلس الميناء يوافق على عبّارة ليلية تجريبية",
			byline:    "ليلى حداد",
			published: "2026-02-10T20:00:00+02:00",
			lang:      "ar",
			want: []string{
				"صوّت مجلس الميناء يوم الثلاثاء بأغلبية خمسة أصوات مقابل صوتين على تشغيل عبّارة ليلية تجريبية لمدة ستة أشهر بين الرصيف القديم ومحطة الجزيرة.",
				"وسيراجع المجلس عدد الركاب والالتزام بالمواعيد وشكاوى الضجيج في شهر سبتمبر قبل أن يقرر جعل الخدمة دائمة.",
			},
			notWant: []string{"الرئيسية", "جميع الحقوق محفوظة"},
		},
		{
			// metadata only in JSON-LD (@graph, two authors)
			file:      "rtl-he.html",
			title:     "ועדת הנמל אישרה מעבורת לילה ניסיונית",
			byline:    "נועה לוי, דוד כהן",
			published: "2026-02-10T19:30:00+02:00",
			lang:      "he",
			want: []string{
				"ועדת הנמל אישרה ביום שלישי ברוב של חמישה נגד שניים הפעלה ניסיונית של מעבורת לילה בין המזח הישן למסוף האי למשך שישה חודשים.",
				"לפי התוכנית, שתי הפלגות נוספות ייצאו בשעה 23:15 ובשעה 00:40 מיום חמישי עד שבת, החל מאפריל, במחיר כרטיס היום.",
			},
			notWant: []string{"כל הזכויות שמורות", "ספורט"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := Extract(readTestdata(t, tt.file), "https://courier.example/news/"+tt.file, Options{ContentType: tt.contentType})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if a.Title != tt.title {
				t.Errorf("Title = %q, want %q", a.Title, tt.title)
			}
			if tt.byline != "" && !sameNames(a.Byline, tt.byline) {
				t.Errorf("Byline = %q, want %q", a.Byline, tt.byline)
			}
			var want time.Time
			if tt.published != "" {
				want, _ = time.Parse(time.RFC3339, tt.published)
			}
			if !a.Published.Equal(want) {
				t.Errorf("Published = %v, want %v", a.Published, want)
			}
			if a.Lang != tt.lang {
				t.Errorf("Lang = %q, want %q", a.Lang, tt.lang)
			}
			if a.Paragraphs[0] == tt.title {
				t.Errorf("first paragraph repeats the title")
			}
			// want must be a subsequence of the paragraphs
			i := 0
			for _, p := range a.Paragraphs {
				if i < len(tt.want) && p == tt.want[i] {
					i++
				}
			}
			if i < len(tt.want) {
				t.Errorf("paragraph %q missing or out of order; got:\n%s", tt.want[i], strings.Join(a.Paragraphs, "\n"))
			}
			text := a.Text()
			for _, s := range tt.notWant {
				if strings.Contains(text, s) {
					t.Errorf("text contains %q; got:\n%s", s, text)
				}
			}
			for _, p := range a.Paragraphs {
				if p != normalizeSpace(p) || p == "" {
					t.Errorf("paragraph %q is not whitespace-normalised", p)
				}
			}
		})
	}
}

// sameNames compares bylines as sets of names: JSON-LD authors have no order, and extractors
// separate names with ", " or "; ".
func sameNames(got, want string) bool {
	split := func(s string) []string {
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		slices.Sort(f)
		return f
	}
	return slices.Equal(split(got), split(want))
}

func TestExtractNoArticle(t *testing.T) {
	tests := []struct {
		name string
		page []byte
	}{
		{"login page", readTestdata(t, "no-article.html")},
		{"empty", nil},
		{"blank body", []byte("<!DOCTYPE html><html><head><title>Nothing here</title></head><body>   </body></html>")},
		{"not html", []byte("\x00\x01\x02 binary")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Extract(tt.page, "", Options{})
			if !errors.Is(err, ErrNoArticle) {
				t.Fatalf("Extract error = %v, want ErrNoArticle", err)
			}
			if len(a.Paragraphs) != 0 {
				t.Errorf("Paragraphs = %q, want none", a.Paragraphs)
			}
			if !strings.Contains(err.Error(), "no article text found") {
				t.Errorf("error %q does not say what happened", err)
			}
		})
	}
	// the metadata is still returned
	a, _ := Extract(readTestdata(t, "no-article.html"), "", Options{})
	if a.Title == "" || a.Lang != "en" {
		t.Errorf("metadata of a page without article: Title %q Lang %q, want them filled", a.Title, a.Lang)
	}
}

func TestExtractTooLarge(t *testing.T) {
	article := readTestdata(t, "article.html")
	pad := func(n int) []byte {
		// a real article, followed by a comment that takes the page to n bytes
		var b bytes.Buffer
		b.Write(article)
		b.WriteString("<!--")
		b.Write(bytes.Repeat([]byte("x"), n-len(article)-len("<!---->")))
		b.WriteString("-->")
		return b.Bytes()
	}
	tests := []struct {
		name     string
		size     int
		maxBytes int
		tooLarge bool
	}{
		{"default limit, at it", DefaultMaxBytes, 0, false},
		{"default limit, over it", DefaultMaxBytes + 1, 0, true},
		{"huge", 3 * DefaultMaxBytes, 0, true},
		{"own limit, over it", 64 << 10, 32 << 10, true},
		{"own limit, under it", 16 << 10, 32 << 10, false},
		{"no limit", DefaultMaxBytes + 1, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Extract(pad(tt.size), "", Options{MaxBytes: tt.maxBytes})
			if got := errors.Is(err, ErrTooLarge); got != tt.tooLarge {
				t.Fatalf("Extract error = %v, want ErrTooLarge: %v", err, tt.tooLarge)
			}
			if tt.tooLarge {
				if len(a.Paragraphs) != 0 {
					t.Errorf("a refused page returned paragraphs")
				}
				if !strings.Contains(err.Error(), "limit") {
					t.Errorf("error %q does not name the limit", err)
				}
				return
			}
			if err != nil || len(a.Paragraphs) < 5 {
				t.Errorf("Extract = %d paragraphs, %v; want the article", len(a.Paragraphs), err)
			}
		})
	}
}

func TestExtractTooDeep(t *testing.T) {
	page := "<body>" + strings.Repeat("<div>", 600) + "<p>" + strings.Repeat("Deep text. ", 20) + "</p>"
	_, err := Extract([]byte(page), "", Options{})
	if err == nil || !strings.Contains(err.Error(), "parse html") {
		t.Errorf("Extract of a 600-deep page: error %v, want a parse error", err)
	}
}

func TestExtractUnknownEngine(t *testing.T) {
	if _, err := Extract(readTestdata(t, "article.html"), "", Options{Engine: Engine(99)}); err == nil {
		t.Error("Extract with Engine(99) succeeded, want an error")
	}
}

func TestEngines(t *testing.T) {
	// Every engine finds the body of a plain article and drops the furniture.
	page := readTestdata(t, "article.html")
	for e := range engines {
		t.Run(e.String(), func(t *testing.T) {
			a, err := Extract(page, "https://courier.example/news/ferry", Options{Engine: e})
			if err != nil {
				t.Fatal(err)
			}
			text := a.Text()
			for _, s := range []string{"petition signed by more than four thousand residents", "— Lakeside Harbour Board (@LakesideHarbour)"} {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q", s)
				}
			}
			if strings.Contains(text, "Privacy policy") {
				t.Errorf("text has the footer")
			}
		})
	}
}

func TestArticleText(t *testing.T) {
	tests := []struct {
		paras []string
		want  string
	}{
		{nil, ""},
		{[]string{"One."}, "One."},
		{[]string{"One.", "Two.", "Three."}, "One.\n\nTwo.\n\nThree."},
	}
	for _, tt := range tests {
		if got := (Article{Paragraphs: tt.paras}).Text(); got != tt.want {
			t.Errorf("Text() of %q = %q, want %q", tt.paras, got, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	win1251 := []byte{0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2} // "Привет"
	tests := []struct {
		name        string
		page        []byte
		contentType string
		want        string // substring of the decoded text
		charset     string
	}{
		{"default utf-8", []byte("<p>héllo 🇺🇦</p>"), "", "héllo 🇺🇦", "utf-8"},
		{"utf-8 BOM dropped", []byte("\xef\xbb\xbf<p>x</p>"), "", "<p>x</p>", "utf-8"},
		{"utf-16le BOM", []byte("\xff\xfe<\x00p\x00>\x00\xe9\x00"), "", "<p>é", "utf-16le"},
		{"content type", slices.Concat([]byte("<p>"), win1251), "text/html; charset=windows-1251", "<p>Привет", "windows-1251"},
		{"content type beats meta", slices.Concat([]byte(`<meta charset="utf-8"><p>`), win1251), "text/html; charset=cp1251", "Привет", "windows-1251"},
		{"BOM beats content type", []byte("\xef\xbb\xbf<p>é</p>"), "text/html; charset=iso-8859-1", "<p>é</p>", "utf-8"},
		{"meta charset", slices.Concat([]byte(`<meta charset="windows-1251"><p>`), win1251), "", "Привет", "windows-1251"},
		{"meta http-equiv", slices.Concat([]byte(`<meta http-equiv="content-type" content="text/html;charset=windows-1251"><p>`), win1251), "", "Привет", "windows-1251"},
		{"meta unquoted, odd spacing", slices.Concat([]byte(`<META HTTP-EQUIV=Content-Type CONTENT="text/html; charset = 'windows-1251'"><p>`), win1251), "", "Привет", "windows-1251"},
		{"meta in body ignored", slices.Concat([]byte(`<body><meta charset="windows-1251"><p>`), []byte("é")), "", "é", "utf-8"},
		{"meta claiming utf-16 means utf-8", []byte(`<meta charset="utf-16"><p>é</p>`), "", "é", "utf-8"},
		{"unknown label", []byte(`<meta charset="klingon"><p>é</p>`), "", "é", "utf-8"},
		{"latin-1 label is windows-1252", []byte("<meta charset=\"iso-8859-1\"><p>\x93quoted\x94 caf\xe9</p>"), "", "“quoted” café", "windows-1252"},
		{"iso-8859-2", []byte("<meta charset=\"iso-8859-2\"><p>\xb3\xf3d\xbc</p>"), "", "łódź", "iso-8859-2"},
		{"shift_jis", []byte("<meta charset=\"shift_jis\"><p>\x93\xfa\x96\x7b</p>"), "", "日本", "shift_jis"},
		{"invalid utf-8 replaced", []byte("<p>a\xffb</p>"), "", "a\uFFFDb", "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cs := decode(tt.page, tt.contentType)
			if !strings.Contains(got, tt.want) {
				t.Errorf("decode = %q, want it to contain %q", got, tt.want)
			}
			if cs != tt.charset {
				t.Errorf("charset = %q, want %q", cs, tt.charset)
			}
			if strings.HasPrefix(got, "\uFEFF") {
				t.Errorf("decode kept the byte-order mark")
			}
		})
	}
}

func TestParagraphs(t *testing.T) {
	tests := []struct {
		name string
		html string
		want []string
	}{
		{"paragraphs", "<p>One  two\n three.</p><p>Four.</p>", []string{"One two three.", "Four."}},
		{"br br splits, br joins", "<div>Line one<br>line two<br><br>New para<br> <br>Another</div>", []string{"Line one line two", "New para", "Another"}},
		{"inline elements do not split", "<p>A <b>bold</b> and <a href=#>linked</a>word.</p>", []string{"A bold and linkedword."}},
		{"lists", "<ul><li>First</li><li>Second <em>item</em></li></ul>", []string{"First", "Second item"}},
		{"headings and quotes", "<h2>Head</h2><blockquote><p>Quoted.</p>— Someone</blockquote>", []string{"Head", "Quoted.", "— Someone"}},
		{"table rows", "<table><tr><th>Name</th><th>Votes</th></tr><tr><td>Varga</td><td>5</td></tr></table>", []string{"Name Votes", "Varga 5"}},
		{"scripts and styles skipped", "<p>Text<script>var x = 1;</script><style>p{}</style></p>", []string{"Text"}},
		{"unicode spaces", "<p>\u00a0No\u2009break\u3000here\u00a0</p>", []string{"No break here"}},
		{"empty dropped", "<p> </p><p></p><div><br><br></div><p>x</p>", []string{"x"}},
		{"text around blocks", "Loose text<p>Para</p>tail", []string{"Loose text", "Para", "tail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseHTML(t, tt.html)
			if got := paragraphs(doc); !slices.Equal(got, tt.want) {
				t.Errorf("paragraphs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadMeta(t *testing.T) {
	tests := []struct {
		name string
		head string
		want pageMeta
	}{
		{
			"og and article tags",
			`<html lang="en-GB"><head><title>Site | Story</title><meta property="og:title" content="Story"><meta name="author" content="A. Writer"><meta property="article:published_time" content="2026-02-10T08:00:00Z"></head>`,
			pageMeta{Title: "Story", Byline: "A. Writer", Published: time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC), Lang: "en-GB"},
		},
		{
			"title element only",
			`<head><title> Just   a title </title></head>`,
			pageMeta{Title: "Just a title"},
		},
		{
			"author URL skipped for JSON-LD name",
			`<head><meta property="article:author" content="https://facebook.com/someone"><script type="application/ld+json">{"@type":"NewsArticle","headline":"H","author":{"@type":"Person","name":"Real Name"},"datePublished":"2026-01-02T03:04:05+01:00"}</script></head>`,
			pageMeta{Title: "H", Byline: "Real Name", Published: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))},
		},
		{
			"JSON-LD array, type list, multiple authors",
			`<head><script type="application/ld+json">[{"@type":"Organization","name":"Org"},{"@type":["Article","BlogPosting"],"headline":"T","author":[{"name":"A"},"B"],"datePublished":"2026-03-04","inLanguage":"fr"}]</script></head>`,
			pageMeta{Title: "T", Byline: "A, B", Published: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), Lang: "fr"},
		},
		{
			"broken JSON-LD ignored",
			`<head><title>T</title><script type="application/ld+json">{"@type": "NewsArticle", "headline": </script></head>`,
			pageMeta{Title: "T"},
		},
		{
			"time pubdate and og:locale",
			`<head><meta property="og:locale" content="pt_BR"></head><body><time datetime="2026-02-10 14:30:00" pubdate>ontem</time></body>`,
			pageMeta{Published: time.Date(2026, 2, 10, 14, 30, 0, 0, time.UTC), Lang: "pt-BR"},
		},
		{
			"unparseable date is unknown",
			`<head><meta property="article:published_time" content="last Tuesday"></head>`,
			pageMeta{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readMeta(parseHTML(t, tt.head))
			if got.Title != tt.want.Title || got.Byline != tt.want.Byline || got.Lang != tt.want.Lang || !got.Published.Equal(tt.want.Published) {
				t.Errorf("readMeta = %+v, want %+v", got, tt.want)
			}
		})
	}
}
