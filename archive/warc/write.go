package warc

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/nlnwa/gowarc/v3"

	"github.com/verbatim-archive/verbatim/archive"
)

const (
	warcVersion   = "WARC/1.1"
	conformsTo    = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
	fieldsType    = "application/warc-fields"
	requestType   = "application/http;msgtype=request"
	responseType  = "application/http;msgtype=response"
	truncatedSize = "length"
)

// defaultMediaTypes maps a resource kind to its Content-Type.
var defaultMediaTypes = map[string]string{
	KindScreenshot: "image/png",
	KindPDF:        "application/pdf",
	KindMHTML:      "multipart/related",
	KindDOM:        "text/html",
}

// Write writes c to w as one uncompressed WARC 1.1 file. It checks the whole
// capture and hashes every block before it writes a byte, so a bad capture
// or a resource that does not match its SHA256 leaves w untouched; after
// that, only a failing w or a resource that changes while it is copied can
// fail it.
func Write(w io.Writer, c Capture) (Summary, error) {
	return write(w, c, false)
}

// WriteGzip is Write for a .warc.gz file: each record is a gzip member of
// its own, so a reader can seek to any record's offset.
func WriteGzip(w io.Writer, c Capture) (Summary, error) {
	return write(w, c, true)
}

// record is one WARC record ready to be written.
type record struct {
	fields *gowarc.WarcFields
	head   []byte      // the start of the block: an HTTP head, or all of a small block
	body   io.ReaderAt // the rest of the block, size bytes; nil if none
	size   int64
	want   []byte // the SHA-256 the payload must have, if known
	sum    []byte // SHA-256 of the block, taken before writing
	info   RecordInfo
}

func write(w io.Writer, c Capture, compress bool) (Summary, error) {
	recs, err := plan(c)
	if err != nil {
		return Summary{}, err
	}
	buf := make([]byte, 64<<10)
	for _, r := range recs {
		if err := r.digest(buf); err != nil {
			return Summary{}, err
		}
	}

	cw := &countingWriter{w: w}
	var gz *gzip.Writer
	if compress {
		gz = gzip.NewWriter(cw)
	}
	var sum Summary
	for _, r := range recs {
		r.info.Offset = cw.n
		out := io.Writer(cw)
		if gz != nil {
			gz.Reset(cw)
			out = gz
		}
		if err := r.write(out, buf); err != nil {
			return Summary{}, fmt.Errorf("warc: write %s record %s: %w", r.info.Type, r.info.ID, err)
		}
		if gz != nil {
			if err := gz.Close(); err != nil {
				return Summary{}, fmt.Errorf("warc: write %s record %s: %w", r.info.Type, r.info.ID, err)
			}
		}
		sum.Records = append(sum.Records, r.info)
	}
	sum.Bytes = cw.n
	return sum, nil
}

// plan checks c and lays out its records, with their header fields but
// without digests or lengths.
func plan(c Capture) ([]*record, error) {
	if c.Date.IsZero() {
		return nil, errors.New("warc: capture has no date")
	}
	if c.IPAddress != "" && net.ParseIP(c.IPAddress) == nil {
		return nil, fmt.Errorf("warc: IP address %q is not one", c.IPAddress)
	}
	software := c.Software
	if software == "" {
		software = "verbatim"
	}

	var recs []*record
	add := func(typ, contentType string) *record {
		r := &record{fields: &gowarc.WarcFields{}}
		r.info = RecordInfo{Type: typ, ID: newID(), ContentType: contentType}
		r.fields.Add(gowarc.WarcType, typ)
		r.fields.Add(gowarc.WarcRecordID, r.info.ID)
		r.fields.AddTimeNano(gowarc.WarcDate, c.Date)
		recs = append(recs, r)
		return r
	}

	info := add(TypeWarcinfo, fieldsType)
	infoBlock, err := warcFields([][2]string{
		{"software", software},
		{"format", "WARC File Format 1.1"},
		{"conformsTo", conformsTo},
		{"operator", c.Operator},
		{"browser-version", c.BrowserVersion},
		{"http-header-user-agent", c.UserAgent},
	})
	if err != nil {
		return nil, fmt.Errorf("warc: warcinfo: %w", err)
	}
	info.head = infoBlock

	// The exchange's records are linked before any is filled in, so that
	// the request can name the response that comes after it.
	var req, resp *record
	if c.Request != nil {
		req = add(TypeRequest, requestType)
	}
	if c.Response != nil {
		resp = add(TypeResponse, responseType)
	}
	var anchor *record // what the resources and metadata were taken with
	switch {
	case resp != nil:
		anchor = resp
	case req != nil:
		anchor = req
	}
	if req != nil || resp != nil {
		uri := c.TargetURI
		if c.Request != nil && c.Request.URI != "" {
			uri = c.Request.URI
		}
		target, err := parseURI(uri)
		if err != nil {
			return nil, fmt.Errorf("warc: main document: %w", err)
		}
		if target.Scheme != "http" && target.Scheme != "https" {
			return nil, fmt.Errorf("warc: main document: %q is not an http(s) URL", uri)
		}
		if req != nil {
			if req.head, err = requestHead(c.Request, target); err != nil {
				return nil, fmt.Errorf("warc: request: %w", err)
			}
			req.exchange(c, uri, c.Request, resp)
		}
		if resp != nil {
			if resp.head, err = responseHead(c.Response); err != nil {
				return nil, fmt.Errorf("warc: response: %w", err)
			}
			resp.exchange(c, uri, c.Response, req)
		}
	}

	for i, res := range c.Resources {
		r, err := resource(c, res, add)
		if err != nil {
			return nil, fmt.Errorf("warc: resource %d (%s): %w", i, res.Kind, err)
		}
		r.concurrentTo(anchor)
	}

	if c.TargetURI != "" {
		if _, err := parseURI(c.TargetURI); err != nil {
			return nil, fmt.Errorf("warc: metadata: %w", err)
		}
	}
	meta := add(TypeMetadata, fieldsType)
	meta.target(c.TargetURI)
	meta.concurrentTo(anchor)
	var fields [][2]string
	if _, ok := c.Metadata["capture-id"]; !ok && c.ID != 0 {
		fields = append(fields, [2]string{"capture-id", strconv.FormatInt(c.ID, 10)})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Metadata)) {
		fields = append(fields, [2]string{k, c.Metadata[k]})
	}
	if meta.head, err = warcFields(fields); err != nil {
		return nil, fmt.Errorf("warc: metadata: %w", err)
	}

	for _, r := range recs[1:] {
		r.fields.Add(gowarc.WarcWarcinfoID, info.info.ID)
	}
	return recs, nil
}

// exchange fills in a request or response record for the HTTP message m,
// the other half of the exchange being other.
func (r *record) exchange(c Capture, uri string, m *HTTPMessage, other *record) {
	r.target(uri)
	if c.IPAddress != "" {
		r.fields.Add(gowarc.WarcIPAddress, c.IPAddress)
	}
	r.concurrentTo(other)
	r.body = bytes.NewReader(m.Body)
	r.size = int64(len(m.Body))
	if m.BodyTruncated {
		r.info.Truncated = truncatedSize
	}
}

// resource adds the record for one artifact.
func resource(c Capture, res Resource, add func(typ, contentType string) *record) (*record, error) {
	mediaType := res.MediaType
	if mediaType == "" {
		mediaType = defaultMediaTypes[res.Kind]
	}
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	if !isFieldValue(mediaType) {
		return nil, fmt.Errorf("media type %q has control characters", mediaType)
	}
	uri := res.URI
	if uri == "" {
		if c.ID == 0 || !isToken(res.Kind) {
			return nil, fmt.Errorf("no URI, and capture id %d and kind %q cannot make one", c.ID, res.Kind)
		}
		uri = fmt.Sprintf("urn:verbatim:capture:%d:%s", c.ID, res.Kind)
	}
	if _, err := parseURI(uri); err != nil {
		return nil, err
	}
	r := add(TypeResource, mediaType)
	r.target(uri)
	switch {
	case res.Body != nil:
		if res.Size != 0 && res.Size != int64(len(res.Body)) {
			return nil, fmt.Errorf("size %d, but the body has %d bytes", res.Size, len(res.Body))
		}
		r.body, r.size = bytes.NewReader(res.Body), int64(len(res.Body))
	case res.BodyAt != nil:
		if res.Size < 0 {
			return nil, fmt.Errorf("negative size %d", res.Size)
		}
		r.body, r.size = res.BodyAt, res.Size
	default:
		if res.Size != 0 {
			return nil, fmt.Errorf("size %d, but no body", res.Size)
		}
	}
	if res.SHA256 != "" {
		want, err := parseDigest(digestLabel + res.SHA256)
		if err != nil || len(res.SHA256) != 2*sha256.Size {
			return nil, fmt.Errorf("SHA256 %q is not a hex SHA-256 sum", res.SHA256)
		}
		r.want = want.sum
	}
	return r, nil
}

func (r *record) target(uri string) {
	if uri != "" {
		r.info.TargetURI = uri
		r.fields.Add(gowarc.WarcTargetURI, uri)
	}
}

func (r *record) concurrentTo(other *record) {
	if other != nil {
		r.info.ConcurrentTo = append(r.info.ConcurrentTo, other.info.ID)
		r.fields.Add(gowarc.WarcConcurrentTo, other.info.ID)
	}
}

// digest hashes the block, checks it against the expected sum, and
// completes the header fields.
func (r *record) digest(buf []byte) error {
	block := sha256.New()
	block.Write(r.head)
	var payload hash.Hash
	if r.hasPayload() {
		payload = sha256.New()
	}
	if r.body != nil {
		w := io.Writer(block)
		if payload != nil {
			w = io.MultiWriter(block, payload)
		}
		if err := copyBody(w, r.body, r.size, buf); err != nil {
			return fmt.Errorf("warc: hash %s record %s: %w", r.info.Type, r.info.TargetURI, err)
		}
	}
	r.sum = block.Sum(nil)
	if payload != nil {
		psum := payload.Sum(nil)
		if r.want != nil && !bytes.Equal(psum, r.want) {
			return fmt.Errorf("warc: %s %s: %w (want sha256 %x, bytes hash to %x)",
				r.info.Type, r.info.TargetURI, archive.ErrCorrupt, r.want, psum)
		}
		r.info.PayloadDigest = formatDigest(psum)
	}
	r.info.BlockDigest = formatDigest(r.sum)
	r.info.Length = int64(len(r.head)) + r.size

	r.fields.Add(gowarc.ContentType, r.info.ContentType)
	r.fields.Add(gowarc.WarcBlockDigest, r.info.BlockDigest)
	if r.info.PayloadDigest != "" {
		r.fields.Add(gowarc.WarcPayloadDigest, r.info.PayloadDigest)
	}
	if r.info.Truncated != "" {
		r.fields.Add(gowarc.WarcTruncated, r.info.Truncated)
	}
	r.fields.AddInt64(gowarc.ContentLength, r.info.Length)
	return nil
}

// hasPayload reports whether the record gets a WARC-Payload-Digest: a
// response's payload is its body, a resource's is its whole block.
func (r *record) hasPayload() bool {
	return r.info.Type == TypeResponse || r.info.Type == TypeResource
}

// write writes the record, hashing the block again on the way to catch a
// body that changed since digest.
func (r *record) write(w io.Writer, buf []byte) error {
	var b bytes.Buffer
	b.WriteString(warcVersion + "\r\n")
	if _, err := r.fields.Write(&b); err != nil {
		return err
	}
	b.WriteString("\r\n")
	b.Write(r.head)
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	block := sha256.New()
	block.Write(r.head)
	if r.body != nil {
		if err := copyBody(io.MultiWriter(w, block), r.body, r.size, buf); err != nil {
			return err
		}
	}
	if got := block.Sum(nil); !bytes.Equal(got, r.sum) {
		return fmt.Errorf("%w: the block changed while it was written (sha256 %x, then %x)",
			archive.ErrCorrupt, r.sum, got)
	}
	_, err := io.WriteString(w, "\r\n\r\n")
	return err
}

// copyBody copies exactly size bytes from the start of body to w.
func copyBody(w io.Writer, body io.ReaderAt, size int64, buf []byte) error {
	n, err := io.CopyBuffer(w, io.NewSectionReader(body, 0, size), buf)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("read %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
	}
	return nil
}

// warcFields renders an application/warc-fields block, leaving out empty
// values.
func warcFields(fields [][2]string) ([]byte, error) {
	var b bytes.Buffer
	for _, f := range fields {
		name, value := f[0], f[1]
		if value == "" {
			continue
		}
		if !isToken(name) {
			return nil, fmt.Errorf("field name %q is not a token", name)
		}
		if !isFieldValue(value) {
			return nil, fmt.Errorf("field %s: value %q has control characters", name, value)
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// parseURI checks that s is an absolute URI that can stand in a header.
func parseURI(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("URI %q is not absolute", s)
	}
	if strings.ContainsAny(s, " \t") || !isFieldValue(s) {
		return nil, fmt.Errorf("URI %q has spaces or control characters", s)
	}
	return u, nil
}

// newID returns a new record id, "<urn:uuid:…>".
func newID() string {
	return "<" + uuid.New().URN() + ">"
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
