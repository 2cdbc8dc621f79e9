package embeds

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// quoteFinder finds quotations in prose that the text attributes to a watched account.
type quoteFinder struct {
	before, after *regexp.Regexp
	handleOf      map[string]string // lower-cased name or @handle → handle
}

const verbAlt = `wrote|writes|write|posted|posts|tweeted|tweets|shared|shares|replied|replies|responded|responds|added|adds|declared|declares|announced|announces|continued|continues|quipped|quips|retweeted|reposted|said|says`

var (
	// saidOnline is what turns "said" into a post: "said on X", "said in a post".
	saidOnline = regexp.MustCompile(`(?i)\b(?:on (?:X|Twitter|social media)|in an? (?:post|tweet|reply|message)(?: on (?:X|Twitter))?|online)\b`)
	// notAPost marks a quotation from somewhere else than a post.
	notAPost = regexp.MustCompile(`(?i)\b(?:book|op-?ed|column|article|essay|memoir|letter|speech|interview|statement|press release|remarks|told)\b`)
)

// newQuoteFinder returns a finder for the accounts in opts, or nil if there are none.
func newQuoteFinder(opts Options) *quoteFinder {
	handles := make([]string, 0, len(opts.Watched)+len(opts.Names))
	for _, h := range opts.Watched {
		handles = appendNew(handles, strings.TrimPrefix(strings.TrimSpace(h), "@"))
	}
	var extra []string
	for h := range opts.Names {
		extra = append(extra, strings.TrimPrefix(strings.TrimSpace(h), "@"))
	}
	slices.Sort(extra)
	for _, h := range extra {
		handles = appendNew(handles, h)
	}
	q := &quoteFinder{handleOf: map[string]string{}}
	add := func(name, handle string) {
		name = strings.Join(strings.Fields(name), " ")
		if key := strings.ToLower(name); name != "" && q.handleOf[key] == "" {
			q.handleOf[key] = handle
		}
	}
	for _, h := range handles {
		if !validHandle(h) {
			continue
		}
		add("@"+h, h)
		for _, n := range opts.Names[h] {
			add(n, h)
		}
		for _, n := range opts.Names["@"+h] {
			add(n, h)
		}
	}
	if len(q.handleOf) == 0 {
		return nil
	}
	names := make([]string, 0, len(q.handleOf))
	for n := range q.handleOf {
		names = append(names, n)
	}
	// Longest first, so that "JD Vance" is preferred to "Vance".
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	for i, n := range names {
		names[i] = strings.ReplaceAll(regexp.QuoteMeta(n), " ", `\s+`)
	}
	nameAlt := strings.Join(names, "|")
	const notWord = `[^\p{L}\p{N}_@]`
	// NAME ... VERB ... right before the opening quotation mark, in one sentence:
	// "Vance wrote: “", "@VP posted that “", "Vance, in Baku, wrote on X on Tuesday: “".
	q.before = regexp.MustCompile(`(?i)(?:^|` + notWord + `)(` + nameAlt + `)(?:['’]s)?(?:` + notWord + `[^“”"]{0,80}?)?\b(` + verbAlt + `)\b([^“”".!?]{0,60})$`)
	// Right after the closing quotation mark: “…,” the Vice President wrote on X; “…” wrote Vance.
	q.after = regexp.MustCompile(`(?i)^[\s,;:]*(?:[—–-]\s*)?(?:(` + nameAlt + `)(?:['’]s)?(?:` + notWord + `[^“”".!?]{0,60}?)?\b(` + verbAlt + `)\b|(` + verbAlt + `)\s+(` + nameAlt + `)(?:` + notWord + `|$))`)
	return q
}

func validHandle(h string) bool {
	if h == "" || len(h) > 15 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isHandleByte(h[i]) {
			return false
		}
	}
	return true
}

// quoteSpan is a quotation in the text: the opening mark at open, the quoted text at
// text[start:end], the closing mark ending at close.
type quoteSpan struct{ open, start, end, close int }

const maxQuoteBytes = 4000

// quoteSpans returns the quotations in text: pairs of curly double quotes, or of straight ones,
// on one line.
func quoteSpans(text []byte) []quoteSpan {
	var out []quoteSpan
	curly, straight := -1, -1
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\n':
			curly, straight = -1, -1
		case c == '"':
			if straight < 0 {
				straight = i
			} else {
				out = appendQuote(out, quoteSpan{straight, straight + 1, i, i + 1})
				straight = -1
			}
		case c == 0xE2 && i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x9C: // “
			curly = i
			i += 2
		case c == 0xE2 && i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x9D: // ”
			if curly >= 0 {
				out = appendQuote(out, quoteSpan{curly, curly + 3, i, i + 3})
				curly = -1
			}
			i += 2
		}
	}
	slices.SortFunc(out, func(a, b quoteSpan) int { return cmp.Compare(a.open, b.open) })
	return out
}

func appendQuote(out []quoteSpan, q quoteSpan) []quoteSpan {
	if q.end-q.start < 2 || q.end-q.start > maxQuoteBytes {
		return out
	}
	return append(out, q)
}

// quote is a quotation attributed to a watched account.
type quote struct {
	span         quoteSpan
	handle, name string
	text         string
	context      string
}

// maxQuotations is the most quotations examined in one input; an article has dozens.
const maxQuotations = 10000

const attrWindow = 200 // how far before or after a quotation its attribution is looked for

// find returns the quotations in text, outside the claimed ranges, that are attributed to a watched
// account.
func (q *quoteFinder) find(text []byte, claims ranges) []quote {
	var out []quote
	for n, s := range quoteSpans(text) {
		if n >= maxQuotations {
			break
		}
		if claims.overlaps(s.open, s.close) {
			continue
		}
		ls := lineStart(text, max(0, s.open-attrWindow), s.open)
		le := lineEnd(text, s.close, min(len(text), s.close+attrWindow))
		beforeText := string(text[ls:s.open])
		if i := lastSentenceEnd(beforeText); i >= 0 {
			beforeText = beforeText[i:]
		}
		from, to := s.open-len(beforeText), s.close
		var name, verb, attr string // attr: the attribution, with the rest of its sentence before the quote
		if m := q.before.FindStringSubmatchIndex(beforeText); m != nil {
			name, verb, attr = beforeText[m[2]:m[3]], beforeText[m[4]:m[5]], beforeText
			from += m[2]
		} else if m := q.after.FindStringSubmatchIndex(string(text[s.close:le])); m != nil {
			after := string(text[s.close:le])
			if m[2] >= 0 {
				name, verb = after[m[2]:m[3]], after[m[4]:m[5]]
			} else {
				verb, name = after[m[6]:m[7]], after[m[8]:m[9]]
			}
			attr = after[:m[1]]
			to += m[1]
		} else {
			continue
		}
		handle := q.handleOf[strings.ToLower(strings.Join(strings.Fields(name), " "))]
		if handle == "" || notAPost.MatchString(attr) {
			continue
		}
		ctx := sentenceAround(text, ls, le, from, to, s)
		if v := strings.ToLower(verb); (v == "said" || v == "says") && !saidOnline.MatchString(ctx) {
			continue
		}
		quoted := strings.TrimSpace(string(text[s.start:s.end]))
		quoted = strings.TrimRightFunc(strings.TrimSuffix(quoted, ","), unicode.IsSpace)
		if !strings.ContainsFunc(quoted, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		out = append(out, quote{span: s, handle: handle, name: name, text: quoted, context: ctx})
	}
	return out
}

// lastSentenceEnd returns where the last sentence that ends in s is over (after ". ", "! " or
// "? "), or -1.
func lastSentenceEnd(s string) int {
	for i := len(s) - 2; i >= 0; i-- {
		if (s[i] == '.' || s[i] == '!' || s[i] == '?') && (s[i+1] == ' ' || s[i+1] == '\t') {
			return i + 2
		}
	}
	return -1
}

const maxContextBytes = 600

// sentenceAround returns the sentence that holds text[from:to] (a quotation and its attribution),
// within the line text[ls:le].
func sentenceAround(text []byte, ls, le, from, to int, s quoteSpan) string {
	end := le
	if to == s.close {
		// The attribution came first: the sentence ends with the quotation if the quotation ends
		// with a full stop, and otherwise at the next one.
		inner := strings.TrimRightFunc(string(text[s.start:s.end]), unicode.IsSpace)
		if strings.HasSuffix(inner, ".") || strings.HasSuffix(inner, "!") || strings.HasSuffix(inner, "?") {
			end = s.close
		}
	}
	if end != s.close {
		rest := string(text[to:le])
		for i := 0; i < len(rest); i++ {
			if c := rest[i]; (c == '.' || c == '!' || c == '?') && (i+1 == len(rest) || rest[i+1] == ' ') {
				end = to + i + 1
				break
			}
		}
	}
	start := max(ls, from)
	if from > ls {
		if i := lastSentenceEnd(string(text[ls:from])); i >= 0 {
			start = ls + i
		} else {
			start = ls
		}
	}
	return clip(strings.TrimSpace(string(text[start:end])), maxContextBytes)
}

// clip shortens s to at most n bytes, cutting at a rune boundary and marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
