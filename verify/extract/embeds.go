package extract

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// embedClasses mark the <blockquote> fallbacks of social-media embed scripts. Without JavaScript,
// which is how pages are extracted, they are the post's text and attribution, and for Verbatim
// they are the most important part of an article.
var embedClasses = []string{
	"twitter-tweet", "twitter-video", "bluesky-embed", "mastodon-embed", "instagram-media",
	"tiktok-embed", "threads-post", "text-post-media",
}

// isEmbed reports whether n is a social-media embed blockquote.
func isEmbed(n *html.Node) bool {
	if n.Type != html.ElementNode || n.DataAtom != atom.Blockquote {
		return false
	}
	for _, c := range strings.Fields(attr(n, "class")) {
		if slices.Contains(embedClasses, c) {
			return true
		}
	}
	return false
}

// keepEmbeds puts back the text of social-media embeds inside the article that the extractor
// dropped or kept only in part (typically the post without its "— Name (@handle) date" line).
// An embed is inside the article when extracted paragraphs come both before and after it on the
// page, or when part of it was extracted, or when it lies within the element that holds all the
// extracted paragraphs (an embed opening or closing the article; not when that element is the
// whole <body>). Embeds in sidebars and footers are left out. The embed's paragraphs replace
// whatever part of it was extracted, at its place in the page order.
func keepEmbeds(pg page, paras []string) []string {
	if len(paras) == 0 || len(pg.embeds) == 0 {
		return paras
	}
	page := pg.paragraphs

	// Locate each extracted paragraph on the page, in order; -1 where it cannot be found.
	where := make(map[string][]int, len(page))
	for i, p := range page {
		k := key(p)
		where[k] = append(where[k], i)
	}
	at := make([]int, len(paras))
	last := -1
	var owners []*html.Node
	for i, p := range paras {
		at[i] = -1
		for _, j := range where[key(p)] {
			if j > last {
				at[i], last = j, j
				owners = append(owners, pg.owners[j])
				break
			}
		}
	}
	container := commonAncestor(owners)
	if container != nil && (container.DataAtom == atom.Body || container.DataAtom == atom.Html) {
		container = nil
	}

	for _, s := range pg.embeds {
		if s.end <= s.start {
			continue // an empty embed
		}
		prev, next := -1, -1 // positions in paras of the neighbours found on the page
		var inside []int     // positions in paras of paragraphs found within the embed
		for i, j := range at {
			switch {
			case j < 0:
			case j < s.start:
				prev = i
			case j >= s.end:
				if next < 0 {
					next = i
				}
			default:
				inside = append(inside, i)
			}
		}
		if len(inside) == s.end-s.start {
			continue // fully extracted
		}
		if !(prev >= 0 && next >= 0) && len(inside) == 0 && !contains(container, s.node) {
			continue // not part of the article
		}
		// Remove the partial copy, then insert the whole embed after prev (or before next).
		pos := 0
		switch {
		case len(inside) > 0:
			pos = inside[0]
		case prev >= 0:
			pos = prev + 1
		case next >= 0:
			pos = next
		}
		embed := page[s.start:s.end]
		newParas := slices.Concat(paras[:pos], embed)
		newAt := slices.Concat(at[:pos], s.indices())
		for i := pos; i < len(paras); i++ {
			if slices.Contains(inside, i) {
				continue
			}
			newParas = append(newParas, paras[i])
			newAt = append(newAt, at[i])
		}
		paras, at = newParas, newAt
	}
	return paras
}

// commonAncestor returns the innermost node that holds every node of ns (a node holds itself), or
// nil if ns is empty or holds nil.
func commonAncestor(ns []*html.Node) *html.Node {
	if len(ns) == 0 || ns[0] == nil {
		return nil
	}
	anc := ns[0]
	for _, n := range ns[1:] {
		for anc != nil && !contains(anc, n) {
			anc = anc.Parent
		}
	}
	return anc
}

// contains reports whether n is anc or one of its descendants.
func contains(anc, n *html.Node) bool {
	if anc == nil {
		return false
	}
	for ; n != nil; n = n.Parent {
		if n == anc {
			return true
		}
	}
	return false
}

// page is the whole page split into paragraphs as paragraphs does, with the spans of paragraphs
// that belong to social-media embeds.
type page struct {
	paragraphs []string
	owners     []*html.Node // the innermost block element of each paragraph
	embeds     []span
}

func readPage(doc *html.Node) page {
	var w paraWriter
	w.mark = isEmbed
	w.walk(doc)
	w.flush()
	return page{w.out, w.owners, w.spans}
}

// splitMerged splits an extracted paragraph that is several consecutive paragraphs of the page run
// together (go-trafilatura turns <br><br> into one <br>, and its fallback flattens text) back
// into the page's paragraphs.
func splitMerged(pg page, paras []string) []string {
	if len(pg.paragraphs) < 2 {
		return paras
	}
	keys := make([]string, len(pg.paragraphs))
	byStart := map[string][]int{} // first word of a page paragraph → its indices
	for i, p := range pg.paragraphs {
		keys[i] = key(p)
		if w, _, _ := strings.Cut(keys[i], " "); w != "" {
			byStart[w] = append(byStart[w], i)
		}
	}
	known := make(map[string]bool, len(keys))
	for _, k := range keys {
		known[k] = true
	}
	var out []string
	for _, p := range paras {
		k := key(p)
		if known[k] {
			out = append(out, p)
			continue
		}
		first, _, _ := strings.Cut(k, " ")
		split := false
		for _, i := range byStart[first] {
			rest, j := k, i
			for j < len(keys) && keys[j] != "" && strings.HasPrefix(rest, keys[j]) && (len(rest) == len(keys[j]) || rest[len(keys[j])] == ' ') {
				rest = strings.TrimPrefix(rest[len(keys[j]):], " ")
				j++
				if rest == "" {
					break
				}
			}
			if rest == "" && j-i >= 2 {
				out = append(out, pg.paragraphs[i:j]...)
				split = true
				break
			}
		}
		if !split {
			out = append(out, p)
		}
	}
	return out
}

// key is the form in which paragraphs are compared: lower-cased words only.
func key(p string) string {
	return strings.Join(words(p), " ")
}

// span is a range [start, end) of paragraph indices, and the element they came from.
type span struct {
	start, end int
	node       *html.Node
}

func (s span) indices() []int {
	out := make([]int, 0, s.end-s.start)
	for i := s.start; i < s.end; i++ {
		out = append(out, i)
	}
	return out
}
