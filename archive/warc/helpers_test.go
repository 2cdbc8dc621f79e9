package warc_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/warc"
)

// captureDate is the WARC-Date of every test capture.
var captureDate = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// binaryBytes are bytes that break naive framing: CRLFs, a blank line,
// something that looks like the next record, NULs and bytes past ASCII.
var binaryBytes = []byte("\x00\r\n\r\nWARC/1.1\r\nWARC-Type: response\r\n\r\n\x00\xff\xfe\n\r\x00")

// sampleCapture returns a capture of a post page with every kind of
// artifact.
func sampleCapture() warc.Capture {
	html := []byte("<!doctype html><title>Post</title><p>Hello, world.</p>\n")
	png := append([]byte("\x89PNG\r\n\x1a\n"), binaryBytes...)
	return warc.Capture{
		ID:             12,
		TargetURI:      "https://x.com/example/status/1234567890",
		Date:           captureDate,
		Software:       "verbatim/0.4.0",
		Operator:       "Verbatim test suite",
		BrowserVersion: "HeadlessChrome/126.0.6478.126",
		UserAgent:      "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0.6478.126",
		IPAddress:      "104.244.42.1",
		Request: &warc.HTTPMessage{
			Method:   "GET",
			URI:      "https://x.com/example/status/1234567890?s=20",
			Protocol: "h2",
			Header: []warc.Header{
				{Name: ":authority", Value: "x.com"},
				{Name: "Accept", Value: "text/html"},
				{Name: "User-Agent", Value: "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0.6478.126"},
			},
		},
		Response: &warc.HTTPMessage{
			Protocol:   "h2",
			StatusCode: 200,
			Header: []warc.Header{
				{Name: "Content-Type", Value: "text/html; charset=utf-8"},
				{Name: "Set-Cookie", Value: "a=1; Secure\nb=2; Secure"},
			},
			Body: html,
		},
		Resources: []warc.Resource{
			{Kind: warc.KindScreenshot, Body: png, SHA256: sha256Hex(png)},
			{Kind: warc.KindPDF, Body: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\r\n%%EOF\n")},
			{Kind: warc.KindMHTML, MediaType: `multipart/related; type="text/html"; boundary="----b"`,
				Body: []byte("From: <Saved by Blink>\r\nMIME-Version: 1.0\r\n\r\n------b--\r\n")},
			{Kind: warc.KindDOM, URI: "urn:verbatim:capture:12:dom", Body: html},
		},
		Metadata: map[string]string{
			"verdict":   "live",
			"final-url": "https://x.com/example/status/1234567890",
		},
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeWARC writes c with Write, or WriteGzip, and returns the file.
func writeWARC(t *testing.T, c warc.Capture, gzip bool) ([]byte, warc.Summary) {
	t.Helper()
	var buf bytes.Buffer
	write := warc.Write
	if gzip {
		write = warc.WriteGzip
	}
	sum, err := write(&buf, c)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if sum.Bytes != int64(buf.Len()) {
		t.Errorf("Summary.Bytes = %d, wrote %d", sum.Bytes, buf.Len())
	}
	return buf.Bytes(), sum
}
