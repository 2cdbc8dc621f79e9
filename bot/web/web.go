// Package web is the fact-checkers' front door: a server-rendered web UI
// (html/template, one embedded stylesheet, no JavaScript) and a JSON API
// under /api/v1 that mirrors it. Both answer through the command router
// (bot.Router) that every front door shares, and read blobs straight from
// the blob store.
//
// Handlers return errors; one adapter per kind of route turns them into
// status pages or JSON: a missing post or capture is 404, a query or URL
// the user must fix is 400, a command the server was built without is
// 503, a body over the limit is 413, a write without its token is 401.
package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot"
	"github.com/verbatim-archive/verbatim/verify/extract"
)

// DefaultMaxUpload is the request body limit when Options.MaxUpload is 0.
const DefaultMaxUpload = 10 << 20

// CSP is the Content-Security-Policy of every page: nothing but our own
// stylesheet and images, no scripts, no framing.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Options configure the handler.
type Options struct {
	// Router answers every command; Router.DB is read for the pages that
	// show more than a command returns (captures, accounts, articles).
	Router *bot.Router
	// Blobs serves /blobs/{sha256}; nil answers 503 there.
	Blobs *blob.Store
	// APIToken is the bearer token write actions need (checks, captures),
	// compared in constant time. Empty means no token is accepted.
	APIToken string
	// OpenWrites lets write actions through without a token.
	OpenWrites bool
	// MaxUpload caps request bodies (default DefaultMaxUpload).
	MaxUpload int64
	// Log receives server errors; nil discards them.
	Log *slog.Logger
	// CacheTTL is how long a page or API answer about the archive (search,
	// posts, captures, accounts, articles) is served again without asking
	// the archive; 0 turns the cache off. Status, forms, writes and blobs
	// (which carry their own validators) are never cached.
	CacheTTL time.Duration
	// Now is the clock of the cache; time.Now when nil.
	Now func() time.Time
	// Ledger signs the checkpoint a receipt needs when none covers its
	// capture yet; nil answers receipts with 503.
	Ledger *ledger.Key
	// PublicKey is the ledger's public key text (ledger.pub), served at
	// /checkpoint.pub; the Ledger's when empty.
	PublicKey string
	// Reports is the directory of the integrity reports (<data>/reports)
	// that /reports.atom lists and /reports/{name} serves.
	Reports string
	// PublicURL is the archive's public base URL, for the feed's absolute
	// links; the request's own when empty.
	PublicURL string
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/style.css
var styleCSS []byte

type server struct {
	opts  Options
	r     *bot.Router
	db    *sqlite.DB
	log   *slog.Logger
	pages map[string]*template.Template
}

// New returns the web UI and JSON API as one handler. Mount it at "/".
func New(opts Options) http.Handler {
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = DefaultMaxUpload
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PublicKey == "" && opts.Ledger != nil {
		opts.PublicKey = opts.Ledger.VerifierKey()
	}
	s := &server{opts: opts, r: opts.Router, db: opts.Router.DB, log: opts.Log, pages: parseTemplates()}
	cache := newMicrocache(opts.CacheTTL, opts.Now).wrap
	mux := http.NewServeMux()
	// Pages.
	mux.HandleFunc("GET /{$}", cache(s.page(s.home)))
	mux.HandleFunc("GET /search", cache(s.page(s.search)))
	mux.HandleFunc("GET /posts/{id}", cache(s.page(s.post)))
	mux.HandleFunc("GET /captures/{id}", cache(s.page(s.capture)))
	mux.HandleFunc("GET /accounts/{handle}", cache(s.page(s.account)))
	mux.HandleFunc("GET /check", s.page(s.checkForm))
	mux.HandleFunc("POST /check", s.page(s.checkSubmit))
	mux.HandleFunc("GET /articles/{id}", cache(s.page(s.article)))
	mux.HandleFunc("GET /status", s.page(s.status))
	mux.HandleFunc("GET /blobs/{sha256}", s.page(s.blob))
	mux.HandleFunc("GET /assets/style.css", serveStyle)
	// The evidence ledger and the integrity reports.
	mux.HandleFunc("GET /checkpoint", s.text(s.checkpoint))
	mux.HandleFunc("GET /checkpoint.pub", s.text(s.checkpointPub))
	mux.HandleFunc("GET /reports.atom", s.text(s.reportsAtom))
	mux.HandleFunc("GET /reports/{name}", s.page(s.reportFile))
	mux.HandleFunc("/", s.page(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no page at %s", r.URL.Path)
	}))
	// JSON API.
	mux.HandleFunc("GET /api/v1/search", cache(s.api(s.apiSearch)))
	mux.HandleFunc("GET /api/v1/posts/{id}", cache(s.api(s.apiPost)))
	mux.HandleFunc("GET /api/v1/captures/{id}", cache(s.api(s.apiCapture)))
	mux.HandleFunc("GET /api/v1/captures/{id}/receipt", s.api(s.apiReceipt))
	mux.HandleFunc("GET /api/v1/accounts/{handle}", cache(s.api(s.apiAccount)))
	mux.HandleFunc("GET /api/v1/articles/{id}", cache(s.api(s.apiArticle)))
	mux.HandleFunc("POST /api/v1/check", s.api(s.apiCheck))
	mux.HandleFunc("POST /api/v1/capture", s.api(s.apiCaptureNow))
	mux.HandleFunc("GET /api/v1/status", s.api(s.apiStatus))
	mux.HandleFunc("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no API endpoint %s %s", r.Method, r.URL.Path)
	}))
	// Cross-origin POSTs from browsers (a page elsewhere submitting our
	// forms) are refused before any handler runs.
	return secure(http.NewCrossOriginProtection().Handler(mux))
}

// secure sets the headers every response carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func serveStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(styleCSS)
}

// handlerFunc is a handler that returns its error for the adapter.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusError is an error with the HTTP status and the message to show.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &statusError{code, fmt.Sprintf(format, args...)}
}

// errUnauthorized is a write without a valid token.
var errUnauthorized = errors.New("this action needs the API token (VERBATIM_API_TOKEN): send Authorization: Bearer <token>, or fill in the form's token field")

// classify maps an error to its status and the one line to show. Server
// faults are logged and shown without their detail.
func (s *server) classify(r *http.Request, err error) (int, string) {
	var se *statusError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &se):
		return se.code, se.msg
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, err.Error()
	case errors.As(err, &mbe), errors.Is(err, extract.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: the limit is %d bytes", s.opts.MaxUpload)
	case errors.Is(err, archive.ErrNotFound):
		return http.StatusNotFound, oneLine(err.Error())
	case errors.Is(err, sqlite.ErrQuery):
		return http.StatusBadRequest, oneLine(err.Error())
	case errors.Is(err, netguard.ErrPrivateAddress), errors.Is(err, netguard.ErrBadURL):
		return http.StatusBadRequest, "refused: " + oneLine(err.Error())
	case errors.Is(err, bot.ErrNotAvailable):
		return http.StatusServiceUnavailable, oneLine(err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the request was cancelled or took too long"
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, "internal error (logged on the server)"
}

// page adapts a page handler: errors become an HTML status page.
func (s *server) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code, msg := s.classify(r, err)
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="verbatim"`)
		}
		w.Header().Del("Content-Disposition")
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, code, "error", pageData{Title: http.StatusText(code), Body: errorPage{Code: code, Message: msg}})
	}
}

// api adapts an API handler: errors become {"error": "..."}.
func (s *server) api(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code, msg := s.classify(r, err)
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="verbatim"`)
		}
		w.Header().Del("Content-Disposition")
		writeJSON(w, code, map[string]any{"error": msg, "status": code})
	}
}

// writeJSON writes v as the CLI does (--format json): indented, with
// HTML characters as they are.
func writeJSON(w http.ResponseWriter, code int, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, err := w.Write(b.Bytes())
	return err
}

// render executes a page template into a buffer, so a template error
// never leaves half a page, and writes it with the status code.
func (s *server) render(w http.ResponseWriter, code int, name string, data pageData) {
	data.OpenWrites = s.opts.OpenWrites
	var b bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		s.log.Error("template failed", "page", name, "err", err)
		http.Error(w, "internal error (logged on the server)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// authorized reports whether a write request carries the token (in the
// Authorization header, or for the HTML forms in the "token" field), or
// writes are open.
func (s *server) authorized(r *http.Request, formToken string) bool {
	if s.opts.OpenWrites {
		return true
	}
	if s.opts.APIToken == "" {
		return false
	}
	tok := formToken
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, t, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		tok = strings.TrimSpace(t)
	}
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.APIToken)) == 1
}

// limitBody caps the request body; a declared length over the cap fails
// at once.
func (s *server) limitBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > s.opts.MaxUpload {
		return &http.MaxBytesError{Limit: s.opts.MaxUpload}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxUpload)
	return nil
}

// readAll reads a body or upload that the limit already caps.
func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// oneLine keeps a message to one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
