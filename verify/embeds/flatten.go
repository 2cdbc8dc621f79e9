package embeds

import (
	"bytes"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// doc is an article flattened to text: the text a reader sees, with paragraph and line breaks, the
// link elements in it and the embed elements of its markup, each with the byte offset in the input
// where it came from.
type doc struct {
	src   []byte
	text  []byte
	marks []mark // where the text came from in src, for mapping text offsets back
	// anchors are the link elements, in document order, with their text ranges.
	anchors []anchor
	// elems are the blockquotes and the rendered embeds (iframes, divs with data-tweet-id).
	elems []element
	// blocks are the text offsets, ascending, where an element ended or started a paragraph (not
	// where line breaks made a blank line). Plain text has none.
	blocks []int
}

// mark says that text[t:] came from src[s:], byte for byte, up to the next mark.
type mark struct{ t, s int }

type anchor struct {
	start, end int // in text
	src        int // offset of the <a> tag
	href       string
	ref        statusRef
	isStatus   bool
}

type element struct {
	rendered   bool // an iframe or div that widgets.js left, with no text
	tweetClass bool // class twitter-tweet or twitter-video
	src        int  // offset of the start tag
	srcEnd     int  // offset just past the end tag, or of the last thing in it
	start, end int  // text range
	ref        statusRef
	closed     bool
}

// open is an element on the stack of open elements.
type open struct {
	name   string
	elem   int // index in elems, or -1
	anchor int // index in anchors, or -1
}

// htmlHint matches a tag of an element common in article markup; input with none is plain text.
var htmlHint = regexp.MustCompile(`(?i)<(?:!doctype|html|head|body|p|div|br|span|a|blockquote|iframe|article|section|main|h[1-6]|ul|ol|li|em|strong|b|i|img|table|script|style|meta|link|figure|amp-twitter)[\s/>]|</(?:p|div|a|span|blockquote)>`)

// looksLikeHTML reports whether src is markup rather than plain text: it starts with a tag, or has
// at least three tags of elements common in articles. Plain text that mentions a tag or two ("<br>
// and </p>") stays plain text.
func looksLikeHTML(src []byte) bool {
	if t := bytes.TrimLeft(src, " \t\r\n\f\ufeff"); len(t) > 0 && t[0] == '<' {
		return true
	}
	return len(htmlHint.FindAllIndex(src, 3)) == 3
}

// plainDoc returns the doc of plain text: the text is the input itself.
func plainDoc(src []byte) *doc {
	return &doc{src: src, text: src, marks: []mark{{0, 0}}}
}

const maxDepth = 512 // the deepest stack of open elements tracked; deeper ones are not pushed

var (
	voidElements = set("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr", "frame")
	// rawElements hold text that is not shown, or (iframe) is not markup; the tokenizer returns
	// their content as one text token.
	rawElements = set("script", "style", "textarea", "title", "xmp", "noembed", "noframes", "noscript", "plaintext", "iframe")
	// blockElements start and end a paragraph.
	blockElements = set("address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
		"fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li",
		"main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "caption", "ul",
		"iframe", "body", "html", "amp-twitter")
	// scopeElements bound the search for an element that an end tag or a new paragraph closes.
	scopeElements = set("html", "table", "td", "th", "caption", "template", "object", "applet", "marquee", "button")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// flatten tokenizes src and builds its doc. It builds no tree: a stack of open elements, kept the
// way an HTML parser would for the cases that matter here (end tags of elements that are not open
// are ignored, a block closes an open paragraph, an end tag does not close past a block it is not
// in), tells where each blockquote and link ends, so that unclosed or stray tags cannot make one
// embed swallow the page.
func flatten(src []byte) *doc {
	d := &doc{src: src, text: make([]byte, 0, len(src)/3)}
	f := flattener{d: d, openAnchor: -1, open: map[string]int{}}
	z := html.NewTokenizer(bytes.NewReader(src))
	pos := 0
	for {
		tt := z.Next()
		start := pos
		pos += len(z.Raw())
		switch tt {
		case html.ErrorToken:
			f.finish(pos)
			return d
		case html.TextToken:
			if f.skip {
				continue
			}
			f.text(z.Raw(), start)
		case html.StartTagToken, html.SelfClosingTagToken:
			f.skip = false
			name, hasAttr := z.TagName()
			var attrs map[string]string
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch key := string(k); key {
				case "class", "href", "src", "data-tweet-id", "data-tweetid":
					if attrs == nil {
						attrs = make(map[string]string, 4)
					}
					if _, dup := attrs[key]; !dup { // the first of repeated attributes wins
						attrs[key] = string(v)
					}
				}
			}
			f.start(string(name), attrs, tt == html.SelfClosingTagToken, start, pos)
		case html.EndTagToken:
			f.skip = false
			name, _ := z.TagName()
			f.end(string(name), start, pos)
		default: // comments, doctypes
			f.skip = false
		}
	}
}

type flattener struct {
	d          *doc
	stack      []open
	skip       bool // the next text token is the content of a raw element
	pre        int  // open <pre> elements
	space      bool // white space is pending
	spaceSrc   int
	openAnchor int
	open       map[string]int // how many elements of each name are on the stack
	embeds     []int          // where in the stack the open embed elements are
}

func (f *flattener) start(name string, attrs map[string]string, selfClosing bool, src, srcEnd int) {
	d := f.d
	if rawElements[name] {
		f.skip = !selfClosing
	}
	if blockElements[name] {
		f.closeParagraph(src)
		f.paragraph(src)
	}
	switch name {
	case "br":
		f.lineBreak(src)
	case "a":
		if a := f.openAnchor; a >= 0 { // an <a> inside an <a> closes the first
			f.popTo(f.indexOf(func(o open) bool { return o.anchor == a }), src)
			f.closeAnchor(a)
		}
	case "td", "th":
		f.space, f.spaceSrc = true, src
	}

	elem := -1
	class := " " + strings.ToLower(strings.Join(strings.Fields(attrs["class"]), " ")) + " "
	tweetClass := strings.Contains(class, " twitter-tweet ") || strings.Contains(class, " twitter-video ")
	switch {
	case name == "blockquote":
		if f.openEmbed() >= 0 {
			break // a blockquote inside an embed is part of that embed
		}
		ref, _ := renderedRef(name, attrs, class) // a data-tweet-id, if it has one
		elem = len(d.elems)
		d.elems = append(d.elems, element{tweetClass: tweetClass, src: src, start: len(d.text), ref: ref})
	default:
		ref, ok := renderedRef(name, attrs, class)
		if !ok {
			break
		}
		if outer := f.openEmbed(); outer >= 0 {
			// A widget iframe inside a rendered div or inside a blockquote belongs to that embed.
			if o := &d.elems[outer]; o.ref.id == "" || o.ref.id == ref.id {
				if o.ref.id == "" {
					o.ref = ref
				}
				break
			}
		}
		elem = len(d.elems)
		d.elems = append(d.elems, element{rendered: true, tweetClass: tweetClass, src: src, srcEnd: srcEnd, start: len(d.text), end: len(d.text), ref: ref})
		if rawElements[name] || voidElements[name] || selfClosing {
			d.elems[elem].closed = true
			elem = -1
		}
	}

	if voidElements[name] || rawElements[name] || selfClosing {
		return
	}
	o := open{name: name, elem: elem, anchor: -1}
	if name == "a" {
		o.anchor = len(d.anchors)
		href := strings.TrimSpace(attrs["href"])
		ref, ok := parseStatus(href)
		d.anchors = append(d.anchors, anchor{start: len(d.text), end: -1, src: src, href: href, ref: ref, isStatus: ok})
		f.openAnchor = o.anchor
	}
	if len(f.stack) >= maxDepth && ((elem < 0 && o.anchor < 0) || len(f.stack) >= maxDepth+64) {
		// Too deep to track. Embeds and links get a little more room, as pages nest them in
		// many wrappers; other elements are let go, and their text flows into their parent's.
		if elem >= 0 {
			d.elems[elem].end = len(d.text) // too deep to track: an empty embed, ended here
			d.elems[elem].srcEnd = srcEnd
			d.elems[elem].closed = true
		}
		if o.anchor >= 0 {
			f.closeAnchor(o.anchor)
		}
		return
	}
	if name == "pre" {
		f.pre++
	}
	f.open[name]++
	if elem >= 0 && (d.elems[elem].rendered || d.elems[elem].tweetClass) {
		f.embeds = append(f.embeds, len(f.stack))
	}
	f.stack = append(f.stack, o)
}

// renderedRef reports whether an element is an embed that widgets.js rendered (or an AMP one), and
// which post it shows if it says.
func renderedRef(name string, attrs map[string]string, class string) (statusRef, bool) {
	for _, k := range []string{"data-tweet-id", "data-tweetid"} {
		if id := strings.TrimSpace(attrs[k]); allDigits(id) {
			return statusRef{id: strings.TrimLeft(id, "0")}, true
		}
	}
	if name == "iframe" || name == "amp-iframe" {
		if r, ok := widgetID(attrs["src"]); ok {
			return r, true
		}
	}
	if strings.Contains(class, " twitter-tweet-rendered ") || (name == "iframe" && strings.Contains(class, " twitter-tweet ")) {
		return statusRef{}, true
	}
	return statusRef{}, false
}

// openEmbed returns the innermost open embed element (a blockquote of class twitter-tweet or a
// rendered embed), or -1.
func (f *flattener) openEmbed() int {
	if n := len(f.embeds); n > 0 {
		return f.stack[f.embeds[n-1]].elem
	}
	return -1
}

func (f *flattener) end(name string, src, srcEnd int) {
	switch name {
	case "br": // </br> is a <br>
		f.lineBreak(src)
		return
	case "body", "html":
		return
	}
	if f.open[name] == 0 {
		if name == "p" {
			f.paragraph(src) // </p> with no open <p> makes an empty paragraph
		}
		return
	}
	var i int
	if blockElements[name] || scopeElements[name] || name == "p" {
		i = f.inScope(name)
		if name == "p" && i < 0 {
			f.paragraph(src) // </p> with no open <p> makes an empty paragraph
		}
	} else {
		i = -1
		for j := len(f.stack) - 1; j >= 0; j-- {
			if f.stack[j].name == name {
				i = j
				break
			}
			if blockElements[f.stack[j].name] || scopeElements[f.stack[j].name] {
				break
			}
		}
	}
	if i < 0 {
		return
	}
	f.popTo(i, srcEnd)
	if blockElements[name] {
		f.paragraph(src)
	}
}

// inScope returns the index in the stack of the innermost open element called name, not looking
// past a scope boundary, or -1.
func (f *flattener) inScope(name string) int {
	if f.open[name] == 0 {
		return -1
	}
	for j := len(f.stack) - 1; j >= 0; j-- {
		n := f.stack[j].name
		if n == name {
			return j
		}
		if scopeElements[n] {
			return -1
		}
	}
	return -1
}

// closeParagraph closes an open <p>, as a block start does.
func (f *flattener) closeParagraph(src int) {
	if i := f.inScope("p"); i >= 0 {
		f.popTo(i, src)
	}
}

func (f *flattener) indexOf(pred func(open) bool) int {
	for j := len(f.stack) - 1; j >= 0; j-- {
		if pred(f.stack[j]) {
			return j
		}
	}
	return -1
}

// popTo pops the open elements from the top of the stack down to and including index i, ending
// each one's embed or link at srcEnd.
func (f *flattener) popTo(i, srcEnd int) {
	if i < 0 {
		return
	}
	for j := len(f.stack) - 1; j >= i; j-- {
		o := f.stack[j]
		if o.elem >= 0 {
			e := &f.d.elems[o.elem]
			e.end, e.srcEnd, e.closed = len(f.d.text), srcEnd, true
		}
		if o.anchor >= 0 {
			f.closeAnchor(o.anchor)
		}
		if o.name == "pre" {
			f.pre--
		}
		f.open[o.name]--
		if n := len(f.embeds); n > 0 && f.embeds[n-1] == j {
			f.embeds = f.embeds[:n-1]
		}
	}
	f.stack = f.stack[:i]
}

func (f *flattener) closeAnchor(a int) {
	if f.d.anchors[a].end < 0 {
		f.d.anchors[a].end = len(f.d.text)
	}
	if f.openAnchor == a {
		f.openAnchor = -1
	}
}

func (f *flattener) finish(srcEnd int) {
	f.popTo(0, srcEnd)
	for i := range f.d.elems {
		if e := &f.d.elems[i]; !e.closed {
			e.end, e.srcEnd, e.closed = len(f.d.text), srcEnd, true
		}
	}
	for i := range f.d.anchors {
		if f.d.anchors[i].end < 0 {
			f.d.anchors[i].end = len(f.d.text)
		}
	}
}

// mark records that what is appended to the text next comes from src[s:].
func (f *flattener) mark(s int) {
	d := f.d
	t := len(d.text)
	if n := len(d.marks); n > 0 {
		last := d.marks[n-1]
		if last.s+(t-last.t) == s {
			return
		}
		if last.t == t {
			d.marks[n-1].s = max(s, last.s)
			return
		}
		s = max(s, last.s) // never map backwards
	}
	d.marks = append(d.marks, mark{t, s})
}

func (f *flattener) emit(b []byte, src int) {
	if len(b) == 0 {
		return
	}
	if f.space {
		f.space = false
		if n := len(f.d.text); n > 0 && f.d.text[n-1] != '\n' && f.d.text[n-1] != ' ' {
			f.mark(f.spaceSrc)
			f.d.text = append(f.d.text, ' ')
		}
	}
	f.mark(src)
	f.d.text = append(f.d.text, b...)
}

// text appends a text token, raw as it is in src at offset at: entities decoded, white space
// collapsed outside <pre>, NUL dropped.
func (f *flattener) text(raw []byte, at int) {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '&':
			if j := entityEnd(raw, i); j > i+1 {
				if dec := html.UnescapeString(string(raw[i:j])); dec != string(raw[i:j]) {
					f.emit([]byte(dec), at+i)
					i = j
					continue
				}
			}
			f.emit(raw[i:i+1], at+i)
			i++
		case c == 0:
			i++
		case isHTMLSpace(c) && f.pre > 0:
			switch c {
			case '\r':
				if i+1 < len(raw) && raw[i+1] == '\n' {
					i++
					continue
				}
				f.emit([]byte{'\n'}, at+i)
			case '\f':
				f.emit([]byte{' '}, at+i)
			default:
				f.emit(raw[i:i+1], at+i)
			}
			i++
		case isHTMLSpace(c):
			if !f.space {
				f.space, f.spaceSrc = true, at+i
			}
			i++
		default:
			j := i + 1
			for j < len(raw) && raw[j] != '&' && raw[j] != 0 && !isHTMLSpace(raw[j]) {
				j++
			}
			f.emit(raw[i:j], at+i)
			i = j
		}
	}
}

// entityEnd returns the end of the character reference that starts at raw[i] == '&', or i.
func entityEnd(raw []byte, i int) int {
	j := i + 1
	for j < len(raw) && j-i <= 40 && (isASCIIAlnum(raw[j]) || raw[j] == '#') {
		j++
	}
	if j < len(raw) && raw[j] == ';' {
		j++
	}
	if j == i+1 {
		return i
	}
	return j
}

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// paragraph ends the current paragraph: the text continues after a blank line.
func (f *flattener) paragraph(src int) {
	f.space = false
	n := len(f.d.text)
	if n == 0 {
		return
	}
	nl := 0
	for nl < 2 && nl < n && f.d.text[n-1-nl] == '\n' {
		nl++
	}
	if nl < 2 {
		f.mark(src)
		f.d.text = append(f.d.text, "\n\n"[nl:]...)
	}
	if b := f.d.blocks; len(b) == 0 || b[len(b)-1] != len(f.d.text) {
		f.d.blocks = append(f.d.blocks, len(f.d.text))
	}
}

// lineBreak starts a new line.
func (f *flattener) lineBreak(src int) {
	f.space = false
	f.mark(src)
	f.d.text = append(f.d.text, '\n')
}

// srcOffset maps an offset in the text to the offset in the input it came from.
func (d *doc) srcOffset(t int) int {
	i := sort.Search(len(d.marks), func(i int) bool { return d.marks[i].t > t }) - 1
	if i < 0 {
		return 0
	}
	m := d.marks[i]
	s := m.s + (t - m.t)
	if i+1 < len(d.marks) {
		s = min(s, d.marks[i+1].s)
	}
	return max(0, min(s, len(d.src)))
}
