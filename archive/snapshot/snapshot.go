// Package snapshot records what a page looked like: it takes a browser
// capture, stores every artifact (screenshot, DOM, MHTML, PDF, and a WARC
// file holding them with the main document's HTTP exchange) in the blob
// store, and then records the capture with every hash in one transaction.
package snapshot

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/warc"
)

// Verdicts of a capture. Anything but OK is degraded and retried later; a
// degraded capture never replaces a good one (captures are only added).
const (
	OK            = "ok"
	LoginWall     = "login-wall"
	NotFound      = "not-found"
	ErrorPage     = "error-page"
	CookieOverlay = "cookie-overlay"
	Blank         = "blank"
	Timeout       = "timeout"
	Failed        = "error" // the browser could not capture the page at all
)

// Page is what a browser captured of one URL.
type Page struct {
	URL, FinalURL    string
	Status           int
	Verdict, Detail  string
	Request          *warc.HTTPMessage
	Response         *warc.HTTPMessage
	RemoteIP         string
	TLSChainPEM      []byte // the server's certificate chain, leaf first
	TLSSummary       map[string]any
	Screenshot       []byte // PNG
	ScreenshotHeight int    // pixels in the PNG
	PageHeight       int    // the page's full height
	Capped           bool   // the screenshot stops at the height cap
	DOM              []byte
	MHTML            []byte
	PDF              []byte
	BrowserVersion   string
	UserAgent        string
	Started, Ended   time.Time
}

// Target says what a snapshot is of.
type Target struct {
	URL       string
	Kind      string // post, embed, article, url
	PostID    string // for post and embed snapshots
	ArticleID int64
}

// Result reports a stored snapshot, in the shape `verbatim capture URL`
// prints.
type Result struct {
	ID        int64              `json:"id"`
	URL       string             `json:"url"`
	FinalURL  string             `json:"final_url"`
	Kind      string             `json:"kind"`
	Verdict   string             `json:"verdict"`
	Detail    string             `json:"detail,omitempty"`
	Artifacts []archive.Artifact `json:"artifacts"`
}

// Recorder stores pages.
type Recorder struct {
	DB       *sqlite.DB
	Blobs    *blob.Store
	Software string // "verbatim/<version>"
	Log      *slog.Logger
}

// Record stores a captured page: blobs first, the WARC last, then one
// transaction with the capture and all of its artifacts.
func (r *Recorder) Record(ctx context.Context, t Target, p *Page) (Result, error) {
	res := Result{URL: t.URL, FinalURL: p.FinalURL, Kind: t.Kind, Verdict: p.Verdict, Detail: p.Detail, Artifacts: []archive.Artifact{}}
	if res.Verdict == "" {
		res.Verdict = OK
	}
	type part struct {
		kind, mediaType string
		body            []byte
	}
	parts := []part{
		{warc.KindScreenshot, "image/png", p.Screenshot},
		{warc.KindDOM, "text/html; charset=utf-8", p.DOM},
		{warc.KindMHTML, "multipart/related", p.MHTML},
		{warc.KindPDF, "application/pdf", p.PDF},
	}
	// A random name ties the WARC's records to this capture before the
	// capture has an id.
	var nonce [16]byte
	rand.Read(nonce[:])
	uid := hex.EncodeToString(nonce[:])
	var resources []warc.Resource
	for _, pt := range parts {
		if len(pt.body) == 0 {
			continue
		}
		ref, err := r.Blobs.Put(ctx, bytes.NewReader(pt.body))
		if err != nil {
			return res, fmt.Errorf("snapshot %s: %w", t.URL, err)
		}
		res.Artifacts = append(res.Artifacts, archive.Artifact{Kind: pt.kind, MediaType: pt.mediaType, Size: ref.Size, SHA256: ref.SHA256})
		resources = append(resources, warc.Resource{Kind: pt.kind, MediaType: pt.mediaType, Body: pt.body, Size: ref.Size, SHA256: ref.SHA256,
			URI: "urn:verbatim:snapshot:" + uid + ":" + pt.kind})
	}
	var chainSums []string
	for rest := p.TLSChainPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		s := sha256.Sum256(b.Bytes)
		chainSums = append(chainSums, hex.EncodeToString(s[:]))
	}
	if len(p.TLSChainPEM) > 0 {
		ref, err := r.Blobs.Put(ctx, bytes.NewReader(p.TLSChainPEM))
		if err != nil {
			return res, fmt.Errorf("snapshot %s: %w", t.URL, err)
		}
		res.Artifacts = append(res.Artifacts, archive.Artifact{Kind: "tls-chain", MediaType: "application/x-pem-file", Size: ref.Size, SHA256: ref.SHA256})
	}
	at := p.Started
	if at.IsZero() {
		at = time.Now()
	}
	if p.Response != nil || len(resources) > 0 {
		meta := map[string]string{"verdict": res.Verdict, "final-url": p.FinalURL, "kind": t.Kind, "snapshot-uuid": uid}
		if p.Detail != "" {
			meta["verdict-detail"] = p.Detail
		}
		if len(chainSums) > 0 {
			meta["tls-chain-sha256"] = fmt.Sprint(chainSums)
		}
		if t.PostID != "" {
			meta["post-id"] = t.PostID
		}
		var wb bytes.Buffer
		_, err := warc.Write(&wb, warc.Capture{TargetURI: t.URL, Date: at, Software: r.Software, BrowserVersion: p.BrowserVersion,
			UserAgent: p.UserAgent, IPAddress: p.RemoteIP, Request: p.Request, Response: p.Response, Resources: resources, Metadata: meta})
		if err != nil {
			return res, fmt.Errorf("snapshot %s: warc: %w", t.URL, err)
		}
		ref, err := r.Blobs.Put(ctx, bytes.NewReader(wb.Bytes()))
		if err != nil {
			return res, fmt.Errorf("snapshot %s: %w", t.URL, err)
		}
		res.Artifacts = append(res.Artifacts, archive.Artifact{Kind: "warc", MediaType: "application/warc", Size: ref.Size, SHA256: ref.SHA256})
	}
	detail := map[string]any{"snapshot_uuid": uid, "kind": t.Kind, "url": t.URL, "final_url": p.FinalURL, "status": p.Status,
		"browser": p.BrowserVersion, "user_agent": p.UserAgent, "remote_ip": p.RemoteIP,
		"screenshot_height": p.ScreenshotHeight, "page_height": p.PageHeight, "screenshot_capped": p.Capped,
		"took_ms": p.Ended.Sub(p.Started).Milliseconds()}
	if p.Detail != "" {
		detail["verdict_detail"] = p.Detail
	}
	if p.TLSSummary != nil {
		detail["tls"] = p.TLSSummary
	}
	if p.Response != nil {
		h := map[string]string{}
		for _, kv := range p.Response.Header {
			h[kv.Name] = kv.Value
		}
		detail["headers"] = h
	}
	id, err := r.DB.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: t.URL, Format: t.Kind, Verdict: res.Verdict,
		PostID: t.PostID, ArticleID: t.ArticleID, At: at, Complete: true, Detail: detail, Artifacts: res.Artifacts})
	if err != nil {
		return res, fmt.Errorf("snapshot %s: %w", t.URL, err)
	}
	res.ID = id
	return res, nil
}

// RecordFailure records a capture that produced nothing, so that it is
// seen, reported and retried.
func (r *Recorder) RecordFailure(ctx context.Context, t Target, cause error) (Result, error) {
	res := Result{URL: t.URL, Kind: t.Kind, Verdict: Failed, Detail: cause.Error(), Artifacts: []archive.Artifact{}}
	id, err := r.DB.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: t.URL, Format: t.Kind, Verdict: Failed,
		PostID: t.PostID, ArticleID: t.ArticleID, Complete: true, Detail: map[string]any{"kind": t.Kind, "error": cause.Error()}})
	if err != nil {
		return res, errors.Join(cause, err)
	}
	res.ID = id
	return res, nil
}
