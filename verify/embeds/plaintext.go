package embeds

import (
	"bytes"
	"cmp"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// attribution is a "— Name (@handle) Month D, YYYY" line (or part of one) in the text; the date
// may be in any form parseDatePrefix knows ("9 de febrero de 2026", "10.02.2026", "2026年2月10日").
type attribution struct {
	dash     int // where the dash starts, or the name when there is no dash
	at       int // where "(@handle)" starts
	name     string
	handle   string
	date     time.Time // zero if there is no date or it can be read two ways ("03/02/2026")
	dateText string
	end      int // just past the date, or past the ")" when there is none
}

const (
	// maxDateBytes is the most of the text after a handle looked at for a date; the longest forms
	// ("10 de septiembre de 2026" with no-break spaces, full-width "２０２６年２月１０日") are shorter.
	maxDateBytes = 64
	maxNameRunes = 60 // X allows display names of 50 characters; a little slack for odd encodings
	maxNameBytes = 4 * maxNameRunes
)

// findAttributions returns the attributions in text[lo:hi], in order.
func findAttributions(text []byte, lo, hi int) []attribution {
	var out []attribution
	for p := lo; p < hi; {
		k := bytes.Index(text[p:hi], []byte("(@"))
		if k < 0 {
			break
		}
		at := p + k
		p = at + 2
		if a, ok := attributionAt(text, lo, hi, at); ok {
			out = append(out, a)
			p = a.end
		}
	}
	return out
}

// attributionAt parses the attribution whose "(@handle)" starts at text[at], looking no further
// than text[lo:hi].
func attributionAt(text []byte, lo, hi, at int) (attribution, bool) {
	j := at + 2
	for j < hi && j-at-2 < 15 && isHandleByte(text[j]) {
		j++
	}
	if j == at+2 || j >= hi || text[j] != ')' {
		return attribution{}, false
	}
	a := attribution{at: at, handle: string(text[at+2 : j]), end: j + 1}
	// Only the stretch a display name can fill is looked at, so that a long line costs no more.
	near := max(lo, at-maxNameBytes-1)
	ls := lineStart(text, near, at)
	dash, dashEnd := findDash(text, ls, at)
	noDash := dash < 0
	if noDash {
		if ls == near && near > lo && text[near-1] != '\n' {
			return attribution{}, false // the line starts too far back for a name
		}
		// "Name (@handle) February 10, 2026" at the start of a line, with the date required below.
		dash, dashEnd = ls, ls
	}
	name := trimSpace(text[dashEnd:at])
	if utf8.RuneCount(name) > maxNameRunes || bytes.Contains(name, []byte("(@")) {
		return attribution{}, false
	}
	a.dash, a.name = dash, string(name)

	q := skipHSpace(text, a.end, hi)
	if q < hi && text[q] != '\n' {
		// Something follows on the same line: it must be the date.
		t, n, ok := parseDatePrefix(string(text[q:min(hi, q+maxDateBytes)]))
		if !ok {
			return attribution{}, false
		}
		a.date, a.dateText, a.end = t, string(text[q:q+n]), q+n
		return a, true
	}
	// The line ends after the handle: the date may be on the next line.
	r, lines := q, 0
	for r < hi && (text[r] == '\n' || isHSpace(text[r])) {
		if text[r] == '\n' {
			lines++
		}
		r++
	}
	if lines <= 2 && r < hi {
		if t, n, ok := parseDatePrefix(string(text[r:min(hi, r+maxDateBytes)])); ok {
			a.date, a.dateText, a.end = t, string(text[r:r+n]), r+n
			return a, true
		}
	}
	return a, !noDash
}

func isHandleByte(c byte) bool { return isASCIIAlnum(c) || c == '_' }

func isHSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// lineStart returns the start of the line that holds text[at], not before lo.
func lineStart(text []byte, lo, at int) int {
	if i := bytes.LastIndexByte(text[lo:at], '\n'); i >= 0 {
		return lo + i + 1
	}
	return lo
}

// lineEnd returns the end of the line that holds text[at], not after hi.
func lineEnd(text []byte, at, hi int) int {
	if i := bytes.IndexByte(text[at:hi], '\n'); i >= 0 {
		return at + i
	}
	return hi
}

func skipHSpace(text []byte, i, hi int) int {
	for i < hi {
		if isHSpace(text[i]) {
			i++
			continue
		}
		r, n := utf8.DecodeRune(text[i:hi])
		if r != '\u00A0' && r != '\u202F' && r != '\u2009' && !isBidiMark(r) {
			break
		}
		i += n
	}
	return i
}

// findDash finds the dash that opens an attribution, the nearest before text[at] on the line that
// starts at ls, close enough for what lies between to be a display name. It returns the dash's
// start and end, or -1, -1. An em dash (or "&mdash;" left as text) counts anywhere; an en dash,
// a hyphen and "--" only with white space or the line start before them and white space after.
func findDash(text []byte, ls, at int) (int, int) {
	stop := max(ls, at-maxNameBytes)
	for i := at - 1; i >= stop; i-- {
		switch c := text[i]; {
		case c == 0xE2 && i+2 < at && text[i+1] == 0x80 && (text[i+2] == 0x94 || text[i+2] == 0x95): // — ―
			return i, i + 3
		case c == 0xE2 && i+2 < at && text[i+1] == 0x80 && text[i+2] == 0x93: // –
			if spaceBefore(text, ls, i) && spaceAfter(text, i+3, at) {
				return i, i + 3
			}
		case c == '&':
			for _, ent := range []string{"&mdash;", "&#8212;", "&#x2014;", "&#X2014;"} {
				if bytes.HasPrefix(text[i:at], []byte(ent)) {
					return i, i + len(ent)
				}
			}
		case c == '-':
			s := i
			for s > ls && text[s-1] == '-' {
				s--
			}
			if spaceBefore(text, ls, s) && spaceAfter(text, i+1, at) {
				return s, i + 1
			}
			i = s
		}
	}
	return -1, -1
}

func spaceBefore(text []byte, ls, i int) bool {
	if i == ls {
		return true
	}
	r, _ := utf8.DecodeLastRune(text[ls:i])
	return unicode.IsSpace(r) || isBidiMark(r)
}

func spaceAfter(text []byte, i, hi int) bool {
	if i >= hi {
		return false
	}
	r, _ := utf8.DecodeRune(text[i:hi])
	return unicode.IsSpace(r)
}

func isBidiMark(r rune) bool {
	switch r {
	case '\u200B', '\u200E', '\u200F', '\u061C', '\uFEFF', '\u2066', '\u2067', '\u2068', '\u2069', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E':
		return true
	}
	return false
}

// trimSpace trims white space, bidirectional marks and zero-width spaces from both ends of b.
func trimSpace(b []byte) []byte {
	return bytes.TrimFunc(b, func(r rune) bool { return unicode.IsSpace(r) || isBidiMark(r) })
}

// unit is a line of text, trimmed, at text[start:end].
type unit struct{ start, end int }

func (u unit) of(text []byte) string { return string(text[u.start:u.end]) }

// head returns the start of text[u], as much as weight needs to see.
func (u unit) head(text []byte) string {
	return string(text[u.start:min(u.end, u.start+16*maxPostWeight)])
}

// trimmedUnit returns text[s:e] trimmed as a unit; it is empty if only white space was there.
func trimmedUnit(text []byte, s, e int) unit {
	t := trimSpace(text[s:e])
	if len(t) == 0 {
		return unit{s, s}
	}
	off := bytes.Index(text[s:e], t) // t is a sub-slice of text[s:e]; find where it starts
	return unit{s + off, s + off + len(t)}
}

// unitsBefore returns up to limit non-empty lines that end at or before pos and start at or after
// lo, nearest first. The first may be the part of pos's own line before it.
func unitsBefore(text []byte, lo, pos, limit int) []unit {
	var us []unit
	for e := pos; e >= lo && len(us) < limit; {
		s := lineStart(text, lo, e)
		if u := trimmedUnit(text, s, e); u.end > u.start {
			us = append(us, u)
		}
		if s == lo {
			break
		}
		e = s - 1
	}
	return us
}

// unitsAfter returns up to limit non-empty lines that start at or after pos and end at or before
// hi, nearest first. The first may be the part of pos's own line after it.
func unitsAfter(text []byte, pos, hi, limit int) []unit {
	var us []unit
	for s := pos; s < hi && len(us) < limit; {
		e := lineEnd(text, s, hi)
		if u := trimmedUnit(text, s, e); u.end > u.start {
			us = append(us, u)
		}
		s = e + 1
	}
	return us
}

// linkAtEnd matches text that ends with a link, as the text of a post with media or a link card does.
var linkAtEnd = regexp.MustCompile(`(?i)(?:https?://\S+|pic\.(?:twitter|x)\.com/[A-Za-z0-9]+|\bt\.co/[A-Za-z0-9]+)[.,;:!?)\]'"’”]*$`)

// shortLinkAtEnd matches text that ends with a link that X itself put there: media
// (pic.twitter.com/SLUG) or a shortened link (t.co/SLUG).
var shortLinkAtEnd = regexp.MustCompile(`(?i)(?:\bpic\.(?:twitter|x)\.com/[A-Za-z0-9]+|\bt\.co/[A-Za-z0-9]+)[.,;:!?)\]'"’”]*$`)

// longLinkAtEnd matches text that ends with a full web address, as a line of article furniture
// ("Source: https://…") may and a line of a flattened post does not: X shows links in posts
// shortened (t.co) or without their scheme.
var longLinkAtEnd = regexp.MustCompile(`(?i)https?://\S+$`)

// introLine matches a line of prose that introduces a post rather than belongs to it
// ("Vance wrote on X:").
var introLine = regexp.MustCompile(`(?i)(?:\b(?:wrote|writes|posted|posts|tweeted|tweets|said|says|shared|shares|added|adds|replied|replies|responded|responds|announced|announces|declared|declares|noted|notes|continued|retweeted|reposted)\b|\bon (?:X|Twitter)\b|\bin an? (?:post|tweet)\b)[^:]*:$`)

// maxPostWeight is the length of a post, counted as X counts it (a link is 23 characters), beyond
// which lines before an attribution are no longer taken as part of the post.
const maxPostWeight = 280

// maxLineWeight is the longest line before the one next to the attribution that is taken as part
// of the post: longer ones are far more often a paragraph of the article.
const maxLineWeight = 200

// weight returns the length of s as X counts it, roughly: characters, with each link as 23. It
// stops counting past 4·maxPostWeight, which is all callers need to know; they pass no more than
// the head of a long line.
func weight(s string) int {
	w := 0
	for _, f := range strings.Fields(s) {
		if linkAtEnd.MatchString(f) {
			w += 23 + 1
		} else {
			w += utf8.RuneCountInString(f) + 1
		}
		if w > 4*maxPostWeight {
			break
		}
	}
	return w
}

// endsWith reports whether the end of text[u] matches re, an expression anchored at the end that
// needs to see no more than the last few hundred bytes; a long line costs no more than a short one.
func endsWith(re *regexp.Regexp, text []byte, u unit) bool {
	return re.Match(text[max(u.start, u.end-512):u.end])
}

// isIntro reports whether the line text[u] introduces a post ("Vance wrote on X:").
func isIntro(text []byte, u unit) bool {
	return u.end-u.start <= 300 && introLine.Match(text[u.start:u.end])
}

// maxFlattened is the most flattened embeds looked for in one input; an article has a handful.
const maxFlattened = 10000

// plainEmbed is a post flattened to text, found by its attribution.
type plainEmbed struct {
	attr    attribution
	parts   []unit // the text before the attribution and, if mangled, after it
	mangled bool
	context string
	end     int // where the embed ends in the text
}

// plainEmbeds finds the flattened embeds in text outside the claimed ranges (sorted, disjoint).
// blocks are the offsets, ascending, where elements of the markup broke the text into paragraphs.
func plainEmbeds(text []byte, claims ranges, blocks []int) []plainEmbed {
	var attrs []attribution
	for _, a := range findAttributions(text, 0, len(text)) {
		if !claims.contains(a.at) && len(attrs) < maxFlattened {
			attrs = append(attrs, a)
		}
	}
	var out []plainEmbed
	prevEnd := 0
	for i, a := range attrs {
		lo := max(prevEnd, claims.endBefore(a.dash))
		hi := min(len(text), claims.startAfter(a.end))
		bound := false // whether hi is the line of the next attribution
		if i+1 < len(attrs) {
			if ls := lineStart(text, min(a.end, attrs[i+1].dash), attrs[i+1].dash); ls < hi {
				hi, bound = max(ls, a.end), true
			}
		}
		pe := plainEmbed{attr: a, end: a.end}
		before := unitsBefore(text, lo, a.dash, 12)
		var after []unit
		if len(before) == 0 || !endsWith(linkAtEnd, text, before[0]) {
			// The text before does not end as a post with media does: look for the rest of the
			// post after the attribution, as when a republisher moved the attribution into it. The
			// rest must end with a short link of X's own (the media, mostly), which prose does not,
			// and must not be the text of the next flattened embed.
			cand := unitsAfter(text, a.end, hi, 6)
			w := 0
			for k, u := range cand {
				if w += weight(u.head(text)); w > 2*maxPostWeight {
					break
				}
				if endsWith(shortLinkAtEnd, text, u) {
					if !(bound && k == len(cand)-1 && len(cand) < 6) {
						after = cand[:k+1]
					}
					break
				}
			}
		}
		pe.mangled = len(after) > 0
		w := 0
		for _, u := range after {
			w += weight(u.head(text))
		}
		take := 0
		if len(before) > 0 {
			b0 := weight(before[0].head(text))
			if !pe.mangled || (!isIntro(text, before[0]) && b0 <= maxPostWeight) {
				take, w = 1, w+b0
				// X's markup keeps a post's text in one paragraph, line breaks and all: when the
				// attribution shares its paragraph with the line before it, an element's paragraph
				// break before that line ends the post, and what is before it is the article's.
				oneBlock := !pe.mangled && !blockBetween(blocks, before[0].end, a.dash)
				for take < len(before) {
					u := before[take]
					uw := weight(u.head(text))
					if isIntro(text, u) || w+uw > maxPostWeight || uw > maxLineWeight ||
						(oneBlock && blockBetween(blocks, u.end, before[take-1].start)) ||
						(endsWith(longLinkAtEnd, text, u) && !endsWith(shortLinkAtEnd, text, u)) {
						break
					}
					w += uw
					take++
				}
			}
		}
		if take > 0 {
			pe.parts = append(pe.parts, unit{before[take-1].start, before[0].end})
		}
		if take < len(before) {
			u := before[take]
			pe.context = clip(string(text[u.start:min(u.end, u.start+maxContextBytes+1)]), maxContextBytes)
		}
		if pe.mangled {
			pe.parts = append(pe.parts, unit{after[0].start, after[len(after)-1].end})
			pe.end = after[len(after)-1].end
		}
		prevEnd = pe.end
		out = append(out, pe)
	}
	return out
}

// blockBetween reports whether one of blocks (ascending text offsets) is in (s, e].
func blockBetween(blocks []int, s, e int) bool {
	i := sort.SearchInts(blocks, s+1)
	return i < len(blocks) && blocks[i] <= e
}

// ranges are sorted, disjoint, non-empty ranges of the text: the parts that embeds claim.
type ranges []unit

// mergeRanges returns the union of us as ranges.
func mergeRanges(us []unit) ranges {
	us = slices.Clone(us)
	slices.SortFunc(us, func(a, b unit) int { return cmp.Compare(a.start, b.start) })
	var out ranges
	for _, u := range us {
		if u.end <= u.start {
			continue
		}
		if n := len(out); n > 0 && u.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, u.end)
			continue
		}
		out = append(out, u)
	}
	return out
}

// contains reports whether text offset t is in one of the ranges.
func (r ranges) contains(t int) bool {
	i := sort.Search(len(r), func(i int) bool { return r[i].end > t })
	return i < len(r) && r[i].start <= t
}

// overlaps reports whether [s, e) overlaps one of the ranges.
func (r ranges) overlaps(s, e int) bool {
	i := sort.Search(len(r), func(i int) bool { return r[i].end > s })
	return i < len(r) && r[i].start < e
}

// endBefore returns the end of the last range that ends at or before t, or 0.
func (r ranges) endBefore(t int) int {
	if i := sort.Search(len(r), func(i int) bool { return r[i].end > t }); i > 0 {
		return r[i-1].end
	}
	return 0
}

// startAfter returns the start of the first range that starts at or after t, or a number larger
// than any offset.
func (r ranges) startAfter(t int) int {
	if i := sort.Search(len(r), func(i int) bool { return r[i].start >= t }); i < len(r) {
		return r[i].start
	}
	return int(^uint(0) >> 1)
}
