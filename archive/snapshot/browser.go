package snapshot

import (
	"context"

	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/warc"
)

// FromPool adapts a browser pool to the Browser a Snapshotter uses.
func FromPool(p *browser.Pool) Browser { return poolBrowser{p} }

type poolBrowser struct{ p *browser.Pool }

func (b poolBrowser) Capture(ctx context.Context, url string, pdf bool) (*Page, error) {
	res, err := b.p.Capture(ctx, browser.Request{URL: url, PDF: pdf})
	if err != nil {
		return nil, err
	}
	return pageOf(res), nil
}

// pageOf converts a browser result, keeping the main document's HTTP
// exchange for the WARC. The browser hands over decoded bodies, so the
// encoding headers are kept under another name for replay tools.
func pageOf(r *browser.Result) *Page {
	p := &Page{
		URL: r.URL, FinalURL: r.FinalURL, Status: r.Status, Verdict: r.Verdict, Detail: r.Detail,
		Screenshot: r.Screenshot, ScreenshotHeight: r.ScreenshotHeight, PageHeight: r.PageHeight, Capped: r.Capped,
		DOM: r.DOM, MHTML: r.MHTML, PDF: r.PDF, BrowserVersion: r.BrowserVersion, UserAgent: r.UserAgent,
		Started: r.Started, Ended: r.Started.Add(r.Duration),
	}
	if r.Request != nil {
		m := &warc.HTTPMessage{Method: r.Request.Method, URI: r.Request.URL}
		for _, h := range r.Request.Headers {
			m.Header = append(m.Header, warc.Header{Name: h.Name, Value: h.Value})
		}
		p.Request = m
	}
	if r.Response != nil {
		m := &warc.HTTPMessage{URI: r.Response.URL, Protocol: r.Response.Protocol, StatusCode: r.Response.Status,
			Status: r.Response.StatusText, Body: r.Response.Body, BodyTruncated: r.Response.BodyTruncated}
		if m.URI == "" {
			m.URI = r.FinalURL
		}
		for _, h := range r.Response.Headers {
			name := h.Name
			switch lower(name) {
			case "content-encoding", "transfer-encoding", "content-length":
				name = "X-Verbatim-Original-" + name
			}
			m.Header = append(m.Header, warc.Header{Name: name, Value: h.Value})
		}
		p.Response = m
		p.RemoteIP = r.Response.RemoteIP
		if p.Request != nil && p.Request.URI == "" {
			p.Request.URI = m.URI
		}
	}
	if r.TLS != nil {
		p.TLSChainPEM = r.TLS.ChainPEM
		p.TLSSummary = map[string]any{"protocol": r.TLS.Protocol, "cipher": r.TLS.Cipher, "subject": r.TLS.SubjectName,
			"issuer": r.TLS.Issuer, "sans": r.TLS.SANs, "valid_from": r.TLS.ValidFrom, "valid_to": r.TLS.ValidTo}
	}
	return p
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
