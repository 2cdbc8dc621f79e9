package extract

import (
	"errors"
	"fmt"
	nurl "net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// DefaultMaxBytes is the input size limit Extract applies when Options.MaxBytes is zero.
const DefaultMaxBytes = 8 << 20

var (
	// ErrTooLarge is returned, wrapped with the sizes, for a page over the size limit. Extract
	// refuses such a page rather than reading part of it: a truncated article would make every
	// paragraph after the cut look removed.
	ErrTooLarge = errors.New("page too large")

	// ErrNoArticle is returned, wrapped, when the page has no article text: it is empty, a
	// front page of links, a login wall, or text so short that no extractor keeps it. The
	// Article returned with it still carries whatever metadata the page declares.
	ErrNoArticle = errors.New("no article text found")
)

// Article is the main content of an article page.
type Article struct {
	Title  string
	Byline string
	// Published is the publication time the page declares, or the zero time if unknown.
	Published time.Time
	// Paragraphs are the body's blocks in reading order (paragraphs, subheadings, list items,
	// quotes, table rows), each with its white space normalised to single spaces. The title and
	// byline are not repeated here.
	Paragraphs []string
	// Lang is the page's declared language (<html lang>, Content-Language, JSON-LD inLanguage,
	// og:locale), else the language detected from the text, else "".
	Lang string
}

// Text returns the paragraphs joined by a blank line.
func (a Article) Text() string {
	return strings.Join(a.Paragraphs, "\n\n")
}

// Options configure Extract. The zero value is ready to use.
type Options struct {
	// ContentType is the HTTP Content-Type the page was served with, if known. Its charset
	// parameter takes precedence over <meta> declarations (but not over a byte-order mark).
	ContentType string
	// MaxBytes limits the size of the raw page: 0 means DefaultMaxBytes, a negative value means
	// no limit. A larger page is refused with ErrTooLarge.
	MaxBytes int
	// Engine selects the extraction algorithm; the zero value, EngineDefault, is the best one
	// measured.
	Engine Engine
}

// Extract returns the main article of the HTML page. pageURL (may be empty) is where the page was
// found; it resolves relative links and helps the extractors recognise site furniture.
//
// The page's character set is, in order: the one a byte-order mark names, the charset parameter of
// opts.ContentType, a <meta charset> or <meta http-equiv="Content-Type"> in the head, else UTF-8.
// Invalid bytes become U+FFFD.
//
// Extract returns an error wrapping ErrTooLarge for a page over the size limit, one wrapping
// ErrNoArticle, together with the page's metadata, when there is no article text, and another
// error for a page the HTML parser refuses (elements nested more than 512 deep).
func Extract(page []byte, pageURL string, opts Options) (Article, error) {
	limit := opts.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	if limit > 0 && len(page) > limit {
		return Article{}, fmt.Errorf("extract: %w: %d bytes, over the %d-byte limit (Options.MaxBytes)", ErrTooLarge, len(page), limit)
	}
	eng, ok := engines[opts.Engine]
	if !ok {
		return Article{}, fmt.Errorf("extract: unknown engine %d", opts.Engine)
	}
	return extractWith(page, pageURL, opts, eng)
}

// extractWith is Extract with the engine given.
func extractWith(page []byte, pageURL string, opts Options, eng engine) (a Article, err error) {
	// The extractors walk untrusted HTML with a great deal of code that is not ours; a bug
	// there must fail one page, not the program.
	defer func() {
		if r := recover(); r != nil {
			a, err = Article{}, fmt.Errorf("extract: %s failed on this page: %v", eng.name, r)
		}
	}()
	text, _ := decode(page, opts.ContentType)
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		// The reader cannot fail; this is x/net/html refusing elements nested more than 512
		// deep.
		return Article{}, fmt.Errorf("extract: parse html: %w", err)
	}
	var u *nurl.URL
	if pageURL != "" {
		if parsed, err := nurl.Parse(pageURL); err == nil && parsed.IsAbs() {
			u = parsed
		}
	}

	meta := readMeta(doc)
	res := eng.run(doc, u, meta)
	a = Article{
		Title:      firstNonEmpty(res.title, meta.Title),
		Byline:     firstNonEmpty(res.byline, meta.Byline),
		Published:  meta.Published,
		Paragraphs: res.paragraphs,
		Lang:       firstNonEmpty(meta.Lang, res.lang),
	}
	if a.Published.IsZero() {
		a.Published = res.published
	}
	pg := readPage(doc)
	a.Paragraphs = splitMerged(pg, a.Paragraphs)
	a.Paragraphs = dropTitle(a.Paragraphs, a.Title, meta.Title)
	a.Paragraphs = keepEmbeds(pg, a.Paragraphs)
	if !hasProse(a.Paragraphs) {
		a.Paragraphs = nil
		return a, fmt.Errorf("extract: %w", ErrNoArticle)
	}
	return a, nil
}

// minProse is the length, in characters, that at least one paragraph must reach for the page to
// count as having an article. Pages whose longest paragraph is shorter yield menus, form labels
// and buttons: what extractors return for a page with no body.
const minProse = 40

// hasProse reports whether some paragraph is at least minProse characters long.
func hasProse(paragraphs []string) bool {
	for _, p := range paragraphs {
		if utf8.RuneCountInString(p) >= minProse {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = normalizeSpace(v); v != "" {
			return v
		}
	}
	return ""
}
