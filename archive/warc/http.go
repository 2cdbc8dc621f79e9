package warc

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// requestHead renders a request line and header fields, ending in the
// blank line, for the URL target.
func requestHead(m *HTTPMessage, target *url.URL) ([]byte, error) {
	method := m.Method
	if method == "" {
		method = http.MethodGet
	}
	if !isToken(method) {
		return nil, fmt.Errorf("request method %q is not a token", method)
	}
	proto, err := httpVersion(m.Protocol)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	// HTTP/1 names its target in origin form: the path and the query.
	fmt.Fprintf(&b, "%s %s %s\r\n", method, target.RequestURI(), proto)
	if err := writeHeader(&b, m.Header); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// responseHead renders a status line and header fields, ending in the blank
// line.
func responseHead(m *HTTPMessage) ([]byte, error) {
	if m.StatusCode < 100 || m.StatusCode > 999 {
		return nil, fmt.Errorf("response status code %d is not three digits", m.StatusCode)
	}
	proto, err := httpVersion(m.Protocol)
	if err != nil {
		return nil, err
	}
	reason := m.Status
	if reason == "" {
		reason = http.StatusText(m.StatusCode)
	}
	if !isFieldValue(reason) {
		return nil, fmt.Errorf("response reason phrase %q has control characters", reason)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\n", proto, strconv.Itoa(m.StatusCode), reason)
	if err := writeHeader(&b, m.Header); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeHeader writes header fields in order and the blank line after them.
func writeHeader(b *bytes.Buffer, header []Header) error {
	for _, h := range header {
		if strings.HasPrefix(h.Name, ":") {
			continue // an HTTP/2 pseudo-header: the start line carries it
		}
		if !isToken(h.Name) {
			return fmt.Errorf("header name %q is not a token", h.Name)
		}
		for line := range strings.SplitSeq(h.Value, "\n") {
			line = strings.TrimSuffix(line, "\r")
			if !isFieldValue(line) {
				return fmt.Errorf("header %s: value %q has control characters", h.Name, line)
			}
			b.WriteString(h.Name)
			b.WriteString(": ")
			b.WriteString(line)
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
	return nil
}

// httpVersion returns the HTTP-version for a start line.
func httpVersion(proto string) (string, error) {
	switch strings.ToLower(proto) {
	case "", "http/1.1":
		return "HTTP/1.1", nil
	case "http/1.0":
		return "HTTP/1.0", nil
	case "h2", "h2c", "http/2", "http/2.0":
		return "HTTP/2.0", nil
	case "h3", "http/3", "http/3.0":
		return "HTTP/3.0", nil
	}
	return "", fmt.Errorf("unknown HTTP protocol %q", proto)
}

// isToken reports whether s is an RFC 9110 token, as header names and
// methods must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isFieldValue reports whether s can stand on one header line: no control
// characters but tab. Bytes past ASCII are allowed (UTF-8, obs-text).
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
