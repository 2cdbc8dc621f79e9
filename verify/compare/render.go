package compare

import (
	"fmt"
	"html"
	"sort"
	"strconv"
	"strings"

	"github.com/verbatim-archive/verbatim/verify"
)

// Text returns the result as plain text: a summary line, then one block per change with its kind
// and paragraph numbers (counted from 1), the original text ("- "), the republished text ("+ ")
// and, where there is one, the word diff ("~ ", as verify.RenderText shows it).
func (r Result) Text() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "similarity %.4f; altered %t; %s\n", r.Similarity, r.Altered, r.summary())
	for _, c := range r.Changes {
		fmt.Fprintf(&sb, "\n%s %s → %s\n", c.Kind, paraNumber(c.OriginalIndex), paraNumber(c.RepublishedIndex))
		if c.Original != "" {
			sb.WriteString(prefixLines("- ", c.Original))
		}
		if c.Republished != "" {
			sb.WriteString(prefixLines("+ ", c.Republished))
		}
		if c.Diff != nil {
			sb.WriteString(prefixLines("~ ", verify.RenderText(c.Diff)))
		}
	}
	return sb.String()
}

// summary returns the counts as "2 changes: 1 added, 1 altered".
func (r Result) summary() string {
	if len(r.Changes) == 0 {
		return "no changes"
	}
	kinds := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = strconv.Itoa(r.Counts[k]) + " " + k
	}
	noun := "changes"
	if len(r.Changes) == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d %s: %s", len(r.Changes), noun, strings.Join(parts, ", "))
}

func paraNumber(i int) string {
	if i < 0 {
		return "-"
	}
	return "¶" + strconv.Itoa(i+1)
}

func prefixLines(prefix, s string) string {
	var sb strings.Builder
	for _, line := range strings.Split(s, "\n") {
		sb.WriteString(prefix)
		sb.WriteString(line)
		sb.WriteByte('\n')
	}
	return sb.String()
}

const pageStyle = `body{font:15px/1.45 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.3em}
p.summary{color:#444}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #ddd;padding:.4em .6em;vertical-align:top;text-align:start}
th{background:#f4f4f4}
col.kind{width:7.5em}
td.text{white-space:pre-wrap;overflow-wrap:anywhere}
td.kind{font-size:.85em;color:#555}
.n{display:block;font-size:.8em;color:#777}
tr.added td.republished,tr.changed ins,tr.moved ins{background:#e6ffec}
tr.removed td.original,tr.changed del,tr.moved del{background:#ffebe9}
tr.moved td.text{background:#fff8c5}
tr.typographic td.kind,tr.split td.kind,tr.merged td.kind{color:#0969da}
tr.ignored td{color:#888}
del{text-decoration:line-through;background:#ffcecb}
ins{text-decoration:none;background:#abf2bc}
ul.moves{margin:0;padding-inline-start:1.1em;font-size:.85em}`

// HTML returns the result as a self-contained HTML page (inline CSS, no scripts, all text
// escaped): a summary, then a side-by-side table with the original on the left and the
// republished article on the right, one row per Row. Rows with changes show the word diff:
// deleted words in <del> on the left, inserted words in <ins> on the right (verify.RenderHTML).
// Text cells have dir="auto", so right-to-left paragraphs read right.
func (r Result) HTML(title string) string {
	var sb strings.Builder
	t := html.EscapeString(title)
	sb.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>")
	sb.WriteString(t)
	sb.WriteString("</title>\n<style>\n" + pageStyle + "\n</style>\n</head>\n<body>\n<h1>")
	sb.WriteString(t)
	fmt.Fprintf(&sb, "</h1>\n<p class=\"summary\">Similarity %.1f%%. Content altered: %s. %s.</p>\n",
		100*r.Similarity, yesNo(r.Altered), html.EscapeString(r.summary()))
	sb.WriteString("<table>\n<colgroup><col class=\"kind\"><col><col></colgroup>\n" +
		"<thead><tr><th></th><th>Original</th><th>Republished</th></tr></thead>\n<tbody>\n")

	// Changes by row, to list moves and the like beside the row.
	notes := map[int][]string{}
	for _, c := range r.Changes {
		if c.Kind != KindMoved {
			continue
		}
		note := fmt.Sprintf("moved %s → %s", paraNumber(c.OriginalIndex), paraNumber(c.RepublishedIndex))
		for x, row := range r.Rows {
			if contains(row.Original, c.OriginalIndex) || contains(row.Republished, c.RepublishedIndex) {
				notes[x] = append(notes[x], note)
			}
		}
	}
	for x, row := range r.Rows {
		left, right := html.EscapeString(row.OriginalText), html.EscapeString(row.RepublishedText)
		if row.Diff != nil {
			left, right = sides(row.Diff)
		}
		fmt.Fprintf(&sb, "<tr class=\"%s\"><td class=\"kind\">%s", html.EscapeString(row.Kind), html.EscapeString(row.Kind))
		if len(notes[x]) > 0 {
			sb.WriteString("<ul class=\"moves\">")
			for _, n := range notes[x] {
				sb.WriteString("<li>" + html.EscapeString(n) + "</li>")
			}
			sb.WriteString("</ul>")
		}
		sb.WriteString("</td>")
		cell(&sb, "original", row.Original, left)
		cell(&sb, "republished", row.Republished, right)
		sb.WriteString("</tr>\n")
	}
	sb.WriteString("</tbody>\n</table>\n</body>\n</html>\n")
	return sb.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// cell writes a text cell: the paragraph numbers, then the (escaped) content.
func cell(sb *strings.Builder, class string, paras []int, content string) {
	fmt.Fprintf(sb, "<td class=\"text %s\" dir=\"auto\">", class)
	if len(paras) > 0 {
		n := paraNumber(paras[0])
		if len(paras) > 1 {
			n += "–" + strconv.Itoa(paras[len(paras)-1]+1)
		}
		sb.WriteString("<span class=\"n\">" + n + "</span>")
	}
	sb.WriteString(content)
	sb.WriteString("</td>")
}

// sides renders a word diff as two escaped HTML fragments: the original with deletions in <del>,
// and the republished text with insertions in <ins>.
func sides(edits []verify.Edit) (left, right string) {
	l := make([]verify.Edit, 0, len(edits))
	r := make([]verify.Edit, 0, len(edits))
	for _, e := range edits {
		switch e.Op {
		case verify.Delete:
			l = append(l, e)
		case verify.Insert:
			r = append(r, e)
		default:
			l = append(l, verify.Edit{Op: verify.Equal, A: e.A, B: e.A})
			r = append(r, verify.Edit{Op: verify.Equal, A: e.B, B: e.B})
		}
	}
	return verify.RenderHTML(l), verify.RenderHTML(r)
}
