package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockTags start and end a paragraph: their text never runs into the text around them.
var blockTags = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Caption: true, atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true, atom.Hr: true, atom.Li: true,
	atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true,
	atom.Summary: true, atom.Table: true, atom.Tbody: true, atom.Tfoot: true,
	atom.Thead: true, atom.Tr: true, atom.Ul: true, atom.Body: true, atom.Html: true,
	atom.Center: true, atom.Menu: true, atom.Legend: true, atom.Listing: true,
}

// skipTags hold no readable text.
var skipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Svg: true, atom.Math: true, atom.Iframe: true,
	atom.Object: true, atom.Embed: true, atom.Select: true, atom.Option: true,
	atom.Textarea: true, atom.Button: true, atom.Input: true,
}

// paragraphs returns the text of the tree under n split into paragraphs, in document order: every
// block element (p, headings, li, blockquote, tr, div …) and every run of two or more <br> ends
// a paragraph, table cells are separated by a space, and inside a paragraph every run of white
// space becomes one space. Empty paragraphs are dropped.
func paragraphs(n *html.Node) []string {
	var p paraWriter
	p.walk(n)
	p.flush()
	return p.out
}

type paraWriter struct {
	out []string
	// owners[i] is the innermost block element holding out[i] (nil: none).
	owners []*html.Node
	// mark, if set, selects elements whose paragraphs are recorded in spans.
	mark  func(*html.Node) bool
	spans []span

	blocks []*html.Node // the block elements being walked, innermost last

	cur  strings.Builder
	brs  int  // consecutive <br> since the last text
	text bool // cur holds non-space text
}

func (p *paraWriter) flush() {
	if p.text {
		if s := normalizeSpace(p.cur.String()); s != "" {
			p.out = append(p.out, s)
			var owner *html.Node
			if len(p.blocks) > 0 {
				owner = p.blocks[len(p.blocks)-1]
			}
			p.owners = append(p.owners, owner)
		}
	}
	p.cur.Reset()
	p.text = false
	p.brs = 0
}

func (p *paraWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if strings.TrimSpace(n.Data) != "" {
			p.brs = 0
			p.text = true
		}
		p.cur.WriteString(n.Data)
		return
	case html.ElementNode:
		// handled below
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			p.walk(c)
		}
		return
	default:
		return
	}
	a := n.DataAtom
	if a == 0 {
		// Extractors build nodes with only Data set.
		a = atom.Lookup([]byte(strings.ToLower(n.Data)))
	}
	if (n.Namespace == "" && skipTags[a]) || n.Namespace == "svg" || n.Namespace == "math" {
		return
	}
	switch a {
	case atom.Br:
		p.brs++
		if p.brs >= 2 {
			p.flush()
		} else {
			p.cur.WriteByte(' ')
		}
		return
	case atom.Td, atom.Th:
		p.cur.WriteByte(' ')
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			p.walk(c)
		}
		p.cur.WriteByte(' ')
		return
	case atom.Img, atom.Wbr:
		return
	}
	if p.mark != nil && p.mark(n) {
		p.flush()
		start := len(p.out)
		p.blocks = append(p.blocks, n)
		defer func() { p.blocks = p.blocks[:len(p.blocks)-1] }()
		mark := p.mark
		p.mark = nil // spans do not nest
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			p.walk(c)
		}
		p.flush()
		p.mark = mark
		p.spans = append(p.spans, span{start: start, end: len(p.out), node: n})
		return
	}
	block := blockTags[a]
	if block {
		p.flush()
		p.blocks = append(p.blocks, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		p.walk(c)
	}
	if block {
		p.flush()
		p.blocks = p.blocks[:len(p.blocks)-1]
	}
}

// normalizeSpace trims s and turns every run of Unicode white space inside it into one ASCII space.
func normalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
