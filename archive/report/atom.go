package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// Atom returns the Atom feed of reports (newest first, as Dir.List gives
// them): one entry per report, titled with its headline, linking to its
// HTML and JSON under base (the archive's URL, no trailing slash). The
// feed's own URL is base + "/reports.atom". updated is the feed's time
// when it lists no report.
func Atom(reports []*Report, base, origin string, updated time.Time) (string, error) {
	base = strings.TrimRight(base, "/")
	self := base + "/reports.atom"
	for _, r := range reports {
		if r.GeneratedAt.After(updated) || updated.IsZero() {
			updated = r.GeneratedAt
		}
	}
	title := "Verbatim integrity reports"
	if origin != "" {
		title += " · " + origin
	}
	f := &feeds.AtomFeed{
		Xmlns:    "http://www.w3.org/2005/Atom",
		Title:    title,
		Id:       self,
		Updated:  updated.UTC().Format(time.RFC3339),
		Subtitle: "What the archive captured and noticed, its audit, and its signed checkpoint with a consistency proof from the report before.",
		Link:     &feeds.AtomLink{Href: self, Rel: "self", Type: "application/atom+xml"},
		Author:   &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: "Verbatim"}},
	}
	for _, r := range reports {
		page := base + "/reports/" + r.Name + ExtHTML
		f.Entries = append(f.Entries, &feeds.AtomEntry{
			Title:   r.Headline(),
			Id:      page,
			Updated: r.GeneratedAt.UTC().Format(time.RFC3339),
			Links: []feeds.AtomLink{
				{Href: page, Rel: "alternate", Type: "text/html"},
				{Href: base + "/reports/" + r.Name + ExtJSON, Rel: "alternate", Type: "application/json"},
			},
			Summary: &feeds.AtomSummary{Type: "text", Content: r.summaryText()},
		})
	}
	return feeds.ToXML(f)
}

// summaryText is the report's problems, audit and checkpoint in a few
// plain sentences.
func (r *Report) summaryText() string {
	var parts []string
	if r.OK {
		parts = append(parts, "OK.")
	} else {
		parts = append(parts, "Problems: "+strings.Join(r.Problems, "; ")+".")
	}
	a := r.Audit
	parts = append(parts, fmt.Sprintf("%s re-hashed, a log of %s rebuilt, %s.",
		plural(a.BlobsChecked, "blob"), leaves(a.Leaves), plural(len(a.Findings), "finding")))
	if c := r.Checkpoint; c.Note != "" {
		s := fmt.Sprintf("Checkpoint: %s, root %s", leaves(c.Size), c.Root)
		if c.Previous != nil && c.Verified {
			s += ", consistent with report " + c.Previous.Report + "'s"
		}
		parts = append(parts, s+".")
	}
	return strings.Join(parts, " ")
}
