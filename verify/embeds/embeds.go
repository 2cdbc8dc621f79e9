// Package embeds finds the posts an article embeds or quotes, in the article's raw HTML (or plain
// text), before main-content extraction strips the markup that marks them:
//
//   - embed code, blockquote.twitter-tweet (and twitter-video), in its modern and older forms, and
//     the same blockquote with its class stripped by a reader mode or CMS;
//   - embeds that widgets.js already rendered: iframes and divs with data-tweet-id or
//     twitter-tweet-rendered, iframes of platform.twitter.com/embed/Tweet.html?id=ID, amp-twitter;
//   - bare links to a status on twitter.com or x.com;
//   - embeds flattened to text ("TEXT pic.twitter.com/SLUG — Name (@handle) Month D, YYYY"),
//     including mangled ones whose attribution line was moved inside the post text, with the date
//     in English, Spanish, French, German, Portuguese, Italian or Dutch words, in numbers or in
//     Chinese, Japanese or Korean form (see ParseDate);
//   - quotations in prose attributed to a watched account ("Vance wrote: “…”").
//
// Everything here is a pure function of its arguments: no I/O, no clock, no package-level mutable
// state.
package embeds

import (
	"bytes"
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/verbatim-archive/verbatim/archive"
)

// Kinds of Embed.
const (
	// KindBlockquote is embed code: a blockquote with the post's text, author and date.
	KindBlockquote = "blockquote"
	// KindIframe is an embed that the widget script already rendered: an iframe or a div that
	// holds only the post's id.
	KindIframe = "iframe"
	// KindLink is a link to a post (its status URL) in the article.
	KindLink = "link"
	// KindPlaintext is an embed flattened to text, found by its attribution line.
	KindPlaintext = "plaintext"
	// KindQuote is a quotation in the article's prose attributed to a watched account.
	KindQuote = "quote"
)

// MaxInput is the most input Find looks at: 16 MiB. Anything after that is ignored; a caller that
// must know compares len(html) with MaxInput.
const MaxInput = 16 << 20

// maxTextBytes caps the text of one embed; a post is far shorter.
const maxTextBytes = 128 << 10

// Embed is a post that an article embeds, links to or quotes.
type Embed struct {
	// Kind is KindBlockquote, KindIframe, KindLink, KindPlaintext or KindQuote.
	Kind string
	// PostID is the status id, when the embed or link gives it.
	PostID string
	// Handle is the author's handle without "@": from the attribution, else from the status URL;
	// for a quote, the watched account its name stands for.
	Handle string
	// AuthorName is the display name in the attribution ("Vice President JD Vance"), or for a
	// quote the name the prose uses ("Vance").
	AuthorName string
	// ClaimedDate is the date the embed shows, midnight UTC, or zero if it shows none or one that
	// cannot be read for certain: a numeric date that may be day or month first ("03/02/2026"), or,
	// in embed code, a date in a language ParseDate does not know.
	ClaimedDate time.Time
	// ClaimedDateText is that date as written ("February 10, 2026", "10 de febrero de 2026"); it
	// is set, with ClaimedDate zero, for a date that cannot be read for certain.
	ClaimedDateText string
	// Text is the post text as the article shows it, with the attribution removed and links in the
	// article's form ("pic.twitter.com/AEfulNuR0q"); line breaks are kept. For a mangled embed it
	// is the text before the attribution and the text after it, joined by a line break.
	Text string
	// MediaSlugs are the slugs of the pic.twitter.com/SLUG and t.co/SLUG links in the text and
	// its link elements, in order, without repeats.
	MediaSlugs []string
	// Links are the targets of the links in the post text: each link element's href, or the URL
	// as written where no link element carries it. For a KindLink, the link itself.
	Links []string
	// Offset is the byte offset in the input where the embed starts: the blockquote or iframe
	// tag, the link, the first byte of a flattened post's text, a quotation's opening mark.
	Offset int
	// End is the byte offset in the input just past the embed, attribution included.
	End int
	// Context is, for a quote, the sentence around it; for a flattened embed, the line before its
	// text (an introduction, or, rarely, the first line of a post that was not recognised as such).
	Context string
	// Mangled is set on a flattened embed whose attribution line sat inside the post text; Text
	// has been put back together from the parts before and after it.
	Mangled bool
	// PostTime is the time encoded in PostID (a snowflake id), or zero.
	PostTime time.Time
	// DateMismatch is set when ClaimedDate is more than a day away from PostTime's date in UTC.
	// An embed shows the date in the publisher's or reader's time zone, so a day either way is
	// allowed.
	DateMismatch bool
}

// Key returns a key under which the same post found twice (embedded twice, or embedded and
// linked) compares equal: its id if known, else its author and folded text.
func (e Embed) Key() string {
	if e.PostID != "" {
		return "id:" + e.PostID
	}
	return "text:" + strings.ToLower(e.Handle) + ":" + fold(e.Text)
}

// fold lower-cases s, unifies quotation marks and dashes and collapses white space, for Key.
func fold(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '“', '”', '„', '«', '»':
			return '"'
		case '‘', '’', '‚':
			return '\''
		case '–', '—', '―':
			return '-'
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Options tell Find which accounts' quotations to look for.
type Options struct {
	// Watched are the handles of watched accounts, with or without "@". Quotations in prose are
	// looked for only when attributed to these, or to a handle Names has an entry for.
	Watched []string
	// Names maps a handle to the names prose uses for its account, e.g. "VP":
	// {"Vance", "JD Vance", "the Vice President"}. "@handle" always counts as a name.
	Names map[string][]string
}

// Find returns the posts that html embeds, links to or quotes, in the order they appear. It takes
// raw HTML or plain text (input that neither starts with a tag nor has a few common HTML tags is
// plain text) and looks at no more than MaxInput bytes of it. The same post embedded twice is
// reported twice, with different offsets; Key tells repeats apart. A link to a post that is also
// embedded (or a link inside an embed) is not reported again.
//
// Find(html, opts) is NewFinder(opts).Find(html); a caller that checks many articles with the same
// options can keep the Finder.
func Find(html []byte, opts Options) []Embed { return NewFinder(opts).Find(html) }

// Finder finds embeds with a set of Options prepared once. It is immutable, so one Finder may be
// used from many goroutines.
type Finder struct {
	quotes *quoteFinder // nil when no account is watched
}

// NewFinder prepares opts for finding embeds.
func NewFinder(opts Options) *Finder { return &Finder{quotes: newQuoteFinder(opts)} }

// Find is the package's Find with the Finder's options.
func (f *Finder) Find(html []byte) []Embed {
	if len(html) > MaxInput {
		html = html[:MaxInput]
	}
	var d *doc
	if looksLikeHTML(html) {
		d = flatten(html)
	} else {
		d = plainDoc(html)
	}
	var out []Embed
	var claimed []unit
	ids := map[string]bool{}

	for _, el := range d.elems {
		e, ok := d.elementEmbed(el)
		if !ok {
			continue
		}
		claimed = append(claimed, unit{el.start, el.end})
		out = append(out, e)
	}
	claims := mergeRanges(claimed)

	for _, pe := range plainEmbeds(d.text, claims, d.blocks) {
		out = append(out, d.plainEmbed(pe))
		claimed = append(claimed, unit{min(pe.attr.dash, firstStart(pe.parts, pe.attr.dash)), pe.end})
	}
	claims = mergeRanges(claimed)

	if f.quotes != nil {
		for _, q := range f.quotes.find(d.text, claims) {
			out = append(out, Embed{
				Kind: KindQuote, Handle: q.handle, AuthorName: q.name, Text: q.text, Context: q.context,
				Offset: d.srcOffset(q.span.open), End: d.srcOffset(q.span.close),
				MediaSlugs: slugs(nil, q.text), Links: textLinks(q.text),
			})
		}
	}

	for _, e := range out {
		if e.PostID != "" {
			ids[e.PostID] = true
		}
	}
	out = append(out, d.links(claims, ids)...)

	for i := range out {
		setTimes(&out[i])
	}
	slices.SortStableFunc(out, func(a, b Embed) int { return cmp.Compare(a.Offset, b.Offset) })
	return out
}

func firstStart(parts []unit, def int) int {
	if len(parts) > 0 {
		return parts[0].start
	}
	return def
}

// setTimes sets PostTime from the id and DateMismatch from it and ClaimedDate.
func setTimes(e *Embed) {
	t, ok := archive.SnowflakeTime(e.PostID)
	if !ok {
		return
	}
	e.PostTime = t
	if e.ClaimedDate.IsZero() {
		return
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	diff := e.ClaimedDate.Sub(day)
	e.DateMismatch = diff > 24*time.Hour || diff < -24*time.Hour
}

// elementEmbed turns a blockquote or rendered element into an Embed, if it is one.
func (d *doc) elementEmbed(el element) (Embed, bool) {
	if el.rendered {
		e := Embed{Kind: KindIframe, PostID: el.ref.id, Handle: el.ref.handle, Offset: el.src, End: max(el.src, el.srcEnd)}
		return e, true
	}
	lo, hi := el.start, el.end
	// The attribution ends the blockquote: look for it near the end, so that a long or nested
	// blockquote costs no more than a short one.
	var attr *attribution
	if as := findAttributions(d.text, max(lo, hi-4*maxTextBytes), hi); len(as) > 0 {
		attr = &as[len(as)-1]
	}
	status := d.lastStatusAnchor(lo, hi)
	if status >= 0 {
		// The link to the status marks out the date of the classic embed code, whatever its form.
		if a, ok := d.attributionBefore(lo, d.anchors[status]); ok &&
			(attr == nil || attr.at < a.at || attr.at >= d.anchors[status].end) {
			attr = &a
		}
	}
	if !el.tweetClass && (attr == nil || status < 0) {
		return Embed{}, false // a blockquote of something else, or one the plain-text pass may find
	}
	e := Embed{Kind: KindBlockquote, PostID: el.ref.id, Offset: el.src, End: max(el.src, el.srcEnd)}
	textEnd := hi
	if status >= 0 {
		a := d.anchors[status]
		e.PostID, e.Handle = a.ref.id, a.ref.handle
		textEnd = a.start
		if t, ok := ParseDate(string(d.text[a.start:min(a.end, a.start+64)])); ok && a.end-a.start <= 64 {
			e.ClaimedDate, e.ClaimedDateText = t, strings.TrimSpace(string(d.text[a.start:a.end]))
		}
	}
	if attr != nil && (status < 0 || attr.at < d.anchors[status].end) {
		textEnd = attr.dash
		e.Handle, e.AuthorName = attr.handle, attr.name
		if attr.dateText != "" {
			e.ClaimedDate, e.ClaimedDateText = attr.date, attr.dateText
		}
	}
	textStart := max(lo, textEnd-maxTextBytes)
	e.Text = string(trimSpace(d.text[textStart:textEnd]))
	e.Links, e.MediaSlugs = d.linksIn([]unit{{textStart, textEnd}})
	return e, true
}

// attributionBefore returns the attribution whose handle ends, on the same line, right before the
// link a to the status: the classic embed code ends "&mdash; Name (@handle) <a href=STATUS>DATE</a>",
// so the link's text is the date in whatever language or form the page writes it. The attribution
// is recognised even when that date is in a form parseDatePrefix does not know, with dateText set
// and date zero, so that the line is still kept out of the post's text. It starts at text offset lo
// or later and must have its dash.
func (d *doc) attributionBefore(lo int, a anchor) (attribution, bool) {
	if a.end-a.start > maxDateBytes || a.start <= lo {
		return attribution{}, false
	}
	from := max(lo, a.start-32) // "(@" + a handle of up to 15 + ")" + white space
	k := bytes.LastIndex(d.text[from:a.start], []byte("(@"))
	if k < 0 {
		return attribution{}, false
	}
	at, ok := attributionAt(d.text, lo, a.start, from+k)
	if !ok || skipHSpace(d.text, at.end, a.start) != a.start {
		return attribution{}, false
	}
	at.dateText = string(trimSpace(d.text[a.start:a.end]))
	at.date, _ = ParseDate(at.dateText)
	at.end = a.end
	return at, true
}

// plainEmbed turns a flattened embed into an Embed.
func (d *doc) plainEmbed(pe plainEmbed) Embed {
	a := pe.attr
	e := Embed{
		Kind: KindPlaintext, Handle: a.handle, AuthorName: a.name,
		ClaimedDate: a.date, ClaimedDateText: a.dateText,
		Mangled: pe.mangled, Context: pe.context,
		Offset: d.srcOffset(firstStart(pe.parts, a.dash)), End: d.srcOffset(pe.end),
	}
	texts := make([]string, 0, 2)
	for i, p := range pe.parts {
		if p.end-p.start > maxTextBytes {
			pe.parts[i].start = p.end - maxTextBytes
		}
		texts = append(texts, string(d.text[pe.parts[i].start:p.end]))
	}
	e.Text = strings.Join(texts, "\n")
	e.Links, e.MediaSlugs = d.linksIn(pe.parts)
	// A flattened embed whose attribution kept the link to the status (the date, usually).
	if i := d.firstAnchor(a.dash); i >= 0 {
		for ; i < len(d.anchors) && d.anchors[i].start < a.end; i++ {
			if d.anchors[i].isStatus {
				e.PostID = d.anchors[i].ref.id
			}
		}
	}
	return e
}

// firstAnchor returns the index of the first anchor that ends after text offset t, or -1.
// Anchors do not nest, so they are sorted by both start and end.
func (d *doc) firstAnchor(t int) int {
	i := sort.Search(len(d.anchors), func(i int) bool { return d.anchors[i].end > t })
	if i == len(d.anchors) {
		return -1
	}
	return i
}

// lastStatusAnchor returns the index of the last link to a status that starts in text[lo:hi], or -1.
func (d *doc) lastStatusAnchor(lo, hi int) int {
	i := sort.Search(len(d.anchors), func(i int) bool { return d.anchors[i].start >= hi }) - 1
	for n := 0; i >= 0 && d.anchors[i].start >= lo && n < 1000; i, n = i-1, n+1 {
		if d.anchors[i].isStatus {
			return i
		}
	}
	return -1
}

const maxLinks = 100 // per embed

// linksIn returns the link targets and short-link slugs of the text in the ranges.
func (d *doc) linksIn(parts []unit) (links, slugList []string) {
	for _, p := range parts {
		covered := []unit(nil)
		if i := d.firstAnchor(p.start); i >= 0 {
			for ; i < len(d.anchors) && d.anchors[i].start < p.end && len(links) < maxLinks; i++ {
				a := d.anchors[i]
				if a.end <= a.start || a.href == "" {
					continue
				}
				links = appendNew(links, a.href)
				slugList = slugs(slugList, a.href)
				covered = append(covered, unit{a.start, a.end})
			}
		}
		s := string(d.text[p.start:p.end])
		slugList = slugs(slugList, s)
		byLink := mergeRanges(covered)
		for _, m := range urlsIn(s, maxLinks) {
			if !byLink.overlaps(p.start+m[0], p.start+m[1]) && len(links) < maxLinks {
				links = appendNew(links, s[m[0]:m[1]])
			}
		}
	}
	return links, slugList
}

// textLinks returns the URLs written in s.
func textLinks(s string) []string {
	var links []string
	for _, m := range urlsIn(s, maxLinks) {
		links = appendNew(links, s[m[0]:m[1]])
	}
	return links
}

// links returns the links to posts outside the claimed ranges whose ids are not in ids: link
// elements, and status URLs written as text outside them.
func (d *doc) links(claims ranges, ids map[string]bool) []Embed {
	var out []Embed
	for _, a := range d.anchors {
		if !a.isStatus || ids[a.ref.id] || claims.contains(a.start) {
			continue
		}
		out = append(out, Embed{Kind: KindLink, PostID: a.ref.id, Handle: a.ref.handle, Links: []string{a.href},
			Offset: a.src, End: max(a.src, d.srcOffset(a.end))})
	}
	refs, rs := statusRefsIn(string(d.text))
	for i, r := range refs {
		s, e := rs[i][0], rs[i][1]
		if ids[r.id] || claims.contains(s) {
			continue
		}
		if j := d.firstAnchor(s); j >= 0 && d.anchors[j].start <= s && d.anchors[j].isStatus && d.anchors[j].ref.id == r.id {
			continue // the text of a link to the same post
		}
		u := string(d.text[s:e])
		out = append(out, Embed{Kind: KindLink, PostID: r.id, Handle: r.handle, Links: []string{u},
			Offset: d.srcOffset(s), End: d.srcOffset(e)})
	}
	return out
}
