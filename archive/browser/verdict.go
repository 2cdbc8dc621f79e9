package browser

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"strings"
)

// Verdicts: what a capture shows.
const (
	// VerdictOK is a page with content.
	VerdictOK = "ok"
	// VerdictLoginWall is a page hidden behind a sign-in prompt.
	VerdictLoginWall = "login-wall"
	// VerdictNotFound is a missing or deleted page or post.
	VerdictNotFound = "not-found"
	// VerdictErrorPage is a server error or rate limit page.
	VerdictErrorPage = "error-page"
	// VerdictCookieOverlay is a page covered by a consent banner that could
	// not be dismissed.
	VerdictCookieOverlay = "cookie-overlay"
	// VerdictBlank is a page with no text that renders as one colour.
	VerdictBlank = "blank"
	// VerdictTimeout is a page that did not settle in time; what had been
	// captured by then is kept.
	VerdictTimeout = "timeout"
)

// Phrases X shows, lowercase with plain apostrophes (see normalize).
var (
	notFoundPhrases = []string{
		"this post is unavailable",
		"hmm...this page doesn't exist",
		"this page doesn't exist",
		"this post was deleted",
		"this post has been deleted",
		"sorry, that page doesn't exist",
		"sorry, that page does not exist",
		"this account doesn't exist",
		"account suspended",
	}
	errorPhrases = []string{
		"something went wrong. try reloading.",
		"something went wrong, but don't fret",
		"rate limit exceeded",
		"too many requests",
	}
	loginPhrases = []string{
		"sign in to x",
		"log in to x",
		"sign in to twitter",
		"log in to twitter",
	}
	// wallBoilerplate is the bar a logged-out visitor sees at the bottom of
	// every X page, also under posts that are shown in full.
	wallBoilerplate = []string{
		"don't miss what's happening",
		"people on x are the first to know.",
		"log in",
		"sign up",
	}
)

// loginPaths are where X sends a visitor who must sign in.
var loginPaths = []string{"/login", "/i/flow/login", "/i/flow/signup", "/account/access"}

// shortWall is how much text may be left, after the logged-out bar is taken
// away, for a page to count as nothing but a wall.
const shortWall = 80

// Classify judges a captured page from its HTTP status, the URL it ended on,
// its visible text and whether its screenshot is one colour. It returns a
// verdict (VerdictOK, VerdictLoginWall, VerdictNotFound, VerdictErrorPage or
// VerdictBlank) and a short detail saying why.
func Classify(status int, finalURL, text string, uniformScreenshot bool) (verdict, detail string) {
	switch {
	case status == 404 || status == 410:
		return VerdictNotFound, fmt.Sprintf("HTTP %d", status)
	case status == 429:
		return VerdictErrorPage, "HTTP 429 (rate limited)"
	case status >= 500:
		return VerdictErrorPage, fmt.Sprintf("HTTP %d", status)
	}
	t := normalize(text)
	for _, p := range notFoundPhrases {
		if strings.Contains(t, p) {
			return VerdictNotFound, fmt.Sprintf("page says %q", p)
		}
	}
	for _, p := range errorPhrases {
		if strings.Contains(t, p) {
			return VerdictErrorPage, fmt.Sprintf("page says %q", p)
		}
	}
	if u, err := url.Parse(finalURL); err == nil {
		for _, p := range loginPaths {
			if strings.TrimSuffix(u.Path, "/") == p {
				return VerdictLoginWall, "redirected to " + u.Path
			}
		}
	}
	for _, p := range loginPhrases {
		if strings.Contains(t, p) {
			return VerdictLoginWall, fmt.Sprintf("page says %q", p)
		}
	}
	if strings.Contains(t, wallBoilerplate[0]) || strings.Contains(t, "log in") {
		rest := t
		for _, p := range wallBoilerplate {
			rest = strings.ReplaceAll(rest, p, "")
		}
		if len(strings.Join(strings.Fields(rest), " ")) <= shortWall {
			return VerdictLoginWall, "page shows only a sign-in prompt"
		}
	}
	if t == "" {
		if uniformScreenshot {
			return VerdictBlank, "no text and a screenshot of one colour"
		}
		return VerdictOK, "no text"
	}
	if status >= 400 {
		return VerdictErrorPage, fmt.Sprintf("HTTP %d", status)
	}
	return VerdictOK, ""
}

// normalize lowercases text, straightens apostrophes and ellipses and
// collapses white space, so phrases match however a page typesets them.
func normalize(text string) string {
	text = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u02bc", "'", "\u2026", "...").Replace(text)
	return strings.ToLower(strings.Join(strings.Fields(text), " "))
}

// uniformShare is the share of sampled pixels that must have one colour for
// a screenshot to count as uniform.
const uniformShare = 0.99

// uniformPNG reports whether more than 99% of a grid of pixels sampled from
// the PNG have the same colour.
func uniformPNG(data []byte) (bool, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("decode screenshot: %w", err)
	}
	return uniform(img), nil
}

func uniform(img image.Image) bool {
	b := img.Bounds()
	if b.Empty() {
		return true
	}
	const grid = 100
	stepX, stepY := max(b.Dx()/grid, 1), max(b.Dy()/grid, 1)
	counts := make(map[[4]uint32]int)
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += stepY {
		for x := b.Min.X; x < b.Max.X; x += stepX {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}]++
			n++
		}
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	return float64(top) > uniformShare*float64(n)
}
