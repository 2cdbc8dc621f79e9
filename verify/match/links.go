package match

import (
	"html"
	"strings"
)

// FoldLinks returns text with every web address in it (as verify.Words finds them) written in one
// form, so that the forms in which X, its embeds and articles write the same link compare equal:
//
//   - t.co/SLUG, http://t.co/SLUG, https://t.co/SLUG, pic.twitter.com/SLUG and pic.x.com/SLUG
//     all become t.co/SLUG (an embed shows a post's media link as pic.twitter.com with the slug of
//     the t.co link in the post's text);
//   - links to twitter.com, x.com and their mobile hosts become x.com links, and a link to a status
//     becomes x.com/status/ID whatever handle it names (X ignores it);
//   - any other address loses its scheme, a leading "www." and trailing slashes, and its host is
//     lower-cased.
//
// A display URL cut short with an ellipsis ("whitehouse.gov/briefings…") keeps its ellipsis,
// written "…". The rest of the text is kept as it is.
func FoldLinks(text string) string {
	toks := tokens(text)
	var sb strings.Builder
	prev := 0
	for _, t := range toks {
		if t.kind != kindURL {
			continue
		}
		sb.WriteString(text[prev:t.start])
		sb.WriteString(t.norm)
		if t.cut {
			sb.WriteString("…")
		}
		prev = t.end
	}
	if prev == 0 {
		return text
	}
	sb.WriteString(text[prev:])
	return sb.String()
}

// linkKey returns the form FoldLinks writes the web address u in, without an ellipsis.
func linkKey(u string) string {
	s := u
	if i := strings.Index(s, "://"); i >= 0 && i <= len("https") {
		s = s[i+len("://"):]
	}
	h := strings.IndexAny(s, "/?#")
	if h < 0 {
		h = len(s)
	}
	host, rest := strings.ToLower(s[:h]), s[h:]
	host = strings.TrimPrefix(host, "www.")
	switch host {
	case "t.co", "pic.twitter.com", "pic.x.com":
		slug := strings.TrimPrefix(rest, "/")
		if k := strings.IndexAny(slug, "/?#"); k >= 0 {
			slug = slug[:k]
		}
		return "t.co/" + slug
	case "twitter.com", "x.com", "mobile.twitter.com", "mobile.x.com":
		if k := strings.IndexAny(rest, "?#"); k >= 0 {
			rest = rest[:k]
		}
		rest = strings.ToLower(strings.TrimRight(rest, "/"))
		// /HANDLE/status/ID, /i/web/status/ID and the like.
		if k := strings.Index(rest, "/status/"); k >= 0 {
			id := rest[k+len("/status/"):]
			if e := strings.IndexByte(id, '/'); e >= 0 {
				id = id[:e]
			}
			return "x.com/status/" + id
		}
		return "x.com" + rest
	}
	return host + strings.TrimRight(rest, "/")
}

// linksEqual reports whether the links x and y are one link, perhaps one of them shown cut short.
func linksEqual(x, y tok) bool {
	switch {
	case x.cut == y.cut:
		return x.norm == y.norm
	case y.cut:
		return strings.HasPrefix(x.norm, y.norm)
	default:
		return strings.HasPrefix(y.norm, x.norm)
	}
}

// decodeEntities decodes the HTML character references in s that end with a semicolon (X's API
// returns "&amp;", "&lt;" and "&gt;" in post texts). Ones without the semicolon are kept: in a text
// that is already decoded, "AT&T" and "&not" are meant as written.
func decodeEntities(s string) string {
	i := strings.IndexByte(s, '&')
	if i < 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	prev := 0
	for ; i >= 0 && i < len(s); i = next(s, i+1) {
		end := entityEnd(s, i)
		if end < 0 {
			continue
		}
		dec := html.UnescapeString(s[i:end])
		if dec == s[i:end] {
			continue
		}
		sb.WriteString(s[prev:i])
		sb.WriteString(dec)
		prev = end
	}
	if prev == 0 {
		return s
	}
	sb.WriteString(s[prev:])
	return sb.String()
}

// next returns the index of the next '&' in s at or after i, or -1.
func next(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	if k := strings.IndexByte(s[i:], '&'); k >= 0 {
		return i + k
	}
	return -1
}

// entityEnd returns the end of the character reference "&name;" or "&#123;" at s[i], or -1.
func entityEnd(s string, i int) int {
	const maxName = 32
	for j := i + 1; j < len(s) && j <= i+maxName; j++ {
		c := s[j]
		switch {
		case c == ';':
			if j == i+1 {
				return -1
			}
			return j + 1
		case c == '#' && j == i+1, isAlnum(c):
		default:
			return -1
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
