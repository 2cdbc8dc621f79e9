package warc_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/nlnwa/gowarc/v3"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/warc"
)

func TestVerifyFindsDamage(t *testing.T) {
	good, sum := writeWARC(t, sampleCapture(), false)
	at := func(s string) int {
		i := bytes.Index(good, []byte(s))
		if i < 0 {
			t.Fatalf("%q is not in the file", s)
		}
		return i
	}
	for _, tt := range []struct {
		name    string
		damage  func(b []byte) []byte
		corrupt bool
		invalid bool
		bad     []int // records with problems
	}{
		{"response body byte", func(b []byte) []byte { b[at("Hello, world")] ^= 1; return b }, true, false, []int{2}},
		{"screenshot byte", func(b []byte) []byte { b[at("\x89PNG")+1] ^= 1; return b }, true, false, []int{3}},
		{"response digest", func(b []byte) []byte {
			i := at("WARC-Payload-Digest: sha256:") + len("WARC-Payload-Digest: sha256:")
			copy(b[i:], "00")
			return b
		}, true, false, []int{2}},
		{"no block digest", func(b []byte) []byte {
			line := "WARC-Block-Digest: " + sum.Records[0].BlockDigest + "\r\n"
			return bytes.Replace(b, []byte(line), nil, 1)
		}, false, true, []int{0}},
		{"record type changed", func(b []byte) []byte {
			return bytes.Replace(b, []byte("WARC-Type: metadata"), []byte("WARC-Type: metadatum"), 1)
		}, false, true, []int{7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.damage(bytes.Clone(good))
			infos, err := warc.Verify(bytes.NewReader(b))
			if err == nil {
				t.Fatal("Verify found nothing wrong")
			}
			if got := errors.Is(err, archive.ErrCorrupt); got != tt.corrupt {
				t.Errorf("Verify = %v: errors.Is(err, archive.ErrCorrupt) = %v, want %v", err, got, tt.corrupt)
			}
			if got := errors.Is(err, warc.ErrInvalid); got != tt.invalid {
				t.Errorf("Verify = %v: errors.Is(err, ErrInvalid) = %v, want %v", err, got, tt.invalid)
			}
			if len(infos) != len(sum.Records) {
				t.Fatalf("Verify returned %d records, want %d", len(infos), len(sum.Records))
			}
			var bad []int
			for i, info := range infos {
				if len(info.Problems) > 0 {
					bad = append(bad, i)
					t.Logf("record %d: %q", i, info.Problems)
				}
			}
			if fmt.Sprint(bad) != fmt.Sprint(tt.bad) {
				t.Errorf("records with problems = %v, want %v", bad, tt.bad)
			}
		})
	}
}

// TestStrictGowarcRejectsDamage shows that the strict gowarc reading the
// round-trip tests rely on does check digests.
func TestStrictGowarcRejectsDamage(t *testing.T) {
	b, _ := writeWARC(t, sampleCapture(), false)
	b[bytes.Index(b, []byte("Hello, world"))] ^= 1
	rd, err := gowarc.NewWarcFileReaderFromStream(bytes.NewReader(b), 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			t.Fatal("strict gowarc read a damaged response without error")
		}
		rec.Close()
		var de *gowarc.DigestError
		if errors.As(err, &de) {
			return
		}
		if err != nil {
			t.Fatalf("strict gowarc: %v, want a DigestError", err)
		}
	}
}

func TestVerifyBrokenFiles(t *testing.T) {
	plain, _ := writeWARC(t, sampleCapture(), false)
	gz, sum := writeWARC(t, sampleCapture(), true)
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"not a WARC", []byte("<html>hello</html>")},
		{"cut short", plain[:len(plain)-100]},
		{"gzip member damaged", func() []byte {
			b := bytes.Clone(gz)
			b[sum.Records[2].Offset+20] ^= 0x55
			return b
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			infos, err := warc.Verify(bytes.NewReader(tt.b))
			if err == nil {
				t.Fatalf("Verify = %d records and no error", len(infos))
			}
			t.Log(err)
		})
	}
}

// rawRecord frames a resource record by hand, with the given digest fields.
func rawRecord(block string, digests ...string) string {
	var b strings.Builder
	b.WriteString("WARC/1.1\r\nWARC-Type: resource\r\n")
	b.WriteString("WARC-Record-ID: <urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427>\r\n")
	b.WriteString("WARC-Date: 2025-03-14T15:09:26Z\r\nWARC-Target-URI: urn:test\r\nContent-Type: text/plain\r\n")
	for _, d := range digests {
		b.WriteString(d + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s\r\n\r\n", len(block), block)
	return b.String()
}

// TestVerifyDigestForms checks that Verify reads the digests other tools
// write: Heritrix's sha1 in base32, hex in either case, base64.
func TestVerifyDigestForms(t *testing.T) {
	const block = "hello\r\n\x00world"
	s1 := sha1.Sum([]byte(block))
	s256 := sha256.Sum256([]byte(block))
	s512 := sha512.Sum512([]byte(block))
	other := sha256.Sum256([]byte("other"))
	for _, tt := range []struct {
		name    string
		digest  string
		corrupt bool
		invalid bool
	}{
		{"sha1 base32", "sha1:" + base32.StdEncoding.EncodeToString(s1[:]), false, false},
		{"sha1 base32 lowercase", "sha1:" + strings.ToLower(base32.StdEncoding.EncodeToString(s1[:])), false, false},
		{"sha256 hex", "sha256:" + hex.EncodeToString(s256[:]), false, false},
		{"sha-256 upper hex", "SHA-256:" + strings.ToUpper(hex.EncodeToString(s256[:])), false, false},
		{"sha256 base32 unpadded", "sha256:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s256[:]), false, false},
		{"sha256 base64", "sha256:" + base64.StdEncoding.EncodeToString(s256[:]), false, false},
		{"sha512 hex", "sha512:" + hex.EncodeToString(s512[:]), false, false},
		{"wrong sum", "sha256:" + hex.EncodeToString(other[:]), true, false},
		{"wrong sum base32", "sha1:" + base32.StdEncoding.EncodeToString(other[:20]), true, false},
		{"md5", "md5:" + hex.EncodeToString(s256[:16]), false, true},
		{"value too short", "sha256:abcd", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := rawRecord(block, "WARC-Block-Digest: "+tt.digest, "WARC-Payload-Digest: "+tt.digest)
			infos, err := warc.Verify(strings.NewReader(f))
			if tt.corrupt || tt.invalid {
				if err == nil {
					t.Fatal("Verify found nothing wrong")
				}
				t.Log(infos[0].Problems)
			} else if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := errors.Is(err, archive.ErrCorrupt); got != tt.corrupt {
				t.Errorf("errors.Is(%v, archive.ErrCorrupt) = %v, want %v", err, got, tt.corrupt)
			}
			if got := errors.Is(err, warc.ErrInvalid); got != tt.invalid {
				t.Errorf("errors.Is(%v, ErrInvalid) = %v, want %v", err, got, tt.invalid)
			}
			if len(infos) != 1 || infos[0].BlockDigest != tt.digest || infos[0].Length != int64(len(block)) {
				t.Errorf("Verify = %+v", infos)
			}
		})
	}
}

// TestVerifyLeavesReaderOpen checks that Verify neither closes nor rewinds
// what it is given.
func TestVerifyLeavesReaderOpen(t *testing.T) {
	b, _ := writeWARC(t, sampleCapture(), false)
	r := &closeCounter{Reader: bytes.NewReader(b)}
	if _, err := warc.Verify(r); err != nil {
		t.Fatal(err)
	}
	if r.closed {
		t.Error("Verify closed its reader")
	}
}

type closeCounter struct {
	*bytes.Reader
	closed bool
}

func (c *closeCounter) Close() error { c.closed = true; return nil }
