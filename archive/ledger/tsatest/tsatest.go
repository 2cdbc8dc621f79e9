// Package tsatest is a local RFC 3161 timestamp authority for tests: an
// HTTP server on loopback that answers timestamp queries with tokens
// signed by a TSA certificate of a test CA made when it starts, and that
// fails on request (FailNext) in the ways a real TSA can.
package tsatest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// Fault is a way for the TSA to fail one request.
type Fault int

const (
	// HTTP500 answers 500 Internal Server Error.
	HTTP500 Fault = iota + 1
	// Hang answers nothing until the client gives up.
	Hang
	// WrongImprint answers a good token over other data.
	WrongImprint
	// WrongNonce answers a good token with another nonce.
	WrongNonce
	// Rejection answers a TimeStampResp with status rejection.
	Rejection
	// NoCert answers a token without the TSA's certificate.
	NoCert
	// NotTSACert answers a token signed by a certificate that is not for
	// timestamping.
	NotTSACert
)

// PolicyOID is the TSA policy its tokens state.
var PolicyOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}

// TSA is a running test timestamp authority.
type TSA struct {
	// URL is where it answers timestamp queries (POST).
	URL string
	// CA is the test root that issued Cert; CAPEM is it in PEM.
	CA    *x509.Certificate
	CAPEM []byte
	// Cert is the TSA's signing certificate: extended key usage
	// timeStamping only, critical, as RFC 3161 section 2.3 asks.
	Cert *x509.Certificate

	key       crypto.Signer
	other     *x509.Certificate // not for timestamping
	otherKey  crypto.Signer
	now       func() time.Time
	srv       *httptest.Server
	mu        sync.Mutex
	faults    []Fault
	requests  []*timestamp.Request
	closeOnce sync.Once
	hang      chan struct{}
}

// New starts a TSA whose clock is now (time.Now when nil) and stops it
// when the test ends.
func New(t testing.TB, now func() time.Time) *TSA {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	s := &TSA{now: now, hang: make(chan struct{})}
	caKey := newKey(t)
	start := now().Add(-time.Hour)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "verbatim test TSA root", Organization: []string{"tsatest"}},
		NotBefore:             start,
		NotAfter:              start.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	s.CA = create(t, caTmpl, caTmpl, caKey, caKey)
	s.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.CA.Raw})

	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}}) // id-kp-timeStamping
	if err != nil {
		t.Fatal(err)
	}
	s.key = newKey(t)
	s.Cert = create(t, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "verbatim test TSA", Organization: []string{"tsatest"}},
		NotBefore:    start,
		NotAfter:     start.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// Critical, which Go's ExtKeyUsage field does not make.
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}, s.CA, s.key, caKey)
	s.otherKey = newKey(t)
	s.other = create(t, &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: "verbatim test web server"},
		NotBefore:    start,
		NotAfter:     start.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, s.CA, s.otherKey, caKey)

	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/tsa"
	t.Cleanup(s.Close)
	return s
}

// Close stops the TSA, releasing any hanging request.
func (s *TSA) Close() {
	s.closeOnce.Do(func() {
		close(s.hang)
		s.srv.Close()
	})
}

// FailNext makes the next request fail with f; faults queue up.
func (s *TSA) FailNext(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Requests returns the timestamp queries received so far.
func (s *TSA) Requests() []*timestamp.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*timestamp.Request(nil), s.requests...)
}

// WriteCA writes CAPEM to dir/tsa-ca.pem and returns its path.
func (s *TSA) WriteCA(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tsa-ca.pem")
	if err := os.WriteFile(p, s.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *TSA) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "POST application/timestamp-query", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var f Fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()

	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              s.now().UTC().Truncate(time.Second),
		Accuracy:          time.Second,
		Nonce:             req.Nonce,
		Policy:            PolicyOID,
		AddTSACertificate: req.Certificates,
	}
	cert, key := s.Cert, s.key
	switch f {
	case HTTP500:
		http.Error(w, "the TSA is down", http.StatusInternalServerError)
		return
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
		return
	case Rejection:
		b, err := timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadAlgorithm)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		reply(w, b)
		return
	case WrongImprint:
		h := sha256.Sum256([]byte("something else"))
		ts.HashedMessage = h[:]
	case WrongNonce:
		ts.Nonce = new(big.Int).Add(req.Nonce, big.NewInt(1))
	case NoCert:
		ts.AddTSACertificate = false
	case NotTSACert:
		cert, key = s.other, s.otherKey
	}
	b, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, b)
}

func reply(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(b)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func create(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
