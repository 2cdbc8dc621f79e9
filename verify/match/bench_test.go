package match

import (
	"fmt"
	"strings"
	"testing"

	"github.com/verbatim-archive/verbatim/verify/embeds"
)

// BenchmarkJudge judges an embed against 20 candidates of a post's length, one of them the post.
func BenchmarkJudge(b *testing.B) {
	texts := []string{
		"Happy Valentine's Day to all the families of our great nation! https://t.co/Valen7ine",
		"Today I met with the President of Azerbaijan to discuss energy security and trade routes.",
		"We will never surrender to the forces of division, and we will keep working for peace.",
		"Great to be in Yerevan. The civil nuclear agreement paves the way for American companies.",
		"Thank you, Baku! 🇺🇸🇦🇿 https://t.co/Baku1234",
	}
	var cands []Candidate
	for i := range 19 {
		cands = append(cands, post(fmt.Sprint(i), "VP", texts[i%len(texts)]+fmt.Sprintf(" (%d)", i)))
	}
	cands = append(cands, post(seedID, "VP", "An earlier draft of the post about Baku.", seedText))
	cases := []struct {
		name string
		e    embeds.Embed
	}{
		{"blockquote", blockquote("VP", seedEmbed)},
		{"flattened", flattened("VP", seedEmbed)},
		{"altered", flattened("VP", "The two signed a Charter on Tactical Partnership, held meetings.")},
		{"quote", quote("VP", "held bilateral meetings, and delivered remarks")},
		{"not-archived", flattened("VP", "Something nobody ever posted at all.")},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				Judge(tc.e, cands)
			}
		})
	}
}

// BenchmarkJudgeRepetitive judges long texts of one repeated word, the worst case for finding a
// part of a post.
func BenchmarkJudgeRepetitive(b *testing.B) {
	rep := strings.Repeat("a ", 6000)
	cands := []Candidate{post("1", "VP", rep+"c"), post("2", "VP", rep+"d"), post("3", "VP", strings.Repeat("a b ", 4000))}
	for _, kind := range []string{embeds.KindBlockquote, embeds.KindQuote} {
		e := embeds.Embed{Kind: kind, Text: strings.Repeat("a ", 5000) + "b", Handle: "VP"}
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				Judge(e, cands)
			}
		})
	}
}
