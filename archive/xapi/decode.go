// Package xapi reads the X API v2: it decodes response bodies into archive
// types, keeping every id as the exact digit string the API sent. Its Policy,
// the retry and rate-limit policy of the v2 client, serves the v1.1 client
// (archive/xv1) too.
package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/verbatim-archive/verbatim/archive"
)

// Page is one decoded X API v2 response body.
type Page struct {
	Posts    []archive.Post    // posts in data, in response order
	Included []archive.Post    // posts in includes.tweets (referenced posts, other versions)
	Users    []archive.Account // users in data, then in includes.users, each id once
	Meta     Meta
	Errors   []APIError // partial errors: deleted, suspended or protected resources
}

// Meta is the meta object of a v2 list response.
type Meta struct {
	ResultCount int
	NewestID    string
	OldestID    string
	NextToken   string
}

// APIError is one entry of a v2 errors array. Alongside a page it is a
// partial error (a post that was deleted or is protected); inside a
// ProblemError it explains why the whole request failed.
type APIError struct {
	Title        string
	Detail       string
	Type         string
	ResourceType string
	ResourceID   string
	Parameter    string
	Value        string
	Status       int
	Message      string // set by older, v1.1-style error entries and invalid-request details
	Code         int    // v1.1-style error code, when given
}

// Error returns the error's detail, or its title or message when it has none.
func (e *APIError) Error() string {
	var parts []string
	if e.Title != "" {
		parts = append(parts, e.Title)
	}
	switch {
	case e.Detail != "" && e.Detail != e.Title:
		parts = append(parts, e.Detail)
	case e.Message != "":
		parts = append(parts, e.Message)
	}
	if e.Code != 0 {
		parts = append(parts, "code "+strconv.Itoa(e.Code))
	}
	if len(parts) == 0 {
		return "x api error"
	}
	return strings.Join(parts, ": ")
}

// ProblemError is a response that failed as a whole (401, 403, 429 and the
// like): an RFC 7807 problem body with no data. Status is 0 when the body
// does not carry one (the usage-capped 429 body does not); Errors holds the
// details of an invalid request, if any.
type ProblemError struct {
	Title  string
	Detail string
	Type   string
	Status int
	Errors []APIError
}

// Error describes the problem in one line.
func (e *ProblemError) Error() string {
	var b strings.Builder
	b.WriteString("x api problem")
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Title != "" {
		b.WriteString(": ")
		b.WriteString(e.Title)
	}
	if e.Detail != "" && e.Detail != e.Title {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Type != "" && e.Type != "about:blank" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	if len(e.Errors) > 0 && e.Detail == "" && e.Title == "" {
		b.WriteString(": ")
		b.WriteString(e.Errors[0].Error())
	}
	return b.String()
}

// DecodePage decodes one X API v2 response body: a list page (data is an
// array), a single post or user (data is an object), a page of partial
// errors, or a problem body. A problem body returns a *ProblemError. Unknown
// keys, such as the __twarc key that archiving tools add, are ignored.
func DecodePage(data []byte) (*Page, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("decode page: empty body")
	}
	if trimmed[0] != '{' && json.Valid(trimmed) {
		return nil, errors.New("decode page: body is not a JSON object")
	}
	var raw rawPage
	var entries []json.RawMessage
	var single bool
	var decoded []rawEntry
	list := listPages.Get().(*listPage)
	defer listPages.Put(list)
	// Unmarshal appends to Data without zeroing what the last page left.
	clear(list.Data[:cap(list.Data)])
	*list = listPage{Data: list.Data[:0]}
	if json.Unmarshal(trimmed, list) == nil && len(list.Data) > 0 {
		raw.rawRest, decoded = list.rawRest, list.Data
	} else {
		// Anything else (one object, no data, a problem, an error) the
		// long way, which names the entry at fault.
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fmt.Errorf("decode page: %w", describeJSONError(err, len(data)-len(bytes.TrimLeft(data, " \t\r\n"))))
		}
		if p := raw.problem(); p != nil {
			return nil, p
		}
		var err error
		if entries, single, err = splitData(raw.Data); err != nil {
			return nil, fmt.Errorf("decode page: %w", err)
		}
	}

	page := &Page{
		Meta: Meta{
			ResultCount: int(raw.Meta.ResultCount),
			NewestID:    string(raw.Meta.NewestID),
			OldestID:    string(raw.Meta.OldestID),
			NextToken:   raw.Meta.NextToken,
		},
	}
	for _, e := range raw.Errors {
		page.Errors = append(page.Errors, e.apiError())
	}

	// Each post's place in the body, for errors.
	where := func(i int) string {
		if single {
			return "data"
		}
		return fmt.Sprintf("data[%d]", i)
	}
	type tweetAt struct {
		t *rawTweet
		i int
	}
	// The entries: decoded already (a list page), or raw, one by one.
	n := len(entries)
	if decoded != nil {
		n = len(decoded)
	}
	tweets := make([]tweetAt, 0, n)
	seenUser := make(map[string]bool)
	addUser := func(u rawUser, where string) error {
		if u.ID == "" {
			return fmt.Errorf("%s: missing id", where)
		}
		if seenUser[string(u.ID)] {
			return nil
		}
		seenUser[string(u.ID)] = true
		page.Users = append(page.Users, u.account())
		return nil
	}
	for i := range n {
		var e *rawEntry
		if decoded != nil {
			e = &decoded[i]
		} else {
			e = new(rawEntry)
			if err := json.Unmarshal(entries[i], e); err != nil {
				return nil, fmt.Errorf("decode page: %s: %w", where(i), describeJSONError(err, 0))
			}
		}
		if e.isUser() {
			if err := addUser(e.user(), where(i)); err != nil {
				return nil, fmt.Errorf("decode page: %w", err)
			}
			continue
		}
		tweets = append(tweets, tweetAt{&e.rawTweet, i})
	}
	for i, u := range raw.Includes.Users {
		if err := addUser(u, fmt.Sprintf("includes.users[%d]", i)); err != nil {
			return nil, fmt.Errorf("decode page: %w", err)
		}
	}

	users := make(map[string]archive.Account, len(page.Users))
	for _, u := range page.Users {
		users[u.PlatformID] = u
	}
	media := make(map[string]rawMedia, len(raw.Includes.Media))
	for _, m := range raw.Includes.Media {
		if _, ok := media[m.MediaKey]; !ok && m.MediaKey != "" {
			media[m.MediaKey] = m
		}
	}

	if len(tweets) > 0 {
		page.Posts = make([]archive.Post, 0, len(tweets))
	}
	for _, t := range tweets {
		post, err := t.t.post(users, media)
		if err != nil {
			return nil, fmt.Errorf("decode page: %s: %w", where(t.i), err)
		}
		page.Posts = append(page.Posts, post)
	}
	for i := range raw.Includes.Tweets {
		post, err := raw.Includes.Tweets[i].post(users, media)
		if err != nil {
			return nil, fmt.Errorf("decode page: includes.tweets[%d]: %w", i, err)
		}
		page.Included = append(page.Included, post)
	}
	return page, nil
}

// splitData returns the entries of a data member: each element of an array,
// or the object itself (single is then true). Absent or null data has none.
func splitData(data json.RawMessage) (entries []json.RawMessage, single bool, err error) {
	d := bytes.TrimSpace(data)
	if len(d) == 0 || string(d) == "null" {
		return nil, false, nil
	}
	switch d[0] {
	case '[':
		if err := json.Unmarshal(d, &entries); err != nil {
			return nil, false, fmt.Errorf("data: %w", describeJSONError(err, 0))
		}
		return entries, false, nil
	case '{':
		return []json.RawMessage{d}, true, nil
	default:
		return nil, false, errors.New("data: neither an array nor an object")
	}
}

// describeJSONError adds the byte offset to a JSON syntax error (shifted by
// base, the bytes trimmed before decoding) and names truncated input.
func describeJSONError(err error, base int) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		if strings.HasPrefix(syn.Error(), "unexpected end of JSON input") {
			return fmt.Errorf("truncated JSON: %w", err)
		}
		// Offset counts the bytes read, including the offending one.
		return fmt.Errorf("JSON syntax error at byte offset %d: %w", syn.Offset-1+int64(base), err)
	}
	return err
}

// rawPage is the top level of a v2 response body, including the members of
// a problem body.
type rawPage struct {
	Data json.RawMessage `json:"data"`
	rawRest
}

// listPage is a list response decoded in one pass, data and all: the
// common case, which rawPage would read three times (once to split off
// data, once to check its entries, once to decode them).
type listPage struct {
	Data []rawEntry `json:"data"`
	rawRest
}

// listPages keeps listPage values between pages: their entries are large, and a
// page of a hundred would otherwise grow its slice from nothing each time.
var listPages = sync.Pool{New: func() any { return new(listPage) }}

// rawRest is the top level of a v2 response body but its data.
type rawRest struct {
	Includes struct {
		Users  []rawUser  `json:"users"`
		Tweets []rawTweet `json:"tweets"`
		Media  []rawMedia `json:"media"`
	} `json:"includes"`
	Meta struct {
		ResultCount flexInt `json:"result_count"`
		NewestID    jsonID  `json:"newest_id"`
		OldestID    jsonID  `json:"oldest_id"`
		NextToken   string  `json:"next_token"`
	} `json:"meta"`
	Errors []rawError `json:"errors"`

	Title  flexString `json:"title"`
	Detail flexString `json:"detail"`
	Type   flexString `json:"type"`
	Status flexInt    `json:"status"`
}

// problem returns the body as a ProblemError when it failed as a whole: it
// has no data and either names a problem at the top level or carries only
// v1.1-style errors (message and code, no title).
func (r *rawPage) problem() *ProblemError {
	if d := bytes.TrimSpace(r.Data); len(d) > 0 && string(d) != "null" {
		return nil
	}
	p := &ProblemError{
		Title:  string(r.Title),
		Detail: string(r.Detail),
		Type:   string(r.Type),
		Status: int(r.Status),
	}
	for _, e := range r.Errors {
		p.Errors = append(p.Errors, e.apiError())
	}
	if p.Title != "" || p.Type != "" {
		return p
	}
	if len(r.Errors) == 0 || len(r.Includes.Tweets) > 0 || len(r.Includes.Users) > 0 || r.Meta.NextToken != "" {
		return nil
	}
	for _, e := range r.Errors {
		if e.Title != "" || e.Message == "" {
			return nil
		}
	}
	return p
}

// rawError is one entry of an errors array.
type rawError struct {
	Title        flexString `json:"title"`
	Detail       flexString `json:"detail"`
	Type         flexString `json:"type"`
	ResourceType flexString `json:"resource_type"`
	ResourceID   flexString `json:"resource_id"`
	Parameter    flexString `json:"parameter"`
	Value        flexString `json:"value"`
	Status       flexInt    `json:"status"`
	Message      flexString `json:"message"`
	Code         flexInt    `json:"code"`
}

func (e rawError) apiError() APIError {
	return APIError{
		Title:        string(e.Title),
		Detail:       string(e.Detail),
		Type:         string(e.Type),
		ResourceType: string(e.ResourceType),
		ResourceID:   string(e.ResourceID),
		Parameter:    string(e.Parameter),
		Value:        string(e.Value),
		Status:       int(e.Status),
		Message:      string(e.Message),
		Code:         int(e.Code),
	}
}

// rawUser is a v2 user object, in data or in includes.users.
type rawUser struct {
	ID       jsonID     `json:"id"`
	Username flexString `json:"username"`
	Name     flexString `json:"name"`
}

func (u rawUser) account() archive.Account {
	return archive.Account{
		Platform:   archive.PlatformX,
		PlatformID: string(u.ID),
		Handle:     string(u.Username),
		Name:       string(u.Name),
	}
}

// rawEntry is one entry of data, which holds posts or users depending on the
// endpoint; the members present tell which.
type rawEntry struct {
	rawTweet
	Username *flexString `json:"username"`
	Name     flexString  `json:"name"`
}

// isUser reports whether the entry is a user: it has a username and none of
// the members every post has.
func (e *rawEntry) isUser() bool {
	return e.Username != nil && e.Text == nil && e.NoteTweet == nil && e.EditHistory == nil
}

func (e *rawEntry) user() rawUser {
	u := rawUser{ID: e.ID, Name: e.Name}
	if e.Username != nil {
		u.Username = *e.Username
	}
	return u
}

// rawTweet is a v2 post object; only the members Verbatim keeps are listed.
type rawTweet struct {
	ID             jsonID     `json:"id"`
	Text           *string    `json:"text"`
	AuthorID       jsonID     `json:"author_id"`
	CreatedAt      string     `json:"created_at"`
	Lang           flexString `json:"lang"`
	ConversationID jsonID     `json:"conversation_id"`
	EditHistory    []jsonID   `json:"edit_history_tweet_ids"`
	NoteTweet      *struct {
		Text     string      `json:"text"`
		Entities rawEntities `json:"entities"`
	} `json:"note_tweet"`
	ReferencedTweets []struct {
		Type string `json:"type"`
		ID   jsonID `json:"id"`
	} `json:"referenced_tweets"`
	Attachments struct {
		MediaKeys []flexString `json:"media_keys"`
	} `json:"attachments"`
	Entities rawEntities `json:"entities"`
}

// rawEntities holds the url entities of a post, which link media to their
// t.co and pic.twitter.com forms.
type rawEntities struct {
	URLs []struct {
		URL        flexString `json:"url"`
		DisplayURL flexString `json:"display_url"`
		MediaKey   flexString `json:"media_key"`
	} `json:"urls"`
}

// rawMedia is an entry of includes.media.
type rawMedia struct {
	MediaKey        string     `json:"media_key"`
	Type            flexString `json:"type"`
	URL             flexString `json:"url"`
	PreviewImageURL flexString `json:"preview_image_url"`
	AltText         flexString `json:"alt_text"`
	Variants        []struct {
		BitRate     flexInt    `json:"bit_rate"`
		ContentType flexString `json:"content_type"`
		URL         flexString `json:"url"`
	} `json:"variants"`
}

// post maps the raw post to an archive.Post, joining its author and media
// from the page's includes.
func (t *rawTweet) post(users map[string]archive.Account, media map[string]rawMedia) (archive.Post, error) {
	if t.ID == "" {
		return archive.Post{}, errors.New("missing id")
	}
	p := archive.Post{
		Platform:       archive.PlatformX,
		ID:             string(t.ID),
		Lang:           string(t.Lang),
		ConversationID: string(t.ConversationID),
		EditHistory:    uniqueIDs(t.EditHistory),
	}
	if t.CreatedAt != "" {
		at, err := time.Parse(time.RFC3339Nano, t.CreatedAt)
		if err != nil {
			return archive.Post{}, fmt.Errorf("id %s: created_at: %w", t.ID, err)
		}
		p.CreatedAt = at.UTC()
	}
	if t.AuthorID != "" {
		if u, ok := users[string(t.AuthorID)]; ok {
			p.Author = u
		} else {
			p.Author = archive.Account{Platform: archive.PlatformX, PlatformID: string(t.AuthorID)}
		}
	}
	switch {
	case t.NoteTweet != nil && t.NoteTweet.Text != "":
		p.Text = unescapeText(t.NoteTweet.Text)
	case t.Text != nil:
		p.Text = unescapeText(*t.Text)
	}
	for _, ref := range t.ReferencedTweets {
		switch ref.Type {
		case "replied_to":
			p.ReplyToID = string(ref.ID)
		case "quoted":
			p.QuotedID = string(ref.ID)
		case "retweeted":
			p.RetweetedID = string(ref.ID)
		}
	}
	for _, key := range t.Attachments.MediaKeys {
		if key == "" {
			continue
		}
		m := archive.Media{Key: string(key)}
		if inc, ok := media[string(key)]; ok {
			m.Type = string(inc.Type)
			m.URL = string(inc.URL)
			m.PreviewURL = string(inc.PreviewImageURL)
			m.AltText = string(inc.AltText)
			if best := inc.bestVariant(); best != "" {
				m.URL = best
			}
		}
		m.ShortURL, m.DisplayURL = t.mediaLink(string(key))
		p.Media = append(p.Media, m)
	}
	return p, nil
}

// mediaLink returns the t.co and display URLs of the url entity that
// stands in the text for the media with key.
func (t *rawTweet) mediaLink(key string) (short, display string) {
	lists := []rawEntities{t.Entities}
	if t.NoteTweet != nil {
		lists = append(lists, t.NoteTweet.Entities)
	}
	for _, ents := range lists {
		for _, u := range ents.URLs {
			if string(u.MediaKey) == key {
				return string(u.URL), string(u.DisplayURL)
			}
		}
	}
	return "", ""
}

// bestVariant returns the URL of the mp4 variant with the highest bit rate,
// or of the first variant when none is an mp4, or "" when there are none.
func (m *rawMedia) bestVariant() string {
	best, bestRate := "", int64(-1)
	for _, v := range m.Variants {
		if v.ContentType == "video/mp4" && int64(v.BitRate) > bestRate && v.URL != "" {
			best, bestRate = string(v.URL), int64(v.BitRate)
		}
	}
	if best == "" && len(m.Variants) > 0 {
		best = string(m.Variants[0].URL)
	}
	return best
}

// uniqueIDs returns ids without empty or repeated entries, in order.
func uniqueIDs(ids []jsonID) []string {
	var out []string
	seen := make(map[jsonID]bool, len(ids))
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, string(id))
	}
	return out
}

// unescapeText undoes the only HTML escaping X applies to post text (&, <
// and >), so that text reads as it is shown. "&amp;lt;" becomes "&lt;".
func unescapeText(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	s = strings.ReplaceAll(s, "&lt;", "<")
	s = strings.ReplaceAll(s, "&gt;", ">")
	return strings.ReplaceAll(s, "&amp;", "&")
}

// jsonID is an id given as a JSON string or as a JSON integer; either way it
// keeps the exact digits, never passing through float64.
type jsonID string

// UnmarshalJSON accepts a string, an integer literal or null.
func (id *jsonID) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		s, err := jsonString(b)
		if err != nil {
			return err
		}
		*id = jsonID(s)
		return nil
	case len(b) > 0 && isDigits(string(b)):
		*id = jsonID(b)
		return nil
	default:
		return fmt.Errorf("id %.40s is neither a string nor an integer", b)
	}
}

// jsonString decodes a JSON string literal. The common literal, with no
// escapes or control characters and valid UTF-8, is its bytes between the
// quotes; anything else goes through encoding/json.
func jsonString(b []byte) (string, error) {
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' {
		inner := b[1 : n-1]
		plain := true
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// flexInt is a count given as a JSON number or as a string of digits, as
// real payloads vary; anything else decodes as 0 rather than failing.
type flexInt int64

// UnmarshalJSON accepts a number, a numeric string, or anything else as 0.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = jsonString(b); err != nil {
			return err
		}
	}
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -(1<<62) && f <= 1<<62 {
		*n = flexInt(f)
		return nil
	}
	*n = 0
	return nil
}

// flexString is text given as a JSON string; a number or other value keeps
// its JSON text, and null is "".
type flexString string

// UnmarshalJSON accepts a string, null, or any other value as its JSON text.
func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		v, err := jsonString(b)
		if err != nil {
			return err
		}
		*s = flexString(v)
	default:
		*s = flexString(b)
	}
	return nil
}
