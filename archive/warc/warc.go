// Package warc writes a browser capture as one WARC 1.1 file and verifies
// WARC files: every record's WARC-Block-Digest and WARC-Payload-Digest is
// recomputed from the bytes, so a WARC can stand as evidence on its own.
//
// A capture becomes, in order: a warcinfo record; a request and a response
// record for the main document (application/http, linked to each other by
// WARC-Concurrent-To); one resource record per artifact (screenshot, PDF,
// MHTML, DOM), concurrent to the response; and a metadata record
// (application/warc-fields) with the verdict, final URL and capture id.
//
// Digests are SHA-256 written as "sha256:" and 64 lowercase hex digits: the
// form gowarc recommends and warcio.js writes by default, and the same hex
// that names blobs in the archive. Records are framed here rather than with
// gowarc's RecordBuilder, which copies every block into a buffer of its own
// (spilling to a temporary file past 1 MiB); framing them directly streams
// a large artifact from its io.ReaderAt with no second copy. gowarc provides
// the header fields and reads the files back in Verify.
package warc

import (
	"errors"
	"io"
	"time"
)

// ErrInvalid is returned by Verify for a WARC that can be read but breaks
// the WARC 1.1 specification, such as a record without a block digest.
// Bytes that do not match their digest are reported with archive.ErrCorrupt.
var ErrInvalid = errors.New("invalid WARC record")

// Record types, as written in WARC-Type.
const (
	TypeWarcinfo = "warcinfo"
	TypeRequest  = "request"
	TypeResponse = "response"
	TypeResource = "resource"
	TypeMetadata = "metadata"
)

// Resource kinds with a default media type.
const (
	KindScreenshot = "screenshot" // image/png
	KindPDF        = "pdf"        // application/pdf
	KindMHTML      = "mhtml"      // multipart/related
	KindDOM        = "dom"        // text/html
)

// Capture is one browser capture of a page, as it goes into a WARC file.
type Capture struct {
	ID        int64     // the archive's capture id; 0 if not yet known
	TargetURI string    // the URL that was captured
	Date      time.Time // WARC-Date of every record; required
	// Software names the writing program and its version, such as
	// "verbatim/0.4.0"; "verbatim" when empty.
	Software       string
	Operator       string // who ran the capture, for the warcinfo record
	BrowserVersion string // such as "HeadlessChrome/126.0.6478.126"
	UserAgent      string // the User-Agent the browser sent
	// IPAddress is the server's address for the main document, written as
	// WARC-IP-Address when not empty.
	IPAddress string
	// Request and Response are the main document's HTTP exchange; either
	// may be nil, and then its record is left out.
	Request  *HTTPMessage
	Response *HTTPMessage
	// Resources become resource records, in this order.
	Resources []Resource
	// Metadata becomes the metadata record's fields, sorted by name, after
	// "capture-id" (taken from ID when the map has none). Names must be
	// tokens; empty values are left out. Typical names are "verdict",
	// "final-url" and "tls-chain-sha256".
	Metadata map[string]string
}

// HTTPMessage is an HTTP request or response as the browser saw it.
//
// Body is written as given, so Header must describe it: a browser hands
// over the decoded body, so a caller that has one should leave out
// Content-Encoding and Transfer-Encoding (or keep them under other names),
// or replay tools will try to decode it again.
type HTTPMessage struct {
	Method string // request: "GET" when empty
	// URI is the request's absolute URL; Capture.TargetURI when empty. It is
	// the WARC-Target-URI of both the request and the response record.
	URI string
	// Protocol is the HTTP version: "HTTP/1.0", "HTTP/1.1" (when empty), or
	// the browser's "h2" or "h3", written as "HTTP/2.0" and "HTTP/3.0" as Go's
	// net/http does, since HTTP/2 has no text form of its own.
	Protocol   string
	StatusCode int    // response: the status code, 100 to 999
	Status     string // response: the reason phrase; the standard text when empty
	// Header is written in order. A value holding several lines (as the
	// DevTools protocol joins repeated headers with "\n") becomes one field
	// per line. HTTP/2 pseudo-headers (":authority") are left out.
	Header []Header
	Body   []byte
	// BodyTruncated marks a body cut short of what the server sent; the
	// record gets "WARC-Truncated: length".
	BodyTruncated bool
}

// Header is one HTTP header field.
type Header struct {
	Name  string
	Value string
}

// Resource is one artifact of a capture, stored as a resource record.
type Resource struct {
	Kind string // screenshot, pdf, mhtml, dom, or another word
	// URI is the record's WARC-Target-URI; "urn:verbatim:capture:<id>:<kind>"
	// when empty, which needs Capture.ID.
	URI string
	// MediaType is the Content-Type; when empty it follows from Kind, and is
	// application/octet-stream for an unknown kind.
	MediaType string
	// Body holds the bytes; when nil they are read from BodyAt, from 0 to
	// Size, once to hash them and once more to write them, so a large file
	// is streamed and never held in memory.
	Body   []byte
	BodyAt io.ReaderAt
	Size   int64
	// SHA256 is the hex digest the archive knows the bytes by; when set,
	// Write fails with archive.ErrCorrupt if the bytes do not match it.
	SHA256 string
}

// Summary describes a WARC file that Write produced.
type Summary struct {
	Records []RecordInfo // in file order
	Bytes   int64        // bytes written, compressed for WriteGzip
}

// RecordInfo describes one record of a WARC file.
type RecordInfo struct {
	// Offset is where the record starts in the file: in the compressed
	// bytes for a .warc.gz, where each record is one gzip member.
	Offset        int64
	Type          string // WARC-Type
	ID            string // WARC-Record-ID, "<urn:uuid:…>"
	TargetURI     string
	ContentType   string
	Length        int64 // Content-Length: the size of the block
	BlockDigest   string
	PayloadDigest string
	ConcurrentTo  []string // WARC-Concurrent-To record ids
	Truncated     string   // WARC-Truncated, such as "length"
	// Problems lists what Verify found wrong with the record; it is empty
	// for a record whose digests match and that gowarc found valid.
	Problems []string
}
