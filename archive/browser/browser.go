// Package browser captures web pages with headless Chromium: a full-page
// screenshot, the DOM after scripts, MHTML, optionally a PDF, the main
// document's HTTP exchange (for the WARC record) and a verdict on what the
// page shows (ok, login wall, not found, ...). It is the only package that
// imports chromedp.
//
// A Pool runs one Chromium process with a bounded number of tabs; each
// capture gets a fresh tab that is closed afterwards. Every request the
// browser makes passes through a netguard.Guard first, and a browser that
// dies is replaced for the next capture. Closing the pool, or cancelling the
// context it was made with, kills Chromium and removes its profile
// directory; a new pool removes the profile directories that killed
// processes left behind. Chromium's own background calls to Google services
// (which no guard sees) are turned off by its flags; see quietFlags.
package browser

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/verbatim-archive/verbatim/archive/netguard"
)

// Errors a capture can wrap. A refused address wraps
// netguard.ErrPrivateAddress.
var (
	// ErrClosed is returned by Capture after Close.
	ErrClosed = errors.New("browser pool closed")
	// ErrBrowserDied is wrapped when Chromium exits during a capture; the
	// pool starts a new one for the next capture.
	ErrBrowserDied = errors.New("chromium exited during the capture")
	// ErrDownload is wrapped when the URL is served as a file to download
	// (Content-Disposition: attachment, or a type the browser cannot show)
	// rather than a page.
	ErrDownload = errors.New("not a page: the server sent a download")
	// ErrNavigation is wrapped when the page could not be loaded at all
	// (unreachable host, redirect loop, TLS failure, ...).
	ErrNavigation = errors.New("page did not load")
	// ErrTimeout is wrapped when the page did not even start to load within
	// the capture's timeout.
	ErrTimeout = errors.New("page did not load in time")
)

// Find returns the Chromium executable to use: path itself when it is not
// empty (a path or a name on PATH), else the first of chromium,
// chromium-browser, google-chrome and google-chrome-stable found on PATH.
func Find(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("browser %s: %w", path, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install Debian's chromium (apt-get install -y chromium) or set VERBATIM_BROWSER_PATH")
}

// Settle modes.
const (
	// SettleNetworkIdle waits for the load event and then until no request
	// has been in flight for 500 ms.
	SettleNetworkIdle = "network-idle"
	// SettleDelay waits for the load event and then a fixed delay.
	SettleDelay = "delay"
)

// Option defaults.
const (
	DefaultTabs                = 2
	DefaultTimeout             = 30 * time.Second
	DefaultWidth               = 1280
	DefaultMaxScreenshotHeight = 16384
	DefaultMaxBodyBytes        = 64 << 20
)

// Options configure a Pool. Zero values take the defaults.
type Options struct {
	// ExecPath is the Chromium executable; see Find.
	ExecPath string
	// Tabs is how many captures run at once (default 2).
	Tabs int
	// Timeout bounds one capture, from the start of loading to the last
	// artifact (default 30 s).
	Timeout time.Duration
	// Settle is SettleNetworkIdle (default) or SettleDelay.
	Settle string
	// SettleDelay is the wait after the load event when Settle is
	// SettleDelay.
	SettleDelay time.Duration
	// Width is the viewport width in CSS pixels (default 1280).
	Width int
	// MaxScreenshotHeight caps full-page screenshots, in CSS pixels
	// (default 16384).
	MaxScreenshotHeight int
	// MaxBodyBytes caps the main document's body kept for the WARC record
	// (default 64 MiB); a longer document is cut there and loading stops.
	MaxBodyBytes int64
	// Guard decides every request of every page; nil means a strict guard
	// (public addresses only).
	Guard *netguard.Guard
	// Log receives the browser's life events and refused requests; nil
	// discards them.
	Log *slog.Logger

	// flags are extra Chromium flags, for tests.
	flags map[string]any
	// sharedContext opens tabs in the browser's default context instead of
	// a fresh one per capture, for the benchmark's comparison.
	sharedContext bool
}

// viewportHeight is the height of the emulated window; full-page
// screenshots extend below it.
const viewportHeight = 900

// Pool is one Chromium process with a bounded set of tabs. It is safe for
// concurrent use.
type Pool struct {
	opts    Options
	guard   *netguard.Guard
	log     *slog.Logger
	ctx     context.Context // lives until Close or the caller's cancel
	cancel  context.CancelFunc
	tabs    chan struct{} // a slot for each tab capturing
	closing chan struct{} // a slot for each tab being closed
	hosts   *hostCache

	// frames maps the frames of pages being captured to their capture, so
	// that a refused request is reported with the capture it belongs to.
	frames sync.Map // cdp.FrameID → *capture

	mu       sync.Mutex
	cur      *instance
	product  string
	ua       string
	closed   bool
	dirs     []string // every profile directory made, for tests
	closeErr error

	// bg counts the goroutines that must end before Close returns: each
	// browser's reaper and each tab being closed.
	bg   sync.WaitGroup
	done chan struct{}
}

// instance is one run of Chromium.
type instance struct {
	ctx     context.Context // the browser's; done when it exits or the pool closes
	cancel  func()          // kills Chromium and waits for it
	dir     string
	pid     int
	product string
	ua      string
}

// New starts Chromium and returns a pool of opts.Tabs tabs. Cancelling ctx
// stops the pool as Close does (Close then only waits for the cleanup).
// First it removes the profile directories that killed Verbatim processes
// left in the temporary directory; see removeStaleProfiles.
func New(ctx context.Context, opts Options) (*Pool, error) {
	var err error
	if opts, err = withDefaults(opts); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &Pool{
		opts:    opts,
		guard:   opts.Guard,
		log:     opts.Log,
		ctx:     pctx,
		cancel:  cancel,
		tabs:    make(chan struct{}, opts.Tabs),
		closing: make(chan struct{}, opts.Tabs),
		hosts:   newHostCache(),
		done:    make(chan struct{}),
	}
	go func() {
		<-pctx.Done()
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.bg.Wait()
		close(p.done)
	}()
	p.removeStaleProfiles()
	if _, err := p.instance(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func withDefaults(o Options) (Options, error) {
	var err error
	if o.ExecPath, err = Find(o.ExecPath); err != nil {
		return o, err
	}
	switch {
	case o.Tabs < 0:
		return o, fmt.Errorf("browser tabs %d: must be at least 1", o.Tabs)
	case o.Tabs == 0:
		o.Tabs = DefaultTabs
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	switch o.Settle {
	case "":
		o.Settle = SettleNetworkIdle
	case SettleNetworkIdle, SettleDelay:
	default:
		return o, fmt.Errorf("browser settle %q: want %q or %q", o.Settle, SettleNetworkIdle, SettleDelay)
	}
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.MaxScreenshotHeight <= 0 {
		o.MaxScreenshotHeight = DefaultMaxScreenshotHeight
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Guard == nil {
		o.Guard = &netguard.Guard{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Close kills Chromium, waits for it to exit and removes its profile
// directories. Captures in flight fail with ErrClosed. It is safe to call
// more than once.
func (p *Pool) Close() error {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeErr
}

// BrowserPID returns the process id of the running Chromium, or 0 when none
// runs.
func (p *Pool) BrowserPID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil || p.cur.ctx.Err() != nil {
		return 0
	}
	return p.cur.pid
}

// Version returns the product ("Chrome/126.0.6478.126") and the user agent
// of the browser last started.
func (p *Pool) Version() (product, userAgent string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.product, p.ua
}

// instance returns the running browser, starting one if there is none or
// the last one died.
func (p *Pool) instance(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if p.cur != nil && p.cur.ctx.Err() == nil {
		return p.cur, nil
	}
	if p.cur != nil {
		p.log.Warn("chromium exited; starting a new one", "pid", p.cur.pid)
	}
	p.cur = nil
	inst, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	p.cur = inst
	p.product, p.ua = inst.product, inst.ua
	return inst, nil
}

// startTimeout bounds Chromium's start.
const startTimeout = 30 * time.Second

// start runs a new Chromium with a fresh profile directory. p.mu is held.
func (p *Pool) start(ctx context.Context) (*instance, error) {
	dir, err := os.MkdirTemp("", profilePrefix)
	if err != nil {
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	p.dirs = append(p.dirs, dir)
	allocCtx, allocCancel := chromedp.NewExecAllocator(p.ctx, p.allocatorOptions(dir)...)
	logf := func(format string, args ...any) { p.log.Debug("chromedp: " + fmt.Sprintf(format, args...)) }
	bctx, bcancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	inst := &instance{
		ctx: bctx,
		dir: dir,
		cancel: func() {
			bcancel()
			allocCancel()
		},
	}
	p.bg.Add(1)
	go p.reap(inst)

	started := make(chan error, 1)
	go func() { started <- p.setUp(inst) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err = <-started:
	case <-timer.C:
		err = fmt.Errorf("no answer after %s", startTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		inst.cancel()
		return nil, fmt.Errorf("start chromium %s: %w", p.opts.ExecPath, err)
	}
	p.log.Info("chromium started", "pid", inst.pid, "version", inst.product, "profile", dir)
	return inst, nil
}

// allocatorOptions are the flags Chromium runs with.
func (p *Pool) allocatorOptions(dir string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption(nil), chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(p.opts.ExecPath),
		chromedp.UserDataDir(dir),
		// Chromium's own temporary files (its singleton socket directory)
		// go inside the profile, so removing the profile removes them even
		// when Chromium is killed.
		chromedp.Env("TMPDIR="+dir),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		// Popups would load pages nobody captures.
		chromedp.Flag("disable-popup-blocking", false),
		// Pages see a browser, not an automation banner.
		chromedp.Flag("enable-automation", false),
		chromedp.Flag("window-size", fmt.Sprintf("%d,%d", p.opts.Width, viewportHeight)),
	)
	for _, f := range quietFlags {
		opts = append(opts, chromedp.Flag(f.name, f.value))
	}
	disabled := quietDisabledFeatures
	for name, v := range p.opts.flags {
		if s, ok := v.(string); ok && name == "disable-features" {
			disabled += "," + s
			continue
		}
		opts = append(opts, chromedp.Flag(name, v))
	}
	// Chromium honours only one --disable-features, so the list is passed
	// once, merged; chromedp's default value (Translate and the long gone
	// BlinkGenPropertyTrees) is replaced by it.
	opts = append(opts, chromedp.Flag("disable-features", disabled))
	return opts
}

// refusedURL is where the Google services that no flag turns off are
// pointed instead: port 1 of the loopback address, which Chromium refuses
// to connect to at all (an unsafe port: the request fails with
// ERR_UNSAFE_PORT before any DNS lookup or socket).
const refusedURL = "http://127.0.0.1:1/"

// quietFlags stop Chromium's own background traffic to Google, which
// Debian's build (it ships Google API keys in /etc/chromium.d) keeps up
// despite --disable-background-networking. Every switch is one that
// Chromium 156 (Debian bookworm) knows; TestNoBackgroundTraffic checks the
// result in a net log. Some are in chromedp's defaults too; they are listed
// here so that Verbatim's posture does not rest on a dependency's defaults.
// chromedp's --disable-client-side-phishing-detection and
// --safebrowsing-disable-auto-update are left to it: Chromium 156 no longer
// has them.
var quietFlags = []struct {
	name  string
	value any
}{
	// Background fetches in general, and the component updater's scheduled
	// update checks.
	{"disable-background-networking", true},
	{"disable-component-update", true},
	{"disable-sync", true},
	// Hyperlink auditing pings and Domain Reliability reports (beacons to
	// Google about failed requests).
	{"no-pings", true},
	{"disable-domain-reliability", true},
	// Crash reports, metrics uploads and the default-browser prompt.
	{"disable-breakpad", true},
	{"metrics-recording-only", true},
	{"no-default-browser-check", true},
	{"no-first-run", true},
	// Component apps and extensions that would run (and fetch) in the
	// background.
	{"disable-default-apps", true},
	{"disable-component-extensions-with-background-pages", true},
	// Feature states come from the flags and the build alone, not from a
	// field trial configuration.
	{"disable-field-trial-config", true},
	// --disable-component-update leaves on-demand installs on: Chromium 156
	// still asks update.googleapis.com at start for the optimization
	// guide's model manifest (component ceofaddefefcbblgcgnibnonglccbfja),
	// whatever the features below. Its update server is moved to the
	// refused address.
	{"component-updater", "url-source=" + refusedURL},
	// Without these Chromium asks accounts.google.com/ListAccounts at start
	// and retries with backoff: no feature or signin switch stops that
	// request in Chromium 156 (--allow-browser-signin=false does not), so
	// Google's account server is moved to the refused address. Turning
	// browser sign-in off as well keeps Chromium from adding its
	// X-Chrome-ID-Consistency-Request header to a captured Google login
	// page.
	{"gaia-url", refusedURL},
	{"allow-browser-signin", "false"},
}

// quietDisabledFeatures are the features turned off for the same reason,
// as one --disable-features value. Chromium ignores names it does not
// know; the ones Chromium 156 no longer has are kept for the older builds
// Find accepts.
const quietDisabledFeatures = "" +
	// Translate's ranker and translate element, fetched for pages in
	// another language than the browser's.
	"Translate," +
	// The optimization guide: hints fetched from
	// optimizationguide-pa.googleapis.com for pages visited, and the
	// prediction models it downloads. OptimizationHintsFetching and
	// OptimizationGuideModelDownloading are the older names.
	"OptimizationHints,OptimizationHintsFetching,OptimizationTargetPrediction,OptimizationGuideModelDownloading," +
	// Network time: clients2.google.com/time/1/current, asked at start
	// (measured in Chromium 156).
	"NetworkTimeServiceQuerying," +
	// Cast and DIAL discovery: SSDP and mDNS on the local network.
	"MediaRouter,DialMediaRouteProvider," +
	// Form type queries to content-autofill.googleapis.com for every page
	// with a form.
	"AutofillServerCommunication," +
	// The certificate transparency log list component (older Chromium).
	"CertificateTransparencyComponentUpdater"

// setUp starts the browser of inst and prepares it: downloads are refused
// and every request is paused for the guard.
func (p *Pool) setUp(inst *instance) error {
	if err := chromedp.Do(inst.ctx); err != nil {
		return err
	}
	c := chromedp.FromContext(inst.ctx)
	if proc := c.Browser.Process(); proc != nil {
		inst.pid = proc.Pid
	}
	v, err := chromedp.CallBrowser(inst.ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("version: %w", err)
	}
	inst.product, inst.ua = v.Product, v.UserAgent
	if _, err := chromedp.CallBrowser(inst.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny,
	}); err != nil {
		return fmt.Errorf("refuse downloads: %w", err)
	}
	paused := chromedp.BrowserEvents(inst.ctx, fetch.RequestPaused)
	if _, err := chromedp.CallBrowser(inst.ctx, fetch.Enable, fetch.EnableParams{}); err != nil {
		return fmt.Errorf("intercept requests: %w", err)
	}
	go p.intercept(inst, paused)
	return nil
}

// reap waits for inst's browser to end, then makes sure no process of it is
// left and removes its profile directory.
func (p *Pool) reap(inst *instance) {
	defer p.bg.Done()
	<-inst.ctx.Done()
	inst.cancel()
	killLeftovers(inst.dir)
	if err := removeAll(inst.dir); err != nil {
		p.log.Error("remove chromium profile", "dir", inst.dir, "err", err)
		p.mu.Lock()
		if p.closeErr == nil {
			p.closeErr = fmt.Errorf("remove chromium profile: %w", err)
		}
		p.mu.Unlock()
	}
	p.log.Debug("chromium stopped", "pid", inst.pid)
}

// removeAll removes dir, retrying briefly: a dying Chromium can still be
// writing into it.
func removeAll(dir string) error {
	var err error
	for range 20 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// intercept answers every paused request: continue it if the guard allows
// its URL, fail it as blocked by the client otherwise.
func (p *Pool) intercept(inst *instance, paused iter.Seq2[fetch.EventRequestPaused, error]) {
	for ev, err := range paused {
		if err != nil {
			return
		}
		go p.decide(inst, ev)
	}
}

// decideTimeout bounds one guard decision (a DNS lookup at worst).
const decideTimeout = 10 * time.Second

func (p *Pool) decide(inst *instance, ev fetch.EventRequestPaused) {
	ctx, cancel := context.WithTimeout(inst.ctx, decideTimeout)
	defer cancel()
	rawURL := ev.Request.URL
	err := p.check(ctx, rawURL)
	if err == nil {
		if _, err := chromedp.CallBrowser(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID}); err != nil && inst.ctx.Err() == nil {
			p.log.Debug("continue request", "url", rawURL, "err", err)
		}
		return
	}
	reason := network.ErrorReasonBlockedByClient
	if !errors.Is(err, netguard.ErrPrivateAddress) && !errors.Is(err, netguard.ErrBadURL) {
		reason = network.ErrorReasonNameNotResolved
	}
	p.log.Warn("request refused", "url", rawURL, "reason", err.Error())
	if c, ok := p.frames.Load(ev.FrameID); ok {
		c.(*capture).refused(ev, err)
	}
	if _, err := chromedp.CallBrowser(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: reason}); err != nil && inst.ctx.Err() == nil {
		p.log.Debug("fail request", "url", rawURL, "err", err)
	}
}

// check asks the guard about rawURL, remembering a yes for the URL's origin
// for a short while: a page asks for many resources from few hosts. A no is
// not remembered, so that each refusal names its own URL.
func (p *Pool) check(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return p.guard.Check(ctx, rawURL)
	}
	key := u.Scheme + "://" + u.Host
	if p.hosts.allowed(key) {
		return nil
	}
	err = p.guard.Check(ctx, rawURL)
	if err == nil {
		p.hosts.put(key)
	}
	return err
}

// hostCache remembers the origins the guard allowed, until a time.
type hostCache struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const (
	hostCacheTTL = 30 * time.Second
	hostCacheMax = 4096
)

func newHostCache() *hostCache { return &hostCache{m: make(map[string]time.Time)} }

func (c *hostCache) allowed(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.m[key]
	return ok && time.Now().Before(exp)
}

func (c *hostCache) put(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= hostCacheMax {
		clear(c.m)
	}
	c.m[key] = time.Now().Add(hostCacheTTL)
}
