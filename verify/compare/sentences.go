package compare

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations are words that, followed by a full stop, do not end a sentence ("Dr. Aliyev").
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true, "st": true,
	"mt": true, "vs": true, "etc": true, "gen": true, "gov": true, "sen": true, "rep": true, "col": true,
	"lt": true, "sgt": true, "capt": true, "cmdr": true, "adm": true, "rev": true, "hon": true,
	"pres": true, "no": true, "nos": true, "vol": true, "pp": true, "fig": true, "inc": true,
	"ltd": true, "co": true, "corp": true, "jan": true, "feb": true, "mar": true, "apr": true,
	"jun": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true,
	"dec": true, "approx": true, "est": true, "dept": true, "univ": true, "ave": true, "blvd": true,
	"al": true, "cf": true, "ca": true,
}

// isTerminator reports whether r can end a sentence.
func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '‼', '⁇', '⁈', '⁉':
		return true
	}
	return isWideTerminator(r)
}

// isWideTerminator reports whether r ends a sentence in a script that puts no space after it
// (Chinese and Japanese full stops), or in Arabic, Urdu or Devanagari.
func isWideTerminator(r rune) bool {
	switch r {
	case '。', '！', '？', '．', '؟', '۔', '।', '॥':
		return true
	}
	return false
}

// isCloser reports whether r is a closing quotation mark or bracket that stays with the sentence
// it follows.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', '›', ')', ']', '}', '」', '』', '）', '】':
		return true
	}
	return false
}

// splitSentences splits a paragraph into sentences, each trimmed of white space; line breaks
// always end a sentence. It is a simple splitter: a sentence ends at . ! ? or … (with any
// closing quotes or brackets after it) followed by white space and then something other than a
// lower-case letter, except after a known abbreviation ("Dr.", "etc."), a single letter (an
// initial, "J. D. Vance") or a word with dots inside ("U.S.", "e.g."). Decimals ("3.5") and
// addresses ("pic.twitter.com/x") have no space after the stop, so they never end a sentence.
// Chinese, Japanese, Arabic and Devanagari stops end a sentence without a following space.
//
// Getting every boundary right matters less than splitting both articles alike, which a
// deterministic splitter does.
func splitSentences(p string) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	start := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		if r == '\n' || r == '\r' {
			add(p[start:i])
			i += size
			start = i
			continue
		}
		if !isTerminator(r) {
			i += size
			continue
		}
		wide := isWideTerminator(r)
		stops := 0 // the number of terminators in the run, to tell "..." from "."
		j := i
		for j < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[j:])
			if !isTerminator(r2) {
				break
			}
			wide = wide || isWideTerminator(r2)
			stops++
			j += s2
		}
		for j < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[j:])
			if !isCloser(r2) {
				break
			}
			j += s2
		}
		if j >= len(p) {
			break
		}
		next, _ := utf8.DecodeRuneInString(p[j:])
		if !unicode.IsSpace(next) {
			if wide {
				add(p[start:j])
				start = j
			}
			i = j
			continue
		}
		k := j
		for k < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[k:])
			if !unicode.IsSpace(r2) || r2 == '\n' || r2 == '\r' {
				break
			}
			k += s2
		}
		after, _ := utf8.DecodeRuneInString(p[k:])
		if k < len(p) && unicode.IsLower(after) {
			i = j
			continue
		}
		if r == '.' && stops == 1 && isAbbreviation(p[start:i]) {
			i = j
			continue
		}
		add(p[start:j])
		start = j
		i = j
	}
	add(p[start:])
	return out
}

// isAbbreviation reports whether the text before a full stop ends in an abbreviation, an
// initial or a word with dots inside.
func isAbbreviation(before string) bool {
	k := len(before)
	for k > 0 {
		r, size := utf8.DecodeLastRuneInString(before[:k])
		if !unicode.IsLetter(r) && r != '.' {
			break
		}
		k -= size
	}
	word := before[k:]
	if k > 0 {
		// Only a word on its own: not the end of "pic.twitter.com/AEfulNuR0q".
		r, _ := utf8.DecodeLastRuneInString(before[:k])
		if !unicode.IsSpace(r) && !strings.ContainsRune("(\"'“‘[«", r) {
			return false
		}
	}
	switch {
	case word == "":
		return false
	case strings.Contains(word, "."):
		return true
	case utf8.RuneCountInString(word) == 1:
		return true
	}
	return abbreviations[strings.ToLower(word)]
}
