package extract

import (
	nurl "net/url"
	"os"
	"strings"

	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// rawConfigs are the libraries as the benchmark's own runners call them, with no Extract around
// them (no charset handling, metadata, embed restoration or title removal): the baseline.
func rawConfigs() []benchConfig {
	parse := func(page []byte) *html.Node {
		doc, err := html.Parse(strings.NewReader(string(page)))
		if err != nil {
			return &html.Node{Type: html.DocumentNode}
		}
		return doc
	}
	return []benchConfig{
		{"raw go-trafilatura", func(page []byte, url string) (Article, error) {
			// extractors/go_trafilatura/cli.go: EnableFallback, ContentText.
			res, err := trafilatura.ExtractDocument(parse(page), trafilatura.Options{EnableFallback: true})
			if err != nil {
				return Article{}, err
			}
			return Article{Paragraphs: []string{res.ContentText}}, nil
		}},
		{"raw readeck/go-readability", func(page []byte, url string) (Article, error) {
			// extractors/go_readability_readeck/cli.go, with v2's text rendering.
			u, _ := nurl.Parse(url)
			r, _ := readab(parse(page), u)
			return Article{Paragraphs: r.paragraphs}, nil
		}},
	}
}

// variantConfigs are the go-trafilatura focus settings, with either fallback, through Extract's
// pipeline; they lost to EngineDefault and are measured in every run so that stays visible.
// With $VERBATIM_BENCH_EXPERIMENTS set, the consensus thresholds are measured too.
func variantConfigs() []benchConfig {
	with := func(name string, run func(doc *html.Node, u *nurl.URL, meta pageMeta) result) benchConfig {
		return benchConfig{name, func(page []byte, url string) (Article, error) {
			return extractWith(page, url, Options{ContentType: "text/html; charset=utf-8"}, engine{name, run})
		}}
	}
	fb := func(name string, focus trafilatura.ExtractionFocus) benchConfig {
		return with(name, func(doc *html.Node, u *nurl.URL, meta pageMeta) result {
			return traf(doc, u, trafConfig{fallback: true, focus: focus, dates: !meta.hasDate()})
		})
	}
	rd := func(name string, focus trafilatura.ExtractionFocus, keep float64) benchConfig {
		return with(name, func(doc *html.Node, u *nurl.URL, meta pageMeta) result {
			r, node := readab(doc, u)
			t := traf(doc, u, trafConfig{candidate: node, focus: focus, dates: !meta.hasDate()})
			if keep > 0 {
				t.paragraphs = agree(t.paragraphs, r.paragraphs, keep)
			}
			return t
		})
	}
	cs := []benchConfig{
		fb("trafilatura+fallback recall", trafilatura.FavorRecall),
		fb("trafilatura+fallback precision", trafilatura.FavorPrecision),
		rd("trafilatura+readability recall", trafilatura.FavorRecall, 0),
		rd("trafilatura+readability precision", trafilatura.FavorPrecision, 0),
		rd("consensus precision", trafilatura.FavorPrecision, consensusKeep),
		rd("consensus recall", trafilatura.FavorRecall, consensusKeep),
	}
	if os.Getenv("VERBATIM_BENCH_EXPERIMENTS") != "" {
		cs = append(cs,
			rd("consensus keep 0.3", trafilatura.Balanced, 0.3),
			rd("consensus keep 0.7", trafilatura.Balanced, 0.7),
		)
	}
	return cs
}
