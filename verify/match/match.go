package match

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/verify"
	"github.com/verbatim-archive/verbatim/verify/embeds"
)

// Verdicts, in the order of priority in which Judge picks Result.Verdict when several apply (see
// Verdicts). Exact, Normalized, Linked, Altered, Truncated and Reordered say how the text compares,
// and exactly one of them applies to an embed matched with an archived post; the others are added
// to it.
const (
	// WrongAuthor: the text matches an archived post, but the embed or quotation gives another
	// author (its handle differs from the post's, ignoring case).
	WrongAuthor = "wrong-author"
	// Altered: the text differs in words (or the case of letters) from the archived post;
	// Result.Diff shows how.
	Altered = "altered"
	// Truncated: the embed shows only part of the archived post, perhaps marked with "…", or a
	// quotation leaves out words in the middle ("a […] b").
	Truncated = "truncated"
	// Reordered: the text has the archived post's words, each as often, in another order.
	Reordered = "reordered"
	// WrongDate: the embed's date is more than a day from the date of the archived version
	// (in UTC), or, where the archive knows no date, from the date in the post's id.
	WrongDate = "wrong-date"
	// Edited: the text matches an earlier version of the archived post, not its newest one; for an
	// embed without text, the id it gives is that of an earlier version.
	Edited = "edited"
	// Deleted: the archived post was deleted at the source since (Candidate.Status).
	Deleted = "deleted"
	// Normalized: the text is the archived post's (or, for a quotation, a contiguous part of it)
	// but for typography (quotation marks, dashes, ellipses, ligatures), white space, invisible
	// characters, HTML entities in the archived text, the form of links, or links at the end of
	// the post and reply @handles at its start that the embed leaves out.
	Normalized = "normalized"
	// Exact: the text is the archived post's, byte for byte once surrounding white space is
	// trimmed; for a quotation, a part of the post, byte for byte.
	Exact = "exact"
	// Linked: the archive holds the post, but the article shows only a link to it or its id (an
	// iframe the widget script rendered), so there is no text to compare.
	Linked = "linked"
	// NotArchived: no candidate has the id the embed gives, and none is similar enough.
	NotArchived = "not-archived"
)

// Verdicts returns all verdicts in the order of priority in which Judge picks Result.Verdict when
// several apply. NotArchived never applies together with another.
func Verdicts() []string {
	return []string{WrongAuthor, Altered, Truncated, Reordered, WrongDate, Edited, Deleted, Normalized, Exact, Linked, NotArchived}
}

// priority returns the place of v in Verdicts, or -1.
func priority(v string) int {
	switch v {
	case WrongAuthor:
		return 0
	case Altered:
		return 1
	case Truncated:
		return 2
	case Reordered:
		return 3
	case WrongDate:
		return 4
	case Edited:
		return 5
	case Deleted:
		return 6
	case Normalized:
		return 7
	case Exact:
		return 8
	case Linked:
		return 9
	case NotArchived:
		return 10
	}
	return -1
}

// IsMisquote reports whether verdict says the article misrepresents the post: Altered, Truncated,
// Reordered, WrongAuthor or WrongDate. Edited and Deleted are facts about the post, not the article.
func IsMisquote(verdict string) bool {
	switch verdict {
	case Altered, Truncated, Reordered, WrongAuthor, WrongDate:
		return true
	}
	return false
}

// Ways a Candidate was found (Candidate.By). Judge prefers candidates with the embed's id, then
// those with its media links, whatever By says; By breaks ties of similarity, in this order.
const (
	ByID         = "id"
	ByMedia      = "media"
	ByHandleDate = "handle-date"
	ByText       = "text"
)

// MinSimilarity is the least similarity (verify.Similarity, or for a quotation that of the part
// of the post it aligns with) of a candidate that has neither the embed's id nor one of its media
// links; below it the embed is NotArchived.
const MinSimilarity = 0.5

// Version is one archived version of a post.
type Version struct {
	ID        string    `json:"id"`
	Seq       int       `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	// Text is the text as archived; HTML entities in it ("&amp;") are decoded before comparing.
	Text string `json:"text"`
}

// Candidate is an archived post that may be the one an embed shows.
type Candidate struct {
	// PostID is the id of the post's first version, which identifies it.
	PostID     string    `json:"post_id"`
	Handle     string    `json:"handle"`
	AuthorName string    `json:"author_name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// Status is archive.StatusLive, StatusEdited, StatusDeleted or StatusUnavailable.
	Status string `json:"status"`
	// StatusAt is when Status was first noticed, or zero if unknown.
	StatusAt time.Time `json:"status_at,omitzero"`
	// Versions are the post's versions, oldest first; the last is the newest known. A candidate
	// without versions can only match an embed without text.
	Versions []Version `json:"versions"`
	// By tells how the caller found the candidate: ByID, ByMedia, ByHandleDate or ByText.
	By string `json:"by,omitempty"`
}

// Result is the verdict on one embed.
type Result struct {
	// Verdict is the first of Findings.
	Verdict string `json:"verdict"`
	// Findings are all verdicts that apply, in the order of Verdicts: at most one of Exact,
	// Normalized, Linked, Altered, Truncated and Reordered, and any of WrongAuthor, WrongDate,
	// Edited and Deleted; or only NotArchived.
	Findings []string `json:"findings"`
	// Candidate is the archived post the embed shows, or nil if NotArchived. It is a copy.
	Candidate *Candidate `json:"candidate,omitempty"`
	// Version is the candidate's version the embed's text matches best (for an embed without
	// text, the one with its id), or nil. It is a copy.
	Version *Version `json:"version,omitempty"`
	// Diff is the word diff of the version's text against the embed's, unless the verdict is
	// Exact or there is no text: with HTML entities decoded, links the two share written as the
	// embed writes them, and the trailing links and leading reply @handles that do not count left
	// out. For a quotation it covers only the part of the post the quotation aligns with, and the
	// quotation without the ellipses that open or close it. Words that differ only in case are
	// shown as changed.
	Diff []verify.Edit `json:"diff,omitempty"`
	// Similarity is the similarity of the texts compared (see MinSimilarity), 1 for Exact, and 0
	// if there was no text; for NotArchived, that of the closest candidate.
	Similarity float64 `json:"similarity"`
	// Reason is one sentence that explains Verdict.
	Reason string `json:"reason"`
}

// Judge decides the verdict on the embed e given the archived posts that may be the one it shows.
//
// It picks a candidate, and a version of it, in this order: a candidate whose PostID or a
// version's ID is e.PostID; else one that has a media link of the embed (e.MediaSlugs) in its text;
// else the one most similar to the embed's text, if at least MinSimilarity. Among the versions of
// the chosen candidates the most similar wins. Ties go to the version with the embed's id; within
// a candidate, then to the newer version; across candidates, to one whose handle is the embed's,
// then by By (ByID first), then to the earlier one. An embed without text (an iframe or a link)
// matches only by id.
//
// The text of e is compared with the chosen version's (see the verdicts); a quotation
// (embeds.KindQuote) is compared with the part of the post it aligns with, so that quoting part of
// a post is not Truncated.
func Judge(e embeds.Embed, cands []Candidate) Result {
	j := newJudge(e)
	if j.textless {
		return j.judgeLink(cands)
	}
	versions := j.archive(cands)
	in, pool := j.pool(cands, versions)
	best := j.pick(cands, versions, in)
	if best == nil {
		return notArchived(0, j, cands)
	}
	if pool == poolAll && best.sim < MinSimilarity {
		return notArchived(best.sim, j, cands)
	}
	return j.result(cands, best)
}

// judge holds the embed being judged, prepared for comparing.
type judge struct {
	e        embeds.Embed
	quote    bool
	textless bool
	// text is the embed's text; for a quotation, without the ellipses at its ends and the
	// full stop, comma, colon or semicolon at its end, which follow the article's punctuation.
	text   string
	toks   []tok     // tokens of text
	segs   []segment // of toks, between elisions
	hidden []string
	handle string // the embed's handle without "@", or ""
	// For the bound on similarity: the embed's non-link tokens by norm, its tokens as verify counts
	// them, and those of its links (an ellipsis cutting one short is a token of its own there).
	bag          map[string]int
	nTok, nLinks int
	leadHandle   bool // the text starts with an @handle
	slugs        map[string]bool
}

func newJudge(e embeds.Embed) *judge {
	j := &judge{e: e, quote: e.Kind == embeds.KindQuote, handle: cleanHandle(e.Handle)}
	j.text = strings.TrimSpace(e.Text)
	j.toks = tokens(j.text)
	if j.quote && len(j.toks) > 0 {
		lo, hi := quoteCore(j.toks)
		if lo < hi {
			j.text = j.text[j.toks[lo].start:j.toks[hi-1].end]
			j.toks = tokens(j.text)
		} else {
			j.toks = nil
		}
	}
	j.segs = segments(j.toks)
	if j.quote && len(j.segs) > 0 {
		j.segs[0].foldFirst = true
	}
	j.textless = len(j.toks) == 0
	if j.textless {
		return j
	}
	j.bag = make(map[string]int, len(j.toks))
	inText := map[string]bool{}
	for _, t := range j.toks {
		n := 1
		if t.cut {
			n = 2
		}
		j.nTok += n
		if t.kind == kindURL {
			j.nLinks += n
			inText[t.norm] = true
			continue
		}
		j.bag[t.norm]++
	}
	j.leadHandle = j.toks[0].kind == kindHandle
	// Links whose address the text does not show: behind a display URL, most likely.
	for _, l := range e.Links {
		k := linkKey(l)
		if !inText[k] && !slices.Contains(j.hidden, k) {
			j.hidden = append(j.hidden, k)
		}
	}
	if len(e.MediaSlugs) > 0 {
		j.slugs = make(map[string]bool, len(e.MediaSlugs))
		for _, s := range e.MediaSlugs {
			j.slugs["t.co/"+s] = true
		}
	}
	return j
}

// quoteCore returns the tokens of a quotation without the ellipses that open or close it and the
// punctuation that ends it.
func quoteCore(toks []tok) (lo, hi int) {
	lo, hi = 0, len(toks)
	for lo < hi {
		w := elisionAt(toks[:hi], lo)
		if w == 0 {
			break
		}
		lo += w
	}
	for hi > lo {
		switch w := elisionBefore(toks[lo:hi]); {
		case w > 0:
			hi -= w
		case toks[hi-1].kind == kindPunct && strings.Contains(".,;:", toks[hi-1].norm) && len(toks[hi-1].norm) == 1:
			hi--
		default:
			return lo, hi
		}
	}
	return lo, hi
}

// elisionBefore returns the number of tokens of the elision that ends toks, or 0.
func elisionBefore(toks []tok) int {
	for k := 1; k <= 3 && k <= len(toks); k++ {
		if elisionAt(toks, len(toks)-k) == k {
			return k
		}
	}
	return 0
}

// cleanHandle returns h without white space and "@"; "i" (as in x.com/i/status/ID) is no handle.
func cleanHandle(h string) string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "@")
	if strings.EqualFold(h, "i") {
		return ""
	}
	return h
}

// archived is one version of a candidate, prepared for comparing.
type archived struct {
	ci, vi int
	text   string // with HTML entities decoded
	toks   []tok
}

// archive prepares the versions of all candidates, in order.
func (j *judge) archive(cands []Candidate) []archived {
	var out []archived
	for ci := range cands {
		for vi, v := range cands[ci].Versions {
			text := decodeEntities(v.Text)
			out = append(out, archived{ci: ci, vi: vi, text: text, toks: tokens(text)})
		}
	}
	return out
}

// Pools of candidates Judge chooses from.
const (
	poolID    = iota // candidates with the embed's id
	poolMedia        // candidates with one of its media links
	poolAll          // all candidates
)

// pool returns the candidates to choose from, by index: those with the embed's id if any, else
// those with one of its media links if any, else all; and which of these it is.
func (j *judge) pool(cands []Candidate, versions []archived) ([]bool, int) {
	in := make([]bool, len(cands))
	for _, a := range versions {
		in[a.ci] = in[a.ci] || j.hasID(&cands[a.ci])
	}
	if slices.Contains(in, true) {
		return in, poolID
	}
	for _, a := range versions {
		in[a.ci] = in[a.ci] || j.hasSlug(a)
	}
	if slices.Contains(in, true) {
		return in, poolMedia
	}
	for i := range in {
		in[i] = true
	}
	return in, poolAll
}

// hasID reports whether c is the post with the embed's id, or has a version with it.
func (j *judge) hasID(c *Candidate) bool {
	if j.e.PostID == "" {
		return false
	}
	if c.PostID == j.e.PostID {
		return true
	}
	for _, v := range c.Versions {
		if v.ID == j.e.PostID {
			return true
		}
	}
	return false
}

// hasSlug reports whether the text of a has one of the embed's media links.
func (j *judge) hasSlug(a archived) bool {
	for _, t := range a.toks {
		if t.kind == kindURL && j.slugs[t.norm] {
			return true
		}
	}
	return false
}

// scored is a version compared with the embed.
type scored struct {
	a   archived
	p   prepared
	sim float64
	// For a quotation: the tokens of p it aligns with, and whether they are the quotation's
	// (between its elisions), not merely similar.
	lo, hi int
	found  bool
}

// pick returns the best version of the candidates in the pool, or nil if there is none. Versions
// are compared in the order of an upper bound on their similarity, so that only a few of many
// unrelated candidates are diffed.
func (j *judge) pick(cands []Candidate, versions []archived, in []bool) *scored {
	type bounded struct {
		a  archived
		ub float64
	}
	var todo []bounded
	for _, a := range versions {
		if in[a.ci] {
			todo = append(todo, bounded{a, j.bound(a)})
		}
	}
	slices.SortStableFunc(todo, func(x, y bounded) int { return cmp.Compare(y.ub, x.ub) })
	var best *scored
	for _, b := range todo {
		if best != nil && b.ub+1e-9 < best.sim {
			break
		}
		s := j.score(b.a)
		if best == nil || j.better(cands, s, best) {
			best = s
		}
	}
	return best
}

// better reports whether x beats y: see Judge.
func (j *judge) better(cands []Candidate, x, y *scored) bool {
	const eps = 1e-9
	if x.sim > y.sim+eps || x.sim < y.sim-eps {
		return x.sim > y.sim
	}
	cx, cy := &cands[x.a.ci], &cands[y.a.ci]
	vx, vy := cx.Versions[x.a.vi], cy.Versions[y.a.vi]
	if ix, iy := j.e.PostID != "" && vx.ID == j.e.PostID, j.e.PostID != "" && vy.ID == j.e.PostID; ix != iy {
		return ix
	}
	if x.a.ci != y.a.ci {
		if hx, hy := j.sameHandle(cx), j.sameHandle(cy); hx != hy {
			return hx
		}
		if bx, by := byRank(cx.By), byRank(cy.By); bx != by {
			return bx < by
		}
		return x.a.ci < y.a.ci
	}
	return x.a.vi > y.a.vi
}

func (j *judge) sameHandle(c *Candidate) bool {
	return j.handle != "" && strings.EqualFold(j.handle, cleanHandle(c.Handle))
}

func byRank(by string) int {
	switch by {
	case ByID:
		return 0
	case ByMedia:
		return 1
	case ByHandleDate:
		return 2
	case ByText:
		return 3
	}
	return 4
}

// bound returns an upper bound on the similarity score would find for a, from the tokens the two
// texts share regardless of order.
func (j *judge) bound(a archived) float64 {
	common, nonLink, lead := 0, 0, 0
	used := make(map[string]int, len(j.bag))
	leading := !j.quote && !j.leadHandle
	for _, t := range a.toks {
		if t.kind == kindURL {
			leading = false
			continue
		}
		if leading && t.kind == kindHandle {
			lead++
		} else {
			leading = false
		}
		nonLink++
		if used[t.norm] < j.bag[t.norm] {
			used[t.norm]++
			common++
		}
	}
	shared := common + j.nLinks
	if j.quote {
		c := float64(min(shared, j.nTok))
		return 2 * c / (c + float64(j.nTok))
	}
	den := nonLink - lead + j.nTok
	if den <= 0 {
		return 1
	}
	return min(1, 2*float64(shared)/float64(den))
}

// result builds the result for the chosen version.
func (j *judge) result(cands []Candidate, s *scored) Result {
	c := cands[s.a.ci]
	c.Versions = slices.Clone(c.Versions)
	v := c.Versions[s.a.vi]
	m := j.compare(s, v.Text)
	r := Result{Candidate: &c, Version: &v, Similarity: m.sim, Diff: m.diff}
	if m.verdict == Exact {
		r.Similarity, r.Diff = 1, nil
	}
	findings := []string{m.verdict}
	if j.handle != "" && cleanHandle(c.Handle) != "" && !j.sameHandle(&c) {
		findings = append(findings, WrongAuthor)
	}
	if j.wrongDate(&c, &v) {
		findings = append(findings, WrongDate)
	}
	if s.a.vi < len(c.Versions)-1 {
		findings = append(findings, Edited)
	}
	if c.Status == archive.StatusDeleted {
		findings = append(findings, Deleted)
	}
	r.Findings = sortFindings(findings)
	r.Verdict = r.Findings[0]
	r.Reason = j.reason(r, m)
	return r
}

// judgeLink judges an embed without text, by its id alone.
func (j *judge) judgeLink(cands []Candidate) Result {
	for ci := range cands {
		c := cands[ci]
		if !j.hasID(&c) {
			continue
		}
		c.Versions = slices.Clone(c.Versions)
		r := Result{Candidate: &c}
		findings := []string{Linked}
		vi := slices.IndexFunc(c.Versions, func(v Version) bool { return v.ID == j.e.PostID })
		if vi >= 0 {
			v := c.Versions[vi]
			r.Version = &v
			if vi < len(c.Versions)-1 {
				findings = append(findings, Edited)
			}
		}
		if j.handle != "" && cleanHandle(c.Handle) != "" && !j.sameHandle(&c) {
			findings = append(findings, WrongAuthor)
		}
		if j.wrongDate(&c, r.Version) {
			findings = append(findings, WrongDate)
		}
		if c.Status == archive.StatusDeleted {
			findings = append(findings, Deleted)
		}
		r.Findings = sortFindings(findings)
		r.Verdict = r.Findings[0]
		r.Reason = j.reason(r, match{verdict: Linked})
		return r
	}
	return notArchived(0, j, cands)
}

// wrongDate reports whether the embed's date is more than a day from the version's (or else the
// post's) date in UTC; where the archive knows neither and c is the post with the embed's id, it
// goes by e.DateMismatch, which compares with the date in the id.
func (j *judge) wrongDate(c *Candidate, v *Version) bool {
	claimed := j.e.ClaimedDate
	if claimed.IsZero() {
		return false
	}
	at := c.CreatedAt
	if v != nil && !v.CreatedAt.IsZero() {
		at = v.CreatedAt
	}
	if at.IsZero() {
		return j.e.DateMismatch && j.hasID(c)
	}
	at = at.UTC()
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	claimed = claimed.UTC()
	claimedDay := time.Date(claimed.Year(), claimed.Month(), claimed.Day(), 0, 0, 0, 0, time.UTC)
	d := claimedDay.Sub(day)
	return d > 24*time.Hour || d < -24*time.Hour
}

// sortFindings sorts findings in the order of Verdicts.
func sortFindings(findings []string) []string {
	slices.SortFunc(findings, func(a, b string) int { return cmp.Compare(priority(a), priority(b)) })
	return slices.Compact(findings)
}

// notArchived returns the result for an embed no candidate matches.
func notArchived(sim float64, j *judge, cands []Candidate) Result {
	r := Result{Verdict: NotArchived, Findings: []string{NotArchived}, Similarity: sim}
	r.Reason = j.reason(r, match{verdict: NotArchived, sim: sim, candidates: len(cands)})
	return r
}
