package xapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

// Accounts used throughout.
const (
	vpID      = "1542228578"
	pressID   = "1879644163769335808"
	goneID    = "9624742"
	secretTok = "test-token"
)

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
	s.fx.Advance(d)
	return ctx.Err()
}

func (s *sleeper) Delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.delays)
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

// newClient returns a client of fx whose clock is fx's and whose sleeps are
// recorded by the returned sleeper.
func newClient(t *testing.T, fx *archivetest.FakeX, opts ...xapi.Option) (*xapi.Client, *sleeper) {
	t.Helper()
	s := &sleeper{fx: fx}
	opts = append([]xapi.Option{xapi.WithNow(fx.Now), xapi.WithSleep(s.Sleep)}, opts...)
	return xapi.New(fx.URL(), secretTok, fx.Client(), opts...), s
}

// timeline walks a user's timeline and returns the ids of its posts and the
// number of pages.
func timeline(t *testing.T, c *xapi.Client, userID string, opt xapi.TimelineOptions) (ids []string, pages int, err error) {
	t.Helper()
	err = c.UserTweets(context.Background(), userID, opt, func(raw []byte, page *xapi.Page) error {
		pages++
		again, err := xapi.DecodePage(raw)
		if err != nil {
			t.Errorf("page %d: raw body does not decode: %v", pages, err)
		} else if len(again.Posts) != len(page.Posts) {
			t.Errorf("page %d: raw body has %d posts, page has %d", pages, len(again.Posts), len(page.Posts))
		}
		for _, p := range page.Posts {
			ids = append(ids, p.ID)
		}
		return nil
	})
	return ids, pages, err
}

func TestUserTweetsPagination(t *testing.T) {
	fx := newFake(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fx.GeneratePosts(vpID, 250, start, time.Hour)
	fx.GeneratePosts(pressID, 30, start, time.Hour) // another account's posts stay out
	c, _ := newClient(t, fx)

	ids, pages, err := timeline(t, c, vpID, xapi.TimelineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pages, 3; got != want {
		t.Errorf("pages: got %d, want %d", got, want)
	}
	if got, want := len(ids), 250; got != want {
		t.Fatalf("posts: got %d, want %d", got, want)
	}
	seen := make(map[string]bool)
	for i, id := range ids {
		if seen[id] {
			t.Errorf("post %s repeats", id)
		}
		seen[id] = true
		if i > 0 && mustInt(t, id) >= mustInt(t, ids[i-1]) {
			t.Errorf("post %d: id %s not older than %s", i, id, ids[i-1])
		}
	}

	reqs := fx.Requests()
	if got, want := len(reqs), 3; got != want {
		t.Fatalf("requests: got %d, want %d", got, want)
	}
	for i, r := range reqs {
		if got, want := r.Path, "/2/users/"+vpID+"/tweets"; got != want {
			t.Errorf("request %d: path got %s, want %s", i, got, want)
		}
		if !r.Authorized || !strings.HasPrefix(r.UserAgent, "verbatim/") {
			t.Errorf("request %d: authorized %v, user agent %q", i, r.Authorized, r.UserAgent)
		}
		for name, want := range map[string]string{
			"max_results":  "100",
			"tweet.fields": "created_at,author_id,edit_history_tweet_ids,edit_controls,entities,attachments,referenced_tweets,note_tweet,lang,conversation_id,public_metrics",
			"media.fields": "url,preview_image_url,variants,alt_text,type,duration_ms",
			"user.fields":  "username,name,protected,verified",
		} {
			if got := r.Query.Get(name); got != want {
				t.Errorf("request %d: %s got %q, want %q", i, name, got, want)
			}
		}
		if exp := r.Query.Get("expansions"); !strings.HasPrefix(exp, "author_id,attachments.media_keys,referenced_tweets.id") {
			t.Errorf("request %d: expansions %q", i, exp)
		}
		if got, want := r.Query.Has("pagination_token"), i > 0; got != want {
			t.Errorf("request %d: pagination_token present %v, want %v", i, got, want)
		}
	}
}

func TestUserTweetsOptions(t *testing.T) {
	fx := newFake(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fx.GeneratePosts(vpID, 250, start, time.Hour)
	c, _ := newClient(t, fx)
	all, _, err := timeline(t, c, vpID, xapi.TimelineOptions{})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		opt       xapi.TimelineOptions
		wantPosts int
		wantPages int
	}{
		{"since_id", xapi.TimelineOptions{SinceID: all[120]}, 120, 2},
		{"since_id newest", xapi.TimelineOptions{SinceID: all[0]}, 0, 1},
		{"start_time", xapi.TimelineOptions{StartTime: start.Add(200 * time.Hour)}, 50, 1},
		{"max pages", xapi.TimelineOptions{MaxPages: 2}, 200, 2},
		{"since_id and max pages", xapi.TimelineOptions{SinceID: all[220], MaxPages: 1}, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, pages, err := timeline(t, c, vpID, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(ids), tt.wantPosts; got != want {
				t.Errorf("posts: got %d, want %d", got, want)
			}
			if got, want := pages, tt.wantPages; got != want {
				t.Errorf("pages: got %d, want %d", got, want)
			}
			if len(ids) > 0 && !slices.Equal(ids, all[:len(ids)]) {
				t.Errorf("posts are not the newest %d", len(ids))
			}
		})
	}

	t.Run("since_id sent on every page", func(t *testing.T) {
		before := len(fx.Requests())
		if _, _, err := timeline(t, c, vpID, xapi.TimelineOptions{SinceID: all[150]}); err != nil {
			t.Fatal(err)
		}
		for _, r := range fx.Requests()[before:] {
			if got, want := r.Query.Get("since_id"), all[150]; got != want {
				t.Errorf("since_id: got %q, want %q", got, want)
			}
		}
	})
}

func TestUserTweetsCallbackError(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 250, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	c, _ := newClient(t, fx)
	stop := errors.New("disk full")
	pages := 0
	err := c.UserTweets(context.Background(), vpID, xapi.TimelineOptions{}, func([]byte, *xapi.Page) error {
		pages++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("got %v, want %v", err, stop)
	}
	if got, want := fx.RequestCount("/2/"), 1; pages != 1 || got != want {
		t.Errorf("pages %d, requests %d: want 1 of each", pages, got)
	}
}

func TestUserTweetsRepeatedNextToken(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 250, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	fx.RepeatNextToken()
	c, _ := newClient(t, fx)
	_, pages, err := timeline(t, c, vpID, xapi.TimelineOptions{})
	if !errors.Is(err, xapi.ErrRepeatedNextToken) {
		t.Fatalf("got %v, want ErrRepeatedNextToken", err)
	}
	if got, want := pages, 2; got != want {
		t.Errorf("pages: got %d, want %d", got, want)
	}
	if got, want := fx.RequestCount("/2/"), 2; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
}

func TestRateLimit429WaitsForReset(t *testing.T) {
	fx := newFake(t)
	id := fx.Post(vpID, "Landed in Baku.", fx.Now().Add(-time.Hour))
	fx.FailNext(http.StatusTooManyRequests)
	c, s := newClient(t, fx)
	before := fx.Now()

	var got []string
	err := c.Tweets(context.Background(), []string{id}, func(raw []byte, page *xapi.Page) error {
		for _, p := range page.Posts {
			got = append(got, p.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{id}; !slices.Equal(got, want) {
		t.Errorf("posts: got %v, want %v", got, want)
	}
	statuses := statusesOf(fx)
	if want := []int{429, 200}; !slices.Equal(statuses, want) {
		t.Errorf("statuses: got %v, want %v", statuses, want)
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
			c, _ := newClient(t, fx, xapi.WithMaxWait(tt.maxWait))
			_, err := c.UserByUsername(context.Background(), "VP")
			var rl *xapi.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("got %v, want a *RateLimitError", err)
			}
			if rl.Endpoint != xapi.EndpointUserByUsername || rl.Reset.IsZero() {
				t.Errorf("got endpoint %q reset %v", rl.Endpoint, rl.Reset)
			}
			if got := fx.RequestCount("/2/"); got != tt.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestUsageCapNotRetried(t *testing.T) {
	fx := newFake(t)
	fx.FailNextUsageCap()
	c, s := newClient(t, fx)
	_, err := c.UserByUsername(context.Background(), "VP")
	var capErr *xapi.UsageCapError
	if !errors.As(err, &capErr) {
		t.Fatalf("got %v, want a *UsageCapError", err)
	}
	if capErr.Reset.IsZero() || capErr.Period != "Monthly" || capErr.Scope != "Product" {
		t.Errorf("got %+v", capErr)
	}
	if got, want := fx.RequestCount("/2/"), 1; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
	if d := s.Delays(); len(d) != 0 {
		t.Errorf("slept %v, want no wait", d)
	}
	if msg := err.Error(); !strings.Contains(msg, "usage cap exceeded (Monthly Product)") {
		t.Errorf("message %q", msg)
	}
}

func TestServerErrorsBackOff(t *testing.T) {
	t.Run("full jitter", func(t *testing.T) {
		fx := newFake(t)
		for _, status := range []int{500, 502, 503, 500} {
			fx.FailNext(status)
		}
		var mu sync.Mutex
		var ceilings []time.Duration
		c, s := newClient(t, fx, xapi.WithJitter(func(ceiling time.Duration) time.Duration {
			mu.Lock()
			ceilings = append(ceilings, ceiling)
			mu.Unlock()
			return ceiling * 3 / 4
		}))
		if _, err := c.UserByUsername(context.Background(), "VP"); err != nil {
			t.Fatal(err)
		}
		wantCeilings := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
		if !slices.Equal(ceilings, wantCeilings) {
			t.Errorf("ceilings: got %v, want %v", ceilings, wantCeilings)
		}
		wantDelays := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second}
		if got := s.Delays(); !slices.Equal(got, wantDelays) {
			t.Errorf("delays: got %v, want %v", got, wantDelays)
		}
		if want := []int{500, 502, 503, 500, 200}; !slices.Equal(statusesOf(fx), want) {
			t.Errorf("statuses: got %v, want %v", statusesOf(fx), want)
		}
	})
	t.Run("default jitter stays under the ceiling", func(t *testing.T) {
		fx := newFake(t)
		for range 4 {
			fx.FailNext(http.StatusServiceUnavailable)
		}
		c, s := newClient(t, fx)
		if _, err := c.UserByUsername(context.Background(), "VP"); err != nil {
			t.Fatal(err)
		}
		delays := s.Delays()
		if len(delays) != 4 {
			t.Fatalf("delays: got %v, want 4", delays)
		}
		for i, d := range delays {
			if ceiling := time.Second << i; d < 0 || d >= ceiling {
				t.Errorf("delay %d: %s not in [0, %s)", i, d, ceiling)
			}
		}
	})
	t.Run("gives up after MaxRetries", func(t *testing.T) {
		fx := newFake(t)
		for range 10 {
			fx.FailNext(http.StatusServiceUnavailable)
		}
		c, _ := newClient(t, fx, xapi.WithMaxRetries(2))
		_, err := c.UserByUsername(context.Background(), "VP")
		var se *xapi.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
			t.Fatalf("got %v, want a 503 *StatusError", err)
		}
		if got, want := fx.RequestCount("/2/"), 3; got != want {
			t.Errorf("requests: got %d, want %d", got, want)
		}
		if msg := err.Error(); !strings.Contains(msg, "gave up after 3 attempts") || !strings.Contains(msg, xapi.EndpointUserByUsername) {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("400 is not retried", func(t *testing.T) {
		fx := newFake(t)
		fx.FailNext(http.StatusBadRequest)
		c, _ := newClient(t, fx)
		_, err := c.UserByUsername(context.Background(), "VP")
		var se *xapi.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
			t.Fatalf("got %v, want a 400 *StatusError", err)
		}
		if got, want := fx.RequestCount("/2/"), 1; got != want {
			t.Errorf("requests: got %d, want %d", got, want)
		}
	})
}

func TestSlowResponseRetried(t *testing.T) {
	fx := newFake(t)
	fx.SlowNext(5 * time.Second)
	hc := fx.Client()
	hc.Timeout = 150 * time.Millisecond
	s := &sleeper{fx: fx}
	c := xapi.New(fx.URL(), secretTok, hc, xapi.WithNow(fx.Now), xapi.WithSleep(s.Sleep))
	acct, err := c.UserByUsername(context.Background(), "VP")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := acct.PlatformID, vpID; got != want {
		t.Errorf("id: got %s, want %s", got, want)
	}
	if got, want := len(s.Delays()), 1; got != want {
		t.Errorf("backoffs: got %d, want %d", got, want)
	}
	if got, want := fx.RequestCount("/2/"), 2; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	fx := newFake(t)
	for range 3 {
		fx.FailNext(http.StatusInternalServerError)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := xapi.New(fx.URL(), secretTok, fx.Client(), xapi.WithNow(fx.Now),
		xapi.WithSleep(func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }))
	_, err := c.UserByUsername(ctx, "VP")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if got, want := fx.RequestCount("/2/"), 1; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
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
			"x api: " + xapi.EndpointUserTweets + ": malformed response", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFake(t)
			fx.GeneratePosts(vpID, 7, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
			tt.fault(fx)
			c, _ := newClient(t, fx)
			ids, _, err := timeline(t, c, vpID, xapi.TimelineOptions{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr == "" && len(ids) != 7:
				t.Errorf("posts: got %d, want 7", len(ids))
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
			if got := fx.RequestCount("/2/"); got != tt.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestAuthErrorsFailAtOnce(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		fault      func(fx *archivetest.FakeX)
		wantStatus int
		wantMsg    string
	}{
		{"wrong token", "not-the-token", func(*archivetest.FakeX) {}, 401, "x api: 401 Unauthorized: check VERBATIM_X_BEARER_TOKEN"},
		{"forbidden", secretTok, func(fx *archivetest.FakeX) { fx.FailNext(http.StatusForbidden) }, 403, "x api: 403 Client Forbidden: When authenticating"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFake(t)
			tt.fault(fx)
			s := &sleeper{fx: fx}
			c := xapi.New(fx.URL(), tt.token, fx.Client(), xapi.WithNow(fx.Now), xapi.WithSleep(s.Sleep))
			_, err := c.UserByUsername(context.Background(), "VP")
			var ae *xapi.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an *AuthError", err)
			}
			if ae.Status != tt.wantStatus {
				t.Errorf("status: got %d, want %d", ae.Status, tt.wantStatus)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("message: got %q, want it to start %q", err, tt.wantMsg)
			}
			if got, want := fx.RequestCount("/2/"), 1; got != want {
				t.Errorf("requests: got %d, want %d", got, want)
			}
			if d := s.Delays(); len(d) != 0 {
				t.Errorf("slept %v", d)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		fx := newFake(t)
		c := xapi.New(fx.URL(), "", fx.Client())
		if _, err := c.UserByUsername(context.Background(), "VP"); !errors.Is(err, xapi.ErrNoToken) {
			t.Errorf("got %v, want ErrNoToken", err)
		}
		if got := fx.RequestCount(""); got != 0 {
			t.Errorf("requests: got %d, want 0", got)
		}
	})
}

func TestUserErrors(t *testing.T) {
	fx := newFake(t)
	fx.AddUser("25073877", "realDonaldTrump", "Donald J. Trump")
	fx.AddUser(goneID, "StateDept", "Department of State")
	fx.Suspend(goneID)
	fx.Protect(pressID)
	c, _ := newClient(t, fx)

	t.Run("by username", func(t *testing.T) {
		tests := []struct {
			username string
			wantID   string
			wantErr  error
		}{
			{"@vp", vpID, nil},
			{"realdonaldtrump", "25073877", nil},
			{"NoSuchAccount", "", xapi.ErrUserNotFound},
			{"StateDept", "", xapi.ErrUserSuspended},
			{"VPPressSec", pressID, xapi.ErrProtected},
		}
		for _, tt := range tests {
			t.Run(tt.username, func(t *testing.T) {
				acct, err := c.UserByUsername(context.Background(), tt.username)
				if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
					t.Fatalf("error: got %v, want %v", err, tt.wantErr)
				}
				if acct.PlatformID != tt.wantID {
					t.Errorf("id: got %q, want %q", acct.PlatformID, tt.wantID)
				}
				var ue *xapi.UserError
				if tt.wantErr != nil && (!errors.As(err, &ue) || len(ue.Body) == 0) {
					t.Errorf("got %#v, want a *UserError with the body", err)
				}
			})
		}
	})
	t.Run("timeline", func(t *testing.T) {
		tests := []struct {
			id      string
			wantErr error
		}{
			{"123456789", xapi.ErrUserNotFound},
			{goneID, xapi.ErrUserSuspended},
			{pressID, xapi.ErrProtected},
		}
		for _, tt := range tests {
			t.Run(tt.id, func(t *testing.T) {
				called := false
				err := c.UserTweets(context.Background(), tt.id, xapi.TimelineOptions{}, func([]byte, *xapi.Page) error {
					called = true
					return nil
				})
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				if called {
					t.Error("fn called for a failed timeline")
				}
			})
		}
	})
}

func TestRemainingZeroWaitsBeforeNextCall(t *testing.T) {
	fx := newFake(t)
	id := fx.Post(vpID, "Peace through strength is working.", fx.Now().Add(-time.Hour))
	fx.SetRateLimit(archivetest.FakeXTweets, 2)
	c, s := newClient(t, fx)
	ctx := context.Background()
	nop := func([]byte, *xapi.Page) error { return nil }

	for i := range 2 {
		if err := c.Tweets(ctx, []string{id}, nop); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if d := s.Delays(); len(d) != 0 {
		t.Fatalf("slept %v before the limit was spent", d)
	}
	lim := c.Limits()[xapi.EndpointTweets]
	if lim.Limit != 2 || lim.Remaining != 0 || lim.Reset.IsZero() {
		t.Fatalf("limits: got %+v", lim)
	}

	if err := c.Tweets(ctx, []string{id}, nop); err != nil {
		t.Fatal(err)
	}
	delays := s.Delays()
	if len(delays) != 1 || delays[0] < 15*time.Minute || delays[0] > 15*time.Minute+2*time.Second {
		t.Errorf("delays: got %v, want one wait until the reset", delays)
	}
	if want := []int{200, 200, 200}; !slices.Equal(statusesOf(fx), want) {
		t.Errorf("statuses: got %v, want %v (the client must wait, not provoke a 429)", statusesOf(fx), want)
	}
	if got := c.Limits()[xapi.EndpointTweets].Remaining; got != 1 {
		t.Errorf("remaining after reset: got %d, want 1", got)
	}

	t.Run("beyond MaxWait", func(t *testing.T) {
		fx := newFake(t)
		fx.SetRateLimit(archivetest.FakeXUserByUsername, 1)
		c, s := newClient(t, fx, xapi.WithMaxWait(5*time.Minute))
		if _, err := c.UserByUsername(ctx, "VP"); err != nil {
			t.Fatal(err)
		}
		_, err := c.UserByUsername(ctx, "VP")
		var rl *xapi.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("got %v, want a *RateLimitError", err)
		}
		if got, want := fx.RequestCount("/2/"), 1; got != want {
			t.Errorf("requests: got %d, want %d", got, want)
		}
		if d := s.Delays(); len(d) != 0 {
			t.Errorf("slept %v", d)
		}
	})
}

func TestTweetsBatchesAndDeleted(t *testing.T) {
	fx := newFake(t)
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 250 {
		ids = append(ids, fx.Post(vpID, fmt.Sprintf("Post number %d.", i), at.Add(time.Duration(i)*time.Second)))
	}
	deleted := []string{ids[3], ids[150], ids[249]}
	for _, id := range deleted {
		fx.Delete(id)
	}
	c, _ := newClient(t, fx)

	var found []string
	var notFound []string
	err := c.Tweets(context.Background(), append(ids, ids[0]), func(raw []byte, page *xapi.Page) error {
		for _, p := range page.Posts {
			found = append(found, p.ID)
			if p.Author.Handle != "VP" || p.CreatedAt.IsZero() {
				t.Errorf("post %s: author %+v, created %v", p.ID, p.Author, p.CreatedAt)
			}
		}
		for _, e := range page.Errors {
			if e.Title != "Not Found Error" || e.ResourceType != "tweet" || e.Parameter != "ids" || e.Value != e.ResourceID {
				t.Errorf("partial error %+v", e)
			}
			if want := "Could not find tweet with ids: [" + e.Value + "]."; e.Detail != want {
				t.Errorf("detail: got %q, want %q", e.Detail, want)
			}
			notFound = append(notFound, e.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fx.RequestCount("/2/tweets"), 3; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
	for i, r := range fx.Requests() {
		if n := len(strings.Split(r.Query.Get("ids"), ",")); n > 100 {
			t.Errorf("request %d: %d ids", i, n)
		}
	}
	if !slices.Equal(notFound, deleted) {
		t.Errorf("not found: got %v, want %v", notFound, deleted)
	}
	if got, want := len(found), 247; got != want {
		t.Errorf("found: got %d, want %d", got, want)
	}
}

func TestTweetsEdited(t *testing.T) {
	fx := newFake(t)
	at := time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	orig := fx.Post(vpID, "Landed in Baku. Grateful for the welcome.", at)
	fx.AttachPhoto(orig, "https://pbs.twimg.com/media/GjBaku01.jpg")
	latest := fx.Edit(orig, "Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends.", at.Add(10*time.Minute))
	c, _ := newClient(t, fx)

	lookup := func(id string) *xapi.Page {
		t.Helper()
		var got *xapi.Page
		if err := c.Tweets(context.Background(), []string{id}, func(_ []byte, page *xapi.Page) error {
			got = page
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got.Posts) != 1 {
			t.Fatalf("posts: got %d, want 1", len(got.Posts))
		}
		return got
	}
	wantHistory := []string{orig, latest}

	t.Run("latest id", func(t *testing.T) {
		p := lookup(latest).Posts[0]
		if p.ID != latest || !strings.HasPrefix(p.Text, "Landed in Baku. Grateful for the warm welcome") {
			t.Errorf("got %s %q", p.ID, p.Text)
		}
		if !slices.Equal(p.EditHistory, wantHistory) || p.RootID() != orig || p.Seq() != 1 {
			t.Errorf("edit history: got %v, want %v", p.EditHistory, wantHistory)
		}
		if len(p.Media) != 1 || p.Media[0].URL != "https://pbs.twimg.com/media/GjBaku01.jpg" || p.Media[0].ShortURL == "" {
			t.Errorf("media: got %+v", p.Media)
		}
	})
	t.Run("original id", func(t *testing.T) {
		page := lookup(orig)
		p := page.Posts[0]
		if p.ID != orig || !slices.Equal(p.EditHistory, wantHistory) {
			t.Errorf("got %s with history %v", p.ID, p.EditHistory)
		}
		var newest string
		for _, inc := range page.Included {
			if inc.ID == latest {
				newest = inc.Text
			}
		}
		if !strings.Contains(newest, "warm welcome") {
			t.Errorf("includes.tweets lacks the latest version: %+v", page.Included)
		}
	})
	t.Run("timeline shows the latest version once", func(t *testing.T) {
		ids, _, err := timeline(t, c, vpID, xapi.TimelineOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{latest}; !slices.Equal(ids, want) {
			t.Errorf("timeline: got %v, want %v", ids, want)
		}
	})
}

func TestLimits(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 150, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	c, _ := newClient(t, fx)
	if len(c.Limits()) != 0 {
		t.Fatalf("limits before any request: %v", c.Limits())
	}
	if _, _, err := timeline(t, c, vpID, xapi.TimelineOptions{}); err != nil {
		t.Fatal(err)
	}
	got := c.Limits()[xapi.EndpointUserTweets]
	want := xapi.RateLimit{Limit: 1500, Remaining: 1498, Reset: fx.Now().Add(15 * time.Minute), Seen: fx.Now()}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestTokenNeverInErrors provokes every kind of failure, from the fake and
// from a server that echoes the Authorization header into every body, and
// checks that the token appears in no error and no log line.
func TestTokenNeverInErrors(t *testing.T) {
	const token = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("x-rate-limit-limit", "300")
		w.Header().Set("x-rate-limit-remaining", "0")
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		switch {
		case strings.Contains(r.URL.Path, "/by/username/u401"):
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"title":"Unauthorized","detail":"bad token %s","status":401}`, auth)
		case strings.Contains(r.URL.Path, "/by/username/u403"):
			w.WriteHeader(403)
			fmt.Fprintf(w, `{"title":"Forbidden %s","detail":"token %s\nnot allowed","status":403}`, auth, auth)
		case strings.Contains(r.URL.Path, "/by/username/u400"):
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"title":"Invalid Request","detail":"%s","errors":[{"message":"%s"}]}`, auth, auth)
		case strings.Contains(r.URL.Path, "/by/username/u429"):
			w.WriteHeader(429)
			fmt.Fprintf(w, `{"title":"UsageCapExceeded","type":"https://api.twitter.com/2/problems/usage-capped","detail":"%s","period":"%s"}`, auth, auth)
		case strings.Contains(r.URL.Path, "/by/username/u500"):
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"title":"%s","detail":"%s","status":500}`, auth, auth)
		case strings.Contains(r.URL.Path, "/by/username/gone"):
			fmt.Fprintf(w, `{"errors":[{"value":"gone","detail":"User has been suspended: [%s].","title":"Forbidden","resource_type":"user","parameter":"username"}]}`, auth)
		default:
			fmt.Fprintf(w, `{"data":{"id":"1","username":%q`, auth) // malformed
		}
	}))
	t.Cleanup(echo.Close)

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	nosleep := xapi.WithSleep(func(ctx context.Context, d time.Duration) error { return nil })
	var errs []error
	for _, name := range []string{"u401", "u403", "u400", "u429", "u500", "gone", "malformed"} {
		c := xapi.New(echo.URL, token, echo.Client(), nosleep, xapi.WithLogger(logger), xapi.WithMaxWait(2*time.Hour))
		_, err := c.UserByUsername(context.Background(), name)
		errs = append(errs, err)
	}

	fx := newFake(t)
	fx.Token = token
	fx.GeneratePosts(vpID, 120, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	faults := []func(){
		func() { fx.FailNext(500); fx.FailNext(500); fx.FailNext(500) },
		func() { fx.FailNext(429); fx.FailNext(429) },
		func() { fx.FailNextUsageCap() },
		func() { fx.MalformNext(); fx.MalformNext() },
		func() { fx.TruncateNext(); fx.TruncateNext(); fx.TruncateNext() },
		func() { fx.FailNext(403) },
		func() { fx.RepeatNextToken() },
	}
	for _, fault := range faults {
		fault()
		c := xapi.New(fx.URL(), token, fx.Client(), xapi.WithNow(fx.Now), xapi.WithSleep((&sleeper{fx: fx}).Sleep),
			xapi.WithLogger(logger), xapi.WithMaxRetries(2))
		errs = append(errs, c.UserTweets(context.Background(), vpID, xapi.TimelineOptions{}, func([]byte, *xapi.Page) error { return nil }))
		fx.Advance(time.Hour) // a fresh window for the next fault
	}
	wrong := xapi.New(fx.URL(), token+"x", fx.Client(), xapi.WithLogger(logger))
	_, err := wrong.UserByUsername(context.Background(), "VP")
	errs = append(errs, err)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	down := xapi.New(closed.URL, token, nil, nosleep, xapi.WithLogger(logger), xapi.WithMaxRetries(1))
	_, err = down.UserByUsername(context.Background(), "VP")
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		msg := err.Error()
		t.Logf("case %d: %s", i, msg)
		if strings.Contains(msg, token) || strings.Contains(msg, token[:40]) {
			t.Errorf("case %d: token in error %q", i, msg)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("case %d: error is more than one line: %q", i, msg)
		}
		if detail := fmt.Sprintf("%+v", err); strings.Contains(detail, token) {
			t.Errorf("case %d: token in %%+v of error", i)
		}
	}
	if logs.Len() == 0 {
		t.Error("nothing was logged; the log check proves nothing")
	}
	if strings.Contains(logs.String(), token[:40]) {
		t.Errorf("token in logs:\n%s", logs.String())
	}
}

func TestInvalidArguments(t *testing.T) {
	fx := newFake(t)
	c, _ := newClient(t, fx)
	ctx := context.Background()
	nop := func([]byte, *xapi.Page) error { return nil }
	tests := []struct {
		name string
		call func() error
	}{
		{"username with slash", func() error { _, err := c.UserByUsername(ctx, "a/b"); return err }},
		{"empty username", func() error { _, err := c.UserByUsername(ctx, "@"); return err }},
		{"user id", func() error { return c.UserTweets(ctx, "VP", xapi.TimelineOptions{}, nop) }},
		{"since id", func() error { return c.UserTweets(ctx, vpID, xapi.TimelineOptions{SinceID: "x"}, nop) }},
		{"post id", func() error { return c.Tweets(ctx, []string{"1", "two"}, nop) }},
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
}

func TestConcurrentUse(t *testing.T) {
	fx := newFake(t)
	fx.GeneratePosts(vpID, 300, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	fx.FailNext(503)
	fx.FailNext(502)
	c, _ := newClient(t, fx)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			n := 0
			err := c.UserTweets(context.Background(), vpID, xapi.TimelineOptions{}, func(_ []byte, p *xapi.Page) error {
				n += len(p.Posts)
				return nil
			})
			if err == nil && n != 300 {
				err = fmt.Errorf("got %d posts, want 300", n)
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
