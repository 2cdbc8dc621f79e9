package compare

import (
	"sort"
	"strings"

	"github.com/verbatim-archive/verbatim/verify"
)

// minLineTokens is the fewest tokens a single line of an Ignore text must have to be removed
// wherever it occurs; shorter lines are removed only where they make up a whole paragraph.
const minLineTokens = 3

// sep separates token norms in the strings searched for ignored texts. Normalize removes control
// characters, so no token holds it.
const sep = "\x00"

// dropIgnored returns paras with every occurrence of the ignored texts removed. Texts are
// matched token by token on their normalised form (see verify.Words), across paragraph
// boundaries, so an embed flattened into several paragraphs is found whole. Each line of an
// ignored text is also removed on its own, so that an embed whose attribution line was moved
// into the middle of it is still found (short lines only where they are a whole paragraph).
// What is left of a paragraph keeps its own text; the white space at a cut becomes one space.
func dropIgnored(paras []string, ignore []string) []string {
	if len(ignore) == 0 {
		return paras
	}
	var anywhere [][]string
	whole := map[string]bool{}
	for _, s := range ignore {
		all := norms(s)
		if len(all) > 0 {
			anywhere = append(anywhere, all)
		}
		for _, line := range strings.Split(s, "\n") {
			toks := norms(line)
			switch {
			case len(toks) == 0 || len(toks) == len(all):
			case len(toks) >= minLineTokens:
				anywhere = append(anywhere, toks)
			default:
				whole[strings.Join(toks, sep)] = true
			}
		}
	}
	if len(anywhere) == 0 && len(whole) == 0 {
		return paras
	}
	sort.SliceStable(anywhere, func(i, j int) bool { return len(anywhere[i]) > len(anywhere[j]) })

	// The tokens of all paragraphs, and their norms joined by sep with sep at both ends.
	words := make([][]verify.Word, len(paras))
	var starts []int // offset in joined of each token
	var sb strings.Builder
	sb.WriteString(sep)
	for p, text := range paras {
		words[p] = verify.Words(text)
		for _, w := range words[p] {
			starts = append(starts, sb.Len())
			sb.WriteString(w.Norm)
			sb.WriteString(sep)
		}
	}
	joined := sb.String()
	removed := make([]bool, len(starts))
	found := false
	for _, pat := range anywhere {
		needle := sep + strings.Join(pat, sep) + sep
		for from := 0; from < len(joined); {
			k := strings.Index(joined[from:], needle)
			if k < 0 {
				break
			}
			at := from + k + len(sep)
			t := sort.SearchInts(starts, at)
			for i := t; i < t+len(pat) && i < len(removed); i++ {
				removed[i] = true
			}
			found = true
			from = at + len(needle) - 2*len(sep)
		}
	}
	if !found && len(whole) == 0 {
		return paras
	}

	out := make([]string, len(paras))
	t := 0
	for p, ws := range words {
		flags := removed[t : t+len(ws)]
		t += len(ws)
		if len(whole) > 0 && len(ws) > 0 && len(ws) < minLineTokens {
			toks := make([]string, len(ws))
			for i, w := range ws {
				toks[i] = w.Norm
			}
			if whole[strings.Join(toks, sep)] {
				out[p] = ""
				continue
			}
		}
		out[p] = keep(paras[p], ws, flags)
	}
	return out
}

// keep returns text without the tokens marked in removed, the kept runs joined by a space.
func keep(text string, ws []verify.Word, removed []bool) string {
	cut := false
	for _, r := range removed {
		cut = cut || r
	}
	if !cut {
		return text
	}
	var runs []string
	for i := 0; i < len(ws); {
		if removed[i] {
			i++
			continue
		}
		j := i
		for j+1 < len(ws) && !removed[j+1] {
			j++
		}
		runs = append(runs, text[ws[i].Start:ws[j].End])
		i = j + 1
	}
	return strings.Join(runs, " ")
}

// norms returns the normalised tokens of s.
func norms(s string) []string {
	ws := verify.Words(s)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Norm
	}
	return out
}
