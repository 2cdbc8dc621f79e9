package xapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors of the account endpoints. A *UserError wraps one of them,
// so errors.Is(err, ErrUserSuspended) and the like tell the cases apart.
var (
	// ErrUserNotFound means X knows no account by that username or id.
	ErrUserNotFound = errors.New("user not found")
	// ErrUserSuspended means the account is suspended.
	ErrUserSuspended = errors.New("user suspended")
	// ErrProtected means the account's posts are protected and the token may
	// not read them.
	ErrProtected = errors.New("user's posts are protected")
	// ErrRepeatedNextToken means a timeline returned a next_token it had
	// already returned, which would page forever.
	ErrRepeatedNextToken = errors.New("next_token repeated")
	// ErrNoToken means the client was built without a bearer token.
	ErrNoToken = errors.New("no bearer token: set VERBATIM_X_BEARER_TOKEN")
)

// UserError is an account that cannot be read: X answered with a partial
// error naming the user instead of data. It wraps ErrUserNotFound,
// ErrUserSuspended or ErrProtected.
type UserError struct {
	User   string // the username or id that was asked for
	Title  string // the error's title, such as "Forbidden"
	Detail string // the error's detail, such as "User has been suspended: [x]."
	Err    error  // ErrUserNotFound, ErrUserSuspended or ErrProtected
	Body   []byte // the raw response body, kept as evidence
}

// Error describes the error in one line.
func (e *UserError) Error() string {
	msg := fmt.Sprintf("x api: user %s: %v", e.User, e.Err)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the sentinel error.
func (e *UserError) Unwrap() error { return e.Err }

// AuthError is a 401 or 403 response: the token is wrong, revoked, or not
// allowed to use the endpoint. Requests that fail this way are not retried.
type AuthError struct {
	Status   int
	Title    string
	Detail   string
	Endpoint string
}

// Error describes the error in one line and says what to check.
func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "x api: %d", e.Status)
	title := e.Title
	if title == "" {
		title = http.StatusText(e.Status)
	}
	if title != "" {
		b.WriteString(" " + title)
	}
	if e.Detail != "" && e.Detail != title {
		b.WriteString(": " + e.Detail)
	}
	if e.Status == http.StatusForbidden {
		b.WriteString(": check the app's access level and VERBATIM_X_BEARER_TOKEN")
	} else {
		b.WriteString(": check VERBATIM_X_BEARER_TOKEN")
	}
	return b.String()
}

// RateLimitError means an endpoint's rate limit is spent and its window
// resets later than the client is willing to wait (MaxWait), or a request
// was refused with 429 again after waiting once.
type RateLimitError struct {
	Endpoint string
	Reset    time.Time // zero when the response did not say
}

// Error describes the error in one line.
func (e *RateLimitError) Error() string {
	if e.Reset.IsZero() {
		return fmt.Sprintf("x api: %s: rate limited", e.Endpoint)
	}
	return fmt.Sprintf("x api: %s: rate limited until %s", e.Endpoint, e.Reset.UTC().Format(time.RFC3339))
}

// UsageCapError is a 429 whose body is the v2 UsageCapExceeded problem: the
// app's post cap for the period is spent, and no request will succeed until
// it resets. It is returned at once, without retrying.
type UsageCapError struct {
	Endpoint string
	// Reset is the x-rate-limit-reset of the response, the earliest time a
	// request may succeed; the cap itself may last until the end of Period.
	// It is zero when the response did not say.
	Reset  time.Time
	Period string // "Monthly", as the body says
	Scope  string // "Product", as the body says
	Detail string
}

// Error describes the error in one line.
func (e *UsageCapError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "x api: %s: usage cap exceeded", e.Endpoint)
	if e.Period != "" || e.Scope != "" {
		fmt.Fprintf(&b, " (%s)", strings.TrimSpace(e.Period+" "+e.Scope))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if !e.Reset.IsZero() {
		fmt.Fprintf(&b, "; retry after %s", e.Reset.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// StatusError is a response with an unexpected HTTP status: a 5xx that
// persisted through every retry, or a 4xx other than 401, 403 and 429.
type StatusError struct {
	Endpoint string
	Status   int
	Problem  *ProblemError // the problem body, or nil when there was none
}

// Error describes the error in one line.
func (e *StatusError) Error() string {
	text := http.StatusText(e.Status)
	var b strings.Builder
	fmt.Fprintf(&b, "x api: %s: %d %s", e.Endpoint, e.Status, text)
	if p := e.Problem; p != nil {
		seen := map[string]bool{"": true, text: true}
		for _, s := range []string{p.Title, p.Detail} {
			if !seen[s] {
				seen[s] = true
				b.WriteString(": " + s)
			}
		}
		if len(p.Errors) > 0 {
			if s := p.Errors[0].Error(); !seen[s] {
				b.WriteString(": " + s)
			}
		}
	}
	return b.String()
}

// Unwrap returns the problem body, if any.
func (e *StatusError) Unwrap() error {
	if e.Problem == nil {
		return nil
	}
	return e.Problem
}

// retriesExhausted wraps the last error of a request that failed on every
// attempt.
type retriesExhausted struct {
	attempts int
	err      error
}

func (e *retriesExhausted) Error() string {
	if e.attempts == 1 {
		return fmt.Sprintf("%v (gave up after 1 attempt)", e.err)
	}
	return fmt.Sprintf("%v (gave up after %d attempts)", e.err, e.attempts)
}

func (e *retriesExhausted) Unwrap() error { return e.err }
