package browser

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Parts names the optional artifacts of a capture, for Request.Only.
type Parts uint

// Parts of a capture. The visible text, the verdict and the HTTP metadata of
// the main document are always captured.
const (
	// PartScreenshot is the full-page PNG.
	PartScreenshot Parts = 1 << iota
	// PartDOM is the document's HTML after scripts ran.
	PartDOM
	// PartMHTML is the page with its resources as one MHTML file.
	PartMHTML
	// PartBody is the main document's body as received, for the WARC.
	PartBody
	// PartTLS is the server's certificate chain.
	PartTLS
	// AllParts is every part; a zero Request.Only means this.
	AllParts = PartScreenshot | PartDOM | PartMHTML | PartBody | PartTLS
)

// Request is one page to capture.
type Request struct {
	URL string
	// PDF asks for a PDF print of the page as well.
	PDF bool
	// Only limits the capture to these parts; zero means AllParts.
	Only Parts
	// Timeout overrides Options.Timeout for this capture when not zero.
	Timeout time.Duration
}

// Header is one HTTP header field.
type Header struct {
	Name  string
	Value string
}

// HTTPRequest is the main document's request as the browser sent it.
type HTTPRequest struct {
	Method string
	URL    string
	// Headers are the headers sent on the wire when the browser reported
	// them, else the headers the page asked for; sorted by name.
	Headers []Header
}

// HTTPResponse is the main document's response.
type HTTPResponse struct {
	URL string
	// Protocol is the browser's name for it: "http/1.1", "h2", ...
	Protocol   string
	Status     int
	StatusText string
	// Headers are in the order received when the browser had the raw
	// header text (HTTP/1.x), else sorted by name.
	Headers []Header
	// HeadersText is the raw status line and headers as received, when the
	// protocol has a text form.
	HeadersText string
	MIMEType    string
	Charset     string
	RemoteIP    string
	RemotePort  int
	// Body is the body after content decoding (gzip, br), byte for byte
	// otherwise. BodySize is how many such bytes the browser received.
	Body          []byte
	BodySize      int64
	BodyTruncated bool
}

// Redirect is one HTTP redirect on the way to the final URL.
type Redirect struct {
	URL      string
	Status   int
	Location string
}

// TLS describes an https connection to the main document's server.
type TLS struct {
	Protocol         string
	KeyExchange      string
	KeyExchangeGroup string
	Cipher           string
	SubjectName      string
	Issuer           string
	SANs             []string
	ValidFrom        time.Time
	ValidTo          time.Time
	// CertificateTransparency is the browser's CT compliance verdict.
	CertificateTransparency string
	// ChainPEM is the certificate chain, leaf first, as PEM.
	ChainPEM []byte
}

// Dialog is a JavaScript dialog the page opened; each is dismissed (alerts
// are accepted).
type Dialog struct {
	Type    string
	Message string
}

// Blocked is a request of the page that the guard refused.
type Blocked struct {
	URL    string
	Reason string
}

// Result is everything one capture recorded.
type Result struct {
	// URL is the URL asked for; FinalURL the main document's after HTTP
	// redirects; PageURL the document's when captured (after any
	// client-side navigation).
	URL       string
	FinalURL  string
	PageURL   string
	Redirects []Redirect
	// Status is the main document's HTTP status, 0 if none arrived.
	Status   int
	Request  *HTTPRequest
	Response *HTTPResponse
	TLS      *TLS

	// Screenshot is a PNG of the page, ScreenshotHeight CSS pixels tall:
	// the page's PageHeight, or MaxScreenshotHeight when Capped.
	Screenshot       []byte
	PageHeight       int
	ScreenshotHeight int
	Capped           bool
	// DOM is the document's HTML after scripts ran.
	DOM   []byte
	MHTML []byte
	PDF   []byte
	// Text is the page's visible text (document.body.innerText), cut at
	// 1 MiB.
	Text          string
	TextTruncated bool

	Verdict string
	Detail  string

	Dialogs  []Dialog
	Blocked  []Blocked
	Problems []string // artifacts that could not be made, and why

	BrowserVersion string
	UserAgent      string
	Started        time.Time
	Duration       time.Duration
}

// maxText caps Result.Text, in bytes.
const maxText = 1 << 20

// idleWindow is how long no request may be in flight for a page to be idle.
const idleWindow = 500 * time.Millisecond

// reserve is how much of a capture's timeout is kept for making artifacts
// after a page that does not settle.
func reserve(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 2*time.Second), 10*time.Second, timeout/2)
}

// Capture loads req.URL in a new tab, lets it settle and records it. It
// returns an error when nothing worth keeping was captured: the URL was
// refused (wrapping netguard.ErrPrivateAddress), the page did not load
// (ErrNavigation, ErrDownload, ErrTimeout), the browser died (ErrBrowserDied)
// or the pool was closed (ErrClosed). A page that loaded but did not settle
// in time gives a Result with VerdictTimeout and what was captured by then.
func (p *Pool) Capture(ctx context.Context, req Request) (*Result, error) {
	if err := p.guard.Check(ctx, req.URL); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = p.opts.Timeout
	}
	if req.Only == 0 {
		req.Only = AllParts
	}
	select {
	case p.tabs <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("capture %s: waiting for a tab: %w", req.URL, ctx.Err())
	case <-p.ctx.Done():
		return nil, fmt.Errorf("capture %s: %w", req.URL, ErrClosed)
	}
	defer func() { <-p.tabs }()

	for attempt := 0; ; attempt++ {
		// Starting a new browser does not count against the timeout.
		inst, err := p.instance(ctx)
		if err != nil {
			return nil, fmt.Errorf("capture %s: %w", req.URL, err)
		}
		started := time.Now()
		cctx, cancel := context.WithTimeout(ctx, timeout)
		c := &capture{
			p:         p,
			inst:      inst,
			req:       req,
			started:   started,
			timeout:   timeout,
			docs:      make(map[network.RequestID]*doc),
			reqExtra:  make(map[network.RequestID]network.Headers),
			respExtra: make(map[network.RequestID]*network.EventResponseReceivedExtraInfo),
			inflight:  make(map[network.RequestID]struct{}),
			wake:      make(chan struct{}, 1),
			stop:      make(chan struct{}, 1),
		}
		res, opened, err := c.run(cctx)
		cancel()
		switch {
		case err == nil:
			return res, nil
		case p.ctx.Err() != nil:
			return nil, fmt.Errorf("capture %s: %w", req.URL, ErrClosed)
		case inst.ctx.Err() != nil && !opened && attempt == 0 && ctx.Err() == nil:
			// The browser was already gone when the tab was asked for:
			// start a new one and try once more.
			continue
		case inst.ctx.Err() != nil:
			return nil, fmt.Errorf("capture %s: %w (%w)", req.URL, ErrBrowserDied, err)
		}
		return nil, fmt.Errorf("capture %s: %w", req.URL, err)
	}
}

// capture is the state of one capture while it runs.
type capture struct {
	p       *Pool
	inst    *instance
	req     Request
	started time.Time
	timeout time.Duration
	ctx     context.Context // the tab's; ends with the capture
	frame   cdp.FrameID     // the main frame, whose id is the tab's

	mu        sync.Mutex
	docs      map[network.RequestID]*doc // main-frame documents
	order     []network.RequestID        // docs, in the order asked for
	reqExtra  map[network.RequestID]network.Headers
	respExtra map[network.RequestID]*network.EventResponseReceivedExtraInfo
	loader    cdp.LoaderID // the main frame's committed document
	pageURL   string
	loaded    bool // the committed document fired load
	stopped   bool // loading was stopped: the document is too long
	inflight  map[network.RequestID]struct{}
	changed   time.Time // last request start or end
	frames    []cdp.FrameID
	blocked   []Blocked
	refusal   error // the guard's refusal of a main-frame document
	violation error // a response from an address the guard refuses
	dialogs   []Dialog
	chain     []byte // the server's certificates, PEM
	ending    bool   // no more goroutines may start
	wg        sync.WaitGroup

	wake chan struct{} // something changed
	stop chan struct{} // the main document is too long: stop loading
}

// doc is a main-frame document request and what came back.
type doc struct {
	id        network.RequestID
	hops      []Redirect
	request   *network.Request
	response  *network.Response
	respExtra *network.EventResponseReceivedExtraInfo
	received  int64
	stream    []byte // body bytes streamed by the browser, up to MaxBodyBytes
	streamed  bool   // the browser agreed to stream the body
	// streamedBytes counts the bytes streamed, kept or not; it equals
	// received when the stream holds the body from its first byte.
	streamedBytes int64
	fetched       chan struct{} // closed when fetchBody is done; nil if not started
	body          []byte        // body fetched once loaded
	bodyErr       error
	finished      bool
	truncated     bool
}

// run captures in a tab of c.inst. It reports whether the tab opened. The tab
// is closed in the background.
func (c *capture) run(ctx context.Context) (*Result, bool, error) {
	p := c.p
	// Each capture gets a browser context of its own, like a fresh
	// incognito window: no cookies or storage carry over between captures.
	var tabOpts []chromedp.ContextOption
	if !p.opts.sharedContext {
		tabOpts = append(tabOpts, chromedp.WithNewBrowserContext())
	}
	tabCtx, closeTab := chromedp.NewContext(c.inst.ctx, tabOpts...)
	runCtx, stop := context.WithCancel(tabCtx)
	stopAfter := context.AfterFunc(ctx, stop)
	p.mu.Lock()
	async := !p.closed
	if async {
		p.bg.Add(1)
	}
	p.mu.Unlock()
	defer func() {
		stopAfter()
		c.mu.Lock()
		c.ending = true
		c.mu.Unlock()
		stop()
		c.wg.Wait()
		for _, f := range c.frames {
			p.frames.Delete(f)
		}
		p.frames.Delete(c.frame)
		if !async {
			closeTab()
			return
		}
		// Closing a tab can take seconds when its page hangs; do it after
		// returning. The tab's slot is free for the next capture, but no
		// more tabs than slots may be closing at once.
		p.closing <- struct{}{}
		go func() {
			defer p.bg.Done()
			closeTab()
			<-p.closing
		}()
	}()

	if err := chromedp.Do(runCtx); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && c.inst.ctx.Err() == nil {
			return nil, false, fmt.Errorf("%w: opening a tab took longer than %s", ErrTimeout, c.timeout)
		}
		return nil, false, fmt.Errorf("open tab: %w", err)
	}
	if id := chromedp.FromContext(runCtx).BrowserContextID; id != "" {
		if _, err := chromedp.CallBrowser(runCtx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior:         browser.SetDownloadBehaviorBehaviorDeny,
			BrowserContextID: id,
		}); err != nil {
			return nil, true, fmt.Errorf("refuse downloads: %w", err)
		}
	}
	c.ctx = runCtx
	c.frame = cdp.FrameID(chromedp.FromContext(runCtx).Target.TargetID)
	p.frames.Store(c.frame, c)
	if err := chromedp.Listen(runCtx, c.event); err != nil {
		return nil, true, fmt.Errorf("listen: %w", err)
	}
	dialogs := chromedp.Events(runCtx, page.JavascriptDialogOpening)
	c.mu.Lock()
	c.spawn(func(ctx context.Context) { c.handleDialogs(ctx, dialogs) })
	c.spawn(c.stopWhenTooLong)
	c.mu.Unlock()

	maxBody := p.opts.MaxBodyBytes
	if c.req.Only&PartBody != 0 {
		// Durable messages keep bodies in the browser process as received,
		// so that the main document's bytes can be fetched raw.
		if _, err := chromedp.Call(runCtx, network.Enable, network.EnableParams{
			MaxTotalBufferSize:    new(maxBody + 32<<20),
			MaxResourceBufferSize: new(maxBody),
			EnableDurableMessages: new(true),
		}); err != nil {
			return nil, true, fmt.Errorf("network: %w", err)
		}
	}
	if _, err := chromedp.Call(runCtx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: int64(p.opts.Width), Height: viewportHeight, DeviceScaleFactor: 1,
	}); err != nil {
		return nil, true, fmt.Errorf("viewport: %w", err)
	}

	// Load, then settle, within the time left after the reserve.
	settleBy := c.started.Add(c.timeout - reserve(c.timeout))
	sctx, scancel := context.WithDeadline(runCtx, settleBy)
	defer scancel()
	timedOut := false
	nav, err := chromedp.Call(sctx, page.Navigate, page.NavigateParams{URL: c.req.URL})
	switch {
	case err != nil && sctx.Err() != nil && ctx.Err() == nil && runCtx.Err() == nil:
		c.mu.Lock()
		committed := c.loader != ""
		c.mu.Unlock()
		if !committed {
			return nil, true, fmt.Errorf("%w: no response within %s", ErrTimeout, settleBy.Sub(c.started).Round(time.Millisecond))
		}
		timedOut = true
	case err != nil:
		return nil, true, fmt.Errorf("navigate: %w", err)
	case nav.IsDownload:
		return nil, true, c.downloadError()
	case nav.ErrorText != "":
		c.mu.Lock()
		refusal := c.refusal
		c.mu.Unlock()
		if refusal != nil {
			return nil, true, refusal
		}
		return nil, true, fmt.Errorf("%w: %s", ErrNavigation, nav.ErrorText)
	}
	if !timedOut {
		timedOut = !c.settle(sctx, p.opts.Settle, p.opts.SettleDelay)
	}
	res := &Result{URL: c.req.URL, Started: c.started, BrowserVersion: c.inst.product, UserAgent: c.inst.ua}
	if timedOut {
		quick(runCtx, func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, page.StopLoading, cdp.Empty{})
			return err
		})
	}

	// A page whose scripts never yield answers nothing: stop the script
	// running, and if the page starts another, all of its scripts.
	probe := min(max(reserve(c.timeout)/3, time.Second), 3*time.Second)
	alive := c.alive(runCtx, probe)
	for step := 0; !alive && step < 2; step++ {
		if step == 1 {
			quick(runCtx, func(ctx context.Context) error {
				_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				return err
			})
		}
		quick(runCtx, func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, runtime.TerminateExecution, cdp.Empty{})
			return err
		})
		if alive = c.alive(runCtx, probe); alive {
			res.Problems = append(res.Problems, "a script kept the page busy; it was stopped")
			if step == 1 {
				res.Problems = append(res.Problems, "scripts were turned off")
			}
		}
	}
	if !alive {
		res.Problems = append(res.Problems, "the page does not answer")
	}

	// Consent banners.
	var overlay consentResult
	if alive {
		overlay, err = c.consent(runCtx, "dismiss")
		if err != nil {
			res.Problems = append(res.Problems, "consent banner: "+err.Error())
		}
		if overlay.Clicked != "" {
			deadline := time.Now().Add(3 * time.Second)
			if settleBy.Before(deadline) {
				deadline = settleBy
			}
			rctx, rcancel := context.WithDeadline(runCtx, deadline)
			c.settle(rctx, SettleNetworkIdle, 0)
			if rctx.Err() != nil {
				sleep(runCtx, 300*time.Millisecond)
			}
			rcancel()
			if after, err := c.consent(runCtx, "detect"); err == nil {
				overlay.Remaining, overlay.What = after.Remaining, after.What
			}
		}
	}

	// late names the artifact that ran out of time after the page settled.
	late := c.artifacts(runCtx, res)
	if timedOut {
		late = ""
	}
	timedOut = timedOut || late != ""

	// The body of the document on show may still be on its way.
	c.mu.Lock()
	var fetched chan struct{}
	if d := c.finalDoc(); d != nil {
		fetched = d.fetched
	}
	c.mu.Unlock()
	if fetched != nil {
		select {
		case <-fetched:
		case <-runCtx.Done():
		}
	}
	c.mu.Lock()
	violation := c.violation
	c.fill(res)
	res.Dialogs = slices.Clone(c.dialogs)
	res.Blocked = slices.Clone(c.blocked)
	loading := len(c.inflight)
	c.mu.Unlock()
	if violation != nil {
		return nil, true, violation
	}
	if r := res.Response; r != nil && r.BodySize > p.opts.MaxBodyBytes {
		res.Problems = append(res.Problems, fmt.Sprintf("the document is longer than %d bytes; loading stopped there", p.opts.MaxBodyBytes))
	}
	if c.req.Only&PartScreenshot != 0 && res.Screenshot == nil && !timedOut {
		return nil, true, fmt.Errorf("no screenshot: %s", strings.Join(res.Problems, "; "))
	}

	uniformShot := false
	if strings.TrimSpace(res.Text) == "" && alive {
		uniformShot = c.uniform(runCtx, res)
	}
	shown := res.PageURL
	if shown == "" {
		shown = res.FinalURL
	}
	res.Verdict, res.Detail = Classify(res.Status, shown, res.Text, uniformShot)
	switch {
	case timedOut && (res.Verdict == VerdictOK || res.Verdict == VerdictBlank):
		res.Verdict = VerdictTimeout
		if late != "" {
			res.Detail = fmt.Sprintf("ran out of time making the %s (timeout %s)", late, c.timeout)
			break
		}
		res.Detail = fmt.Sprintf("the page did not settle within %s", settleBy.Sub(c.started).Round(time.Millisecond))
		if loading > 0 {
			res.Detail += fmt.Sprintf(" (%d requests still loading)", loading)
		}
	case overlay.Remaining && res.Verdict == VerdictOK:
		res.Verdict = VerdictCookieOverlay
		res.Detail = "consent banner still showing: " + overlay.What
		if overlay.Clicked != "" {
			res.Detail += fmt.Sprintf(" after clicking %q", overlay.Clicked)
		}
	case overlay.Clicked != "" && res.Detail == "":
		res.Detail = fmt.Sprintf("cookie overlay dismissed (clicked %q)", overlay.Clicked)
	}
	res.Duration = time.Since(c.started)
	return res, true, nil
}

// artifacts makes the artifacts of the page into res. A failure is noted in
// res.Problems. It returns the name of the first artifact that ran out of
// time, or "".
func (c *capture) artifacts(ctx context.Context, res *Result) (late string) {
	note := func(what string, err error) {
		res.Problems = append(res.Problems, what+": "+err.Error())
		if ctx.Err() != nil && late == "" {
			late = what
		}
	}
	if err := c.text(ctx, res); err != nil {
		note("text", err)
	}
	only := c.req.Only
	if only&PartScreenshot != 0 {
		if err := c.screenshot(ctx, res); err != nil {
			note("screenshot", err)
		}
	}
	if only&PartDOM != 0 {
		dom, err := outerHTML(ctx)
		if err != nil {
			note("dom", err)
		}
		res.DOM = dom
	}
	if only&PartMHTML != 0 {
		snap, err := chromedp.Call(ctx, page.CaptureSnapshot, page.CaptureSnapshotParams{Format: page.CaptureSnapshotFormatMhtml})
		if err != nil {
			note("mhtml", err)
		} else {
			res.MHTML = []byte(snap.Data)
		}
	}
	if c.req.PDF {
		pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: new(true)})
		if err != nil {
			note("pdf", err)
		} else {
			res.PDF = pdf.Data
		}
	}
	if only&PartTLS != 0 {
		chain, err := c.certificates(ctx)
		if err != nil {
			note("certificates", err)
		}
		c.mu.Lock()
		c.chain = chain
		c.mu.Unlock()
	}
	return late
}

// text reads the page's visible text.
func (c *capture) text(ctx context.Context, res *Result) error {
	var v struct {
		Text string `json:"text"`
		Cut  bool   `json:"cut"`
	}
	err := evaluate(ctx, fmt.Sprintf(`(() => {
		const t = document.body ? document.body.innerText : "";
		return {text: t.slice(0, %d), cut: t.length > %d};
	})()`, maxText/3, maxText/3), &v)
	if err != nil {
		return err
	}
	if len(v.Text) > maxText {
		v.Text, v.Cut = strings.ToValidUTF8(v.Text[:maxText], ""), true
	}
	res.Text, res.TextTruncated = v.Text, v.Cut
	return nil
}

// screenshot takes a PNG of the whole page, cut at MaxScreenshotHeight.
func (c *capture) screenshot(ctx context.Context, res *Result) error {
	m, err := chromedp.Call(ctx, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("layout: %w", err)
	}
	full := viewportHeight
	if m.CSSContentSize != nil {
		full = max(int(math.Ceil(m.CSSContentSize.Height)), 1)
	}
	h := min(full, c.p.opts.MaxScreenshotHeight)
	shot, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		Clip:                  &page.Viewport{Width: float64(c.p.opts.Width), Height: float64(h), Scale: 1},
		CaptureBeyondViewport: new(true),
		FromSurface:           new(true),
	})
	if err != nil {
		return err
	}
	res.Screenshot, res.PageHeight, res.ScreenshotHeight, res.Capped = shot.Data, full, h, full > h
	return nil
}

// uniform reports whether the page renders as one colour, judged from a
// small screenshot.
func (c *capture) uniform(ctx context.Context, res *Result) bool {
	h := res.ScreenshotHeight
	if h == 0 {
		h = viewportHeight
	}
	shot, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		Clip:                  &page.Viewport{Width: float64(c.p.opts.Width), Height: float64(h), Scale: 0.125},
		CaptureBeyondViewport: new(true),
		FromSurface:           new(true),
	})
	if err != nil {
		res.Problems = append(res.Problems, "blank check: "+err.Error())
		return false
	}
	u, err := uniformPNG(shot.Data)
	if err != nil {
		res.Problems = append(res.Problems, "blank check: "+err.Error())
		return false
	}
	return u
}

// outerHTML serializes the document, doctype included, through the DevTools
// protocol rather than page scripts, which could lie.
func outerHTML(ctx context.Context) ([]byte, error) {
	doc, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document"})
	if err != nil {
		return nil, err
	}
	if doc.Result == nil || doc.Result.ObjectID == "" {
		return nil, errors.New("no document")
	}
	defer chromedp.Call(ctx, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: doc.Result.ObjectID})
	html, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{ObjectID: doc.Result.ObjectID})
	if err != nil {
		return nil, err
	}
	return []byte(html.OuterHTML), nil
}
