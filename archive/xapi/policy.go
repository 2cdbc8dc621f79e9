package xapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
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
)

// Policy is the retry and wait policy of an X API client, and the
// rate-limit state it acts on: the v2 Client and the v1.1 client
// (xv1.Client) each hold one. It keeps the rate-limit headers of the
// responses it is shown, waits out a spent limit before the next request to
// that endpoint (for as long as WithMaxWait allows), and spaces retries with
// exponential backoff and full jitter. A Policy is made by NewPolicy and is
// safe for concurrent use.
type Policy struct {
	name       string // "x api" or "x api v1.1", the prefix of logs and errors
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	jitter     func(ceiling time.Duration) time.Duration
	maxRetries int
	maxWait    time.Duration
	log        *slog.Logger
	userAgent  string
	onWait     func(ep string, d time.Duration)
	onLimited  func(ep string)

	mu     sync.Mutex
	limits map[string]RateLimit
}

// Option changes the Policy of a client built by New or xv1.NewClient.
type Option func(*Policy)

// WithNow sets the clock the client reads rate-limit resets against.
func WithNow(now func() time.Time) Option { return func(p *Policy) { p.now = now } }

// WithSleep sets how the client waits for a backoff delay or a rate-limit
// reset; it must return early with ctx's error when ctx is done. Tests pass
// a function that records the delay and returns at once.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(p *Policy) { p.sleep = sleep }
}

// WithJitter sets how a backoff delay is drawn from its ceiling (1s, 2s,
// 4s… up to 60s). The default draws uniformly from [0, ceiling): full jitter.
func WithJitter(jitter func(ceiling time.Duration) time.Duration) Option {
	return func(p *Policy) { p.jitter = jitter }
}

// WithMaxRetries sets how many times a failed request is retried after its
// first attempt (default 4). Zero disables retries.
func WithMaxRetries(n int) Option { return func(p *Policy) { p.maxRetries = max(n, 0) } }

// WithMaxWait sets the longest the client waits for a rate-limit reset
// before it returns a *RateLimitError instead (default 15 minutes).
func WithMaxWait(d time.Duration) Option { return func(p *Policy) { p.maxWait = d } }

// WithLogger sets the logger for waits and retries (default: discard).
func WithLogger(l *slog.Logger) Option { return func(p *Policy) { p.log = l } }

// WithUserAgent sets the User-Agent header, such as "verbatim/1.2.0".
func WithUserAgent(ua string) Option { return func(p *Policy) { p.userAgent = ua } }

// WithOnWait sets a function called each time the client is about to wait
// d for endpoint ep's rate limit to reset, before the wait begins (so a long
// wait is seen while it lasts). Backoff delays between retries are not
// rate-limit waits and do not call it. It must be safe for concurrent use
// and return quickly; metrics use it to count waits.
func WithOnWait(fn func(ep string, d time.Duration)) Option {
	return func(p *Policy) { p.onWait = fn }
}

// WithOnRateLimited sets a function called each time a request to endpoint
// ep is refused for its rate limit (a 429 that is not a usage cap), whether
// or not it is then retried. It must be safe for concurrent use and return
// quickly.
func WithOnRateLimited(fn func(ep string)) Option {
	return func(p *Policy) { p.onLimited = fn }
}

// NewPolicy returns the policy opts describe, with the defaults for what
// they leave out. name, "x api" or "x api v1.1", begins every message the
// policy logs and every error it returns.
func NewPolicy(name string, opts ...Option) *Policy {
	p := &Policy{
		name:       name,
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
		opt(p)
	}
	return p
}

// UserAgent returns the User-Agent header requests are sent with.
func (p *Policy) UserAgent() string { return p.userAgent }

// Limits returns the rate-limit state of every endpoint recorded, keyed by
// endpoint name.
func (p *Policy) Limits() map[string]RateLimit {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]RateLimit, len(p.limits))
	for k, v := range p.limits {
		out[k] = v
	}
	return out
}

// Limit returns the rate-limit state of endpoint ep, and false when none has
// been recorded.
func (p *Policy) Limit(ep string) (RateLimit, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rl, ok := p.limits[ep]
	return rl, ok
}

func (p *Policy) setLimit(ep string, rl RateLimit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limits[ep] = rl
}

// RecordLimit keeps the rate-limit headers of a response from ep
// (x-rate-limit-limit, -remaining and -reset), when it has all three.
func (p *Policy) RecordLimit(ep string, h http.Header) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("x-rate-limit-limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("x-rate-limit-remaining")))
	reset, ok := epochHeader(h, "x-rate-limit-reset")
	if err1 != nil || err2 != nil || !ok {
		return
	}
	p.setLimit(ep, RateLimit{Limit: limit, Remaining: remaining, Reset: reset, Seen: p.now()})
}

// epochHeader reads a header holding epoch seconds.
func epochHeader(h http.Header, name string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// RateLimited logs that a request to ep was refused for its rate limit and
// makes sure the next AwaitLimit waits: unless the last response recorded
// said no requests remain until a reset still ahead, it records a reset as
// far off as the longest backoff (60 seconds).
func (p *Policy) RateLimited(ctx context.Context, ep string) {
	p.log.LogAttrs(ctx, slog.LevelWarn, p.name+" rate limited", slog.String("endpoint", ep))
	if rl, ok := p.Limit(ep); !ok || rl.Remaining != 0 || !rl.Reset.After(p.now()) {
		// No usable reset: wait as long as the longest backoff.
		p.setLimit(ep, RateLimit{Remaining: 0, Reset: p.now().Add(backoffCap), Seen: p.now()})
	}
}

// AwaitLimit waits until ep's window resets when its last response said no
// requests remain, or returns a *RateLimitError when that is further off
// than WithMaxWait allows. It returns ctx's error, wrapped, when ctx is done
// first.
func (p *Policy) AwaitLimit(ctx context.Context, ep string) error {
	rl, ok := p.Limit(ep)
	if !ok || rl.Remaining > 0 {
		return nil
	}
	wait := rl.Reset.Sub(p.now())
	if wait <= -resetMargin {
		return nil
	}
	if wait > p.maxWait {
		return &RateLimitError{Endpoint: ep, Reset: rl.Reset}
	}
	wait = max(wait+resetMargin, 0)
	p.log.LogAttrs(ctx, slog.LevelInfo, p.name+" rate limit spent, waiting for reset",
		slog.String("endpoint", ep), slog.Time("reset", rl.Reset), slog.Duration("wait", wait))
	if p.onWait != nil {
		p.onWait(ep, wait)
	}
	if err := p.sleep(ctx, wait); err != nil {
		return fmt.Errorf("%s: %s: waiting for rate-limit reset: %w", p.name, ep, err)
	}
	return nil
}

// Outcome classifies one attempt at a request for Do.
type Outcome int

// Outcomes of an attempt.
const (
	Done        Outcome = iota // success or a final error
	Transient                  // retry with backoff
	RateLimited                // wait for the reset, retry once
	Malformed                  // retry once
)

// Do makes a request to endpoint ep by calling attempt until an attempt is
// Done: before each it waits out a spent rate limit (AwaitLimit); a
// RateLimited attempt is retried once after the reset, a Malformed one
// once after a backoff delay, a Transient one after backoff delays while
// retries remain (Backoff). It returns the last attempt's value and error.
func Do[T any](ctx context.Context, p *Policy, ep string, attempt func() (T, Outcome, error)) (T, error) {
	var zero T
	failures := 0
	rateRetried, malformedRetried := false, false
	for {
		if err := p.AwaitLimit(ctx, ep); err != nil {
			return zero, err
		}
		v, kind, err := attempt()
		switch kind {
		case Done:
			return v, err
		case RateLimited:
			if p.onLimited != nil {
				p.onLimited(ep)
			}
			if rateRetried {
				return zero, err
			}
			rateRetried = true
			p.RateLimited(ctx, ep)
			continue // AwaitLimit waits for the reset
		case Malformed:
			if malformedRetried {
				return zero, err
			}
			malformedRetried = true
		}
		failures++
		if err := p.Backoff(ctx, ep, failures, err); err != nil {
			return zero, err
		}
	}
}

// Backoff is called after a request to ep has failed for the failures-th
// time (1 for the first), the last time with err. When a retry remains it
// logs the failure, waits a backoff delay and returns nil; otherwise it
// returns err, wrapped to say how many attempts were made. It returns ctx's
// error, wrapped, when ctx is done before the delay ends.
func (p *Policy) Backoff(ctx context.Context, ep string, failures int, err error) error {
	if failures > p.maxRetries {
		return &retriesExhausted{attempts: failures, err: err}
	}
	d := p.delay(failures - 1)
	p.log.LogAttrs(ctx, slog.LevelWarn, p.name+" request failed, retrying",
		slog.String("endpoint", ep), slog.Int("attempt", failures), slog.Duration("delay", d), slog.String("error", err.Error()))
	if err := p.sleep(ctx, d); err != nil {
		return fmt.Errorf("%s: %s: %w", p.name, ep, err)
	}
	return nil
}

// delay returns the delay before retry number n (0 for the first retry).
func (p *Policy) delay(n int) time.Duration {
	ceiling := backoffCap
	if n < 6 { // 1s<<6 already exceeds the cap
		ceiling = min(backoffBase<<n, backoffCap)
	}
	return p.jitter(ceiling)
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
