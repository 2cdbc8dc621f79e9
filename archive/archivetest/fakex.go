package archivetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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
	"unicode/utf8"
)

// Endpoint names of the fake X API, for SetRateLimit and FakeXRequest.
const (
	FakeXUserByUsername = "GET /2/users/by/username/:username"
	FakeXUserTweets     = "GET /2/users/:id/tweets"
	FakeXTweets         = "GET /2/tweets"
)

// FakeXTimelineCap is how many of an account's newest posts its timeline
// reaches, as on X.
const FakeXTimelineCap = 3200

// fxWindow is the length of a rate-limit window.
const fxWindow = 15 * time.Minute

// fxEpochMillis is the epoch of X's snowflake ids.
const fxEpochMillis = 1288834974657

// Bodies of the problems X returns as a whole response. The 401, 429 and
// usage-capped bodies are those X sends (see shared/fixtures/v2/errors); the
// 403 is the "client-not-enrolled" problem.
const (
	fxBody401       = `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`
	fxBody429       = `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`
	fxBodyUsageCap  = `{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly","scope":"Product"}`
	fxBody403       = `{"client_id":"26834127","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}`
	fxBodyMalformed = `{"data":[{"id":"1","edit_history_tweet_ids":["1"] "text":"a page that is not JSON"}]}`
)

// FakeX is a fake of the X API v2 on loopback, for tests. It serves
// GET /2/users/by/username/{username}, GET /2/users/{id}/tweets and
// GET /2/tweets?ids= from accounts and posts set up through its methods, in
// the shapes X uses: partial errors for deleted posts and for protected,
// suspended or unknown accounts, problem bodies for whole failures, and
// x-rate-limit-* headers on every authorized response, kept per endpoint in
// 15-minute windows of a clock the test drives (SetNow, Advance), so tests
// never sleep for a rate limit. Faults are queued (FailNext and the like)
// and served to the next matching request. It is safe for concurrent use.
//
// Fields follow the request: created_at, author_id, entities and the rest
// appear only when tweet.fields asks for them; includes.users, includes.media
// and includes.tweets (every version of an edited post) only with the
// author_id, attachments.media_keys and edit_history_tweet_ids expansions.
type FakeX struct {
	// Token is the bearer token the fake accepts; set it before the first
	// request. Any other token, or none, gets X's 401 problem.
	Token string
	// V1ConsumerKey is the OAuth 1.0a consumer key the v1.1 endpoints accept
	// (FakeXV1ConsumerKey unless set); see fakex_v1.go.
	V1ConsumerKey string

	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	now       time.Time
	seq       int64
	users     map[string]*fxUser // by id
	byName    map[string]string  // lower-case username → id
	posts     map[int64]*fxPost  // explicit posts, and generated ones once changed
	timeline  map[string][]int64 // user id → ids of explicit posts, ascending
	ranges    map[string][]*fxRange
	nranges   int64
	limits    map[string]int
	windows   map[string]*fxRateWindow
	faults    []fxFault
	ignore    bool
	repeat    bool
	stuck     map[string]bool
	cap       int
	requests  []FakeXRequest
	mediaSeq  int
	mediaLink map[int64]string // post id → the t.co link of its photos
}

// FakeXRequest is a request the fake received.
type FakeXRequest struct {
	Method     string
	Path       string
	Query      url.Values
	Endpoint   string // FakeXUserTweets and the like; "" for unknown paths
	Authorized bool   // whether an Authorization header was present
	UserAgent  string
	At         time.Time // the fake's clock when it arrived
	Status     int       // the status sent; 0 when the client gave up first
}

type fxUser struct {
	id, username, name   string
	protected, suspended bool
}

// fxPost is one version of a post. Versions of one post share a thread.
type fxPost struct {
	id     int64
	author string
	text   string
	at     time.Time
	thread *fxThread
	media  []fxMedia
}

type fxThread struct {
	versions []int64 // oldest first
	deleted  bool
}

type fxMedia struct {
	key, url string
}

// fxRange is a run of generated posts, made on demand so that a timeline of
// thousands of posts costs a few words of memory.
type fxRange struct {
	user  string
	n     int
	start time.Time
	step  time.Duration
	tag   int64 // the low 22 bits of every id in the range
}

func (r *fxRange) at(i int) time.Time {
	return r.start.Add(time.Duration(i) * r.step).Truncate(time.Millisecond)
}

func (r *fxRange) id(i int) int64 { return (r.at(i).UnixMilli()-fxEpochMillis)<<22 | r.tag }

// index returns the position of id in the range, or -1.
func (r *fxRange) index(id int64) int {
	if id&(1<<22-1) != r.tag {
		return -1
	}
	i := sort.Search(r.n, func(i int) bool { return r.id(i) >= id })
	if i < r.n && r.id(i) == id {
		return i
	}
	return -1
}

func (r *fxRange) post(i int, u *fxUser) *fxPost {
	id := r.id(i)
	text := fmt.Sprintf("Update %d of %d from @%s: today we met partners on energy, trade and security, and we will keep working for the American people.",
		i+1, r.n, u.username)
	return &fxPost{id: id, author: r.user, text: text, at: r.at(i), thread: &fxThread{versions: []int64{id}}}
}

type fxRateWindow struct {
	reset time.Time
	used  int
}

type fxFaultKind int

const (
	fxFail fxFaultKind = iota
	fxUsageCap
	fxSlow
	fxTruncate
	fxMalform
)

type fxFault struct {
	kind   fxFaultKind
	status int
	delay  time.Duration
	prefix string
}

// NewFakeX starts a fake X API on loopback, closed when the test ends. Its
// clock stands still at the time it was made until SetNow or Advance moves
// it; its rate limits are those X reported for app-only tokens (300 user
// lookups, 1,500 timeline pages and 300 post lookups per 15 minutes).
func NewFakeX(t testing.TB) *FakeX {
	t.Helper()
	f := StartFakeX()
	f.t = t
	t.Cleanup(f.srv.Close)
	return f
}

// StartFakeX starts a fake X API on loopback outside a test (the demo);
// Close stops it.
func StartFakeX() *FakeX {
	f := &FakeX{
		t:         noTB{},
		Token:     "test-token",
		now:       time.Now().UTC().Truncate(time.Second),
		seq:       1,
		users:     make(map[string]*fxUser),
		byName:    make(map[string]string),
		posts:     make(map[int64]*fxPost),
		timeline:  make(map[string][]int64),
		ranges:    make(map[string][]*fxRange),
		limits:    map[string]int{FakeXUserByUsername: 300, FakeXUserTweets: 1500, FakeXTweets: 300},
		windows:   make(map[string]*fxRateWindow),
		stuck:     make(map[string]bool),
		cap:       FakeXTimelineCap,
		mediaLink: make(map[int64]string),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/users/by/username/{username}", f.handle(fxV2, FakeXUserByUsername, f.serveUser))
	mux.HandleFunc("GET /2/users/{id}/tweets", f.handle(fxV2, FakeXUserTweets, f.serveTimeline))
	mux.HandleFunc("GET /2/tweets", f.handle(fxV2, FakeXTweets, f.serveTweets))
	f.registerV1(mux)
	mux.HandleFunc("/", f.handle(fxV2, "", func(*http.Request) (int, []byte) {
		return http.StatusNotFound, []byte(`{"errors":[{"message":"Sorry, that page does not exist","code":34}]}`)
	}))
	f.srv = httptest.NewServer(mux)
	return f
}

// Close stops the fake's server.
func (f *FakeX) Close() { f.srv.Close() }

// noTB stands in for a test outside tests: misuse panics.
type noTB struct{ testing.TB }

func (noTB) Helper()                           {}
func (noTB) Fatalf(format string, args ...any) { panic("fake x: " + fmt.Sprintf(format, args...)) }

// URL returns the fake's base URL, to give the client in place of
// https://api.x.com.
func (f *FakeX) URL() string { return f.srv.URL }

// Client returns an HTTP client for the fake's server.
func (f *FakeX) Client() *http.Client { return f.srv.Client() }

// Now returns the fake's clock.
func (f *FakeX) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// SetNow sets the fake's clock.
func (f *FakeX) SetNow(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// Advance moves the fake's clock on by d.
func (f *FakeX) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// SetRateLimit sets the requests allowed per 15-minute window of an
// endpoint (FakeXUserTweets and the like).
func (f *FakeX) SetRateLimit(endpoint string, limit int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.limits[endpoint]; !ok {
		f.t.Fatalf("fake x: set rate limit: unknown endpoint %q", endpoint)
	}
	f.limits[endpoint] = limit
}

// SetTimelineCap sets how many of an account's newest posts its timeline
// reaches (FakeXTimelineCap by default).
func (f *FakeX) SetTimelineCap(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cap = n
}

// AddUser adds an account.
func (f *FakeX) AddUser(id, username, name string) {
	f.t.Helper()
	if !fxDigits(id) {
		f.t.Fatalf("fake x: add user: id %q is not a number", id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.users[id]; ok {
		delete(f.byName, strings.ToLower(old.username))
	}
	f.users[id] = &fxUser{id: id, username: username, name: name}
	f.byName[strings.ToLower(username)] = id
}

// Protect makes an account's posts protected: its timeline and lookups of
// its posts return X's "Authorization Error" partial errors.
func (f *FakeX) Protect(userID string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user(userID).protected = true
}

// Suspend suspends an account: looking it up or reading its timeline
// returns X's "Forbidden ... User has been suspended" partial error, and
// lookups of its posts an "Authorization Error".
func (f *FakeX) Suspend(userID string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user(userID).suspended = true
}

// user returns the account with id, failing the test when there is none.
// f.mu is held.
func (f *FakeX) user(id string) *fxUser {
	f.t.Helper()
	u, ok := f.users[id]
	if !ok {
		f.t.Fatalf("fake x: no user with id %s", id)
	}
	return u
}

// userNamed returns the account with username name, in any case.
// f.mu is held.
func (f *FakeX) userNamed(name string) (*fxUser, bool) {
	u, ok := f.users[f.byName[strings.ToLower(name)]]
	return u, ok
}

// newID returns a fresh snowflake for time at: the milliseconds since X's
// epoch above 22 bits of sequence. Explicit posts use sequences below 1<<21;
// generated ones have bit 21 set, so the two never collide. f.mu is held.
func (f *FakeX) newID(at time.Time) int64 {
	ms := at.UnixMilli() - fxEpochMillis
	if ms < 0 {
		f.t.Fatalf("fake x: time %s is before X's epoch", at)
	}
	for {
		id := ms<<22 | f.seq%(1<<21)
		f.seq++
		if _, taken := f.lookup(id); !taken {
			return id
		}
	}
}

// Post adds a post by userID made at at, and returns its id.
func (f *FakeX) Post(userID, text string, at time.Time) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user(userID)
	id := f.newID(at)
	f.insert(&fxPost{id: id, author: userID, text: text, at: at.UTC().Truncate(time.Millisecond), thread: &fxThread{versions: []int64{id}}})
	return strconv.FormatInt(id, 10)
}

// insert stores an explicit post. f.mu is held.
func (f *FakeX) insert(p *fxPost) {
	f.posts[p.id] = p
	ids := f.timeline[p.author]
	i, _ := slices.BinarySearch(ids, p.id)
	f.timeline[p.author] = slices.Insert(ids, i, p.id)
}

// GeneratePosts adds n posts by userID, the first at start and each next
// one step later (step must be at least a millisecond). They are made on
// demand, so thousands cost no more memory than one.
func (f *FakeX) GeneratePosts(userID string, n int, start time.Time, step time.Duration) {
	f.t.Helper()
	if step < time.Millisecond || n < 0 {
		f.t.Fatalf("fake x: generate posts: step %s must be at least 1ms and n %d not negative", step, n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user(userID)
	if start.UnixMilli() < fxEpochMillis {
		f.t.Fatalf("fake x: generate posts: start %s is before X's epoch", start)
	}
	f.nranges++
	f.ranges[userID] = append(f.ranges[userID], &fxRange{user: userID, n: n, start: start.UTC(), step: step, tag: 1<<21 | f.nranges})
}

// lookup finds a post version by id, explicit or generated. f.mu is held.
func (f *FakeX) lookup(id int64) (*fxPost, bool) {
	if p, ok := f.posts[id]; ok {
		return p, true
	}
	for _, rs := range f.ranges {
		for _, r := range rs {
			if i := r.index(id); i >= 0 {
				return r.post(i, f.users[r.user]), true
			}
		}
	}
	return nil, false
}

// lookupShown finds a post version by id as a reader asks for it: found
// is false when there is none or it is deleted, allowed false when its
// account is protected or suspended. f.mu is held.
func (f *FakeX) lookupShown(id int64) (p *fxPost, found, allowed bool) {
	p, ok := f.lookup(id)
	if !ok || p.thread.deleted {
		return nil, false, false
	}
	u := f.users[p.author]
	return p, true, !u.protected && !u.suspended
}

// mustPost finds a post version by id and makes it explicit, so that it can
// be changed, failing the test when there is none. f.mu is held.
func (f *FakeX) mustPost(id string) *fxPost {
	f.t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		f.t.Fatalf("fake x: post id %q is not a number", id)
	}
	p, ok := f.lookup(n)
	if !ok {
		f.t.Fatalf("fake x: no post with id %s", id)
	}
	if _, explicit := f.posts[n]; !explicit {
		f.insert(p)
	}
	return p
}

// Edit adds a new version of the post with id (any of its versions) made at
// at, and returns the new version's id. Every version's
// edit_history_tweet_ids gains the new id; timelines show only the latest.
func (f *FakeX) Edit(id, newText string, at time.Time) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.mustPost(id)
	nid := f.newID(at)
	p := &fxPost{id: nid, author: old.author, text: newText, at: at.UTC().Truncate(time.Millisecond), thread: old.thread}
	latest := f.posts[old.thread.versions[len(old.thread.versions)-1]]
	p.media = slices.Clone(latest.media)
	if link, ok := f.mediaLink[latest.id]; ok {
		f.mediaLink[nid] = link
		if !strings.Contains(p.text, link) {
			p.text += " " + link
		}
	}
	old.thread.versions = append(old.thread.versions, nid)
	f.insert(p)
	return strconv.FormatInt(nid, 10)
}

// Delete deletes the post with id, every version of it: lookups of any of
// its ids return a "Not Found Error" partial error and timelines omit it.
func (f *FakeX) Delete(id string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustPost(id).thread.deleted = true
}

// AttachPhoto attaches a photo at url to the post version with id. As on X,
// the post's text gains a t.co link to its photos, with a url entity that
// names the media key.
func (f *FakeX) AttachPhoto(id, photoURL string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPost(id)
	f.mediaSeq++
	p.media = append(p.media, fxMedia{key: fmt.Sprintf("3_%d", p.id+int64(f.mediaSeq)), url: photoURL})
	if _, ok := f.mediaLink[p.id]; !ok {
		link := "https://t.co/" + fxSlug(p.id)
		f.mediaLink[p.id] = link
		p.text += " " + link
	}
}

// fxPhotoURLs returns the expanded and display URLs of the i-th photo of
// post id by handle, whose t.co link is link.
func fxPhotoURLs(handle string, id int64, i int, link string) (expanded, display string) {
	return fmt.Sprintf("https://x.com/%s/status/%d/photo/%d", handle, id, i+1),
		"pic.x.com/" + strings.TrimPrefix(link, "https://t.co/")
}

// fxSlug makes a t.co-like slug from n.
func fxSlug(n int64) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [10]byte
	u := uint64(n) * 0x9E3779B97F4A7C15
	for i := range b {
		b[i] = chars[u%uint64(len(chars))]
		u /= uint64(len(chars))
		u ^= uint64(n) >> (i * 3)
	}
	return string(b[:])
}

// FailNext makes the next request (to a path starting with pathPrefix, when
// given) fail with status: a 5xx or other status with a JSON problem body; a
// 429 with X's "Too Many Requests" body that also spends the endpoint's
// window, so that x-rate-limit-remaining is 0 until its reset; a 401 or 403
// with the bodies X sends for those.
func (f *FakeX) FailNext(status int, pathPrefix ...string) {
	f.queue(fxFault{kind: fxFail, status: status}, pathPrefix)
}

// FailNextUsageCap makes the next matching request fail with X's 429
// UsageCapExceeded problem.
func (f *FakeX) FailNextUsageCap(pathPrefix ...string) {
	f.queue(fxFault{kind: fxUsageCap}, pathPrefix)
}

// SlowNext delays the next matching response by d of real time, or until
// the client gives up on the request.
func (f *FakeX) SlowNext(d time.Duration, pathPrefix ...string) {
	f.queue(fxFault{kind: fxSlow, delay: d}, pathPrefix)
}

// TruncateNext cuts the next matching response in half: the headers
// announce the whole body, half of it is sent, and the connection closes, as
// when a connection drops mid-body.
func (f *FakeX) TruncateNext(pathPrefix ...string) {
	f.queue(fxFault{kind: fxTruncate}, pathPrefix)
}

// MalformNext answers the next matching request with a 200 whose body is
// not valid JSON.
func (f *FakeX) MalformNext(pathPrefix ...string) {
	f.queue(fxFault{kind: fxMalform}, pathPrefix)
}

func (f *FakeX) queue(fault fxFault, pathPrefix []string) {
	if len(pathPrefix) > 0 {
		fault.prefix = pathPrefix[0]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault)
}

// RepeatNextToken makes timelines page forever: from the next timeline
// response on, the next_token it carries comes back as the next_token of
// every request that sends it.
func (f *FakeX) RepeatNextToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.repeat = true
}

// IgnoreSinceID makes timelines ignore since_id (and so return posts at or
// before it), as a misbehaving server might.
func (f *FakeX) IgnoreSinceID(ignore bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ignore = ignore
}

// Requests returns the requests received so far, oldest first.
func (f *FakeX) Requests() []FakeXRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FakeXRequest, len(f.requests))
	for i, r := range f.requests {
		r.Query = cloneValues(r.Query)
		out[i] = r
	}
	return out
}

// RequestCount returns how many requests had a path starting with
// pathPrefix ("" counts all).
func (f *FakeX) RequestCount(pathPrefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// fxAPI is what sets the fake's two APIs apart on the way every request
// goes through (handle, serve): how a request proves itself, how responses
// are labelled, and the bodies of the failures the fake makes up.
type fxAPI struct {
	// credential returns what the API accepts (FakeX.Token, V1ConsumerKey).
	// f.mu is held.
	credential func(f *FakeX) string
	// authorize checks a request against credential; when it refuses, it
	// returns the status and body to send.
	authorize func(r *http.Request, credential string) (status int, body []byte, ok bool)
	// accessLevel, when set, is sent as x-access-level on every authorized
	// response.
	accessLevel string
	// okType and errType are the Content-Type of 200s and of the rest.
	okType, errType string
	// rateLimited is the body of a 429 for a spent window, usageCapped of a
	// FailNextUsageCap, malformed of a MalformNext.
	rateLimited, usageCapped, malformed []byte
	// failed is the body of a FailNext with status.
	failed func(status int) []byte
}

// fxV2 is the X API v2: a bearer token, problem bodies for failures.
var fxV2 = &fxAPI{
	credential:  func(f *FakeX) string { return f.Token },
	authorize:   fxV2Authorize,
	okType:      "application/json; charset=utf-8",
	errType:     "application/problem+json",
	rateLimited: []byte(fxBody429),
	usageCapped: []byte(fxBodyUsageCap),
	malformed:   []byte(fxBodyMalformed),
	failed:      fxProblem,
}

// fxV2Authorize accepts a request that bears token, and refuses the rest
// with X's 401 problem.
func fxV2Authorize(r *http.Request, token string) (int, []byte, bool) {
	if r.Header.Get("Authorization") != "Bearer "+token || token == "" {
		return http.StatusUnauthorized, []byte(fxBody401), false
	}
	return 0, nil, true
}

// handle wraps an endpoint's handler with what every request to api goes
// through: recording, the credential check, faults and rate limits.
func (f *FakeX) handle(api *fxAPI, endpoint string, serve func(r *http.Request) (int, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		rec := len(f.requests)
		f.requests = append(f.requests, FakeXRequest{
			Method: r.Method, Path: r.URL.Path, Query: cloneValues(r.URL.Query()), Endpoint: endpoint,
			Authorized: r.Header.Get("Authorization") != "", UserAgent: r.UserAgent(), At: f.now,
		})
		credential := api.credential(f)
		f.mu.Unlock()
		status := f.serve(api, w, r, endpoint, credential, serve)
		f.mu.Lock()
		f.requests[rec].Status = status
		f.mu.Unlock()
	}
}

// serve answers one request to api and returns the status sent, or 0 when
// the client went away first.
func (f *FakeX) serve(api *fxAPI, w http.ResponseWriter, r *http.Request, endpoint, credential string, serve func(r *http.Request) (int, []byte)) int {
	if status, body, ok := api.authorize(r, credential); !ok {
		return api.write(w, status, body, false)
	}
	fault, faulted := f.takeFault(r.URL.Path)
	if faulted && fault.kind == fxSlow {
		t := time.NewTimer(fault.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return 0
		}
		faulted = false
	}

	f.mu.Lock()
	limit, remaining, reset, allowed := f.spend(endpoint)
	if faulted && fault.kind == fxFail && fault.status == http.StatusTooManyRequests && endpoint != "" {
		f.windows[endpoint].used = limit
		remaining = 0
	}
	f.mu.Unlock()
	h := w.Header()
	if api.accessLevel != "" {
		h.Set("x-access-level", api.accessLevel)
	}
	if endpoint != "" {
		h.Set("x-rate-limit-limit", strconv.Itoa(limit))
		h.Set("x-rate-limit-remaining", strconv.Itoa(remaining))
		h.Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
	}
	if !allowed {
		return api.write(w, http.StatusTooManyRequests, api.rateLimited, false)
	}
	if faulted {
		switch fault.kind {
		case fxUsageCap:
			return api.write(w, http.StatusTooManyRequests, api.usageCapped, false)
		case fxMalform:
			return api.write(w, http.StatusOK, api.malformed, false)
		case fxFail:
			return api.write(w, fault.status, api.failed(fault.status), false)
		}
	}
	status, body := serve(r)
	return api.write(w, status, body, faulted && fault.kind == fxTruncate)
}

// takeFault removes and returns the first queued fault that matches path.
func (f *FakeX) takeFault(path string) (fxFault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, fault := range f.faults {
		if strings.HasPrefix(path, fault.prefix) {
			f.faults = slices.Delete(f.faults, i, i+1)
			return fault, true
		}
	}
	return fxFault{}, false
}

// spend counts a request against endpoint's window and returns the window's
// limit, what remains of it, its reset, and whether the request is allowed.
// f.mu is held.
func (f *FakeX) spend(endpoint string) (limit, remaining int, reset time.Time, allowed bool) {
	if endpoint == "" {
		return 0, 0, time.Time{}, true
	}
	w := f.windows[endpoint]
	if w == nil || !f.now.Before(w.reset) {
		w = &fxRateWindow{reset: f.now.Truncate(time.Second).Add(fxWindow)}
		f.windows[endpoint] = w
	}
	limit = f.limits[endpoint]
	if w.used >= limit {
		return limit, 0, w.reset, false
	}
	w.used++
	return limit, limit - w.used, w.reset, true
}

// write sends a response of api; half writes half the body under a
// Content-Length that announces all of it.
func (api *fxAPI) write(w http.ResponseWriter, status int, body []byte, half bool) int {
	h := w.Header()
	if status == http.StatusOK {
		h.Set("Content-Type", api.okType)
	} else {
		h.Set("Content-Type", api.errType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if half {
		body = body[:len(body)/2]
	}
	w.Write(body)
	return status
}

// fxProblem is the problem body of a failed request with status.
func fxProblem(status int) []byte {
	switch status {
	case http.StatusUnauthorized:
		return []byte(fxBody401)
	case http.StatusForbidden:
		return []byte(fxBody403)
	case http.StatusTooManyRequests:
		return []byte(fxBody429)
	}
	text := http.StatusText(status)
	b, _ := json.Marshal(map[string]any{"title": text, "detail": text, "type": "about:blank", "status": status})
	return b
}

// fxInvalid is X's 400 body for an invalid parameter.
func fxInvalid(param string, values []string, message string) (int, []byte) {
	b, _ := json.Marshal(map[string]any{
		"errors": []any{map[string]any{"parameters": map[string][]string{param: values}, "message": message}},
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   "https://api.twitter.com/2/problems/invalid-request",
	})
	return http.StatusBadRequest, b
}

// JSON shapes of the responses.

type fxPage struct {
	Data     any         `json:"data,omitempty"`
	Includes *fxIncludes `json:"includes,omitempty"`
	Errors   []fxError   `json:"errors,omitempty"`
	Meta     *fxMeta     `json:"meta,omitempty"`
}

type fxIncludes struct {
	Users  []fxUserJSON  `json:"users,omitempty"`
	Tweets []fxTweetJSON `json:"tweets,omitempty"`
	Media  []fxMediaJSON `json:"media,omitempty"`
}

type fxMeta struct {
	ResultCount int    `json:"result_count"`
	NewestID    string `json:"newest_id,omitempty"`
	OldestID    string `json:"oldest_id,omitempty"`
	NextToken   string `json:"next_token,omitempty"`
}

type fxError struct {
	Value        string `json:"value"`
	Detail       string `json:"detail"`
	Title        string `json:"title"`
	ResourceType string `json:"resource_type"`
	Parameter    string `json:"parameter"`
	ResourceID   string `json:"resource_id"`
	Section      string `json:"section,omitempty"`
	Type         string `json:"type"`
}

type fxUserJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Username  string `json:"username"`
	Protected *bool  `json:"protected,omitempty"`
	Verified  *bool  `json:"verified,omitempty"`
}

type fxTweetJSON struct {
	ID             string           `json:"id"`
	Text           string           `json:"text"`
	EditHistory    []string         `json:"edit_history_tweet_ids"`
	AuthorID       string           `json:"author_id,omitempty"`
	CreatedAt      string           `json:"created_at,omitempty"`
	ConversationID string           `json:"conversation_id,omitempty"`
	Lang           string           `json:"lang,omitempty"`
	EditControls   *fxEditControls  `json:"edit_controls,omitempty"`
	Entities       *fxEntities      `json:"entities,omitempty"`
	Attachments    *fxAttachments   `json:"attachments,omitempty"`
	PublicMetrics  *fxPublicMetrics `json:"public_metrics,omitempty"`
}

type fxEditControls struct {
	EditsRemaining int    `json:"edits_remaining"`
	IsEditEligible bool   `json:"is_edit_eligible"`
	EditableUntil  string `json:"editable_until"`
}

type fxEntities struct {
	URLs []fxURL `json:"urls"`
}

type fxURL struct {
	Start       int    `json:"start"`
	End         int    `json:"end"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	MediaKey    string `json:"media_key,omitempty"`
}

type fxAttachments struct {
	MediaKeys []string `json:"media_keys"`
}

type fxPublicMetrics struct {
	RetweetCount int `json:"retweet_count"`
	ReplyCount   int `json:"reply_count"`
	LikeCount    int `json:"like_count"`
	QuoteCount   int `json:"quote_count"`
}

type fxMediaJSON struct {
	MediaKey string `json:"media_key"`
	Type     string `json:"type"`
	URL      string `json:"url,omitempty"`
}

// fxQuery is what a request asked to see.
type fxQuery struct {
	tweet, expand, user, media map[string]bool
}

func fxParseQuery(q url.Values) fxQuery {
	set := func(name string) map[string]bool {
		m := make(map[string]bool)
		for _, v := range strings.Split(q.Get(name), ",") {
			if v = strings.TrimSpace(v); v != "" {
				m[v] = true
			}
		}
		return m
	}
	return fxQuery{tweet: set("tweet.fields"), expand: set("expansions"), user: set("user.fields"), media: set("media.fields")}
}

// encode renders a page as X does: no HTML escaping of the JSON.
func fxEncode(page any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(page); err != nil {
		panic(err) // the shapes above always encode
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// fxEscape applies the HTML escaping X applies to post text.
func fxEscape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

const fxTime = "2006-01-02T15:04:05.000Z"

// renderUser renders an account with the requested user fields. f.mu is held.
func (f *FakeX) renderUser(u *fxUser, q fxQuery) fxUserJSON {
	out := fxUserJSON{ID: u.id, Name: u.name, Username: u.username}
	if q.user["protected"] {
		out.Protected = &u.protected
	}
	if q.user["verified"] {
		verified := false
		out.Verified = &verified
	}
	return out
}

// renderTweet renders a post version with the requested tweet fields.
// f.mu is held.
func (f *FakeX) renderTweet(p *fxPost, q fxQuery) fxTweetJSON {
	out := fxTweetJSON{ID: strconv.FormatInt(p.id, 10), Text: fxEscape(p.text)}
	for _, v := range p.thread.versions {
		out.EditHistory = append(out.EditHistory, strconv.FormatInt(v, 10))
	}
	first, ok := f.lookup(p.thread.versions[0])
	if !ok {
		first = p
	}
	if q.tweet["author_id"] {
		out.AuthorID = p.author
	}
	if q.tweet["created_at"] {
		out.CreatedAt = p.at.UTC().Format(fxTime)
	}
	if q.tweet["conversation_id"] {
		out.ConversationID = strconv.FormatInt(p.thread.versions[0], 10)
	}
	if q.tweet["lang"] {
		out.Lang = "en"
	}
	if q.tweet["edit_controls"] {
		out.EditControls = &fxEditControls{
			EditsRemaining: max(0, 5-(len(p.thread.versions)-1)),
			IsEditEligible: true,
			EditableUntil:  first.at.Add(time.Hour).UTC().Format(fxTime),
		}
	}
	if q.tweet["public_metrics"] {
		m := fxMetrics(p.id)
		out.PublicMetrics = &m
	}
	if len(p.media) > 0 {
		if q.tweet["attachments"] {
			out.Attachments = &fxAttachments{}
			for _, m := range p.media {
				out.Attachments.MediaKeys = append(out.Attachments.MediaKeys, m.key)
			}
		}
		if link := f.mediaLink[p.id]; q.tweet["entities"] && link != "" {
			start := utf8.RuneCountInString(p.text) - utf8.RuneCountInString(link)
			if i := strings.LastIndex(p.text, link); i >= 0 {
				start = utf8.RuneCountInString(p.text[:i])
			}
			out.Entities = &fxEntities{}
			handle := f.users[p.author].username
			for i, m := range p.media {
				expanded, display := fxPhotoURLs(handle, p.id, i, link)
				out.Entities.URLs = append(out.Entities.URLs, fxURL{
					Start: start, End: start + utf8.RuneCountInString(link), URL: link,
					ExpandedURL: expanded, DisplayURL: display, MediaKey: m.key,
				})
			}
		}
	}
	return out
}

// fxMetrics makes up the counts of the post with id, the same every time
// and in both APIs.
func fxMetrics(id int64) fxPublicMetrics {
	return fxPublicMetrics{RetweetCount: int(id % 97), ReplyCount: int(id % 31), LikeCount: int(id % 997), QuoteCount: int(id % 7)}
}

// renderPosts puts posts, when there are any, in page's data and their
// expansions in its includes. f.mu is held.
func (f *FakeX) renderPosts(page *fxPage, posts []*fxPost, q fxQuery) {
	if len(posts) == 0 {
		return
	}
	data := make([]fxTweetJSON, len(posts))
	for i, p := range posts {
		data[i] = f.renderTweet(p, q)
	}
	page.Data = data
	page.Includes = f.includes(posts, q)
}

// includes gathers the expansions of posts. f.mu is held.
func (f *FakeX) includes(posts []*fxPost, q fxQuery) *fxIncludes {
	inc := &fxIncludes{}
	seenUser := make(map[string]bool)
	seenTweet := make(map[int64]bool)
	for _, p := range posts {
		if q.expand["author_id"] && !seenUser[p.author] {
			seenUser[p.author] = true
			inc.Users = append(inc.Users, f.renderUser(f.users[p.author], q))
		}
		if q.expand["attachments.media_keys"] {
			for _, m := range p.media {
				mj := fxMediaJSON{MediaKey: m.key, Type: "photo"}
				if q.media["url"] {
					mj.URL = m.url
				}
				inc.Media = append(inc.Media, mj)
			}
		}
		if q.expand["edit_history_tweet_ids"] && len(p.thread.versions) > 1 {
			for _, v := range p.thread.versions {
				if vp, ok := f.lookup(v); ok && !seenTweet[v] {
					seenTweet[v] = true
					inc.Tweets = append(inc.Tweets, f.renderTweet(vp, q))
				}
			}
		}
	}
	if len(inc.Users)+len(inc.Tweets)+len(inc.Media) == 0 {
		return nil
	}
	return inc
}

// serveUser answers GET /2/users/by/username/{username}.
func (f *FakeX) serveUser(r *http.Request) (int, []byte) {
	name := r.PathValue("username")
	q := fxParseQuery(r.URL.Query())
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.userNamed(name)
	switch {
	case !ok:
		return fxUserError("username", name, "Not Found Error", fmt.Sprintf("Could not find user with username: [%s].", name),
			"https://api.twitter.com/2/problems/resource-not-found", "")
	case u.suspended:
		return fxUserError("username", name, "Forbidden", fmt.Sprintf("User has been suspended: [%s].", name),
			"https://api.twitter.com/2/problems/resource-not-found", "")
	}
	return http.StatusOK, fxEncode(fxPage{Data: f.renderUser(u, q)})
}

// fxUserError is X's answer with one partial error about the account a
// request names by param (value).
func fxUserError(param, value, title, detail, typ, section string) (int, []byte) {
	return http.StatusOK, fxEncode(fxPage{Errors: []fxError{{
		Value: value, Detail: detail, Title: title, ResourceType: "user", Parameter: param,
		ResourceID: value, Section: section, Type: typ,
	}}})
}

// fxToken turns a timeline cursor (the id below which the next page starts)
// into an opaque pagination token, and back.
func fxToken(below int64) string { return "7140dibdnow9c7btw" + strconv.FormatInt(below, 36) }

func fxParseToken(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "7140dibdnow9c7btw")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 36, 64)
	return n, err == nil && n > 0
}

// serveTimeline answers GET /2/users/{id}/tweets.
func (f *FakeX) serveTimeline(r *http.Request) (int, []byte) {
	userID := r.PathValue("id")
	query := r.URL.Query()
	q := fxParseQuery(query)
	if !fxDigits(userID) {
		return fxInvalid("id", []string{userID}, fmt.Sprintf("The `id` query parameter value [%s] is not valid", userID))
	}
	limit := 10
	if s := query.Get("max_results"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 5 || n > 100 {
			return fxInvalid("max_results", []string{s}, fmt.Sprintf("The `max_results` query parameter value [%s] is not between 5 and 100", s))
		}
		limit = n
	}
	// Ids lie strictly between the lower bounds and below.
	var sinceID, startID int64
	below := int64(math.MaxInt64)
	for _, p := range []string{"since_id", "until_id"} {
		s := query.Get(p)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return fxInvalid(p, []string{s}, fmt.Sprintf("The `%s` query parameter value [%s] is not valid", p, s))
		}
		if p == "since_id" {
			sinceID = n
		} else {
			below = n
		}
	}
	for _, p := range []string{"start_time", "end_time"} {
		s := query.Get(p)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fxInvalid(p, []string{s}, fmt.Sprintf("Invalid '%s':'%s'. '%s' must be a valid RFC 3339 date-time.", p, s, p))
		}
		id := max(t.UnixMilli()-fxEpochMillis, 0) << 22
		if p == "start_time" {
			startID = id - 1 // start_time is inclusive
		} else {
			below = min(below, id)
		}
	}
	token := query.Get("pagination_token")
	if token != "" {
		n, ok := fxParseToken(token)
		if !ok {
			return fxInvalid("pagination_token", []string{token}, fmt.Sprintf("The `pagination_token` query parameter value [%s] is not valid", token))
		}
		below = min(below, n)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[userID]
	switch {
	case !ok:
		return fxUserError("id", userID, "Not Found Error", fmt.Sprintf("Could not find user with id: [%s].", userID),
			"https://api.twitter.com/2/problems/resource-not-found", "")
	case u.suspended:
		return fxUserError("id", userID, "Forbidden", fmt.Sprintf("User has been suspended: [%s].", userID),
			"https://api.twitter.com/2/problems/resource-not-found", "")
	case u.protected:
		return fxUserError("id", userID, "Authorization Error", fmt.Sprintf("Sorry, you are not authorized to see the user with id: [%s].", userID),
			"https://api.twitter.com/2/problems/not-authorized-for-resource", "data")
	}

	above := f.timelineFloor(userID, sinceID, startID)
	var posts []*fxPost
	f.eachVisible(userID, below, above, func(id int64) bool {
		p, _ := f.lookup(id)
		posts = append(posts, p)
		return len(posts) <= limit
	})
	more := len(posts) > limit
	posts = posts[:min(len(posts), limit)]

	page := fxPage{Meta: &fxMeta{ResultCount: len(posts)}}
	f.renderPosts(&page, posts, q)
	if len(posts) > 0 {
		page.Meta.NewestID = strconv.FormatInt(posts[0].id, 10)
		page.Meta.OldestID = strconv.FormatInt(posts[len(posts)-1].id, 10)
		if more {
			page.Meta.NextToken = fxToken(posts[len(posts)-1].id)
		}
	}
	switch {
	case token != "" && f.stuck[token]:
		page.Meta.NextToken = token
	case f.repeat && token != "":
		f.repeat = false
		f.stuck[token] = true
		page.Meta.NextToken = token
	case f.repeat && page.Meta.NextToken != "":
		f.repeat = false
		f.stuck[page.Meta.NextToken] = true
	}
	return http.StatusOK, fxEncode(page)
}

// timelineFloor returns the id above which a timeline of userID lists
// posts: the larger of startID and sinceID (unless IgnoreSinceID), and no
// lower than the oldest of the newest posts the timeline cap reaches.
// f.mu is held.
func (f *FakeX) timelineFloor(userID string, sinceID, startID int64) int64 {
	above := startID
	if !f.ignore {
		above = max(above, sinceID)
	}
	if f.cap > 0 {
		n := 0
		f.eachVisible(userID, math.MaxInt64, 0, func(id int64) bool {
			n++
			if n == f.cap {
				above = max(above, id-1)
				return false
			}
			return true
		})
	}
	return above
}

// eachVisible calls fn with the ids of userID's visible posts (latest
// versions of posts not deleted) that lie strictly between above and below,
// newest first, until fn returns false. It merges the explicit posts with
// the generated ranges, without making the generated ones. f.mu is held.
func (f *FakeX) eachVisible(userID string, below, above int64, fn func(id int64) bool) {
	type source struct {
		n   int
		at  func(i int) int64
		pos int
		rng *fxRange
	}
	var sources []*source
	explicit := f.timeline[userID]
	sources = append(sources, &source{n: len(explicit), at: func(i int) int64 { return explicit[i] }})
	for _, r := range f.ranges[userID] {
		sources = append(sources, &source{n: r.n, at: r.id, rng: r})
	}
	for _, s := range sources {
		s.pos = sort.Search(s.n, func(i int) bool { return s.at(i) >= below }) - 1
	}
	for {
		var best *source
		for _, s := range sources {
			if s.pos >= 0 && (best == nil || s.at(s.pos) > best.at(best.pos)) {
				best = s
			}
		}
		if best == nil {
			return
		}
		id := best.at(best.pos)
		if id <= above {
			return
		}
		best.pos--
		if best.rng != nil {
			if _, explicit := f.posts[id]; explicit {
				continue // changed since it was generated; the explicit list has it
			}
		} else if p := f.posts[id]; p.thread.deleted || p.thread.versions[len(p.thread.versions)-1] != p.id {
			continue
		}
		if !fn(id) {
			return
		}
	}
}

// serveTweets answers GET /2/tweets?ids=.
func (f *FakeX) serveTweets(r *http.Request) (int, []byte) {
	query := r.URL.Query()
	q := fxParseQuery(query)
	raw := query.Get("ids")
	if raw == "" {
		return fxInvalid("ids", []string{""}, "The `ids` query parameter can not be empty")
	}
	ids := strings.Split(raw, ",")
	if len(ids) > 100 {
		return fxInvalid("ids", []string{raw}, fmt.Sprintf("The number of values in the `ids` query parameter list [%d] is not between 1 and 100", len(ids)))
	}
	for _, id := range ids {
		if !fxDigits(id) {
			return fxInvalid("ids", []string{id}, fmt.Sprintf("The `ids` query parameter value [%s] is not valid", id))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var page fxPage
	var posts []*fxPost
	for _, id := range ids {
		n, _ := strconv.ParseInt(id, 10, 64)
		p, found, allowed := f.lookupShown(n)
		switch {
		case !found:
			page.Errors = append(page.Errors, fxError{
				Value: id, Detail: fmt.Sprintf("Could not find tweet with ids: [%s].", id), Title: "Not Found Error",
				ResourceType: "tweet", Parameter: "ids", ResourceID: id, Type: "https://api.twitter.com/2/problems/resource-not-found",
			})
		case !allowed:
			page.Errors = append(page.Errors, fxError{
				Value: id, Detail: fmt.Sprintf("Sorry, you are not authorized to see the Tweet with ids: [%s].", id), Title: "Authorization Error",
				ResourceType: "tweet", Parameter: "ids", ResourceID: id, Section: "data", Type: "https://api.twitter.com/2/problems/not-authorized-for-resource",
			})
		default:
			posts = append(posts, p)
		}
	}
	f.renderPosts(&page, posts, q)
	return http.StatusOK, fxEncode(page)
}

// fxDigits reports whether s is a non-empty run of ASCII digits.
func fxDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
