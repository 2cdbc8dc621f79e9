package xv1_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/archive/xv1"
)

// Accounts used throughout.
const (
	vpID    = "1542228578"
	pressID = "1879644163769335808"
	goneID  = "9624742"
)

// creds are the fake's consumer key and made-up secrets, long enough that
// finding one in an error means it leaked.
var creds = xv1.Credentials{
	ConsumerKey:    archivetest.FakeXV1ConsumerKey,
	ConsumerSecret: "cs-Kd93jfhQ0pLmZ8vX2rT6yWn4sEu1aBoC7",
	AccessToken:    "1542228578-AtOkEn8dk3LqPz0hG5wM2nB7vC",
	AccessSecret:   "as-Yq7Rm2Vt9Xc4Bn6Jk1LhP0oI8uY3tR5e",
}

// sleeper stands in for time.Sleep: it records each delay and moves the
// fake's clock on by it, so waits for a rate-limit reset end at once.
type sleeper struct {
	fx     *archivetest.FakeX
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	if s.fx != nil {
		s.fx.Advance(d)
	}
	return ctx.Err()
}

func (s *sleeper) Delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.delays)
}

// recorder is a transport that keeps every request it sends and the exact
// body of every response it receives.
type recorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.bodies = append(r.bodies, body)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) queries() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []url.Values
	for _, req := range r.reqs {
		out = append(out, req.URL.Query())
	}
	return out
}

// newFake returns a fake X with @VP and @VPPressSec, its clock at a fixed
// time.
func newFake(t *testing.T) *archivetest.FakeX {
	t.Helper()
	fx := archivetest.NewFakeX(t)
	fx.SetNow(time.Date(2026, 2, 10, 18, 0, 0, 0, time.UTC))
	fx.AddUser(vpID, "VP", "Vice President JD Vance")
	fx.AddUser(pressID, "VPPressSec", "Office of the VP Press Secretary")
	return fx
}

// newClient returns a client of fx, reached through the host-rewriting
// transport, whose clock is fx's, whose sleeps are recorded by the returned
// sleeper and whose traffic by the returned recorder.
func newClient(t *testing.T, fx *archivetest.FakeX, opts ...xv1.Option) (*xv1.Client, *sleeper, *recorder) {
	t.Helper()
	s := &sleeper{fx: fx}
	rec := &recorder{next: fx.Client().Transport}
	opts = append([]xv1.Option{xapi.WithNow(fx.Now), xapi.WithSleep(s.Sleep)}, opts...)
	return xv1.NewClient(fx.URL(), creds, &http.Client{Transport: rec}, opts...), s, rec
}

// page is one call of a UserTimeline or Lookup callback.
type page struct {
	raw     []byte
	posts   []archive.Post
	missing []string
}

func timeline(t *testing.T, c *xv1.Client, name, since string) ([]page, []string, error) {
	t.Helper()
	var pages []page
	var ids []string
	err := c.UserTimeline(context.Background(), name, since, func(raw []byte, posts []archive.Post) error {
		pages = append(pages, page{raw: raw, posts: posts})
		for _, p := range posts {
			ids = append(ids, p.ID)
		}
		return nil
	})
	return pages, ids, err
}

func statusesOf(fx *archivetest.FakeX) []int {
	var out []int
	for _, r := range fx.Requests() {
		out = append(out, r.Status)
	}
	return out
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUserTimelinePaging(t *testing.T) {
	fx := newFake(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fx.GeneratePosts(vpID, 450, start, time.Minute)
	fx.GeneratePosts(pressID, 30, start, time.Minute) // another account's posts stay out
	c, _, rec := newClient(t, fx)

	pages, ids, err := timeline(t, c, "@VP", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(pages), 3; got != want {
		t.Fatalf("pages: got %d, want %d", got, want)
	}
	if got, want := len(ids), 450; got != want {
		t.Fatalf("posts: got %d, want %d", got, want)
	}
	for i, id := range ids {
		if i > 0 && mustInt(t, id) >= mustInt(t, ids[i-1]) {
			t.Fatalf("post %d: id %s not older than %s", i, id, ids[i-1])
		}
	}
	for i, p := range pages {
		if !bytes.Equal(p.raw, rec.bodies[i]) {
			t.Errorf("page %d: raw body is not the bytes the server sent", i)
		}
		again, err := xv1.DecodeStatuses(p.raw)
		if err != nil || len(again) != len(p.posts) || again[0].ID != p.posts[0].ID {
			t.Errorf("page %d: raw body does not decode to its posts (%v)", i, err)
		}
		if p.posts[0].Author.Handle != "VP" || p.posts[0].Author.PlatformID != vpID {
			t.Errorf("page %d: author %+v", i, p.posts[0].Author)
		}
	}

	// Three full or partial pages, then an empty one that ends the walk.
	qs := rec.queries()
	if got, want := len(qs), 4; got != want {
		t.Fatalf("requests: got %d, want %d", got, want)
	}
	for i, q := range qs {
		for k, want := range map[string]string{"screen_name": "VP", "count": "200", "tweet_mode": "extended", "include_rts": "true"} {
			if got := q.Get(k); got != want {
				t.Errorf("request %d: %s: got %q, want %q", i, k, got, want)
			}
		}
		wantMax := ""
		if i > 0 {
			prev := pages[i-1].posts
			wantMax = strconv.FormatInt(mustInt(t, prev[len(prev)-1].ID)-1, 10)
		}
		if got := q.Get("max_id"); got != wantMax {
			t.Errorf("request %d: max_id: got %q, want %q", i, got, wantMax)
		}
		if q.Has("since_id") {
			t.Errorf("request %d: since_id %q sent", i, q.Get("since_id"))
		}
	}
	for _, r := range fx.Requests() {
		if r.Endpoint != archivetest.FakeXV1UserTimeline || r.Path != "/1.1/statuses/user_timeline.json" {
			t.Errorf("request to %s %s", r.Endpoint, r.Path)
		}
	}
}

func TestUserTimelineStopsAt3200(t *testing.T) {
	fx := newFake(t)
	fx.SetTimelineCap(0) // the fake serves all; the client must stop itself
	fx.GeneratePosts(vpID, 3300, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	c, _, _ := newClient(t, fx)
	_, ids, err := timeline(t, c, "VP", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(ids), xv1.TimelineCap; got != want {
		t.Errorf("posts: got %d, want %d", got, want)
	}
	if got, want := fx.RequestCount("/1.1/"), 16; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
}

func TestUserTimelineSinceID(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour)
	c, _, rec := newClient(t, fx)
	_, all, err := timeline(t, c, "VP", "")
	if err != nil {
		t.Fatal(err)
	}
	since := all[20] // 20 posts are newer

	tests := []struct {
		name         string
		ignore       bool
		wantPosts    int
		wantRequests int
	}{
		// A page of the 20 newer posts, then an empty one.
		{"honoured", false, 20, 2},
		// A server that ignores since_id sends older posts; the walk still
		// ends, since the oldest is at or below since_id.
		{"ignored by the server", true, 30, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx.IgnoreSinceID(tt.ignore)
			defer fx.IgnoreSinceID(false)
			before := len(rec.queries())
			_, ids, err := timeline(t, c, "VP", since)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ids); got != tt.wantPosts {
				t.Errorf("posts: got %d, want %d", got, tt.wantPosts)
			}
			if !tt.ignore && !slices.Equal(ids, all[:20]) {
				t.Errorf("posts: got %v, want the 20 newest", ids)
			}
			qs := rec.queries()[before:]
			if got := len(qs); got != tt.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tt.wantRequests)
			}
			if got := qs[0].Get("since_id"); got != since {
				t.Errorf("since_id: got %q, want %q", got, since)
			}
		})
	}
	t.Run("nothing new", func(t *testing.T) {
		called := false
		err := c.UserTimeline(context.Background(), "VP", all[0], func([]byte, []archive.Post) error {
			called = true
			return nil
		})
		if err != nil || called {
			t.Errorf("got %v, called %v; want no error and no call", err, called)
		}
	})
}

func TestUserTimelineText(t *testing.T) {
	fx := newFake(t)
	long := strings.Repeat("Energy, trade & security: ", 8) + "done."
	at := fx.Now().Add(-time.Hour)
	longID := fx.Post(vpID, long, at)
	photo := fx.Post(vpID, "With a photo.", at.Add(time.Minute))
	fx.AttachPhoto(photo, "https://pbs.twimg.com/media/GabcdefXYZ.jpg")
	c, _, rec := newClient(t, fx)

	pages, _, err := timeline(t, c, "VP", "")
	if err != nil {
		t.Fatal(err)
	}
	posts := pages[0].posts
	if posts[1].ID != longID || posts[1].Text != long {
		t.Errorf("long post: got %q, want the whole text %q", posts[1].Text, long)
	}
	if !bytes.Contains(pages[0].raw, []byte(`"full_text":`)) || bytes.Contains(pages[0].raw, []byte(`"truncated":true`)) {
		t.Errorf("page is not in extended mode: %.300s", pages[0].raw)
	}
	if m := posts[0].Media; len(m) != 1 || m[0].URL != "https://pbs.twimg.com/media/GabcdefXYZ.jpg" || m[0].Type != "photo" {
		t.Errorf("photo: got %+v", m)
	}

	// Without tweet_mode=extended the same post would come cut short.
	q := rec.queries()[0]
	q.Del("tweet_mode")
	req, _ := http.NewRequest(http.MethodGet, fx.URL()+"/1.1/statuses/user_timeline.json?"+q.Encode(), nil)
	req.Header.Set("Authorization", rec.reqs[0].Header.Get("Authorization"))
	resp, err := fx.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	compat, err := xv1.DecodeStatuses(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := compat[1].Text; got == long || !strings.Contains(got, "… https://t.co/") || !strings.HasPrefix(long, got[:strings.Index(got, "…")]) {
		t.Errorf("compatibility text: got %q", got)
	}
}

func TestUserTimelineCallbackError(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 450, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	c, _, _ := newClient(t, fx)
	stop := errors.New("stop")
	pages := 0
	err := c.UserTimeline(context.Background(), "VP", "", func([]byte, []archive.Post) error {
		pages++
		return stop
	})
	if err != stop {
		t.Errorf("got %v, want the callback's error unchanged", err)
	}
	if pages != 1 || fx.RequestCount("/1.1/") != 1 {
		t.Errorf("pages %d, requests %d; want 1 and 1", pages, fx.RequestCount("/1.1/"))
	}
}

func TestLookup(t *testing.T) {
	fx := newFake(t)
	at := fx.Now().Add(-time.Hour)
	first := fx.Post(vpID, "Version one.", at)
	second := fx.Edit(first, "Version two.", at.Add(time.Minute))
	gone := fx.Post(vpID, "Gone soon.", at.Add(2*time.Minute))
	fx.Delete(gone)
	hidden := fx.Post(pressID, "Behind the lock.", at)
	fx.Protect(pressID)
	c, _, rec := newClient(t, fx)

	t.Run("deleted, edited, unknown", func(t *testing.T) {
		var calls []page
		ids := []string{second, gone, first, "20", hidden, second}
		err := c.Lookup(context.Background(), ids, func(raw []byte, posts []archive.Post, missing []string) error {
			calls = append(calls, page{raw, posts, missing})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 1 {
			t.Fatalf("calls: got %d, want 1", len(calls))
		}
		got := calls[0]
		var texts []string
		for _, p := range got.posts {
			texts = append(texts, p.ID+" "+p.Text)
		}
		if want := []string{second + " Version two.", first + " Version one."}; !slices.Equal(texts, want) {
			t.Errorf("posts: got %v, want %v", texts, want)
		}
		if want := []string{gone, "20", hidden}; !slices.Equal(got.missing, want) {
			t.Errorf("missing: got %v, want %v", got.missing, want)
		}
		if !bytes.Equal(got.raw, rec.bodies[len(rec.bodies)-1]) {
			t.Error("raw body is not the bytes the server sent")
		}
		q := rec.queries()[len(rec.bodies)-1]
		if q.Get("map") != "true" || q.Get("tweet_mode") != "extended" || q.Get("id") != strings.Join(ids[:5], ",") {
			t.Errorf("query: %v", q)
		}
	})
	t.Run("100 ids a request", func(t *testing.T) {
		fx.GeneratePosts(vpID, 250, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
		_, ids, err := timeline(t, c, "VP", "")
		if err != nil {
			t.Fatal(err)
		}
		before := fx.RequestCount("/1.1/statuses/lookup.json")
		var sizes []int
		found := 0
		err = c.Lookup(context.Background(), append(ids, gone), func(_ []byte, posts []archive.Post, missing []string) error {
			sizes = append(sizes, len(posts)+len(missing))
			found += len(posts)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{100, 100, 52}; !slices.Equal(sizes, want) { // 250 + the edited post + the deleted one
			t.Errorf("batches: got %v, want %v", sizes, want)
		}
		if found != len(ids) {
			t.Errorf("found %d, want %d", found, len(ids))
		}
		if got := fx.RequestCount("/1.1/statuses/lookup.json") - before; got != 3 {
			t.Errorf("requests: got %d, want 3", got)
		}
	})
}

func TestAuthErrorsFailAtOnce(t *testing.T) {
	tests := []struct {
		name       string
		creds      xv1.Credentials
		fault      func(fx *archivetest.FakeX)
		wantStatus int
		wantCode   int
	}{
		{"wrong consumer key", xv1.Credentials{ConsumerKey: "wrong-consumer-key", ConsumerSecret: creds.ConsumerSecret, AccessToken: creds.AccessToken, AccessSecret: creds.AccessSecret},
			func(*archivetest.FakeX) {}, 401, 89},
		{"access level", creds, func(fx *archivetest.FakeX) { fx.FailNext(http.StatusForbidden) }, 403, 453},
		{"could not authenticate", creds, func(fx *archivetest.FakeX) { fx.FailNext(http.StatusUnauthorized) }, 401, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFake(t)
			fx.GeneratePosts(vpID, 10, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
			tt.fault(fx)
			s := &sleeper{fx: fx}
			c := xv1.NewClient(fx.URL(), tt.creds, fx.Client(), xapi.WithNow(fx.Now), xapi.WithSleep(s.Sleep))
			err := c.UserTimeline(context.Background(), "VP", "", func([]byte, []archive.Post) error { return nil })
			var ae *xv1.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an *AuthError", err)
			}
			if ae.Status != tt.wantStatus || ae.Code != tt.wantCode || ae.Endpoint != xv1.EndpointUserTimeline {
				t.Errorf("got %+v, want status %d code %d", ae, tt.wantStatus, tt.wantCode)
			}
			var v2 *xapi.AuthError
			if !errors.As(err, &v2) || v2.Status != tt.wantStatus {
				t.Errorf("does not match as an *xapi.AuthError: %v", v2)
			}
			if got, want := fx.RequestCount(""), 1; got != want {
				t.Errorf("requests: got %d, want %d", got, want)
			}
			if d := s.Delays(); len(d) != 0 {
				t.Errorf("slept %v", d)
			}
		})
	}
	t.Run("missing credentials", func(t *testing.T) {
		fx := newFake(t)
		partial := creds
		partial.AccessSecret = ""
		c := xv1.NewClient(fx.URL(), partial, fx.Client())
		if _, err := c.UserByScreenName(context.Background(), "VP"); !errors.Is(err, xv1.ErrNoCredentials) {
			t.Errorf("got %v, want ErrNoCredentials", err)
		}
		if got := fx.RequestCount(""); got != 0 {
			t.Errorf("requests: got %d, want 0", got)
		}
	})
}

func TestRateLimit429WaitsForReset(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 10, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	fx.FailNext(http.StatusTooManyRequests, "/1.1/")
	c, s, _ := newClient(t, fx)
	before := fx.Now()

	_, ids, err := timeline(t, c, "VP", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 10 {
		t.Errorf("posts: got %d, want 10", len(ids))
	}
	if want := []int{429, 200, 200}; !slices.Equal(statusesOf(fx), want) {
		t.Errorf("statuses: got %v, want %v", statusesOf(fx), want)
	}
	delays := s.Delays()
	if len(delays) != 1 || delays[0] < 14*time.Minute || delays[0] > 15*time.Minute+2*time.Second {
		t.Errorf("delays: got %v, want one wait of about 15 minutes", delays)
	}
	if reqs := fx.Requests(); reqs[1].At.Sub(before) < 15*time.Minute {
		t.Errorf("retry at %s, before the reset at %s", reqs[1].At, before.Add(15*time.Minute))
	}
}

func TestRateLimit429(t *testing.T) {
	tests := []struct {
		name         string
		maxWait      time.Duration
		failures     int
		wantRequests int
	}{
		{"reset beyond MaxWait", time.Minute, 1, 1},
		{"429 again after waiting", 15 * time.Minute, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFake(t)
			for range tt.failures {
				fx.FailNext(http.StatusTooManyRequests)
			}
			c, _, _ := newClient(t, fx, xapi.WithMaxWait(tt.maxWait))
			_, err := c.UserByScreenName(context.Background(), "VP")
			var rl *xapi.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("got %v, want a *xapi.RateLimitError", err)
			}
			if rl.Endpoint != xv1.EndpointUserShow || rl.Reset.IsZero() {
				t.Errorf("got endpoint %q reset %v", rl.Endpoint, rl.Reset)
			}
			if got := fx.RequestCount("/1.1/"); got != tt.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestServerErrorsRetried(t *testing.T) {
	t.Run("backoff with jitter", func(t *testing.T) {
		fx := newFake(t)
		fx.FailNext(http.StatusInternalServerError)
		fx.FailNext(http.StatusServiceUnavailable)
		var mu sync.Mutex
		var ceilings []time.Duration
		c, s, _ := newClient(t, fx, xapi.WithJitter(func(ceiling time.Duration) time.Duration {
			mu.Lock()
			ceilings = append(ceilings, ceiling)
			mu.Unlock()
			return ceiling / 2
		}))
		acct, err := c.UserByScreenName(context.Background(), "VP")
		if err != nil {
			t.Fatal(err)
		}
		want := archive.Account{Platform: archive.PlatformX, PlatformID: vpID, Handle: "VP", Name: "Vice President JD Vance"}
		if acct != want {
			t.Errorf("account: got %+v, want %+v", acct, want)
		}
		if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(ceilings, want) {
			t.Errorf("ceilings: got %v, want %v", ceilings, want)
		}
		if want := []time.Duration{500 * time.Millisecond, time.Second}; !slices.Equal(s.Delays(), want) {
			t.Errorf("delays: got %v, want %v", s.Delays(), want)
		}
		if want := []int{500, 503, 200}; !slices.Equal(statusesOf(fx), want) {
			t.Errorf("statuses: got %v, want %v", statusesOf(fx), want)
		}
	})
	t.Run("gives up after MaxRetries", func(t *testing.T) {
		fx := newFake(t)
		for range 10 {
			fx.FailNext(http.StatusServiceUnavailable)
		}
		c, _, _ := newClient(t, fx, xapi.WithMaxRetries(2))
		_, err := c.UserByScreenName(context.Background(), "VP")
		var se *xv1.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
			t.Fatalf("got %v, want a 503 *StatusError", err)
		}
		var apiErr twitter.APIError
		if !errors.As(err, &apiErr) || apiErr.Errors[0].Code != 130 {
			t.Errorf("got %v, want it to wrap the v1.1 error body", err)
		}
		if got, want := fx.RequestCount("/1.1/"), 3; got != want {
			t.Errorf("requests: got %d, want %d", got, want)
		}
		if msg := err.Error(); !strings.Contains(msg, "gave up after 3 attempts") || !strings.Contains(msg, xv1.EndpointUserShow) {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("400 is not retried", func(t *testing.T) {
		fx := newFake(t)
		fx.FailNext(http.StatusBadRequest)
		c, _, _ := newClient(t, fx)
		_, err := c.UserByScreenName(context.Background(), "VP")
		var se *xv1.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
			t.Fatalf("got %v, want a 400 *StatusError", err)
		}
		if got := fx.RequestCount("/1.1/"); got != 1 {
			t.Errorf("requests: got %d, want 1", got)
		}
	})
}

func TestBrokenBodies(t *testing.T) {
	tests := []struct {
		name         string
		fault        func(fx *archivetest.FakeX)
		wantErr      string // "" for success
		wantRequests int
	}{
		{"truncated", func(fx *archivetest.FakeX) { fx.TruncateNext() }, "", 2},
		{"truncated on every attempt", func(fx *archivetest.FakeX) {
			for range 5 {
				fx.TruncateNext()
			}
		}, "unexpected EOF", 5},
		{"malformed once", func(fx *archivetest.FakeX) { fx.MalformNext() }, "", 2},
		{"malformed twice", func(fx *archivetest.FakeX) { fx.MalformNext(); fx.MalformNext() },
			"x api v1.1: " + xv1.EndpointUserTimeline + ": malformed response", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFake(t)
			fx.GeneratePosts(vpID, 7, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
			tt.fault(fx)
			c, _, _ := newClient(t, fx)
			pages, ids, err := timeline(t, c, "VP", "")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr == "" && (len(ids) != 7 || len(pages) != 1):
				t.Errorf("posts: got %d in %d pages, want 7 in 1", len(ids), len(pages))
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if got := fx.RequestCount("/1.1/"); got != tt.wantRequests+btoi(err == nil) {
				t.Errorf("requests: got %d, want %d", got, tt.wantRequests+btoi(err == nil))
			}
		})
	}
}

// btoi counts the empty page that ends a successful walk.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSlowResponseRetried(t *testing.T) {
	fx := newFake(t)
	fx.SlowNext(5 * time.Second)
	s := &sleeper{fx: fx}
	c := xv1.NewClient(fx.URL(), creds, &http.Client{Transport: fx.Client().Transport, Timeout: 150 * time.Millisecond},
		xapi.WithNow(fx.Now), xapi.WithSleep(s.Sleep))
	if _, err := c.UserByScreenName(context.Background(), "VP"); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Delays()); got != 1 {
		t.Errorf("backoffs: got %d, want 1", got)
	}
	if got := fx.RequestCount("/1.1/"); got != 2 {
		t.Errorf("requests: got %d, want 2", got)
	}
}

func TestContextCancel(t *testing.T) {
	t.Run("between retries", func(t *testing.T) {
		fx := newFake(t)
		for range 3 {
			fx.FailNext(http.StatusInternalServerError)
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := xv1.NewClient(fx.URL(), creds, fx.Client(), xapi.WithNow(fx.Now),
			xapi.WithSleep(func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }))
		if _, err := c.UserByScreenName(ctx, "VP"); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if got := fx.RequestCount("/1.1/"); got != 1 {
			t.Errorf("requests: got %d, want 1", got)
		}
	})
	t.Run("during a request", func(t *testing.T) {
		fx := newFake(t)
		fx.SlowNext(time.Minute)
		c, _, _ := newClient(t, fx)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		begun := time.Now()
		_, err := c.UserByScreenName(ctx, "VP")
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(begun) > 10*time.Second {
			t.Fatalf("got %v after %s, want context.DeadlineExceeded at once", err, time.Since(begun))
		}
	})
}

func TestUserErrors(t *testing.T) {
	fx := newFake(t)
	fx.AddUser(goneID, "StateDept", "Department of State")
	fx.Suspend(goneID)
	fx.Protect(pressID)
	c, _, _ := newClient(t, fx)

	t.Run("by screen name", func(t *testing.T) {
		tests := []struct {
			name    string
			wantID  string
			wantErr error
		}{
			{"@vp", vpID, nil},
			{"NoSuchAccount", "", xapi.ErrUserNotFound},
			{"StateDept", "", xapi.ErrUserSuspended},
			{"VPPressSec", pressID, xapi.ErrProtected},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				acct, err := c.UserByScreenName(context.Background(), tt.name)
				if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
					t.Fatalf("error: got %v, want %v", err, tt.wantErr)
				}
				if acct.PlatformID != tt.wantID {
					t.Errorf("id: got %q, want %q", acct.PlatformID, tt.wantID)
				}
				var ue *xapi.UserError
				if tt.wantErr != nil && (!errors.As(err, &ue) || len(ue.Body) == 0) {
					t.Errorf("got %#v, want an *xapi.UserError with the body", err)
				}
			})
		}
	})
	t.Run("timeline", func(t *testing.T) {
		tests := []struct {
			name    string
			wantErr error
		}{
			{"NoSuchAccount", xapi.ErrUserNotFound},
			{"StateDept", xapi.ErrUserSuspended},
			{"VPPressSec", xapi.ErrProtected},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				called := false
				err := c.UserTimeline(context.Background(), tt.name, "", func([]byte, []archive.Post) error {
					called = true
					return nil
				})
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				var ae *xapi.AuthError
				if errors.As(err, &ae) {
					t.Errorf("an account error is taken for a credentials error: %v", err)
				}
				if called {
					t.Error("fn called for a failed timeline")
				}
			})
		}
	})
	t.Run("protected timeline as X words it", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"request":"\/1.1\/statuses\/user_timeline.json","error":"Not authorized."}`)
		}))
		t.Cleanup(srv.Close)
		c := xv1.NewClient(srv.URL, creds, srv.Client())
		err := c.UserTimeline(context.Background(), "VPPressSec", "", func([]byte, []archive.Post) error { return nil })
		if !errors.Is(err, xapi.ErrProtected) {
			t.Errorf("got %v, want ErrProtected", err)
		}
	})
}

func TestLimits(t *testing.T) {
	fx := newFake(t)
	c, _, _ := newClient(t, fx)
	if _, err := c.UserByScreenName(context.Background(), "VP"); err != nil {
		t.Fatal(err)
	}
	got := c.Limits()[xv1.EndpointUserShow]
	want := xapi.RateLimit{Limit: 900, Remaining: 899, Reset: fx.Now().Add(15 * time.Minute), Seen: fx.Now()}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestRemainingZeroWaitsBeforeNextCall(t *testing.T) {
	fx := newFake(t)
	fx.SetRateLimit(archivetest.FakeXV1UserShow, 1)
	c, s, _ := newClient(t, fx)
	for i := range 2 {
		if _, err := c.UserByScreenName(context.Background(), "VP"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if want := []int{200, 200}; !slices.Equal(statusesOf(fx), want) {
		t.Errorf("statuses: got %v, want %v (no 429)", statusesOf(fx), want)
	}
	if d := s.Delays(); len(d) != 1 || d[0] < 15*time.Minute {
		t.Errorf("delays: got %v, want one wait for the reset", d)
	}
}

// TestBaseURL checks where requests go: to api.twitter.com as go-twitter has
// it, or rewritten, path and query kept, to another base URL, and signed
// for the URL they are sent to.
func TestBaseURL(t *testing.T) {
	canned := `{"id":1542228578,"id_str":"1542228578","name":"Vice President JD Vance","screen_name":"VP","protected":false}`
	for _, base := range []string{"", "https://api.twitter.com", "https://api.twitter.com/"} {
		t.Run("default "+base, func(t *testing.T) {
			var got *url.URL
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r.URL
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(canned)), Request: r}, nil
			})}
			c := xv1.NewClient(base, creds, hc)
			if _, err := c.UserByScreenName(context.Background(), "VP"); err != nil {
				t.Fatal(err)
			}
			if got.String() != "https://api.twitter.com/1.1/users/show.json?include_entities=false&screen_name=VP" {
				t.Errorf("url: got %s", got)
			}
		})
	}
	t.Run("rewritten and signed for where it goes", func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.URL.RequestURI())
			mu.Unlock()
			if err := verifySignature(r, "http", creds); err != nil {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, `{"errors":[{"code":32,"message":%q}]}`, err.Error())
				return
			}
			switch r.URL.Path {
			case "/1.1/statuses/lookup.json":
				io.WriteString(w, `{"id":{"20":null}}`)
			default:
				io.WriteString(w, canned)
			}
		}))
		t.Cleanup(srv.Close)
		c := xv1.NewClient(srv.URL+"/", creds, srv.Client())
		if _, err := c.UserByScreenName(context.Background(), "VP"); err != nil {
			t.Fatal(err)
		}
		err := c.Lookup(context.Background(), []string{"20"}, func(_ []byte, posts []archive.Post, missing []string) error {
			if len(posts) != 0 || !slices.Equal(missing, []string{"20"}) {
				t.Errorf("got %v missing %v", posts, missing)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"/1.1/users/show.json?include_entities=false&screen_name=VP", "/1.1/statuses/lookup.json?id=20&map=true&tweet_mode=extended"}
		if !slices.Equal(seen, want) {
			t.Errorf("requests: got %v, want %v", seen, want)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, base := range []string{"ftp://example.com", "http://example.com/prefix", "example.com", "http://user:pw@example.com"} {
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				t.Errorf("%s: request sent to %s", base, r.URL)
				return nil, errors.New("no")
			})}
			c := xv1.NewClient(base, creds, hc)
			if _, err := c.UserByScreenName(context.Background(), "VP"); err == nil || !strings.Contains(err.Error(), "base url") {
				t.Errorf("%s: got %v", base, err)
			}
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// verifySignature checks an OAuth 1.0a HMAC-SHA1 signature (RFC 5849 3.4)
// as a server does, against the URL the request reached.
func verifySignature(r *http.Request, scheme string, c xv1.Credentials) error {
	header, ok := strings.CutPrefix(r.Header.Get("Authorization"), "OAuth ")
	if !ok {
		return errors.New("not an OAuth header")
	}
	params := map[string]string{}
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		v, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			return err
		}
		params[k] = v
	}
	sig := params["oauth_signature"]
	if params["oauth_consumer_key"] != c.ConsumerKey || params["oauth_token"] != c.AccessToken || params["oauth_signature_method"] != "HMAC-SHA1" {
		return errors.New("wrong consumer key, token or method")
	}
	delete(params, "oauth_signature")
	var pairs []string
	for k, v := range params {
		pairs = append(pairs, pctEncode(k)+"="+pctEncode(v))
	}
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, pctEncode(k)+"="+pctEncode(v))
		}
	}
	sort.Strings(pairs)
	base := r.Method + "&" + pctEncode(scheme+"://"+strings.ToLower(r.Host)+r.URL.EscapedPath()) + "&" + pctEncode(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(pctEncode(c.ConsumerSecret)+"&"+pctEncode(c.AccessSecret)))
	mac.Write([]byte(base))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
		return errors.New("signature does not match")
	}
	return nil
}

func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || strings.IndexByte("-._~", ch) >= 0 {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// TestCredentialsNeverInErrors provokes every kind of failure, from the fake
// and from a server that echoes the Authorization header into every body,
// and checks that no credential appears in an error, a log line, or the
// printed client or credentials.
func TestCredentialsNeverInErrors(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := strings.ReplaceAll(r.Header.Get("Authorization"), `"`, `'`)
		w.Header().Set("x-rate-limit-limit", "900")
		w.Header().Set("x-rate-limit-remaining", "0")
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		switch name := r.URL.Query().Get("screen_name"); name {
		case "u401", "u403", "u400", "u429", "u500", "u404":
			status, _ := strconv.Atoi(name[1:])
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"errors":[{"code":%d,"message":"bad %s\nreally"}]}`, status, auth)
		case "plain":
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"request":"%s","error":"%s"}`, auth, auth)
		default:
			fmt.Fprintf(w, `{"id":1,"screen_name":"%s"`, auth) // malformed
		}
	}))
	t.Cleanup(echo.Close)

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	nosleep := xapi.WithSleep(func(ctx context.Context, d time.Duration) error { return nil })
	var errs []error
	var clients []*xv1.Client
	for _, name := range []string{"u401", "u403", "u400", "u429", "u500", "u404", "plain", "malformed"} {
		c := xv1.NewClient(echo.URL, creds, echo.Client(), nosleep, xapi.WithLogger(logger), xapi.WithMaxWait(2*time.Hour), xapi.WithMaxRetries(1))
		clients = append(clients, c)
		_, err := c.UserByScreenName(context.Background(), name)
		errs = append(errs, err)
	}

	fx := newFake(t)
	fx.GeneratePosts(vpID, 250, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	faults := []func(){
		func() { fx.FailNext(500); fx.FailNext(500); fx.FailNext(500) },
		func() { fx.FailNext(429); fx.FailNext(429) },
		func() { fx.MalformNext(); fx.MalformNext() },
		func() { fx.TruncateNext(); fx.TruncateNext(); fx.TruncateNext() },
		func() { fx.FailNext(403) },
	}
	for _, fault := range faults {
		fault()
		c := xv1.NewClient(fx.URL(), creds, fx.Client(), xapi.WithNow(fx.Now), xapi.WithSleep((&sleeper{fx: fx}).Sleep),
			xapi.WithLogger(logger), xapi.WithMaxRetries(2))
		errs = append(errs, c.UserTimeline(context.Background(), "VP", "", func([]byte, []archive.Post) error { return nil }))
		fx.Advance(time.Hour) // a fresh window for the next fault
	}
	wrong := creds
	wrong.ConsumerKey += "x"
	_, err := xv1.NewClient(fx.URL(), wrong, fx.Client(), xapi.WithLogger(logger)).UserByScreenName(context.Background(), "VP")
	errs = append(errs, err)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = xv1.NewClient(closed.URL, creds, nil, nosleep, xapi.WithLogger(logger), xapi.WithMaxRetries(1)).UserByScreenName(context.Background(), "VP")
	errs = append(errs, err)

	secrets := []string{creds.ConsumerSecret, creds.AccessSecret, creds.AccessToken, creds.ConsumerKey, pctEncode(creds.ConsumerKey)}
	leaks := func(s string) string {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				return secret
			}
		}
		return ""
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		msg := err.Error()
		t.Logf("case %d: %s", i, msg)
		if s := leaks(msg); s != "" {
			t.Errorf("case %d: %q in error %q", i, s, msg)
		}
		if s := leaks(fmt.Sprintf("%+v %#v", err, err)); s != "" {
			t.Errorf("case %d: %q in %%+v or %%#v of error", i, s)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("case %d: error is more than one line: %q", i, msg)
		}
	}
	if logs.Len() == 0 {
		t.Error("nothing was logged; the log check proves nothing")
	}
	logger.Info("credentials", "creds", creds)
	if s := leaks(logs.String()); s != "" {
		t.Errorf("%q in logs:\n%s", s, logs.String())
	}
	for _, printed := range []string{
		fmt.Sprintf("%v %+v %#v %s %q", creds, creds, creds, creds, creds),
		fmt.Sprintf("%v %+v %#v", clients[0], clients[0], clients[0]),
		creds.String(),
	} {
		if s := leaks(printed); s != "" {
			t.Errorf("%q printed: %s", s, printed)
		}
	}
}

func TestInvalidArguments(t *testing.T) {
	fx := newFake(t)
	c, _, _ := newClient(t, fx)
	ctx := context.Background()
	nopTimeline := func([]byte, []archive.Post) error { return nil }
	nopLookup := func([]byte, []archive.Post, []string) error { return nil }
	tests := []struct {
		name string
		call func() error
	}{
		{"screen name with slash", func() error { _, err := c.UserByScreenName(ctx, "a/b"); return err }},
		{"empty screen name", func() error { _, err := c.UserByScreenName(ctx, "@"); return err }},
		{"screen name with ampersand", func() error { return c.UserTimeline(ctx, "VP&count=1", "", nopTimeline) }},
		{"since id", func() error { return c.UserTimeline(ctx, "VP", "x", nopTimeline) }},
		{"negative since id", func() error { return c.UserTimeline(ctx, "VP", "-5", nopTimeline) }},
		{"post id", func() error { return c.Lookup(ctx, []string{"1", "two"}, nopLookup) }},
		{"too long an id", func() error { return c.Lookup(ctx, []string{"99999999999999999999"}, nopLookup) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil {
				t.Error("no error")
			}
		})
	}
	if got := fx.RequestCount(""); got != 0 {
		t.Errorf("requests: got %d, want 0", got)
	}
	if err := c.Lookup(ctx, nil, nopLookup); err != nil {
		t.Errorf("no ids: got %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 450, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	fx.FailNext(503)
	fx.FailNext(502)
	c, _, _ := newClient(t, fx)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			n := 0
			err := c.UserTimeline(context.Background(), "VP", "", func(_ []byte, posts []archive.Post) error {
				n += len(posts)
				return nil
			})
			if err == nil && n != 450 {
				err = fmt.Errorf("got %d posts, want 450", n)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
