package ledger

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// ManifestType names the manifest format, inside every manifest.
const ManifestType = "verbatim.capture/v1"

// Manifest is what the ledger commits to for one capture: which capture,
// of what, when, by which software, and the size and SHA-256 of every
// artifact it recorded. Verdicts, details and links to posts and articles
// are assessments that may be revised, so they are not part of it.
//
// Its canonical form (Canonical) is the leaf of the Merkle tree:
//
//	{"artifacts":[{"kind":K,"media_type":M,"sha256":H,"size":N},…],
//	 "at":"2026-02-10T14:03:07.123Z","capture_id":N,"kind":K,
//	 "software":S,"target":T,"type":"verbatim.capture/v1"}
//
// on one line, as RFC 8785 (JSON Canonicalization Scheme) writes it:
// object keys sorted, no whitespace, strings escaping only '"', '\' and
// control characters (\b \t \n \f \r by name, others as \u00xx), every
// other character as UTF-8 (invalid UTF-8 becomes U+FFFD), integers in
// decimal. Artifacts are sorted by kind, then sha256, then media type,
// then size. "at" is the capture time exactly as the archive stores it
// (UTC, milliseconds); "software" is the program and version that made
// the capture, "" when not known (captures from before the ledger).
type Manifest struct {
	CaptureID int64              `json:"capture_id"`
	Kind      string             `json:"kind"`
	Target    string             `json:"target"`
	At        string             `json:"at"`
	Software  string             `json:"software"`
	Artifacts []ManifestArtifact `json:"artifacts"`
}

// ManifestArtifact is one artifact in a Manifest.
type ManifestArtifact struct {
	Kind      string `json:"kind"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// Canonical returns the manifest's canonical JSON, the bytes the leaf hash
// is taken over.
func (m Manifest) Canonical() []byte {
	arts := slices.Clone(m.Artifacts)
	slices.SortFunc(arts, func(a, b ManifestArtifact) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.SHA256, b.SHA256),
			strings.Compare(a.MediaType, b.MediaType), cmp.Compare(a.Size, b.Size))
	})
	// The keys in sorted order, written directly: the same bytes that
	// CanonicalJSON makes of the object (a test holds the two together),
	// several times faster.
	b := make([]byte, 0, 256+160*len(arts))
	b = append(b, `{"artifacts":[`...)
	for i, a := range arts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kind":`...)
		b = appendString(b, a.Kind)
		b = append(b, `,"media_type":`...)
		b = appendString(b, a.MediaType)
		b = append(b, `,"sha256":`...)
		b = appendString(b, a.SHA256)
		b = append(b, `,"size":`...)
		b = appendInt(b, a.Size)
		b = append(b, '}')
	}
	b = append(b, `],"at":`...)
	b = appendString(b, m.At)
	b = append(b, `,"capture_id":`...)
	b = appendInt(b, m.CaptureID)
	b = append(b, `,"kind":`...)
	b = appendString(b, m.Kind)
	b = append(b, `,"software":`...)
	b = appendString(b, m.Software)
	b = append(b, `,"target":`...)
	b = appendString(b, m.Target)
	b = append(b, `,"type":`...)
	b = appendString(b, ManifestType)
	return append(b, '}')
}

// appendInt writes an integer as canonical JSON does. Ids and sizes stay
// far below 2^53, beyond which JSON numbers lose precision; one above it
// would be a bug, and panics rather than commit to a number that
// verifiers would read differently.
func appendInt(b []byte, n int64) []byte {
	if n > maxSafeInt || n < -maxSafeInt {
		panic(fmt.Sprintf("ledger: integer %d is beyond 2^53", n))
	}
	return strconv.AppendInt(b, n, 10)
}

// LeafHash returns the manifest's leaf hash: SHA-256(0x00 || Canonical()).
func (m Manifest) LeafHash() []byte { return LeafHash(m.Canonical()) }

// ParseManifest reads a manifest in any JSON form (a receipt's, say). It
// does not check that it is canonical; CanonicalJSON does that.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	if probe.Type != ManifestType {
		return m, fmt.Errorf("manifest: type %q, want %q", probe.Type, ManifestType)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	return m, nil
}

// CanonicalJSON re-encodes any JSON text in the canonical form Manifest
// uses (RFC 8785 for documents whose numbers are integers). It is how a
// verifier turns the manifest object in a receipt back into the exact bytes
// of the leaf, without having to know its fields. Numbers other than
// integers of at most 2^53 in magnitude are refused.
func CanonicalJSON(doc []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("canonical json: trailing data after the value")
	}
	return appendCanonical(nil, v)
}

const maxSafeInt = 1 << 53

func appendCanonical(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendString(b, v), nil
	case int64:
		if v > maxSafeInt || v < -maxSafeInt {
			return nil, fmt.Errorf("canonical json: integer %d is beyond 2^53", v)
		}
		return strconv.AppendInt(b, v, 10), nil
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n > maxSafeInt || n < -maxSafeInt || strconv.FormatInt(n, 10) != string(v) {
			if f, ferr := v.Float64(); ferr == nil && f == math.Trunc(f) && math.Abs(f) <= maxSafeInt {
				n = int64(f)
			} else {
				return nil, fmt.Errorf("canonical json: number %s is not an integer of at most 2^53", v)
			}
		}
		return strconv.AppendInt(b, n, 10), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendCanonical(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("canonical json: cannot encode %T", v)
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785
// sorts keys. It differs from byte order only for keys with characters
// beyond U+FFFF next to ones in U+E000–U+FFFF; the manifest's keys are
// ASCII.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmp.Compare(utf16Key(ra), utf16Key(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// utf16Key maps a rune to a value that sorts as its first UTF-16 code unit
// does (surrogates, 0xD800–0xDBFF, sort below U+E000).
func utf16Key(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	s = strings.ToValidUTF8(s, "\uFFFD")
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20:
			b = append(b, c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return append(b, '"')
}

// Software names this program and its version, for the manifests of the
// captures it makes: "verbatim v1.2.3+0123456789ab" from the build
// information, "verbatim (devel)" for a build outside a module version.
func Software() string { return software() }

// software reads the build information once; it never changes.
var software = sync.OnceValue(func() string {
	v := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return "verbatim " + v
})
