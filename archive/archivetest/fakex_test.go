package archivetest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

const (
	fxTestVP    = "1542228578"
	fxTestPress = "1879644163769335808"
	fxTestState = "9624742" // added by fxHideTestAccounts
)

// fxTestFields is the query the Verbatim client sends.
var fxTestFields = url.Values{
	"tweet.fields": {"created_at,author_id,edit_history_tweet_ids,edit_controls,entities,attachments,referenced_tweets,note_tweet,lang,conversation_id,public_metrics"},
	"expansions":   {"author_id,attachments.media_keys,referenced_tweets.id,edit_history_tweet_ids"},
	"media.fields": {"url,preview_image_url,variants,alt_text,type,duration_ms"},
	"user.fields":  {"username,name,protected,verified"},
}

func fxNewTestFake(t *testing.T) *FakeX {
	t.Helper()
	fx := NewFakeX(t)
	fx.SetNow(time.Date(2026, 2, 10, 18, 0, 0, 0, time.UTC))
	fx.AddUser(fxTestVP, "VP", "Vice President JD Vance")
	fx.AddUser(fxTestPress, "VPPressSec", "Office of the VP Press Secretary")
	return fx
}

// fxHideTestAccounts adds StateDept (fxTestState) and suspends it, and
// protects fxTestPress.
func fxHideTestAccounts(fx *FakeX) {
	fx.AddUser(fxTestState, "StateDept", "Department of State")
	fx.Suspend(fxTestState)
	fx.Protect(fxTestPress)
}

// fxResponse is one response of the fake, read whole.
type fxResponse struct {
	status int
	header http.Header
	body   []byte
	err    error // from reading the body
}

// get requests path with query from fx, with its token unless token says
// otherwise ("-" for no Authorization header).
func fxGet(t *testing.T, fx *FakeX, path string, query url.Values, token ...string) fxResponse {
	t.Helper()
	return fxGetCtx(context.Background(), t, fx, path, query, token...)
}

func fxGetCtx(ctx context.Context, t *testing.T, fx *FakeX, path string, query url.Values, token ...string) fxResponse {
	t.Helper()
	tok := fx.Token
	if len(token) > 0 {
		tok = token[0]
	}
	auth := ""
	if tok != "-" {
		auth = "Bearer " + tok
	}
	return fxRequest(ctx, t, fx, path, query, auth)
}

// fxRequest requests path with query from fx with an Authorization header
// (auth; "" for none).
func fxRequest(ctx context.Context, t *testing.T, fx *FakeX, path string, query url.Values, auth string) fxResponse {
	t.Helper()
	u := fx.URL() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := fx.Client().Do(req)
	if err != nil {
		return fxResponse{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return fxResponse{status: resp.StatusCode, header: resp.Header, body: body, err: err}
}

// with returns the client's fields plus the given name/value pairs.
func fxWith(kv ...string) url.Values {
	q := url.Values{}
	for k, v := range fxTestFields {
		q[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func fxDecode(t *testing.T, r fxResponse) *xapi.Page {
	t.Helper()
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("status %d, err %v: %s", r.status, r.err, r.body)
	}
	page, err := xapi.DecodePage(r.body)
	if err != nil {
		t.Fatalf("decode: %v: %s", err, r.body)
	}
	return page
}

func fxIDs(page *xapi.Page) []string {
	var out []string
	for _, p := range page.Posts {
		out = append(out, p.ID)
	}
	return out
}

func TestFakeXAuth(t *testing.T) {
	fx := fxNewTestFake(t)
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"right token", "test-token", 200},
		{"wrong token", "nope", 401},
		{"no header", "-", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fxGet(t, fx, "/2/users/by/username/VP", nil, tt.token)
			if r.status != tt.want {
				t.Fatalf("status: got %d, want %d", r.status, tt.want)
			}
			if tt.want != 401 {
				return
			}
			if got, want := string(r.body), `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`; got != want {
				t.Errorf("body: got %s, want %s", got, want)
			}
			if got, want := r.header.Get("Content-Type"), "application/problem+json"; got != want {
				t.Errorf("content type: got %q, want %q", got, want)
			}
		})
	}
	reqs := fx.Requests()
	if got, want := []bool{reqs[0].Authorized, reqs[1].Authorized, reqs[2].Authorized}, []bool{true, true, false}; !slices.Equal(got, want) {
		t.Errorf("authorized: got %v, want %v", got, want)
	}
}

func TestFakeXUsers(t *testing.T) {
	fx := fxNewTestFake(t)
	fxHideTestAccounts(fx)
	tests := []struct {
		name      string
		wantID    string
		wantTitle string
		wantProt  bool
	}{
		{"vp", fxTestVP, "", false},
		{"VPPressSec", fxTestPress, "", true},
		{"StateDept", "", "Forbidden", false},
		{"nobody", "", "Not Found Error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fxGet(t, fx, "/2/users/by/username/"+tt.name, fxWith())
			page := fxDecode(t, r)
			if tt.wantID != "" {
				if len(page.Users) != 1 || page.Users[0].PlatformID != tt.wantID {
					t.Fatalf("users: got %+v", page.Users)
				}
				var body struct {
					Data struct {
						Protected bool `json:"protected"`
					} `json:"data"`
				}
				if err := json.Unmarshal(r.body, &body); err != nil || body.Data.Protected != tt.wantProt {
					t.Errorf("protected: got %v, want %v (%v)", body.Data.Protected, tt.wantProt, err)
				}
				return
			}
			if len(page.Errors) != 1 || page.Errors[0].Title != tt.wantTitle || page.Errors[0].Parameter != "username" ||
				page.Errors[0].Value != tt.name || page.Errors[0].Type != "https://api.twitter.com/2/problems/resource-not-found" {
				t.Errorf("errors: got %+v", page.Errors)
			}
		})
	}
}

func TestFakeXTimeline(t *testing.T) {
	fx := fxNewTestFake(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fx.GeneratePosts(fxTestVP, 40, start, time.Hour)
	extra := fx.Post(fxTestVP, "An explicit post between generated ones.", start.Add(10*time.Hour+time.Minute))
	fx.GeneratePosts(fxTestPress, 5, start, time.Hour)
	path := "/2/users/" + fxTestVP + "/tweets"

	first := fxDecode(t, fxGet(t, fx, path, fxWith()))
	if got, want := len(first.Posts), 10; got != want {
		t.Fatalf("default page size: got %d, want %d", got, want)
	}
	if first.Meta.ResultCount != 10 || first.Meta.NewestID != first.Posts[0].ID || first.Meta.OldestID != first.Posts[9].ID || first.Meta.NextToken == "" {
		t.Errorf("meta: got %+v", first.Meta)
	}
	p := first.Posts[0]
	if p.Author.Handle != "VP" || p.CreatedAt.IsZero() || p.Lang != "en" || len(p.EditHistory) != 1 {
		t.Errorf("post fields: got %+v", p)
	}
	if at, ok := archive.SnowflakeTime(p.ID); !ok || !at.Equal(p.CreatedAt) {
		t.Errorf("id %s encodes %v, created_at %v", p.ID, at, p.CreatedAt)
	}

	// Walk the whole timeline, 7 a page.
	var all []string
	token := ""
	for pages := 0; ; pages++ {
		q := fxWith("max_results", "7")
		if token != "" {
			q.Set("pagination_token", token)
		}
		page := fxDecode(t, fxGet(t, fx, path, q))
		all = append(all, fxIDs(page)...)
		token = page.Meta.NextToken
		if token == "" {
			if got, want := pages+1, 6; got != want {
				t.Errorf("pages: got %d, want %d", got, want)
			}
			break
		}
	}
	if got, want := len(all), 41; got != want {
		t.Fatalf("posts: got %d, want %d", got, want)
	}
	if !slices.Contains(all, extra) {
		t.Errorf("explicit post %s missing", extra)
	}
	for i := 1; i < len(all); i++ {
		if fxMustID(t, all[i]) >= fxMustID(t, all[i-1]) {
			t.Errorf("post %d: %s not older than %s", i, all[i], all[i-1])
		}
	}

	t.Run("since_id is exclusive", func(t *testing.T) {
		page := fxDecode(t, fxGet(t, fx, path, fxWith("max_results", "100", "since_id", all[5])))
		if got, want := fxIDs(page), all[:5]; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("IgnoreSinceID", func(t *testing.T) {
		fx.IgnoreSinceID(true)
		defer fx.IgnoreSinceID(false)
		page := fxDecode(t, fxGet(t, fx, path, fxWith("max_results", "100", "since_id", all[5])))
		if got, want := len(page.Posts), 41; got != want {
			t.Errorf("got %d posts, want %d", got, want)
		}
	})
	t.Run("start_time", func(t *testing.T) {
		page := fxDecode(t, fxGet(t, fx, path, fxWith("max_results", "100", "start_time", start.Add(35*time.Hour).Format(time.RFC3339))))
		if got, want := len(page.Posts), 5; got != want {
			t.Errorf("got %d posts, want %d", got, want)
		}
	})
	t.Run("empty", func(t *testing.T) {
		r := fxGet(t, fx, path, fxWith("since_id", all[0]))
		if got, want := string(r.body), `{"meta":{"result_count":0}}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("fields only when asked", func(t *testing.T) {
		r := fxGet(t, fx, path, url.Values{"max_results": {"5"}})
		var body struct {
			Data     []map[string]any `json:"data"`
			Includes map[string]any   `json:"includes"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range body.Data[0] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"edit_history_tweet_ids", "id", "text"}; !slices.Equal(keys, want) || body.Includes != nil {
			t.Errorf("keys: got %v, includes %v; want %v and none", keys, body.Includes, want)
		}
	})
	t.Run("invalid parameters", func(t *testing.T) {
		for _, q := range []url.Values{
			fxWith("max_results", "101"), fxWith("max_results", "4"), fxWith("since_id", "abc"), fxWith("pagination_token", "zzz"),
		} {
			r := fxGet(t, fx, path, q)
			_, err := xapi.DecodePage(r.body)
			var prob *xapi.ProblemError
			if r.status != http.StatusBadRequest || !errors.As(err, &prob) || prob.Title != "Invalid Request" {
				t.Errorf("%v: got %d %s", q, r.status, r.body)
			}
		}
	})
}

func fxMustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFakeXTimelineStatus(t *testing.T) {
	fx := fxNewTestFake(t)
	fxHideTestAccounts(fx)
	fx.Post(fxTestState, "Gone soon.", fx.Now())
	fx.Post(fxTestPress, "Only for followers.", fx.Now())
	tests := []struct {
		id, title, typ string
	}{
		{fxTestState, "Forbidden", "https://api.twitter.com/2/problems/resource-not-found"},
		{fxTestPress, "Authorization Error", "https://api.twitter.com/2/problems/not-authorized-for-resource"},
		{"42", "Not Found Error", "https://api.twitter.com/2/problems/resource-not-found"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			page := fxDecode(t, fxGet(t, fx, "/2/users/"+tt.id+"/tweets", fxWith()))
			if len(page.Posts) != 0 || len(page.Errors) != 1 {
				t.Fatalf("got %d posts, errors %+v", len(page.Posts), page.Errors)
			}
			e := page.Errors[0]
			if e.Title != tt.title || e.Type != tt.typ || e.ResourceType != "user" || e.Parameter != "id" || e.Value != tt.id {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func TestFakeXTimelineCap(t *testing.T) {
	fx := fxNewTestFake(t)
	fx.GeneratePosts(fxTestVP, 5000, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 10*time.Minute)
	path := "/2/users/" + fxTestVP + "/tweets"
	n, token := 0, ""
	for {
		q := fxWith("max_results", "100")
		if token != "" {
			q.Set("pagination_token", token)
		}
		page := fxDecode(t, fxGet(t, fx, path, q))
		n += len(page.Posts)
		if token = page.Meta.NextToken; token == "" {
			break
		}
	}
	if got, want := n, FakeXTimelineCap; got != want {
		t.Errorf("reachable posts: got %d, want %d", got, want)
	}
	fx.mu.Lock()
	stored := len(fx.posts)
	fx.mu.Unlock()
	if stored != 0 {
		t.Errorf("generated posts stored one by one: %d", stored)
	}
}

func TestFakeXTweets(t *testing.T) {
	fx := fxNewTestFake(t)
	at := time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	live := fx.Post(fxTestVP, "Charter signed <today> & more.", at)
	gone := fx.Post(fxTestVP, "A post that will be deleted.", at.Add(time.Minute))
	hidden := fx.Post(fxTestPress, "Protected post.", at.Add(2*time.Minute))
	orig := fx.Post(fxTestVP, "Landed in Baku.", at.Add(3*time.Minute))
	fx.AttachPhoto(orig, "https://pbs.twimg.com/media/a.jpg")
	latest := fx.Edit(orig, "Landed in Baku, Azerbaijan.", at.Add(5*time.Minute))
	fx.Delete(gone)
	fx.Protect(fxTestPress)

	r := fxGet(t, fx, "/2/tweets", fxWith("ids", strings.Join([]string{live, gone, hidden, orig, "123"}, ",")))
	if !strings.Contains(string(r.body), `"text":"Charter signed &lt;today&gt; &amp; more."`) {
		t.Errorf("text not escaped as X does: %s", r.body)
	}
	page := fxDecode(t, r)
	if got, want := fxIDs(page), []string{live, orig}; !slices.Equal(got, want) {
		t.Errorf("data: got %v, want %v", got, want)
	}
	if page.Posts[0].Text != "Charter signed <today> & more." {
		t.Errorf("text: got %q", page.Posts[0].Text)
	}
	wantErrs := []struct{ value, title string }{{gone, "Not Found Error"}, {hidden, "Authorization Error"}, {"123", "Not Found Error"}}
	if len(page.Errors) != len(wantErrs) {
		t.Fatalf("errors: got %+v", page.Errors)
	}
	for i, w := range wantErrs {
		if e := page.Errors[i]; e.Value != w.value || e.Title != w.title || e.ResourceType != "tweet" || e.Parameter != "ids" || e.ResourceID != w.value {
			t.Errorf("error %d: got %+v, want %s %s", i, e, w.value, w.title)
		}
	}
	if want := "Could not find tweet with ids: [" + gone + "]."; page.Errors[0].Detail != want {
		t.Errorf("detail: got %q, want %q", page.Errors[0].Detail, want)
	}

	// The edited post: the asked-for version in data, every version in
	// includes.tweets, the history in each.
	edited := page.Posts[1]
	if want := []string{orig, latest}; !slices.Equal(edited.EditHistory, want) {
		t.Errorf("history: got %v, want %v", edited.EditHistory, want)
	}
	var included []string
	for _, p := range page.Included {
		included = append(included, p.ID)
	}
	if want := []string{orig, latest}; !slices.Equal(included, want) {
		t.Errorf("includes.tweets: got %v, want %v", included, want)
	}
	if len(edited.Media) != 1 || edited.Media[0].URL != "https://pbs.twimg.com/media/a.jpg" || !strings.HasSuffix(edited.Text, edited.Media[0].ShortURL) {
		t.Errorf("media: got %+v in %q", edited.Media, edited.Text)
	}
	for _, p := range page.Included {
		if p.ID == latest && !strings.HasPrefix(p.Text, "Landed in Baku, Azerbaijan.") {
			t.Errorf("latest text: got %q", p.Text)
		}
	}

	t.Run("more than 100 ids", func(t *testing.T) {
		many := make([]string, 101)
		for i := range many {
			many[i] = strconv.Itoa(1000 + i)
		}
		r := fxGet(t, fx, "/2/tweets", fxWith("ids", strings.Join(many, ",")))
		_, err := xapi.DecodePage(r.body)
		var prob *xapi.ProblemError
		if r.status != http.StatusBadRequest || !errors.As(err, &prob) || len(prob.Errors) != 1 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}

func TestFakeXRateLimits(t *testing.T) {
	fx := fxNewTestFake(t)
	fx.SetRateLimit(FakeXUserByUsername, 3)
	now := fx.Now()
	wantReset := strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10)
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "2"}, {200, "1"}, {200, "0"}, {429, "0"}} {
		r := fxGet(t, fx, "/2/users/by/username/VP", nil)
		fx.Advance(time.Minute)
		if r.status != want.status || r.header.Get("x-rate-limit-remaining") != want.remaining ||
			r.header.Get("x-rate-limit-limit") != "3" || r.header.Get("x-rate-limit-reset") != wantReset {
			t.Errorf("request %d: got %d remaining %s reset %s", i, r.status, r.header.Get("x-rate-limit-remaining"), r.header.Get("x-rate-limit-reset"))
		}
	}
	// Another endpoint has its own window.
	if r := fxGet(t, fx, "/2/tweets", url.Values{"ids": {"1"}}); r.header.Get("x-rate-limit-remaining") != "299" {
		t.Errorf("tweets remaining: got %s", r.header.Get("x-rate-limit-remaining"))
	}
	fx.SetNow(now.Add(15 * time.Minute))
	if r := fxGet(t, fx, "/2/users/by/username/VP", nil); r.status != 200 || r.header.Get("x-rate-limit-remaining") != "2" {
		t.Errorf("after reset: got %d remaining %s", r.status, r.header.Get("x-rate-limit-remaining"))
	}
}

func TestFakeXFaults(t *testing.T) {
	fx := fxNewTestFake(t)
	fx.GeneratePosts(fxTestVP, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour)
	timeline := "/2/users/" + fxTestVP + "/tweets"

	t.Run("by path prefix", func(t *testing.T) {
		fx.FailNext(http.StatusBadGateway, "/2/tweets")
		if r := fxGet(t, fx, timeline, fxWith()); r.status != 200 {
			t.Errorf("timeline: got %d, want 200", r.status)
		}
		r := fxGet(t, fx, "/2/tweets", fxWith("ids", "1"))
		if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), `"title":"Bad Gateway"`) {
			t.Errorf("tweets: got %d %s", r.status, r.body)
		}
		if r := fxGet(t, fx, "/2/tweets", fxWith("ids", "1")); r.status != 200 {
			t.Errorf("fault served twice: %d", r.status)
		}
	})
	t.Run("429 spends the window", func(t *testing.T) {
		fx.FailNext(http.StatusTooManyRequests)
		for i := range 2 {
			r := fxGet(t, fx, timeline, fxWith())
			if r.status != 429 || r.header.Get("x-rate-limit-remaining") != "0" || string(r.body) != fxBody429 {
				t.Errorf("request %d: got %d remaining %s: %s", i, r.status, r.header.Get("x-rate-limit-remaining"), r.body)
			}
		}
		reset, _ := strconv.ParseInt(fxGet(t, fx, timeline, fxWith()).header.Get("x-rate-limit-reset"), 10, 64)
		fx.SetNow(time.Unix(reset, 0))
		if r := fxGet(t, fx, timeline, fxWith()); r.status != 200 {
			t.Errorf("after reset: got %d", r.status)
		}
	})
	t.Run("usage cap", func(t *testing.T) {
		fx.FailNextUsageCap()
		r := fxGet(t, fx, timeline, fxWith())
		if r.status != 429 || string(r.body) != fxBodyUsageCap || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("got %d %s", r.status, r.body)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		fx.TruncateNext()
		r := fxGet(t, fx, timeline, fxWith())
		if r.status != 200 || !errors.Is(r.err, io.ErrUnexpectedEOF) || len(r.body) == 0 {
			t.Errorf("got %d, err %v, %d bytes", r.status, r.err, len(r.body))
		}
	})
	t.Run("malformed", func(t *testing.T) {
		fx.MalformNext()
		r := fxGet(t, fx, timeline, fxWith())
		if r.status != 200 || json.Valid(r.body) {
			t.Errorf("got %d %s", r.status, r.body)
		}
	})
	t.Run("slow respects the request context", func(t *testing.T) {
		fx.SlowNext(time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		begun := time.Now()
		r := fxGetCtx(ctx, t, fx, timeline, fxWith())
		if r.err == nil || time.Since(begun) > 10*time.Second {
			t.Errorf("got %d after %s", r.status, time.Since(begun))
		}
		if r := fxGet(t, fx, timeline, fxWith()); r.status != 200 {
			t.Errorf("next request: got %d", r.status)
		}
	})
	t.Run("slow then served", func(t *testing.T) {
		fx.SlowNext(20 * time.Millisecond)
		if r := fxGet(t, fx, timeline, fxWith()); r.status != 200 {
			t.Errorf("got %d", r.status)
		}
	})
	t.Run("repeat next token", func(t *testing.T) {
		fx.RepeatNextToken()
		first := fxDecode(t, fxGet(t, fx, timeline, fxWith()))
		for range 3 {
			page := fxDecode(t, fxGet(t, fx, timeline, fxWith("pagination_token", first.Meta.NextToken)))
			if page.Meta.NextToken != first.Meta.NextToken {
				t.Fatalf("next_token: got %q, want %q", page.Meta.NextToken, first.Meta.NextToken)
			}
		}
	})
}

func TestFakeXConcurrent(t *testing.T) {
	fx := fxNewTestFake(t)
	fx.GeneratePosts(fxTestVP, 500, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				fx.Post(fxTestVP, "Concurrent post.", time.Date(2026, 2, 1, 0, 0, i, 0, time.UTC))
			case 1:
				fx.FailNext(500)
			case 2:
				fx.Advance(time.Second)
			}
			fxGet(t, fx, "/2/users/"+fxTestVP+"/tweets", fxWith("max_results", "100"))
			_ = fx.Requests()
		})
	}
	wg.Wait()
	if got, want := fx.RequestCount("/2/users/"), 8; got != want {
		t.Errorf("requests: got %d, want %d", got, want)
	}
}
