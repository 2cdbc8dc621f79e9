package extract

import (
	"encoding/json"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pageMeta is what a page declares about itself in <title>, <meta>, <html lang> and JSON-LD.
type pageMeta struct {
	Title     string
	Byline    string
	Published time.Time
	Lang      string
}

// hasDate reports whether the page declares its publication time.
func (m pageMeta) hasDate() bool { return !m.Published.IsZero() }

// Meta names and properties, best first. Keys are lower case.
var (
	metaTitleKeys  = []string{"og:title", "twitter:title", "dc.title", "parsely-title", "sailthru.title", "headline"}
	metaAuthorKeys = []string{"author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator", "citation_author", "byl"}
	metaDateKeys   = []string{
		"article:published_time", "og:article:published_time", "datepublished", "parsely-pub-date",
		"pubdate", "publishdate", "publish-date", "publish_date", "dc.date.issued", "dcterms.issued",
		"dc.date", "dcterms.date", "date", "sailthru.date", "citation_publication_date",
	}
)

// readMeta collects pageMeta from doc. Explicit declarations win over guesses: og:title over
// <title>, article:published_time and JSON-LD datePublished over <time> elements.
func readMeta(doc *html.Node) pageMeta {
	metas := map[string]string{} // first value of each lower-cased name/property/itemprop
	var title, htmlLang, timePub string
	var ld []any
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if htmlLang == "" {
					htmlLang = attr(n, "lang")
					if htmlLang == "" {
						htmlLang = attr(n, "xml:lang")
					}
				}
			case atom.Title:
				if title == "" && n.Namespace == "" {
					title = normalizeSpace(textOf(n))
				}
			case atom.Meta:
				content := strings.TrimSpace(attr(n, "content"))
				if content == "" {
					break
				}
				for _, k := range []string{"property", "name", "itemprop", "http-equiv"} {
					if key := strings.ToLower(strings.TrimSpace(attr(n, k))); key != "" {
						if _, seen := metas[key]; !seen {
							metas[key] = content
						}
					}
				}
			case atom.Time:
				if timePub == "" && (hasAttr(n, "pubdate") || strings.EqualFold(attr(n, "itemprop"), "datePublished")) {
					timePub = attr(n, "datetime")
				}
			case atom.Script:
				if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") {
					var v any
					if json.Unmarshal([]byte(textOf(n)), &v) == nil {
						ld = append(ld, v)
					}
				}
				return
			case atom.Style:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	var m pageMeta
	article := ldArticle(ld)

	m.Title = first(metas, metaTitleKeys)
	if m.Title == "" && article != nil {
		m.Title = ldString(article["headline"])
	}
	if m.Title == "" {
		m.Title = title
	}
	m.Title = normalizeSpace(m.Title)

	for _, k := range metaAuthorKeys {
		v := metas[k]
		if v == "" || strings.Contains(v, "://") {
			continue // article:author is often a profile URL
		}
		m.Byline = v
		break
	}
	if m.Byline == "" && article != nil {
		m.Byline = ldAuthors(article["author"])
	}
	m.Byline = normalizeSpace(m.Byline)

	for _, k := range metaDateKeys {
		if t := parseDate(metas[k]); !t.IsZero() {
			m.Published = t
			break
		}
	}
	if m.Published.IsZero() && article != nil {
		m.Published = parseDate(ldString(article["datePublished"]))
	}
	if m.Published.IsZero() {
		m.Published = parseDate(timePub)
	}

	m.Lang = strings.TrimSpace(htmlLang)
	if m.Lang == "" {
		m.Lang = metas["content-language"]
	}
	if m.Lang == "" && article != nil {
		m.Lang = ldString(article["inLanguage"])
	}
	if m.Lang == "" {
		m.Lang = strings.ReplaceAll(metas["og:locale"], "_", "-")
	}
	return m
}

func first(metas map[string]string, keys []string) string {
	for _, k := range keys {
		if v := metas[k]; v != "" {
			return v
		}
	}
	return ""
}

// ldArticle returns the first JSON-LD object whose @type names an article or post (searching @graph
// and arrays), else the first object with a datePublished, else nil.
func ldArticle(docs []any) map[string]any {
	var withDate map[string]any
	var found map[string]any
	var visit func(v any, depth int)
	visit = func(v any, depth int) {
		if found != nil || depth > 8 {
			return
		}
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				visit(e, depth+1)
			}
		case map[string]any:
			if isArticleType(v["@type"]) {
				found = v
				return
			}
			if _, ok := v["datePublished"]; ok && withDate == nil {
				withDate = v
			}
			if g, ok := v["@graph"]; ok {
				visit(g, depth+1)
			}
			if e, ok := v["mainEntity"]; ok {
				visit(e, depth+1)
			}
		}
	}
	for _, d := range docs {
		visit(d, 0)
	}
	if found != nil {
		return found
	}
	return withDate
}

func isArticleType(t any) bool {
	switch t := t.(type) {
	case string:
		return strings.HasSuffix(t, "Article") || strings.HasSuffix(t, "Posting") || t == "Report"
	case []any:
		for _, e := range t {
			if isArticleType(e) {
				return true
			}
		}
	}
	return false
}

// ldString returns v if it is a string, the first string of an array, or an object's "name" or
// "@value"; otherwise "".
func ldString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		for _, e := range v {
			if s := ldString(e); s != "" {
				return s
			}
		}
	case map[string]any:
		if s := ldString(v["name"]); s != "" {
			return s
		}
		return ldString(v["@value"])
	}
	return ""
}

// ldAuthors joins the names of a JSON-LD author value (string, Person, or an array of them) with
// ", ".
func ldAuthors(v any) string {
	if a, ok := v.([]any); ok {
		var names []string
		for _, e := range a {
			if s := ldString(e); s != "" && !strings.Contains(s, "://") {
				names = append(names, s)
			}
		}
		return strings.Join(names, ", ")
	}
	if s := ldString(v); !strings.Contains(s, "://") {
		return s
	}
	return ""
}

// dateLayouts are the timestamp spellings pages use in metadata.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"20060102",
	"2006/01/02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"January 2, 2006",
	"Jan 2, 2006",
	"2 January 2006",
}

// parseDate parses a metadata timestamp; it returns the zero time if s is none of dateLayouts.
// Times without a zone are taken as UTC.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

// textOf returns the concatenated text nodes under n.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
