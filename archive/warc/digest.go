package warc

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// digestLabel is the algorithm label of every digest Write produces.
const digestLabel = "sha256:"

// formatDigest renders a SHA-256 sum as a WARC digest field value.
func formatDigest(sum []byte) string {
	return digestLabel + hex.EncodeToString(sum)
}

// parsedDigest is a WARC digest field value taken apart.
type parsedDigest struct {
	name    string // sha1, sha256 or sha512
	newHash func() hash.Hash
	sum     []byte
}

// parseDigest reads a WARC digest field value, "algorithm:value", as other
// writers produce it too: the algorithm sha1, sha256 or sha512 (with or
// without the hyphen, in any case), the value in hex, base32 or base64.
func parseDigest(s string) (parsedDigest, error) {
	label, value, ok := strings.Cut(s, ":")
	if !ok || value == "" {
		return parsedDigest{}, fmt.Errorf("digest %q: want algorithm:value", s)
	}
	var d parsedDigest
	var size int
	d.name = strings.ReplaceAll(strings.ToLower(label), "-", "")
	switch d.name {
	case "sha1":
		d.newHash, size = sha1.New, sha1.Size
	case "sha256":
		d.newHash, size = sha256.New, sha256.Size
	case "sha512":
		d.newHash, size = sha512.New, sha512.Size
	default:
		return parsedDigest{}, fmt.Errorf("digest %q: unsupported algorithm %q", s, label)
	}
	for _, decode := range []func(string) ([]byte, error){
		hex.DecodeString,
		func(v string) ([]byte, error) { return base32.StdEncoding.DecodeString(strings.ToUpper(v)) },
		func(v string) ([]byte, error) {
			return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(v))
		},
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
	} {
		if sum, err := decode(value); err == nil && len(sum) == size {
			d.sum = sum
			return d, nil
		}
	}
	return parsedDigest{}, fmt.Errorf("digest %q: value is not a %s sum in hex, base32 or base64", s, label)
}
