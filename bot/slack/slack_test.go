package slack_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot"
	"github.com/verbatim-archive/verbatim/bot/slack"
)

const (
	secret   = "8f742231b10e8888abcd99yyyzzz85a5"
	baseURL  = "https://verbatim.example"
	postID   = "2021150315377594369"
	postText = "<!channel> *Charter* vote <script>alert(1)</script> & more"
	// legacyToken is the deprecated verification token Slack still sends
	// in the form; it must never be logged.
	legacyToken = "legacy-token-xyz"
	// hookPath is the secret part of a response_url; it must never be
	// logged.
	hookPath = "/commands/T1/1/s3cr3tHookPath"
)

var now = time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC)

// env is a Handler on loopback with a fake Slack to answer to.
type env struct {
	t     *testing.T
	h     *slack.Handler
	srv   *httptest.Server
	slack *fakeSlack
	log   *syncBuffer
}

func newEnv(t *testing.T, cmd slack.Commander, opt slack.Options) *env {
	t.Helper()
	e := &env{t: t, slack: newFakeSlack(t), log: &syncBuffer{}}
	opt.Router = cmd
	opt.SigningSecret = secret
	opt.Now = func() time.Time { return now }
	opt.Log = slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opt.ResponseHosts = []string{"127.0.0.1"}
	opt.AllowHTTPResponseURL = true
	if opt.RetryDelay == 0 {
		opt.RetryDelay = time.Millisecond
	}
	e.h = slack.New(opt)
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(func() {
		e.srv.Close()
		e.h.Wait()
		for _, leak := range []string{secret, legacyToken, hookPath} {
			if strings.Contains(e.log.String(), leak) {
				t.Errorf("the log holds %q:\n%s", leak, e.log.String())
			}
		}
	})
	return e
}

// form is a slash command's body as Slack sends it.
func (e *env) form(text string) string {
	return url.Values{
		"token": {legacyToken}, "team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "user_name": {"ana"},
		"command": {"/verbatim"}, "text": {text}, "response_url": {e.slack.srv.URL + hookPath}, "trigger_id": {"1.2.3"},
	}.Encode()
}

// sign returns Slack's signature of body sent at ts with key.
func sign(key string, ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// send posts body to path with the given signature headers ("" leaves one
// out) and returns the status and body of the answer.
func (e *env) send(path, body, sig, ts string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Slack-Signature", sig)
	}
	if ts != "" {
		req.Header.Set("X-Slack-Request-Timestamp", ts)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signed posts body to path signed with the secret at now.
func (e *env) signed(path, body string) (int, string) {
	e.t.Helper()
	return e.send(path, body, sign(secret, now.Unix(), body), strconv.FormatInt(now.Unix(), 10))
}

// command runs a slash command and checks it is acknowledged.
func (e *env) command(text string) ack {
	e.t.Helper()
	status, body := e.signed("/slack/command", e.form(text))
	if status != http.StatusOK {
		e.t.Fatalf("status %d, want 200: %s", status, body)
	}
	var a ack
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		e.t.Fatalf("ack %q: %v", body, err)
	}
	if a.ResponseType != "ephemeral" {
		e.t.Errorf("response_type %q, want ephemeral", a.ResponseType)
	}
	return a
}

type ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// msg is a Block Kit message as the fake Slack decodes it.
type msg struct {
	ResponseType string  `json:"response_type"`
	Text         string  `json:"text"`
	Blocks       []block `json:"blocks"`
}

type block struct {
	Type     string     `json:"type"`
	Text     *textBlock `json:"text"`
	Fields   []textBlock
	ImageURL string      `json:"image_url"`
	Elements []textBlock `json:"elements"`
}

type textBlock struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim"`
}

// of returns the blocks of one type.
func (m msg) of(typ string) []block {
	var out []block
	for _, b := range m.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// texts returns every text in the message, one per line.
func (m msg) texts() string {
	var sb strings.Builder
	for _, b := range m.Blocks {
		if b.Text != nil {
			sb.WriteString(b.Text.Text + "\n")
		}
		for _, f := range append(b.Fields, b.Elements...) {
			sb.WriteString(f.Text + "\n")
		}
		if b.ImageURL != "" {
			sb.WriteString(b.ImageURL + "\n")
		}
	}
	return sb.String()
}

// fakeSlack is Slack's end of response_url: it records the messages posted
// and fails the next requests with the statuses queued by FailNext.
type fakeSlack struct {
	srv *httptest.Server

	mu       sync.Mutex
	fail     []int
	attempts int
	msgs     []msg
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.attempts++
		if r.Method != http.MethodPost || r.URL.Path != hookPath || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("fake Slack got %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if len(f.fail) > 0 {
			code := f.fail[0]
			f.fail = f.fail[1:]
			http.Error(w, "<html>oops</html>", code)
			return
		}
		var m msg
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("fake Slack: %v", err)
		}
		f.msgs = append(f.msgs, m)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) FailNext(codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, codes...)
}

func (f *fakeSlack) messages() ([]msg, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]msg(nil), f.msgs...), f.attempts
}

// one returns the only message delivered.
func (f *fakeSlack) one(t *testing.T) msg {
	t.Helper()
	msgs, _ := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("fake Slack got %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

// commander is a hand-written Commander for the timing and fault cases.
type commander struct {
	calls atomic.Int32
	fn    func(ctx context.Context, line string) (bot.Reply, error)
}

func (c *commander) Handle(ctx context.Context, line string) (bot.Reply, error) {
	c.calls.Add(1)
	if c.fn == nil {
		return bot.Reply{Title: "ran " + line}, nil
	}
	return c.fn(ctx, line)
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// archiveRouter is a bot.Router over a real SQLite archive holding one post
// by @VP with a screenshot, and a strict URL guard.
func archiveRouter(t *testing.T) (*bot.Router, string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "verbatim.db"), sqlite.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at, _ := archive.SnowflakeTime(postID)
	p := archive.Post{Platform: "x", ID: postID, CreatedAt: at, Text: postText,
		Author: archive.Account{Platform: "x", PlatformID: "1001", Handle: "VP", Name: "The VP"}}
	if _, err := db.NewPostWriter().Write(ctx, []sqlite.Item{{Post: p}}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("a png"))
	shot := hex.EncodeToString(sum[:])
	if _, err := db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: "https://x.com/VP/status/" + postID,
		PostID: postID, Complete: true,
		Artifacts: []archive.Artifact{{Kind: "screenshot", MediaType: "image/png", Size: 5, SHA256: shot}}}); err != nil {
		t.Fatal(err)
	}
	return &bot.Router{DB: db, Guard: &netguard.Guard{},
		// There is no browser in these tests; a URL the guard lets through
		// must not get this far.
		FetchPage: func(_ context.Context, u string) (check.Page, error) {
			t.Errorf("fetched %s", u)
			return check.Page{}, errors.New("no browser in tests")
		},
	}, shot
}

func TestShowPostsBlockKit(t *testing.T) {
	r, shot := archiveRouter(t)
	e := newEnv(t, r, slack.Options{BaseURL: baseURL + "/"})
	a := e.command("show " + postID)
	if got, want := a.Text, "Working on it: show "+postID; got != want {
		t.Errorf("ack %q, want %q", got, want)
	}
	e.h.Wait()
	m := e.slack.one(t)
	if m.ResponseType != "ephemeral" {
		t.Errorf("response_type %q", m.ResponseType)
	}
	if h := m.of("header"); len(h) != 1 || !strings.HasPrefix(h[0].Text.Text, "@VP · 2026-02-10") {
		t.Errorf("header %+v", h)
	}
	// The post's text is plain_text, exactly as archived: no mention, no
	// formatting, no escaping.
	var text *textBlock
	for _, b := range m.of("section") {
		if b.Text != nil && b.Text.Text == postText {
			text = b.Text
		}
	}
	if text == nil || text.Type != "plain_text" {
		t.Errorf("no plain_text section with the post's text %q in\n%s", postText, m.texts())
	}
	var fields []string
	for _, b := range m.of("section") {
		for _, f := range b.Fields {
			if f.Type != "mrkdwn" || !f.Verbatim {
				t.Errorf("field %+v: want verbatim mrkdwn", f)
			}
			fields = append(fields, f.Text)
		}
	}
	for _, want := range []string{"*Status*\nlive", "*Versions*\n1", "*Captures*\n1", "*On X*\n<https://x.com/VP/status/" + postID + ">"} {
		if !strings.Contains(strings.Join(fields, "\n"), want) {
			t.Errorf("fields %q lack %q", fields, want)
		}
	}
	if img := m.of("image"); len(img) != 1 || img[0].ImageURL != baseURL+"/blobs/"+shot {
		t.Errorf("image blocks %+v, want %s/blobs/%s", img, baseURL, shot)
	}
	if !strings.Contains(m.texts(), "<"+baseURL+"/posts/"+postID+"|Open in Verbatim>") {
		t.Errorf("no permalink in\n%s", m.texts())
	}
}

func TestSearchSectionsLinkToPosts(t *testing.T) {
	r, _ := archiveRouter(t)
	e := newEnv(t, r, slack.Options{BaseURL: baseURL})
	e.command("search charter --account @VP")
	e.h.Wait()
	m := e.slack.one(t)
	all := m.texts()
	for _, want := range []string{
		"1 posts for \"charter --account @VP\"",
		"@VP · 2026-02-10",
		"<" + baseURL + "/posts/" + postID + "|Open in Verbatim>",
		// The search's own permalink, its query's & escaped as Slack wants.
		"<" + baseURL + "/search?account=%40VP&amp;limit=5&amp;q=charter|Open in Verbatim>",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("message lacks %q:\n%s", want, all)
		}
	}
	if len(m.of("image")) != 0 {
		t.Error("an image block without a screenshot")
	}
}

func TestNoBaseURLMeansNoLinksOrImage(t *testing.T) {
	r, _ := archiveRouter(t)
	e := newEnv(t, r, slack.Options{})
	e.command("show " + postID)
	e.h.Wait()
	m := e.slack.one(t)
	if len(m.of("image")) != 0 || strings.Contains(m.texts(), "Open in Verbatim") {
		t.Errorf("links or image without a base URL:\n%s", m.texts())
	}
}

func TestVerifyRefusesPrivateURLs(t *testing.T) {
	for _, target := range []string{
		"<http://127.0.0.1/admin|127.0.0.1/admin>", // as Slack escapes a link
		"http://169.254.169.254/latest/meta-data/",
		"file:///etc/passwd",
	} {
		t.Run(target, func(t *testing.T) {
			r, _ := archiveRouter(t)
			e := newEnv(t, r, slack.Options{})
			e.command("verify " + target)
			e.h.Wait()
			if got := e.slack.one(t).texts(); !strings.Contains(got, "Refused: ") {
				t.Errorf("got\n%s\nwant a refusal", got)
			}
		})
	}
}

func TestAckComesBeforeSlowCommand(t *testing.T) {
	release := make(chan struct{})
	c := &commander{fn: func(ctx context.Context, line string) (bot.Reply, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return bot.Reply{}, ctx.Err()
		}
		return bot.Reply{Title: "Done", Text: "slow " + line, Permalink: "/status"}, nil
	}}
	e := newEnv(t, c, slack.Options{BaseURL: baseURL})
	start := time.Now()
	a := e.command("status")
	if d := time.Since(start); d >= 3*time.Second {
		t.Errorf("ack took %s", d)
	}
	if a.Text != "Working on it: status" {
		t.Errorf("ack %q", a.Text)
	}
	if msgs, n := e.slack.messages(); len(msgs) != 0 || n != 0 {
		t.Fatalf("Slack was posted to before the command finished")
	}
	close(release)
	e.h.Wait()
	m := e.slack.one(t)
	if !strings.Contains(m.texts(), "slow status") || !strings.Contains(m.texts(), "<"+baseURL+"/status|Open in Verbatim>") {
		t.Errorf("got\n%s", m.texts())
	}
}

func TestRefusedRequests(t *testing.T) {
	ts := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	for _, tc := range []struct {
		name    string
		sig, ts func(body string) string
	}{
		{"bad signature", func(b string) string { return sign("not the secret", now.Unix(), b) }, func(string) string { return ts(now) }},
		{"signature of another body", func(b string) string { return sign(secret, now.Unix(), b+"&x=1") }, func(string) string { return ts(now) }},
		{"signature of another time", func(b string) string { return sign(secret, now.Unix()-1, b) }, func(string) string { return ts(now) }},
		{"no v0 prefix", func(b string) string { return strings.TrimPrefix(sign(secret, now.Unix(), b), "v0=") }, func(string) string { return ts(now) }},
		{"not hex", func(string) string { return "v0=zz" }, func(string) string { return ts(now) }},
		{"missing signature", func(string) string { return "" }, func(string) string { return ts(now) }},
		{"missing timestamp", func(b string) string { return sign(secret, now.Unix(), b) }, func(string) string { return "" }},
		{"malformed timestamp", func(b string) string { return sign(secret, now.Unix(), b) }, func(string) string { return ts(now) + "x" }},
		{"stale timestamp", func(b string) string { return sign(secret, now.Add(-6*time.Minute).Unix(), b) },
			func(string) string { return ts(now.Add(-6 * time.Minute)) }},
		{"future timestamp", func(b string) string { return sign(secret, now.Add(6*time.Minute).Unix(), b) },
			func(string) string { return ts(now.Add(6 * time.Minute)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &commander{}
			e := newEnv(t, c, slack.Options{})
			for _, path := range []string{"/slack/command", "/slack/events"} {
				body := e.form("status")
				if path == "/slack/events" {
					body = `{"type":"url_verification","challenge":"abc"}`
				}
				if status, got := e.send(path, body, tc.sig(body), tc.ts(body)); status != http.StatusUnauthorized || strings.Contains(got, "abc") {
					t.Errorf("%s: status %d %q, want 401", path, status, got)
				}
			}
			e.h.Wait()
			if n := c.calls.Load(); n != 0 {
				t.Errorf("the command ran %d times", n)
			}
			if _, n := e.slack.messages(); n != 0 {
				t.Errorf("Slack was posted to %d times", n)
			}
		})
	}
}

func TestTimestampWithinFiveMinutesIsAccepted(t *testing.T) {
	c := &commander{}
	e := newEnv(t, c, slack.Options{})
	for _, at := range []time.Time{now.Add(-5 * time.Minute), now.Add(5 * time.Minute)} {
		body := e.form("status")
		if status, _ := e.send("/slack/command", body, sign(secret, at.Unix(), body), strconv.FormatInt(at.Unix(), 10)); status != http.StatusOK {
			t.Errorf("timestamp %s: status %d, want 200", at, status)
		}
	}
	e.h.Wait()
	if n := c.calls.Load(); n != 2 {
		t.Errorf("%d commands ran, want 2", n)
	}
}

func TestReplayIsRefused(t *testing.T) {
	c := &commander{}
	e := newEnv(t, c, slack.Options{})
	body := e.form("status")
	sig, ts := sign(secret, now.Unix(), body), strconv.FormatInt(now.Unix(), 10)
	if status, _ := e.send("/slack/command", body, sig, ts); status != http.StatusOK {
		t.Fatalf("first request: status %d", status)
	}
	for _, replay := range []string{sig, "v0=" + strings.ToUpper(strings.TrimPrefix(sig, "v0="))} {
		if status, _ := e.send("/slack/command", body, replay, ts); status != http.StatusUnauthorized {
			t.Errorf("replay %s: status %d, want 401", replay, status)
		}
	}
	e.h.Wait()
	if n := c.calls.Load(); n != 1 {
		t.Errorf("the command ran %d times, want 1", n)
	}
	if msgs, _ := e.slack.messages(); len(msgs) != 1 {
		t.Errorf("%d replies, want 1", len(msgs))
	}
	if !strings.Contains(e.log.String(), "already seen") {
		t.Errorf("replay not logged:\n%s", e.log.String())
	}
}

func TestBodyOverLimit(t *testing.T) {
	c := &commander{}
	e := newEnv(t, c, slack.Options{})
	body := e.form("search " + strings.Repeat("a", slack.DefaultMaxBody))
	if status, _ := e.signed("/slack/command", body); status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", status)
	}
	e2 := newEnv(t, c, slack.Options{MaxBody: 100})
	if status, _ := e2.signed("/slack/events", `{"type":"url_verification","challenge":"`+strings.Repeat("c", 100)+`"}`); status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", status)
	}
	e.h.Wait()
	if n := c.calls.Load(); n != 0 {
		t.Errorf("the command ran %d times", n)
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t, &commander{}, slack.Options{})
	status, got := e.signed("/slack/events", `{"token":"`+legacyToken+`","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	if status != http.StatusOK || got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %q", status, got)
	}
	if status, _ := e.signed("/slack/events", `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","text":"hi"}}`); status != http.StatusOK {
		t.Errorf("event_callback: status %d, want 200", status)
	}
	if status, _ := e.signed("/slack/events", `not json`); status != http.StatusBadRequest {
		t.Errorf("malformed event: status %d, want 400", status)
	}
	if status, _ := e.send("/slack/events", "{}", "", ""); status != http.StatusUnauthorized {
		t.Errorf("unsigned event: status %d, want 401", status)
	}
	resp, err := e.srv.Client().Get(e.srv.URL + "/slack/command")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /slack/command: status %d, want 405", resp.StatusCode)
	}
}

func TestHelpIsAnsweredDirectly(t *testing.T) {
	for _, text := range []string{"", "  ", "help", "HELP me"} {
		c := &commander{}
		e := newEnv(t, c, slack.Options{})
		status, body := e.signed("/slack/command", e.form(text))
		var m msg
		if err := json.Unmarshal([]byte(body), &m); err != nil || status != http.StatusOK {
			t.Fatalf("%q: status %d %q %v", text, status, body, err)
		}
		if m.ResponseType != "ephemeral" || !strings.Contains(m.texts(), "/verbatim followed by one of") || !strings.Contains(m.texts(), bot.Help) {
			t.Errorf("%q: got %+v", text, m)
		}
		e.h.Wait()
		if _, n := e.slack.messages(); c.calls.Load() != 0 || n != 0 {
			t.Errorf("%q: help went through the background", text)
		}
	}
}

func TestRetryOnceThenDelivered(t *testing.T) {
	for _, code := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			e := newEnv(t, &commander{}, slack.Options{})
			e.slack.FailNext(code)
			e.command("status")
			e.h.Wait()
			msgs, attempts := e.slack.messages()
			if len(msgs) != 1 || attempts != 2 {
				t.Errorf("%d messages in %d attempts, want 1 in 2", len(msgs), attempts)
			}
			if log := e.log.String(); !strings.Contains(log, "retrying") || strings.Contains(log, "reply lost") {
				t.Errorf("log:\n%s", log)
			}
		})
	}
}

func TestFailingTwiceIsLoggedWithTheReply(t *testing.T) {
	e := newEnv(t, &commander{fn: func(context.Context, string) (bot.Reply, error) {
		return bot.Reply{Title: "Archive status", Fields: []bot.Field{{Label: "Posts", Value: "12345"}}}, nil
	}}, slack.Options{})
	e.slack.FailNext(http.StatusInternalServerError, http.StatusBadGateway)
	e.command("status")
	e.h.Wait()
	msgs, attempts := e.slack.messages()
	if len(msgs) != 0 || attempts != 2 {
		t.Errorf("%d messages in %d attempts, want 0 in 2", len(msgs), attempts)
	}
	log := e.log.String()
	for _, want := range []string{"reply lost", "Archive status", "Posts: 12345", "502 Bad Gateway", "command=status", "user=U1"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	e := newEnv(t, &commander{}, slack.Options{})
	e.slack.FailNext(http.StatusNotFound) // an expired response_url
	e.command("status")
	e.h.Wait()
	if _, attempts := e.slack.messages(); attempts != 1 {
		t.Errorf("%d attempts, want 1", attempts)
	}
	if !strings.Contains(e.log.String(), "reply lost") {
		t.Errorf("log:\n%s", e.log.String())
	}
}

func TestUnreachableSlackIsLogged(t *testing.T) {
	e := newEnv(t, &commander{}, slack.Options{})
	e.slack.srv.Close() // connection refused from now on
	e.command("status")
	e.h.Wait()
	log := e.log.String()
	if strings.Count(log, "retrying") != 1 || !strings.Contains(log, "reply lost") || !strings.Contains(log, "ran status") {
		t.Errorf("log:\n%s", log)
	}
	if !strings.Contains(log, "127.0.0.1") {
		t.Errorf("the log does not say which host failed:\n%s", log)
	}
}

func TestCommandErrorIsReportedAndLogged(t *testing.T) {
	e := newEnv(t, &commander{fn: func(context.Context, string) (bot.Reply, error) {
		return bot.Reply{}, errors.New("database is locked at /var/lib/verbatim/verbatim.db")
	}}, slack.Options{})
	e.command("search charter")
	e.h.Wait()
	m := e.slack.one(t)
	if got := m.texts(); !strings.Contains(got, "Command failed") || !strings.Contains(got, `"search charter" failed on the server`) || strings.Contains(got, "/var/lib") {
		t.Errorf("got\n%s", got)
	}
	if log := e.log.String(); !strings.Contains(log, "slack command failed") || !strings.Contains(log, "database is locked") {
		t.Errorf("log:\n%s", log)
	}
}

func TestCommandPanicIsAFailure(t *testing.T) {
	e := newEnv(t, &commander{fn: func(context.Context, string) (bot.Reply, error) {
		var r *bot.Router
		return r.Handle(context.Background(), "status") // nil dereference
	}}, slack.Options{})
	e.command("status")
	e.h.Wait()
	if got := e.slack.one(t).texts(); !strings.Contains(got, "Command failed") {
		t.Errorf("got\n%s", got)
	}
	if !strings.Contains(e.log.String(), "panic") {
		t.Errorf("log:\n%s", e.log.String())
	}
}

func TestCommandTimeout(t *testing.T) {
	e := newEnv(t, &commander{fn: func(ctx context.Context, _ string) (bot.Reply, error) {
		<-ctx.Done()
		return bot.Reply{}, ctx.Err()
	}}, slack.Options{CommandTimeout: 20 * time.Millisecond})
	e.command("verify https://example.com/a")
	e.h.Wait()
	if got := e.slack.one(t).texts(); !strings.Contains(got, "did not finish within 20ms") {
		t.Errorf("got\n%s", got)
	}
}

func TestBusy(t *testing.T) {
	release := make(chan struct{})
	c := &commander{fn: func(ctx context.Context, _ string) (bot.Reply, error) {
		<-release
		return bot.Reply{Title: "done"}, nil
	}}
	e := newEnv(t, c, slack.Options{MaxInFlight: 1})
	done := sync.OnceFunc(func() { close(release) })
	t.Cleanup(done) // before the env's cleanup waits
	e.command("status")
	if a := e.command("status 2"); !strings.Contains(a.Text, "busy") {
		t.Errorf("second command: %q, want busy", a.Text)
	}
	done()
	e.h.Wait()
	if n := c.calls.Load(); n != 1 {
		t.Errorf("%d commands ran, want 1", n)
	}
	if a := e.command("status 3"); !strings.HasPrefix(a.Text, "Working on it") {
		t.Errorf("after the first finished: %q", a.Text)
	}
}

func TestResponseURLMustBeSlack(t *testing.T) {
	c := &commander{}
	e := newEnv(t, c, slack.Options{})
	h := slack.New(slack.Options{Router: c, SigningSecret: secret, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(e.log, nil))}) // production settings: https on Slack's hosts only
	for _, ru := range []string{e.slack.srv.URL + hookPath, "https://evil.example/x", "https://user@hooks.slack.com/x", "ftp://hooks.slack.com/x", ""} {
		body := url.Values{"text": {"status"}, "response_url": {ru}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/slack/command", strings.NewReader(body))
		req.Header.Set("X-Slack-Signature", sign(secret, now.Unix(), body))
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "no usable response_url") {
			t.Errorf("%q: %d %s", ru, w.Code, w.Body.String())
		}
	}
	h.Wait()
	if n := c.calls.Load(); n != 0 {
		t.Errorf("the command ran %d times", n)
	}
}

func TestShutdownCancelsWhenItMustAndLogsTheReply(t *testing.T) {
	started := make(chan struct{})
	e := newEnv(t, &commander{fn: func(ctx context.Context, _ string) (bot.Reply, error) {
		close(started)
		<-ctx.Done()
		return bot.Reply{}, ctx.Err()
	}}, slack.Options{})
	e.command("capture @VP")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := e.h.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	if log := e.log.String(); !strings.Contains(log, "reply lost") || !strings.Contains(log, "was cancelled") {
		t.Errorf("log:\n%s", log)
	}
	if a := e.command("status"); !strings.Contains(a.Text, "restarting") {
		t.Errorf("after Shutdown: %q", a.Text)
	}
}

func TestBlocks(t *testing.T) {
	rep := bot.Reply{Title: strings.Repeat("t", 200), Text: strings.Repeat("é", 3500), Permalink: "/search?q=a&b=c"}
	for i := range 12 {
		rep.Fields = append(rep.Fields, bot.Field{Label: "L" + strconv.Itoa(i), Value: "<!here> & <https://evil.example|click>"})
	}
	for i := range 13 {
		rep.Sections = append(rep.Sections, bot.Section{Text: "s" + strconv.Itoa(i), Permalink: "/posts/" + strconv.Itoa(i)})
	}
	rep.Fields[1] = bot.Field{Label: "Last edit", Value: "the *quick* [-fox-]{+dog+}"}
	rep.Screenshot = "../../etc/passwd"
	b, err := json.Marshal(map[string]any{"blocks": slack.Blocks(rep, baseURL)})
	if err != nil {
		t.Fatal(err)
	}
	var m msg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if h := m.of("header")[0].Text.Text; len([]rune(h)) != 150 || !strings.HasSuffix(h, "…") {
		t.Errorf("header of %d characters", len([]rune(h)))
	}
	if s := m.of("section")[0].Text.Text; len([]rune(s)) != 3000 {
		t.Errorf("text of %d characters", len([]rune(s)))
	}
	fields := m.of("section")[1].Fields
	if len(fields) != 10 {
		t.Errorf("%d fields, want 10", len(fields))
	}
	if got, want := fields[0].Text, "*L0*\n&lt;!here&gt; &amp; &lt;https://evil.example|click&gt;"; got != want {
		t.Errorf("field %q, want %q", got, want)
	}
	if got, want := fields[1], (textBlock{Type: "plain_text", Text: "Last edit\nthe *quick* [-fox-]{+dog+}"}); got != want {
		t.Errorf("field %+v, want %+v", got, want)
	}
	if n := len(m.of("section")) - 2; n != 10 {
		t.Errorf("%d result sections, want 10", n)
	}
	if !strings.Contains(m.texts(), "… and 3 more: <"+baseURL+"/search?q=a&amp;b=c|see all in Verbatim>") {
		t.Errorf("no count of the rest:\n%s", m.texts())
	}
	if len(m.of("image")) != 0 {
		t.Error("an image for a screenshot that is not a sha256")
	}
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks, Slack takes 50", len(m.Blocks))
	}
}

func TestCommandLine(t *testing.T) {
	for in, want := range map[string]string{
		"verify <https://example.com/a?b=1&amp;c=2|example.com/a>": "verify https://example.com/a?b=1&c=2",
		"verify <https://example.com/a>":                           "verify https://example.com/a",
		"  search   charter  --account @VP ":                       "search charter --account @VP",
		"search &lt;script&gt;":                                    "search <script>",
		"":                                                         "",
	} {
		if got := slack.CommandLine(in); got != want {
			t.Errorf("CommandLine(%q) = %q, want %q", in, got, want)
		}
	}
}
