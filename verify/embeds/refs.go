package embeds

import (
	"net/url"
	"regexp"
	"strings"
)

// statusRef is what a status URL names: the post's id and, when the URL has one, its author's
// handle.
type statusRef struct {
	handle, id string
}

// parseStatus returns the status that the URL u points to; u must start with the status URL
// (after white space). See statusAt for the forms.
func parseStatus(u string) (statusRef, bool) {
	u = strings.TrimSpace(u)
	refs, ranges := statusRefs(u, 1)
	if len(refs) == 0 || ranges[0][0] != 0 {
		return statusRef{}, false
	}
	return refs[0], true
}

// statusRefsIn returns the status URLs written in s, with their byte ranges.
func statusRefsIn(s string) (refs []statusRef, ranges [][2]int) { return statusRefs(s, -1) }

// statusRefs returns the first n (all if n < 0) status URLs in s, with their byte ranges.
func statusRefs(s string, n int) (refs []statusRef, ranges [][2]int) {
	for i := 0; i < len(s) && n != 0; {
		k := indexFold(s[i:], "com/")
		if k < 0 {
			break
		}
		start, end, r, ok := statusAt(s, i+k)
		if !ok {
			i += k + 4
			continue
		}
		refs = append(refs, r)
		ranges = append(ranges, [2]int{start, end})
		i, n = end, n-1
	}
	return refs, ranges
}

// statusAt parses the status URL whose host ends in the "com/" at s[c:], if it is one: on
// twitter.com or x.com, with or without scheme ("https://", "//" or none) and www., mobile. or
// m. in front of the host; its path /HANDLE/status/ID, /HANDLE/statuses/ID, /#!/HANDLE/status/ID,
// /i/web/status/ID or /i/status/ID, followed by anything. A host name glued to something before it
// ("fox.com/…", "nottwitter.com/…") does not count. It is written out rather than a regular
// expression, which would be slow over a whole page.
func statusAt(s string, c int) (start, end int, r statusRef, ok bool) {
	switch {
	case c >= 8 && hasPrefixFold(s[c-8:], "twitter."):
		start = c - 8
	case c >= 2 && s[c-1] == '.' && (s[c-2] == 'x' || s[c-2] == 'X'):
		start = c - 2
	default:
		return 0, 0, r, false
	}
	for _, p := range []string{"www.", "mobile.", "m."} {
		if start >= len(p) && hasPrefixFold(s[start-len(p):], p) {
			start -= len(p)
			break
		}
	}
	scheme := false
	if start >= 2 && s[start-2:start] == "//" {
		start -= 2
		scheme = true
		for _, p := range []string{"https:", "http:"} {
			if start >= len(p) && hasPrefixFold(s[start-len(p):], p) {
				start -= len(p)
				break
			}
		}
	}
	if !scheme && start > 0 {
		if b := s[start-1]; isASCIIAlnum(b) || b == '.' || b == '-' || b == '_' || b == '@' {
			return 0, 0, r, false
		}
	}
	p := c + len("com/")
	if strings.HasPrefix(s[p:], "#!/") {
		p += 3
	}
	switch {
	case hasPrefixFold(s[p:], "i/web/status/"):
		p += len("i/web/status/")
	default:
		h := p
		for p < len(s) && p-h < 15 && isHandleByte(s[p]) {
			p++
		}
		if p == h || p >= len(s) || s[p] != '/' {
			return 0, 0, r, false
		}
		if r.handle = s[h:p]; strings.EqualFold(r.handle, "i") {
			r.handle = ""
		}
		p++
		switch {
		case hasPrefixFold(s[p:], "statuses/"):
			p += len("statuses/")
		case hasPrefixFold(s[p:], "status/"):
			p += len("status/")
		default:
			return 0, 0, r, false
		}
	}
	d := p
	for p < len(s) && p-d < 20 && '0' <= s[p] && s[p] <= '9' {
		p++
	}
	if r.id = strings.TrimLeft(s[d:p], "0"); r.id == "" {
		return 0, 0, r, false
	}
	return start, p, r, true
}

// indexFold returns the index of the first instance of the lower-case ASCII string sub in s,
// matched without regard to ASCII case, or -1.
func indexFold(s, sub string) int {
	first := string([]byte{sub[0], sub[0] - ('a' - 'A')})
	for i := 0; i+len(sub) <= len(s); {
		k := strings.IndexAny(s[i:], first)
		if k < 0 {
			return -1
		}
		i += k
		if hasPrefixFold(s[i:], sub) {
			return i
		}
		i++
	}
	return -1
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// widgetID returns the post id of a widget iframe's src: platform.twitter.com/embed/Tweet.html?id=ID
// (or index.html, or a status URL ending in /embed).
func widgetID(src string) (statusRef, bool) {
	if r, ok := parseStatus(src); ok {
		return r, true
	}
	if strings.HasPrefix(src, "//") {
		src = "https:" + src
	}
	u, err := url.Parse(strings.TrimSpace(src))
	if err != nil || !strings.HasSuffix(strings.ToLower(u.Host), "platform.twitter.com") || !strings.HasPrefix(u.Path, "/embed/") {
		return statusRef{}, false
	}
	id := u.Query().Get("id")
	if !allDigits(id) {
		return statusRef{}, false
	}
	return statusRef{id: strings.TrimLeft(id, "0")}, id != ""
}

// slugPattern matches the short links X puts in post text: pic.twitter.com/SLUG (pic.x.com/SLUG)
// for attached media and t.co/SLUG for every link.
var slugPattern = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9.\-])(?:https?://)?(?:pic\.(?:twitter|x)\.com|t\.co)/([A-Za-z0-9]{4,40})`)

// slugs appends to dst the slugs of the short links in s that dst does not hold yet.
func slugs(dst []string, s string) []string {
	for _, m := range slugPattern.FindAllStringSubmatch(s, -1) {
		dst = appendNew(dst, m[1])
	}
	return dst
}

// urlPattern matches a web address written in text (group 1 or 2), as Links reports it where no
// link element carries it. A bare host name must not continue a word or a longer host name.
var urlPattern = regexp.MustCompile(`(?i)(https?://[^\s<>"“”]+)|(?:^|[^\p{L}\p{N}_.@/-])((?:www\.|pic\.(?:twitter|x)\.com/|t\.co/)[^\s<>"“”]+)`)

// shortLink matches a t.co or pic.twitter.com link at the start of a string; its slug is
// alphanumeric, so whatever follows it without a space ("t.co/abc@JessKane11") is not part of it.
var shortLink = regexp.MustCompile(`(?i)^(?:https?://)?(?:t\.co|pic\.(?:twitter|x)\.com)/[A-Za-z0-9]+`)

// urlsIn returns the byte ranges of the web addresses written in s.
func urlsIn(s string, limit int) [][2]int {
	var out [][2]int
	for _, m := range urlPattern.FindAllStringSubmatchIndex(s, limit) {
		if m[2] < 0 {
			m[2], m[3] = m[4], m[5]
		}
		u := s[m[2]:m[3]]
		if sl := shortLink.FindString(u); sl != "" {
			u = sl
		} else {
			u = trimURL(u)
		}
		out = append(out, [2]int{m[2], m[2] + len(u)})
	}
	return out
}

// trimURL removes sentence punctuation that follows a URL in text.
func trimURL(u string) string {
	return strings.TrimRight(u, `.,;:!?)]}'’`)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != "" && len(s) <= 20
}

func isASCIIAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// appendNew appends s to list unless it is empty or already there.
func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
