package xapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// Problem types of the v2 partial errors the client interprets.
const (
	problemNotFound      = "https://api.twitter.com/2/problems/resource-not-found"
	problemNotAuthorized = "https://api.twitter.com/2/problems/not-authorized-for-resource"
)

// maxIDs is the most ids GET /2/tweets takes at once, and maxResults the
// largest timeline page.
const (
	maxIDs     = 100
	maxResults = 100
)

// UserByUsername looks up an account by its handle (with or without "@").
// An unknown account returns a *UserError wrapping ErrUserNotFound, a
// suspended one ErrUserSuspended. A protected account is returned together
// with a *UserError wrapping ErrProtected, since its posts cannot be read.
func (c *Client) UserByUsername(ctx context.Context, username string) (archive.Account, error) {
	name := archive.NormalizeHandleCase(username)
	if name == "" || strings.ContainsAny(name, "/?#% ") {
		return archive.Account{}, fmt.Errorf("x api: user by username: invalid username %q", username)
	}
	q := url.Values{}
	q.Set("user.fields", userFields)
	raw, page, err := c.get(ctx, EndpointUserByUsername, "/2/users/by/username/"+url.PathEscape(name), q)
	if err != nil {
		return archive.Account{}, err
	}
	if len(page.Users) == 0 {
		if uerr := c.userError(name, raw, page.Errors); uerr != nil {
			return archive.Account{}, uerr
		}
		if len(page.Errors) > 0 {
			return archive.Account{}, fmt.Errorf("x api: %s: user %s: %s", EndpointUserByUsername, name, c.clean(page.Errors[0].Error()))
		}
		return archive.Account{}, fmt.Errorf("x api: %s: user %s: response has no user", EndpointUserByUsername, name)
	}
	acct := page.Users[0]
	var flags struct {
		Data struct {
			Protected bool `json:"protected"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &flags); err == nil && flags.Data.Protected {
		return acct, &UserError{User: name, Err: ErrProtected, Body: raw}
	}
	return acct, nil
}

// TimelineOptions bound a walk of a user's timeline.
type TimelineOptions struct {
	// SinceID, when set, asks only for posts newer than this id.
	SinceID string
	// StartTime, when set, asks only for posts made at or after it.
	StartTime time.Time
	// MaxPages stops the walk after this many pages; 0 means no limit.
	MaxPages int
}

// UserTweets walks the timeline of the account with id userID, newest
// first, 100 posts a page, and calls fn with each page's exact body (for the
// caller to keep as evidence) and its decoded form.
//
// The walk ends without error when a page has no next_token or after
// opt.MaxPages pages. When fn returns an error the walk stops and returns it
// unchanged. When X repeats a next_token it gave before, the page that
// carried it is still passed to fn, and the walk stops with an error that
// wraps ErrRepeatedNextToken, so that a scheduler records the anomaly rather
// than paging forever. A protected, suspended or unknown account returns a
// *UserError before fn is called.
func (c *Client) UserTweets(ctx context.Context, userID string, opt TimelineOptions, fn func(raw []byte, page *Page) error) error {
	if !isDigits(userID) {
		return fmt.Errorf("x api: user tweets: invalid user id %q", userID)
	}
	if opt.SinceID != "" && !isDigits(opt.SinceID) {
		return fmt.Errorf("x api: user tweets: invalid since id %q", opt.SinceID)
	}
	q := fields()
	q.Set("max_results", strconv.Itoa(maxResults))
	if opt.SinceID != "" {
		q.Set("since_id", opt.SinceID)
	}
	if !opt.StartTime.IsZero() {
		q.Set("start_time", opt.StartTime.UTC().Format(time.RFC3339))
	}
	path := "/2/users/" + userID + "/tweets"
	seen := make(map[string]bool)
	for pages := 1; ; pages++ {
		raw, page, err := c.get(ctx, EndpointUserTweets, path, q)
		if err != nil {
			return err
		}
		if len(page.Posts) == 0 {
			if uerr := c.userError(userID, raw, page.Errors); uerr != nil {
				return uerr
			}
		}
		if err := fn(raw, page); err != nil {
			return err
		}
		next := page.Meta.NextToken
		if next == "" || (opt.MaxPages > 0 && pages >= opt.MaxPages) {
			return nil
		}
		if seen[next] {
			return fmt.Errorf("x api: %s: user %s: next_token %q came back after %d pages: %w",
				EndpointUserTweets, userID, next, pages, ErrRepeatedNextToken)
		}
		seen[next] = true
		q.Set("pagination_token", next)
	}
}

// Tweets looks up posts by id, 100 ids a request, and calls fn with each
// response's exact body and its decoded form. Posts that are gone or hidden
// come back as partial errors in page.Errors: "Not Found Error" for a
// deleted post, "Authorization Error" for a protected or suspended
// author's. Repeated ids are asked for once. When fn returns an error the
// lookup stops and returns it unchanged.
func (c *Client) Tweets(ctx context.Context, ids []string, fn func(raw []byte, page *Page) error) error {
	var unique []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !isDigits(id) {
			return fmt.Errorf("x api: tweets: invalid id %q", id)
		}
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	for start := 0; start < len(unique); start += maxIDs {
		batch := unique[start:min(start+maxIDs, len(unique))]
		q := fields()
		q.Set("ids", strings.Join(batch, ","))
		raw, page, err := c.get(ctx, EndpointTweets, "/2/tweets", q)
		if err != nil {
			return err
		}
		if err := fn(raw, page); err != nil {
			return err
		}
	}
	return nil
}

// userError turns the partial error that a user endpoint returns in place
// of data into a *UserError, or returns nil when none names a user.
func (c *Client) userError(user string, raw []byte, errs []APIError) *UserError {
	for _, e := range errs {
		if e.ResourceType != "user" {
			continue
		}
		if e.Parameter != "id" && e.Parameter != "username" && e.Parameter != "" {
			continue // a mentioned or pinned user, not the one asked for
		}
		if e.Value != "" && !strings.EqualFold(e.Value, user) && !strings.EqualFold(e.ResourceID, user) {
			continue
		}
		uerr := &UserError{User: user, Title: c.clean(e.Title), Detail: c.clean(e.Detail), Body: bytes.Clone(raw)}
		switch {
		case strings.Contains(strings.ToLower(e.Detail), "suspended") || e.Title == "Forbidden":
			uerr.Err = ErrUserSuspended
		case e.Type == problemNotAuthorized || e.Title == "Authorization Error":
			uerr.Err = ErrProtected
		case e.Type == problemNotFound || e.Title == "Not Found Error":
			uerr.Err = ErrUserNotFound
		default:
			continue
		}
		return uerr
	}
	return nil
}
