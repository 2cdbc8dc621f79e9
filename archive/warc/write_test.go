package warc_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/warc"
)

// readRecord is a record as gowarc reads it back, with its block's parts.
type readRecord struct {
	offset  int64
	header  *gowarc.WarcFields
	block   []byte
	payload []byte // the HTTP body, or the whole block
	http    gowarc.Block
}

// readStrict reads a WARC with gowarc at its strictest: any syntax or spec
// violation, unknown record type, bad HTTP head, wrong length or digest
// that does not match fails the test.
func readStrict(t *testing.T, b []byte) []readRecord {
	t.Helper()
	rd, err := gowarc.NewWarcFileReaderFromStream(bytes.NewReader(b), 0,
		gowarc.WithStrictValidation(), gowarc.WithBlockErrorPolicy(gowarc.ErrFail))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var recs []readRecord
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("gowarc: record %d at offset %d: %v", len(recs), rec.Offset, err)
		}
		if len(rec.Validation) > 0 {
			t.Errorf("gowarc: record %d: %v", len(recs), rec.Validation)
		}
		r := readRecord{offset: rec.Offset, header: rec.WarcRecord.WarcHeader()}
		block := rec.WarcRecord.Block()
		raw, err := block.RawBytes()
		if err != nil {
			t.Fatal(err)
		}
		if r.block, err = io.ReadAll(raw); err != nil {
			t.Fatal(err)
		}
		r.payload = r.block
		if pb, ok := block.(gowarc.PayloadBlock); ok {
			p, err := pb.PayloadBytes()
			if err != nil {
				t.Fatal(err)
			}
			if r.payload, err = io.ReadAll(p); err != nil {
				t.Fatal(err)
			}
			r.http = block
		}
		rec.Close()
		recs = append(recs, r)
	}
}

func types(recs []readRecord) []string {
	var ts []string
	for _, r := range recs {
		ts = append(ts, r.header.Get(gowarc.WarcType))
	}
	return ts
}

// byType returns the records of one type.
func byType(recs []readRecord, typ string) []readRecord {
	var out []readRecord
	for _, r := range recs {
		if r.header.Get(gowarc.WarcType) == typ {
			out = append(out, r)
		}
	}
	return out
}

// fields parses an application/warc-fields block.
func fields(t *testing.T, block []byte) map[string]string {
	t.Helper()
	m := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSuffix(string(block), "\r\n"), "\r\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("warc-fields line %q has no ': '", line)
		}
		m[k] = v
	}
	return m
}

func digestOf(b []byte) string {
	return "sha256:" + sha256Hex(b)
}

var recordID = regexp.MustCompile(`^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$`)

func TestWriteRoundTrip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			c := sampleCapture()
			b, sum := writeWARC(t, c, gz)
			if gz != bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
				t.Fatalf("file starts with %q", b[:4])
			}
			recs := readStrict(t, b)

			want := []string{"warcinfo", "request", "response", "resource", "resource", "resource", "resource", "metadata"}
			if got := types(recs); !slices.Equal(got, want) {
				t.Fatalf("record types = %v, want %v", got, want)
			}
			if len(sum.Records) != len(recs) {
				t.Fatalf("Summary has %d records, file %d", len(sum.Records), len(recs))
			}
			for i, r := range recs {
				s := sum.Records[i]
				h := r.header
				if got := h.Get(gowarc.WarcRecordID); got != s.ID || !recordID.MatchString(got) {
					t.Errorf("record %d: WARC-Record-ID = %q, summary %q", i, got, s.ID)
				}
				if r.offset != s.Offset {
					t.Errorf("record %d: offset %d, summary %d", i, r.offset, s.Offset)
				}
				if got := h.Get(gowarc.WarcBlockDigest); got != digestOf(r.block) || got != s.BlockDigest {
					t.Errorf("record %d: WARC-Block-Digest = %q, block hashes to %q, summary %q", i, got, digestOf(r.block), s.BlockDigest)
				}
				if h.Get(gowarc.WarcDate) != "2025-03-14T15:09:26.535Z" {
					t.Errorf("record %d: WARC-Date = %q", i, h.Get(gowarc.WarcDate))
				}
				if i > 0 && h.Get(gowarc.WarcWarcinfoID) != recs[0].header.Get(gowarc.WarcRecordID) {
					t.Errorf("record %d: WARC-Warcinfo-ID = %q, want the warcinfo's id", i, h.Get(gowarc.WarcWarcinfoID))
				}
				if h.Has(gowarc.WarcTruncated) {
					t.Errorf("record %d: WARC-Truncated = %q", i, h.Get(gowarc.WarcTruncated))
				}
			}

			id := func(r readRecord) string { return r.header.Get(gowarc.WarcRecordID) }
			info, req, resp := recs[0], recs[1], recs[2]
			links := map[string][]string{} // record id -> concurrent-to
			for _, r := range recs {
				links[id(r)] = r.header.GetAll(gowarc.WarcConcurrentTo)
			}
			for _, l := range []struct {
				name string
				from readRecord
				to   []string
			}{
				{"warcinfo", info, nil},
				{"request", req, []string{id(resp)}},
				{"response", resp, []string{id(req)}},
				{"screenshot", recs[3], []string{id(resp)}},
				{"pdf", recs[4], []string{id(resp)}},
				{"mhtml", recs[5], []string{id(resp)}},
				{"dom", recs[6], []string{id(resp)}},
				{"metadata", recs[7], []string{id(resp)}},
			} {
				if got := links[id(l.from)]; !slices.Equal(got, l.to) {
					t.Errorf("%s: WARC-Concurrent-To = %v, want %v", l.name, got, l.to)
				}
			}

			wi := fields(t, info.block)
			for k, v := range map[string]string{
				"software":               "verbatim/0.4.0",
				"format":                 "WARC File Format 1.1",
				"conformsTo":             "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
				"operator":               "Verbatim test suite",
				"browser-version":        "HeadlessChrome/126.0.6478.126",
				"http-header-user-agent": c.UserAgent,
			} {
				if wi[k] != v {
					t.Errorf("warcinfo %s = %q, want %q", k, wi[k], v)
				}
			}

			// The exchange.
			for _, r := range []readRecord{req, resp} {
				if got := r.header.Get(gowarc.WarcTargetURI); got != c.Request.URI {
					t.Errorf("%s: WARC-Target-URI = %q, want %q", r.header.Get(gowarc.WarcType), got, c.Request.URI)
				}
				if got := r.header.Get(gowarc.WarcIPAddress); got != c.IPAddress {
					t.Errorf("WARC-IP-Address = %q, want %q", got, c.IPAddress)
				}
			}
			if got := req.header.Get(gowarc.ContentType); got != "application/http;msgtype=request" {
				t.Errorf("request Content-Type = %q", got)
			}
			wantReq := "GET /example/status/1234567890?s=20 HTTP/2.0\r\n" +
				"Accept: text/html\r\n" +
				"User-Agent: " + c.UserAgent + "\r\n\r\n"
			if string(req.block) != wantReq {
				t.Errorf("request block = %q, want %q", req.block, wantReq)
			}
			if req.header.Has(gowarc.WarcPayloadDigest) {
				t.Errorf("request has WARC-Payload-Digest %q", req.header.Get(gowarc.WarcPayloadDigest))
			}
			if got := resp.header.Get(gowarc.ContentType); got != "application/http;msgtype=response" {
				t.Errorf("response Content-Type = %q", got)
			}
			rb, ok := resp.http.(gowarc.HttpResponseBlock)
			if !ok {
				t.Fatalf("response block is %T", resp.http)
			}
			if rb.HttpStatusCode() != 200 || rb.HttpStatusLine() != "200 OK" {
				t.Errorf("status = %d %q", rb.HttpStatusCode(), rb.HttpStatusLine())
			}
			if got := rb.HttpHeader().Values("Set-Cookie"); !slices.Equal(got, []string{"a=1; Secure", "b=2; Secure"}) {
				t.Errorf("Set-Cookie = %q", got)
			}
			if !bytes.Equal(resp.payload, c.Response.Body) {
				t.Errorf("response payload = %q, want %q", resp.payload, c.Response.Body)
			}
			if got, want := resp.header.Get(gowarc.WarcPayloadDigest), digestOf(c.Response.Body); got != want || sum.Records[2].PayloadDigest != want {
				t.Errorf("response WARC-Payload-Digest = %q, summary %q, want %q", got, sum.Records[2].PayloadDigest, want)
			}

			// The artifacts.
			for i, want := range []struct{ uri, mediaType string }{
				{"urn:verbatim:capture:12:screenshot", "image/png"},
				{"urn:verbatim:capture:12:pdf", "application/pdf"},
				{"urn:verbatim:capture:12:mhtml", `multipart/related; type="text/html"; boundary="----b"`},
				{"urn:verbatim:capture:12:dom", "text/html"},
			} {
				r, res := recs[3+i], c.Resources[i]
				if got := r.header.Get(gowarc.WarcTargetURI); got != want.uri {
					t.Errorf("%s: WARC-Target-URI = %q, want %q", res.Kind, got, want.uri)
				}
				if got := r.header.Get(gowarc.ContentType); got != want.mediaType {
					t.Errorf("%s: Content-Type = %q, want %q", res.Kind, got, want.mediaType)
				}
				if !bytes.Equal(r.block, res.Body) {
					t.Errorf("%s: block = %q, want %q", res.Kind, r.block, res.Body)
				}
				if got := r.header.Get(gowarc.WarcPayloadDigest); got != digestOf(res.Body) {
					t.Errorf("%s: WARC-Payload-Digest = %q, want %q", res.Kind, got, digestOf(res.Body))
				}
			}

			meta := recs[7]
			if got := meta.header.Get(gowarc.ContentType); got != "application/warc-fields" {
				t.Errorf("metadata Content-Type = %q", got)
			}
			if got := meta.header.Get(gowarc.WarcTargetURI); got != c.TargetURI {
				t.Errorf("metadata WARC-Target-URI = %q, want %q", got, c.TargetURI)
			}
			wantMeta := "capture-id: 12\r\nfinal-url: https://x.com/example/status/1234567890\r\nverdict: live\r\n"
			if string(meta.block) != wantMeta {
				t.Errorf("metadata block = %q, want %q", meta.block, wantMeta)
			}

			// Verify reads the same file back to the same summary.
			got, err := warc.Verify(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !reflect.DeepEqual(got, sum.Records) {
				t.Errorf("Verify = %+v\nWrite summary = %+v", got, sum.Records)
			}
		})
	}
}

// TestWriteGzipMembers checks that every record of a .warc.gz is one gzip
// member that starts at the offset the summary gives.
func TestWriteGzipMembers(t *testing.T) {
	b, sum := writeWARC(t, sampleCapture(), true)
	for i, r := range sum.Records {
		zr, err := gzip.NewReader(bytes.NewReader(b[r.Offset:]))
		if err != nil {
			t.Fatalf("record %d at %d: %v", i, r.Offset, err)
		}
		zr.Multistream(false)
		member, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("record %d at %d: %v", i, r.Offset, err)
		}
		head := "WARC/1.1\r\nWARC-Type: " + r.Type + "\r\n"
		if !bytes.HasPrefix(member, []byte(head)) || !bytes.HasSuffix(member, []byte("\r\n\r\n")) {
			t.Errorf("record %d: member starts %q, ends %q", i, member[:min(len(member), 40)], member[max(0, len(member)-4):])
		}
	}
}

func TestWriteTruncatedResponse(t *testing.T) {
	c := sampleCapture()
	c.Response.Header = append(c.Response.Header, warc.Header{Name: "Content-Length", Value: "1048576"})
	c.Response.BodyTruncated = true
	b, sum := writeWARC(t, c, false)
	for _, r := range readStrict(t, b) {
		want := ""
		if r.header.Get(gowarc.WarcType) == "response" {
			want = "length"
		}
		if got := r.header.Get(gowarc.WarcTruncated); got != want {
			t.Errorf("%s: WARC-Truncated = %q, want %q", r.header.Get(gowarc.WarcType), got, want)
		}
	}
	if got := sum.Records[2].Truncated; got != "length" {
		t.Errorf("summary of response: Truncated = %q, want length", got)
	}
	if _, err := warc.Verify(bytes.NewReader(b)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestWriteWithoutResources(t *testing.T) {
	c := sampleCapture()
	c.Resources = nil
	b, sum := writeWARC(t, c, false)
	want := []string{"warcinfo", "request", "response", "metadata"}
	if got := types(readStrict(t, b)); !slices.Equal(got, want) {
		t.Errorf("record types = %v, want %v", got, want)
	}
	if len(sum.Records) != len(want) {
		t.Errorf("Summary has %d records, want %d", len(sum.Records), len(want))
	}
	if _, err := warc.Verify(bytes.NewReader(b)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// TestWriteOnlyResources covers a capture with no HTTP exchange, such as a
// page rendered from a saved file: the artifacts have nothing to be
// concurrent to.
func TestWriteOnlyResources(t *testing.T) {
	c := sampleCapture()
	c.Request, c.Response = nil, nil
	b, _ := writeWARC(t, c, false)
	recs := readStrict(t, b)
	want := []string{"warcinfo", "resource", "resource", "resource", "resource", "metadata"}
	if got := types(recs); !slices.Equal(got, want) {
		t.Errorf("record types = %v, want %v", got, want)
	}
	for _, r := range recs {
		if r.header.Has(gowarc.WarcConcurrentTo) {
			t.Errorf("%s: WARC-Concurrent-To = %q", r.header.Get(gowarc.WarcType), r.header.Get(gowarc.WarcConcurrentTo))
		}
	}
}

func TestWriteBinaryBodies(t *testing.T) {
	for _, tt := range []struct {
		name string
		body []byte
	}{
		{"framing", binaryBytes},
		{"empty", nil},
		{"crlf", []byte("\r\n")},
		{"blank lines", []byte("\r\n\r\n\r\n\r\n")},
		{"nul", []byte{0}},
		{"all bytes", func() []byte {
			b := make([]byte, 512)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCapture()
			c.Request.Method = "POST"
			c.Request.Body = tt.body
			c.Response.Body = tt.body
			c.Resources = []warc.Resource{{Kind: "raw", MediaType: "application/octet-stream", Body: tt.body}}
			for _, gz := range []bool{false, true} {
				b, _ := writeWARC(t, c, gz)
				recs := readStrict(t, b)
				for _, typ := range []string{"request", "response", "resource"} {
					r := byType(recs, typ)[0]
					if !bytes.Equal(r.payload, tt.body) {
						t.Errorf("gzip %v: %s payload = %q, want %q", gz, typ, r.payload, tt.body)
					}
				}
				if _, err := warc.Verify(bytes.NewReader(b)); err != nil {
					t.Errorf("gzip %v: Verify: %v", gz, err)
				}
			}
		})
	}
}

// pattern is an io.ReaderAt of size generated bytes, held nowhere. Reads
// after the first pass over byte 0 can be made to differ.
type pattern struct {
	size  int64
	reads int // reads of byte 0 so far
	flip  int // from this read of byte 0 on, the bytes differ; 0 never
}

func (p *pattern) ReadAt(b []byte, off int64) (int, error) {
	if off == 0 {
		p.reads++
	}
	if off >= p.size {
		return 0, io.EOF
	}
	n := len(b)
	if rest := p.size - off; int64(n) > rest {
		n = int(rest)
	}
	var x byte
	if p.flip > 0 && p.reads >= p.flip {
		x = 0xff
	}
	for i := range n {
		o := off + int64(i)
		b[i] = byte(o*7+o>>9) ^ x
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func TestWriteLargeResourceStreams(t *testing.T) {
	const size = 10 << 20
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(&pattern{size: size}, 0, size)); err != nil {
		t.Fatal(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))

	c := sampleCapture()
	c.Resources = []warc.Resource{{Kind: warc.KindPDF, BodyAt: &pattern{size: size}, Size: size, SHA256: sum}}
	path := filepath.Join(t.TempDir(), "big.warc")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := warc.Write(f, c)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// One copy of the resource would be 10 MiB; streaming needs a buffer.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Write allocated %d bytes for a %d-byte resource", alloc, size)
	if alloc > 1<<20 {
		t.Errorf("Write allocated %d bytes for a %d-byte resource; want it streamed", alloc, size)
	}
	res := s.Records[3]
	if res.Length != size || res.BlockDigest != "sha256:"+sum || res.PayloadDigest != "sha256:"+sum {
		t.Errorf("resource summary = %+v, want %d bytes with sha256:%s", res, size, sum)
	}
	if st, err := f.Stat(); err != nil || st.Size() != s.Bytes {
		t.Errorf("file has %d bytes (%v), summary %d", st.Size(), err, s.Bytes)
	}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	infos, err := warc.Verify(f)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !reflect.DeepEqual(infos, s.Records) {
		t.Errorf("Verify = %+v\nWrite summary = %+v", infos, s.Records)
	}
}

func TestWriteResourceChangedWhileWritten(t *testing.T) {
	c := sampleCapture()
	// Read once to hash, once to write: the second read sees other bytes.
	c.Resources = []warc.Resource{{Kind: warc.KindPDF, BodyAt: &pattern{size: 100_000, flip: 2}, Size: 100_000}}
	_, err := warc.Write(io.Discard, c)
	if !errors.Is(err, archive.ErrCorrupt) {
		t.Errorf("Write = %v, want archive.ErrCorrupt", err)
	}
}

func TestWriteRejects(t *testing.T) {
	for _, tt := range []struct {
		name    string
		change  func(c *warc.Capture)
		corrupt bool
	}{
		{"no date", func(c *warc.Capture) { c.Date = time.Time{} }, false},
		{"bad IP address", func(c *warc.Capture) { c.IPAddress = "x.com" }, false},
		{"relative target", func(c *warc.Capture) { c.TargetURI = "/status/1"; c.Request.URI = "" }, false},
		{"target with space", func(c *warc.Capture) { c.Request.URI = "https://x.com/a b" }, false},
		{"ftp target", func(c *warc.Capture) { c.Request.URI = "ftp://x.com/" }, false},
		{"header injection", func(c *warc.Capture) {
			c.Response.Header = append(c.Response.Header, warc.Header{Name: "X", Value: "a\rWARC/1.1"})
		}, false},
		{"header name with space", func(c *warc.Capture) {
			c.Request.Header = append(c.Request.Header, warc.Header{Name: "Bad Name", Value: "x"})
		}, false},
		{"method with space", func(c *warc.Capture) { c.Request.Method = "GET /" }, false},
		{"no status code", func(c *warc.Capture) { c.Response.StatusCode = 0 }, false},
		{"unknown protocol", func(c *warc.Capture) { c.Response.Protocol = "spdy/3" }, false},
		{"reason with newline", func(c *warc.Capture) { c.Response.Status = "OK\r\nX: y" }, false},
		{"metadata value with newline", func(c *warc.Capture) { c.Metadata["verdict"] = "live\r\nWARC-Type: x" }, false},
		{"metadata name with colon", func(c *warc.Capture) { c.Metadata["a:b"] = "c" }, false},
		{"operator with newline", func(c *warc.Capture) { c.Operator = "me\n" }, false},
		{"resource without uri or kind", func(c *warc.Capture) { c.Resources[0].Kind = "" }, false},
		{"resource without uri or capture id", func(c *warc.Capture) { c.ID = 0 }, false},
		{"resource media type with newline", func(c *warc.Capture) { c.Resources[0].MediaType = "image/png\r\n" }, false},
		{"resource size mismatch", func(c *warc.Capture) { c.Resources[0].Size = 3 }, false},
		{"resource short reader", func(c *warc.Capture) {
			c.Resources[0] = warc.Resource{Kind: "pdf", BodyAt: bytes.NewReader([]byte("short")), Size: 100}
		}, false},
		{"resource hash not hex", func(c *warc.Capture) { c.Resources[0].SHA256 = "xyz" }, false},
		{"resource hash mismatch", func(c *warc.Capture) { c.Resources[0].SHA256 = sha256Hex([]byte("other")) }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCapture()
			tt.change(&c)
			var buf bytes.Buffer
			_, err := warc.Write(&buf, c)
			if err == nil {
				t.Fatal("Write succeeded")
			}
			if got := errors.Is(err, archive.ErrCorrupt); got != tt.corrupt {
				t.Errorf("Write = %v; errors.Is(err, archive.ErrCorrupt) = %v, want %v", err, got, tt.corrupt)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestWriteDefaults(t *testing.T) {
	c := warc.Capture{
		TargetURI: "https://example.com/",
		Date:      captureDate,
		Request:   &warc.HTTPMessage{},
		Response:  &warc.HTTPMessage{StatusCode: 404, Body: []byte("gone")},
	}
	b, _ := writeWARC(t, c, false)
	recs := readStrict(t, b)
	if got := fields(t, recs[0].block)["software"]; got != "verbatim" {
		t.Errorf("software = %q, want verbatim", got)
	}
	if got := string(recs[1].block); got != "GET / HTTP/1.1\r\n\r\n" {
		t.Errorf("request block = %q", got)
	}
	if got := string(recs[2].block); got != "HTTP/1.1 404 Not Found\r\n\r\ngone" {
		t.Errorf("response block = %q", got)
	}
	if got := recs[3].block; len(got) != 0 {
		t.Errorf("metadata block = %q, want empty with no id and no metadata", got)
	}
}
