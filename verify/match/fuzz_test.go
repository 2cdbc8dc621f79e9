package match

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/verify/embeds"
)

func FuzzJudge(f *testing.F) {
	f.Add(seedEmbed, seedText, "", "VP", "VP", uint8(0), int8(0))
	f.Add("The two signed a Char…", seedText, "The two met.", "VP", "vp", uint8(3), int8(3))
	f.Add("…we will […] peace…", longPost, "", "VP", "SecRubio", uint8(4), int8(0))
	f.Add("", "", "", "", "", uint8(1), int8(0))
	f.Add("…", "...", "[…]", "@", "@", uint8(4), int8(-2))
	f.Add("a whitehouse.gov/x… t.co/", "&amp; https://t.co/x https://t.co/", "&#x;&#99999999;", "i", "i", uint8(0), int8(1))
	f.Add("\u200F\xffשלום 🇺🇸🇺", "\xff\xfe 🏴\U000E0067", "@a @b c", "x", "y", uint8(2), int8(100))
	f.Fuzz(func(t *testing.T, text, archived, older, handle, author string, kind uint8, days int8) {
		kinds := []string{embeds.KindBlockquote, embeds.KindIframe, embeds.KindLink, embeds.KindPlaintext, embeds.KindQuote}
		e := embeds.Embed{
			Kind: kinds[int(kind)%len(kinds)], Handle: handle, Text: text,
			Links: []string{"https://t.co/x", text}, MediaSlugs: []string{"x", archived},
		}
		if kind&8 == 0 {
			e.PostID = seedID
		}
		if days != 0 {
			e.ClaimedDate = seedDate.Truncate(24*time.Hour).AddDate(0, 0, int(days))
			e.DateMismatch = days > 1 || days < -1
		}
		c := post(seedID, author, older, archived)
		if kind&16 != 0 {
			c = deleted(c)
		}
		cands := []Candidate{c, post("2", handle, archived), {PostID: "3"}}
		r := Judge(e, cands)
		if priority(r.Verdict) < 0 {
			t.Fatalf("verdict %q is none of %q", r.Verdict, Verdicts())
		}
		if len(r.Findings) == 0 || r.Findings[0] != r.Verdict {
			t.Fatalf("findings %q do not start with the verdict %q", r.Findings, r.Verdict)
		}
		if !slices.IsSortedFunc(r.Findings, func(a, b string) int { return priority(a) - priority(b) }) {
			t.Fatalf("findings %q are not in the order of Verdicts", r.Findings)
		}
		if (r.Verdict == NotArchived) != (r.Candidate == nil) {
			t.Fatalf("verdict %q with candidate %v", r.Verdict, r.Candidate)
		}
		if r.Similarity < 0 || r.Similarity > 1 {
			t.Fatalf("similarity %v", r.Similarity)
		}
		if r.Reason == "" {
			t.Fatal("no reason")
		}
		var a, b strings.Builder
		for _, ed := range r.Diff {
			a.WriteString(ed.A)
			b.WriteString(ed.B)
		}
		if len(r.Diff) > 0 && e.Kind != embeds.KindQuote && b.String() != strings.TrimSpace(text) {
			t.Fatalf("diff's B sides give %q, want %q", b.String(), strings.TrimSpace(text))
		}
	})
}
