package verify

import (
	"fmt"
	"html"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Op says whether a piece of a diff is in both texts, only in the second or only in the first.
type Op int

const (
	// Equal is text whose tokens are in both texts (compared by Word.Norm).
	Equal Op = iota
	// Insert is text only in the second text, b.
	Insert
	// Delete is text only in the first text, a.
	Delete
)

var opNames = [...]string{"equal", "insert", "delete"}

// String returns "equal", "insert" or "delete".
func (op Op) String() string {
	if op >= 0 && int(op) < len(opNames) {
		return opNames[op]
	}
	return fmt.Sprintf("Op(%d)", int(op))
}

// MarshalText encodes op as its String, so that edits read well in JSON.
func (op Op) MarshalText() ([]byte, error) {
	if op < 0 || int(op) >= len(opNames) {
		return nil, fmt.Errorf("verify: invalid Op %d", int(op))
	}
	return []byte(opNames[op]), nil
}

// UnmarshalText decodes the output of MarshalText.
func (op *Op) UnmarshalText(b []byte) error {
	for i, name := range opNames {
		if string(b) == name {
			*op = Op(i)
			return nil
		}
	}
	return fmt.Errorf("verify: unknown op %q", b)
}

// Edit is one piece of a word diff of a against b, as returned by DiffWords.
//
// A is the piece's text in a and B its text in b, both exactly as written there, white space
// included, so that joining the A of all edits gives a and joining the B gives b. For Equal, A and
// B have the same tokens but may differ in typography and spacing (“quote” against "quote"). A
// Delete has only A, an Insert only B.
type Edit struct {
	Op Op     `json:"op"`
	A  string `json:"a,omitempty"`
	B  string `json:"b,omitempty"`
}

// DiffWords compares a with b word by word (see Words) and returns the edits that turn a into b.
// Tokens are compared by their Norm, so differences of typography, case and spacing alone are
// Equal.
//
// The result is meant to be read:
//   - no two adjacent edits have the same Op, and where text is replaced the Delete comes first,
//     directly followed by its Insert;
//   - the white space between a change and the unchanged text beside it belongs to the Equal edit,
//     so a Delete or Insert starts and ends with a token except at the very start or end of a text;
//   - a short run of common tokens between two longer replacements (a stray "the" or ",") is folded
//     into the change, and an insertion or deletion that could sit at several places is put where it
//     starts or ends a sentence or line;
//   - a text without any token (empty, or only white space) is an Equal edit with the other side
//     empty, so DiffWords("", "") is nil and DiffWords(" ", "x") is [{Equal " " ""} {Insert "" "x"}].
//
// The edits are those of a minimal diff (a longest common subsequence of tokens) wherever that can
// be found at reasonable cost: small runs are compared by dynamic programming, others by Myers'
// O(ND) algorithm, fast where the texts differ little, or by Hunt–Szymanski's, fast where the tokens
// of one text match few places in the other (a quotation against a long article). Runs of 16,384
// tokens or more are first split at tokens that occur exactly once in each text, as patience diff
// does. The exact searches share a budget proportional to the size of the input; once it is spent,
// runs are only split at unique tokens, and what remains becomes one Delete and one Insert. Time and
// memory therefore stay close to linear: two 100,000-word texts that have nothing in common, or use
// only a handful of distinct words, take a fraction of a second.
func DiffWords(a, b string) []Edit {
	wa, wb := Words(a), Words(b)
	return toEdits(a, b, wa, wb, diffTokens(a, b, wa, wb))
}

// Similarity returns the share of tokens the two texts have in common, from 0 (none) to 1 (the
// same words, perhaps in different typography or spacing): twice the number of tokens in Equal
// edits of DiffWords(a, b), divided by the number of tokens in a and b. Two texts without any token
// have similarity 1.
func Similarity(a, b string) float64 {
	wa, wb := Words(a), Words(b)
	if len(wa)+len(wb) == 0 {
		return 1
	}
	equal := 0
	for _, bl := range diffTokens(a, b, wa, wb) {
		if bl.eq {
			equal += bl.a1 - bl.a0
		}
	}
	return float64(2*equal) / float64(len(wa)+len(wb))
}

// RenderText shows edits in the manner of git diff --word-diff=plain: unchanged text as b has it,
// deleted text as [-text-] and inserted text as {+text+}. Markers enclose only the changed tokens;
// the white space around them stays outside. Marker characters inside the text are not escaped.
func RenderText(edits []Edit) string {
	return render(edits, "[-", "-]", "{+", "+}", func(s string) string { return s })
}

// RenderHTML shows edits as an HTML fragment: unchanged text as b has it, deleted text in <del> and
// inserted text in <ins>, every piece escaped with html.EscapeString. Line breaks are kept as they
// are, so the fragment belongs in an element styled with white-space: pre-wrap.
func RenderHTML(edits []Edit) string {
	return render(edits, "<del>", "</del>", "<ins>", "</ins>", html.EscapeString)
}

// render writes edits with each piece escaped and changes between markers: changed text without
// white space at its ends, and unchanged text as b has it, except that next to a deletion it keeps
// the white space a has there, so that both "the [-quick-] fox" and "Hello{+,+} world" read right.
func render(edits []Edit, delOpen, delClose, insOpen, insClose string, escape func(string) string) string {
	var sb strings.Builder
	for i, e := range edits {
		switch e.Op {
		case Delete:
			if _, core, _ := splitSpace(e.A); core != "" {
				sb.WriteString(delOpen + escape(core) + delClose)
			}
		case Insert:
			if _, core, _ := splitSpace(e.B); core != "" {
				sb.WriteString(insOpen + escape(core) + insClose)
			}
		default:
			lead, core, trail := splitSpace(e.B)
			if i > 0 && edits[i-1].Op == Delete {
				lead, _, _ = splitSpace(e.A)
			}
			if i+1 < len(edits) && edits[i+1].Op == Delete {
				_, _, trail = splitSpace(e.A)
			}
			sb.WriteString(escape(lead + core + trail))
		}
	}
	return sb.String()
}

// splitSpace splits s into its leading white space, the rest up to its trailing white space, and
// that trailing white space. A string of only white space is all leading.
func splitSpace(s string) (lead, core, trail string) {
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	core = strings.TrimRightFunc(rest, unicode.IsSpace)
	return s[:len(s)-len(rest)], core, rest[len(core):]
}

// Limits that keep the diff of large or very different texts fast.
const (
	// smallArea is the largest product of the lengths of two token runs that are compared
	// exactly by dynamic programming (cheap at this size, and never given up).
	smallArea = 1 << 12
	// anchorFirst is the number of tokens from which a run is first split at unique common tokens
	// rather than searched exactly as a whole.
	anchorFirst = 1 << 14
	// The exact search may take exactBase + exactPerToken·(tokens) steps per DiffWords call.
	exactBase, exactPerToken = 1 << 23, 64
	// Splitting at unique tokens may visit coarseBase + coarsePerToken·(tokens) tokens.
	coarseBase, coarsePerToken = 1 << 16, 16
	// sparseMin is the number of tokens from which a run's matching pairs are counted, to choose
	// between Myers' and Hunt–Szymanski's algorithm; maxPairs is the most pairs the latter may take.
	sparseMin, maxPairs = 1 << 8, 1 << 21
	// maxSlide is how far an insertion or deletion is moved to find a better place for it.
	maxSlide = 64
)

// block is a run of the diff: tokens a[a0:a1] and b[b0:b1], either equal pairwise (eq) or a change
// (the a tokens deleted, the b tokens inserted). Consecutive blocks are contiguous in both texts.
type block struct {
	eq             bool
	a0, a1, b0, b1 int
}

// diffTokens diffs the tokens of a and b and returns the blocks, alternating between equal runs and
// changes, ready to be turned into edits.
func diffTokens(a, b string, wa, wb []Word) []block {
	ids := make(map[string]int32, len(wa)/2+len(wb)/2+1)
	intern := func(words []Word) []int32 {
		out := make([]int32, len(words))
		for i, w := range words {
			id, ok := ids[w.Norm]
			if !ok {
				id = int32(len(ids))
				ids[w.Norm] = id
			}
			out[i] = id
		}
		return out
	}
	ia, ib := intern(wa), intern(wb)
	n := len(ia) + len(ib)
	d := &differ{a: ia, b: ib, ids: len(ids), work: exactBase + exactPerToken*n, coarse: coarseBase + coarsePerToken*n}
	d.diff(0, len(ia), 0, len(ib))
	blocks := cleanupSemantic(d.out)
	slide(blocks, a, b, wa, wb, ia, ib)
	return compact(blocks)
}

// differ computes the blocks of a diff of two token sequences.
type differ struct {
	a, b   []int32
	out    []block
	work   int // steps of exact search left
	coarse int // token visits of splitting at unique tokens left
	ids    int // number of distinct tokens
	v1, v2 []int
	dp     []int32
	count  []int32 // per token, for matches
	end    []int32
}

// emit appends a block, merging it with the last one if both are equal runs or both changes.
func (d *differ) emit(eq bool, a0, a1, b0, b1 int) {
	if a0 == a1 && b0 == b1 {
		return
	}
	if n := len(d.out); n > 0 && d.out[n-1].eq == eq {
		d.out[n-1].a1, d.out[n-1].b1 = a1, b1
		return
	}
	d.out = append(d.out, block{eq, a0, a1, b0, b1})
}

// diff emits the blocks for a[a0:a1] against b[b0:b1].
func (d *differ) diff(a0, a1, b0, b1 int) {
	p := 0
	for a0+p < a1 && b0+p < b1 && d.a[a0+p] == d.b[b0+p] {
		p++
	}
	d.emit(true, a0, a0+p, b0, b0+p)
	a0, b0 = a0+p, b0+p
	s := 0
	for a1-s > a0 && b1-s > b0 && d.a[a1-s-1] == d.b[b1-s-1] {
		s++
	}
	d.middle(a0, a1-s, b0, b1-s)
	d.emit(true, a1-s, a1, b1-s, b1)
}

// middle emits the blocks for a[a0:a1] against b[b0:b1], which neither start nor end alike.
//
// Small runs are compared by dynamic programming, long ones first split at tokens that occur once in
// each. Otherwise Myers' algorithm searches for a minimal diff, which is fast where the runs differ
// little; where they differ much, and their tokens match each other in few places, the
// Hunt–Szymanski algorithm is faster, so Myers' search is given up once it has cost a good part of
// what that would. Both find a longest common subsequence. Where neither can be afforded, the run
// is split at unique tokens if it was not already, or else becomes one change.
func (d *differ) middle(a0, a1, b0, b1 int) {
	n, m := a1-a0, b1-b0
	switch {
	case n == 0 || m == 0:
		d.emit(false, a0, a1, b0, b1)
		return
	case n*m <= smallArea:
		d.lcs(a0, a1, b0, b1)
		return
	case n+m >= anchorFirst && d.anchor(a0, a1, b0, b1):
		return
	}
	budget := d.work
	var sp *sparse
	if n+m >= sparseMin {
		if sp = d.matches(a0, a1, b0, b1); 2*sp.cost <= d.work && sp.pairs <= maxPairs {
			budget = sp.cost / 4 // a step of Myers' search is cheaper than one of hunt's
		} else {
			sp = nil
		}
	}
	if x, y, ok := d.bisect(a0, a1, b0, b1, budget); ok && (x > a0 || y > b0) && (x < a1 || y < b1) {
		d.diff(a0, x, b0, y)
		d.diff(x, a1, y, b1)
		return
	}
	if sp != nil {
		d.work -= sp.cost
		d.hunt(a0, b0, sp)
		return
	}
	if n+m < anchorFirst && d.anchor(a0, a1, b0, b1) {
		return
	}
	d.emit(false, a0, a1, b0, b1)
}

// bisect finds the middle snake of an optimal path through a[a0:a1] against b[b0:b1] (Myers 1986,
// section 4b) and returns the point at which to split the problem in two. It reports false if that
// would cost more than budget steps of the work left.
func (d *differ) bisect(a0, a1, b0, b1, budget int) (x, y int, ok bool) {
	budget = min(budget, d.work)
	if budget <= 0 {
		return 0, 0, false
	}
	work := budget
	defer func() { d.work -= budget - work }()
	a, b := d.a[a0:a1], d.b[b0:b1]
	n, m := len(a), len(b)
	// Reaching D takes about D² steps, so the search ends long before D reaches √work; stop it
	// there in any case, which bounds the memory it takes.
	limit := min((n+m+1)/2, int(math.Sqrt(float64(work)))+2)
	off, size := limit, 2*limit+2
	if cap(d.v1) < size {
		d.v1, d.v2 = make([]int, size), make([]int, size)
	}
	v1, v2 := d.v1[:size], d.v2[:size]
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	work -= size
	delta := n - m
	front := delta%2 != 0 // whether the forward path meets the reverse one, or the other way round
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for dd := 0; dd <= limit; dd++ {
		if work < 0 {
			return 0, 0, false
		}
		for k1 := -dd + k1start; k1 <= dd-k1end; k1 += 2 {
			i1 := off + k1
			var x1 int
			if k1 == -dd || (k1 != dd && v1[i1-1] < v1[i1+1]) {
				x1 = v1[i1+1]
			} else {
				x1 = v1[i1-1] + 1
			}
			y1, start := x1-k1, x1
			for x1 < n && y1 < m && a[x1] == b[y1] {
				x1++
				y1++
			}
			work -= 1 + x1 - start
			v1[i1] = x1
			switch {
			case x1 > n:
				k1end += 2 // off the right edge
			case y1 > m:
				k1start += 2 // off the bottom edge
			case front:
				if i2 := off + delta - k1; i2 >= 0 && i2 < size && v2[i2] != -1 && x1 >= n-v2[i2] {
					return a0 + x1, b0 + y1, true
				}
			}
		}
		for k2 := -dd + k2start; k2 <= dd-k2end; k2 += 2 {
			i2 := off + k2
			var x2 int
			if k2 == -dd || (k2 != dd && v2[i2-1] < v2[i2+1]) {
				x2 = v2[i2+1]
			} else {
				x2 = v2[i2-1] + 1
			}
			y2, start := x2-k2, x2
			for x2 < n && y2 < m && a[n-x2-1] == b[m-y2-1] {
				x2++
				y2++
			}
			work -= 1 + x2 - start
			v2[i2] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				if i1 := off + delta - k2; i1 >= 0 && i1 < size && v1[i1] != -1 && v1[i1] >= n-x2 {
					x1 := v1[i1]
					return a0 + x1, b0 + x1 - (delta - k2), true
				}
			}
		}
	}
	return 0, 0, false
}

// lcs emits the blocks of a longest common subsequence of a[a0:a1] and b[b0:b1], found by dynamic
// programming in O(n·m) time and space; for small runs only.
func (d *differ) lcs(a0, a1, b0, b1 int) {
	n, m := a1-a0, b1-b0
	w := m + 1
	size := (n + 1) * w
	if cap(d.dp) < size {
		d.dp = make([]int32, size)
	}
	dp := d.dp[:size] // dp[i*w+j]: length of an LCS of a[a0+i:a1] and b[b0+j:b1]
	clear(dp[n*w:])
	for i := n - 1; i >= 0; i-- {
		dp[i*w+m] = 0
		for j := m - 1; j >= 0; j-- {
			if d.a[a0+i] == d.b[b0+j] {
				dp[i*w+j] = dp[(i+1)*w+j+1] + 1
			} else {
				dp[i*w+j] = max(dp[(i+1)*w+j], dp[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case d.a[a0+i] == d.b[b0+j]:
			d.emit(true, a0+i, a0+i+1, b0+j, b0+j+1)
			i, j = i+1, j+1
		case dp[(i+1)*w+j] >= dp[i*w+j+1]:
			d.emit(false, a0+i, a0+i+1, b0+j, b0+j)
			i++
		default:
			d.emit(false, a0+i, a0+i, b0+j, b0+j+1)
			j++
		}
	}
	d.emit(false, a0+i, a1, b0+j, b1)
}

// sparse lists, for each token of a run of a, where the same token is in a run of b.
type sparse struct {
	pos    []int32    // positions in b, grouped by token, ascending in each group
	groups [][2]int32 // groups[i]: the group in pos of the token a[a0+i]
	pairs  int        // matching pairs: the sum of the groups' sizes
	cost   int        // estimated steps of hunt
}

// matches returns the matching pairs of a[a0:a1] and b[b0:b1], in O(n + m) time.
func (d *differ) matches(a0, a1, b0, b1 int) *sparse {
	if d.count == nil {
		d.count, d.end = make([]int32, d.ids), make([]int32, d.ids)
	}
	bs := d.b[b0:b1]
	for _, id := range bs {
		d.count[id]++
	}
	// Lay the groups out in the order their tokens first appear: end[id] is one more than the next
	// free place in id's group, and, once all are placed, one more than the group's end.
	next := int32(0)
	for _, id := range bs {
		if d.end[id] == 0 {
			d.end[id] = next + 1
			next += d.count[id]
		}
	}
	pos := make([]int32, len(bs))
	for j, id := range bs {
		pos[d.end[id]-1] = int32(b0 + j)
		d.end[id]++
	}
	sp := &sparse{pos: pos, groups: make([][2]int32, a1-a0)}
	for i, id := range d.a[a0:a1] {
		if c := d.count[id]; c > 0 {
			end := d.end[id] - 1
			sp.groups[i] = [2]int32{end - c, end}
			sp.pairs += int(c)
		}
	}
	for _, id := range bs {
		d.count[id], d.end[id] = 0, 0
	}
	sp.cost = sp.pairs*(bits.Len(uint(min(a1-a0, b1-b0)))+1) + (a1 - a0) + (b1 - b0)
	return sp
}

// hunt emits the blocks of a longest common subsequence of a[a0:] and b[b0:], within the runs
// whose matching pairs sp lists, found by the Hunt–Szymanski algorithm in O((n + r) log n) time and
// O(n + r) space for r matching pairs.
func (d *differ) hunt(a0, b0 int, sp *sparse) {
	type node struct{ i, j, prev int32 }
	var nodes []node
	var thresh []int32 // thresh[k]: the least j that ends a common subsequence of length k+1
	var link []int32   // link[k]: the node of that subsequence's last pair
	for i, g := range sp.groups {
		for k := g[1] - 1; k >= g[0]; k-- { // j in descending order, so one i is used once
			j := sp.pos[k]
			t, found := slices.BinarySearch(thresh, j)
			if found {
				continue
			}
			prev := int32(-1)
			if t > 0 {
				prev = link[t-1]
			}
			nodes = append(nodes, node{int32(a0 + i), j, prev})
			if t == len(thresh) {
				thresh, link = append(thresh, j), append(link, int32(len(nodes)-1))
			} else {
				thresh[t], link[t] = j, int32(len(nodes)-1)
			}
		}
	}
	a1, b1 := a0+len(sp.groups), b0+len(sp.pos)
	pairs := make([]node, len(link))
	if len(link) > 0 {
		for k, p := len(link)-1, link[len(link)-1]; p >= 0; k, p = k-1, nodes[p].prev {
			pairs[k] = nodes[p]
		}
	}
	for _, p := range pairs {
		i, j := int(p.i), int(p.j)
		d.emit(false, a0, i, b0, j)
		d.emit(true, i, i+1, j, j+1)
		a0, b0 = i+1, j+1
	}
	d.emit(false, a0, a1, b0, b1)
}

// anchor splits a[a0:a1] against b[b0:b1] at the longest sequence of tokens that occur exactly once
// in each, in the same order (as patience diff does), and diffs the runs between them. It reports
// false, having emitted nothing, if there are no such tokens or the work allowed for splitting is
// spent.
func (d *differ) anchor(a0, a1, b0, b1 int) bool {
	n, m := a1-a0, b1-b0
	if d.coarse < n+m {
		d.coarse = 0
		return false
	}
	d.coarse -= n + m
	type count struct{ na, nb, ib int32 }
	counts := make(map[int32]count, min(n, m))
	for _, id := range d.a[a0:a1] {
		c := counts[id]
		c.na = min(c.na+1, 2)
		counts[id] = c
	}
	for j, id := range d.b[b0:b1] {
		if c, ok := counts[id]; ok {
			c.nb = min(c.nb+1, 2)
			c.ib = int32(b0 + j)
			counts[id] = c
		}
	}
	type pair struct{ a, b, prev int }
	var pairs []pair
	var tails []int // tails[k]: index in pairs of the smallest b that ends an increasing run of k+1
	for i := a0; i < a1; i++ {
		c := counts[d.a[i]]
		if c.na != 1 || c.nb != 1 {
			continue
		}
		p := pair{a: i, b: int(c.ib), prev: -1}
		k := sort.Search(len(tails), func(k int) bool { return pairs[tails[k]].b >= p.b })
		if k > 0 {
			p.prev = tails[k-1]
		}
		pairs = append(pairs, p)
		if k == len(tails) {
			tails = append(tails, len(pairs)-1)
		} else {
			tails[k] = len(pairs) - 1
		}
	}
	if len(tails) == 0 {
		return false
	}
	anchors := make([]pair, len(tails))
	for i, k := len(tails)-1, tails[len(tails)-1]; i >= 0; i, k = i-1, pairs[k].prev {
		anchors[i] = pairs[k]
	}
	for _, p := range anchors {
		d.diff(a0, p.a, b0, p.b)
		d.emit(true, p.a, p.a+1, p.b, p.b+1)
		a0, b0 = p.a+1, p.b+1
	}
	d.diff(a0, a1, b0, b1)
	return true
}

// cleanupSemantic folds each run of equal tokens that is shorter than what is deleted and what is
// inserted on both sides of it into one change, so that a replaced passage is not cut up by the few
// words (“the”, “,”) it happens to share with its replacement. Text kept between pure insertions or
// deletions (a quotation inside a longer text) is never folded. blocks must alternate between equal
// runs and changes.
func cleanupSemantic(blocks []block) []block {
	out := make([]block, 0, len(blocks))
	size := func(c block) int { return min(c.a1-c.a0, c.b1-c.b0) }
	for _, bl := range blocks {
		out = append(out, bl)
		for n := len(out); n >= 3; n = len(out) {
			c1, e, c2 := out[n-3], out[n-2], out[n-1]
			if c1.eq || !e.eq || c2.eq || e.a1-e.a0 >= min(size(c1), size(c2)) {
				break
			}
			out = append(out[:n-3], block{a0: c1.a0, a1: c2.a1, b0: c1.b0, b1: c2.b1})
		}
	}
	return out
}

// slide moves each pure insertion or deletion that could equally sit a few tokens earlier or later
// (as in "a b b c" against "a b c") to the place where it best starts and ends a sentence or line.
// It may leave empty equal runs; compact removes them.
func slide(blocks []block, a, b string, wa, wb []Word, ia, ib []int32) {
	for i := 1; i+1 < len(blocks); i++ {
		prev, c, next := &blocks[i-1], &blocks[i], &blocks[i+1]
		if c.eq || !prev.eq || !next.eq {
			continue
		}
		var shift int
		switch {
		case c.b0 == c.b1:
			shift = bestShift(a, wa, ia, c.a0, c.a1, prev.a0, next.a1)
		case c.a0 == c.a1:
			shift = bestShift(b, wb, ib, c.b0, c.b1, prev.b0, next.b1)
		}
		// Moving the change moves the ends of the equal runs beside it, on both sides.
		prev.a1, prev.b1 = prev.a1+shift, prev.b1+shift
		c.a0, c.a1, c.b0, c.b1 = c.a0+shift, c.a1+shift, c.b0+shift, c.b1+shift
		next.a0, next.b0 = next.a0+shift, next.b0+shift
	}
}

// bestShift returns by how many tokens to move the change of tokens [s0, s1) of text, which may move
// within [lo, hi) as far as the tokens it passes equal the ones it leaves.
func bestShift(text string, words []Word, ids []int32, s0, s1, lo, hi int) int {
	left := 0
	for left < maxSlide && s0-left > lo && ids[s0-left-1] == ids[s1-left-1] {
		left++
	}
	right := 0
	for right < maxSlide && s1+right < hi && ids[s0+right] == ids[s1+right] {
		right++
	}
	best, bestScore := 0, -1
	for shift := -left; shift <= right && left+right > 0; shift++ {
		if score := boundaryScore(text, words, s0+shift) + boundaryScore(text, words, s1+shift); score > bestScore {
			best, bestScore = shift, score
		}
	}
	return best
}

// boundaryScore rates the boundary before token t of text as a place for a change to start or end:
// the start or end of the text is best, then a paragraph break, a line break, the end of a sentence,
// any space, and no space at all.
func boundaryScore(text string, words []Word, t int) int {
	if t == 0 || t == len(words) {
		return 6
	}
	gap := text[words[t-1].End:words[t].Start]
	switch {
	case strings.Count(gap, "\n") >= 2:
		return 5
	case strings.Contains(gap, "\n"):
		return 4
	case strings.IndexFunc(gap, unicode.IsSpace) < 0:
		return 0
	}
	switch words[t-1].Norm {
	case ".", "...", "!", "?", ":", ";":
		return 3
	}
	return 2
}

// compact removes empty blocks and merges the neighbours that then meet.
func compact(blocks []block) []block {
	out := blocks[:0]
	for _, bl := range blocks {
		if bl.a0 == bl.a1 && bl.b0 == bl.b1 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].eq == bl.eq {
			out[n-1].a1, out[n-1].b1 = bl.a1, bl.b1
			continue
		}
		out = append(out, bl)
	}
	return out
}

// toEdits turns blocks into edits holding the texts of a and b.
func toEdits(a, b string, wa, wb []Word, blocks []block) []Edit {
	if len(blocks) == 0 {
		if a == "" && b == "" {
			return nil
		}
		return []Edit{{Op: Equal, A: a, B: b}}
	}
	edits := make([]Edit, 0, len(blocks)*3/2+1)
	if (len(wa) == 0 && a != "") || (len(wb) == 0 && b != "") {
		// A text of only white space has no token to carry it.
		e := Edit{Op: Equal}
		if len(wa) == 0 {
			e.A = a
		}
		if len(wb) == 0 {
			e.B = b
		}
		edits = append(edits, e)
	}
	ta := sideTexts(a, wa, blocks, func(bl block) (int, int) { return bl.a0, bl.a1 })
	tb := sideTexts(b, wb, blocks, func(bl block) (int, int) { return bl.b0, bl.b1 })
	for i, bl := range blocks {
		switch {
		case bl.eq:
			edits = append(edits, Edit{Op: Equal, A: ta[i], B: tb[i]})
		default:
			if bl.a0 < bl.a1 {
				edits = append(edits, Edit{Op: Delete, A: ta[i]})
			}
			if bl.b0 < bl.b1 {
				edits = append(edits, Edit{Op: Insert, B: tb[i]})
			}
		}
	}
	return edits
}

// sideTexts returns, for each block, the text of one side that it holds (the side's token range
// given by tokens): its tokens and the text between them, the text before the first token and
// after the last, and the white space next to a change on the side of the equal run beside it.
func sideTexts(text string, words []Word, blocks []block, tokens func(block) (int, int)) []string {
	texts := make([]string, len(blocks))
	last, start := -1, 0
	for i, bl := range blocks {
		t0, t1 := tokens(bl)
		if t0 == t1 {
			continue
		}
		if last >= 0 {
			cut := words[t0-1].End
			if blocks[last].eq {
				cut = words[t0].Start
			}
			texts[last] = text[start:cut]
			start = cut
		}
		last = i
	}
	if last >= 0 {
		texts[last] = text[start:]
	}
	return texts
}
