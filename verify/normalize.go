package verify

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize folds s for comparing quoted text with its original, so that differences a reader
// cannot see, or that typesetting introduced, do not count:
//
//   - canonical composition, NFC-like: a base letter followed by combining marks in canonical
//     order is joined into the precomposed letter ("e\u0301" → "é"; Hangul jamo into syllables),
//     and characters NFC replaces by a single other character are replaced (Ω sign → Ω). Marks in
//     non-canonical order are not reordered;
//   - typographic variants: curly and low quotes, primes, guillemets and the acute accent used as
//     an apostrophe become ' or "; hyphens, dashes and the minus sign become -; … becomes ...;
//     the ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ are spelt out; fullwidth ASCII becomes ASCII;
//   - invisible characters are removed: control characters, soft hyphen, zero-width space and
//     non-joiner, word joiner, byte-order mark, bidirectional marks and isolates, and the zero-width
//     joiner and tag characters except inside an emoji sequence (👩‍💻, 🏴󠁧󠁢󠁳󠁣󠁴󠁿), where they are kept;
//   - every run of white space (including no-break, thin, ideographic and other Unicode spaces,
//     tabs and line breaks) becomes one ASCII space, and leading and trailing space is removed;
//   - letters are lower-cased (simple case mapping).
//
// Emoji, including variation selectors and skin-tone modifiers, and all other characters are kept as
// they are. Invalid UTF-8 bytes become U+FFFD. Normalize is idempotent.
func Normalize(s string) string {
	if isPlain(s) {
		return s
	}
	out := make([]rune, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			space = len(out) > 0
			continue
		case r == zwj || isTag(r):
			if space || len(out) == 0 || !joinsEmoji(r, out[len(out)-1], s[i:]) {
				continue
			}
		case isInvisible(r):
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = appendFolded(out, r)
	}
	return string(out)
}

// isPlain reports whether s is already normalised in the common case: printable ASCII without
// upper-case letters, with single spaces between non-space characters.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c < ' ' || c == 0x7F || ('A' <= c && c <= 'Z'):
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' '):
			return false
		}
	}
	return true
}

// appendFolded appends the folded form of r (not white space, not invisible) to out, composing it
// with the last rune of out where canonical composition would.
func appendFolded(out []rune, r rune) []rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(out, r)
	}
	r = decomposeSingleton(r)
	if q := foldQuote(r); q != 0 {
		return append(out, q)
	}
	switch r {
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\u2E3A', '\u2E3B', '\uFE58', '\uFE63':
		return append(out, '-')
	case '\u2026':
		return append(out, '.', '.', '.')
	case '\uFB00':
		return append(out, 'f', 'f')
	case '\uFB01':
		return append(out, 'f', 'i')
	case '\uFB02':
		return append(out, 'f', 'l')
	case '\uFB03':
		return append(out, 'f', 'f', 'i')
	case '\uFB04':
		return append(out, 'f', 'f', 'l')
	case '\uFB05', '\uFB06':
		return append(out, 's', 't')
	}
	if '\uFF01' <= r && r <= '\uFF5E' { // fullwidth ASCII
		r -= 0xFF01 - '!'
	}
	r = unicode.ToLower(r)
	if n := len(out); n > 0 {
		if c, ok := compose(out[n-1], r); ok {
			out[n-1] = c
			return out
		}
	}
	return append(out, r)
}

// foldQuote returns ' or " for a typographic variant of a quotation mark or apostrophe, or 0.
func foldQuote(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '\u2035', '\u02BC', '\u00B4', '\u2039', '\u203A', '\uFF07':
		return '\''
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u2036', '\u00AB', '\u00BB', '\u301D', '\u301E', '\u301F', '\uFF02':
		return '"'
	}
	return 0
}

// isApostrophe reports whether r can stand for an apostrophe inside a word ("don't", "Vance’s").
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201B', '\u2032', '\u02BC', '\u00B4', '\uFF07':
		return true
	}
	return false
}

const zwj = '\u200D' // zero-width joiner

// isInvisible reports whether r is a control or format character that has no visible form of its
// own and is dropped by Normalize (the zero-width joiner and tags only outside emoji sequences).
// White space is not invisible.
func isInvisible(r rune) bool {
	switch {
	case r < ' ' || ('\u007F' <= r && r < '\u00A0'):
		return !unicode.IsSpace(r)
	case r < '\u00AD':
		return false
	case r == '\u00AD', r == '\u034F', r == '\u061C', r == '\u180E', r == '\uFEFF':
		return true
	case '\u200B' <= r && r <= '\u200F', '\u202A' <= r && r <= '\u202E', '\u2060' <= r && r <= '\u2064', '\u2066' <= r && r <= '\u206F':
		return true
	}
	return isTag(r)
}

// isTag reports whether r is a tag character, used in emoji flags of subdivisions (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
func isTag(r rune) bool { return '\U000E0000' <= r && r <= '\U000E007F' }

// isPictograph reports whether r is a non-ASCII "other symbol", the category of emoji.
func isPictograph(r rune) bool { return r >= utf8.RuneSelf && unicode.Is(unicode.So, r) }

// isSkinTone reports whether r is an emoji modifier (skin tone).
func isSkinTone(r rune) bool { return '\U0001F3FB' <= r && r <= '\U0001F3FF' }

// inEmoji reports whether r can end the part of an emoji sequence that a zero-width joiner or a tag
// character continues: a pictograph, a skin tone, a variation selector or a tag.
func inEmoji(r rune) bool {
	return isPictograph(r) || isSkinTone(r) || r == '\uFE0F' || isTag(r)
}

// joinsEmoji reports whether the zero-width joiner or tag r, following prev and followed by rest,
// is part of an emoji sequence.
func joinsEmoji(r, prev rune, rest string) bool {
	if !inEmoji(prev) {
		return false
	}
	if r != zwj {
		return true
	}
	next, _ := utf8.DecodeRuneInString(rest)
	return isPictograph(next)
}

// decomposeSingleton returns the character NFC puts in place of r, or r.
func decomposeSingleton(r rune) rune {
	if r < singletons[0].from || r > singletons[len(singletons)-1].from {
		return r
	}
	i := sort.Search(len(singletons), func(i int) bool { return singletons[i].from >= r })
	if i < len(singletons) && singletons[i].from == r {
		return singletons[i].to
	}
	return r
}

// Hangul syllable composition, as specified in chapter 3.12 of the Unicode standard.
const (
	hangulS, hangulL, hangulV, hangulT = 0xAC00, 0x1100, 0x1161, 0x11A7
	hangulLCount, hangulVCount         = 19, 21
	hangulTCount                       = 28
	hangulSCount                       = hangulLCount * hangulVCount * hangulTCount
)

// compose returns the canonical composition of base followed by mark, if there is one.
func compose(base, mark rune) (rune, bool) {
	switch {
	case hangulV <= mark && mark < hangulV+hangulVCount && hangulL <= base && base < hangulL+hangulLCount:
		return hangulS + ((base-hangulL)*hangulVCount+mark-hangulV)*hangulTCount, true
	case hangulT < mark && mark < hangulT+hangulTCount && hangulS <= base && base < hangulS+hangulSCount && (base-hangulS)%hangulTCount == 0:
		return base + mark - hangulT, true
	case mark < compositions[0].mark || mark > compositions[len(compositions)-1].mark:
		return 0, false
	}
	i := sort.Search(len(compositions), func(i int) bool {
		c := compositions[i]
		return c.mark > mark || (c.mark == mark && c.base >= base)
	})
	if i < len(compositions) && compositions[i].mark == mark && compositions[i].base == base {
		return compositions[i].composed, true
	}
	return 0, false
}

// Kind is the sort of token a Word is.
type Kind uint8

const (
	// KindWord is a run of letters, digits and combining marks, with apostrophes inside it
	// ("don't", "Vance’s") and with . or , between digits ("1,000.5"). Each Han, Hiragana or
	// Katakana character is a word of its own, as those scripts do not separate words by spaces.
	KindWord Kind = iota
	// KindURL is a web address: one starting with http:// or https:// or www., or a domain name
	// followed by a path (pic.twitter.com/AEfulNuR0q). Trailing sentence punctuation and an
	// unbalanced closing bracket are not part of it.
	KindURL
	// KindHandle is an @handle (@VP), or a fediverse @user@example.social.
	KindHandle
	// KindTag is a #hashtag.
	KindTag
	// KindEmoji is an emoji with its modifiers and joined parts (👍🏽, 👩‍💻, 🇺🇸, 1️⃣), or another
	// non-ASCII symbol (©, ♥).
	KindEmoji
	// KindPunct is a single punctuation mark or other symbol, or a run of full stops and ellipses
	// ("..." and "…" are one token each).
	KindPunct
)

var kindNames = [...]string{"word", "url", "handle", "tag", "emoji", "punct"}

// String returns the kind's name in lower case ("word", "url", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Word is one token of a text, as returned by Words.
type Word struct {
	// Text is the token as it appears in the text: Text == s[Start:End].
	Text string
	// Norm is what tokens are compared by: Normalize(Text), except for a URL, where only the
	// scheme and host are lower-cased and the rest is kept, as paths are case-sensitive.
	Norm string
	// Start and End are the token's byte offsets in the text.
	Start, End int
	// Kind tells what sort of token it is.
	Kind Kind
}

// Words splits s into tokens: words, URLs, @handles, #tags, emoji and punctuation marks, in order.
// White space and invisible characters (see Normalize) separate tokens and belong to none, except
// that an invisible character between two letters (a soft hyphen, a zero-width space) does not split
// the word. See Kind for what each token holds. Every byte of s that is not white space or invisible
// is in exactly one token, so the text between tokens is only white space and invisible characters.
// Typographic variants yield the same tokens: "Vance's" and "Vance’s" are one word each, "…" and
// "..." one token each.
func Words(s string) []Word {
	words := make([]Word, 0, len(s)/6+1)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) || isInvisible(r) {
			i += size
			continue
		}
		end, kind := scanToken(s, i, r, size)
		w := Word{Text: s[i:end], Start: i, End: end, Kind: kind}
		if kind == KindURL {
			w.Norm = normalizeURL(w.Text)
		} else {
			w.Norm = Normalize(w.Text)
		}
		words = append(words, w)
		i = end
	}
	return words
}

// scanToken returns the end and kind of the token that starts at s[i] with r, size bytes long.
func scanToken(s string, i int, r rune, size int) (int, Kind) {
	j := i + size
	switch {
	case ('0' <= r && r <= '9') || r == '#' || r == '*':
		if strings.HasPrefix(s[j:], "\uFE0F\u20E3") {
			return j + len("\uFE0F\u20E3"), KindEmoji
		}
		if strings.HasPrefix(s[j:], "\u20E3") {
			return j + len("\u20E3"), KindEmoji
		}
	}
	if isAlnumByte(r) {
		if end := scanURL(s[i:]); end > 0 {
			return i + end, KindURL
		}
	}
	if (r == '@' || r == '#') && !wordBefore(s, i) {
		end := j
		if r == '@' {
			end = scanHandle(s, j)
		} else {
			for end < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[end:])
				if !isWordRune(r2) && r2 != '_' {
					break
				}
				end += size2
			}
		}
		if end > j {
			if r == '@' {
				return end, KindHandle
			}
			return end, KindTag
		}
	}
	switch {
	case isWordRune(r):
		if isIdeograph(r) {
			return skipMarks(s, j), KindWord
		}
		return scanWord(s, j, r), KindWord
	case r == '.' || r == '…':
		for j < len(s) {
			if s[j] == '.' {
				j++
			} else if strings.HasPrefix(s[j:], "…") {
				j += len("…")
			} else {
				break
			}
		}
		return j, KindPunct
	case r == utf8.RuneError: // also an invalid byte
		return j, KindPunct
	case isPictograph(r) || isSkinTone(r):
		return scanEmoji(s, j, r), KindEmoji
	}
	return skipMarks(s, j), KindPunct
}

// scanWord returns the end of the word that starts before s[j] with first.
func scanWord(s string, j int, first rune) int {
	prev := first
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		next := j + size
		switch {
		case isWordRune(r) && !isIdeograph(r):
			prev = r
			j = next
			continue
		case isInvisible(r):
			// Invisible characters inside a word do not split it.
			for next < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[next:])
				if !isInvisible(r2) {
					break
				}
				next += size2
			}
			if r2, _ := utf8.DecodeRuneInString(s[next:]); isWordRune(r2) && !isIdeograph(r2) {
				j = next
				continue
			}
		case isApostrophe(r):
			if r2, _ := utf8.DecodeRuneInString(s[next:]); unicode.IsLetter(r2) && !isIdeograph(r2) {
				prev = r
				j = next
				continue
			}
		case r == '.' || r == ',':
			if r2, _ := utf8.DecodeRuneInString(s[next:]); unicode.IsDigit(prev) && unicode.IsDigit(r2) {
				prev = r
				j = next
				continue
			}
		}
		break
	}
	return j
}

// scanEmoji returns the end of the emoji sequence that starts before s[j] with first.
func scanEmoji(s string, j int, first rune) int {
	if isRegionalIndicator(first) { // a flag is a pair of regional indicators
		if r, size := utf8.DecodeRuneInString(s[j:]); isRegionalIndicator(r) {
			j += size
		}
		return skipMarks(s, j)
	}
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		switch {
		case unicode.Is(unicode.M, r) || isTag(r) || isSkinTone(r):
			j += size
		case r == zwj:
			r2, size2 := utf8.DecodeRuneInString(s[j+size:])
			if !isPictograph(r2) {
				return j
			}
			j += size + size2
		default:
			return j
		}
	}
	return j
}

func isRegionalIndicator(r rune) bool { return '\U0001F1E6' <= r && r <= '\U0001F1FF' }

// skipMarks returns the index after the combining marks that start at s[j].
func skipMarks(s string, j int) int {
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if r < utf8.RuneSelf || !unicode.Is(unicode.M, r) {
			break
		}
		j += size
	}
	return j
}

// scanHandle returns the end of the @handle whose name starts at s[j], or j if there is none.
func scanHandle(s string, j int) int {
	k := j
	for k < len(s) && (isAlnumByte(rune(s[k])) || s[k] == '_') {
		k++
	}
	if k > j && k < len(s) && s[k] == '@' {
		if d := domainLen(s[k+1:]); d > 0 {
			k += 1 + d
		}
	}
	return k
}

// scanURL returns the length of the URL at the start of s, or 0 if s does not start with one.
func scanURL(s string) int {
	var head int // what must precede the rest: the scheme, or the domain
	switch {
	case hasPrefixFold(s, "https://"):
		head = len("https://")
	case hasPrefixFold(s, "http://"):
		head = len("http://")
	case hasPrefixFold(s, "www."):
		head = domainLen(s)
		if head == 0 {
			return 0
		}
	default:
		head = domainLen(s)
		if head == 0 || head == len(s) || s[head] != '/' {
			return 0
		}
	}
	end := head
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !isURLRune(r) {
			break
		}
		end += size
	}
	end = trimURL(s, head, end)
	if end == head && s[head-1] == '/' { // a scheme and nothing else
		return 0
	}
	return end
}

// trimURL returns end without the punctuation that ends the sentence around the URL s[:end] rather
// than the URL, keeping at least head bytes.
func trimURL(s string, head, end int) int {
	for end > head {
		switch s[end-1] {
		case '.', ',', ';', ':', '!', '?', '\'', '"', '*':
		case ')':
			if strings.Count(s[:end], "(") >= strings.Count(s[:end], ")") {
				return end
			}
		case ']':
			if strings.Count(s[:end], "[") >= strings.Count(s[:end], "]") {
				return end
			}
		default:
			return end
		}
		end--
	}
	return end
}

// isURLRune reports whether r can be part of a URL as written in running text.
func isURLRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r != 0x7F && !strings.ContainsRune("<>\"`{}|\\^", r)
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.M, r)
}

// domainLen returns the length of the domain name at the start of s (at least two dot-separated
// labels of ASCII letters, digits and hyphens, the last of two or more letters), or 0.
func domainLen(s string) int {
	end, labels, last := 0, 0, ""
	for i := 0; ; {
		j := i
		for j < len(s) && (isAlnumByte(rune(s[j])) || (s[j] == '-' && j > i)) {
			j++
		}
		if j == i {
			break
		}
		labels++
		end, last = j, s[i:j]
		if j == len(s) || s[j] != '.' {
			break
		}
		i = j + 1
	}
	if labels < 2 || len(last) < 2 {
		return 0
	}
	for i := 0; i < len(last); i++ {
		if c := last[i] | 0x20; c < 'a' || c > 'z' {
			return 0
		}
	}
	return end
}

// normalizeURL lower-cases the scheme and host of the URL u and keeps the rest.
func normalizeURL(u string) string {
	h := 0
	if i := strings.Index(u, "://"); i >= 0 {
		h = i + len("://")
	}
	for h < len(u) && u[h] != '/' && u[h] != '?' && u[h] != '#' {
		h++
	}
	if strings.IndexFunc(u[:h], unicode.IsUpper) < 0 {
		return u
	}
	return strings.ToLower(u[:h]) + u[h:]
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isAlnumByte(r rune) bool {
	return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}

// isWordRune reports whether r can be part of a word: a letter, digit or combining mark.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isAlnumByte(r)
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.M, r)
}

// wordBefore reports whether the character before s[i] is part of a word, so that an @ or # at s[i]
// does not start a handle or tag (as in an e-mail address).
func wordBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i > 0 && (isWordRune(r) || r == '_')
}

// isIdeograph reports whether r is a Han, Hiragana or Katakana character.
func isIdeograph(r rune) bool {
	return r >= '\u2E80' && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r))
}
