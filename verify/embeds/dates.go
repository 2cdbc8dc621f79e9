package embeds

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// monthNames maps month names and their usual abbreviations, lower-cased, to months, in the
// languages whose embed code and pages show dates in words: English, Spanish, French, German,
// Portuguese, Italian and Dutch. Forms with their accents lost ("fevrier", "marz") are here too.
var monthNames = map[string]time.Month{
	// English
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "nov": 11, "dec": 12,
	// Spanish
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
	"agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
	"ene": 1, "abr": 4, "ago": 8, "dic": 12,
	// French
	"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
	"juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
	"décembre": 12, "decembre": 12,
	"janv": 1, "févr": 2, "fevr": 2, "fév": 2, "fev": 2, "avr": 4, "juil": 7, "déc": 12,
	// German
	"januar": 1, "jänner": 1, "jaenner": 1, "februar": 2, "feber": 2, "märz": 3, "maerz": 3,
	"marz": 3, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
	"jän": 1, "mär": 3, "mrz": 3, "okt": 10, "dez": 12,
	// Portuguese
	"janeiro": 1, "fevereiro": 2, "março": 3, "marco": 3, "maio": 5, "junho": 6, "julho": 7,
	"setembro": 9, "outubro": 10, "dezembro": 12,
	"set": 9, "out": 10,
	// Italian
	"gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
	"settembre": 9, "ottobre": 10,
	"gen": 1, "mag": 5, "giu": 6, "lug": 7, "ott": 10,
	// Dutch
	"januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8,
	"mrt": 3,
}

// cjkUnits are the year, month and day markers of dates written the Chinese and Japanese way
// ("2026年2月10日") and the Korean way ("2026년 2월 10일").
var cjkUnits = [][3]string{{"年", "月", "日"}, {"년", "월", "일"}}

// maxDateSpaces is the most white space taken between two parts of a date.
const maxDateSpaces = 3

// parseDatePrefix parses a date at the start of s, as an attribution line shows it, and returns it
// (midnight UTC) with the number of bytes it took. It knows these forms:
//
//   - month names in English, Spanish, French, German, Portuguese, Italian and Dutch (monthNames),
//     full or abbreviated, with or without a period after them: day first ("10 February 2026",
//     "10. Februar 2026", "9 de febrero de 2026", "10 feb. 2026", "10th of February 2026",
//     "1er février 2026") or month first ("February 10, 2026", "Feb. 10th 2026", "febrero 10 de
//     2026");
//   - numbers: "2026-02-10" and "2026/02/10" (year first), "10.02.2026" (day first), "10/02/2026" and
//     "10-02-2026" (day or month first);
//   - Chinese, Japanese and Korean: "2026年2月10日", "2026년 2월 10일", full-width digits allowed.
//
// The year has four digits, from 1990 to 2200, and nothing but the end of s, white space or
// punctuation may follow the date. A bare year or number is not a date. When a numeric date can be
// read both ways ("03/02/2026" is 3 February or March 2), ok is true, so that the attribution line
// is still recognised, but the time is zero: which day the page meant is unknown.
func parseDatePrefix(s string) (t time.Time, n int, ok bool) {
	p := dateScanner{s: s}
	var y, m, d int
	var ambiguous bool
	if v, k := p.num(); k > 0 {
		switch {
		case k == 4:
			y, m, d, ok = p.yearFirst(v)
		case k <= 2:
			y, m, d, ambiguous, ok = p.dayFirst(v)
		}
	} else {
		y, m, d, ok = p.monthFirst()
	}
	if !ok || !p.atEnd() || y < 1990 || y > 2200 {
		return time.Time{}, 0, false
	}
	if ambiguous {
		return time.Time{}, p.i, true
	}
	t = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d || int(t.Month()) != m {
		return time.Time{}, 0, false
	}
	return t, p.i, true
}

// ParseDate parses the date an embed shows, in any of the forms parseDatePrefix knows ("February
// 10, 2026", "10 de febrero de 2026", "10.02.2026", "2026年2月10日"), with nothing else around it
// but white space. The result is midnight UTC of that calendar day. A numeric date that can be read
// two ways ("03/02/2026") does not parse.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, n, ok := parseDatePrefix(s)
	return t, ok && n == len(s) && !t.IsZero()
}

// dateScanner reads a date from the start of s; i is how far it has read.
type dateScanner struct {
	s string
	i int
}

// peek returns the rune at i and its size, or utf8.RuneError and 0 at the end.
func (p *dateScanner) peek() (rune, int) {
	if p.i >= len(p.s) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(p.s[p.i:])
}

// space skips up to maxDateSpaces spaces on one line (not line breaks) and reports whether there
// were any.
func (p *dateScanner) space() bool {
	n := 0
	for n < maxDateSpaces {
		r, size := p.peek()
		if r != ' ' && r != '\t' && r != '\u00A0' && r != '\u2009' && r != '\u202F' && !isBidiMark(r) {
			break
		}
		p.i += size
		n++
	}
	return n > 0
}

// num reads a run of digits (ASCII or full-width) and returns its value and length in digits, 0 if
// there is none. A run longer than 6 digits counts as 7 digits, too long for any part of a date.
func (p *dateScanner) num() (v, k int) {
	for {
		r, size := p.peek()
		var digit int
		switch {
		case '0' <= r && r <= '9':
			digit = int(r - '0')
		case '０' <= r && r <= '９':
			digit = int(r - '０')
		default:
			return v, min(k, 7)
		}
		if k < 7 {
			v = v*10 + digit
		}
		p.i += size
		k++
	}
}

// year reads a four-digit year.
func (p *dateScanner) year() (int, bool) {
	v, k := p.num()
	return v, k == 4
}

// lit reads s if it comes next.
func (p *dateScanner) lit(s string) bool {
	if strings.HasPrefix(p.s[p.i:], s) {
		p.i += len(s)
		return true
	}
	return false
}

// byteIn reads the next byte if it is one of set, and returns it, or 0.
func (p *dateScanner) byteIn(set string) byte {
	if p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
		return p.s[p.i-1]
	}
	return 0
}

// word reads a run of letters and returns it lower-cased, without combining marks (so that a
// decomposed "février" reads as "fevrier"); it returns "" and reads nothing if no letter is next.
func (p *dateScanner) word() string {
	start := p.i
	var b strings.Builder
	for {
		r, size := p.peek()
		if size == 0 || !(unicode.IsLetter(r) || unicode.Is(unicode.Mn, r)) {
			break
		}
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
		p.i += size
		if p.i-start > 32 {
			break // longer than any month name
		}
	}
	return b.String()
}

// month reads a month name or abbreviation and the period that may follow it.
func (p *dateScanner) month() (int, bool) {
	m, ok := monthNames[p.word()]
	if !ok {
		return 0, false
	}
	p.byteIn(".")
	return int(m), true
}

// particle reads one of words ("de", "of") and the space after it, if they come next.
func (p *dateScanner) particle(words ...string) {
	save := p.i
	w := p.word()
	for _, x := range words {
		if w == x && p.space() {
			return
		}
	}
	p.i = save
}

// ordinal reads the ordinal suffix that may follow a day ("10th", "1er", "1º"), if it comes next.
func (p *dateScanner) ordinal() {
	for _, suf := range []string{"º", "°", "ª"} {
		if p.lit(suf) {
			return
		}
	}
	save := p.i
	switch p.word() {
	case "st", "nd", "rd", "th", "er":
		return
	}
	p.i = save
}

// atEnd reports whether the date may end at i: at the end of s, or before something that is not
// a letter, a digit or "_".
func (p *dateScanner) atEnd() bool {
	r, size := p.peek()
	return size == 0 || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_')
}

// yearFirst reads the rest of a date that starts with its year y: "2026-02-10", "2026/02/10",
// "2026年2月10日", "2026년 2월 10일".
func (p *dateScanner) yearFirst(y int) (yy, m, d int, ok bool) {
	save := p.i
	p.space()
	for _, u := range cjkUnits {
		if !p.lit(u[0]) {
			continue
		}
		p.space()
		m, km := p.num()
		p.space()
		if km == 0 || km > 2 || !p.lit(u[1]) {
			return 0, 0, 0, false
		}
		p.space()
		d, kd := p.num()
		p.space()
		if kd == 0 || kd > 2 || !p.lit(u[2]) {
			return 0, 0, 0, false
		}
		return y, m, d, true
	}
	p.i = save
	sep := p.byteIn("-/.")
	if sep == 0 {
		return 0, 0, 0, false
	}
	m, km := p.num()
	if km == 0 || km > 2 || p.byteIn(string(sep)) == 0 {
		return 0, 0, 0, false
	}
	d, kd := p.num()
	if kd == 0 || kd > 2 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// dayFirst reads the rest of a date that starts with the number a, a day or (in "02/10/2026") a
// month: "10.02.2026", "10/02/2026", "10-02-2026", "10 February 2026", "10. Februar 2026",
// "9 de febrero de 2026", "10th of February, 2026". ambiguous is set on a numeric date that may
// be either day first or month first.
func (p *dateScanner) dayFirst(a int) (y, m, d int, ambiguous, ok bool) {
	if p.i+1 < len(p.s) && strings.IndexByte("-/.", p.s[p.i]) >= 0 && '0' <= p.s[p.i+1] && p.s[p.i+1] <= '9' {
		sep := p.s[p.i]
		p.i++
		b, kb := p.num()
		if kb == 0 || kb > 2 || p.byteIn(string(sep)) == 0 {
			return 0, 0, 0, false, false
		}
		if y, ok = p.year(); !ok {
			return 0, 0, 0, false, false
		}
		switch {
		case sep == '.' || (a > 12 && b <= 12) || a == b:
			return y, b, a, false, true // day first, as "." always is
		case a <= 12 && b > 12:
			return y, a, b, false, true // month first
		case a <= 12 && b <= 12:
			return y, 0, 0, true, a >= 1 && b >= 1
		}
		return 0, 0, 0, false, false
	}
	p.byteIn(".")
	p.ordinal()
	p.byteIn(".")
	if !p.space() {
		return 0, 0, 0, false, false
	}
	p.particle("de", "of")
	if m, ok = p.month(); !ok {
		return 0, 0, 0, false, false
	}
	p.byteIn(",")
	if !p.space() {
		return 0, 0, 0, false, false
	}
	p.particle("de", "del", "of")
	if y, ok = p.year(); !ok {
		return 0, 0, 0, false, false
	}
	return y, m, a, false, true
}

// monthFirst reads a date that starts with the name of its month: "February 10, 2026", "Feb. 10th
// 2026", "febrero 10 de 2026".
func (p *dateScanner) monthFirst() (y, m, d int, ok bool) {
	if m, ok = p.month(); !ok || !p.space() {
		return 0, 0, 0, false
	}
	d, kd := p.num()
	if kd == 0 || kd > 2 {
		return 0, 0, 0, false
	}
	p.ordinal()
	comma := p.byteIn(",") != 0
	if !p.space() && !comma {
		return 0, 0, 0, false
	}
	p.particle("de", "del")
	if y, ok = p.year(); !ok {
		return 0, 0, 0, false
	}
	return y, m, d, true
}
