package match

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/verify"
	"github.com/verbatim-archive/verbatim/verify/embeds"
)

// The seed case: a post of @VP of 2026-02-10 as archived, with its media link.
const (
	seedID   = "2021234567890123456"
	seedText = "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n\n" +
		"The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 https://t.co/AEfulNuR0q"
	// seedEmbed is the seed post as embed code shows it.
	seedEmbed = "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n\n" +
		"The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 pic.twitter.com/AEfulNuR0q"
)

var seedDate = time.Date(2026, 2, 10, 14, 3, 0, 0, time.UTC)

// post returns a live candidate by handle with one version per text, a minute apart.
func post(id, handle string, texts ...string) Candidate {
	c := Candidate{PostID: id, Handle: handle, CreatedAt: seedDate, Status: "live", By: ByText}
	for i, t := range texts {
		vid := id
		if i > 0 {
			vid = id + "-" + string(rune('a'+i))
		}
		c.Versions = append(c.Versions, Version{ID: vid, Seq: i + 1, CreatedAt: seedDate.Add(time.Duration(i) * time.Minute), Text: t})
	}
	if len(texts) > 1 {
		c.Status = "edited"
	}
	return c
}

func seed() Candidate { return post(seedID, "VP", seedText) }

// blockquote returns an embed of text attributed to @handle on 2026-02-10.
func blockquote(handle, text string) embeds.Embed {
	return embeds.Embed{
		Kind: embeds.KindBlockquote, PostID: seedID, Handle: handle, AuthorName: "Vice President JD Vance",
		ClaimedDate: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), ClaimedDateText: "February 10, 2026", Text: text,
	}
}

// flattened returns an embed flattened to text, without an id.
func flattened(handle, text string) embeds.Embed {
	e := blockquote(handle, text)
	e.Kind, e.PostID = embeds.KindPlaintext, ""
	return e
}

func quote(handle, text string) embeds.Embed {
	return embeds.Embed{Kind: embeds.KindQuote, Handle: handle, AuthorName: "Vance", Text: text}
}

func withDate(e embeds.Embed, d time.Time) embeds.Embed {
	e.ClaimedDate, e.ClaimedDateText = d, d.Format("January 2, 2006")
	return e
}

func withLinks(e embeds.Embed, links ...string) embeds.Embed {
	e.Links = links
	return e
}

func deleted(c Candidate) Candidate {
	c.Status, c.StatusAt = "deleted", seedDate.Add(48*time.Hour)
	return c
}

const longPost = "Today I met with the President of Azerbaijan. We will never surrender to the forces of division, " +
	"and we will keep working for peace in the South Caucasus. Thank you, Baku!"

func TestJudge(t *testing.T) {
	tests := []struct {
		name     string
		e        embeds.Embed
		cands    []Candidate
		want     []string // findings; the verdict is the first
		diff     string   // a part of verify.RenderText(Diff), if given
		noDiff   string   // text RenderText(Diff) must not contain, if given
		postID   string   // the matched candidate, if given
		reason   string   // a part of Reason, if given
		minSim   float64
		maxSim   float64
		noResult bool // Candidate and Version must be nil
	}{
		{
			name:  "exact",
			e:     blockquote("VP", "The two signed a Charter on Strategic Partnership."),
			cands: []Candidate{post(seedID, "VP", "The two signed a Charter on Strategic Partnership.")},
			want:  []string{Exact}, minSim: 1, maxSim: 1, reason: "word for word",
		},
		{
			name:  "exact despite surrounding white space",
			e:     blockquote("vp", "The two signed a Charter."),
			cands: []Candidate{post(seedID, "VP", "  The two signed a Charter.\n")},
			want:  []string{Exact},
		},
		{
			name:  "pic.twitter.com against t.co",
			e:     blockquote("VP", seedEmbed),
			cands: []Candidate{seed()},
			want:  []string{Normalized}, minSim: 1, reason: "form of links",
		},
		{
			name:  "t.co without scheme, http, and a trailing slash",
			e:     blockquote("VP", "Watch t.co/AbC123 and http://example.com/a/"),
			cands: []Candidate{post(seedID, "VP", "Watch https://t.co/AbC123 and https://www.example.com/a")},
			want:  []string{Normalized},
		},
		{
			name:  "a t.co slug differing in case is another link",
			e:     blockquote("VP", "Watch t.co/abc123 today"),
			cands: []Candidate{post(seedID, "VP", "Watch https://t.co/AbC123 today")},
			want:  []string{Altered},
		},
		{
			name:  "trailing link left out",
			e:     blockquote("VP", "The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸"),
			cands: []Candidate{post(seedID, "VP", "The two signed a Charter on Strategic Partnership, held bilateral meetings, and delivered remarks 🇺🇸🇺🇸 https://t.co/AEfulNuR0q https://t.co/Quoted1")},
			want:  []string{Normalized},
		},
		{
			name:  "media link kept, quoted post's link left out",
			e:     blockquote("VP", "Great day in Baku pic.twitter.com/AEfulNuR0q"),
			cands: []Candidate{post(seedID, "VP", "Great day in Baku https://t.co/AEfulNuR0q https://t.co/Quoted1")},
			want:  []string{Normalized},
		},
		{
			name: "display URL with its t.co link in the link element",
			e: withLinks(blockquote("VP", "Read the fact sheet: whitehouse.gov/briefings-sta… pic.twitter.com/AEfulNuR0q"),
				"https://twitter.com/VP?ref_src=twsrc%5Etfw", "https://t.co/Fact5heet", "https://t.co/AEfulNuR0q"),
			cands: []Candidate{post(seedID, "VP", "Read the fact sheet: https://t.co/Fact5heet https://t.co/AEfulNuR0q")},
			want:  []string{Normalized},
		},
		{
			name:  "display URL against the expanded address",
			e:     blockquote("VP", "Read the fact sheet: whitehouse.gov/briefings-sta…"),
			cands: []Candidate{post(seedID, "VP", "Read the fact sheet: https://www.whitehouse.gov/briefings-statements/2026/02/fact-sheet/")},
			want:  []string{Normalized},
		},
		{
			name:  "&amp; in the archived text",
			e:     blockquote("VP", "Trade & security: <b>both</b> matter"),
			cands: []Candidate{post(seedID, "VP", "Trade &amp; security: &lt;b&gt;both&lt;/b&gt; matter")},
			want:  []string{Normalized},
		},
		{
			name:  "an ampersand without a semicolon is kept",
			e:     blockquote("VP", "AT&T and R&D"),
			cands: []Candidate{post(seedID, "VP", "AT&T and R&D")},
			want:  []string{Exact},
		},
		{
			name:  "curly against straight quotes, dashes and spaces",
			e:     blockquote("VP", "\"Vance's visit\" - a milestone...  really"),
			cands: []Candidate{post(seedID, "VP", "“Vance’s visit” — a milestone… really")},
			want:  []string{Normalized},
		},
		{
			name:  "zero-width and bidirectional marks",
			e:     blockquote("VP", "A his\u200Btoric day\u200E"),
			cands: []Candidate{post(seedID, "VP", "A historic day")},
			want:  []string{Normalized},
		},
		{
			name:  "one word changed",
			e:     blockquote("VP", "The two signed a Charter on Tactical Partnership, held bilateral meetings."),
			cands: []Candidate{post(seedID, "VP", "The two signed a Charter on Strategic Partnership, held bilateral meetings.")},
			want:  []string{Altered}, diff: "[-Strategic-]{+Tactical+}", reason: "1 word removed and 1 word added",
			minSim: 0.8, maxSim: 0.99,
		},
		{
			name:  "case counts",
			e:     blockquote("VP", "The two signed a charter on strategic partnership."),
			cands: []Candidate{post(seedID, "VP", "The two signed a Charter on Strategic Partnership.")},
			want:  []string{Altered}, diff: "a [-Charter-]{+charter+} on [-Strategic Partnership-]{+strategic partnership+}.",
		},
		{
			name:  "cut short with an ellipsis",
			e:     blockquote("VP", "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.\n\nThe two signed a Char…"),
			cands: []Candidate{seed()},
			want:  []string{Truncated}, diff: "[-Charter on Strategic", reason: "only part",
		},
		{
			name:  "cut short at a word, with three dots",
			e:     blockquote("VP", "The two signed a Charter on Strategic ..."),
			cands: []Candidate{post(seedID, "VP", "The two signed a Charter on Strategic Partnership.")},
			want:  []string{Truncated},
		},
		{
			name:  "first sentence only",
			e:     blockquote("VP", "📸Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev."),
			cands: []Candidate{seed()},
			want:  []string{Truncated},
		},
		{
			name:  "an ellipsis added to the whole text",
			e:     blockquote("VP", "The two signed a Charter…"),
			cands: []Candidate{post(seedID, "VP", "The two signed a Charter")},
			want:  []string{Normalized},
		},
		{
			name:  "sentences swapped",
			e:     blockquote("VP", "The two signed a Charter. Vance visited Baku."),
			cands: []Candidate{post(seedID, "VP", "Vance visited Baku. The two signed a Charter.")},
			want:  []string{Reordered}, reason: "another order",
		},
		{
			name: "earlier version",
			e:    blockquote("VP", "The two signed a Charter on Strategic Partnership."),
			cands: []Candidate{post(seedID, "VP",
				"The two signed a Charter on Strategic Partnership.",
				"The two signed a Charter on Strategic Partnership and Peace.")},
			want: []string{Edited, Exact}, reason: "version 1 of 2",
		},
		{
			name: "newest version",
			e:    blockquote("VP", "The two signed a Charter on Strategic Partnership and Peace."),
			cands: []Candidate{post(seedID, "VP",
				"The two signed a Charter on Strategic Partnership.",
				"The two signed a Charter on Strategic Partnership and Peace.")},
			want: []string{Exact},
		},
		{
			name:  "deleted",
			e:     blockquote("VP", seedEmbed),
			cands: []Candidate{deleted(seed())},
			want:  []string{Deleted, Normalized}, reason: "deleted at the source (noticed 2026-02-12)",
		},
		{
			name:  "handle mismatch",
			e:     blockquote("SecRubio", seedEmbed),
			cands: []Candidate{seed()},
			want:  []string{WrongAuthor, Normalized}, reason: "attributes the post to @SecRubio, but",
		},
		{
			name:  "handle differs in case only",
			e:     blockquote("vp", seedEmbed),
			cands: []Candidate{seed()},
			want:  []string{Normalized},
		},
		{
			name:  "claimed date three days off",
			e:     withDate(blockquote("VP", seedEmbed), time.Date(2026, 2, 13, 0, 0, 0, 0, time.UTC)),
			cands: []Candidate{seed()},
			want:  []string{WrongDate, Normalized}, reason: "dates the post February 13, 2026, but the archived post by @VP is of 2026-02-10",
		},
		{
			name:  "claimed date one day off",
			e:     withDate(blockquote("VP", seedEmbed), time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC)),
			cands: []Candidate{seed()},
			want:  []string{Normalized},
		},
		{
			name:  "claimed date one day early",
			e:     withDate(blockquote("VP", seedEmbed), time.Date(2026, 2, 9, 0, 0, 0, 0, time.UTC)),
			cands: []Candidate{seed()},
			want:  []string{Normalized},
		},
		{
			name: "everything at once",
			e: withDate(blockquote("SecRubio", "The two signed a Charter on Tactical Partnership."),
				time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
			cands: []Candidate{deleted(post(seedID, "VP", "The two signed a Charter on Strategic Partnership.", "Deleted soon."))},
			want:  []string{WrongAuthor, Altered, WrongDate, Edited, Deleted},
		},
		{
			name: "no candidates", e: blockquote("VP", seedEmbed),
			want: []string{NotArchived}, noResult: true, reason: "No archived post was found",
		},
		{
			name: "unrelated candidate", e: flattened("VP", seedEmbed),
			cands: []Candidate{post("1", "VP", "Happy Valentine's Day to all the families of our great nation!")},
			want:  []string{NotArchived}, noResult: true, maxSim: 0.3, reason: "the closest is",
		},
		{
			name: "the most similar of several",
			e:    flattened("VP", "The two signed a Charter on Strategic Partnership."),
			cands: []Candidate{
				post("1", "VP", "Happy Valentine's Day to all the families of our great nation!"),
				post("2", "VP", "The two signed a Charter on Tactical Partnership."),
				post("3", "VP", "The two signed a Charter on Strategic Partnership."),
				post("4", "VP", "Charter schools matter."),
			},
			want: []string{Exact}, postID: "3",
		},
		{
			name: "the id wins over a more similar post",
			e:    blockquote("VP", "The two signed a Charter on Strategic Partnership."),
			cands: []Candidate{
				post("3", "VP", "The two signed a Charter on Strategic Partnership."),
				post(seedID, "VP", "The three signed a Charter on Strategic Partnership."),
			},
			want: []string{Altered}, postID: seedID,
		},
		{
			name:  "the id wins even when the text is unlike",
			e:     blockquote("VP", "We are raising taxes on every family in America."),
			cands: []Candidate{post(seedID, "VP", "Happy Valentine's Day to all the families of our great nation!")},
			want:  []string{Altered}, postID: seedID, maxSim: 0.5,
		},
		{
			name: "a media link identifies the post",
			e: func() embeds.Embed {
				e := flattened("VP", "We are raising taxes on every family in America pic.twitter.com/AEfulNuR0q")
				e.MediaSlugs = []string{"AEfulNuR0q"}
				return e
			}(),
			cands: []Candidate{post("1", "VP", "Proud to stand with American families today https://t.co/AEfulNuR0q")},
			want:  []string{Altered}, postID: "1",
		},
		{
			name: "same text by two accounts: the embed's author wins",
			e:    flattened("VP", "The two signed a Charter on Strategic Partnership."),
			cands: []Candidate{
				post("1", "WhiteHouse", "The two signed a Charter on Strategic Partnership."),
				post("2", "VP", "The two signed a Charter on Strategic Partnership."),
			},
			want: []string{Exact}, postID: "2",
		},
		{
			name:  "reply @handles left out",
			e:     blockquote("VP", "Thank you for the warm welcome!"),
			cands: []Candidate{post(seedID, "VP", "@presidentaz @AzerbaijanMFA Thank you for the warm welcome!")},
			want:  []string{Normalized},
		},
		{
			name:  "reply @handles shown",
			e:     blockquote("VP", "@presidentaz @AzerbaijanMFA Thank you for the warm welcome!"),
			cands: []Candidate{post(seedID, "VP", "@presidentaz @AzerbaijanMFA Thank you for the warm welcome!")},
			want:  []string{Exact},
		},
		{
			name:  "quote inside a longer post",
			e:     quote("VP", "we will keep working for peace in the South Caucasus"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Exact}, minSim: 1, reason: "word for word part of",
		},
		{
			name:  "quote with typographic differences and ellipses at its ends",
			e:     quote("VP", "…we’ll keep working for peace — in the South Caucasus…"),
			cands: []Candidate{post(seedID, "VP", "Today I'm sure: we'll keep working for peace - in the South  Caucasus. Thank you!")},
			want:  []string{Normalized}, minSim: 1,
		},
		{
			name:  "quote that capitalises its first word and ends with a full stop",
			e:     quote("VP", "We will keep working for peace."),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Normalized}, minSim: 1,
		},
		{
			name:  "quote that changes the case of a later word",
			e:     quote("VP", "we will keep working for Peace"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Altered}, diff: "[-peace-]{+Peace+}",
		},
		{
			name:  "quote that ends with a question mark the post does not have",
			e:     quote("VP", "we will keep working for peace?"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Altered},
		},
		{
			name:  "quote with a changed word",
			e:     quote("VP", "We will always surrender to the forces of division"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Altered}, diff: "We will [-never-]{+always+} surrender to the forces of division",
			noDiff: "Today", minSim: 0.8,
		},
		{
			name:  "quote with a changed first word",
			e:     quote("VP", "always surrender to the forces of division"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Altered}, diff: "[-never-]{+always+} surrender", noDiff: "will",
		},
		{
			name:  "quote with words left out in the middle",
			e:     quote("VP", "We will never surrender […] for peace in the South Caucasus"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{Truncated}, reason: "leaves words out",
		},
		{
			name:  "quote of words in another order",
			e:     quote("VP", "the forces of division will never surrender"),
			cands: []Candidate{post(seedID, "VP", "They said: will never surrender the forces of division. Enough.")},
			want:  []string{Reordered},
		},
		{
			name:  "quote attributed to the wrong account",
			e:     quote("SecRubio", "we will keep working for peace in the South Caucasus"),
			cands: []Candidate{post(seedID, "VP", longPost)},
			want:  []string{WrongAuthor, Exact}, reason: "attributed to @SecRubio, but the archived post it comes from is by @VP.",
		},
		{
			name:  "quote not in the archive",
			e:     quote("VP", "we will keep working for peace in the South Caucasus"),
			cands: []Candidate{post(seedID, "VP", "Happy Valentine's Day to all the families of our great nation!")},
			want:  []string{NotArchived}, noResult: true,
		},
		{
			name:  "a quote's word is not a prefix",
			e:     quote("VP", "we will win"),
			cands: []Candidate{post(seedID, "VP", "we will winter here")},
			want:  []string{Altered},
		},
		{
			name:  "right-to-left text with marks",
			e:     blockquote("VP", "\u200Fשלום עולם! مرحبا بالعالم\u200F"),
			cands: []Candidate{post(seedID, "VP", "שלום עולם!  مرحبا بالعالم")},
			want:  []string{Normalized},
		},
		{
			name:  "right-to-left text with a changed word",
			e:     blockquote("VP", "שלום עולם! مرحبا بالعالم"),
			cands: []Candidate{post(seedID, "VP", "שלום חברים! مرحبا بالعالم")},
			want:  []string{Altered}, diff: "[-חברים-]{+עולם+}",
		},
		{
			name:  "emoji and flags",
			e:     blockquote("VP", "Great day 👩‍💻🇺🇸🇦🇿 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"),
			cands: []Candidate{post(seedID, "VP", "Great day 👩‍💻🇺🇸🇦🇿 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F")},
			want:  []string{Exact},
		},
		{
			name:  "a flag left out",
			e:     blockquote("VP", "delivered remarks 🇺🇸 pic.twitter.com/AEfulNuR0q"),
			cands: []Candidate{post(seedID, "VP", "delivered remarks 🇺🇸🇺🇸 https://t.co/AEfulNuR0q")},
			want:  []string{Altered}, diff: "[-🇺🇸-]", reason: ": 1 word removed (",
		},
		{
			name:  "a flag changed",
			e:     blockquote("VP", "delivered remarks 🇺🇸🇷🇺 pic.twitter.com/AEfulNuR0q"),
			cands: []Candidate{post(seedID, "VP", "delivered remarks 🇺🇸🇦🇿 https://t.co/AEfulNuR0q")},
			want:  []string{Altered}, diff: "[-🇦🇿-]{+🇷🇺+}",
		},
		{
			name:  "iframe with the id",
			e:     embeds.Embed{Kind: embeds.KindIframe, PostID: seedID},
			cands: []Candidate{seed()},
			want:  []string{Linked}, maxSim: 0, reason: "only a link",
		},
		{
			name:  "link naming another account",
			e:     embeds.Embed{Kind: embeds.KindLink, PostID: seedID, Handle: "SecRubio", Links: []string{"https://x.com/SecRubio/status/" + seedID}},
			cands: []Candidate{deleted(seed())},
			want:  []string{WrongAuthor, Deleted, Linked},
		},
		{
			name:  "link with x.com/i/status",
			e:     embeds.Embed{Kind: embeds.KindLink, PostID: seedID, Handle: "i"},
			cands: []Candidate{seed()},
			want:  []string{Linked},
		},
		{
			name:  "link to an earlier version",
			e:     embeds.Embed{Kind: embeds.KindLink, PostID: seedID},
			cands: []Candidate{post(seedID, "VP", "first", "second")},
			want:  []string{Edited, Linked}, reason: "version 1 of 2",
		},
		{
			name:  "link to a post not archived",
			e:     embeds.Embed{Kind: embeds.KindLink, PostID: "42"},
			cands: []Candidate{seed()},
			want:  []string{NotArchived}, noResult: true, reason: "id 42",
		},
		{
			name:  "link with a wrong date from the id",
			e:     embeds.Embed{Kind: embeds.KindIframe, PostID: seedID, ClaimedDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), DateMismatch: true},
			cands: []Candidate{{PostID: seedID, Handle: "VP", Status: "live"}},
			want:  []string{WrongDate, Linked}, reason: "more than a day from the date in its id",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(tt.e, tt.cands)
			if !slices.Equal(got.Findings, tt.want) {
				t.Fatalf("findings: got %q, want %q (reason: %s; diff: %s)", got.Findings, tt.want, got.Reason, verify.RenderText(got.Diff))
			}
			if got.Verdict != tt.want[0] {
				t.Errorf("verdict: got %q, want %q", got.Verdict, tt.want[0])
			}
			if tt.noResult != (got.Candidate == nil) || tt.noResult && got.Version != nil {
				t.Errorf("candidate: got %v, version %v; want none: %v", got.Candidate, got.Version, tt.noResult)
			}
			if tt.postID != "" && (got.Candidate == nil || got.Candidate.PostID != tt.postID) {
				t.Errorf("candidate: got %+v, want post %s", got.Candidate, tt.postID)
			}
			rendered := verify.RenderText(got.Diff)
			if tt.diff != "" && !strings.Contains(rendered, tt.diff) {
				t.Errorf("diff: got %q, want it to contain %q", rendered, tt.diff)
			}
			if tt.noDiff != "" && strings.Contains(rendered, tt.noDiff) {
				t.Errorf("diff: got %q, want it without %q", rendered, tt.noDiff)
			}
			if got.Verdict == Exact && got.Diff != nil {
				t.Errorf("diff: got %q for an exact match, want none", rendered)
			}
			if tt.reason != "" && !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason: got %q, want it to contain %q", got.Reason, tt.reason)
			}
			if got.Reason == "" || strings.Count(got.Reason, ". ") > 0 {
				t.Errorf("reason: got %q, want one sentence", got.Reason)
			}
			if got.Similarity < tt.minSim || (tt.maxSim > 0 || tt.name == "iframe with the id") && got.Similarity > tt.maxSim {
				t.Errorf("similarity: got %.3f, want %.2f..%.2f", got.Similarity, tt.minSim, tt.maxSim)
			}
			checkDiff(t, tt.e, got)
		})
	}
}

// checkDiff checks that the B sides of the diff spell the embed's text (for a quotation, without
// the ellipses at its ends).
func checkDiff(t *testing.T, e embeds.Embed, r Result) {
	t.Helper()
	if len(r.Diff) == 0 {
		return
	}
	var b strings.Builder
	for i, ed := range r.Diff {
		b.WriteString(ed.B)
		if i > 0 && ed.Op == r.Diff[i-1].Op {
			t.Errorf("diff: edits %d and %d are both %s", i-1, i, ed.Op)
		}
	}
	want := strings.TrimSpace(e.Text)
	if e.Kind == embeds.KindQuote {
		if !strings.Contains(want, b.String()) {
			t.Errorf("diff: B sides give %q, want a part of %q", b.String(), want)
		}
		return
	}
	if b.String() != want {
		t.Errorf("diff: B sides give %q, want %q", b.String(), want)
	}
}

func TestJudgeCopies(t *testing.T) {
	cands := []Candidate{seed()}
	got := Judge(blockquote("VP", seedEmbed), cands)
	got.Candidate.Handle = "changed"
	got.Candidate.Versions[0].Text = "changed"
	got.Version.Text = "changed"
	if cands[0].Handle != "VP" || cands[0].Versions[0].Text != seedText {
		t.Errorf("Judge's result shares memory with its input: got %+v", cands[0])
	}
}

func TestResultJSON(t *testing.T) {
	got := Judge(blockquote("VP", "The two signed a Charter on Tactical Partnership."), []Candidate{deleted(post(seedID, "VP", "The two signed a Charter on Strategic Partnership."))})
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"verdict":"altered"`, `"findings":["altered","deleted"]`, `"post_id":"` + seedID + `"`, `"status_at":"2026-02-12T14:03:00Z"`, `"op":"delete"`, `"similarity":0.`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON: got %s, want it to contain %s", b, want)
		}
	}
	b, err = json.Marshal(Judge(blockquote("VP", "x"), nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"verdict":"not-archived","findings":["not-archived"],"similarity":0,"reason":"No archived post was found to compare with."}`; string(b) != want {
		t.Errorf("JSON: got %s, want %s", b, want)
	}
}

func TestFoldLinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"no links here.", "no links here."},
		{"photo pic.twitter.com/AEfulNuR0q", "photo t.co/AEfulNuR0q"},
		{"photo https://t.co/AEfulNuR0q", "photo t.co/AEfulNuR0q"},
		{"photo http://t.co/AEfulNuR0q.", "photo t.co/AEfulNuR0q."},
		{"photo t.co/AEfulNuR0q", "photo t.co/AEfulNuR0q"},
		{"photo https://pic.x.com/AEfulNuR0q", "photo t.co/AEfulNuR0q"},
		{"see https://WWW.Example.com/Path/ now", "see example.com/Path now"},
		{"see whitehouse.gov/briefings-sta… now", "see whitehouse.gov/briefings-sta… now"},
		{"see whitehouse.gov/briefings-sta... now", "see whitehouse.gov/briefings-sta… now"},
		{"https://twitter.com/VP/status/123?s=20 and x.com/i/web/status/123", "x.com/status/123 and x.com/status/123"},
		{"https://mobile.twitter.com/VP", "x.com/vp"},
		{"https://mobile.example.com/a", "mobile.example.com/a"},
	}
	for _, tt := range tests {
		if got := FoldLinks(tt.in); got != tt.want {
			t.Errorf("FoldLinks(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeEntities(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a &amp; b", "a & b"},
		{"&lt;b&gt; &#8212; &#x2014; &quot;", "<b> — — \""},
		{"AT&T, R&D, &not, & ;", "AT&T, R&D, &not, & ;"},
		{"&amp;amp; &unknown; &;", "&amp; &unknown; &;"},
		{"&amp", "&amp"},
	}
	for _, tt := range tests {
		if got := decodeEntities(tt.in); got != tt.want {
			t.Errorf("decodeEntities(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVerdicts(t *testing.T) {
	all := Verdicts()
	if got, want := len(all), 11; got != want {
		t.Fatalf("len(Verdicts()): got %d, want %d", got, want)
	}
	for i, v := range all {
		if got := priority(v); got != i {
			t.Errorf("priority(%q): got %d, want %d", v, got, i)
		}
	}
	all[0] = "changed"
	if got := Verdicts()[0]; got != WrongAuthor {
		t.Errorf("Verdicts()[0] after changing a copy: got %q, want %q", got, WrongAuthor)
	}
	misquotes := map[string]bool{Altered: true, Truncated: true, Reordered: true, WrongAuthor: true, WrongDate: true}
	for _, v := range Verdicts() {
		if got, want := IsMisquote(v), misquotes[v]; got != want {
			t.Errorf("IsMisquote(%q): got %v, want %v", v, got, want)
		}
	}
	if IsMisquote("bogus") {
		t.Errorf("IsMisquote(%q): got true, want false", "bogus")
	}
}
