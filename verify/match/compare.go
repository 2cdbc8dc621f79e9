package match

import (
	"strings"

	"github.com/verbatim-archive/verbatim/verify"
)

// prepared is an archived text made ready to compare with the embed's: links the two share
// written as the embed writes them, and the leading reply @handles and trailing links that do not
// count left out.
type prepared struct {
	s    string
	toks []tok // tokens of s
}

// prepare prepares the text of a for comparing with the embed's.
func (j *judge) prepare(a archived) prepared {
	ta, tb := a.toks, j.toks
	pair := make([]int, len(ta)) // the embed's link token that a link of a is, or -1
	for i := range pair {
		pair[i] = -1
	}
	free := func(match func(tok) bool) int {
		for i, t := range ta {
			if t.kind == kindURL && pair[i] < 0 && match(t) {
				return i
			}
		}
		return -1
	}
	var unresolved []int
	for k, t := range tb {
		if t.kind != kindURL {
			continue
		}
		if i := free(func(x tok) bool { return linksEqual(x, t) }); i >= 0 {
			pair[i] = k
		} else {
			unresolved = append(unresolved, k)
		}
	}
	// A link the embed shows by its display URL ("whitehouse.gov/…") has the address the post's
	// text has (a t.co link) only in its link element: take those in order.
	h := 0
	for _, k := range unresolved {
		for ; h < len(j.hidden); h++ {
			key := j.hidden[h]
			if i := free(func(x tok) bool { return x.norm == key }); i >= 0 {
				pair[i] = k
				h++
				break
			}
		}
	}
	first, last := 0, len(ta)
	if !j.quote {
		for last > first && ta[last-1].kind == kindURL && pair[last-1] < 0 {
			last--
		}
		if !j.leadHandle {
			k := first
			for k < last && ta[k].kind == kindHandle {
				k++
			}
			if k < last {
				first = k
			}
		}
	}
	if first == last {
		return prepared{}
	}
	var sb strings.Builder
	sb.Grow(ta[last-1].end - ta[first].start + 16)
	out := make([]tok, 0, last-first)
	prev := ta[first].start
	for i := first; i < last; i++ {
		t := ta[i]
		sb.WriteString(a.text[prev:t.start])
		prev = t.end
		t.start = sb.Len()
		if k := pair[i]; k >= 0 {
			bt := tb[k]
			sb.WriteString(j.text[bt.start:bt.end])
			t.norm, t.key, t.cut = bt.norm, bt.key, bt.cut
		} else {
			sb.WriteString(a.text[ta[i].start:ta[i].end])
		}
		t.end = sb.Len()
		out = append(out, t)
	}
	return prepared{s: sb.String(), toks: out}
}

// score compares a with the embed's text and returns its similarity. For a quotation, it also
// finds the part of the post the quotation aligns with.
func (j *judge) score(a archived) *scored {
	s := &scored{a: a, p: j.prepare(a)}
	if !j.quote {
		s.sim = verify.Similarity(s.p.s, j.text)
		return s
	}
	ta := s.p.toks
	if lo, hi, _, ok := findSegments(ta, j.toks, j.segs); ok {
		s.found, s.lo, s.hi = true, lo, hi
		s.sim = 1
		if len(j.segs) > 1 {
			s.sim = verify.Similarity(s.p.span(lo, hi).s, j.text)
		}
		return s
	}
	if lo := findBag(ta, j.toks); lo >= 0 {
		s.lo, s.hi = lo, lo+len(j.toks)
	} else {
		s.lo, s.hi = alignQuote(ta, j.toks, verify.DiffWords(s.p.s, j.text))
	}
	s.sim = verify.Similarity(s.p.span(s.lo, s.hi).s, j.text)
	return s
}

// findBag returns the first index of a run of len(tb) tokens of ta that have the keys of tb, each
// as often, in any order; or -1.
func findBag(ta, tb []tok) int {
	n := len(tb)
	if n == 0 || n > len(ta) {
		return -1
	}
	need := make(map[string]int, n) // tb's count less the window's, for each key
	for _, t := range tb {
		need[t.key]++
	}
	off := len(need) // keys whose count differs
	add := func(key string, d int) {
		before := need[key]
		need[key] = before - d
		switch {
		case before == 0:
			off++
		case before-d == 0:
			off--
		}
	}
	for i, t := range ta {
		add(t.key, 1)
		if i >= n {
			add(ta[i-n].key, -1)
		}
		if i >= n-1 && off == 0 {
			return i - n + 1
		}
	}
	return -1
}

// span returns the part of p with tokens [lo, hi).
func (p prepared) span(lo, hi int) prepared {
	if lo >= hi {
		return prepared{}
	}
	off := p.toks[lo].start
	toks := make([]tok, hi-lo)
	for i, t := range p.toks[lo:hi] {
		t.start -= off
		t.end -= off
		toks[i] = t
	}
	return prepared{s: p.s[off:p.toks[hi-1].end], toks: toks}
}

// alignQuote returns the tokens of ta that the quotation tb aligns with, given the diff of the two:
// the densest group of common runs, widened at each end by as many tokens as the quotation has
// there that are not in the group (a word replaced at the quotation's start or end).
func alignQuote(ta, tb []tok, edits []verify.Edit) (lo, hi int) {
	type run struct{ a0, a1, b0, b1 int }
	var runs []run
	ia, ib, aOff, bOff := 0, 0, 0, 0
	for _, ed := range edits {
		aEnd, bEnd := aOff+len(ed.A), bOff+len(ed.B)
		a0, b0 := ia, ib
		for ia < len(ta) && ta[ia].start < aEnd {
			ia++
		}
		for ib < len(tb) && tb[ib].start < bEnd {
			ib++
		}
		if ed.Op == verify.Equal && ia > a0 {
			runs = append(runs, run{a0, ia, b0, ib})
		}
		aOff, bOff = aEnd, bEnd
	}
	if len(runs) == 0 {
		return 0, len(ta)
	}
	maxGap := max(3, len(tb)/2)
	bestLo, bestHi, bestN := 0, 0, -1
	for g := 0; g < len(runs); {
		n, k := runs[g].a1-runs[g].a0, g+1
		for k < len(runs) && runs[k].a0-runs[k-1].a1 <= maxGap {
			n += runs[k].a1 - runs[k].a0
			k++
		}
		if n > bestN {
			bestLo, bestHi, bestN = g, k-1, n
		}
		g = k
	}
	first, last := runs[bestLo], runs[bestHi]
	lo = first.a0 - min(first.b0, first.a0)
	hi = last.a1 + min(len(tb)-last.b1, len(ta)-last.a1)
	return lo, hi
}

// match is how the embed's text compares with a version's.
type match struct {
	verdict      string // Exact, Normalized, Linked, Altered, Truncated, Reordered or NotArchived
	sim          float64
	diff         []verify.Edit
	shown, total int // for Truncated: tokens of the post shown, of all
	candidates   int // for NotArchived: how many there were
}

// compare compares the embed's text with the scored version, whose text as archived is raw.
func (j *judge) compare(s *scored, raw string) match {
	m := match{sim: s.sim}
	ta, tb := s.p.toks, j.toks
	if j.quote {
		p := s.p.span(s.lo, s.hi)
		m.diff = markCase(verify.DiffWords(p.s, j.text), p, j.text, tb, true)
		switch {
		case s.found && len(j.segs) == 1:
			m.verdict = Normalized
			if p.s == j.text && strings.Contains(raw, j.text) {
				m.verdict = Exact
			}
		case s.found:
			m.verdict = Truncated
			m.total = len(p.toks)
			for _, sg := range j.segs {
				m.shown += sg.hi - sg.lo
			}
		case sameBag(p.toks, tb):
			m.verdict = Reordered
		default:
			m.verdict = Altered
		}
		return m
	}
	if strings.TrimSpace(raw) == j.text {
		m.verdict, m.sim = Exact, 1
		return m
	}
	m.diff = markCase(verify.DiffWords(s.p.s, j.text), s.p, j.text, tb, false)
	switch lo, hi, covered, ok := findSegments(ta, tb, j.segs); {
	case sameKeys(ta, tb):
		m.verdict = Normalized
	case ok && covered < len(ta):
		m.verdict, m.shown, m.total = Truncated, covered, len(ta)
	case ok && lo == 0 && hi == len(ta):
		m.verdict = Normalized // all of it, with an ellipsis added
	case sameBag(ta, tb):
		m.verdict = Reordered
	default:
		m.verdict = Altered
	}
	return m
}

// markCase returns edits, the word diff of p.s against b (whose tokens are tb), with words that
// verify.DiffWords found equal but that differ in the case of letters shown as changed; but for
// the case of the first letter of b if foldFirst is set.
func markCase(edits []verify.Edit, p prepared, b string, tb []tok, foldFirst bool) []verify.Edit {
	same := func(x tok, k int) bool {
		y := tb[k]
		return x.key == y.key || x.norm != y.norm || k == 0 && foldFirst && sameButFirstCase(x.key, y.key)
	}
	ta := p.toks
	var out []verify.Edit
	changed := false
	ia, ib, aOff, bOff := 0, 0, 0, 0
	for _, ed := range edits {
		aEnd, bEnd := aOff+len(ed.A), bOff+len(ed.B)
		a0, b0 := ia, ib
		for ia < len(ta) && ta[ia].start < aEnd {
			ia++
		}
		for ib < len(tb) && tb[ib].start < bEnd {
			ib++
		}
		if ed.Op != verify.Equal || ia-a0 != ib-b0 || aEnd > len(p.s) || bEnd > len(b) {
			out = append(out, ed)
			aOff, bOff = aEnd, bEnd
			continue
		}
		pa, pb := aOff, bOff // where the next piece starts
		for k := 0; k < ia-a0; {
			x, y := ta[a0+k], tb[b0+k]
			if same(x, b0+k) {
				k++
				continue
			}
			k1 := k + 1
			for k1 < ia-a0 && !same(ta[a0+k1], b0+k1) {
				k1++
			}
			xe, ye := ta[a0+k1-1].end, tb[b0+k1-1].end
			out = append(out,
				verify.Edit{Op: verify.Equal, A: p.s[pa:x.start], B: b[pb:y.start]},
				verify.Edit{Op: verify.Delete, A: p.s[x.start:xe]},
				verify.Edit{Op: verify.Insert, B: b[y.start:ye]})
			pa, pb = xe, ye
			changed = true
			k = k1
		}
		out = append(out, verify.Edit{Op: verify.Equal, A: p.s[pa:aEnd], B: b[pb:bEnd]})
		aOff, bOff = aEnd, bEnd
	}
	if !changed {
		return edits
	}
	return tidy(out)
}

// tidy drops empty edits and merges neighbours of the same kind, so that changes are one Delete
// followed by one Insert.
func tidy(edits []verify.Edit) []verify.Edit {
	var out []verify.Edit
	for i := 0; i < len(edits); {
		if edits[i].Op == verify.Equal {
			e := edits[i]
			for i++; i < len(edits) && edits[i].Op == verify.Equal; i++ {
				e.A += edits[i].A
				e.B += edits[i].B
			}
			if e.A != "" || e.B != "" {
				out = append(out, e)
			}
			continue
		}
		var del, ins strings.Builder
		for ; i < len(edits) && edits[i].Op != verify.Equal; i++ {
			del.WriteString(edits[i].A)
			ins.WriteString(edits[i].B)
		}
		if del.Len() > 0 {
			out = append(out, verify.Edit{Op: verify.Delete, A: del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, verify.Edit{Op: verify.Insert, B: ins.String()})
		}
	}
	return out
}
