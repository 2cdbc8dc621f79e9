package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/verbatim-archive/verbatim/verify"
)

const (
	kindURL    = verify.KindURL
	kindHandle = verify.KindHandle
	kindWord   = verify.KindWord
	kindPunct  = verify.KindPunct
)

// tok is a token of a text, as verify.Words finds it, with what it is compared by.
type tok struct {
	start, end int // byte offsets in the text
	kind       verify.Kind
	// norm is verify's Norm, which ignores case; for a link, its linkKey.
	norm string
	// key is what tokens are compared by: norm with the case of letters kept; for a link, its
	// linkKey marked so that no word has the same key.
	key string
	// cut is set on a link shown cut short: its ellipsis is part of the token.
	cut bool
}

// upperMark marks an upper-case letter in a key, which verify.Normalize lower-cases. It is a
// private-use character, which Normalize keeps and composes with nothing.
const upperMark = '\uE000'

// tokens splits s into tokens.
func tokens(s string) []tok {
	ws := verify.Words(s)
	out := make([]tok, 0, len(ws))
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		t := tok{start: w.Start, end: w.End, kind: w.Kind}
		if w.Kind == kindURL {
			t.norm = linkKey(w.Text)
			if i+1 < len(ws) && ws[i+1].Start == w.End && isEllipsis(ws[i+1]) {
				t.cut, t.end = true, ws[i+1].End
				i++
			}
			t.key = linkMark(t.norm, t.cut)
		} else {
			t.norm, t.key = w.Norm, caseKey(w)
		}
		out = append(out, t)
	}
	return out
}

// linkMark returns the key of a link.
func linkMark(norm string, cut bool) string {
	if cut {
		return "\x01" + norm + "…"
	}
	return "\x01" + norm
}

// isEllipsis reports whether w is an ellipsis: "…", "...", or a longer run of full stops.
func isEllipsis(w verify.Word) bool {
	return w.Kind == kindPunct && len(w.Norm) >= 3 && strings.Trim(w.Norm, ".") == ""
}

// caseKey returns w.Norm with each upper-case or title-case letter marked.
func caseKey(w verify.Word) string {
	if !hasUpper(w.Text) {
		return w.Norm
	}
	var sb strings.Builder
	sb.Grow(len(w.Text) + 8)
	for _, r := range w.Text {
		if unicode.IsUpper(r) || unicode.IsTitle(r) {
			sb.WriteRune(upperMark)
		}
		sb.WriteRune(r)
	}
	return verify.Normalize(sb.String())
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.IndexFunc(s[i:], func(r rune) bool { return unicode.IsUpper(r) || unicode.IsTitle(r) }) >= 0
		}
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// sameKeys reports whether a and b have the same keys in the same order.
func sameKeys(a, b []tok) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].key != b[i].key {
			return false
		}
	}
	return true
}

// sameBag reports whether a and b have the same keys, each as often, in any order.
func sameBag(a, b []tok) bool {
	if len(a) != len(b) {
		return false
	}
	count := make(map[string]int, len(a))
	for _, t := range a {
		count[t.key]++
	}
	for _, t := range b {
		if count[t.key] == 0 {
			return false
		}
		count[t.key]--
	}
	return true
}

// segment is a run of tokens of a text, tb[lo:hi], between elisions ("…", "[…]", "(...)") or the
// ends of the text; cutBefore and cutAfter tell whether an elision comes before or after it.
type segment struct {
	lo, hi              int
	cutBefore, cutAfter bool
	// foldFirst is set on the first segment of a quotation, whose first letter may differ in case
	// from the post's: a quotation that starts a sentence capitalises it, and one that starts in
	// the middle of a sentence may not.
	foldFirst bool
}

// segments splits tb at its elisions and returns the non-empty runs between them.
func segments(tb []tok) []segment {
	var out []segment
	cur := segment{}
	for i := 0; i < len(tb); {
		w := elisionAt(tb, i)
		if w == 0 {
			i++
			continue
		}
		if cur.lo < i {
			cur.hi, cur.cutAfter = i, true
			out = append(out, cur)
		}
		i += w
		cur = segment{lo: i, cutBefore: true}
	}
	if cur.lo < len(tb) {
		cur.hi = len(tb)
		out = append(out, cur)
	}
	return out
}

// elisionAt returns the number of tokens of the elision at tb[i] ("…" is one, "[…]" three), or 0.
func elisionAt(tb []tok, i int) int {
	ell := func(t tok) bool { return t.kind == kindPunct && len(t.norm) >= 3 && strings.Trim(t.norm, ".") == "" }
	if ell(tb[i]) {
		return 1
	}
	if i+2 < len(tb) && ell(tb[i+1]) {
		switch tb[i].norm + tb[i+2].norm {
		case "[]", "()":
			return 3
		}
	}
	return 0
}

// findSeq returns the first index at or after from where the tokens seg occur in a, one after the
// other, or -1. The last token of seg may be the start of a word of a if partialLast is set (a word
// cut short before an ellipsis), and the first the end of one if partialFirst is set; the first
// may differ in the case of its first letter if foldFirst is set.
//
// It also returns how many tokens matched only in part.
func findSeq(a []tok, from int, seg []tok, partialFirst, partialLast, foldFirst bool) (at, partial int) {
	n := len(seg)
	if n == 0 {
		return -1, 0
	}
	for at = from; at+n <= len(a); at++ {
		ok := true
		partial = 0
		for k := 0; k < n && ok; k++ {
			x, y := a[at+k], seg[k]
			switch {
			case x.key == y.key, k == 0 && foldFirst && sameButFirstCase(x.key, y.key):
			case k == n-1 && partialLast && x.kind == kindWord && y.kind == kindWord && strings.HasPrefix(x.key, y.key),
				k == 0 && partialFirst && x.kind == kindWord && y.kind == kindWord && strings.HasSuffix(x.key, y.key):
				partial++
			default:
				ok = false
			}
		}
		if ok {
			return at, partial
		}
	}
	return -1, 0
}

// findSegments looks for segs of tb in a, in order, each contiguous. It returns the tokens of a
// from the first segment's start to the last one's end, and how many tokens of a the segments
// cover in full (a word cut short by an ellipsis is not covered).
func findSegments(a, tb []tok, segs []segment) (lo, hi, covered int, ok bool) {
	pos := 0
	for k, sg := range segs {
		at, partial := findSeq(a, pos, tb[sg.lo:sg.hi], sg.cutBefore, sg.cutAfter, sg.foldFirst)
		if at < 0 {
			return 0, 0, 0, false
		}
		if k == 0 {
			lo = at
		}
		pos = at + sg.hi - sg.lo
		covered += sg.hi - sg.lo - partial
	}
	return lo, pos, covered, len(segs) > 0
}

// sameButFirstCase reports whether the keys x and y differ at most in the case of their first
// letter.
func sameButFirstCase(x, y string) bool {
	const mark = string(upperMark)
	return strings.TrimPrefix(x, mark) == strings.TrimPrefix(y, mark)
}

// countWords returns the number of tokens of s, for reasons.
func countWords(s string) int { return len(verify.Words(s)) }
