package extract

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestAgree(t *testing.T) {
	body := []string{
		"The harbour board voted on Tuesday to run a pilot of a night ferry.",
		"Two extra sailings will leave the old pier late in the evening.",
		"The board will review the figures in September.",
	}
	tests := []struct {
		name            string
		primary, second []string
		want            []string
	}{
		{"agreement drops what only primary has", append(slices.Clone(body), "Sign up for our newsletter and get the top stories every day"), body, body},
		{"short paragraph found inside a longer one", []string{body[0], "Old pier"}, []string{body[0] + " Old pier now."}, []string{body[0], "Old pier"}},
		{"short paragraph not found", []string{body[0], "Subscribe now"}, body, []string{body[0]}},
		{"disagreement keeps primary", body, []string{"Something else entirely, from another part of the page."}, body},
		{"empty second keeps primary", body, nil, body},
		{"empty primary takes second", nil, body, body},
		{"case and punctuation ignored", []string{strings.ToUpper(body[0])}, []string{strings.ReplaceAll(body[0], ",", "")}, []string{strings.ToUpper(body[0])}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agree(tt.primary, tt.second, 0.5); !slices.Equal(got, tt.want) {
				t.Errorf("agree = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDropTitle(t *testing.T) {
	tests := []struct {
		name  string
		paras []string
		title string
		want  []string
	}{
		{"first", []string{"Ferry approved", "Body."}, "Ferry approved", []string{"Body."}},
		{"second, case and punctuation", []string{"News", "FERRY: approved!", "Body."}, "Ferry approved", []string{"News", "Body."}},
		{"third is body", []string{"A", "B", "Ferry approved"}, "Ferry approved", []string{"A", "B", "Ferry approved"}},
		{"no title", []string{"Body."}, "", []string{"Body."}},
		{"not equal", []string{"Ferry approved by board", "Body."}, "Ferry approved", []string{"Ferry approved by board", "Body."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dropTitle(slices.Clone(tt.paras), tt.title); !slices.Equal(got, tt.want) {
				t.Errorf("dropTitle = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitMerged(t *testing.T) {
	pg := readPage(parseHTML(t, `<p>Intro line.<br><br>Second part.<br><br>Third part.</p><p>Other para.</p>`))
	tests := []struct {
		name  string
		paras []string
		want  []string
	}{
		{"merged run split", []string{"Intro line. Second part. Third part.", "Other para."}, []string{"Intro line.", "Second part.", "Third part.", "Other para."}},
		{"partial run split", []string{"Second part. Third part."}, []string{"Second part.", "Third part."}},
		{"already split", []string{"Intro line.", "Other para."}, []string{"Intro line.", "Other para."}},
		{"not on the page", []string{"Intro line. Something new."}, []string{"Intro line. Something new."}},
		{"prefix of a word is no match", []string{"Intro line. Second partial"}, []string{"Intro line. Second partial"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitMerged(pg, tt.paras); !slices.Equal(got, tt.want) {
				t.Errorf("splitMerged = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeepEmbeds(t *testing.T) {
	const tweet = `<blockquote class="twitter-tweet"><p lang="en">Post text here.</p>&mdash; Someone (@someone) <a href="https://twitter.com/someone/status/1">February 10, 2026</a></blockquote>`
	page := `<aside><blockquote class="twitter-tweet"><p>Sidebar post.</p>&mdash; Site (@site)</blockquote></aside>
		<article><p>First paragraph.</p><p>Second paragraph.</p>` + tweet + `<p>Third paragraph.</p><p>Fourth paragraph.</p></article>
		<footer><p>Footer one.</p><p>Footer two.</p><p>Footer three.</p><p>Footer four.</p>
		<blockquote class="twitter-tweet"><p>Footer post.</p></blockquote></footer>`
	pg := readPage(parseHTML(t, page))
	full := []string{"First paragraph.", "Second paragraph.", "Post text here.", "— Someone (@someone) February 10, 2026", "Third paragraph.", "Fourth paragraph."}
	tests := []struct {
		name  string
		paras []string
		want  []string
	}{
		{"dropped embed restored in place", []string{"First paragraph.", "Second paragraph.", "Third paragraph.", "Fourth paragraph."}, full},
		{"attribution line restored", []string{"First paragraph.", "Second paragraph.", "Post text here.", "Third paragraph.", "Fourth paragraph."}, full},
		{"complete embed left alone", full, full},
		{"embed closing the article", []string{"First paragraph.", "Second paragraph."}, full[:4]},
		{"embed opening the article", []string{"Third paragraph.", "Fourth paragraph."}, full[2:]},
		{"far from the article: not added", []string{"First paragraph."}, []string{"First paragraph."}},
		{"nothing extracted: nothing added", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keepEmbeds(pg, slices.Clone(tt.paras)); !slices.Equal(got, tt.want) {
				t.Errorf("keepEmbeds =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
