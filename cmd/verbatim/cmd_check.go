package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/verify"
	"github.com/verbatim-archive/verbatim/verify/extract"
	"github.com/verbatim-archive/verbatim/verify/match"
)

// loadPage reads an article from a file, or captures it with the browser
// (recorded in the archive like any capture) when arg is a URL. st may be
// nil for files.
func (a *app) loadPage(ctx context.Context, st *store, arg string) (check.Page, error) {
	if !isURL(arg) {
		f, err := os.Open(arg)
		if err != nil {
			return check.Page{}, fmt.Errorf("read %s: %w", arg, unwrapPath(err))
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, int64(extract.DefaultMaxBytes)+1))
		if err != nil {
			return check.Page{}, fmt.Errorf("read %s: %w", arg, err)
		}
		if len(b) > extract.DefaultMaxBytes {
			return check.Page{}, fmt.Errorf("%s is over %d MiB, more than any article: not checked", arg, extract.DefaultMaxBytes>>20)
		}
		return check.Page{HTML: b, URL: arg}, nil
	}
	guard := &netguard.Guard{AllowPrivate: a.cfg.Browser.AllowPrivateURLs}
	if err := guard.Check(ctx, arg); err != nil {
		return check.Page{}, usagef("%v", err)
	}
	if st == nil {
		return check.Page{}, errors.New("capturing a URL needs the archive")
	}
	pool, err := a.browserPool(ctx, false)
	if err != nil {
		return check.Page{}, err
	}
	defer pool.Close()
	res, err := a.snapshotter(st, pool).Snapshot(ctx, snapshot.Target{URL: arg, Kind: "article"})
	if err != nil {
		return check.Page{}, err
	}
	return snapshotPage(ctx, st, arg, res)
}

func runExtract(ctx context.Context, a *app, args []string) error {
	fs := a.flags("extract", "FILE|URL")
	format := formatFlag(fs, "text", "json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: verbatim extract FILE|URL")
	}
	if err := a.setup(); err != nil {
		return err
	}
	var st *store
	if isURL(pos[0]) {
		if st, err = a.openStore(ctx); err != nil {
			return err
		}
		defer st.Close()
	}
	p, err := a.loadPage(ctx, st, pos[0])
	if err != nil {
		return err
	}
	art, err := extract.Extract(p.HTML, p.URL, extract.Options{ContentType: p.ContentType})
	if err != nil && !errors.Is(err, extract.ErrNoArticle) {
		return err
	}
	published := ""
	if !art.Published.IsZero() {
		published = art.Published.UTC().Format(time.RFC3339)
	}
	if *format == "json" {
		if err2 := writeJSON(a.stdout, map[string]string{"title": art.Title, "byline": art.Byline, "published": published, "text": art.Text()}); err2 != nil {
			return err2
		}
	} else {
		fmt.Fprintf(a.stdout, "%s\n", art.Title)
		if art.Byline != "" || published != "" {
			fmt.Fprintf(a.stdout, "%s\n", strings.TrimSpace(art.Byline+"  "+published))
		}
		fmt.Fprintf(a.stdout, "\n%s\n", art.Text())
	}
	if err != nil {
		return &findingsError{fmt.Sprintf("%s: no article text found", pos[0])}
	}
	return nil
}

// checker builds the article checker: watched accounts from the
// configuration, the names prose uses for them from the archive.
func (a *app) checker(ctx context.Context, st *store) *check.Checker {
	c := &check.Checker{DB: st.db, PostURL: a.cfg.X.PostURL, Names: map[string][]string{}}
	for _, acc := range a.cfg.Accounts {
		c.Watched = append(c.Watched, acc.Handle)
		if s, err := st.db.AccountByHandle(ctx, acc.Platform, acc.Handle); err == nil && s.Account.Name != "" {
			c.Names[acc.Handle] = namesFor(s.Account.Name)
		}
	}
	return c
}

// namesFor returns the names prose may use for an account's display name:
// the name itself and its last word ("Vice President JD Vance": "Vance").
func namesFor(name string) []string {
	out := []string{name}
	f := strings.Fields(name)
	if len(f) < 2 {
		return out
	}
	if last := f[len(f)-1]; len(last) >= 4 && strings.ToUpper(last[:1]) == last[:1] {
		out = append(out, last)
	}
	return out
}

func runCheckArticle(ctx context.Context, a *app, args []string) error {
	fs := a.flags("check-article", "FILE|URL")
	format := formatFlag(fs, "text", "json", "html")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: verbatim check-article FILE|URL")
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := a.loadPage(ctx, st, pos[0])
	if err != nil {
		return err
	}
	c := a.checker(ctx, st)
	r, err := c.Check(ctx, p)
	if err != nil {
		return err
	}
	if err := c.Save(ctx, &r); err != nil {
		return err
	}
	switch *format {
	case "json":
		err = writeJSON(a.stdout, r)
	case "html":
		_, err = io.WriteString(a.stdout, reportHTML("Article check: "+firstNonEmpty(r.Title, r.URL), r, ""))
	default:
		printReport(a.stdout, r, isTerminal(a.stdout))
	}
	if err != nil {
		return err
	}
	if r.Misquotes > 0 {
		return &findingsError{fmt.Sprintf("%d of %d embedded or quoted posts are misquoted", r.Misquotes, len(r.Embeds))}
	}
	return nil
}

func runCompare(ctx context.Context, a *app, args []string) error {
	fs := a.flags("compare", "ORIGINAL REPUBLISHED")
	format := formatFlag(fs, "text", "json", "html")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: verbatim compare ORIGINAL REPUBLISHED (files or URLs)")
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	orig, err := a.loadPage(ctx, st, pos[0])
	if err != nil {
		return err
	}
	repub, err := a.loadPage(ctx, st, pos[1])
	if err != nil {
		return err
	}
	c := a.checker(ctx, st)
	cmp, err := c.Compare(ctx, orig, repub)
	if err != nil {
		return err
	}
	for _, r := range []*check.Report{&cmp.Original, &cmp.Republished} {
		if err := c.Save(ctx, r); err != nil {
			return err
		}
	}
	switch *format {
	case "json":
		err = writeJSON(a.stdout, cmp)
	case "html":
		page := cmp.Result.HTML("Comparison: " + firstNonEmpty(cmp.Republished.Title, pos[1]))
		section := reportHTML("", cmp.Republished, "embeds")
		_, err = io.WriteString(a.stdout, strings.Replace(page, "</body>", section+"</body>", 1))
	default:
		printComparison(a.stdout, cmp, isTerminal(a.stdout))
	}
	if err != nil {
		return err
	}
	var found []string
	if cmp.Altered {
		found = append(found, fmt.Sprintf("the republished text alters the original (%d changes, similarity %.2f)",
			cmp.Counts["added"]+cmp.Counts["removed"]+cmp.Counts["altered"], cmp.Similarity))
	}
	if cmp.Misquotes > 0 {
		found = append(found, fmt.Sprintf("%d of %d embedded or quoted posts are misquoted", cmp.Misquotes, len(cmp.Embeds)))
	}
	if len(found) > 0 {
		return &findingsError{strings.Join(found, "; ")}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

// ANSI colours for verdicts on a terminal.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	reset  = "\x1b[0m"
)

func colourVerdict(v string, colour bool) string {
	if !colour {
		return v
	}
	switch {
	case match.IsMisquote(v):
		return red + v + reset
	case v == match.Exact || v == match.Normalized || v == match.Linked:
		return green + v + reset
	}
	return yellow + v + reset
}

func printReport(w io.Writer, r check.Report, colour bool) {
	fmt.Fprintf(w, "%s\n", firstNonEmpty(r.Title, r.URL))
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	printEmbeds(w, r.Embeds, colour)
	fmt.Fprintf(w, "%d embedded or quoted posts, %d misquoted", len(r.Embeds), r.Misquotes)
	if r.ArticleID != 0 {
		fmt.Fprintf(w, " (recorded as article #%d)", r.ArticleID)
	}
	fmt.Fprintln(w)
}

func printEmbeds(w io.Writer, es []check.Embed, colour bool) {
	for i, e := range es {
		who := "@" + e.Handle
		if e.Handle == "" {
			who = "(unknown author)"
		}
		fmt.Fprintf(w, "%2d. %-12s %s %s", i+1, colourVerdict(e.Verdict, colour), e.Kind, who)
		if e.ClaimedDate != "" {
			fmt.Fprintf(w, " %s", e.ClaimedDate)
		}
		if e.Repeat {
			fmt.Fprint(w, " (again)")
		}
		fmt.Fprintln(w)
		if e.Text != "" {
			fmt.Fprintf(w, "    article:  %s\n", oneLine(e.Text))
		}
		if e.Archived != nil {
			fmt.Fprintf(w, "    archived: %s  %s (%s)\n", oneLine(e.Archived.Text), e.Archived.URL, e.Archived.Status)
		}
		if e.Diff != "" {
			fmt.Fprintf(w, "    diff:     %s\n", oneLine(e.Diff))
		}
		if len(e.Findings) > 1 {
			fmt.Fprintf(w, "    findings: %s\n", strings.Join(e.Findings, ", "))
		}
		fmt.Fprintf(w, "    %s\n", e.Reason)
	}
}

func printComparison(w io.Writer, cmp check.Comparison, colour bool) {
	fmt.Fprint(w, cmp.Result.Text())
	for _, n := range cmp.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(cmp.Embeds) > 0 {
		fmt.Fprintf(w, "\nEmbedded and quoted posts in the republished article, against the archive:\n")
		printEmbeds(w, cmp.Embeds, colour)
	}
}

// reportHTML renders a check as a self-contained page (title given) or as
// a section to put in another page (title empty, id the section's id).
// Every piece of text is escaped.
func reportHTML(title string, r check.Report, id string) string {
	var sb strings.Builder
	if title != "" {
		t := html.EscapeString(title)
		sb.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + t + "</title>\n<style>\n" + reportStyle +
			"\n</style>\n</head>\n<body>\n<h1>" + t + "</h1>\n")
		fmt.Fprintf(&sb, "<p class=\"summary\">%d embedded or quoted posts, %d misquoted. Source: %s</p>\n",
			len(r.Embeds), r.Misquotes, html.EscapeString(r.URL))
	} else {
		sb.WriteString("<style>\n" + reportStyle + "\n</style>\n")
	}
	fmt.Fprintf(&sb, "<section id=\"%s\">\n<h2>Embedded and quoted posts</h2>\n", html.EscapeString(firstNonEmpty(id, "embeds")))
	for _, n := range r.Notes {
		fmt.Fprintf(&sb, "<p class=\"note\">%s</p>\n", html.EscapeString(n))
	}
	for i, e := range r.Embeds {
		cls := "ok"
		if match.IsMisquote(e.Verdict) {
			cls = "bad"
		} else if e.Verdict != match.Exact && e.Verdict != match.Normalized && e.Verdict != match.Linked {
			cls = "warn"
		}
		fmt.Fprintf(&sb, "<div class=\"embed %s\"><h3>%d. <span class=\"verdict\">%s</span> %s @%s %s</h3>\n", cls, i+1,
			html.EscapeString(e.Verdict), html.EscapeString(e.Kind), html.EscapeString(e.Handle), html.EscapeString(e.ClaimedDate))
		fmt.Fprintf(&sb, "<p class=\"reason\">%s</p>\n", html.EscapeString(e.Reason))
		if len(e.Edits) > 0 {
			fmt.Fprintf(&sb, "<p class=\"diff\" dir=\"auto\">%s</p>\n", verify.RenderHTML(e.Edits))
		} else if e.Text != "" {
			fmt.Fprintf(&sb, "<p class=\"text\" dir=\"auto\">%s</p>\n", html.EscapeString(e.Text))
		}
		if e.Archived != nil {
			fmt.Fprintf(&sb, "<p class=\"archived\">Archived: <a href=\"%s\">%s</a> (%s, %s)</p>\n", html.EscapeString(e.Archived.URL),
				html.EscapeString(e.Archived.URL), html.EscapeString(e.Archived.Status), e.Archived.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		sb.WriteString("</div>\n")
	}
	sb.WriteString("</section>\n")
	if title != "" {
		sb.WriteString("</body>\n</html>\n")
	}
	return sb.String()
}

const reportStyle = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
.embed{border-left:4px solid #999;padding:.25rem 1rem;margin:1rem 0;background:#fafafa}
.embed.ok{border-color:#2a7}.embed.warn{border-color:#d90}.embed.bad{border-color:#c33}
.embed h3{font-size:1rem;margin:.25rem 0}.verdict{font-weight:bold}
.diff,.text{white-space:pre-wrap}del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.note{color:#a60}`
