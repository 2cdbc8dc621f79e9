package ledger

// RFC 3161 timestamps on checkpoints. A checkpoint's signature proves who
// stated a tree head, not when: an archive could sign a back-dated one at
// any time. A timestamp token from an outside timestamp authority (TSA)
// over the signed note proves that the note, signature included, existed
// no later than the token's time, to anyone who trusts that TSA.
//
// The timestamped data is the whole checkpoint note as the archive keeps
// it and receipts carry it (origin, size and root lines, the blank line and
// the signature lines): the token's message imprint is SHA-256 of those
// bytes, so that
//
//	openssl ts -verify -data checkpoint.txt -in token.tsr -token_in -CAfile tsa-ca.pem
//
// checks it with nothing but the note, the token and the TSA's CA
// certificate.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// DefaultTSATimeout bounds one exchange with a timestamp authority when
// NewTSAClient is given no HTTP client.
const DefaultTSATimeout = 15 * time.Second

// maxTSAResponse bounds a TSA's answer: a token with a certificate chain is
// a few KiB.
const maxTSAResponse = 1 << 20

// ErrNoTSA is returned when a timestamp is asked for and no timestamp
// authority is configured.
var ErrNoTSA = errors.New("no timestamp authority configured (tsa.url, VERBATIM_TSA_URL)")

// Timestamp is an RFC 3161 timestamp token over a checkpoint note, as the
// archive keeps it and receipts carry it:
//
//	{"tsa": "https://tsa.example/", "time": "2026-02-11T12:00:00Z",
//	 "token": "<base64 DER>"}
//
// Token is the DER TimeStampToken (a CMS ContentInfo holding SignedData
// over a TSTInfo), what `openssl ts -verify -token_in` reads. TSA and Time
// are informative: Time is the token's genTime, and VerifyTimestamp reads
// it from the token.
type Timestamp struct {
	TSA   string    `json:"tsa"`
	Time  time.Time `json:"time"`
	Token []byte    `json:"token"`
}

// Timestamper obtains RFC 3161 timestamps.
type Timestamper interface {
	// Timestamp returns a timestamp token over SHA-256(data). It returns
	// an error if the authority cannot be reached, refuses, or answers
	// with a token that does not verify, is not over data, or is not the
	// answer to this request (nonce).
	Timestamp(ctx context.Context, data []byte) (Timestamp, error)
}

// TSAClient asks an RFC 3161 timestamp authority over HTTP (RFC 3161
// section 3.4: POST application/timestamp-query).
type TSAClient struct {
	url  string // as configured; requests go here
	name string // the URL without credentials, for errors and records
	http *http.Client
}

var _ Timestamper = (*TSAClient)(nil)

// NewTSAClient returns a client of the TSA at rawURL, an http or https
// URL, that sends its requests with hc (a client with DefaultTSATimeout
// when nil). The URL is the operator's configuration, not user input, so it
// may point anywhere, loopback included.
func NewTSAClient(rawURL string, hc *http.Client) (*TSAClient, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tsa: %q is not an http or https URL", rawURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTSATimeout}
	}
	return &TSAClient{url: u.String(), name: u.Redacted(), http: hc}, nil
}

// URL returns the TSA's URL, without any password it holds.
func (c *TSAClient) URL() string { return c.name }

// Timestamp asks the TSA for a token over SHA-256(data), with a fresh
// 64-bit nonce and the TSA's certificate requested (certReq), and checks
// the answer: status granted, the token's signature by the certificate it
// carries, the message imprint and the nonce. Whether the TSA's
// certificate is trusted is the business of whoever verifies the token.
func (c *TSAClient) Timestamp(ctx context.Context, data []byte) (Timestamp, error) {
	digest := sha256.Sum256(data)
	nonce, err := newNonce()
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: %w", c.name, err)
	}
	q := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Certificates: true, Nonce: nonce}
	body, err := q.Marshal()
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: request: %w", c.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: %w", c.name, err)
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	req.Header.Set("Accept", "application/timestamp-reply")
	resp, err := c.http.Do(req)
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: %w", c.name, redactURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse+1))
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: reading the response: %w", c.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Timestamp{}, fmt.Errorf("tsa %s: HTTP %s", c.name, resp.Status)
	}
	if len(b) > maxTSAResponse {
		return Timestamp{}, fmt.Errorf("tsa %s: response larger than %d bytes", c.name, maxTSAResponse)
	}
	token, err := ParseTimestampResponse(b)
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: %w", c.name, err)
	}
	ts, _, err := checkToken(token, digest[:])
	if err != nil {
		return Timestamp{}, fmt.Errorf("tsa %s: %w", c.name, err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return Timestamp{}, fmt.Errorf("tsa %s: the token's nonce %v is not the request's %v: not the answer to this request", c.name, ts.Nonce, nonce)
	}
	return Timestamp{TSA: c.name, Time: ts.Time.UTC(), Token: token}, nil
}

// newNonce returns a random 64-bit nonce with its top bit set, so that it
// is never zero and always eight bytes.
func newNonce() (*big.Int, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	b[0] |= 0x80
	return new(big.Int).SetBytes(b[:]), nil
}

// redactURLError drops the request URL, which may hold credentials, from
// an *url.Error; the caller names the TSA.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// timeStampResp is RFC 3161's TimeStampResp.
type timeStampResp struct {
	Status struct {
		Status       int
		StatusString []string       `asn1:"optional,utf8"`
		FailInfo     asn1.BitString `asn1:"optional"`
	}
	Token asn1.RawValue `asn1:"optional"`
}

// ParseTimestampResponse reads a DER TimeStampResp (what a TSA answers,
// and what `openssl ts -reply` writes) and returns the DER TimeStampToken
// it holds. It fails unless the status is granted (or granted with
// modifications) and a token is present. It does not check the token.
func ParseTimestampResponse(der []byte) ([]byte, error) {
	var r timeStampResp
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("not an RFC 3161 TimeStampResp: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("not an RFC 3161 TimeStampResp: trailing data")
	}
	if st := timestamp.Status(r.Status.Status); st != timestamp.Granted && st != timestamp.GrantedWithMods {
		msg := st.String()
		if len(r.Status.StatusString) > 0 {
			msg += ": " + strings.Join(r.Status.StatusString, "; ")
		}
		for _, fi := range []timestamp.FailureInfo{timestamp.BadAlgorithm, timestamp.BadRequest, timestamp.BadDataFormat,
			timestamp.TimeNotAvailable, timestamp.UnacceptedPolicy, timestamp.UnacceptedExtension,
			timestamp.AddInfoNotAvailable, timestamp.SystemFailure} {
			if r.Status.FailInfo.At(int(fi)) != 0 {
				msg += " (" + fi.String() + ")"
			}
		}
		return nil, errors.New(msg)
	}
	if len(r.Token.FullBytes) == 0 {
		return nil, errors.New("the response is granted but holds no token")
	}
	return bytes.Clone(r.Token.FullBytes), nil
}

// TimestampInfo is what a good timestamp token states.
type TimestampInfo struct {
	// TSA is the URL the archive got the token from, as the receipt says
	// (unauthenticated; Signer is what the token proves).
	TSA string `json:"tsa,omitempty"`
	// Time is the token's genTime: the data existed no later than this.
	Time time.Time `json:"time"`
	// Accuracy is the TSA's stated accuracy of Time, 0 if none.
	Accuracy time.Duration `json:"accuracy,omitempty"`
	// Signer is the subject of the certificate that signed the token.
	Signer string `json:"signer"`
	// Serial is the token's serial number, in hex.
	Serial string `json:"serial"`
	// Chained reports whether the signer's certificate was checked to
	// chain to a trusted root (VerifyTimestamp with roots).
	Chained bool `json:"chained"`
}

// VerifyTimestamp checks that token is a DER RFC 3161 TimeStampToken over
// SHA-256(data), signed by a certificate it carries that is meant for
// timestamping. With roots, it also checks that this certificate chains to
// one of them (through the certificates the token carries) and was valid
// at the token's time; without, the TSA's identity is left to the caller
// (or to `openssl ts -verify`). The error says, in one line, what is wrong.
func VerifyTimestamp(token, data []byte, roots *x509.CertPool) (TimestampInfo, error) {
	digest := sha256.Sum256(data)
	ts, p7, err := checkToken(token, digest[:])
	if err != nil {
		return TimestampInfo{}, err
	}
	info := TimestampInfo{Time: ts.Time.UTC(), Accuracy: ts.Accuracy, Signer: p7.GetOnlySigner().Subject.String()}
	if ts.SerialNumber != nil {
		info.Serial = ts.SerialNumber.Text(16)
	}
	if roots != nil {
		inter := x509.NewCertPool()
		for _, c := range p7.Certificates {
			inter.AddCert(c)
		}
		err := p7.VerifyWithOpts(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: ts.Time,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
		if err != nil {
			return TimestampInfo{}, fmt.Errorf("timestamp token's signer %s is not trusted: %w", info.Signer, err)
		}
		info.Chained = true
	}
	return info, nil
}

// checkToken parses a token, checks its signature by the one certificate
// it carries for its one signer, that this certificate is for
// timestamping, and that the message imprint is SHA-256 digest.
func checkToken(token, digest []byte) (*timestamp.Timestamp, *pkcs7.PKCS7, error) {
	// timestamp.Parse checks the signature only when the token carries a
	// certificate: one without (certReq false) cannot be checked offline.
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("timestamp token is not an RFC 3161 token: %w", err)
	}
	if len(p7.Certificates) == 0 {
		return nil, nil, errors.New("timestamp token carries no certificate, so its signature cannot be checked")
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("timestamp token does not verify: %w", err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, nil, errors.New("timestamp token has not exactly one signer")
	}
	if !slices.Contains(signer.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
		return nil, nil, fmt.Errorf("timestamp token is signed by %s, a certificate not for timestamping", signer.Subject)
	}
	if ts.HashAlgorithm != crypto.SHA256 {
		return nil, nil, fmt.Errorf("timestamp token is over a %v hash, not SHA-256", ts.HashAlgorithm)
	}
	if !bytes.Equal(ts.HashedMessage, digest) {
		return nil, nil, fmt.Errorf("timestamp token is over SHA-256 %x, not %x: it is for other data", ts.HashedMessage, digest)
	}
	return ts, p7, nil
}
