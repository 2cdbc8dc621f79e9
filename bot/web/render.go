package web

import (
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/verify"
	"github.com/verbatim-archive/verbatim/verify/match"
)

// pageData is what every page template gets: the layout reads Title and Q
// (the search box), the page its Body.
type pageData struct {
	Title      string
	Q          string
	OpenWrites bool
	Body       any
}

type errorPage struct {
	Code    int
	Message string
}

// parseTemplates parses each page with the layout. A broken template is a
// programming error, caught by every test.
func parseTemplates() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := make(map[string]*template.Template)
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return pages
}

var funcs = template.FuncMap{
	"when":         when,
	"whenp":        func(t *time.Time) string { return whenPtr(t) },
	"day":          func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"snippet":      snippetHTML,
	"size":         size,
	"short":        func(s string) string { return s[:min(len(s), 12)] },
	"verdictClass": verdictClass,
	"statusClass":  statusClass,
	"isImage":      isInlineImage,
	"dur":          dur,
	"add":          func(a, b int) int { return a + b },
	"detail":       func(v any) string { return fmt.Sprint(v) },
	"plural": func(n int, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	},
}

const timeLayout = "2006-01-02 15:04:05 UTC"

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeLayout)
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

// dur writes a duration in days, hours and minutes.
func dur(d time.Duration) string {
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// snippetHTML renders a search snippet, whose matches sit between \x02 and
// \x03, with every piece escaped and the matches in <mark>.
func snippetHTML(s string) template.HTML {
	var b strings.Builder
	open := false
	for {
		i := strings.IndexAny(s, "\x02\x03")
		if i < 0 {
			b.WriteString(html.EscapeString(s))
			break
		}
		b.WriteString(html.EscapeString(s[:i]))
		switch {
		case s[i] == '\x02' && !open:
			b.WriteString("<mark>")
			open = true
		case s[i] == '\x03' && open:
			b.WriteString("</mark>")
			open = false
		}
		s = s[i+1:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String())
}

// diffHTML is the word diff from a to b: deletions in <del>, insertions in
// <ins>, every piece escaped (verify.RenderHTML).
func diffHTML(a, b string) template.HTML {
	return template.HTML(verify.RenderHTML(verify.DiffWords(a, b)))
}

// sides splits a stored word diff (verify.RenderText's [-removed-] and
// {+added+} form) into the two texts of a side-by-side view: the left
// (archived) with deletions in <del>, the right (article) with insertions
// in <ins>, every piece escaped. ok is false when the diff does not parse.
func sides(diff string) (left, right template.HTML, ok bool) {
	var l, r strings.Builder
	for diff != "" {
		di, ii := strings.Index(diff, "[-"), strings.Index(diff, "{+")
		next := di
		if next < 0 || (ii >= 0 && ii < next) {
			next = ii
		}
		if next < 0 {
			l.WriteString(html.EscapeString(diff))
			r.WriteString(html.EscapeString(diff))
			break
		}
		eq := html.EscapeString(diff[:next])
		l.WriteString(eq)
		r.WriteString(eq)
		closer, tag, dst := "-]", "del", &l
		if next == ii {
			closer, tag, dst = "+}", "ins", &r
		}
		end := strings.Index(diff[next+2:], closer)
		if end < 0 {
			return "", "", false
		}
		dst.WriteString("<" + tag + ">" + html.EscapeString(diff[next+2:next+2+end]) + "</" + tag + ">")
		diff = diff[next+2+end+2:]
	}
	return template.HTML(l.String()), template.HTML(r.String()), true
}

func verdictClass(v string) string {
	switch {
	case match.IsMisquote(v):
		return "bad"
	case v == match.Exact || v == match.Normalized || v == match.Linked || v == "ok":
		return "ok"
	}
	return "warn"
}

func statusClass(s string) string {
	switch s {
	case archive.StatusDeleted, archive.StatusUnavailable:
		return "bad"
	case archive.StatusEdited:
		return "warn"
	}
	return "ok"
}

// inlineImages are the media types shown on our pages and served inline;
// everything else (SVG included) is a download.
var inlineImages = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

func isInlineImage(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	return inlineImages[strings.TrimSpace(strings.ToLower(mt))]
}

// pager is the previous and next links of a paged list.
type pager struct {
	From, To, Total int
	Capped          bool
	Prev, Next      string
}

func newPager(base string, v url.Values, offset, limit, n, total int, capped bool) pager {
	p := pager{From: offset + 1, To: offset + n, Total: total, Capped: capped}
	if n == 0 {
		p.From = offset
	}
	link := func(off int) string {
		w := url.Values{}
		for k, vs := range v {
			w[k] = vs
		}
		w.Del("offset")
		if off > 0 {
			w.Set("offset", fmt.Sprint(off))
		}
		if e := w.Encode(); e != "" {
			return base + "?" + e
		}
		return base
	}
	if offset > 0 {
		p.Prev = link(max(offset-limit, 0))
	}
	if offset+n < total || (capped && n == limit) {
		p.Next = link(offset + limit)
	}
	return p
}
