package compare

import (
	"sort"
	"strings"

	"github.com/verbatim-archive/verbatim/verify"
)

// group is a set of consecutive paragraphs on each side, [p0, p1) and [q0, q1).
type group struct{ p0, p1, q0, q1 int }

// groups returns the groups of paragraphs that sentences matched in place (not moved) connect,
// in order. Paragraphs between two connected ones belong to their group.
func (al *alignment) groups() []group {
	var links [][2]int
	for i, j := range al.ma {
		if j >= 0 && al.kind[i] != moved {
			links = append(links, [2]int{al.a.sents[i].para, al.b.sents[j].para})
		}
	}
	sort.Slice(links, func(x, y int) bool {
		if links[x][0] != links[y][0] {
			return links[x][0] < links[y][0]
		}
		return links[x][1] < links[y][1]
	})
	var gs []group
	for _, l := range links {
		g := group{l[0], l[0] + 1, l[1], l[1] + 1}
		// Merge with the groups before while they overlap on either side (links in place are in
		// order on both sides, so this only joins groups that share a paragraph).
		for len(gs) > 0 {
			last := gs[len(gs)-1]
			if g.p0 >= last.p1 && g.q0 >= last.q1 {
				break
			}
			g = group{min(g.p0, last.p0), max(g.p1, last.p1), min(g.q0, last.q0), max(g.q1, last.q1)}
			gs = gs[:len(gs)-1]
		}
		gs = append(gs, g)
	}
	return gs
}

// rows returns the side-by-side rows: the groups, with the paragraphs between them each in a row
// of their own (the original's first).
func (al *alignment) rows() []Row {
	a, b := al.a, al.b
	var rows []Row
	single := func(d *doc, kinds []int, p int, orig bool) {
		r := Row{Kind: RowIgnored}
		if n := d.first[p+1] - d.first[p]; n > 0 {
			allMoved, anyMoved := true, false
			for _, k := range kinds[d.first[p]:d.first[p+1]] {
				allMoved = allMoved && k == moved
				anyMoved = anyMoved || k == moved
			}
			switch {
			case allMoved:
				r.Kind = KindMoved
			case anyMoved:
				r.Kind = RowChanged
			case orig:
				r.Kind = KindRemoved
			default:
				r.Kind = KindAdded
			}
		}
		if orig {
			r.Original, r.OriginalText = []int{p}, d.paras[p]
		} else {
			r.Republished, r.RepublishedText = []int{p}, d.paras[p]
		}
		rows = append(rows, r)
	}
	p, q := 0, 0
	flush := func(p1, q1 int) {
		for ; p < p1; p++ {
			single(a, al.kind, p, true)
		}
		for ; q < q1; q++ {
			single(b, al.kindB, q, false)
		}
	}
	for _, g := range al.groups() {
		flush(g.p0, g.q0)
		rows = append(rows, al.groupRow(g))
		p, q = g.p1, g.q1
	}
	flush(len(a.paras), len(b.paras))
	return rows
}

// groupRow returns the row of a group.
func (al *alignment) groupRow(g group) Row {
	a, b := al.a, al.b
	r := Row{}
	for p := g.p0; p < g.p1; p++ {
		r.Original = append(r.Original, p)
	}
	for q := g.q0; q < g.q1; q++ {
		r.Republished = append(r.Republished, q)
	}
	r.OriginalText = strings.Join(a.paras[g.p0:g.p1], "\n\n")
	r.RepublishedText = strings.Join(b.paras[g.q0:g.q1], "\n\n")
	content, typo := false, false
	for _, k := range al.kind[a.first[g.p0]:a.first[g.p1]] {
		content = content || k == unmatched || k == altered || k == moved
		typo = typo || k == typographic
	}
	for _, k := range al.kindB[b.first[g.q0]:b.first[g.q1]] {
		content = content || k == unmatched || k == altered || k == moved
	}
	switch {
	case content:
		r.Kind = RowChanged
	case g.p1-g.p0 < g.q1-g.q0 || (g.p1-g.p0 > 1 && g.p1-g.p0 == g.q1-g.q0):
		r.Kind = KindSplit
	case g.p1-g.p0 > g.q1-g.q0:
		r.Kind = KindMerged
	case typo || r.OriginalText != r.RepublishedText:
		r.Kind = KindTypographic
	default:
		r.Kind = RowEqual
	}
	if r.Kind != RowEqual {
		r.Diff = verify.DiffWords(r.OriginalText, r.RepublishedText)
	}
	return r
}

// changes returns the changes, in the order of rows.
func (al *alignment) changes(rows []Row) []Change {
	a, b := al.a, al.b
	rowOfA := make([]int, len(a.paras))
	rowOfB := make([]int, len(b.paras))
	for x, r := range rows {
		for _, p := range r.Original {
			rowOfA[p] = x
		}
		for _, q := range r.Republished {
			rowOfB[q] = x
		}
	}
	type placed struct {
		row, order int // order puts splits and merges first in their row
		c          Change
	}
	var out []placed
	add := func(c Change) {
		row := 0
		if c.RepublishedIndex >= 0 {
			row = rowOfB[c.RepublishedIndex]
		} else if c.OriginalIndex >= 0 {
			row = rowOfA[c.OriginalIndex]
		}
		out = append(out, placed{row, 1, c})
	}

	// Runs of sentences of a in one paragraph: removed, or matched alike to consecutive
	// sentences of one paragraph of b.
	typoRows := map[int]bool{}
	for i := 0; i < len(a.sents); {
		k, j := al.kind[i], al.ma[i]
		e := i + 1
		for e < len(a.sents) && a.sents[e].para == a.sents[i].para && al.kind[e] == k &&
			(k == unmatched || (al.ma[e] == j+(e-i) && b.sents[al.ma[e]].para == b.sents[j].para)) {
			e++
		}
		c := Change{OriginalIndex: a.sents[i].para, RepublishedIndex: -1}
		switch k {
		case unmatched:
			c.Kind, c.Original = KindRemoved, a.text(i, e)
		case typographic, altered, moved:
			c.Kind = map[int]string{typographic: KindTypographic, altered: KindAltered, moved: KindMoved}[k]
			c.Original, c.Republished = a.text(i, e), b.text(j, j+(e-i))
			c.RepublishedIndex = b.sents[j].para
			if k == altered || (k == moved && !sameKeys(a.sents[i:e], b.sents[j:j+(e-i)])) {
				c.Diff = verify.DiffWords(c.Original, c.Republished)
			}
			if k == typographic {
				typoRows[rowOfB[c.RepublishedIndex]] = true
			}
		}
		if k != equal {
			add(c)
		}
		i = e
	}
	for j := 0; j < len(b.sents); {
		if al.mb[j] >= 0 {
			j++
			continue
		}
		e := j + 1
		for e < len(b.sents) && b.sents[e].para == b.sents[j].para && al.mb[e] < 0 {
			e++
		}
		add(Change{Kind: KindAdded, Republished: b.text(j, e), OriginalIndex: -1, RepublishedIndex: b.sents[j].para})
		j = e
	}

	// Rows: splits and merges, and paragraphs that differ only in the spacing between sentences.
	for x, r := range rows {
		if len(r.Original) == 0 || len(r.Republished) == 0 {
			continue
		}
		c := Change{Original: r.OriginalText, Republished: r.RepublishedText,
			OriginalIndex: r.Original[0], RepublishedIndex: r.Republished[0]}
		switch n, m := len(r.Original), len(r.Republished); {
		case n < m || (n > 1 && n == m):
			c.Kind = KindSplit
		case n > m:
			c.Kind = KindMerged
		case r.Kind == KindTypographic && !typoRows[x]:
			c.Kind = KindTypographic // only the spacing between sentences differs
		default:
			continue
		}
		out = append(out, placed{x, 0, c})
	}
	sort.SliceStable(out, func(x, y int) bool {
		if out[x].row != out[y].row {
			return out[x].row < out[y].row
		}
		return out[x].order < out[y].order
	})
	changes := make([]Change, len(out))
	for x, p := range out {
		changes[x] = p.c
	}
	return changes
}

func sameKeys(x, y []sentence) bool {
	for i := range x {
		if x[i].key != y[i].key {
			return false
		}
	}
	return true
}
