package xapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// maxBody bounds a response body; a page of 100 posts is a few hundred KB.
const maxBody = 32 << 20

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
	base   string
	token  string
	hc     *http.Client
	policy *Policy
}

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
	return &Client{
		base:   strings.TrimRight(baseURL, "/"),
		token:  strings.TrimSpace(bearerToken),
		hc:     hc,
		policy: NewPolicy("x api", opts...),
	}
}

// Limits returns the rate-limit state of every endpoint the client has
// called, keyed by endpoint name (EndpointUserTweets and the like).
func (c *Client) Limits() map[string]RateLimit { return c.policy.Limits() }

// fields returns the query every request carries.
func fields() url.Values {
	q := url.Values{}
	q.Set("tweet.fields", tweetFields)
	q.Set("expansions", expansions)
	q.Set("media.fields", mediaFields)
	q.Set("user.fields", userFields)
	return q
}

// Outcome classifies one attempt of a request.
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
	type result struct {
		raw  []byte
		page *Page
	}
	r, err := Do(ctx, c.policy, ep, func() (result, Outcome, error) {
		raw, page, kind, err := c.attempt(ctx, ep, u)
		return result{raw, page}, kind, err
	})
	return r.raw, r.page, err
}

// attempt makes one request and classifies its result.
func (c *Client) attempt(ctx context.Context, ep, u string) ([]byte, *Page, Outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, Done, fmt.Errorf("x api: %s: %w", ep, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.policy.UserAgent())
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is long and says nothing the endpoint does not
		}
		err = fmt.Errorf("x api: %s: %w", ep, err)
		if ctx.Err() != nil {
			return nil, nil, Done, err
		}
		return nil, nil, Transient, err
	}
	defer resp.Body.Close()
	c.policy.RecordLimit(ep, resp.Header)
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		err = fmt.Errorf("x api: %s: %d response: reading body: %w", ep, resp.StatusCode, err)
		if ctx.Err() != nil {
			return nil, nil, Done, err
		}
		return nil, nil, Transient, err
	}
	if len(raw) > maxBody {
		return nil, nil, Done, fmt.Errorf("x api: %s: response larger than %d bytes", ep, maxBody)
	}

	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		page, err := DecodePage(raw)
		if err != nil {
			var prob *ProblemError
			if errors.As(err, &prob) {
				return nil, nil, Done, &StatusError{Endpoint: ep, Status: status, Problem: c.cleanProblem(prob)}
			}
			return nil, nil, Malformed, fmt.Errorf("x api: %s: malformed response: %w", ep, err)
		}
		return raw, page, Done, nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e := &AuthError{Status: status, Endpoint: ep}
		if prob := c.problem(raw); prob != nil {
			e.Title, e.Detail = prob.Title, prob.Detail
		}
		return nil, nil, Done, e
	case status == http.StatusTooManyRequests:
		if capErr := c.usageCap(ep, raw, resp.Header); capErr != nil {
			return nil, nil, Done, capErr
		}
		rl, _ := c.policy.Limit(ep)
		return nil, nil, RateLimited, &RateLimitError{Endpoint: ep, Reset: rl.Reset}
	case status >= 500 || status == http.StatusRequestTimeout:
		return nil, nil, Transient, &StatusError{Endpoint: ep, Status: status, Problem: c.problem(raw)}
	default:
		return nil, nil, Done, &StatusError{Endpoint: ep, Status: status, Problem: c.problem(raw)}
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
