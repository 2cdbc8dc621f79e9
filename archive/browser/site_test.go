package browser

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// site is a local test site: X-like pages and pages that misbehave.
type site struct {
	*httptest.Server
	// hugeSent counts the bytes /huge managed to send.
	hugeSent atomic.Int64
	// slowArrived receives when /slow is asked for; /slow answers when
	// the request ends.
	slowArrived chan struct{}
}

// postHTML is an X-like post page with an image.
const postHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Vice President JD Vance on X: "We signed the charter today." / X</title>
<style>
body { font-family: sans-serif; margin: 0; background: #fff; color: #0f1419 }
header { height: 53px; border-bottom: 1px solid #eff3f4; padding: 0 16px }
article { max-width: 598px; margin: 0 auto; padding: 12px 16px; border-bottom: 1px solid #eff3f4 }
.name { font-weight: bold } .handle { color: #536471 }
[data-testid=tweetText] { font-size: 23px; line-height: 28px; margin: 12px 0 }
img { width: 100%; border-radius: 16px }
</style></head>
<body><header><h2>Post</h2></header><main><article data-testid="tweet">
<div><span class="name">Vice President JD Vance</span> <span class="handle">@VP</span></div>
<div data-testid="tweetText">We signed the strategic partnership charter today. A good day for both our countries.</div>
<img src="/media/photo.png" alt="Image">
<div><time datetime="2026-02-10T15:04:05.000Z">3:04 PM · Feb 10, 2026</time> · <span>1.2M Views</span></div>
</article></main></body></html>
`

// bottomBar is the bar X shows logged-out visitors under every page.
const bottomBar = `<div style="position:fixed;bottom:0;left:0;right:0;background:#1d9bf0;color:#fff;padding:12px">
<span>Don’t miss what’s happening</span> <span>People on X are the first to know.</span>
<a href="/login">Log in</a> <a href="/signup">Sign up</a></div>`

func xPage(title, body string) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>` + title + `</title></head><body>` + body + `</body></html>`
}

// photo is a PNG for the post page.
func photo() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 600, 338))
	for y := range 338 {
		for x := range 600 {
			img.Set(x, y, color.RGBA{uint8(x / 3), uint8(y / 2), 160, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// cp1251Page is "Привет, мир" in windows-1251.
var cp1251Page = append(append([]byte(`<!doctype html><html><head><title>cp1251</title></head><body><p id="greeting">`),
	0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, ',', ' ', 0xec, 0xe8, 0xf0), []byte(`</p></body></html>`)...)

func newSite(t testing.TB) *site {
	s := &site{slowArrived: make(chan struct{}, 10)}
	img := photo()
	html := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /post", func(w http.ResponseWriter, r *http.Request) { html(w, 200, postHTML) })
	mux.HandleFunc("GET /r/post", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/post", http.StatusFound) })
	mux.HandleFunc("GET /media/photo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	})
	mux.HandleFunc("GET /stall", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("stall", `<p>A page whose picture never arrives.</p><img src="/never">`))
	})
	mux.HandleFunc("GET /never", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /spin", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("spin", `<p>Before the loop.</p><script>while (true) {}</script><p>After the loop.</p>`))
	})
	mux.HandleFunc("GET /alert", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("alert", `<p>Dialogs ahead.</p><script>
alert("hello from the page");
const yes = confirm("are you sure?");
const name = prompt("your name?", "nobody");
document.write("<p id=after>after the dialogs: " + yes + " " + name + "</p>");
</script>`))
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("GET /huge", func(w http.ResponseWriter, r *http.Request) {
		const size = 1 << 30
		line := []byte(strings.Repeat("<p>all work and no play makes a dull page</p>\n", 1000))
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for sent := 0; sent < size; {
			n, err := w.Write(line[:min(len(line), size-sent)])
			sent += n
			s.hugeSent.Store(int64(sent))
			if err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="data.bin"`)
		w.Write(bytes.Repeat([]byte{0, 1, 2, 3}, 1024))
	})
	mux.HandleFunc("GET /octet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(bytes.Repeat([]byte{0, 1, 2, 3}, 1024))
	})
	mux.HandleFunc("GET /tall", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("tall", `<p>A very long thread.</p><div style="height:30000px;background:linear-gradient(#fff,#1d9bf0)"></div><p>The end.</p>`))
	})
	mux.HandleFunc("GET /gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, postHTML)
		zw.Close()
	})
	mux.HandleFunc("GET /cp1251", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=windows-1251")
		w.Write(cp1251Page)
	})
	mux.HandleFunc("GET /x/login", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("Log in to X / X", `<div role="dialog"><h1>Sign in to X</h1><button>Sign in with Apple</button><p>or</p><input placeholder="Phone, email, or username"><button>Next</button><button>Forgot password?</button><p>Don’t have an account? <a href="/signup">Sign up</a></p></div>`))
	})
	mux.HandleFunc("GET /x/deleted", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("Page not found / X", `<main><span>Hmm...this page doesn’t exist. Try searching for something else.</span><a href="/explore">Search</a></main>`+bottomBar))
	})
	mux.HandleFunc("GET /x/unavailable", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("Post / X", `<main><article><span>This post is unavailable.</span> <a href="#">Learn more</a></article></main>`+bottomBar))
	})
	mux.HandleFunc("GET /x/gone", func(w http.ResponseWriter, r *http.Request) {
		html(w, 404, xPage("Not found", `<h1>Sorry, that page doesn’t exist!</h1>`))
	})
	mux.HandleFunc("GET /x/error", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("X", `<main><span>Something went wrong. Try reloading.</span><button>Retry</button></main>`))
	})
	mux.HandleFunc("GET /x/unavailable-503", func(w http.ResponseWriter, r *http.Request) {
		html(w, 503, xPage("Over capacity", `<h1>Over capacity</h1>`))
	})
	mux.HandleFunc("GET /x/blank", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, `<!doctype html><html><head><title></title></head><body style="background:#fff"><div id="react-root"></div></body></html>`)
	})
	mux.HandleFunc("GET /x/cookie", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, strings.Replace(postHTML, "</main>", `</main>
<div data-testid="BottomBar" style="position:fixed;bottom:0;left:0;right:0;background:#fff;border-top:1px solid #eee;padding:16px">
<div>Did someone say … cookies?</div><div>X and its partners use cookies to provide you with a better, safer and faster service and to support our business.</div>
<button onclick="this.closest('[data-testid=BottomBar]').remove()">Accept all cookies</button>
<button onclick="this.closest('[data-testid=BottomBar]').remove()">Refuse non-essential cookies</button></div>`, 1))
	})
	mux.HandleFunc("GET /x/cookie-wall", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, strings.Replace(postHTML, "</main>", `</main>
<div id="cookie-wall" style="position:fixed;inset:0;background:rgba(0,0,0,.8);color:#fff;padding:40px">
<h2>We value your privacy</h2><p>We use cookies to personalise content. Choose your settings to continue.</p>
<button>Manage preferences</button></div>`, 1))
	})
	mux.HandleFunc("GET /x/sidebar", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, strings.Replace(postHTML, "</main>", `</main>
<aside style="position:fixed;top:0;right:0;width:300px;height:100%;border-left:1px solid #eee">
<nav><a href="/tos">Terms of Service</a> <a href="/privacy">Privacy Policy</a> <a href="/cookies">Cookie Policy</a>
<a href="/a11y">Accessibility</a> <a href="/ads">Ads info</a> <a href="#">More</a> © 2026 X Corp.</nav></aside>`, 1))
	})
	mux.HandleFunc("GET /meta", func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, xPage("metadata", `<p>A page that reaches for cloud credentials.</p>
<img src="http://169.254.169.254/latest/meta-data/">
<script>fetch("http://169.254.169.254/latest/meta-data/iam/security-credentials/").catch(() => {})</script>`))
	})
	mux.HandleFunc("GET /to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		s.slowArrived <- struct{}{}
		<-r.Context().Done()
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, for logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// ctxTimeout is a context for one test step.
func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
