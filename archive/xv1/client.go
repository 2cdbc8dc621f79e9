package xv1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/dghubble/oauth1"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

// DefaultBaseURL is the host that go-twitter sends every request to; a
// client given another base URL rewrites requests to it.
const DefaultBaseURL = "https://api.twitter.com"

// DefaultUserAgent is the User-Agent the client sends unless told otherwise.
const DefaultUserAgent = xapi.DefaultUserAgent

// Endpoint names, as used in errors, logs and the keys of Limits.
const (
	EndpointUserTimeline = "GET /1.1/statuses/user_timeline.json"
	EndpointLookup       = "GET /1.1/statuses/lookup.json"
	EndpointUserShow     = "GET /1.1/users/show.json"
)

// TimelineCap is how many of an account's newest posts statuses/
// user_timeline reaches; UserTimeline stops there.
const TimelineCap = 3200

// Defaults of the retry and wait policy, as for the v2 client.
const (
	DefaultMaxRetries = xapi.DefaultMaxRetries
	DefaultMaxWait    = xapi.DefaultMaxWait
)

const (
	maxBody      = 32 << 20 // bounds a response body, as for the v2 client
	pageSize     = 200      // the most statuses/user_timeline returns
	maxLookupIDs = 100      // the most ids statuses/lookup takes
)

// lookupURL is statuses/lookup, called directly: go-twitter's Lookup decodes
// into []Tweet, which cannot hold the object that map=true returns.
const lookupURL = "https://api.twitter.com/1.1/statuses/lookup.json"

// ErrNoCredentials means the client was built without all four credentials.
var ErrNoCredentials = errors.New("no v1.1 credentials: the consumer key and secret and the access token and secret are all required")

// ErrPagingStalled means a timeline page held nothing older than max_id
// asked for, so paging on would repeat it forever.
var ErrPagingStalled = errors.New("max_id paging stalled")

// Credentials are the OAuth 1.0a keys of an app (consumer) and of the
// account it acts for (access token). They are sent only as a signed
// Authorization header; their String, Format and LogValue are redacted.
type Credentials struct {
	ConsumerKey    string
	ConsumerSecret string
	AccessToken    string
	AccessSecret   string
}

// String redacts every credential.
func (c Credentials) String() string { return "xv1.Credentials{[redacted]}" }

// LogValue redacts every credential.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Format redacts every credential, whatever the verb.
func (c Credentials) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }

func (c Credentials) complete() bool {
	return c.ConsumerKey != "" && c.ConsumerSecret != "" && c.AccessToken != "" && c.AccessSecret != ""
}

// Client reads X API v1.1 with a user's OAuth 1.0a credentials, for
// accounts that still have v1.1 access. Requests are made with go-twitter
// (statuses/lookup directly, through the same signed transport) and signed
// with dghubble/oauth1. It is safe for concurrent use. Like the v2 client
// it waits out spent rate limits (up to MaxWait), retries server errors,
// timeouts, broken connections and truncated bodies with exponential
// backoff and full jitter, retries a malformed body once, and never retries
// a credentials error. Credentials appear in no error and no log line.
type Client struct {
	secrets *Credentials // a pointer, so that %v of a Client shows no secret
	hc      *http.Client
	rt      http.RoundTripper // rewrite, then sign, then hc's transport
	initErr error
	policy  *xapi.Policy
}

// Option changes a Client built by NewClient: the same options as for the
// v2 client (xapi.WithNow, xapi.WithSleep, xapi.WithMaxRetries and so on).
type Option = xapi.Option

// NewClient returns a client of X API v1.1 that signs requests with creds
// and sends them through hc (a client with a 30-second timeout when nil).
// go-twitter always addresses https://api.twitter.com/1.1/; when baseURL is
// another scheme and host (the fake, in tests) every request is rewritten
// to it, path and query kept, before it is signed. baseURL "" means
// DefaultBaseURL. A baseURL that is not a bare scheme and host, or missing
// credentials, make every call fail.
func NewClient(baseURL string, creds Credentials, hc *http.Client, opts ...Option) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &Client{
		secrets: &creds,
		hc:      hc,
		policy:  xapi.NewPolicy("x api v1.1", opts...),
	}
	if !creds.complete() {
		c.initErr = ErrNoCredentials
	}
	// oauth1 takes its base transport from an *http.Client in the context.
	base := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: hc.Transport})
	config := oauth1.NewConfig(creds.ConsumerKey, creds.ConsumerSecret)
	c.rt = config.Client(base, oauth1.NewToken(creds.AccessToken, creds.AccessSecret)).Transport
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		c.initErr = fmt.Errorf("x api v1.1: base url %q must be http(s)://host[:port]", baseURL)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		c.initErr = fmt.Errorf("x api v1.1: base url %q must have no path: requests keep go-twitter's /1.1/ paths", baseURL)
	case u.Scheme+"://"+u.Host != DefaultBaseURL:
		c.rt = &rewriteTransport{scheme: u.Scheme, host: u.Host, next: c.rt}
	}
	return c
}

// Limits returns the rate-limit state of every endpoint the client has
// called, keyed by endpoint name (EndpointUserTimeline and the like).
func (c *Client) Limits() map[string]xapi.RateLimit { return c.policy.Limits() }

// UserTimeline walks statuses/user_timeline of the account @screenName,
// newest first, 200 posts a request (tweet_mode=extended, retweets
// included), paging back with max_id set below the oldest id seen, and
// calls fn with each page's exact body and its posts decoded by
// DecodeStatuses. With sinceID only newer posts are asked for. The walk
// ends without error at an empty page (which fn does not see), at a page
// whose oldest post is sinceID's successor, or once TimelineCap posts have
// been passed to fn. When fn returns an error the walk stops and returns it
// unchanged. An unknown, suspended or protected account returns an
// *xapi.UserError wrapping xapi.ErrUserNotFound, ErrUserSuspended or
// ErrProtected before fn is called.
func (c *Client) UserTimeline(ctx context.Context, screenName, sinceID string, fn func(raw []byte, posts []archive.Post) error) error {
	name, err := screenNameOf(screenName)
	if err != nil {
		return fmt.Errorf("x api v1.1: user timeline: %w", err)
	}
	var since int64
	if sinceID != "" {
		if since, err = parseID(sinceID); err != nil {
			return fmt.Errorf("x api v1.1: user timeline: since id: %w", err)
		}
	}
	params := &twitter.UserTimelineParams{
		ScreenName:      name,
		Count:           pageSize,
		SinceID:         since,
		IncludeRetweets: twitter.Bool(true),
		TweetMode:       "extended",
	}
	call := func(hc *http.Client) error {
		_, _, err := twitter.NewClient(hc).Timelines.UserTimeline(params)
		return err
	}
	total := 0
	for {
		var posts []archive.Post
		raw, err := c.get(ctx, EndpointUserTimeline, name, call, func(raw []byte) (err error) {
			posts, err = DecodeStatuses(raw)
			return err
		})
		if err != nil {
			return err
		}
		if len(posts) == 0 {
			return nil
		}
		oldest := int64(0)
		for _, p := range posts {
			n, err := parseID(p.ID)
			if err != nil {
				return fmt.Errorf("x api v1.1: %s: @%s: post id: %w", EndpointUserTimeline, name, err)
			}
			if oldest == 0 || n < oldest {
				oldest = n
			}
		}
		if err := fn(raw, posts); err != nil {
			return err
		}
		total += len(posts)
		next := oldest - 1
		switch {
		case total >= TimelineCap || next <= since:
			return nil
		case params.MaxID != 0 && next >= params.MaxID:
			return fmt.Errorf("x api v1.1: %s: @%s: page asked for max_id %d held nothing older: %w",
				EndpointUserTimeline, name, params.MaxID, ErrPagingStalled)
		}
		params.MaxID = next
	}
}

// Lookup looks posts up by id with statuses/lookup (map=true,
// tweet_mode=extended), 100 ids a request, and calls fn with each
// response's exact body, the posts found (decoded by DecodeStatuses, in
// the order asked for) and the ids that came back null: deleted, never
// existing, or by a protected or suspended account. Repeated ids are asked
// for once. When fn returns an error the lookup stops and returns it
// unchanged.
func (c *Client) Lookup(ctx context.Context, ids []string, fn func(raw []byte, posts []archive.Post, missing []string) error) error {
	var unique []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if _, err := parseID(id); err != nil {
			return fmt.Errorf("x api v1.1: lookup: %w", err)
		}
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	for start := 0; start < len(unique); start += maxLookupIDs {
		batch := unique[start:min(start+maxLookupIDs, len(unique))]
		q := url.Values{}
		q.Set("id", strings.Join(batch, ","))
		q.Set("map", "true")
		q.Set("tweet_mode", "extended")
		call := func(hc *http.Client) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, lookupURL+"?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			return resp.Body.Close() // the exchange has read it already
		}
		var posts []archive.Post
		var missing []string
		raw, err := c.get(ctx, EndpointLookup, "", call, func(raw []byte) (err error) {
			posts, missing, err = decodeLookup(raw, batch)
			return err
		})
		if err != nil {
			return err
		}
		if err := fn(raw, posts, missing); err != nil {
			return err
		}
	}
	return nil
}

// decodeLookup decodes a statuses/lookup body for the ids asked for. The
// map=true form, {"id": {"<id>": status or null}}, is expected; a plain
// array (a server that ignored map=true) is read too, every id not in it
// being missing.
func decodeLookup(raw []byte, ids []string) (posts []archive.Post, missing []string, err error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		posts, err := DecodeStatuses(trimmed)
		if err != nil {
			return nil, nil, err
		}
		found := make(map[string]bool, len(posts))
		for _, p := range posts {
			found[p.ID] = true
		}
		for _, id := range ids {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		return posts, missing, nil
	}
	var body struct {
		ID     map[string]json.RawMessage `json:"id"`
		Errors json.RawMessage            `json:"errors"`
	}
	if err := json.Unmarshal(trimmed, &body); err != nil {
		return nil, nil, fmt.Errorf("decode lookup: %w", describeJSONError(err, 0))
	}
	if body.ID == nil {
		if err := errorBody(body.Errors, nil); err != nil {
			return nil, nil, err
		}
		return nil, nil, errors.New("decode lookup: no id map")
	}
	for _, id := range ids {
		v := bytes.TrimSpace(body.ID[id])
		if len(v) == 0 || string(v) == "null" {
			missing = append(missing, id)
			continue
		}
		ps, err := DecodeStatuses(v)
		if err != nil {
			return nil, nil, fmt.Errorf("decode lookup: id %s: %w", id, err)
		}
		if len(ps) != 1 || ps[0].ID != id {
			return nil, nil, fmt.Errorf("decode lookup: id %s maps to another status", id)
		}
		posts = append(posts, ps[0])
	}
	return posts, missing, nil
}

// UserByScreenName looks an account up with users/show. An unknown account
// returns an *xapi.UserError wrapping xapi.ErrUserNotFound, a suspended one
// xapi.ErrUserSuspended. A protected account is returned together with an
// *xapi.UserError wrapping xapi.ErrProtected, since its posts cannot be
// read.
func (c *Client) UserByScreenName(ctx context.Context, screenName string) (archive.Account, error) {
	name, err := screenNameOf(screenName)
	if err != nil {
		return archive.Account{}, fmt.Errorf("x api v1.1: user by screen name: %w", err)
	}
	params := &twitter.UserShowParams{ScreenName: name, IncludeEntities: twitter.Bool(false)}
	call := func(hc *http.Client) error {
		_, _, err := twitter.NewClient(hc).Users.Show(params)
		return err
	}
	var u twitter.User
	raw, err := c.get(ctx, EndpointUserShow, name, call, func(raw []byte) error {
		if err := json.Unmarshal(raw, &u); err != nil {
			return describeJSONError(err, 0)
		}
		if idOf(u.IDStr, u.ID) == "" {
			return errors.New("user has no id")
		}
		return nil
	})
	if err != nil {
		return archive.Account{}, err
	}
	acct := archive.Account{Platform: archive.PlatformX, PlatformID: idOf(u.IDStr, u.ID), Handle: u.ScreenName, Name: u.Name}
	if u.Protected {
		return acct, &xapi.UserError{User: name, Err: xapi.ErrProtected, Body: raw}
	}
	return acct, nil
}

// screenNameOf checks a handle (with or without "@") and returns it bare.
func screenNameOf(s string) (string, error) {
	name := archive.NormalizeHandleCase(s)
	if name == "" || len(name) > 50 || strings.ContainsAny(name, "/?#%&=, ") {
		return "", fmt.Errorf("invalid screen name %q", s)
	}
	return name, nil
}

// parseID parses a post id: a positive decimal int64, which every X id is.
func parseID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || s[0] == '+' {
		return 0, fmt.Errorf("invalid id %q", s)
	}
	return n, nil
}

// AuthError is a failure of the credentials: a 401 or 403, or one of the
// v1.1 codes that mean the keys or token are wrong, expired or not allowed
// (32, 64, 89, 99, 135, 215, 220, 326, 453). It is not retried. errors.As
// also matches it as an *xapi.AuthError, so callers that stop a pass on the
// v2 client's credential errors stop on these too.
type AuthError struct {
	Endpoint string
	Status   int
	Code     int    // the v1.1 error code, 0 when the body had none
	Message  string // the v1.1 error message
}

// Error describes the error in one line and says what to check.
func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "x api v1.1: %s: %d %s", e.Endpoint, e.Status, http.StatusText(e.Status))
	if e.Code != 0 {
		fmt.Fprintf(&b, ": code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	b.WriteString(": check the v1.1 consumer key and secret and access token and secret, and the app's access level")
	return b.String()
}

// As lets errors.As match an *AuthError as an *xapi.AuthError.
func (e *AuthError) As(target any) bool {
	t, ok := target.(**xapi.AuthError)
	if !ok {
		return false
	}
	*t = &xapi.AuthError{Status: e.Status, Title: http.StatusText(e.Status), Detail: e.Message, Endpoint: e.Endpoint}
	return true
}

// StatusError is a response with an unexpected status: a 5xx that
// persisted through every retry, or another failure that is neither a
// credentials, rate-limit nor account error. It wraps the v1.1 error body as
// a twitter.APIError when there was one.
type StatusError struct {
	Endpoint string
	Status   int
	Errors   []twitter.ErrorDetail // the v1.1 errors, cleaned; nil when none
}

// Error describes the error in one line.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("x api v1.1: %s: %d %s", e.Endpoint, e.Status, http.StatusText(e.Status))
	if len(e.Errors) > 0 {
		msg += fmt.Sprintf(": code %d: %s", e.Errors[0].Code, e.Errors[0].Message)
	}
	return msg
}

// Unwrap returns the v1.1 errors as a twitter.APIError, or nil.
func (e *StatusError) Unwrap() error {
	if len(e.Errors) == 0 {
		return nil
	}
	return twitter.APIError{Errors: e.Errors}
}

// outcome classifies one attempt of a request.
// get makes the request that call sends, waiting, retrying and classifying
// failures, and returns the raw body of a 2xx response that decode
// accepted. user names the account the request is about, for account
// errors ("" when none is).
func (c *Client) get(ctx context.Context, ep, user string, call func(hc *http.Client) error, decode func(raw []byte) error) ([]byte, error) {
	if c.initErr != nil {
		return nil, fmt.Errorf("x api v1.1: %s: %w", ep, c.initErr)
	}
	return xapi.Do(ctx, c.policy, ep, func() ([]byte, xapi.Outcome, error) {
		return c.attempt(ctx, ep, user, call, decode)
	})
}

// attempt makes one request and classifies its result.
func (c *Client) attempt(ctx context.Context, ep, user string, call func(hc *http.Client) error, decode func(raw []byte) error) ([]byte, xapi.Outcome, error) {
	x := &exchange{ctx: ctx, userAgent: c.policy.UserAgent(), next: c.rt}
	hc := &http.Client{Transport: x, Timeout: c.hc.Timeout, CheckRedirect: c.hc.CheckRedirect, Jar: c.hc.Jar}
	callErr := call(hc)
	if !x.got {
		if ctx.Err() != nil {
			return nil, xapi.Done, fmt.Errorf("x api v1.1: %s: %w", ep, ctx.Err())
		}
		if callErr == nil {
			callErr = errors.New("no response")
		}
		var uerr *url.Error
		if errors.As(callErr, &uerr) {
			callErr = uerr.Err // the URL is long and says nothing the endpoint does not
		}
		return nil, xapi.Transient, fmt.Errorf("x api v1.1: %s: %w", ep, c.cleanErr(callErr))
	}
	// go-twitter's own result is not used: it decodes the success body into
	// its types and error bodies only when they have the usual shape.
	c.policy.RecordLimit(ep, x.header)
	raw, status := x.body, x.status
	if status >= 200 && status < 300 {
		if err := decode(raw); err != nil {
			var apiErr twitter.APIError
			if errors.As(err, &apiErr) {
				return nil, xapi.Done, &StatusError{Endpoint: ep, Status: status, Errors: c.cleanDetails(apiErr.Errors)}
			}
			return nil, xapi.Malformed, fmt.Errorf("x api v1.1: %s: malformed response: %w", ep, c.cleanErr(err))
		}
		return raw, xapi.Done, nil
	}

	details, message := c.errorsOf(raw)
	code := 0
	if len(details) > 0 {
		code, message = details[0].Code, details[0].Message
	}
	userErr := func(sentinel error) ([]byte, xapi.Outcome, error) {
		return nil, xapi.Done, &xapi.UserError{User: user, Title: http.StatusText(status), Detail: message, Err: sentinel, Body: bytes.Clone(raw)}
	}
	switch {
	case status == http.StatusTooManyRequests || status == 420 || code == 88:
		rl, _ := c.policy.Limit(ep)
		return nil, xapi.RateLimited, &xapi.RateLimitError{Endpoint: ep, Reset: rl.Reset}
	case user != "" && (code == 34 || code == 50):
		return userErr(xapi.ErrUserNotFound)
	case user != "" && code == 63:
		return userErr(xapi.ErrUserSuspended)
	case user != "" && code == 179:
		return userErr(xapi.ErrProtected)
	case ep == EndpointUserTimeline && status == http.StatusUnauthorized && code == 0 && message == "Not authorized.":
		// What X sends for a protected account's timeline.
		return userErr(xapi.ErrProtected)
	case authCode(code) || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, xapi.Done, &AuthError{Endpoint: ep, Status: status, Code: code, Message: message}
	case status >= 500 || status == http.StatusRequestTimeout || code == 130 || code == 131:
		return nil, xapi.Transient, &StatusError{Endpoint: ep, Status: status, Errors: details}
	}
	return nil, xapi.Done, &StatusError{Endpoint: ep, Status: status, Errors: details}
}

// authCode reports whether a v1.1 error code is about the credentials.
func authCode(code int) bool {
	switch code {
	case 32, 64, 89, 99, 135, 215, 220, 326, 453:
		return true
	}
	return false
}

// errorsOf reads a v1.1 error body: the usual {"errors": [{"message",
// "code"}]}, or {"error": "..."} or {"errors": "..."}, which older
// endpoints send. Texts come back cleaned.
func (c *Client) errorsOf(raw []byte) ([]twitter.ErrorDetail, string) {
	var body struct {
		Errors json.RawMessage `json:"errors"`
		Error  string          `json:"error"`
	}
	if json.Unmarshal(bytes.TrimSpace(raw), &body) != nil {
		return nil, ""
	}
	var details []twitter.ErrorDetail
	if json.Unmarshal(body.Errors, &details) == nil && len(details) > 0 {
		return c.cleanDetails(details), ""
	}
	var msg string
	if json.Unmarshal(body.Errors, &msg) == nil && msg != "" {
		return nil, c.clean(msg)
	}
	return nil, c.clean(body.Error)
}

func (c *Client) cleanDetails(ds []twitter.ErrorDetail) []twitter.ErrorDetail {
	out := make([]twitter.ErrorDetail, len(ds))
	for i, d := range ds {
		out[i] = twitter.ErrorDetail{Code: d.Code, Message: c.clean(d.Message)}
	}
	return out
}

// clean makes text fit for a one-line error: whitespace runs become one
// space, every credential is redacted (as sent and as percent-encoded in an
// Authorization header) and the text is cut at 300 bytes.
func (c *Client) clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for _, secret := range []string{c.secrets.ConsumerKey, c.secrets.ConsumerSecret, c.secrets.AccessToken, c.secrets.AccessSecret} {
		if secret == "" {
			continue
		}
		s = strings.ReplaceAll(s, secret, "[redacted]")
		if enc := oauthEncode(secret); enc != secret {
			s = strings.ReplaceAll(s, enc, "[redacted]")
		}
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

// cleanErr returns err, or an error with its text cleaned that still wraps
// it when cleaning changes the text.
func (c *Client) cleanErr(err error) error {
	if msg := c.clean(err.Error()); msg != err.Error() {
		return &cleanedError{msg: msg, err: err}
	}
	return err
}

type cleanedError struct {
	msg string
	err error
}

func (e *cleanedError) Error() string { return e.msg }
func (e *cleanedError) Unwrap() error { return e.err }

// oauthEncode percent-encodes s as OAuth 1.0a does (RFC 5849 3.6).
func oauthEncode(s string) string {
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

// exchange is the transport of one attempt. It gives the request the
// caller's context (go-twitter makes requests without one) and reads the
// whole response body, keeping the exact bytes for the caller and handing
// go-twitter a copy.
type exchange struct {
	ctx       context.Context
	userAgent string
	next      http.RoundTripper

	got    bool
	status int
	header http.Header
	body   []byte
}

func (x *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	// req's context carries the http.Client's timeout; x.ctx is the caller's.
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	defer context.AfterFunc(x.ctx, cancel)()
	r := req.Clone(ctx)
	r.Header.Set("User-Agent", x.userAgent)
	r.Header.Set("Accept", "application/json")
	resp, err := x.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%d response: reading body: %w", resp.StatusCode, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%d response: larger than %d bytes", resp.StatusCode, maxBody)
	}
	x.got, x.status, x.header, x.body = true, resp.StatusCode, resp.Header, body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// rewriteTransport sends every request to another scheme and host, path
// and query kept. It runs before signing, so that the signature covers the
// URL the request goes to.
type rewriteTransport struct {
	scheme, host string
	next         http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.scheme, t.host, ""
	return t.next.RoundTrip(r)
}
