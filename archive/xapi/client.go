package xapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultBaseURL is the X API's base URL.
const DefaultBaseURL = "https://api.x.com"

// DefaultUserAgent is the User-Agent the client sends unless told otherwise.
const DefaultUserAgent = "verbatim/dev (+https://github.com/verbatim-archive/verbatim)"

// Endpoint names, as used in errors, logs and the keys of Limits.
const (
	EndpointUserByUsername = "GET /2/users/by/username/:username"
	EndpointUserTweets     = "GET /2/users/:id/tweets"
	EndpointTweets         = "GET /2/tweets"
)

// Defaults of the retry and wait policy.
const (
	DefaultMaxRetries = 4
	DefaultMaxWait    = 15 * time.Minute
	backoffBase       = time.Second
	backoffCap        = 60 * time.Second
	// resetMargin is added to every wait for a rate-limit reset, since the
	// reset is given in whole seconds and clocks differ.
	resetMargin = time.Second
	// maxBody bounds a response body; a page of 100 posts is a few hundred KB.
	maxBody = 32 << 20
)

// Fields and expansions asked for on every request. edit_history_tweet_ids
// is expanded so that a post looked up by an earlier version's id brings
// every version's text in includes.tweets, as a recheck needs.
const (
	tweetFields = "created_at,author_id,edit_history_tweet_ids,edit_controls,entities,attachments,referenced_tweets,note_tweet,lang,conversation_id,public_metrics"
	expansions  = "author_id,attachments.media_keys,referenced_tweets.id,edit_history_tweet_ids"
	mediaFields = "url,preview_image_url,variants,alt_text,type,duration_ms"
	userFields  = "username,name,protected,verified"
)

// RateLimit is the state of one endpoint's rate limit, as the last response
// from it reported.
type RateLimit struct {
	Limit     int       // requests allowed per window
	Remaining int       // requests left in the window
	Reset     time.Time // when the window resets
	Seen      time.Time // when the response was received
}

// Client reads the X API v2 with an app-only bearer token. It is safe for
// concurrent use. It waits out spent rate limits (up to MaxWait), retries
// server errors, timeouts, broken connections and truncated bodies with
// exponential backoff and full jitter, and never retries 401, 403 or a
// usage cap. The token is sent only in the Authorization header; it appears
// in no error and no log line.
type Client struct {
	base       string
	token      string
	hc         *http.Client
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	jitter     func(ceiling time.Duration) time.Duration
	maxRetries int
	maxWait    time.Duration
	log        *slog.Logger
	userAgent  string

	mu     sync.Mutex
	limits map[string]RateLimit
}

// Option changes a Client built by New.
type Option func(*Client)

// WithNow sets the clock the client reads rate-limit resets against.
func WithNow(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithSleep sets how the client waits for a backoff delay or a rate-limit
// reset; it must return early with ctx's error when ctx is done. Tests pass
// a function that records the delay and returns at once.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithJitter sets how a backoff delay is drawn from its ceiling (1s, 2s,
// 4s… up to 60s). The default draws uniformly from [0, ceiling): full jitter.
func WithJitter(jitter func(ceiling time.Duration) time.Duration) Option {
	return func(c *Client) { c.jitter = jitter }
}

// WithMaxRetries sets how many times a failed request is retried after its
// first attempt (default 4). Zero disables retries.
func WithMaxRetries(n int) Option { return func(c *Client) { c.maxRetries = max(n, 0) } }

// WithMaxWait sets the longest the client waits for a rate-limit reset
// before it returns a *RateLimitError instead (default 15 minutes).
func WithMaxWait(d time.Duration) Option { return func(c *Client) { c.maxWait = d } }

// WithLogger sets the logger for waits and retries (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithUserAgent sets the User-Agent header, such as "verbatim/1.2.0".
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the X API at baseURL (DefaultBaseURL when empty)
// that authenticates with bearerToken and sends requests through hc (a
// client with a 30-second timeout when nil).
func New(baseURL, bearerToken string, hc *http.Client, opts ...Option) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &Client{
		base:       strings.TrimRight(baseURL, "/"),
		token:      strings.TrimSpace(bearerToken),
		hc:         hc,
		now:        time.Now,
		sleep:      sleepCtx,
		jitter:     fullJitter,
		maxRetries: DefaultMaxRetries,
		maxWait:    DefaultMaxWait,
		log:        slog.New(slog.DiscardHandler),
		userAgent:  DefaultUserAgent,
		limits:     make(map[string]RateLimit),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Limits returns the rate-limit state of every endpoint the client has
// called, keyed by endpoint name (EndpointUserTweets and the like).
func (c *Client) Limits() map[string]RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]RateLimit, len(c.limits))
	for k, v := range c.limits {
		out[k] = v
	}
	return out
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fullJitter draws a delay uniformly from [0, ceiling).
func fullJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// backoff returns the delay before retry number n (0 for the first retry).
func (c *Client) backoff(n int) time.Duration {
	ceiling := backoffCap
	if n < 6 { // 1s<<6 already exceeds the cap
		ceiling = min(backoffBase<<n, backoffCap)
	}
	return c.jitter(ceiling)
}

// fields returns the query every request carries.
func fields() url.Values {
	q := url.Values{}
	q.Set("tweet.fields", tweetFields)
	q.Set("expansions", expansions)
	q.Set("media.fields", mediaFields)
	q.Set("user.fields", userFields)
	return q
}

// outcome classifies one attempt of a request.
type outcome int

const (
	done        outcome = iota // success or a final error
	transient                  // retry with backoff
	rateLimited                // wait for the reset, retry once
	malformed                  // retry once
)

// get requests path with query q from endpoint ep, waiting, retrying and
// classifying failures, and returns the raw body and its decoded page.
func (c *Client) get(ctx context.Context, ep, path string, q url.Values) ([]byte, *Page, error) {
	if c.token == "" {
		return nil, nil, fmt.Errorf("x api: %s: %w", ep, ErrNoToken)
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	failures := 0
	rateRetried, malformedRetried := false, false
	for {
		if err := c.awaitLimit(ctx, ep); err != nil {
			return nil, nil, err
		}
		raw, page, kind, err := c.attempt(ctx, ep, u)
		switch kind {
		case done:
			return raw, page, err
		case rateLimited:
			if rateRetried {
				return nil, nil, err
			}
			rateRetried = true
			c.log.LogAttrs(ctx, slog.LevelWarn, "x api rate limited", slog.String("endpoint", ep))
			if rl, ok := c.limit(ep); !ok || rl.Remaining != 0 || !rl.Reset.After(c.now()) {
				// No usable reset: wait as long as the longest backoff.
				c.setLimit(ep, RateLimit{Remaining: 0, Reset: c.now().Add(backoffCap), Seen: c.now()})
			}
			continue // awaitLimit waits for the reset
		case malformed:
			if malformedRetried {
				return nil, nil, err
			}
			malformedRetried = true
		}
		failures++
		if failures > c.maxRetries {
			return nil, nil, &retriesExhausted{attempts: failures, err: err}
		}
		d := c.backoff(failures - 1)
		c.log.LogAttrs(ctx, slog.LevelWarn, "x api request failed, retrying",
			slog.String("endpoint", ep), slog.Int("attempt", failures), slog.Duration("delay", d), slog.String("error", err.Error()))
		if err := c.sleep(ctx, d); err != nil {
			return nil, nil, fmt.Errorf("x api: %s: %w", ep, err)
		}
	}
}

// attempt makes one request and classifies its result.
func (c *Client) attempt(ctx context.Context, ep, u string) ([]byte, *Page, outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, done, fmt.Errorf("x api: %s: %w", ep, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is long and says nothing the endpoint does not
		}
		err = fmt.Errorf("x api: %s: %w", ep, err)
		if ctx.Err() != nil {
			return nil, nil, done, err
		}
		return nil, nil, transient, err
	}
	defer resp.Body.Close()
	c.recordLimit(ep, resp.Header)
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		err = fmt.Errorf("x api: %s: %d response: reading body: %w", ep, resp.StatusCode, err)
		if ctx.Err() != nil {
			return nil, nil, done, err
		}
		return nil, nil, transient, err
	}
	if len(raw) > maxBody {
		return nil, nil, done, fmt.Errorf("x api: %s: response larger than %d bytes", ep, maxBody)
	}

	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		page, err := DecodePage(raw)
		if err != nil {
			var prob *ProblemError
			if errors.As(err, &prob) {
				return nil, nil, done, &StatusError{Endpoint: ep, Status: status, Problem: c.cleanProblem(prob)}
			}
			return nil, nil, malformed, fmt.Errorf("x api: %s: malformed response: %w", ep, err)
		}
		return raw, page, done, nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e := &AuthError{Status: status, Endpoint: ep}
		if prob := c.problem(raw); prob != nil {
			e.Title, e.Detail = prob.Title, prob.Detail
		}
		return nil, nil, done, e
	case status == http.StatusTooManyRequests:
		if capErr := c.usageCap(ep, raw, resp.Header); capErr != nil {
			return nil, nil, done, capErr
		}
		rl, _ := c.limit(ep)
		return nil, nil, rateLimited, &RateLimitError{Endpoint: ep, Reset: rl.Reset}
	case status >= 500 || status == http.StatusRequestTimeout:
		return nil, nil, transient, &StatusError{Endpoint: ep, Status: status, Problem: c.problem(raw)}
	default:
		return nil, nil, done, &StatusError{Endpoint: ep, Status: status, Problem: c.problem(raw)}
	}
}

// problem decodes a problem body, cleaned for an error message, or returns
// nil when the body is not one.
func (c *Client) problem(raw []byte) *ProblemError {
	_, err := DecodePage(raw)
	var prob *ProblemError
	if !errors.As(err, &prob) {
		return nil
	}
	return c.cleanProblem(prob)
}

// cleanProblem returns a copy of p whose texts are one line each, bounded in
// length, with the token redacted should a server ever echo it.
func (c *Client) cleanProblem(p *ProblemError) *ProblemError {
	out := &ProblemError{Title: c.clean(p.Title), Detail: c.clean(p.Detail), Type: c.clean(p.Type), Status: p.Status}
	for _, e := range p.Errors {
		e.Title, e.Detail, e.Message, e.Value = c.clean(e.Title), c.clean(e.Detail), c.clean(e.Message), c.clean(e.Value)
		out.Errors = append(out.Errors, e)
	}
	return out
}

// clean makes text from a response fit for a one-line error: whitespace runs
// become one space, the token is redacted and the text is cut at 300 bytes.
func (c *Client) clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if c.token != "" {
		s = strings.ReplaceAll(s, c.token, "[redacted]")
	}
	if len(s) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// usageCap returns a *UsageCapError when a 429 body is the v2 usage-capped
// problem, and nil otherwise.
func (c *Client) usageCap(ep string, raw []byte, h http.Header) *UsageCapError {
	var body struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Type   string `json:"type"`
		Period string `json:"period"`
		Scope  string `json:"scope"`
	}
	if json.Unmarshal(bytes.TrimSpace(raw), &body) != nil {
		return nil
	}
	if body.Type != "https://api.twitter.com/2/problems/usage-capped" && body.Title != "UsageCapExceeded" {
		return nil
	}
	e := &UsageCapError{Endpoint: ep, Period: c.clean(body.Period), Scope: c.clean(body.Scope), Detail: c.clean(body.Detail)}
	if reset, ok := epochHeader(h, "x-rate-limit-reset"); ok {
		e.Reset = reset
	}
	return e
}

// recordLimit keeps the rate-limit headers of a response, when it has them.
func (c *Client) recordLimit(ep string, h http.Header) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("x-rate-limit-limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("x-rate-limit-remaining")))
	reset, ok := epochHeader(h, "x-rate-limit-reset")
	if err1 != nil || err2 != nil || !ok {
		return
	}
	c.setLimit(ep, RateLimit{Limit: limit, Remaining: remaining, Reset: reset, Seen: c.now()})
}

// epochHeader reads a header holding epoch seconds.
func epochHeader(h http.Header, name string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

func (c *Client) setLimit(ep string, rl RateLimit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limits[ep] = rl
}

func (c *Client) limit(ep string) (RateLimit, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rl, ok := c.limits[ep]
	return rl, ok
}

// awaitLimit waits until ep's window resets when its last response said no
// requests remain, or returns a *RateLimitError when that is further off
// than MaxWait.
func (c *Client) awaitLimit(ctx context.Context, ep string) error {
	rl, ok := c.limit(ep)
	if !ok || rl.Remaining > 0 {
		return nil
	}
	wait := rl.Reset.Sub(c.now())
	if wait <= -resetMargin {
		return nil
	}
	if wait > c.maxWait {
		return &RateLimitError{Endpoint: ep, Reset: rl.Reset}
	}
	wait = max(wait+resetMargin, 0)
	c.log.LogAttrs(ctx, slog.LevelInfo, "x api rate limit spent, waiting for reset",
		slog.String("endpoint", ep), slog.Time("reset", rl.Reset), slog.Duration("wait", wait))
	if err := c.sleep(ctx, wait); err != nil {
		return fmt.Errorf("x api: %s: waiting for rate-limit reset: %w", ep, err)
	}
	return nil
}
