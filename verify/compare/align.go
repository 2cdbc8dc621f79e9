package compare

import (
	"sort"
)

// Limits that keep alignment fast on long or very different articles.
const (
	// maxExactCells is the largest product of two runs of sentences aligned exactly by dynamic
	// programming; longer runs are first split at sentences that occur once on each side.
	maxExactCells = 1 << 20
	// maxSimilarCells is the largest product of two unmatched runs whose sentences are all
	// compared with each other for similarity.
	maxSimilarCells = 1 << 16
	// maxMoveCells is the most pairs of leftover sentences compared to find moved and altered ones.
	maxMoveCells = 1 << 18
)

// lcs returns the pairs (i, j) of a longest common subsequence of a and b, in order. Runs whose
// product of lengths exceeds maxExactCells are split at keys that occur once in each run and are
// in order (as patience diff does); what cannot be split is left unmatched.
func lcs(a, b []string) [][2]int {
	var out [][2]int
	lcsInto(a, b, 0, 0, &out)
	sort.Slice(out, func(x, y int) bool { return out[x][0] < out[y][0] })
	return out
}

func lcsInto(a, b []string, ao, bo int, out *[][2]int) {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		*out = append(*out, [2]int{ao, bo})
		a, b, ao, bo = a[1:], b[1:], ao+1, bo+1
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		*out = append(*out, [2]int{ao + len(a) - 1, bo + len(b) - 1})
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) == 0 || len(b) == 0 {
		return
	}
	if len(a)*len(b) <= maxExactCells {
		lcsDP(a, b, ao, bo, out)
		return
	}
	anchors := uniqueAnchors(a, b)
	if len(anchors) == 0 {
		return
	}
	pa, pb := 0, 0
	for _, an := range anchors {
		lcsInto(a[pa:an[0]], b[pb:an[1]], ao+pa, bo+pb, out)
		*out = append(*out, [2]int{ao + an[0], bo + an[1]})
		pa, pb = an[0]+1, an[1]+1
	}
	lcsInto(a[pa:], b[pb:], ao+pa, bo+pb, out)
}

// lcsDP finds a longest common subsequence of a and b by dynamic programming.
func lcsDP(a, b []string, ao, bo int, out *[][2]int) {
	n, m := len(a), len(b)
	w := m + 1
	t := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case a[i] == b[j]:
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			case t[(i+1)*w+j] >= t[i*w+j+1]:
				t[i*w+j] = t[(i+1)*w+j]
			default:
				t[i*w+j] = t[i*w+j+1]
			}
		}
	}
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case a[i] == b[j]:
			*out = append(*out, [2]int{ao + i, bo + j})
			i++
			j++
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			i++
		default:
			j++
		}
	}
}

// uniqueAnchors returns the longest increasing run of pairs (i, j) with a[i] == b[j] where that
// key occurs exactly once in a and once in b.
func uniqueAnchors(a, b []string) [][2]int {
	type seen struct{ na, nb, i, j int }
	count := make(map[string]*seen, len(a))
	for i, k := range a {
		s := count[k]
		if s == nil {
			s = &seen{}
			count[k] = s
		}
		s.na++
		s.i = i
	}
	for j, k := range b {
		if s := count[k]; s != nil {
			s.nb++
			s.j = j
		}
	}
	var pairs [][2]int
	for i, k := range a {
		if s := count[k]; s.na == 1 && s.nb == 1 {
			pairs = append(pairs, [2]int{i, s.j})
		}
	}
	// Longest increasing subsequence of pairs by j (pairs are in order of i).
	var tails []int // index in pairs of the smallest tail of each length
	prev := make([]int, len(pairs))
	for x, p := range pairs {
		k := sort.Search(len(tails), func(y int) bool { return pairs[tails[y]][1] >= p[1] })
		if k > 0 {
			prev[x] = tails[k-1]
		} else {
			prev[x] = -1
		}
		if k == len(tails) {
			tails = append(tails, x)
		} else {
			tails[k] = x
		}
	}
	if len(tails) == 0 {
		return nil
	}
	out := make([][2]int, len(tails))
	for x, k := tails[len(tails)-1], len(tails)-1; x >= 0; x, k = prev[x], k-1 {
		out[k] = pairs[x]
	}
	return out
}

// alignSimilar returns the pairs (i, j), in order in both, that maximise the total of sim(i, j)
// over pairs, counting only pairs whose sim is positive (sim returns 0 for pairs that are not
// similar enough). n*m must be at most maxSimilarCells.
func alignSimilar(n, m int, sim func(i, j int) float64) [][2]int {
	w := m + 1
	t := make([]float64, (n+1)*w)
	s := make([]float64, n*m)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			best := max(t[(i+1)*w+j], t[i*w+j+1])
			if v := sim(i, j); v > 0 {
				s[i*m+j] = v
				best = max(best, t[(i+1)*w+j+1]+v)
			}
			t[i*w+j] = best
		}
	}
	var out [][2]int
	for i, j := 0, 0; i < n && j < m; {
		switch v := s[i*m+j]; {
		case v > 0 && t[i*w+j] == t[(i+1)*w+j+1]+v:
			out = append(out, [2]int{i, j})
			i++
			j++
		case t[i*w+j] == t[(i+1)*w+j]:
			i++
		default:
			j++
		}
	}
	return out
}
