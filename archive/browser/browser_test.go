package browser

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/netguard"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if pids := chromiumChildren(); len(pids) > 0 {
			fmt.Fprintf(os.Stderr, "chromium processes left behind: %v\n", pids)
			code = 1
		}
	}
	os.Exit(code)
}

// browserPath finds Chromium or skips the test; under CI=true a missing
// browser fails it.
func browserPath(t testing.TB) string {
	t.Helper()
	path, err := Find(os.Getenv("VERBATIM_BROWSER_PATH"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found: %v", err)
		}
		t.Skipf("chromium not found: %v", err)
	}
	return path
}

// loopback lets the guard allow the test site and nothing else private.
var loopback = &netguard.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// newPool starts a pool that is closed, and checked for leftovers, when the
// test ends.
func newPool(t testing.TB, ctx context.Context, opts Options) *Pool {
	t.Helper()
	opts.ExecPath = browserPath(t)
	p, err := New(ctx, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		assertClean(t, p)
	})
	return p
}

// assertClean checks that no process uses any profile directory of p and
// that the directories are gone.
func assertClean(t testing.TB, p *Pool) {
	t.Helper()
	p.mu.Lock()
	dirs := slices.Clone(p.dirs)
	p.mu.Unlock()
	for _, dir := range dirs {
		if pids := processesUsing(dir); len(pids) > 0 {
			t.Errorf("chromium processes %v still use %s", pids, dir)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("profile directory %s left behind (stat: %v)", dir, err)
		}
	}
}

// chromiumChildren lists this process's children that run Chromium.
func chromiumChildren() []int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		fields := strings.Fields(string(rest))
		if len(fields) < 2 || fields[1] != strconv.Itoa(self) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if bytes.Contains(cmdline, []byte("chrom")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestCapture(t *testing.T) {
	s := newSite(t)
	var logs syncBuffer
	p := newPool(t, context.Background(), Options{
		Tabs:                2,
		Timeout:             30 * time.Second,
		MaxScreenshotHeight: 4000,
		MaxBodyBytes:        2 << 20,
		Guard:               loopback,
		Log:                 slog.New(slog.NewTextHandler(&logs, nil)),
		// The TLS test server's certificate is self-signed.
		flags: map[string]any{"ignore-certificate-errors": true},
	})
	capture := func(t *testing.T, req Request) (*Result, error) {
		t.Helper()
		if !strings.Contains(req.URL, "://") {
			req.URL = s.URL + req.URL
		}
		return p.Capture(ctx(t, time.Minute), req)
	}
	mustCapture := func(t *testing.T, req Request) *Result {
		t.Helper()
		res, err := capture(t, req)
		if err != nil {
			t.Fatalf("Capture(%s): %v", req.URL, err)
		}
		return res
	}

	t.Run("normal page after a redirect", func(t *testing.T) {
		t.Parallel()
		res := mustCapture(t, Request{URL: "/r/post", PDF: true})
		if res.Status != 200 || res.FinalURL != s.URL+"/post" {
			t.Errorf("status %d, final URL %s; want 200, %s", res.Status, res.FinalURL, s.URL+"/post")
		}
		if len(res.Redirects) != 1 || res.Redirects[0].Status != 302 || res.Redirects[0].Location != "/post" {
			t.Errorf("redirects = %+v, want one 302 to /post", res.Redirects)
		}
		if res.Verdict != VerdictOK {
			t.Errorf("verdict %s (%s), want ok", res.Verdict, res.Detail)
		}
		img, err := png.Decode(bytes.NewReader(res.Screenshot))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != res.ScreenshotHeight || res.Capped {
			t.Errorf("screenshot %v, height %d, capped %v; want 1280 wide, uncapped", b, res.ScreenshotHeight, res.Capped)
		}
		if !bytes.HasPrefix(res.DOM, []byte("<!DOCTYPE html>")) || !bytes.Contains(res.DOM, []byte(`data-testid="tweetText"`)) {
			t.Errorf("DOM = %.200q, want the post page with its doctype", res.DOM)
		}
		if !bytes.HasPrefix(res.MHTML, []byte("From:")) && !bytes.Contains(res.MHTML[:min(len(res.MHTML), 512)], []byte("MIME-Version")) {
			t.Errorf("MHTML starts %.100q, want an MHTML header", res.MHTML)
		}
		if !bytes.HasPrefix(res.PDF, []byte("%PDF")) {
			t.Errorf("PDF starts %.10q, want %%PDF", res.PDF)
		}
		if !strings.Contains(res.Text, "strategic partnership charter") {
			t.Errorf("text = %q, want the post text", res.Text)
		}
		r := res.Response
		if r == nil {
			t.Fatal("no response recorded")
		}
		if string(r.Body) != postHTML || r.BodyTruncated {
			t.Errorf("body = %.80q (truncated %v), want the page as served", r.Body, r.BodyTruncated)
		}
		if r.RemoteIP != "127.0.0.1" || r.Protocol != "http/1.1" || r.MIMEType != "text/html" || r.Charset != "utf-8" {
			t.Errorf("response %s %s %s %s, want 127.0.0.1 http/1.1 text/html utf-8", r.RemoteIP, r.Protocol, r.MIMEType, r.Charset)
		}
		if !strings.HasPrefix(r.HeadersText, "HTTP/1.1 200 OK\r\n") || headerOf(r.Headers, "Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("response headers %q / %v", r.HeadersText, r.Headers)
		}
		if res.Request == nil || res.Request.Method != "GET" || !strings.Contains(headerOf(res.Request.Headers, "User-Agent"), "Chrome") {
			t.Errorf("request = %+v, want a GET with the browser's User-Agent", res.Request)
		}
		if res.BrowserVersion == "" || res.UserAgent == "" {
			t.Errorf("browser %q, user agent %q", res.BrowserVersion, res.UserAgent)
		}
		if res.Duration <= 0 || res.Duration > 20*time.Second {
			t.Errorf("duration %s", res.Duration)
		}
	})

	t.Run("https", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, postHTML)
		}))
		defer ts.Close()
		res := mustCapture(t, Request{URL: ts.URL + "/VP/status/1"})
		if res.TLS == nil {
			t.Fatal("no TLS details")
		}
		block, _ := pem.Decode(res.TLS.ChainPEM)
		if block == nil {
			t.Fatalf("chain %q is not PEM", res.TLS.ChainPEM)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !cert.Equal(ts.Certificate()) {
			t.Errorf("leaf certificate %s, want the server's", cert.Subject)
		}
		if !strings.HasPrefix(res.TLS.Protocol, "TLS 1.") || res.TLS.Cipher == "" || res.TLS.ValidTo.Before(res.TLS.ValidFrom) {
			t.Errorf("TLS = %+v", res.TLS)
		}
		if res.Status != 200 || string(res.Response.Body) != postHTML {
			t.Errorf("status %d, body %.40q", res.Status, res.Response.Body)
		}
	})

	t.Run("no response", func(t *testing.T) {
		// Alone, so that its time is its own.
		start := time.Now()
		_, err := capture(t, Request{URL: "/slow", Timeout: 3 * time.Second})
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("err = %v, want ErrTimeout", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %s, want about the 3s timeout", took)
		}
	})

	t.Run("stalled subresource", func(t *testing.T) {
		// Alone, so that its time is its own.
		start := time.Now()
		res := mustCapture(t, Request{URL: "/stall", Timeout: 5 * time.Second})
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("capture took %s, want about the 5s timeout", took)
		}
		if res.Verdict != VerdictTimeout && res.Verdict != VerdictOK {
			t.Errorf("verdict %s (%s), want timeout or ok", res.Verdict, res.Detail)
		}
		if res.Screenshot == nil || !strings.Contains(res.Text, "never arrives") {
			t.Errorf("screenshot %d bytes, text %q; want what had loaded", len(res.Screenshot), res.Text)
		}
	})

	t.Run("script that never yields", func(t *testing.T) {
		// Alone, so that its time is its own.
		start := time.Now()
		res, err := capture(t, Request{URL: "/spin", Timeout: 5 * time.Second})
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("capture took %s, want about the 5s timeout", took)
		}
		switch {
		case err != nil:
			t.Logf("spin: %v", err)
		case res.Verdict != VerdictTimeout:
			t.Errorf("verdict %s (%s), want timeout", res.Verdict, res.Detail)
		default:
			t.Logf("spin: %s (%s), problems %q", res.Verdict, res.Detail, res.Problems)
		}
		if res := mustCapture(t, Request{URL: "/post"}); res.Verdict != VerdictOK {
			t.Errorf("capture after the spinning page: %s (%s)", res.Verdict, res.Detail)
		}
	})

	t.Run("dialogs", func(t *testing.T) {
		t.Parallel()
		res := mustCapture(t, Request{URL: "/alert"})
		if res.Verdict != VerdictOK || !strings.Contains(res.Text, "after the dialogs: false null") {
			t.Errorf("verdict %s, text %q; want ok with the text after the dialogs", res.Verdict, res.Text)
		}
		want := []Dialog{{"alert", "hello from the page"}, {"confirm", "are you sure?"}, {"prompt", "your name?"}}
		if !slices.Equal(res.Dialogs, want) {
			t.Errorf("dialogs = %v, want %v", res.Dialogs, want)
		}
	})

	t.Run("redirect loop", func(t *testing.T) {
		t.Parallel()
		_, err := capture(t, Request{URL: "/loop"})
		if !errors.Is(err, ErrNavigation) || !strings.Contains(err.Error(), "ERR_TOO_MANY_REDIRECTS") {
			t.Errorf("err = %v, want ErrNavigation with ERR_TOO_MANY_REDIRECTS", err)
		}
	})

	t.Run("1 GB response", func(t *testing.T) {
		t.Parallel()
		peakc := make(chan uint64)
		done := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			var peak uint64
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-done:
					peakc <- peak
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		res, err := capture(t, Request{URL: "/huge", Only: PartBody | PartScreenshot, Timeout: 45 * time.Second})
		close(done)
		peak := <-peakc
		if err != nil {
			t.Fatalf("Capture: %v", err)
		}
		r := res.Response
		if r == nil || !r.BodyTruncated || len(r.Body) == 0 || len(r.Body) > 2<<20 {
			t.Fatalf("response %+v, want a truncated body of at most 2 MiB", r)
		}
		if res.Verdict != VerdictOK {
			t.Errorf("verdict %s (%s), want ok", res.Verdict, res.Detail)
		}
		if !bytes.HasPrefix(r.Body, []byte("<p>all work and no play")) {
			t.Errorf("body starts %.40q, want the start of the page", r.Body)
		}
		if sent := s.hugeSent.Load(); sent > 512<<20 {
			t.Errorf("the server sent %d MiB; loading should stop soon after 2 MiB", sent>>20)
		}
		if peak > 512<<20 {
			t.Errorf("heap peaked at %d MiB", peak>>20)
		}
		t.Logf("huge: %s, body %d bytes, server sent %d MiB, heap peak %d MiB", res.Verdict, len(r.Body), s.hugeSent.Load()>>20, peak>>20)
	})

	t.Run("downloads", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"/download", "/octet"} {
			_, err := capture(t, Request{URL: path})
			if !errors.Is(err, ErrDownload) {
				t.Errorf("Capture(%s) = %v, want ErrDownload", path, err)
			}
		}
	})

	t.Run("taller than the cap", func(t *testing.T) {
		t.Parallel()
		res := mustCapture(t, Request{URL: "/tall", Only: PartScreenshot})
		img, err := png.DecodeConfig(bytes.NewReader(res.Screenshot))
		if err != nil {
			t.Fatal(err)
		}
		if img.Height != 4000 || res.ScreenshotHeight != 4000 || !res.Capped || res.PageHeight < 30000 {
			t.Errorf("png %dx%d, height %d of %d, capped %v; want 4000 of 30000+, capped", img.Width, img.Height, res.ScreenshotHeight, res.PageHeight, res.Capped)
		}
		if res.DOM != nil || res.MHTML != nil {
			t.Errorf("Only: PartScreenshot still made DOM (%d) or MHTML (%d)", len(res.DOM), len(res.MHTML))
		}
	})

	t.Run("gzip", func(t *testing.T) {
		t.Parallel()
		res := mustCapture(t, Request{URL: "/gzip", Only: PartBody})
		if r := res.Response; r == nil || string(r.Body) != postHTML || headerOf(r.Headers, "Content-Encoding") != "gzip" {
			t.Errorf("response %+v, want the decoded page and its Content-Encoding header", r)
		}
	})

	t.Run("windows-1251", func(t *testing.T) {
		t.Parallel()
		res := mustCapture(t, Request{URL: "/cp1251"})
		if !bytes.Contains(res.DOM, []byte("Привет, мир")) || !strings.Contains(res.Text, "Привет") {
			t.Errorf("DOM %q, text %q; want Привет, мир decoded", res.DOM, res.Text)
		}
		if res.Response == nil || !bytes.Equal(res.Response.Body, cp1251Page) {
			t.Errorf("body = %q, want the windows-1251 bytes as served", res.Response.Body)
		}
		if res.Response.Charset != "windows-1251" {
			t.Errorf("charset %q", res.Response.Charset)
		}
	})

	t.Run("verdicts", func(t *testing.T) {
		tests := []struct {
			path, verdict, detail string
		}{
			{"/x/login", VerdictLoginWall, ""},
			{"/x/deleted", VerdictNotFound, "doesn't exist"},
			{"/x/unavailable", VerdictNotFound, "unavailable"},
			{"/x/gone", VerdictNotFound, "404"},
			{"/x/error", VerdictErrorPage, "went wrong"},
			{"/x/unavailable-503", VerdictErrorPage, "503"},
			{"/x/blank", VerdictBlank, ""},
			{"/x/cookie", VerdictOK, "cookie overlay dismissed"},
			{"/x/cookie-wall", VerdictCookieOverlay, "cookie-wall"},
			{"/x/sidebar", VerdictOK, ""},
			{"/post", VerdictOK, ""},
		}
		for _, tt := range tests {
			t.Run(tt.path, func(t *testing.T) {
				t.Parallel()
				res := mustCapture(t, Request{URL: tt.path})
				if res.Verdict != tt.verdict || !strings.Contains(res.Detail, tt.detail) {
					t.Errorf("verdict %s (%s), want %s (%s)", res.Verdict, res.Detail, tt.verdict, tt.detail)
				}
			})
		}
	})

	t.Run("guard", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		_, err := capture(t, Request{URL: "http://10.0.0.1/"})
		if !errors.Is(err, netguard.ErrPrivateAddress) || !strings.Contains(err.Error(), "10.0.0.1 is a private address") {
			t.Errorf("Capture(10.0.0.1) = %v, want ErrPrivateAddress", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("the refusal took %s; it should need no browser", took)
		}

		_, err = capture(t, Request{URL: "/to-private"})
		if !errors.Is(err, netguard.ErrPrivateAddress) {
			t.Errorf("redirect to 10.0.0.1 = %v, want ErrPrivateAddress", err)
		}

		res := mustCapture(t, Request{URL: "/meta"})
		var urls []string
		for _, b := range res.Blocked {
			urls = append(urls, b.URL)
			if !strings.Contains(b.Reason, "169.254.169.254 is a link-local address") {
				t.Errorf("blocked %s because %q, want a link-local refusal", b.URL, b.Reason)
			}
		}
		slices.Sort(urls)
		want := []string{"http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}
		if !slices.Equal(urls, want) {
			t.Errorf("blocked %q, want %q", urls, want)
		}
		if !strings.Contains(logs.String(), "request refused") || !strings.Contains(logs.String(), "169.254.169.254") {
			t.Errorf("log has no refusal of 169.254.169.254:\n%s", logs.String())
		}
		if res.Verdict != VerdictOK {
			t.Errorf("verdict %s (%s), want ok", res.Verdict, res.Detail)
		}
	})
}

func headerOf(h []Header, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

func ctx(t testing.TB, d time.Duration) context.Context { return ctxTimeout(t, d) }

func TestBrowserKilledMidCapture(t *testing.T) {
	s := newSite(t)
	p := newPool(t, context.Background(), Options{Tabs: 1, Timeout: 20 * time.Second, Guard: loopback})
	pid := p.BrowserPID()
	if pid == 0 || !alive(pid) {
		t.Fatalf("BrowserPID = %d, not a running process", pid)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := p.Capture(ctx(t, 30*time.Second), Request{URL: s.URL + "/slow"})
		errc <- err
	}()
	select {
	case <-s.slowArrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the slow page was never asked for")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrBrowserDied) {
			t.Errorf("capture during the kill = %v, want ErrBrowserDied", err)
		}
		t.Logf("capture during the kill: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the capture did not end after the browser was killed")
	}
	res, err := p.Capture(ctx(t, 30*time.Second), Request{URL: s.URL + "/post"})
	if err != nil || res.Verdict != VerdictOK {
		t.Fatalf("capture after the kill: %v, %+v", err, res)
	}
	if now := p.BrowserPID(); now == pid || now == 0 {
		t.Errorf("BrowserPID after the restart = %d, was %d", now, pid)
	}
	p.mu.Lock()
	first := p.dirs[0]
	p.mu.Unlock()
	if !waitFor(10*time.Second, func() bool {
		_, err := os.Stat(first)
		return len(processesUsing(first)) == 0 && errors.Is(err, os.ErrNotExist)
	}) {
		t.Errorf("the killed browser's processes %v or directory %s remain", processesUsing(first), first)
	}
}

func TestCancelStopsBrowser(t *testing.T) {
	s := newSite(t)
	pctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPool(t, pctx, Options{Tabs: 1, Guard: loopback})
	if _, err := p.Capture(ctx(t, 30*time.Second), Request{URL: s.URL + "/post", Only: PartScreenshot}); err != nil {
		t.Fatal(err)
	}
	pid := p.BrowserPID()
	p.mu.Lock()
	dir := p.dirs[0]
	p.mu.Unlock()
	cancel()
	if !waitFor(10*time.Second, func() bool {
		_, err := os.Stat(dir)
		return !alive(pid) && len(processesUsing(dir)) == 0 && errors.Is(err, os.ErrNotExist)
	}) {
		t.Fatalf("after cancel: browser %d alive %v, processes %v use %s", pid, alive(pid), processesUsing(dir), dir)
	}
	if _, err := p.Capture(ctx(t, 5*time.Second), Request{URL: s.URL + "/post"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Capture after cancel = %v, want ErrClosed", err)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"missing browser", Options{ExecPath: "/nonexistent/chromium"}, "/nonexistent/chromium"},
		{"bad settle", Options{ExecPath: "/bin/true", Settle: "soon"}, `settle "soon"`},
		{"not a browser", Options{ExecPath: "/bin/true", Timeout: time.Second}, "start chromium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(context.Background(), tt.opts)
			if err == nil {
				p.Close()
				t.Fatalf("New succeeded, want an error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestFind(t *testing.T) {
	if _, err := Find("/nonexistent/chromium"); err == nil {
		t.Error("Find(missing path) succeeded")
	}
	t.Setenv("PATH", t.TempDir())
	_, err := Find("")
	if err == nil || !strings.Contains(err.Error(), "no Chromium found: install Debian's chromium (apt-get install -y chromium) or set VERBATIM_BROWSER_PATH") {
		t.Errorf("Find with an empty PATH = %v", err)
	}
}
