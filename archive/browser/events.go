package browser

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// event updates the capture from one event of its tab. It runs on the
// tab's reader goroutine, so it only records and hands slow work to
// goroutines.
func (c *capture) event(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		// An event stream never ends, so it does not keep a page busy.
		if ev.Type != network.ResourceTypeEventSource {
			c.inflight[ev.RequestID] = struct{}{}
		}
		c.changed = time.Now()
		if ev.Type != network.ResourceTypeDocument || ev.FrameID != c.frame {
			break
		}
		d := c.docs[ev.RequestID]
		if d == nil {
			d = &doc{id: ev.RequestID}
			c.docs[ev.RequestID] = d
			c.order = append(c.order, ev.RequestID)
			if c.req.Only&PartBody != 0 {
				// Asked for now, the stream starts with the first byte; the
				// browser answers once the response arrives.
				c.spawn(func(ctx context.Context) { c.streamBody(ctx, d) })
			}
		}
		if r := ev.RedirectResponse; r != nil {
			d.hops = append(d.hops, Redirect{URL: r.URL, Status: int(r.Status), Location: headerValue(r.Headers, "Location")})
		}
		d.request = ev.Request
	case *network.EventRequestWillBeSentExtraInfo:
		c.reqExtra[ev.RequestID] = ev.Headers
	case *network.EventResponseReceivedExtraInfo:
		if d := c.docs[ev.RequestID]; d != nil {
			d.respExtra = ev
		} else {
			c.respExtra[ev.RequestID] = ev
		}
	case *network.EventResponseReceived:
		c.checkRemote(ev.Response)
		d := c.docs[ev.RequestID]
		if d == nil {
			break
		}
		d.response = ev.Response
		if x := c.respExtra[ev.RequestID]; x != nil && d.respExtra == nil {
			d.respExtra = x
		}
	case *network.EventDataReceived:
		d := c.docs[ev.RequestID]
		if d == nil {
			break
		}
		d.received += ev.DataLength
		d.streamedBytes += int64(len(ev.Data))
		if len(ev.Data) > 0 && int64(len(d.stream)) < c.p.opts.MaxBodyBytes {
			d.stream = append(d.stream, ev.Data...)
		}
		if d.received > c.p.opts.MaxBodyBytes && !d.truncated {
			d.truncated = true
			select {
			case c.stop <- struct{}{}:
			default:
			}
		}
	case *network.EventLoadingFinished:
		delete(c.inflight, ev.RequestID)
		c.changed = time.Now()
		if d := c.docs[ev.RequestID]; d != nil {
			d.finished = true
			if c.req.Only&PartBody != 0 && !d.truncated {
				d.fetched = make(chan struct{})
				c.spawn(func(ctx context.Context) { c.fetchBody(ctx, d) })
			}
		}
	case *network.EventLoadingFailed:
		delete(c.inflight, ev.RequestID)
		c.changed = time.Now()
	case *network.EventWebSocketCreated:
		c.spawn(func(ctx context.Context) { c.checkWebSocket(ctx, ev.URL) })
	case *page.EventFrameAttached:
		c.frames = append(c.frames, ev.FrameID)
		c.p.frames.Store(ev.FrameID, c)
	case *page.EventFrameNavigated:
		if ev.Frame.ParentID == "" && ev.Frame.ID == c.frame {
			c.loader = ev.Frame.LoaderID
			c.pageURL = ev.Frame.URL + ev.Frame.URLFragment
			c.loaded = false
		}
	case *page.EventNavigatedWithinDocument:
		if ev.FrameID == c.frame {
			c.pageURL = ev.URL
		}
	case *page.EventLifecycleEvent:
		if ev.FrameID == c.frame && ev.Name == "load" && ev.LoaderID == c.loader {
			c.loaded = true
		}
	default:
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// spawn runs f on a goroutine that the capture waits for before it ends.
// c.mu is held.
func (c *capture) spawn(f func(ctx context.Context)) {
	if c.ending {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f(c.ctx)
	}()
}

// refused records the guard's refusal of a request of this capture's page.
func (c *capture) refused(ev fetch.EventRequestPaused, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.blocked) < 1000 {
		c.blocked = append(c.blocked, Blocked{URL: ev.Request.URL, Reason: err.Error()})
	}
	if ev.ResourceType == network.ResourceTypeDocument && ev.FrameID == c.frame && c.refusal == nil {
		c.refusal = err
	}
}

// checkRemote refuses the capture when the browser got a response from an
// address the guard refuses: a host that resolved differently for the
// browser than for the guard. c.mu is held.
func (c *capture) checkRemote(r *network.Response) {
	if c.violation != nil || r == nil || r.RemoteIPAddress == "" {
		return
	}
	addr, err := netip.ParseAddr(strings.Trim(r.RemoteIPAddress, "[]"))
	if err != nil {
		return
	}
	if err := c.p.guard.CheckAddr(addr); err != nil {
		c.violation = fmt.Errorf("the browser reached %s for %s: %w", addr, r.URL, err)
	}
}

// checkWebSocket applies the guard to a WebSocket the page opened: the
// browser does not pause those for interception, so a refused one spoils
// the capture instead.
func (c *capture) checkWebSocket(ctx context.Context, rawURL string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return
	}
	u.Scheme = strings.Replace(strings.Replace(u.Scheme, "wss", "https", 1), "ws", "http", 1)
	if err := c.p.check(ctx, u.String()); err != nil && !errors.Is(err, context.Canceled) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.violation == nil {
			c.violation = fmt.Errorf("the page opened a WebSocket to %s: %w", rawURL, err)
		}
	}
}

// streamBody asks the browser to stream the document's body, so that a body
// too long to be kept whole is still kept up to its start.
func (c *capture) streamBody(ctx context.Context, d *doc) {
	res, err := chromedp.Call(ctx, network.StreamResourceContent, network.StreamResourceContentParams{RequestID: d.id})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		// The body was already complete; fetchBody has it.
		return
	}
	d.streamed = true
	d.streamedBytes += int64(len(res.BufferedData))
	d.stream = append(res.BufferedData, d.stream...)
	if limit := c.p.opts.MaxBodyBytes; int64(len(d.stream)) > limit {
		d.stream = d.stream[:limit]
	}
}

// fetchBody fetches a loaded document's body as the browser received it.
func (c *capture) fetchBody(ctx context.Context, d *doc) {
	defer close(d.fetched)
	res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: d.id})
	c.mu.Lock()
	defer c.mu.Unlock()
	d.body, d.bodyErr = res.Body, err
}

// settle waits until the page has loaded and, for SettleNetworkIdle, until
// no request has been in flight for idleWindow; for SettleDelay, delay
// after the load. It reports false if ctx ended first.
func (c *capture) settle(ctx context.Context, mode string, delay time.Duration) bool {
	for {
		c.mu.Lock()
		loaded, busy, quiet := c.loaded || c.stopped, len(c.inflight) > 0, time.Since(c.changed)
		c.mu.Unlock()
		wait := time.Minute // until something changes
		switch {
		case !loaded:
		case mode == SettleDelay:
			return sleep(ctx, delay)
		case !busy && quiet >= idleWindow:
			return true
		case !busy:
			wait = idleWindow - quiet
		}
		t := time.NewTimer(wait)
		select {
		case <-c.wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// handleDialogs dismisses every JavaScript dialog (accepting alerts and
// beforeunload), so that none holds the page.
func (c *capture) handleDialogs(ctx context.Context, dialogs iter.Seq2[page.EventJavascriptDialogOpening, error]) {
	for ev, err := range dialogs {
		if err != nil {
			return
		}
		c.mu.Lock()
		if len(c.dialogs) < 100 {
			c.dialogs = append(c.dialogs, Dialog{Type: string(ev.Type), Message: ev.Message})
		}
		c.mu.Unlock()
		accept := ev.Type == page.DialogTypeAlert || ev.Type == page.DialogTypeBeforeunload
		if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept}); err != nil && ctx.Err() == nil {
			c.p.log.Debug("dismiss dialog", "url", c.req.URL, "err", err)
		}
	}
}

// stopWhenTooLong stops loading once the main document outgrows
// MaxBodyBytes.
func (c *capture) stopWhenTooLong(ctx context.Context) {
	select {
	case <-c.stop:
		// Stopping before the document commits would cancel the navigation
		// rather than cut the document.
		for {
			c.mu.Lock()
			committed := c.loader != ""
			c.mu.Unlock()
			if committed || !sleep(ctx, 10*time.Millisecond) {
				break
			}
		}
		// The renderer may be busy parsing what came so far.
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := chromedp.Call(sctx, page.StopLoading, cdp.Empty{})
		cancel()
		if err != nil {
			c.p.log.Debug("stop loading", "url", c.req.URL, "err", err)
		}
		// A stopped page fires no load event, and the browser may leave the
		// cut document's request open: the page is as loaded as it gets.
		c.mu.Lock()
		c.stopped = true
		for id, d := range c.docs {
			if d.truncated {
				delete(c.inflight, id)
			}
		}
		c.changed = time.Now()
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	case <-ctx.Done():
	}
}

// downloadError describes a navigation that turned into a download.
func (c *capture) downloadError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, id := range c.order {
		if r := c.docs[id].response; r != nil {
			if v := headerValue(r.Headers, "Content-Disposition"); v != "" {
				parts = append(parts, "Content-Disposition: "+v)
			}
			if r.MimeType != "" {
				parts = append(parts, "Content-Type: "+r.MimeType)
			}
		}
	}
	if len(parts) == 0 {
		return ErrDownload
	}
	return fmt.Errorf("%w (%s)", ErrDownload, strings.Join(parts, "; "))
}

// alive reports whether the page answers a trivial script within d.
func (c *capture) alive(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var one int
	return evaluate(ctx, "1", &one) == nil
}

// quickTimeout bounds calls that should answer at once.
const quickTimeout = time.Second

// quick runs f with a short timeout.
func quick(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, quickTimeout)
	defer cancel()
	return f(ctx)
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// evaluate runs a script in the page and decodes its JSON value into v.
func evaluate(ctx context.Context, expr string, v any) error {
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression:    expr,
		ReturnByValue: new(true),
		Silent:        new(true),
	})
	if err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return &chromedp.ExceptionError{ExceptionDetails: res.ExceptionDetails}
	}
	if res.Result == nil || len(res.Result.Value) == 0 {
		return errors.New("script returned no value")
	}
	return json.Unmarshal(res.Result.Value, v)
}

//go:embed js/consent.js
var consentJS string

// consentResult is what js/consent.js reports.
type consentResult struct {
	Clicked   string `json:"clicked"`
	Remaining bool   `json:"remaining"`
	What      string `json:"what"`
}

// consent runs js/consent.js in mode "dismiss" or "detect".
func (c *capture) consent(ctx context.Context, mode string) (consentResult, error) {
	var r consentResult
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := evaluate(ctx, fmt.Sprintf("(%s)(%q)", strings.TrimSpace(consentJS), mode), &r)
	return r, err
}

// certificates fetches the chain of the final document's server when it
// came over https.
func (c *capture) certificates(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	d := c.finalDoc()
	var origin string
	if d != nil && d.response != nil && d.response.SecurityDetails != nil {
		if u, err := url.Parse(d.response.URL); err == nil {
			origin = u.Scheme + "://" + u.Host
		}
	}
	c.mu.Unlock()
	if origin == "" {
		return nil, nil
	}
	res, err := chromedp.Call(ctx, network.GetCertificate, network.GetCertificateParams{Origin: origin})
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, b64 := range res.TableNames {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("decode certificate: %w", err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return out, nil
}

// finalDoc is the main-frame document on show: the one committed last, or
// the first asked for. c.mu is held.
func (c *capture) finalDoc() *doc {
	if d := c.docs[network.RequestID(c.loader)]; d != nil {
		return d
	}
	if len(c.order) > 0 {
		return c.docs[c.order[0]]
	}
	return nil
}

// fill copies the main document's HTTP exchange into res. c.mu is held.
func (c *capture) fill(res *Result) {
	res.PageURL = c.pageURL
	d := c.finalDoc()
	if d == nil {
		return
	}
	res.Redirects = append([]Redirect(nil), d.hops...)
	if r := d.request; r != nil {
		h := c.reqExtra[d.id]
		if len(h) == 0 {
			h = r.Headers
		}
		res.Request = &HTTPRequest{Method: r.Method, URL: r.URL + r.URLFragment, Headers: sortedHeaders(h)}
		res.FinalURL = r.URL + r.URLFragment
	}
	r := d.response
	if r == nil {
		return
	}
	res.FinalURL, res.Status = r.URL, int(r.Status)
	resp := &HTTPResponse{
		URL:        r.URL,
		Protocol:   r.Protocol,
		Status:     int(r.Status),
		StatusText: r.StatusText,
		MIMEType:   r.MimeType,
		Charset:    r.Charset,
		RemoteIP:   strings.Trim(r.RemoteIPAddress, "[]"),
		RemotePort: int(r.RemotePort),
		BodySize:   d.received,
	}
	if x := d.respExtra; x != nil && int(x.StatusCode) == resp.Status {
		resp.HeadersText = x.HeadersText
		if h := parseHeadersText(x.HeadersText); len(h) > 0 {
			resp.Headers = h
		} else {
			resp.Headers = sortedHeaders(x.Headers)
		}
	}
	if resp.Headers == nil {
		resp.Headers = sortedHeaders(r.Headers)
	}
	if c.req.Only&PartBody != 0 {
		c.fillBody(d, resp, res)
	}
	res.Response = resp
	if s := r.SecurityDetails; s != nil {
		res.TLS = &TLS{
			Protocol:                s.Protocol,
			KeyExchange:             s.KeyExchange,
			KeyExchangeGroup:        s.KeyExchangeGroup,
			Cipher:                  s.Cipher,
			SubjectName:             s.SubjectName,
			Issuer:                  s.Issuer,
			SANs:                    s.SanList,
			ValidFrom:               epoch(float64(s.ValidFrom)),
			ValidTo:                 epoch(float64(s.ValidTo)),
			CertificateTransparency: string(s.CertificateTransparencyCompliance),
			ChainPEM:                c.chain,
		}
	}
}

// fillBody chooses the best copy of the body: the whole of it fetched once
// loaded, else what was streamed.
func (c *capture) fillBody(d *doc, resp *HTTPResponse, res *Result) {
	limit := c.p.opts.MaxBodyBytes
	var body []byte
	truncated := d.truncated
	switch {
	case d.body != nil && d.bodyErr == nil:
		body = d.body
	case d.streamed && d.streamedBytes == d.received:
		// Every byte received was streamed: the stream is the body's start.
		body = d.stream
		truncated = truncated || !d.finished || int64(len(body)) < d.received
	case d.streamed:
		res.Problems = append(res.Problems, fmt.Sprintf("body: the browser streamed %d of %d bytes; not kept", d.streamedBytes, d.received))
	case d.bodyErr != nil:
		res.Problems = append(res.Problems, "body: "+d.bodyErr.Error())
	case d.received > 0:
		res.Problems = append(res.Problems, "body: not kept by the browser")
	}
	if int64(len(body)) > limit {
		body, truncated = body[:limit], true
	}
	resp.Body, resp.BodyTruncated = body, truncated
}

// epoch converts seconds since the Unix epoch.
func epoch(s float64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	sec := int64(s)
	return time.Unix(sec, int64((s-float64(sec))*1e9)).UTC()
}

// headerValue returns a header's value, matching its name in any case.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// sortedHeaders turns the protocol's header map into fields sorted by name.
// The protocol joins repeated headers with "\n"; they are split again.
func sortedHeaders(h network.Headers) []Header {
	out := make([]Header, 0, len(h))
	for k, v := range h {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		for line := range strings.SplitSeq(s, "\n") {
			out = append(out, Header{Name: k, Value: line})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// parseHeadersText parses a raw HTTP/1.x response head into its fields, in
// order.
func parseHeadersText(text string) []Header {
	if text == "" {
		return nil
	}
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(text)))
	if _, err := r.ReadLine(); err != nil { // the status line
		return nil
	}
	var out []Header
	for {
		line, err := r.ReadContinuedLine()
		if err != nil || line == "" {
			return out
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		out = append(out, Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
}
