package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// metaScanLimit is how far into the document decode looks for a <meta> charset declaration. The
// HTML standard's prescan stops at 1024 bytes, but real pages often declare their charset after a
// long run of scripts and styles, so decode reads the whole <head>, up to this many bytes.
const metaScanLimit = 64 << 10

// decode returns page as UTF-8 text and the name of the character encoding it was read in. The
// encoding is, in order: the one a byte-order mark names; the charset parameter of contentType (an
// HTTP Content-Type value, may be empty); a <meta charset> or <meta http-equiv="Content-Type">
// in the document's head; otherwise UTF-8. Bytes that are invalid in the chosen encoding become
// U+FFFD, and a leading byte-order mark is dropped.
func decode(page []byte, contentType string) (string, string) {
	enc, name := chooseEncoding(page, contentType)
	var s string
	if enc == nil {
		s = string(page)
	} else if b, err := enc.NewDecoder().Bytes(page); err == nil {
		s = string(b)
	} else {
		// x/text decoders replace invalid input rather than fail; this is belt and braces.
		s = string(page)
		name = "utf-8"
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s, name
}

// chooseEncoding picks page's encoding as decode describes. A nil encoding means UTF-8.
func chooseEncoding(page []byte, contentType string) (encoding.Encoding, string) {
	// DetermineEncoding is certain only for a byte-order mark or a known charset in contentType.
	if e, name, certain := charset.DetermineEncoding(page, contentType); certain {
		return utf8Alias(e, name)
	}
	if label := metaCharset(page); label != "" {
		if e, name := charset.Lookup(label); e != nil {
			// The HTML standard: a <meta> that claims UTF-16 is wrong (the bytes were
			// readable as ASCII), so read the page as UTF-8.
			if strings.HasPrefix(name, "utf-16") {
				return nil, "utf-8"
			}
			return utf8Alias(e, name)
		}
	}
	return nil, "utf-8"
}

// utf8Alias maps every spelling of UTF-8 to the nil encoding, so UTF-8 input is not copied through
// a decoder.
func utf8Alias(e encoding.Encoding, name string) (encoding.Encoding, string) {
	if name == "utf-8" {
		return nil, "utf-8"
	}
	return e, name
}

// metaCharset returns the charset label declared by the first <meta charset> or
// <meta http-equiv="Content-Type" content="…; charset=…"> before <body> (or before metaScanLimit
// bytes), or "".
func metaCharset(page []byte) string {
	if len(page) > metaScanLimit {
		page = page[:metaScanLimit]
	}
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return ""
			case "meta":
				if !hasAttr {
					continue
				}
				var cs, equiv, content string
				for {
					k, v, more := z.TagAttr()
					switch string(k) {
					case "charset":
						cs = string(v)
					case "http-equiv":
						equiv = string(v)
					case "content":
						content = string(v)
					}
					if !more {
						break
					}
				}
				if cs = strings.TrimSpace(cs); cs != "" {
					return cs
				}
				if strings.EqualFold(strings.TrimSpace(equiv), "content-type") {
					if label := charsetFromContent(content); label != "" {
						return label
					}
				}
			}
		}
	}
}

// charsetFromContent extracts the charset label from a Content-Type value such as
// "text/html; charset=windows-1251", tolerating the quoting and spacing mistakes pages make.
func charsetFromContent(content string) string {
	i := strings.Index(strings.ToLower(content), "charset")
	if i < 0 {
		return ""
	}
	s := strings.TrimLeft(content[i+len("charset"):], " \t\r\n\f")
	if !strings.HasPrefix(s, "=") {
		return ""
	}
	s = strings.TrimLeft(s[1:], " \t\r\n\f")
	s = strings.TrimLeft(s, `"'`)
	if j := strings.IndexAny(s, "\"'; \t\r\n\f"); j >= 0 {
		s = s[:j]
	}
	return s
}
