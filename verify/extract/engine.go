package extract

import (
	nurl "net/url"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// Engine selects the algorithm Extract uses to find the article body. Whatever the engine,
// Extract then restores dropped social-media embeds and removes a repeated title (see Extract).
//
// The engines' scores on the Zyte article-extraction benchmark (181 pages, the benchmark's own
// 4-word-shingle metric) are printed by TestExtractionBenchmark; see bench_test.go.
type Engine int

const (
	// EngineDefault is the best engine measured: currently EngineConsensus.
	EngineDefault Engine = iota
	// EngineConsensus runs go-readability, offers its article to go-trafilatura as the
	// fallback candidate, and keeps the paragraphs of go-trafilatura's result that
	// go-readability also found, unless the two disagree about where the article is (then it
	// keeps go-trafilatura's result whole).
	EngineConsensus
	// EngineTrafilatura is go-trafilatura alone: balanced focus, no fallback.
	EngineTrafilatura
	// EngineTrafilaturaFallback is go-trafilatura with its own fallbacks (go-shiori
	// go-readability and go-domdistiller): the configuration of the benchmark's published
	// go-trafilatura score.
	EngineTrafilaturaFallback
	// EngineReadability is readeck's go-readability alone.
	EngineReadability
	// EngineTrafilaturaReadability is go-trafilatura with readeck's go-readability as its
	// fallback candidate, without the consensus step.
	EngineTrafilaturaReadability
)

// String returns the engine's name, as the benchmark prints it.
func (e Engine) String() string {
	if eng, ok := engines[e]; ok {
		return eng.name
	}
	return "unknown"
}

// result is one engine's reading of a page.
type result struct {
	paragraphs []string
	title      string
	byline     string
	published  time.Time
	lang       string
}

// engine is an Engine's implementation. run must not modify doc; meta is what the page declares.
type engine struct {
	name string
	run  func(doc *html.Node, u *nurl.URL, meta pageMeta) result
}

// engines maps every Engine to its implementation. It is never modified.
var engines = map[Engine]engine{
	EngineDefault:   {"default", consensus},
	EngineConsensus: {"consensus", consensus},
	EngineTrafilatura: {"trafilatura", func(doc *html.Node, u *nurl.URL, meta pageMeta) result {
		return traf(doc, u, trafConfig{dates: !meta.hasDate()})
	}},
	EngineTrafilaturaFallback: {"trafilatura+fallback", func(doc *html.Node, u *nurl.URL, meta pageMeta) result {
		return traf(doc, u, trafConfig{fallback: true, dates: !meta.hasDate()})
	}},
	EngineReadability: {"readability", func(doc *html.Node, u *nurl.URL, _ pageMeta) result {
		r, _ := readab(doc, u)
		return r
	}},
	EngineTrafilaturaReadability: {"trafilatura+readability", func(doc *html.Node, u *nurl.URL, meta pageMeta) result {
		_, node := readab(doc, u)
		return traf(doc, u, trafConfig{candidate: node, dates: !meta.hasDate()})
	}},
}

// consensusKeep is the share of go-trafilatura's text that go-readability must confirm for
// EngineConsensus to drop the rest. Below it, the two extractors found different parts of the
// page, and go-trafilatura is trusted. Measured: 0.3, 0.5 and 0.7 score within 0.001 F1.
const consensusKeep = 0.5

// trafMinExtracted is go-trafilatura's MinExtractedSize: with less text than this, it replaces its
// result by a "baseline" that flattens the page's text into one paragraph.
const trafMinExtracted = 250

func consensus(doc *html.Node, u *nurl.URL, meta pageMeta) result {
	rd, node := readab(doc, u)
	tr := traf(doc, u, trafConfig{candidate: node, dates: !meta.hasDate()})
	// go-readability's title (Readability.js's rules over JSON-LD, og:title and <title>) is
	// more often the headline than go-trafilatura's, which sometimes takes a section heading.
	// go-trafilatura's byline is the better one.
	if rd.title != "" {
		tr.title = rd.title
	}
	if textLen(tr.paragraphs) < trafMinExtracted {
		// Neither go-trafilatura nor the candidate found much; go-readability's own reading,
		// which keeps the page's paragraphs, beats go-trafilatura's flattened baseline.
		tr.paragraphs = rd.paragraphs
		return tr
	}
	tr.paragraphs = agree(tr.paragraphs, rd.paragraphs, consensusKeep)
	return tr
}

// textLen is the number of characters in paragraphs.
func textLen(paragraphs []string) int {
	n := 0
	for _, p := range paragraphs {
		n += utf8.RuneCountInString(p)
	}
	return n
}

// trafConfig are the go-trafilatura settings the engines vary.
type trafConfig struct {
	focus    trafilatura.ExtractionFocus
	fallback bool // go-trafilatura's own fallbacks: go-shiori/go-readability and go-domdistiller
	// candidate, if set, is offered to go-trafilatura as its readability fallback, and
	// go-domdistiller is not run.
	candidate *html.Node
	// dates makes go-trafilatura search the whole page for a publication date (go-htmldate's
	// extensive mode). Its dates have day precision only, so Extract asks for them only when
	// the page's metadata declares none.
	dates bool
}

// traf runs go-trafilatura on doc, which it does not modify.
func traf(doc *html.Node, u *nurl.URL, c trafConfig) result {
	opts := trafilatura.Options{
		OriginalURL:    u,
		Focus:          c.focus,
		EnableFallback: c.fallback || c.candidate != nil,
		// Comments are extracted, separately, so that they are removed from the page before
		// the article is looked for; they are then discarded.
		ExcludeComments: false,
		HtmlDateMode:    trafilatura.Disabled,
	}
	if c.dates {
		opts.HtmlDateMode = trafilatura.Extensive
	}
	if c.candidate != nil {
		opts.FallbackCandidates = &trafilatura.FallbackCandidates{
			Readability: c.candidate,
			Distiller:   &html.Node{Type: html.ElementNode, Data: "div"}, // empty: never chosen
		}
	}
	res, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil || res == nil {
		return result{}
	}
	r := result{
		title:     res.Metadata.Title,
		byline:    res.Metadata.Author,
		published: res.Metadata.Date,
		lang:      res.Metadata.Language,
	}
	if res.ContentNode != nil {
		r.paragraphs = paragraphs(res.ContentNode)
	}
	return r
}

// readab runs readeck's go-readability on doc, which it does not modify, and returns also the
// article node it found (nil if none).
func readab(doc *html.Node, u *nurl.URL) (result, *html.Node) {
	if u == nil {
		u = &nurl.URL{}
	}
	p := readability.NewParser()
	a, err := p.ParseDocument(doc, u)
	if err != nil {
		return result{}, nil
	}
	r := result{title: a.Title(), byline: a.Byline(), lang: a.Language()}
	if t, err := a.PublishedTime(); err == nil {
		r.published = t
	}
	if a.Node != nil {
		r.paragraphs = paragraphs(a.Node)
	}
	return r, a.Node
}
