package report

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/verbatim-archive/verbatim/verify"
)

// RenderOptions tune the Markdown and HTML of a report.
type RenderOptions struct {
	// BaseURL is the archive's public URL (server.public_url). With it,
	// posts, captures and checks link to the archive's pages and the
	// report to its HTML there; without it, posts link to the platform
	// and checked articles to themselves.
	BaseURL string
}

func (o RenderOptions) base() string { return strings.TrimRight(o.BaseURL, "/") }

// postLink is where a post's id links to.
func (o RenderOptions) postLink(id, platformURL string) string {
	if b := o.base(); b != "" {
		return b + "/posts/" + url.PathEscape(id)
	}
	return platformURL
}

func (o RenderOptions) captureLink(id int64) string {
	if b := o.base(); b != "" {
		return fmt.Sprintf("%s/captures/%d", b, id)
	}
	return ""
}

func (o RenderOptions) articleLink(id int64, articleURL string) string {
	if b := o.base(); b != "" {
		return fmt.Sprintf("%s/articles/%d", b, id)
	}
	return articleURL
}

// ReportURL is where the report's HTML is served ("" without a BaseURL).
func (o RenderOptions) ReportURL(name string) string {
	if b := o.base(); b != "" {
		return b + "/reports/" + name + ExtHTML
	}
	return ""
}

const whenLayout = "2006-01-02 15:04 UTC"

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(whenLayout)
}

// Markdown renders the report for chat: CommonMark (with ~~strikethrough~~
// for words an edit removed), everything archived escaped, so that a post
// cannot add markup, links or mentions.
func (r *Report) Markdown(opt RenderOptions) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	state := "OK"
	if !r.OK {
		state = "PROBLEMS"
	}
	p("# Verbatim integrity report · %s\n\n", state)
	p("**%s → %s** · log `%s`", when(r.From), when(r.To), mdCode(r.Origin))
	if u := opt.ReportURL(r.Name); u != "" {
		p(" · [full report](%s)", mdURL(u))
	}
	p("\n\n%s\n", mdEscape(strings.TrimPrefix(r.Headline(), "Integrity report "+r.To.UTC().Format(whenLayout)+": ")))
	if len(r.Problems) > 0 {
		p("\n**Problems**\n\n")
		for _, s := range r.Problems {
			p("- %s\n", mdEscape(s))
		}
	}

	p("\n## Audit\n\n")
	a := r.Audit
	if a.OK {
		p("OK: ")
	} else {
		p("**%s:** ", plural(len(a.Findings), "finding"))
	}
	p("%s re-hashed (%.1f MB), a log of %s rebuilt (root `%s`), %s checked.\n",
		plural(a.BlobsChecked, "blob"), float64(a.BytesChecked)/1e6, leaves(a.Leaves), mdCode(shortHash(a.Root)), plural(a.Checkpoints, "checkpoint"))
	for _, f := range a.Findings {
		p("- **%s** `%s`: %s\n", mdEscape(f.Kind), mdCode(f.Ref), mdEscape(f.Detail))
	}

	p("\n## Checkpoint\n\n")
	c := r.Checkpoint
	if c.Note == "" {
		p("None.\n")
	} else {
		fresh := "the latest, unchanged"
		if c.New {
			fresh = "new"
		}
		p("%s, root `%s` (%s, signed %s).", leaves(c.Size), mdCode(shortHash(c.Root)), fresh, when(c.CreatedAt))
		switch {
		case c.Previous == nil:
			p(" The first report: there is no earlier checkpoint to be consistent with.")
		case c.Verified && c.Consistency != nil:
			p(" Consistent with the previous report's (%s, %s): a proof of %d hashes, checked with the public key.",
				mdEscape(c.Previous.Report), leaves(c.Previous.Size), len(c.Consistency.ConsistencyProof))
		default:
			p(" **Not shown consistent** with the previous report's (%s, %s).", mdEscape(c.Previous.Report), leaves(c.Previous.Size))
		}
		if ts := c.Timestamp; ts != nil {
			p(" Timestamped by %s at %s (RFC 3161).", mdEscape(ts.TSA), ts.Time.UTC().Format(time.RFC3339))
		} else if c.TimestampError != "" {
			p(" Not timestamped: %s.", mdEscape(oneLine(c.TimestampError)))
		}
		p("\n\n```text\n%s```\n", strings.ReplaceAll(c.Note, "```", "'''"))
	}

	p("\n## Captures by account\n\n")
	if len(r.Accounts) == 0 {
		p("None.\n")
	}
	for _, ac := range r.Accounts {
		p("- %s: %s, %s", accountName(ac.Handle), plural(ac.NewPosts, "new post"), plural(ac.Captures, "capture"))
		if kinds := byKind(ac.ByKind); kinds != "" {
			p(" (%s)", kinds)
		}
		p("\n")
	}

	p("\n## Edits (%d)%s\n\n", r.Summary.Edits, showing(len(r.Edits), r.Summary.Edits))
	if len(r.Edits) == 0 {
		p("None.\n")
	}
	for _, e := range r.Edits {
		p("- %s, post [%s](%s), noticed %s:\n", handle(e.Handle), mdEscape(e.PostID), mdURL(opt.postLink(e.PostID, e.URL)), when(e.At))
		p("%s", mdQuote(mdDiff(verify.DiffWords(e.Before, e.After))))
	}

	p("\n## Deletions (%d)%s\n\n", r.Summary.Deletions, showing(len(r.Deletions), r.Summary.Deletions))
	if len(r.Deletions) == 0 {
		p("None.\n")
	}
	for _, d := range r.Deletions {
		p("- **%s** %s, post [%s](%s) of %s, noticed %s", mdEscape(d.Kind), handle(d.Handle), mdEscape(d.PostID),
			mdURL(opt.postLink(d.PostID, d.URL)), when(d.CreatedAt), when(d.At))
		if d.Detail != "" {
			p(" (%s)", mdEscape(oneLine(d.Detail)))
		}
		p(":\n%s", mdQuote(mdEscape(d.Text)))
	}

	n := r.Summary.FailedCaptures + r.Summary.DegradedCapture
	p("\n## Failed and degraded captures (%d)%s\n\n", n, showing(len(r.FailedCaptures), n))
	if len(r.FailedCaptures) == 0 {
		p("None.\n")
	}
	for _, f := range r.FailedCaptures {
		what := f.Kind
		if f.Format != "" {
			what += " (" + f.Format + ")"
		}
		id := fmt.Sprintf("#%d", f.ID)
		if u := opt.captureLink(f.ID); u != "" {
			id = fmt.Sprintf("[#%d](%s)", f.ID, mdURL(u))
		}
		p("- **%s** %s %s", mdEscape(f.Verdict), mdEscape(what), id)
		if f.Handle != "" {
			p(" of %s", handle(f.Handle))
		}
		p(", %s: `%s`", when(f.At), mdCode(f.Target))
		if f.Detail != "" {
			p(": %s", mdEscape(oneLine(f.Detail)))
		}
		p("\n")
	}

	if r.Summary.FailedJobs > 0 {
		p("\n## Failed jobs (%d)%s\n\n", r.Summary.FailedJobs, showing(len(r.FailedJobs), r.Summary.FailedJobs))
		for _, j := range r.FailedJobs {
			p("- **%s** run %d, %s: %s\n", mdEscape(j.Job), j.ID, when(j.Started), mdEscape(oneLine(j.Error)))
		}
	}

	p("\n## Articles checked (%d) · %s\n\n", r.Summary.ArticlesChecked, plural(r.Summary.Misquotes, "misquote"))
	if len(r.Articles) == 0 {
		p("None.\n")
	}
	for _, ar := range r.Articles {
		title := ar.Title
		if title == "" {
			title = ar.URL
		}
		p("- [%s](%s), checked %s: %s", mdEscape(title), mdURL(opt.articleLink(ar.ID, ar.URL)), when(ar.CheckedAt), plural(ar.Embeds, "post"))
		if v := byKind(ar.Verdicts); v != "" {
			p(" (%s)", v)
		}
		p("\n")
		for _, m := range ar.Misquotes {
			p("  - **%s** %s of %s", mdEscape(m.Verdict), mdEscape(m.Kind), handle(m.Handle))
			if m.PostID != "" {
				p(", post %s", mdEscape(m.PostID))
			}
			switch {
			case m.Diff != "":
				p(":\n%s", indent(mdQuote(mdDiff(parseTextDiff(m.Diff))), "  "))
			case m.Reason != "":
				p(": %s\n", mdEscape(oneLine(m.Reason)))
			default:
				p("\n")
			}
		}
	}
	return b.String()
}

// showing notes a list cut at the limit.
func showing(shown, total int) string {
	if shown < total {
		return fmt.Sprintf(", the first %d", shown)
	}
	return ""
}

func accountName(h string) string {
	if h == "" {
		return "other (imports, lookups, articles, URLs)"
	}
	return handle(h)
}

func handle(h string) string {
	if h == "" {
		return "an unknown account"
	}
	return "@" + mdEscape(h)
}

// byKind writes counts as "api 1, snapshot 2", by name, for Markdown.
func byKind(m map[string]int) string { return kinds(m, mdEscape) }

// kinds writes counts as "api 1, snapshot 2", by name, each name escaped.
func kinds(m map[string]int, esc func(string) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", esc(k), m[k])
	}
	return strings.Join(parts, ", ")
}

func leaves(n uint64) string {
	if n == 1 {
		return "1 leaf"
	}
	return fmt.Sprintf("%d leaves", n)
}

func shortHash(h string) string { return h[:min(len(h), 16)] }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// mdEscaper escapes what Markdown (and Slack) would read as markup:
// HTML's and Slack's control characters as entities, Markdown's
// punctuation with a backslash.
var mdEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "~", `\~`, "|", `\|`)

// lineMark and lineNumber match what makes a line a heading, a list item
// or a setext underline.
var (
	lineMark   = regexp.MustCompile(`(?m)^(\s*)([#+=-])`)
	lineNumber = regexp.MustCompile(`(?m)^(\s*\d+)([.)])`)
)

// mdEscape escapes archived text for Markdown: no markup, links,
// mentions, headings or lists survive.
func mdEscape(s string) string {
	s = lineMark.ReplaceAllString(mdEscaper.Replace(s), `$1\$2`)
	return lineNumber.ReplaceAllString(s, `$1\$2`)
}

// mdCode makes s safe inside a `code span`: backticks would end it, and
// Slack reads <, > and & even there.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "&", "&amp;", "<", "&lt;", ">", "&gt;", "\n", " ").Replace(s)
}

// mdURL makes a URL safe as a Markdown link destination.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "`", "%60", "\n", "").Replace(u)
}

// mdQuote indents Markdown as a block quote inside a list item.
func mdQuote(md string) string {
	md = strings.TrimRight(md, "\n")
	if md == "" {
		return "  > (no text)\n"
	}
	var b strings.Builder
	for _, line := range strings.Split(md, "\n") {
		b.WriteString("  > ")
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

// mdDiff renders a word diff: removed words ~~struck through~~, added ones
// in **bold**, every piece escaped. Markers wrap each line of a change
// without the white space at its ends, as Markdown needs.
func mdDiff(edits []verify.Edit) string {
	var b strings.Builder
	mark := func(s, m string) {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				b.WriteString("\n")
			}
			core := strings.TrimSpace(line)
			if core == "" {
				b.WriteString(line)
				continue
			}
			lead := line[:strings.Index(line, core)]
			trail := line[len(lead)+len(core):]
			b.WriteString(lead + m + mdEscaper.Replace(core) + m + trail)
		}
	}
	for i, e := range edits {
		switch e.Op {
		case verify.Equal:
			// As verify.RenderText: next to a deletion, the white space
			// is the first text's, so that words do not run together.
			lead, core, trail := splitSpace(e.B)
			if i > 0 && edits[i-1].Op == verify.Delete {
				lead, _, _ = splitSpace(e.A)
			}
			if i+1 < len(edits) && edits[i+1].Op == verify.Delete {
				_, _, trail = splitSpace(e.A)
			}
			b.WriteString(mdEscape(lead + core + trail))
		case verify.Delete:
			mark(e.A, "~~")
		case verify.Insert:
			mark(e.B, "**")
		}
	}
	return b.String()
}

// splitSpace splits s into its leading white space, the rest, and its
// trailing white space; a string of white space is all leading.
func splitSpace(s string) (lead, core, trail string) {
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	lead = s[:len(s)-len(rest)]
	core = strings.TrimRightFunc(rest, unicode.IsSpace)
	return lead, core, rest[len(core):]
}

// parseTextDiff reads a diff in verify.RenderText's form ([-removed-] and
// {+added+}); text it cannot read is kept as unchanged text.
func parseTextDiff(diff string) []verify.Edit {
	var out []verify.Edit
	for diff != "" {
		di, ii := strings.Index(diff, "[-"), strings.Index(diff, "{+")
		next := di
		if next < 0 || (ii >= 0 && ii < next) {
			next = ii
		}
		if next < 0 {
			out = append(out, verify.Edit{Op: verify.Equal, A: diff, B: diff})
			break
		}
		closer, op := "-]", verify.Delete
		if next == ii {
			closer, op = "+}", verify.Insert
		}
		end := strings.Index(diff[next+2:], closer)
		if end < 0 {
			out = append(out, verify.Edit{Op: verify.Equal, A: diff, B: diff})
			break
		}
		if next > 0 {
			out = append(out, verify.Edit{Op: verify.Equal, A: diff[:next], B: diff[:next]})
		}
		piece := diff[next+2 : next+2+end]
		if op == verify.Delete {
			out = append(out, verify.Edit{Op: op, A: piece})
		} else {
			out = append(out, verify.Edit{Op: op, B: piece})
		}
		diff = diff[next+2+end+2:]
	}
	return out
}
