package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/browser"
)

// The soak: `verbatim serve` as a process, for as long as VERBATIM_SOAK says
// (VERBATIM_SOAK=10m go test -run TestSoak -v -timeout 30m ./cmd/verbatim),
// against the fake X API while it publishes, edits and deletes posts and
// injects faults (429s that reset in seconds, 5xx, slow and truncated
// responses), while web and signed Slack requests arrive. Chat replies
// really are delivered: the server's HTTPS_PROXY is a tunnel on loopback to
// a fake hooks.slack.com whose certificate SSL_CERT_FILE makes trusted, so
// every acknowledged command must come back with its reply. The samples
// (goroutines, RSS, Chromium) go to soak-metrics.csv and the server's log
// to serve.log, in VERBATIM_TEST_ARTIFACTS or a temporary directory.
//
// VERBATIM_SOAK_SEED fixes the random choices (posts, faults, load); the
// seed used is logged.

// soakAccounts are the watched accounts, each with a history.
var soakAccounts = []struct{ id, handle, name string }{
	{"1542228578", "VP", "Vice President JD Vance"},
	{"1879644163769335808", "VPPressSec", "Office of the VP Press Secretary"},
	{"822215673812119553", "WhiteHouse", "The White House"},
	{"9624742", "StateDept", "Department of State"},
}

const (
	soakHistory      = 15 // posts per account before the server starts
	soakSampleEvery  = 10 * time.Second
	soakGoroutineTol = 10  // goroutines the end may have above the warm-up's
	soakRSSGrowthMax = 0.1 // RSS growth allowed from warm-up to the end
	soakSlackHost    = "hooks.slack.com"
	soakSlackSecret  = "soak-signing-secret"
)

func TestSoak(t *testing.T) {
	spec := os.Getenv("VERBATIM_SOAK")
	if spec == "" {
		t.Skip("set VERBATIM_SOAK to a duration (VERBATIM_SOAK=10m) to run the soak")
	}
	dur, err := time.ParseDuration(spec)
	if err != nil || dur < time.Minute {
		t.Fatalf("VERBATIM_SOAK=%q: want a duration of at least 1m", spec)
	}
	if _, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH")); err != nil {
		t.Fatalf("the soak needs Chromium: %v", err)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("VERBATIM_SOAK_SEED"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("VERBATIM_SOAK_SEED=%q: %v", v, err)
		}
	}
	s := newSoak(t, dur, seed)
	s.run()
}

// soak is one run: the fakes around the server, what was published, what
// the load saw, and the samples.
type soak struct {
	t      *testing.T
	dur    time.Duration
	warm   time.Duration // samples from then on are after warm-up
	seed   uint64
	out    string // artifacts directory
	tmp    string // the server's TMPDIR, where Chromium keeps its profiles
	data   string
	fake   *archivetest.FakeX
	pages  *httptest.Server // post pages, embeds, photos and articles for Chromium
	slack  *httptest.Server // hooks.slack.com, behind proxy
	proxy  *httptest.Server
	base   string // the server's URL
	web    *http.Client
	cmd    *exec.Cmd
	exited chan struct{}
	start  time.Time

	mu        sync.Mutex
	threads   []*soakThread
	byID      map[string]*soakThread // by every version id
	faults    []string               // what was injected, in order
	faultKind map[string]int
	spentTill time.Time // when the last spent rate-limit window resets
	routes    map[string]*soakRoute
	problems  []string          // what the load saw go wrong
	acked     map[string]string // Slack command number → command line, for those acknowledged to run
	replies   map[string]int    // Slack command number → replies delivered
	replyText map[string]string // Slack command number → the text of its first reply
	slackSeen map[string]int    // outcome of each Slack request → count
	pageHits  map[string]int
	foreign   map[string]int // CONNECTs through the proxy to hosts other than Slack's
	deletes   struct{ done, skipped int }
	csv       *os.File
	samples   []soakSample
}

// soakThread is one post the fake published: its versions, oldest first.
type soakThread struct {
	handle   string
	versions []string
	texts    []string
	history  bool
	photo    bool
	deleted  bool
	delSeq   int // the fake's request count once it was deleted
	at       time.Time
}

// soakRoute counts the answers to one route of the web load.
type soakRoute struct {
	n      int
	codes  map[int]int
	errors int
	lat    []time.Duration
}

type soakSample struct {
	at         time.Duration // since the server started
	phase      string
	goroutines int
	rss        int64 // process_resident_memory_bytes
	vmRSS      int64 // KiB, from /proc
	vmHWM      int64
	threads    int
	fds        int
	heapInuse  int64
	chromium   int   // Chromium processes (descendants of the server)
	chromePSS  int64 // their proportional set size, KiB
	posts      int
}

func newSoak(t *testing.T, dur time.Duration, seed uint64) *soak {
	s := &soak{t: t, dur: dur, warm: min(2*time.Minute, dur/5), seed: seed, byID: map[string]*soakThread{},
		faultKind: map[string]int{}, routes: map[string]*soakRoute{}, acked: map[string]string{},
		replies: map[string]int{}, replyText: map[string]string{}, slackSeen: map[string]int{}, pageHits: map[string]int{}, foreign: map[string]int{},
		web: &http.Client{Timeout: 60 * time.Second}}
	s.out = t.TempDir()
	if dir := os.Getenv("VERBATIM_TEST_ARTIFACTS"); dir != "" {
		s.out = filepath.Join(dir, "soak-"+time.Now().UTC().Format("20060102T150405Z"))
		if err := os.MkdirAll(s.out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A short TMPDIR: Chromium puts a socket in its profile directory, and
	// socket paths are limited to about 100 bytes.
	tmp, err := os.MkdirTemp("/tmp", "vbsoak")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	s.tmp = tmp
	s.data = filepath.Join(t.TempDir(), "data")
	if os.Getenv("VERBATIM_TEST_ARTIFACTS") != "" {
		s.data = filepath.Join(s.out, "data") // kept, to look into
	}
	t.Logf("soak: %s, warm-up %s, seed %d (VERBATIM_SOAK_SEED), artifacts in %s", dur, s.warm, seed, s.out)
	return s
}

func (s *soak) run() {
	t := s.t
	s.startFakes()
	s.startServer()
	defer func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.exited
		}
	}()

	load, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	sampling, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	var wg sync.WaitGroup
	phase := &phaseClock{phase: "warm-up"}
	goLoop := func(f func(ctx context.Context, r *rand.Rand), ctx context.Context, stream uint64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx, rand.New(rand.NewPCG(s.seed, stream)))
		}()
	}
	goLoop(s.publish, load, 1)
	goLoop(s.injectFaults, load, 2)
	goLoop(s.webLoad, load, 3)
	goLoop(s.slackLoad, load, 4)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		s.sampleLoop(sampling, phase)
	}()

	// The load runs for the soak's duration, unless the server dies.
	timer := time.NewTimer(time.Until(s.start.Add(s.warm)))
	select {
	case <-timer.C:
	case <-s.exited:
		t.Fatalf("the server exited during warm-up: %v\n%s", s.cmd.ProcessState, s.logTail(40))
	}
	phase.set("load")
	timer.Reset(time.Until(s.start.Add(s.dur)))
	select {
	case <-timer.C:
	case <-s.exited:
		t.Fatalf("the server exited under load: %v\n%s", s.cmd.ProcessState, s.logTail(40))
	}

	// Stop publishing, faults and load; then one more full capture pass and
	// recheck, fault-free, must bring the archive level with the fake.
	stopLoad()
	wg.Wait()
	cleared := s.fake.ClearFaults()
	stopAt := time.Now()
	phase.set("final")
	t.Logf("soak: load stopped after %s; %d queued faults cleared; waiting for a full capture pass and a recheck",
		stopAt.Sub(s.start).Round(time.Second), cleared)
	s.awaitFinalPasses(stopAt)
	s.awaitReplies()

	// Idle: no load, no jobs running, no idle connections of ours.
	phase.set("idle")
	s.web.CloseIdleConnections()
	end := s.idleSample()
	stopSampling()
	<-sampled
	s.checkServed()
	s.stopServer()
	s.checkChromiumGone()
	s.checkArchive()
	s.checkLog()
	s.report(end)
}

// phaseClock is the phase the samples are labelled with.
type phaseClock struct {
	mu    sync.Mutex
	phase string
}

func (p *phaseClock) set(s string) {
	p.mu.Lock()
	p.phase = s
	p.mu.Unlock()
}

func (p *phaseClock) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.phase
}

// problem records something the load saw go wrong; the test fails at the
// end with all of them.
func (s *soak) problem(format string, args ...any) {
	msg := fmt.Sprintf("%s: ", s.since()) + fmt.Sprintf(format, args...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.problems) < 200 {
		s.problems = append(s.problems, msg)
	}
}

func (s *soak) since() time.Duration {
	if s.start.IsZero() {
		return 0
	}
	return time.Since(s.start).Round(time.Second)
}

// sleep waits d or until ctx is done, and reports whether it waited.
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

// between returns a random duration in [lo, hi).
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// The fakes.

func (s *soak) startFakes() {
	t := s.t
	s.fake = archivetest.NewFakeX(t)
	// The fake's clock follows the real one, so that the rate-limit resets
	// it sends are the ones the server waits for.
	s.fake.SetNow(time.Now().UTC())
	clock, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go func() {
		for sleep(clock, 200*time.Millisecond) {
			s.fake.SetNow(time.Now().UTC())
		}
	}()
	s.pages = httptest.NewServer(s.pageHandler())
	t.Cleanup(s.pages.Close)

	gen := archivetest.NewGenerator(s.seed)
	r := rand.New(rand.NewPCG(s.seed, 0))
	old := time.Now().Add(-40 * 24 * time.Hour)
	for _, a := range soakAccounts {
		s.fake.AddUser(a.id, a.handle, a.name)
		for i := range soakHistory {
			th := &soakThread{handle: a.handle, history: true, at: old.Add(time.Duration(i)*31*time.Hour + time.Duration(r.IntN(3600))*time.Second)}
			text := gen.Next().Text
			var id string
			if r.IntN(5) == 0 {
				th.photo = true
				id = s.fake.PostPhoto(a.id, text, th.at, s.photoURL(a.handle, i))
			} else {
				id = s.fake.Post(a.id, text, th.at)
			}
			s.addThread(th, id)
		}
	}

	// The fake hooks.slack.com: HTTPS with a certificate of its own, reached
	// through a CONNECT tunnel, the server's HTTPS_PROXY.
	cert, certPEM := soakCert(t, soakSlackHost)
	if err := os.WriteFile(filepath.Join(s.out, "slack-ca.pem"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	s.slack = httptest.NewUnstartedServer(http.HandlerFunc(s.slackHook))
	s.slack.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.slack.StartTLS()
	s.proxy = httptest.NewServer(http.HandlerFunc(s.tunnel))
	// Cleanups run last first: the tunnels end when the fake Slack closes.
	t.Cleanup(s.proxy.Close)
	t.Cleanup(s.slack.Close)
}

func (s *soak) photoURL(handle string, n int) string {
	return fmt.Sprintf("%s/media/%s-%d.png", s.pages.URL, handle, n)
}

// addThread records version id of th, with the text the fake gave it.
func (s *soak) addThread(th *soakThread, id string) {
	text := s.fake.Text(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	th.versions = append(th.versions, id)
	th.texts = append(th.texts, text)
	if len(th.versions) == 1 {
		s.threads = append(s.threads, th)
	}
	s.byID[id] = th
}

// soakCert makes a self-signed certificate for host, its own root.
func soakCert(t *testing.T, host string) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// tunnel is an HTTPS proxy that lets through only CONNECTs to
// hooks.slack.com, to the fake. Chromium, which reads the same proxy
// settings, is refused and counted.
func (s *soak) tunnel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		s.problem("proxy: the server asked for %s %s", r.Method, r.URL)
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	if r.Host != soakSlackHost+":443" {
		s.mu.Lock()
		s.foreign[r.Host]++
		s.mu.Unlock()
		http.Error(w, "only hooks.slack.com here", http.StatusForbidden)
		return
	}
	up, err := net.Dial("tcp", s.slack.Listener.Addr().String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() {
		io.Copy(up, rw)
		up.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(conn, up)
}

// slackHook is the fake response_url: /commands/TSOAK/{n}/{token}.
func (s *soak) slackHook(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || len(parts) != 4 || parts[0] != "commands" {
		s.problem("fake slack: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	var msg struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.Text == "" && len(msg.Blocks) == 0 {
		s.problem("fake slack: reply to command %s is not a message (%v): %.200s", parts[2], err, body)
	}
	s.mu.Lock()
	s.replies[parts[2]]++
	if _, ok := s.replyText[parts[2]]; !ok {
		var blocks any
		json.Unmarshal(body, &blocks)
		s.replyText[parts[2]] = strings.Join(jsonTexts(blocks), " | ")
	}
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

// jsonTexts returns the "text" strings in a Slack message, in order.
func jsonTexts(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if t, ok := v["text"].(string); ok {
			out = append(out, t)
		}
		for _, k := range []string{"blocks", "text", "fields", "elements"} {
			out = append(out, jsonTexts(v[k])...) // a section's text is an object
		}
	case []any:
		for _, e := range v {
			out = append(out, jsonTexts(e)...)
		}
	}
	return out
}

// pageHandler serves what Chromium loads: post pages and embeds (the
// x.post_url and x.embed_url templates point here), photos, and articles
// that quote archived posts for "verify".
func (s *soak) pageHandler() http.Handler {
	mux := http.NewServeMux()
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for i := range m.Pix {
		m.Pix[i] = byte(i * 7)
	}
	m.Set(0, 0, color.RGBA{1, 2, 3, 255})
	png.Encode(&img, m)
	hit := func(kind string) {
		s.mu.Lock()
		s.pageHits[kind]++
		s.mu.Unlock()
	}
	post := func(w http.ResponseWriter, id string) {
		s.mu.Lock()
		th := s.byID[id]
		text, handle := "(unknown post)", "i"
		if th != nil {
			text, handle = th.texts[slices.Index(th.versions, id)], th.handle
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>@%s on X</title></head>
<body><article><p>%s</p><a href="/%s">@%s</a> <time>%s</time></article></body></html>`,
			handle, htmlEscape(text), handle, handle, time.Now().UTC().Format(time.RFC3339))
	}
	mux.HandleFunc("GET /{handle}/status/{id}", func(w http.ResponseWriter, r *http.Request) {
		hit("post")
		post(w, r.PathValue("id"))
	})
	mux.HandleFunc("GET /embed", func(w http.ResponseWriter, r *http.Request) {
		hit("embed")
		post(w, r.URL.Query().Get("id"))
	})
	mux.HandleFunc("GET /media/{name}", func(w http.ResponseWriter, r *http.Request) {
		hit("media")
		w.Header().Set("Content-Type", "image/png")
		w.Write(img.Bytes())
	})
	mux.HandleFunc("GET /article/{id}", func(w http.ResponseWriter, r *http.Request) {
		hit("article")
		id := r.PathValue("id")
		s.mu.Lock()
		th := s.byID[id]
		var text string
		if th != nil {
			text = th.texts[len(th.texts)-1]
		}
		s.mu.Unlock()
		if th == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>What @%[1]s said</title>
<meta name="author" content="Soak Reporter"></head><body><article><h1>What @%[1]s said</h1>
<p>Officials spoke again on Monday about the matters in the post below, which drew wide attention in the capital.</p>
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">%[2]s</p>&mdash; %[4]s (@%[1]s)
<a href="https://twitter.com/%[1]s/status/%[3]s?ref_src=twsrc%%5Etfw">%[5]s</a></blockquote>
<p>Further talks were expected to conclude within days, officials said after the first meeting of the week.</p>
</article></body></html>`, th.handle, htmlEscape(text), id, htmlEscape(soakName(th.handle)), th.at.UTC().Format("January 2, 2006"))
	})
	return mux
}

// soakName is the display name of a watched account.
func soakName(handle string) string {
	for _, a := range soakAccounts {
		if a.handle == handle {
			return a.name
		}
	}
	return handle
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// The server.

func (s *soak) startServer() {
	t := s.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.base = "http://" + addr
	var accounts strings.Builder
	for _, a := range soakAccounts {
		fmt.Fprintf(&accounts, "  - handle: %s\n", a.handle)
	}
	cfg := fmt.Sprintf(`data_dir: %q
accounts:
%slog:
  format: json
  level: info
x:
  post_url: %q
  embed_url: %q
schedule:
  capture: "* * * * *"
  recheck: "* * * * *"
  snapshot_retry: "*/2 * * * *"
  report: "*/5 * * * *"
browser:
  tabs: 2
  timeout: 30s
  allow_private_urls: true
server:
  addr: %q
  public_url: %q
`, s.data, accounts.String(), s.pages.URL+"/{handle}/status/{id}", s.pages.URL+"/embed?id={id}", addr, s.base)
	cfgPath := filepath.Join(s.out, "verbatim.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(s.out, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })

	s.cmd = proc(t, "--config", cfgPath, "serve")
	s.cmd.Env = append(soakEnv(), "VERBATIM_TEST_AS_CLI=1",
		"VERBATIM_X_API_URL="+s.fake.URL(), "VERBATIM_X_BEARER_TOKEN="+s.fake.Token,
		"VERBATIM_SLACK_SIGNING_SECRET="+soakSlackSecret,
		"TMPDIR="+s.tmp,
		"HTTPS_PROXY="+s.proxy.URL, "NO_PROXY=127.0.0.1,localhost",
		"SSL_CERT_FILE="+filepath.Join(s.out, "slack-ca.pem"))
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.start = time.Now()
	s.exited = make(chan struct{})
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := s.web.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("the server exited at start: %v\n%s", s.cmd.ProcessState, s.logTail(40))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer /healthz in 30s\n%s", s.logTail(40))
		}
	}
	t.Logf("soak: serving at %s (pid %d), fake X at %s, pages at %s", s.base, s.cmd.Process.Pid, s.fake.URL(), s.pages.URL)

	csv, err := os.Create(filepath.Join(s.out, "soak-metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { csv.Close() })
	s.csv = csv
	fmt.Fprintln(csv, "elapsed_s,phase,go_goroutines,process_resident_memory_bytes,vmrss_kib,vmhwm_kib,threads,fds,go_heap_inuse_bytes,chromium_procs,chromium_pss_kib,archive_posts")
}

// soakEnv is this process's environment without what would change the
// server's configuration, proxies, certificates or memory limit.
func soakEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch K := strings.ToUpper(k); {
		case K == "VERBATIM_BROWSER_PATH":
		case strings.HasPrefix(K, "VERBATIM_"), strings.HasSuffix(K, "_PROXY"), strings.HasPrefix(K, "SSL_CERT_"),
			K == "TMPDIR", K == "GOMEMLIMIT":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (s *soak) logTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(s.out, "serve.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// The publisher: new posts (some with a photo), edits, and deletions of
// posts the archive already holds whole, so that every post and version
// the fake published could be archived.

func (s *soak) publish(ctx context.Context, r *rand.Rand) {
	gen := archivetest.NewGenerator(s.seed + 1)
	n := 0
	for sleep(ctx, between(r, 3*time.Second, 9*time.Second)) {
		switch x := r.IntN(100); {
		case x < 60:
			a := soakAccounts[r.IntN(len(soakAccounts))]
			text := gen.Next().Text
			th := &soakThread{handle: a.handle, at: time.Now()}
			var id string
			if r.IntN(4) == 0 {
				th.photo = true
				n++
				id = s.fake.PostPhoto(a.id, text, th.at, s.photoURL(a.handle, 1000+n))
			} else {
				id = s.fake.Post(a.id, text, th.at)
			}
			s.addThread(th, id)
		case x < 85:
			s.edit(r)
		default:
			s.remove(ctx, r)
		}
	}
}

// recent returns up to n of the newest threads published during the soak
// that are not deleted and pass keep, newest first.
func (s *soak) recent(n int, keep func(*soakThread) bool) []*soakThread {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*soakThread
	for i := len(s.threads) - 1; i >= 0 && len(out) < n; i-- {
		if th := s.threads[i]; !th.history && !th.deleted && keep(th) {
			out = append(out, th)
		}
	}
	return out
}

func (s *soak) edit(r *rand.Rand) {
	cands := s.recent(8, func(th *soakThread) bool { return len(th.versions) < 3 })
	if len(cands) == 0 {
		return
	}
	th := cands[r.IntN(len(cands))]
	s.mu.Lock()
	old, latest := th.texts[len(th.texts)-1], th.versions[len(th.versions)-1]
	s.mu.Unlock()
	words := strings.Fields(old)
	// Change one word, or add a correction.
	if i := r.IntN(len(words) + 1); i < len(words) && !strings.HasPrefix(words[i], "https://") {
		words[i] = strings.ToUpper(words[i])
	} else {
		words = append(words, "(corrected)")
	}
	text := strings.Join(words, " ")
	id := s.fake.Edit(latest, text, time.Now())
	s.addThread(th, id)
}

// remove deletes a post the archive holds with every version: most often
// the newest such, which the next recheck sees gone.
func (s *soak) remove(ctx context.Context, r *rand.Rand) {
	var cands []*soakThread
	if r.IntN(10) < 7 {
		cands = s.recent(6, func(*soakThread) bool { return true })
	} else {
		s.mu.Lock()
		for _, i := range r.Perm(len(s.threads))[:min(3, len(s.threads))] {
			if th := s.threads[i]; !th.deleted {
				cands = append(cands, th)
			}
		}
		s.mu.Unlock()
	}
	for _, th := range cands {
		s.mu.Lock()
		versions := slices.Clone(th.versions)
		s.mu.Unlock()
		archived, err := s.archivedVersions(ctx, versions[0])
		if err != nil || !subset(versions, archived) {
			continue
		}
		s.fake.Delete(versions[0])
		seq := s.fake.RequestCount("")
		s.mu.Lock()
		th.deleted, th.delSeq = true, seq
		s.deletes.done++
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.deletes.skipped++
	s.mu.Unlock()
}

// archivedVersions returns the ids of the versions the archive holds of
// the post with id, through the API.
func (s *soak) archivedVersions(ctx context.Context, id string) ([]string, error) {
	var got struct {
		Post struct {
			ID       string
			Status   string
			Versions []struct{ ID string }
		}
	}
	code, body, err := s.get(ctx, "/api/v1/posts/"+id)
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("%d %v", code, err)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range got.Post.Versions {
		ids = append(ids, v.ID)
	}
	return ids, nil
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// The faults: one at a time, when the last has been served, at random
// moments; each logged.

func (s *soak) injectFaults(ctx context.Context, r *rand.Rand) {
	prefixes := []string{"", "/2/users/", "/2/tweets"}
	// Each kind once in every four faults, in a random order.
	var deck []string
	for sleep(ctx, between(r, 4*time.Second, 10*time.Second)) {
		s.mu.Lock()
		spent := time.Now().Before(s.spentTill)
		s.mu.Unlock()
		if spent || s.fake.PendingFaults() > 0 {
			continue
		}
		prefix := prefixes[r.IntN(len(prefixes))]
		where := prefix
		if where == "" {
			where = "any request"
		}
		if len(deck) == 0 {
			deck = []string{"429", "5xx", "slow", "truncated"}
			r.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
		}
		kind, desc := deck[0], ""
		deck = deck[1:]
		switch kind {
		case "429":
			ep := []string{archivetest.FakeXUserTweets, archivetest.FakeXTweets}[r.IntN(2)]
			reset := between(r, 5*time.Second, 45*time.Second).Round(time.Second)
			s.fake.SpendWindow(ep, reset)
			s.mu.Lock()
			s.spentTill = time.Now().Add(reset + 2*time.Second)
			s.mu.Unlock()
			desc = fmt.Sprintf("429: %s window spent, resets in %s", ep, reset)
		case "5xx":
			status := []int{500, 502, 503, 504}[r.IntN(4)]
			s.fake.FailNext(status, prefix)
			desc = fmt.Sprintf("%d on the next of %s", status, where)
		case "slow":
			d := between(r, 2*time.Second, 20*time.Second)
			if r.IntN(5) == 0 {
				d = between(r, 65*time.Second, 75*time.Second) // past the client's 60s timeout
			}
			d = d.Round(100 * time.Millisecond)
			s.fake.SlowNext(d, prefix)
			desc = fmt.Sprintf("slow (%s) on the next of %s", d, where)
		default:
			s.fake.TruncateNext(prefix)
			desc = "truncated body on the next of " + where
		}
		s.mu.Lock()
		s.faultKind[kind]++
		s.faults = append(s.faults, fmt.Sprintf("%s %s", s.since(), desc))
		n := len(s.faults)
		s.mu.Unlock()
		s.t.Logf("soak: fault %d at %s: %s", n, s.since(), desc)
	}
}

// The web load: pages and API calls at a few a second.

func (s *soak) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.web.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (s *soak) webLoad(ctx context.Context, r *rand.Rand) {
	queries := append(archivetest.TwoTermQueries(30, s.seed), archivetest.CommonWords()[:10]...)
	queries = append(queries, archivetest.Phrases()[:10]...)
	for sleep(ctx, between(r, 200*time.Millisecond, 800*time.Millisecond)) {
		id, handle := s.randomPost(r)
		q := queries[r.IntN(len(queries))]
		var route, path string
		want := []int{http.StatusOK}
		switch x := r.IntN(100); {
		case x < 8:
			route, path = "GET /", "/"
		case x < 20:
			route, path = "GET /search", "/search?"+url.Values{"q": {q}}.Encode()
		case x < 32:
			route, path = "GET /api/v1/search", "/api/v1/search?"+url.Values{"q": {q}, "account": {handle}}.Encode()
		case x < 35:
			route, path = "GET /api/v1/search?deleted", "/api/v1/search?deleted=1&account="+handle
		case x < 37:
			route, path = "GET /api/v1/search (bad query)", "/api/v1/search?q="+url.QueryEscape(`"`+q)
			want = []int{http.StatusBadRequest}
		case x < 50:
			route, path = "GET /posts/{id}", "/posts/"+id
			want = append(want, http.StatusNotFound) // not archived yet
		case x < 63:
			route, path = "GET /api/v1/posts/{id}", "/api/v1/posts/"+id
			want = append(want, http.StatusNotFound)
		case x < 69:
			route, path = "GET /accounts/{handle}", "/accounts/"+handle
			want = append(want, http.StatusNotFound) // before its first capture
		case x < 73:
			route, path = "GET /api/v1/accounts/{handle}", "/api/v1/accounts/"+handle
			want = append(want, http.StatusNotFound)
		case x < 79:
			route, path = "GET /status", "/status"
		case x < 87:
			route, path = "GET /api/v1/status", "/api/v1/status"
		case x < 92:
			route, path = "GET /api/v1/captures/{id}", fmt.Sprintf("/api/v1/captures/%d", 1+r.IntN(200))
			want = append(want, http.StatusNotFound)
		case x < 95:
			route, path = "GET /checkpoint", "/checkpoint"
			want = append(want, http.StatusNotFound) // before the first report
		case x < 98:
			route, path = "GET /reports.atom", "/reports.atom"
		default:
			route, path = "GET /healthz", "/healthz"
		}
		begun := time.Now()
		code, body, err := s.get(ctx, path)
		if ctx.Err() != nil {
			return
		}
		lat := time.Since(begun)
		s.mu.Lock()
		rs := s.routes[route]
		if rs == nil {
			rs = &soakRoute{codes: map[int]int{}}
			s.routes[route] = rs
		}
		rs.n++
		rs.lat = append(rs.lat, lat)
		if err != nil {
			rs.errors++
		} else {
			rs.codes[code]++
		}
		s.mu.Unlock()
		switch {
		case err != nil:
			s.problem("web: GET %s: %v", path, err)
		case !slices.Contains(want, code):
			s.problem("web: GET %s: %d: %.300s", path, code, body)
		}
	}
}

// randomPost returns a published post (often a recent one) and its
// account.
func (s *soak) randomPost(r *rand.Rand) (id, handle string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := r.IntN(len(s.threads))
	if r.IntN(2) == 0 {
		i = max(0, len(s.threads)-1-r.IntN(10))
	}
	th := s.threads[i]
	return th.versions[r.IntN(len(th.versions))], th.handle
}

// The Slack load: signed slash commands, URL verifications, and now and
// then a request with a bad signature.

func slackSignature(secret string, ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *soak) slackLoad(ctx context.Context, r *rand.Rand) {
	n := 0
	for sleep(ctx, between(r, 3*time.Second, 8*time.Second)) {
		n++
		id, handle := s.randomPost(r)
		words := strings.Fields(archivetest.TwoTermQueries(50, s.seed)[r.IntN(50)])
		var line string
		switch x := r.IntN(100); {
		case x < 5:
			s.slackBadSignature(ctx, n)
			continue
		case x < 12:
			s.slackVerification(ctx, n)
			continue
		case x < 20:
			line = "help"
		case x < 50:
			line = "search " + words[0]
			if r.IntN(2) == 0 {
				line += " --account @" + handle
			}
		case x < 70:
			line = "show " + id
		case x < 82:
			line = "status"
		case x < 86:
			line = "search --deleted --account @" + handle
		case x < 92:
			line = "capture @" + handle
		default:
			line = "verify " + s.pages.URL + "/article/" + id
		}
		s.slackCommand(ctx, n, line)
	}
}

func (s *soak) slackPost(ctx context.Context, path, contentType, body, sig string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	ts := time.Now().Unix()
	if sig == "" {
		sig = slackSignature(soakSlackSecret, ts, body)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", sig)
	resp, err := s.web.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (s *soak) slackSeenAdd(outcome string) {
	s.mu.Lock()
	s.slackSeen[outcome]++
	s.mu.Unlock()
}

func (s *soak) slackCommand(ctx context.Context, n int, line string) {
	num := strconv.Itoa(n)
	form := url.Values{"token": {"unused"}, "team_id": {"TSOAK"}, "channel_id": {"CSOAK"}, "user_id": {"USOAK"},
		"user_name": {"soak"}, "command": {"/verbatim"}, "text": {line}, "trigger_id": {num + ".soak"},
		"response_url": {"https://" + soakSlackHost + "/commands/TSOAK/" + num + "/" + strconv.FormatUint(s.seed+uint64(n), 36)}}
	code, body, err := s.slackPost(ctx, "/slack/command", "application/x-www-form-urlencoded", form.Encode(), "")
	if ctx.Err() != nil {
		return
	}
	cmd, _, _ := strings.Cut(line, " ")
	switch {
	case err != nil:
		s.problem("slack: %q: %v", line, err)
	case code != http.StatusOK:
		s.problem("slack: %q: %d %.200s", line, code, body)
	case cmd == "help":
		if !strings.Contains(body, "search") {
			s.problem("slack: help: %.200s", body)
		}
		s.slackSeenAdd("help answered at once")
	case strings.Contains(body, "Working on it"):
		s.mu.Lock()
		s.acked[num] = line
		s.mu.Unlock()
		s.slackSeenAdd(cmd + " acknowledged")
	case strings.Contains(body, "busy"):
		s.slackSeenAdd(cmd + " refused: busy")
	default:
		s.problem("slack: %q: unexpected answer %.200s", line, body)
	}
}

func (s *soak) slackVerification(ctx context.Context, n int) {
	challenge := fmt.Sprintf("challenge-%d-%d", s.seed, n)
	body := fmt.Sprintf(`{"token":"unused","challenge":%q,"type":"url_verification"}`, challenge)
	code, got, err := s.slackPost(ctx, "/slack/events", "application/json", body, "")
	if ctx.Err() != nil {
		return
	}
	if err != nil || code != http.StatusOK || got != challenge {
		s.problem("slack: url_verification: %d %q %v", code, got, err)
	}
	s.slackSeenAdd("url_verification answered")
}

func (s *soak) slackBadSignature(ctx context.Context, n int) {
	body := url.Values{"text": {"status"}, "response_url": {"https://" + soakSlackHost + "/commands/TSOAK/bad/" + strconv.Itoa(n)}}.Encode()
	code, got, err := s.slackPost(ctx, "/slack/command", "application/x-www-form-urlencoded", body,
		slackSignature("not-the-secret", time.Now().Unix(), body))
	if ctx.Err() != nil {
		return
	}
	if err != nil || code != http.StatusUnauthorized {
		s.problem("slack: a bad signature got %d %q %v", code, got, err)
	}
	s.slackSeenAdd("bad signature refused")
}

// The samples.

func (s *soak) sampleLoop(ctx context.Context, phase *phaseClock) {
	for {
		s.takeSample(phase.get())
		if !sleep(ctx, soakSampleEvery) {
			return
		}
	}
}

func (s *soak) takeSample(phase string) soakSample {
	sm := soakSample{at: time.Since(s.start), phase: phase}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if code, body, err := s.get(ctx, "/metrics"); err != nil || code != http.StatusOK {
		s.problem("metrics: %d %v", code, err)
	} else {
		m := parseMetrics(body)
		sm.goroutines = int(m["go_goroutines"])
		sm.rss = int64(m["process_resident_memory_bytes"])
		sm.heapInuse = int64(m["go_memstats_heap_inuse_bytes"])
		sm.posts = int(m["verbatim_archive_posts"])
	}
	pid := s.cmd.Process.Pid
	st := procStatus(pid)
	sm.vmRSS, sm.vmHWM, sm.threads = st["VmRSS"], st["VmHWM"], int(st["Threads"])
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		sm.fds = len(fds)
	}
	for _, p := range descendants(pid) {
		sm.chromium++
		sm.chromePSS += procPSS(p)
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	fmt.Fprintf(s.csv, "%.0f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", sm.at.Seconds(), sm.phase, sm.goroutines, sm.rss, sm.vmRSS, sm.vmHWM,
		sm.threads, sm.fds, sm.heapInuse, sm.chromium, sm.chromePSS, sm.posts)
	s.mu.Unlock()
	return sm
}

// parseMetrics reads the unlabelled samples of a Prometheus text page.
func parseMetrics(b []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.Contains(line, "{") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); ok && err == nil {
			out[name] = f
		}
	}
	return out
}

// procStatus reads the numbers of /proc/pid/status (kB for the Vm* ones).
func procStatus(pid int) map[string]int64 {
	out := map[string]int64{}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// procPSS returns the proportional set size of pid in KiB: its share of
// the memory it shares with others, so that Chromium's processes add up.
func procPSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// descendants returns the processes below pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := b[bytes.LastIndexByte(b, ')')+1:]
		if f := strings.Fields(string(rest)); len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	sort.Ints(out)
	return out
}

// idleSample waits for a quiet moment (no job due at the minute), then
// returns the lowest of three samples.
func (s *soak) idleSample() soakSample {
	time.Sleep(3 * time.Second)
	for sec := time.Now().Second(); sec < 10 || sec > 40; sec = time.Now().Second() {
		time.Sleep(time.Second)
	}
	var best soakSample
	for i := range 3 {
		sm := s.takeSample("idle")
		if i == 0 || sm.goroutines < best.goroutines {
			best = sm
		}
		time.Sleep(2 * time.Second)
	}
	return best
}

// The end.

type soakRun struct {
	ID      int64          `json:"id"`
	Job     string         `json:"job"`
	Started time.Time      `json:"started_at"`
	Ended   *time.Time     `json:"ended_at"`
	Counts  map[string]any `json:"counts"`
	Error   string         `json:"error"`
}

// awaitFinalPasses waits for a scheduled capture pass of every account and
// a recheck, both begun after stopAt and ended without error.
func (s *soak) awaitFinalPasses(stopAt time.Time) {
	t := s.t
	var capture, recheck *soakRun
	deadline := time.Now().Add(6 * time.Minute)
	for capture == nil || recheck == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no clean capture and recheck within 6 minutes of the end of the load (capture %v, recheck %v)\n%s",
				capture, recheck, s.logTail(30))
		}
		select {
		case <-s.exited:
			t.Fatalf("the server exited: %v\n%s", s.cmd.ProcessState, s.logTail(40))
		case <-time.After(5 * time.Second):
		}
		code, body, err := s.get(context.Background(), "/api/v1/status")
		if err != nil || code != http.StatusOK {
			continue
		}
		var st struct{ Runs []soakRun }
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("status: %v: %s", err, body)
		}
		for _, run := range st.Runs {
			if run.Started.Before(stopAt) || run.Ended == nil || run.Error != "" {
				continue
			}
			switch {
			case run.Job == "capture" && num(run.Counts["accounts"]) == len(soakAccounts) && num(run.Counts["failed_accounts"]) == 0:
				capture = &run
			case run.Job == "recheck":
				recheck = &run
			}
		}
	}
	t.Logf("soak: final capture run %d (%s, %v) and recheck run %d (%s, %v)", capture.ID, capture.Ended.Sub(stopAt).Round(time.Second),
		capture.Counts, recheck.ID, recheck.Ended.Sub(stopAt).Round(time.Second), recheck.Counts)
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// awaitReplies waits for the reply to every acknowledged Slack command.
func (s *soak) awaitReplies() {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		missing := s.missingReplies()
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.problem("slack: %d acknowledged commands got no reply: %v", len(missing), missing[:min(10, len(missing))])
			return
		}
		time.Sleep(time.Second)
	}
}

func (s *soak) missingReplies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n, line := range s.acked {
		if s.replies[n] == 0 {
			out = append(out, fmt.Sprintf("#%s %q", n, line))
		}
	}
	sort.Strings(out)
	return out
}

// checkServed asks the API for every post published: each is archived.
func (s *soak) checkServed() {
	s.mu.Lock()
	threads := slices.Clone(s.threads)
	s.mu.Unlock()
	missing := 0
	for _, th := range threads {
		code, body, err := s.get(context.Background(), "/api/v1/posts/"+th.versions[0])
		if err != nil || code != http.StatusOK {
			missing++
			if missing <= 10 {
				s.t.Errorf("post %s (@%s, published %s) is not served: %d %v %.200s", th.versions[0], th.handle,
					th.at.Format(time.TimeOnly), code, err, body)
			}
		}
	}
	if missing > 0 {
		s.t.Errorf("%d of %d published posts are not served by the API", missing, len(threads))
	}
}

func (s *soak) stopServer() {
	t := s.t
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(2 * time.Minute):
		s.cmd.Process.Kill()
		<-s.exited
		t.Fatalf("serve did not stop within 2 minutes of SIGINT\n%s", s.logTail(30))
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("serve exited with %d after SIGINT, want 0\n%s", code, s.logTail(20))
	}
}

// checkChromiumGone: no Chromium of the server's is left, nor a profile.
func (s *soak) checkChromiumGone() {
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := chromiumUsing(s.tmp)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			s.t.Errorf("Chromium processes left after serve exited: %v", left)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ents, _ := os.ReadDir(s.tmp); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		s.t.Errorf("left in the server's TMPDIR: %v", names)
	}
}

// checkArchive opens the database read-only after the server has exited
// and checks it (checkPosts), logs what the jobs did (logJobs,
// logSnapshots), and audits the archive.
func (s *soak) checkArchive() {
	t := s.t
	path := filepath.Join(s.data, "verbatim.db")
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Logf("soak: a %d-byte WAL was left after a clean exit", fi.Size())
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check: %q %v", integrity, err)
	}
	s.checkPosts(db)
	s.logJobs(db)
	s.logSnapshots(db)
	r := cli(t, map[string]string{"VERBATIM_DATA": s.data}, "audit")
	if r.code != 0 {
		t.Errorf("audit after the soak: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// checkPosts: every post and version the fake published is archived once,
// deletions a lookup saw are marked, and nothing live is marked deleted.
func (s *soak) checkPosts(db *sql.DB) {
	t := s.t
	type post struct {
		ord            int64
		status, latest string
	}
	posts := map[string]post{}
	rows, err := db.Query(`SELECT ord, id, status, latest_id FROM posts`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p post
		var id string
		if err := rows.Scan(&p.ord, &id, &p.status, &p.latest); err != nil {
			t.Fatal(err)
		}
		posts[id] = p
	}
	rows.Close()
	versions := map[string]int64{}
	rows, err = db.Query(`SELECT id, post_ord FROM versions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var ord int64
		if err := rows.Scan(&id, &ord); err != nil {
			t.Fatal(err)
		}
		versions[id] = ord
	}
	rows.Close()

	s.mu.Lock()
	threads := slices.Clone(s.threads)
	s.mu.Unlock()
	reqs := s.fake.Requests()
	// seenAfter reports whether a lookup answered 200 asked for one of the
	// thread's ids after it was deleted.
	seenAfter := func(th *soakThread) bool {
		for _, rq := range reqs[min(th.delSeq, len(reqs)):] {
			if rq.Endpoint != archivetest.FakeXTweets || rq.Status != http.StatusOK {
				continue
			}
			for _, id := range strings.Split(rq.Query.Get("ids"), ",") {
				if slices.Contains(th.versions, id) {
					return true
				}
			}
		}
		return false
	}
	var lost, lostVersions, wrong []string
	var nVersions, nDeleted, nSeen, nEdited int
	for _, th := range threads {
		id := th.versions[0]
		nVersions += len(th.versions)
		if len(th.versions) > 1 {
			nEdited++
		}
		p, ok := posts[id]
		if !ok {
			lost = append(lost, fmt.Sprintf("%s (@%s, %d versions, published %s)", id, th.handle, len(th.versions), th.at.Format(time.TimeOnly)))
			continue
		}
		for _, v := range th.versions {
			if ord, ok := versions[v]; !ok || ord != p.ord {
				lostVersions = append(lostVersions, fmt.Sprintf("%s of post %s (ord %d, found %v)", v, id, ord, ok))
			}
		}
		if last := th.versions[len(th.versions)-1]; p.latest != last {
			wrong = append(wrong, fmt.Sprintf("post %s: latest_id %s, want %s", id, p.latest, last))
		}
		want := []string{"live"}
		if len(th.versions) > 1 {
			want = []string{"edited"}
		}
		if th.deleted {
			nDeleted++
			if seenAfter(th) {
				nSeen++
				want = []string{"deleted"}
			} else {
				want = append(want, "deleted") // the recheck may have seen it between Delete and the count
			}
		}
		if !slices.Contains(want, p.status) {
			wrong = append(wrong, fmt.Sprintf("post %s (@%s, %d versions, deleted %v, seen by a lookup after %v): status %s, want %s",
				id, th.handle, len(th.versions), th.deleted, th.deleted && seenAfter(th), p.status, strings.Join(want, " or ")))
		}
	}
	if len(posts) != len(threads) {
		var extra []string
		for id := range posts {
			if !slices.ContainsFunc(threads, func(th *soakThread) bool { return th.versions[0] == id }) {
				extra = append(extra, id)
			}
		}
		t.Errorf("the archive holds %d posts, the fake published %d; not published (duplicates?): %v", len(posts), len(threads), extra)
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d published posts are not archived: %v", len(lost), len(threads), lost[:min(20, len(lost))])
	}
	if len(lostVersions) > 0 {
		t.Errorf("%d of %d versions are not archived with their post: %v", len(lostVersions), nVersions, lostVersions[:min(20, len(lostVersions))])
	}
	for _, w := range wrong[:min(30, len(wrong))] {
		t.Error(w)
	}
	t.Logf("soak: archive: %d/%d posts and %d/%d versions published are archived; %d edited; %d deleted, %d of them looked up after the deletion (all must be marked deleted)",
		len(threads)-len(lost), len(threads), nVersions-len(lostVersions), nVersions, nEdited, nDeleted, nSeen)
}

// logJobs logs the job runs by job: how many, how many failed, and why. An
// integrity report that found problems fails the test.
func (s *soak) logJobs(db *sql.DB) {
	t := s.t
	rows, err := db.Query(`SELECT job, counts, error FROM job_runs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type jobStat struct {
		runs, failed int
		errors       map[string]int
		counts       map[string]float64
	}
	jobs := map[string]*jobStat{}
	for rows.Next() {
		var job, counts, jerr string
		if err := rows.Scan(&job, &counts, &jerr); err != nil {
			t.Fatal(err)
		}
		js := jobs[job]
		if js == nil {
			js = &jobStat{errors: map[string]int{}, counts: map[string]float64{}}
			jobs[job] = js
		}
		js.runs++
		var c map[string]float64
		json.Unmarshal([]byte(counts), &c)
		for k, v := range c {
			js.counts[k] += v
		}
		if jerr != "" {
			js.failed++
			js.errors[soakShorten(jerr)]++
			if job == "report" && strings.Contains(jerr, "integrity report") {
				t.Errorf("an integrity report found problems: %s", jerr)
			}
		}
	}
	rows.Close()
	var names []string
	for j := range jobs {
		names = append(names, j)
	}
	sort.Strings(names)
	for _, j := range names {
		js := jobs[j]
		t.Logf("soak: job %s: %d runs, %d failed; totals %v", j, js.runs, js.failed, js.counts)
		for e, n := range js.errors {
			t.Logf("soak:   %d× %s", n, e)
		}
	}
}

// logSnapshots logs the media downloads and browser captures, and the
// posts snapshotted again after a good snapshot.
func (s *soak) logSnapshots(db *sql.DB) {
	t := s.t
	var media []string
	rows, err := db.Query(`SELECT status, count(*) FROM media GROUP BY status ORDER BY status`)
	if err == nil {
		for rows.Next() {
			var st string
			var n int
			rows.Scan(&st, &n)
			media = append(media, fmt.Sprintf("%s %d", st, n))
		}
		rows.Close()
	}
	var snaps []string
	rows, err = db.Query(`SELECT format || ' ' || verdict, count(*) FROM captures WHERE kind = 'snapshot' GROUP BY 1 ORDER BY 1`)
	if err == nil {
		for rows.Next() {
			var k string
			var n int
			rows.Scan(&k, &n)
			snaps = append(snaps, fmt.Sprintf("%s %d", k, n))
		}
		rows.Close()
	}
	t.Logf("soak: media: %s; browser captures: %s", strings.Join(media, ", "), strings.Join(snaps, ", "))
	// A post whose page (or embed) was captured whole more than once: a
	// good snapshot makes a post no longer due, so a second one is work two
	// passes did at once.
	var dupPosts, dupCaptures int
	var dupSample string
	dupMinutes := map[string]int{}
	rows, err = db.Query(`SELECT post_ord, format, count(*), group_concat(substr(at, 12, 12), ' '), substr(max(at), 12, 5)
		FROM captures WHERE kind = 'snapshot' AND verdict = 'ok' AND post_ord IS NOT NULL
		GROUP BY post_ord, format HAVING count(*) > 1 ORDER BY min(id)`)
	if err == nil {
		for rows.Next() {
			var ord int64
			var format, ats, minute string
			var n int
			rows.Scan(&ord, &format, &n, &ats, &minute)
			dupPosts++
			dupCaptures += n - 1
			dupMinutes[minute+" UTC"] += n - 1
			if dupSample == "" {
				dupSample = fmt.Sprintf("the %s snapshot of post ord %d taken %d times, at %s", format, ord, n, ats)
			}
		}
		rows.Close()
	}
	if dupPosts > 0 {
		t.Logf("soak: %d post snapshots were taken again after a good one (%d extra captures; by minute %v), e.g. %s",
			dupPosts, dupCaptures, dupMinutes, dupSample)
	}
}

// soakShorten keeps an error message short and without the ids and
// numbers that differ between runs, to count alike errors together.
func soakShorten(s string) string {
	var b strings.Builder
	digits := false
	for _, c := range s {
		if c >= '0' && c <= '9' {
			if !digits {
				b.WriteByte('#')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(c)
	}
	out := b.String()
	if len(out) > 220 {
		out = out[:220] + "…"
	}
	return out
}

// checkLog reads the server's log: no panic, no race, and a count of the
// warnings and errors by message.
func (s *soak) checkLog() {
	t := s.t
	f, err := os.Open(filepath.Join(s.out, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	var raw []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line := sc.Text()
		var rec struct {
			Level, Msg string
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			if strings.TrimSpace(line) != "" {
				raw = append(raw, line)
			}
			continue
		}
		if rec.Level == "WARN" || rec.Level == "ERROR" {
			counts[rec.Level+" "+rec.Msg]++
		}
	}
	for _, line := range raw {
		if strings.Contains(line, "panic") || strings.Contains(line, "fatal error") || strings.Contains(line, "DATA RACE") {
			t.Errorf("the server's log: %s", line)
		}
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	for _, k := range keys {
		t.Logf("soak: log: %4d× %s", counts[k], k)
	}
	if len(raw) > 0 {
		t.Logf("soak: log: %d lines not JSON, the first: %q", len(raw), raw[0])
	}
}

// report logs the samples, the load's results and the memory and
// goroutine verdicts, and writes them to summary.txt.
func (s *soak) report(end soakSample) {
	t := s.t
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum strings.Builder
	p := func(format string, args ...any) {
		fmt.Fprintf(&sum, format+"\n", args...)
	}
	p("soak of %s, warm-up %s, seed %d", s.dur, s.warm, s.seed)

	// Memory and goroutines: the minute after warm-up against the last
	// minute of load, and the peak in between.
	var warm, last []soakSample
	var peak soakSample
	for _, sm := range s.samples {
		if sm.at >= s.warm && sm.at < s.warm+time.Minute {
			warm = append(warm, sm)
		}
		if sm.phase == "load" && sm.at >= s.dur-time.Minute {
			last = append(last, sm)
		}
		if sm.at >= s.warm && sm.vmRSS > peak.vmRSS {
			peak = sm
		}
	}
	if len(warm) == 0 || len(last) == 0 {
		t.Errorf("too few samples: %d after warm-up, %d in the last minute", len(warm), len(last))
		return
	}
	rssStart, rssEnd := medianOf(warm, func(sm soakSample) int64 { return sm.vmRSS }), medianOf(last, func(sm soakSample) int64 { return sm.vmRSS })
	// The fewest goroutines of the minute after warm-up: the quietest
	// moment between jobs, to compare with the idle end.
	gWarm := int64(warm[0].goroutines)
	for _, sm := range warm {
		gWarm = min(gWarm, int64(sm.goroutines))
	}
	var load []soakSample
	for _, sm := range s.samples {
		if sm.phase == "load" {
			load = append(load, sm)
		}
	}
	growth := float64(rssEnd-rssStart) / float64(rssStart)
	p("RSS (VmRSS, median of a minute): start %s (at %s), peak %s (at %s), end %s (last minute of load); growth %+.1f%% (limit %+.0f%%); at idle %s",
		kib(rssStart), s.warm, kib(peak.vmRSS), peak.at.Round(time.Second), kib(rssEnd), 100*growth, 100*soakRSSGrowthMax, kib(end.vmRSS))
	p("RSS first sample %s, high-water mark %s; Go heap in use at the end %s",
		kib(s.samples[0].vmRSS), kib(end.vmHWM), kib(end.heapInuse/1024))
	p("RSS trend under load: %+.0f KiB/min; goroutines trend %+.2f/min",
		slope(load, func(sm soakSample) int64 { return sm.vmRSS }), slope(load, func(sm soakSample) int64 { return int64(sm.goroutines) }))
	p("goroutines: after warm-up %d (fewest of a minute), %d to %d under load, idle at the end %d (limit %d); threads %d, fds %d at idle",
		gWarm, minOf(load, func(sm soakSample) int64 { return int64(sm.goroutines) }), maxOf(load, func(sm soakSample) int64 { return int64(sm.goroutines) }),
		end.goroutines, gWarm+soakGoroutineTol, end.threads, end.fds)
	p("Chromium: %d processes, %s (PSS) at idle; at most %d processes and %s", end.chromium, kib(end.chromePSS),
		maxOf(s.samples, func(sm soakSample) int64 { return int64(sm.chromium) }), kib(maxOf(s.samples, func(sm soakSample) int64 { return sm.chromePSS })))
	if len(s.foreign) > 0 {
		p("Chromium asked the proxy for other hosts (refused): %v", s.foreign)
	}
	if growth >= soakRSSGrowthMax {
		t.Errorf("RSS grew %.1f%% after warm-up (%s to %s), limit %.0f%%", 100*growth, kib(rssStart), kib(rssEnd), 100*soakRSSGrowthMax)
	}
	if end.goroutines > int(gWarm)+soakGoroutineTol {
		t.Errorf("goroutines at the end: %d, after warm-up %d: a leak?", end.goroutines, gWarm)
	}

	// What was published and injected.
	var posts, versions, photos, deleted int
	for _, th := range s.threads {
		if !th.history {
			posts++
		}
		versions += len(th.versions)
		if th.photo {
			photos++
		}
		if th.deleted {
			deleted++
		}
	}
	p("published: %d posts (%d before the server started, %d during the soak), %d versions, %d with a photo; %d deleted (%d deletions skipped: not yet archived whole)",
		len(s.threads), len(s.threads)-posts, posts, versions, photos, deleted, s.deletes.skipped)
	p("faults injected: %d (%v)", len(s.faults), s.faultKind)
	reqs := s.fake.Requests()
	statuses := map[string]int{}
	for _, rq := range reqs {
		statuses[fmt.Sprintf("%s %d", strings.TrimPrefix(rq.Endpoint, "GET "), rq.Status)]++
	}
	p("fake X: %d requests; by endpoint and status (0: the client gave up): %v", len(reqs), statuses)
	p("pages served to Chromium and the media downloader: %v", s.pageHits)

	// The load.
	var routes []string
	total, errs := 0, 0
	var lats []time.Duration
	for r := range s.routes {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		rs := s.routes[r]
		total += rs.n
		errs += rs.errors
		lats = append(lats, rs.lat...)
		slices.Sort(rs.lat)
		p("web %-32s %5d requests %v, %d errors; p50 %s p99 %s max %s", r, rs.n, rs.codes, rs.errors,
			pct(rs.lat, 0.5), pct(rs.lat, 0.99), rs.lat[len(rs.lat)-1].Round(time.Millisecond))
	}
	slices.Sort(lats)
	p("web: %d requests, %d transport errors; p50 %s p99 %s max %s", total, errs, pct(lats, 0.5), pct(lats, 0.99), pct(lats, 1))
	replies := 0
	for _, n := range s.replies {
		replies += n
	}
	p("slack: %v; %d commands acknowledged, %d replies delivered", s.slackSeen, len(s.acked), replies)
	var nums []string
	for n := range s.acked {
		nums = append(nums, n)
	}
	slices.SortFunc(nums, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	for _, n := range nums {
		if line := s.acked[n]; strings.HasPrefix(line, "verify ") || strings.HasPrefix(line, "capture ") {
			p("slack #%s %q → %.300q", n, line, s.replyText[n])
		}
	}
	p("problems seen by the load: %d", len(s.problems))
	for _, pr := range s.problems {
		p("  %s", pr)
	}

	p("\nsamples (%s):\n  t      phase    goroutines  VmRSS      heap       chromium", filepath.Join(s.out, "soak-metrics.csv"))
	for _, sm := range s.samples {
		p("  %-6s %-8s %5d       %-10s %-10s %d procs %s", sm.at.Round(time.Second), sm.phase, sm.goroutines, kib(sm.vmRSS),
			kib(sm.heapInuse/1024), sm.chromium, kib(sm.chromePSS))
	}
	os.WriteFile(filepath.Join(s.out, "summary.txt"), []byte(sum.String()), 0o644)
	t.Log("soak summary:\n" + sum.String())
	if len(s.problems) > 0 {
		t.Errorf("the load saw %d problems (listed in the summary)", len(s.problems))
	}
}

func medianOf(ss []soakSample, f func(soakSample) int64) int64 {
	v := make([]int64, len(ss))
	for i, sm := range ss {
		v[i] = f(sm)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// slope is the least-squares trend of f over the samples, per minute.
func slope(ss []soakSample, f func(soakSample) int64) float64 {
	if len(ss) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, sm := range ss {
		x, y := sm.at.Minutes(), float64(f(sm))
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(ss))
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

func minOf(ss []soakSample, f func(soakSample) int64) int64 {
	if len(ss) == 0 {
		return 0
	}
	m := f(ss[0])
	for _, sm := range ss[1:] {
		m = min(m, f(sm))
	}
	return m
}

func maxOf(ss []soakSample, f func(soakSample) int64) int64 {
	var m int64
	for _, sm := range ss {
		m = max(m, f(sm))
	}
	return m
}

func kib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/1024) }

func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Round(time.Millisecond)
}
