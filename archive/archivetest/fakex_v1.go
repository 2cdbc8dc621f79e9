package archivetest

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/verbatim-archive/verbatim/archive"
)

// Endpoint names of the fake's X API v1.1, for SetRateLimit and FakeXRequest.
const (
	FakeXV1UserTimeline = "GET /1.1/statuses/user_timeline.json"
	FakeXV1Lookup       = "GET /1.1/statuses/lookup.json"
	FakeXV1UserShow     = "GET /1.1/users/show.json"
)

// FakeXV1ConsumerKey is the OAuth 1.0a consumer key the fake's v1.1
// endpoints accept unless FakeX.V1ConsumerKey says otherwise.
const FakeXV1ConsumerKey = "test-consumer-key"

// fxV1Time is the created_at format of v1.1.
const fxV1Time = "Mon Jan 02 15:04:05 -0700 2006"

// fxV1CompatLen is how many characters of a longer post the v1.1
// compatibility mode keeps: with "… " and a 23-character t.co link to the
// whole post the text comes to 140, as X sends it.
const fxV1CompatLen = 115

// Error bodies of v1.1, as X sends them.
var (
	fxV1BadAuth     = fxV1Error(215, "Bad Authentication data.")
	fxV1BadToken    = fxV1Error(89, "Invalid or expired token.")
	fxV1RateLimited = fxV1Error(88, "Rate limit exceeded")
	fxV1NoPage      = fxV1Error(34, "Sorry, that page does not exist.")
	fxV1NoUser      = fxV1Error(50, "User not found.")
	fxV1Suspended   = fxV1Error(63, "User has been suspended.")
	fxV1Protected   = fxV1Error(179, "Sorry, you are not authorized to see this status.")
	fxV1Malformed   = []byte(`[{"created_at":"Tue Feb 10 18:00:00 +0000 2026","id":1,"id_str":"1" "full_text":"a page that is not JSON"}]`)
)

// registerV1 adds the v1.1 endpoints to the fake's mux: GET
// /1.1/statuses/user_timeline.json, /1.1/statuses/lookup.json and
// /1.1/users/show.json, serving the same accounts and posts as the v2
// endpoints in v1.1's shapes. Requests must carry an OAuth 1.0a
// Authorization header whose oauth_consumer_key is V1ConsumerKey; the
// signature is required but not verified. Faults queued with FailNext and
// the like apply by path prefix ("/1.1/" for these alone), with v1.1 error
// bodies; rate limits are kept per endpoint as for v2, 900 requests a
// window each, as X allows a user token.
func (f *FakeX) registerV1(mux *http.ServeMux) {
	if f.V1ConsumerKey == "" {
		f.V1ConsumerKey = FakeXV1ConsumerKey
	}
	for _, ep := range []string{FakeXV1UserTimeline, FakeXV1Lookup, FakeXV1UserShow} {
		f.limits[ep] = 900
	}
	mux.HandleFunc("GET /1.1/statuses/user_timeline.json", f.handle(fxV1, FakeXV1UserTimeline, f.serveV1Timeline))
	mux.HandleFunc("GET /1.1/statuses/lookup.json", f.handle(fxV1, FakeXV1Lookup, f.serveV1Lookup))
	mux.HandleFunc("GET /1.1/users/show.json", f.handle(fxV1, FakeXV1UserShow, f.serveV1UserShow))
	mux.HandleFunc("/1.1/", f.handle(fxV1, "", func(*http.Request) (int, []byte) {
		return http.StatusNotFound, fxV1NoPage
	}))
}

// fxV1 is the X API v1.1: OAuth 1.0a, JSON error bodies for everything.
var fxV1 = &fxAPI{
	credential:  func(f *FakeX) string { return f.V1ConsumerKey },
	authorize:   fxV1Authorize,
	accessLevel: "read",
	okType:      "application/json;charset=utf-8",
	errType:     "application/json;charset=utf-8",
	rateLimited: fxV1RateLimited,
	usageCapped: fxV1RateLimited,
	malformed:   fxV1Malformed,
	failed:      fxV1FaultBody,
}

// fxV1Authorize accepts a request whose OAuth 1.0a Authorization header
// names key as its consumer key, and refuses the rest as X does: a 400 for
// a missing or malformed header, a 401 for another key.
func fxV1Authorize(r *http.Request, key string) (int, []byte, bool) {
	oauth, ok := fxParseOAuth(r.Header.Get("Authorization"))
	if !ok {
		return http.StatusBadRequest, fxV1BadAuth, false
	}
	if key == "" || oauth["oauth_consumer_key"] != key {
		return http.StatusUnauthorized, fxV1BadToken, false
	}
	return 0, nil, true
}

// fxParseOAuth parses an OAuth 1.0a Authorization header and reports
// whether it is one: the "OAuth" scheme with at least a consumer key, a
// signature, its method, a timestamp and a nonce.
func fxParseOAuth(header string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(header, "OAuth ")
	if !ok {
		return nil, false
	}
	params := make(map[string]string)
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			return nil, false
		}
		params[k] = v
	}
	for _, k := range []string{"oauth_consumer_key", "oauth_signature", "oauth_signature_method", "oauth_timestamp", "oauth_nonce"} {
		if params[k] == "" {
			return nil, false
		}
	}
	return params, true
}

// fxV1Error is a v1.1 error body.
func fxV1Error(code int, message string) []byte {
	return fxEncode(map[string]any{"errors": []any{map[string]any{"message": message, "code": code}}})
}

// fxV1FaultBody is the v1.1 body of a failed request with status.
func fxV1FaultBody(status int) []byte {
	switch {
	case status == http.StatusUnauthorized:
		return fxV1Error(32, "Could not authenticate you.")
	case status == http.StatusForbidden:
		return fxV1Error(453, "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you may need a different access level. You can learn more here: https://developer.x.com/en/portal/product")
	case status == http.StatusTooManyRequests:
		return fxV1RateLimited
	case status == http.StatusServiceUnavailable:
		return fxV1Error(130, "Over capacity")
	case status >= 500:
		return fxV1Error(131, "Internal error")
	}
	return fxV1Error(0, http.StatusText(status))
}

// fxV1Invalid is X's 400 body for an invalid parameter.
func fxV1Invalid(param string) (int, []byte) {
	return http.StatusBadRequest, fxV1Error(44, param+" parameter is invalid.")
}

// v1.1 shapes.

type fxV1Status struct {
	CreatedAt            string           `json:"created_at"`
	ID                   int64            `json:"id"`
	IDStr                string           `json:"id_str"`
	FullText             *string          `json:"full_text,omitempty"`
	Text                 *string          `json:"text,omitempty"`
	Truncated            bool             `json:"truncated"`
	DisplayTextRange     []int            `json:"display_text_range,omitempty"`
	Entities             fxV1Entities     `json:"entities"`
	ExtendedEntities     *fxV1ExtEntities `json:"extended_entities,omitempty"`
	Source               string           `json:"source"`
	InReplyToStatusID    any              `json:"in_reply_to_status_id"`
	InReplyToStatusIDStr any              `json:"in_reply_to_status_id_str"`
	InReplyToUserID      any              `json:"in_reply_to_user_id"`
	InReplyToUserIDStr   any              `json:"in_reply_to_user_id_str"`
	InReplyToScreenName  any              `json:"in_reply_to_screen_name"`
	User                 fxV1User         `json:"user"`
	Geo                  any              `json:"geo"`
	Coordinates          any              `json:"coordinates"`
	Place                any              `json:"place"`
	Contributors         any              `json:"contributors"`
	IsQuoteStatus        bool             `json:"is_quote_status"`
	RetweetCount         int              `json:"retweet_count"`
	FavoriteCount        int              `json:"favorite_count"`
	Favorited            bool             `json:"favorited"`
	Retweeted            bool             `json:"retweeted"`
	PossiblySensitive    *bool            `json:"possibly_sensitive,omitempty"`
	Lang                 string           `json:"lang"`
}

type fxV1Entities struct {
	Hashtags     []any         `json:"hashtags"`
	Symbols      []any         `json:"symbols"`
	UserMentions []any         `json:"user_mentions"`
	URLs         []fxV1URL     `json:"urls"`
	Media        []fxV1MediaEn `json:"media,omitempty"`
}

type fxV1ExtEntities struct {
	Media []fxV1MediaEn `json:"media"`
}

type fxV1URL struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	Indices     [2]int `json:"indices"`
}

type fxV1MediaEn struct {
	ID            int64              `json:"id"`
	IDStr         string             `json:"id_str"`
	Indices       [2]int             `json:"indices"`
	MediaURL      string             `json:"media_url"`
	MediaURLHttps string             `json:"media_url_https"`
	URL           string             `json:"url"`
	DisplayURL    string             `json:"display_url"`
	ExpandedURL   string             `json:"expanded_url"`
	Type          string             `json:"type"`
	Sizes         map[string]fxV1Dim `json:"sizes"`
}

type fxV1Dim struct {
	W      int    `json:"w"`
	H      int    `json:"h"`
	Resize string `json:"resize"`
}

type fxV1User struct {
	ID                   int64  `json:"id"`
	IDStr                string `json:"id_str"`
	Name                 string `json:"name"`
	ScreenName           string `json:"screen_name"`
	Location             string `json:"location"`
	Description          string `json:"description"`
	URL                  any    `json:"url"`
	Protected            bool   `json:"protected"`
	FollowersCount       int    `json:"followers_count"`
	FriendsCount         int    `json:"friends_count"`
	ListedCount          int    `json:"listed_count"`
	CreatedAt            string `json:"created_at"`
	FavouritesCount      int    `json:"favourites_count"`
	Verified             bool   `json:"verified"`
	StatusesCount        int    `json:"statuses_count"`
	ProfileImageURLHttps string `json:"profile_image_url_https"`
	DefaultProfileImage  bool   `json:"default_profile_image"`
}

var fxV1Sizes = map[string]fxV1Dim{
	"thumb":  {150, 150, "crop"},
	"small":  {680, 383, "fit"},
	"medium": {1200, 675, "fit"},
	"large":  {2048, 1152, "fit"},
}

// renderV1User renders an account as v1.1 does. f.mu is held.
func (f *FakeX) renderV1User(u *fxUser) fxV1User {
	n, _ := strconv.ParseInt(u.id, 10, 64)
	created := time.Date(2009, 3, 2, 18, 0, 0, 0, time.UTC)
	if at, ok := archive.SnowflakeTime(u.id); ok {
		created = at.Truncate(time.Second)
	}
	statuses := len(f.timeline[u.id])
	for _, r := range f.ranges[u.id] {
		statuses += r.n
	}
	return fxV1User{
		ID: n, IDStr: u.id, Name: u.name, ScreenName: u.username, Protected: u.protected,
		FollowersCount: int(n % 100003), FriendsCount: int(n % 1009), ListedCount: int(n % 307),
		CreatedAt: created.Format(fxV1Time), FavouritesCount: int(n % 503), StatusesCount: statuses,
		ProfileImageURLHttps: "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
		DefaultProfileImage:  true,
	}
}

// renderV1Status renders a post version as v1.1 does: with full_text and
// display_text_range in extended mode, and otherwise with text cut to 140
// characters and a link to the whole post when it is longer. f.mu is held.
func (f *FakeX) renderV1Status(p *fxPost, extended bool) fxV1Status {
	u := f.users[p.author]
	metrics := fxMetrics(p.id)
	out := fxV1Status{
		CreatedAt:     p.at.UTC().Format(fxV1Time),
		ID:            p.id,
		IDStr:         strconv.FormatInt(p.id, 10),
		Entities:      fxV1Entities{Hashtags: []any{}, Symbols: []any{}, UserMentions: []any{}, URLs: []fxV1URL{}},
		Source:        `<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>`,
		User:          f.renderV1User(u),
		RetweetCount:  metrics.RetweetCount,
		FavoriteCount: metrics.LikeCount,
		Lang:          "en",
	}
	length := utf8.RuneCountInString(p.text)
	link := f.mediaLink[p.id]
	display := length
	linkAt := -1
	if link != "" {
		if i := strings.LastIndex(p.text, link); i >= 0 {
			linkAt = utf8.RuneCountInString(p.text[:i])
			display = utf8.RuneCountInString(strings.TrimRight(p.text[:i], " "))
		}
	}
	var media []fxV1MediaEn
	for i, m := range p.media {
		n, _ := strconv.ParseInt(strings.TrimPrefix(m.key, "3_"), 10, 64)
		expanded, display := fxPhotoURLs(u.username, p.id, i, link)
		me := fxV1MediaEn{
			ID: n, IDStr: strconv.FormatInt(n, 10), MediaURL: strings.Replace(m.url, "https://", "http://", 1), MediaURLHttps: m.url,
			URL: link, DisplayURL: display, ExpandedURL: expanded, Type: "photo", Sizes: fxV1Sizes,
		}
		if linkAt >= 0 {
			me.Indices = [2]int{linkAt, linkAt + utf8.RuneCountInString(link)}
		}
		media = append(media, me)
	}

	if !extended && length > 140 {
		runes := []rune(p.text)
		short := "https://t.co/" + fxSlug(p.id^0x5bd1e995)
		prefix := strings.TrimRight(string(runes[:fxV1CompatLen]), " ")
		text := fxEscape(prefix) + "… " + short
		start := utf8.RuneCountInString(prefix) + 2 // indices count the unescaped text
		out.Text, out.Truncated = &text, true
		id := strconv.FormatInt(p.id, 10)
		out.Entities.URLs = []fxV1URL{{
			URL: short, ExpandedURL: "https://twitter.com/i/web/status/" + id,
			DisplayURL: "twitter.com/i/web/status/" + id[:1] + "…", Indices: [2]int{start, start + utf8.RuneCountInString(short)},
		}}
		return out
	}
	text := fxEscape(p.text)
	if extended {
		out.FullText = &text
		out.DisplayTextRange = []int{0, display}
	} else {
		out.Text = &text
	}
	if len(media) > 0 {
		sensitive := false
		out.PossiblySensitive = &sensitive
		out.Entities.Media = media[:1]
		out.ExtendedEntities = &fxV1ExtEntities{Media: media}
	}
	return out
}

// v1User finds the account a request names by user_id or screen_name.
// f.mu is held.
func (f *FakeX) v1User(q url.Values) (*fxUser, bool) {
	if id := q.Get("user_id"); id != "" {
		u, ok := f.users[id]
		return u, ok
	}
	return f.userNamed(q.Get("screen_name"))
}

// serveV1UserShow answers GET /1.1/users/show.json.
func (f *FakeX) serveV1UserShow(r *http.Request) (int, []byte) {
	q := r.URL.Query()
	if q.Get("user_id") == "" && q.Get("screen_name") == "" {
		return fxV1Invalid("screen_name")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.v1User(q)
	switch {
	case !ok:
		return http.StatusNotFound, fxV1NoUser
	case u.suspended:
		return http.StatusForbidden, fxV1Suspended
	}
	return http.StatusOK, fxEncode(f.renderV1User(u))
}

// serveV1Timeline answers GET /1.1/statuses/user_timeline.json: the
// newest count (20 unless said, at most 200) visible posts with ids above
// since_id and at most max_id.
func (f *FakeX) serveV1Timeline(r *http.Request) (int, []byte) {
	q := r.URL.Query()
	if q.Get("user_id") == "" && q.Get("screen_name") == "" {
		return fxV1Invalid("screen_name")
	}
	count := 20
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fxV1Invalid("count")
		}
		count = min(max(n, 1), 200)
	}
	var sinceID int64
	below := int64(math.MaxInt64)
	for _, p := range []string{"since_id", "max_id"} {
		s := q.Get(p)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return fxV1Invalid(p)
		}
		if p == "since_id" {
			sinceID = n
		} else if n < math.MaxInt64 {
			below = n + 1 // max_id is inclusive
		}
	}
	extended := q.Get("tweet_mode") == "extended"

	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.v1User(q)
	switch {
	case !ok:
		return http.StatusNotFound, fxV1NoPage
	case u.suspended:
		return http.StatusForbidden, fxV1Suspended
	case u.protected:
		return http.StatusUnauthorized, fxV1Protected
	}
	above := f.timelineFloor(u.id, sinceID, 0)
	statuses := []fxV1Status{}
	f.eachVisible(u.id, below, above, func(id int64) bool {
		p, _ := f.lookup(id)
		statuses = append(statuses, f.renderV1Status(p, extended))
		return len(statuses) < count
	})
	return http.StatusOK, fxEncode(statuses)
}

// serveV1Lookup answers GET /1.1/statuses/lookup.json?id=: with map=true
// an object {"id": {"<id>": status or null}} in request order, where null
// stands for a post that is deleted, unknown, or by a protected or
// suspended account; otherwise an array of the posts found.
func (f *FakeX) serveV1Lookup(r *http.Request) (int, []byte) {
	q := r.URL.Query()
	var ids []string
	seen := make(map[string]bool)
	for _, id := range strings.Split(q.Get("id"), ",") {
		if id = strings.TrimSpace(id); id == "" || seen[id] {
			continue
		}
		if !fxDigits(id) {
			return fxV1Invalid("id")
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 || len(ids) > 100 {
		return fxV1Invalid("id")
	}
	extended := q.Get("tweet_mode") == "extended"
	asMap := q.Get("map") == "true"

	f.mu.Lock()
	defer f.mu.Unlock()
	var b bytes.Buffer
	if asMap {
		b.WriteString(`{"id":{`)
	} else {
		b.WriteString(`[`)
	}
	first := true
	for _, id := range ids {
		n, _ := strconv.ParseInt(id, 10, 64)
		p, found, allowed := f.lookupShown(n)
		ok := found && allowed
		if !ok && !asMap {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		if asMap {
			fmt.Fprintf(&b, "%q:", id)
		}
		if ok {
			b.Write(fxEncode(f.renderV1Status(p, extended)))
		} else {
			b.WriteString("null")
		}
	}
	if asMap {
		b.WriteString(`}}`)
	} else {
		b.WriteString(`]`)
	}
	return http.StatusOK, b.Bytes()
}
