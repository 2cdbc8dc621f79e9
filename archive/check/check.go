// Package check verifies articles against the archive: it finds the posts
// an article embeds or quotes (verify/embeds), looks each up in the archive
// (by status id, media slug, author and date, and text), judges it
// (verify/match), compares a republished article with its original
// (verify/compare), and records what it found so that the articles that
// quoted a post can be listed. The verify packages stay pure; the archive
// lookups and the recording are here.
package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/verify"
	"github.com/verbatim-archive/verbatim/verify/compare"
	"github.com/verbatim-archive/verbatim/verify/embeds"
	"github.com/verbatim-archive/verbatim/verify/extract"
	"github.com/verbatim-archive/verbatim/verify/match"
)

// Checker checks articles against one archive.
type Checker struct {
	DB *sqlite.DB
	// Watched are the handles whose quotations in prose are looked for;
	// Names the names prose uses for them ("VP": {"Vance", "JD Vance"}).
	Watched []string
	Names   map[string][]string
	// PostURL is the template of archived posts' URLs.
	PostURL string
}

// Archived is the archived post an embed was matched to.
type Archived struct {
	ID        string    `json:"id"`
	VersionID string    `json:"version_id"`
	Handle    string    `json:"handle"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
	Status    string    `json:"status"`
	URL       string    `json:"url"`
}

// Embed is one embedded, linked or quoted post and the verdict on it.
type Embed struct {
	Kind        string    `json:"kind"`
	Handle      string    `json:"handle"`
	PostID      string    `json:"post_id"`
	ClaimedDate string    `json:"claimed_date"` // YYYY-MM-DD as the article shows it, or ""
	Text        string    `json:"text"`
	Verdict     string    `json:"verdict"`
	Findings    []string  `json:"findings"`
	Reason      string    `json:"reason"`
	Similarity  float64   `json:"similarity"`
	Archived    *Archived `json:"archived"`
	// Diff is the word diff from the archived text to the article's, in
	// git's --word-diff=plain form; Edits the same as edits.
	Diff  string        `json:"diff,omitempty"`
	Edits []verify.Edit `json:"-"`
	// Repeat is set on the second and later showings of one post.
	Repeat bool `json:"repeat,omitempty"`

	ord int64
}

// Report is what an article check found.
type Report struct {
	URL       string  `json:"url"`
	Title     string  `json:"title"`
	Byline    string  `json:"byline"`
	Published string  `json:"published"`
	Text      string  `json:"text"`
	Embeds    []Embed `json:"embeds"`
	// Misquotes counts embeds whose verdict is a misquote (match.IsMisquote).
	Misquotes int `json:"misquotes"`
	// Notes say what limited the check: a page cut at the size cap, no
	// article body found.
	Notes     []string `json:"notes,omitempty"`
	ArticleID int64    `json:"article_id,omitempty"`
	CaptureID int64    `json:"capture_id,omitempty"`

	// embedTexts are the embeds' texts and attribution lines, left out
	// when the article's prose is compared with another's.
	embedTexts []string
}

// Page is an article page to check.
type Page struct {
	HTML        []byte
	URL         string // where it was found, or the file name
	ContentType string // as served, for its charset
	CaptureID   int64  // the browser capture it came from, if any
}

// Check extracts the article, finds its embeds and quotes, and judges each
// against the archive. It records nothing; Save does.
func (c *Checker) Check(ctx context.Context, p Page) (Report, error) {
	r := Report{URL: p.URL, CaptureID: p.CaptureID, Embeds: []Embed{}}
	art, err := extract.Extract(p.HTML, p.URL, extract.Options{ContentType: p.ContentType})
	switch {
	case errors.Is(err, extract.ErrTooLarge):
		return r, err
	case errors.Is(err, extract.ErrNoArticle):
		r.Notes = append(r.Notes, "no article body found: only embeds and quotes are checked")
	case err != nil:
		return r, err
	}
	r.Title, r.Byline, r.Text = art.Title, art.Byline, art.Text()
	if !art.Published.IsZero() {
		r.Published = art.Published.UTC().Format(time.RFC3339)
	}
	if len(p.HTML) > embeds.MaxInput {
		r.Notes = append(r.Notes, fmt.Sprintf("page is %d bytes: embeds were looked for in the first %d only", len(p.HTML), embeds.MaxInput))
	}
	found := embeds.NewFinder(embeds.Options{Watched: c.Watched, Names: c.Names}).Find(p.HTML)
	seen := make(map[string]bool)
	for _, e := range found {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		res, err := c.judge(ctx, e)
		if err != nil {
			return r, err
		}
		if e.Kind != embeds.KindQuote && e.Kind != embeds.KindLink {
			r.embedTexts = append(r.embedTexts, e.Text)
			if e.AuthorName != "" || e.Handle != "" {
				r.embedTexts = append(r.embedTexts, strings.TrimSpace("— "+e.AuthorName+" (@"+e.Handle+") "+e.ClaimedDateText))
			}
		}
		key := e.Key()
		res.Repeat = seen[key]
		seen[key] = true
		if match.IsMisquote(res.Verdict) {
			r.Misquotes++
		}
		r.Embeds = append(r.Embeds, res)
	}
	return r, nil
}

// judge gathers the candidates for one embed and judges it.
func (c *Checker) judge(ctx context.Context, e embeds.Embed) (Embed, error) {
	out := Embed{Kind: e.Kind, Handle: e.Handle, PostID: e.PostID, Text: e.Text}
	if !e.ClaimedDate.IsZero() {
		out.ClaimedDate = e.ClaimedDate.Format("2006-01-02")
	}
	cands, err := c.candidates(ctx, e)
	if err != nil {
		return out, fmt.Errorf("check %s embed: %w", e.Kind, err)
	}
	mc := make([]match.Candidate, len(cands))
	for i, p := range cands {
		mc[i] = toCandidate(p.post, p.by)
	}
	res := match.Judge(e, mc)
	out.Verdict, out.Findings, out.Reason, out.Similarity = res.Verdict, res.Findings, res.Reason, res.Similarity
	if res.Candidate != nil {
		i := slices.IndexFunc(mc, func(x match.Candidate) bool { return x.PostID == res.Candidate.PostID })
		p := cands[i].post
		a := &Archived{ID: p.ID, Handle: p.Handle, CreatedAt: p.CreatedAt, Status: p.Status, URL: p.URL}
		last := p.Versions[len(p.Versions)-1]
		a.VersionID, a.Text = last.ID, last.Text
		if res.Version != nil {
			a.VersionID, a.Text = res.Version.ID, res.Version.Text
		}
		out.Archived = a
		out.ord = p.Ord
	}
	if len(res.Diff) > 0 && res.Verdict != match.Exact && res.Verdict != match.Normalized {
		out.Edits = res.Diff
		out.Diff = verify.RenderText(res.Diff)
	}
	return out, nil
}

type candidate struct {
	post sqlite.MatchPost
	by   string
}

// candidates looks an embed up in the archive every way it can: by its
// status id, its media slugs, its author and claimed date, and its text.
func (c *Checker) candidates(ctx context.Context, e embeds.Embed) ([]candidate, error) {
	var out []candidate
	seen := make(map[int64]bool)
	add := func(by string, posts ...sqlite.MatchPost) {
		for _, p := range posts {
			if !seen[p.Ord] {
				seen[p.Ord] = true
				out = append(out, candidate{p, by})
			}
		}
	}
	if e.PostID != "" {
		got, err := c.DB.PostsByVersionIDs(ctx, []string{e.PostID}, c.PostURL)
		if err != nil {
			return nil, err
		}
		if p, ok := got[e.PostID]; ok {
			add(match.ByID, p)
		}
	}
	for _, slug := range e.MediaSlugs {
		posts, err := c.DB.PostsByMediaSlug(ctx, slug, 5, c.PostURL)
		if err != nil {
			return nil, err
		}
		add(match.ByMedia, posts...)
	}
	if e.Handle != "" && !e.ClaimedDate.IsZero() {
		// A day either way: the embed shows the date where it was read.
		day := e.ClaimedDate.UTC().Truncate(24 * time.Hour)
		posts, err := c.DB.PostsByAuthorBetween(ctx, e.Handle, day.AddDate(0, 0, -1), day.AddDate(0, 0, 2), 200, c.PostURL)
		if err != nil {
			return nil, err
		}
		add(match.ByHandleDate, posts...)
	}
	if strings.TrimSpace(e.Text) != "" && !slices.ContainsFunc(out, func(x candidate) bool { return x.by == match.ByID }) {
		hits, err := c.DB.FindQuote(ctx, match.FoldLinks(e.Text), 5, c.PostURL)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			add(match.ByText, h.Post)
		}
	}
	return out, nil
}

func toCandidate(p sqlite.MatchPost, by string) match.Candidate {
	c := match.Candidate{PostID: p.ID, Handle: p.Handle, AuthorName: p.AuthorName, CreatedAt: p.CreatedAt,
		Status: p.Status, StatusAt: p.StatusAt, By: by}
	for _, v := range p.Versions {
		c.Versions = append(c.Versions, match.Version{ID: v.ID, Seq: v.Seq, CreatedAt: v.CreatedAt, Text: v.Text})
	}
	return c
}

// Save records the checked article and links it to the archived posts it
// embeds or quotes, setting r.ArticleID.
func (c *Checker) Save(ctx context.Context, r *Report) error {
	result, err := json.Marshal(r)
	if err != nil {
		return err
	}
	a := sqlite.Article{URL: r.URL, Title: r.Title, Byline: r.Byline, Published: r.Published, Text: r.Text,
		CaptureID: r.CaptureID, Result: string(result)}
	for _, e := range r.Embeds {
		if e.ord != 0 {
			a.Links = append(a.Links, sqlite.ArticleLink{PostOrd: e.ord, Kind: e.Kind, Verdict: e.Verdict})
		}
	}
	id, err := c.DB.SaveArticle(ctx, a)
	if err != nil {
		return err
	}
	r.ArticleID = id
	return nil
}

// Comparison is a republished article compared with its original, and the
// republished article's embeds checked against the archive.
type Comparison struct {
	Original    Report         `json:"-"`
	Republished Report         `json:"-"`
	Similarity  float64        `json:"similarity"`
	Changes     []Change       `json:"changes"`
	Counts      map[string]int `json:"counts"`
	Altered     bool           `json:"altered"`
	Embeds      []Embed        `json:"embeds"`
	Misquotes   int            `json:"misquotes"`
	Notes       []string       `json:"notes,omitempty"`
	Result      compare.Result `json:"-"`
}

// Change is one difference between the original and the republished text.
type Change struct {
	Kind        string `json:"kind"`
	Original    string `json:"original"`
	Republished string `json:"republished"`
	Diff        string `json:"diff,omitempty"`
}

// Compare checks both pages and compares the republished article's text
// with the original's.
func (c *Checker) Compare(ctx context.Context, original, republished Page) (Comparison, error) {
	var cmp Comparison
	var err error
	if cmp.Original, err = c.Check(ctx, original); err != nil {
		return cmp, fmt.Errorf("original: %w", err)
	}
	if cmp.Republished, err = c.Check(ctx, republished); err != nil {
		return cmp, fmt.Errorf("republished: %w", err)
	}
	paras := func(r Report) []string {
		if r.Text == "" {
			return nil
		}
		return strings.Split(r.Text, "\n\n")
	}
	// The embeds are judged against the archive on their own; the
	// comparison is of the prose around them.
	ignore := append(slices.Clone(cmp.Original.embedTexts), cmp.Republished.embedTexts...)
	res := compare.Compare(paras(cmp.Original), paras(cmp.Republished), compare.Options{Ignore: ignore})
	cmp.Result = res
	cmp.Similarity, cmp.Counts, cmp.Altered = res.Similarity, res.Counts, res.Altered
	cmp.Changes = []Change{}
	for _, ch := range res.Changes {
		x := Change{Kind: ch.Kind, Original: ch.Original, Republished: ch.Republished}
		if len(ch.Diff) > 0 {
			x.Diff = verify.RenderText(ch.Diff)
		}
		cmp.Changes = append(cmp.Changes, x)
	}
	cmp.Embeds, cmp.Misquotes = cmp.Republished.Embeds, cmp.Republished.Misquotes
	for _, n := range cmp.Original.Notes {
		cmp.Notes = append(cmp.Notes, "original: "+n)
	}
	for _, n := range cmp.Republished.Notes {
		cmp.Notes = append(cmp.Notes, "republished: "+n)
	}
	return cmp, nil
}
