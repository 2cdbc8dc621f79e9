package archivetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/verbatim-archive/verbatim/archive/xv1"
)

// fxV1Auth is an OAuth 1.0a header as a client sends it; the fake checks
// its form and consumer key, not its signature.
func fxV1Auth(consumerKey string) string {
	return `OAuth oauth_consumer_key="` + url.PathEscape(consumerKey) + `", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", ` +
		`oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D", oauth_signature_method="HMAC-SHA1", ` +
		`oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"`
}

// fxV1Get requests a v1.1 path with an Authorization header (auth; "" for
// none).
func fxV1Get(t *testing.T, fx *FakeX, path string, query url.Values, auth string) fxResponse {
	t.Helper()
	return fxRequest(context.Background(), t, fx, path, query, auth)
}

// fxV1OK requests a v1.1 path with the right credentials and fails the
// test unless the answer is a 200.
func fxV1OK(t *testing.T, fx *FakeX, path string, query url.Values) []byte {
	t.Helper()
	r := fxV1Get(t, fx, path, query, fxV1Auth(FakeXV1ConsumerKey))
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("%s: status %d, err %v: %s", path, r.status, r.err, r.body)
	}
	return r.body
}

// fxV1Statuses decodes an array of statuses loosely, keeping numbers exact.
func fxV1Statuses(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out []map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode: %v: %s", err, body)
	}
	return out
}

func fxV1IDs(statuses []map[string]any) []string {
	var ids []string
	for _, s := range statuses {
		ids = append(ids, s["id_str"].(string))
	}
	return ids
}

func fxV1Code(t *testing.T, body []byte) int {
	t.Helper()
	var e struct {
		Errors []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Message == "" {
		t.Fatalf("not a v1.1 error body (%v): %s", err, body)
	}
	return e.Errors[0].Code
}

func TestFakeXV1Auth(t *testing.T) {
	fx := fxNewTestFake(t)
	timeline := url.Values{"screen_name": {"VP"}}
	tests := []struct {
		name     string
		auth     string
		want     int
		wantCode int
	}{
		{"right key", fxV1Auth(FakeXV1ConsumerKey), 200, 0},
		{"wrong key", fxV1Auth("not-the-key"), 401, 89},
		{"no header", "", 400, 215},
		{"bearer token", "Bearer test-token", 400, 215},
		{"no signature", strings.Replace(fxV1Auth(FakeXV1ConsumerKey), "oauth_signature=", "oauth_x=", 1), 400, 215},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fxV1Get(t, fx, "/1.1/statuses/user_timeline.json", timeline, tt.auth)
			if r.status != tt.want {
				t.Fatalf("status: got %d, want %d: %s", r.status, tt.want, r.body)
			}
			if got, want := r.header.Get("Content-Type"), "application/json;charset=utf-8"; got != want {
				t.Errorf("content type: got %q, want %q", got, want)
			}
			if tt.wantCode != 0 {
				if got := fxV1Code(t, r.body); got != tt.wantCode {
					t.Errorf("code: got %d, want %d", got, tt.wantCode)
				}
				if r.header.Get("x-rate-limit-remaining") != "" {
					t.Error("rate-limit headers on an unauthenticated response")
				}
			}
		})
	}
	t.Run("V1ConsumerKey", func(t *testing.T) {
		fx.V1ConsumerKey = "another-key"
		defer func() { fx.V1ConsumerKey = FakeXV1ConsumerKey }()
		if r := fxV1Get(t, fx, "/1.1/users/show.json", url.Values{"screen_name": {"VP"}}, fxV1Auth("another-key")); r.status != 200 {
			t.Errorf("got %d: %s", r.status, r.body)
		}
		if r := fxV1Get(t, fx, "/1.1/users/show.json", url.Values{"screen_name": {"VP"}}, fxV1Auth(FakeXV1ConsumerKey)); r.status != 401 {
			t.Errorf("old key: got %d", r.status)
		}
	})
	reqs := fx.Requests()
	if got, want := reqs[0].Endpoint, FakeXV1UserTimeline; got != want {
		t.Errorf("endpoint: got %q, want %q", got, want)
	}
	if !reqs[0].Authorized || reqs[2].Authorized {
		t.Errorf("authorized: got %v and %v", reqs[0].Authorized, reqs[2].Authorized)
	}
}

func TestFakeXV1Timeline(t *testing.T) {
	fx := fxNewTestFake(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fx.GeneratePosts(fxTestVP, 30, start, time.Hour)
	long := strings.Repeat("Energy, trade & security: ", 8) + "done."
	longID := fx.Post(fxTestVP, long, start.Add(40*time.Hour))
	edited := fx.Post(fxTestVP, "First draft.", start.Add(41*time.Hour))
	latest := fx.Edit(edited, "Second draft.", start.Add(41*time.Hour+5*time.Minute))
	gone := fx.Post(fxTestVP, "Deleted soon.", start.Add(42*time.Hour))
	fx.Delete(gone)
	photo := fx.Post(fxTestVP, "With a photo.", start.Add(43*time.Hour))
	fx.AttachPhoto(photo, "https://pbs.twimg.com/media/GabcdefXYZ.jpg")
	fx.GeneratePosts(fxTestPress, 5, start, time.Hour) // another account's posts stay out
	path := "/1.1/statuses/user_timeline.json"

	t.Run("count and order", func(t *testing.T) {
		def := fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"vp"}}))
		if got, want := len(def), 20; got != want {
			t.Errorf("default count: got %d, want %d", got, want)
		}
		all := fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"user_id": {fxTestVP}, "count": {"200"}}))
		ids := fxV1IDs(all)
		if got, want := len(ids), 33; got != want { // 30 + long + edited (latest) + photo
			t.Fatalf("posts: got %d, want %d", got, want)
		}
		if want := []string{photo, latest, longID}; !slices.Equal(ids[:3], want) {
			t.Errorf("newest: got %v, want %v", ids[:3], want)
		}
		if slices.Contains(ids, edited) || slices.Contains(ids, gone) {
			t.Errorf("an old version or a deleted post is listed: %v", ids)
		}
		for i, s := range all {
			if s["id"].(json.Number).String() != s["id_str"] {
				t.Errorf("status %d: id %v, id_str %v", i, s["id"], s["id_str"])
			}
			if _, err := time.Parse(time.RubyDate, s["created_at"].(string)); err != nil {
				t.Errorf("status %d: created_at: %v", i, err)
			}
			if i > 0 && fxMustID(t, ids[i]) >= fxMustID(t, ids[i-1]) {
				t.Errorf("status %d: not older than the one before", i)
			}
			user := s["user"].(map[string]any)
			if user["screen_name"] != "VP" || user["id_str"] != fxTestVP || user["protected"] != false {
				t.Errorf("status %d: user %v", i, user)
			}
		}
		posts, err := xv1.DecodeStatuses(fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"200"}, "tweet_mode": {"extended"}}))
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 33 || posts[1].Text != "Second draft." || posts[1].Author.Handle != "VP" || posts[1].CreatedAt.IsZero() {
			t.Errorf("decoded: %d posts, second %+v", len(posts), posts[1])
		}
	})
	t.Run("max_id and since_id", func(t *testing.T) {
		all := fxV1IDs(fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"200"}})))
		page := fxV1IDs(fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"5"}, "max_id": {all[10]}})))
		if want := all[10:15]; !slices.Equal(page, want) {
			t.Errorf("max_id is inclusive: got %v, want %v", page, want)
		}
		page = fxV1IDs(fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "since_id": {all[3]}, "max_id": {all[1]}})))
		if want := all[1:3]; !slices.Equal(page, want) {
			t.Errorf("since_id is exclusive: got %v, want %v", page, want)
		}
		if r := fxV1Get(t, fx, path, url.Values{"screen_name": {"VP"}, "max_id": {"x"}}, fxV1Auth(FakeXV1ConsumerKey)); r.status != 400 || fxV1Code(t, r.body) != 44 {
			t.Errorf("bad max_id: got %d %s", r.status, r.body)
		}
	})
	t.Run("extended and compatibility text", func(t *testing.T) {
		ext := fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"3"}, "tweet_mode": {"extended"}}))
		compat := fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"3"}}))
		e, c := ext[2], compat[2] // the long post
		wantFull := strings.ReplaceAll(long, "&", "&amp;")
		if e["full_text"] != wantFull || e["text"] != nil || e["truncated"] != false {
			t.Errorf("extended: full_text %q, text %v, truncated %v", e["full_text"], e["text"], e["truncated"])
		}
		if r := e["display_text_range"].([]any); r[0].(json.Number).String() != "0" || r[1].(json.Number).String() != strconv.Itoa(utf8.RuneCountInString(long)) {
			t.Errorf("display_text_range: got %v", r)
		}
		text, _ := c["text"].(string)
		shown := utf8.RuneCountInString(strings.ReplaceAll(text, "&amp;", "&")) // X counts the unescaped text
		if c["full_text"] != nil || c["truncated"] != true || shown > 140 || shown < 130 || !strings.Contains(text, "… https://t.co/") {
			t.Errorf("compat: text %q (%d chars), truncated %v", text, shown, c["truncated"])
		}
		if !strings.HasPrefix(wantFull, strings.TrimRight(text[:strings.Index(text, "…")], " ")) {
			t.Errorf("compat text %q is not a prefix of the post", text)
		}
		urls := c["entities"].(map[string]any)["urls"].([]any)
		if len(urls) != 1 || urls[0].(map[string]any)["expanded_url"] != "https://twitter.com/i/web/status/"+longID {
			t.Errorf("compat urls: %v", urls)
		}
		if short := compat[1]; short["text"] != "Second draft." || short["truncated"] != false {
			t.Errorf("short post in compat mode: %v %v", short["text"], short["truncated"])
		}
	})
	t.Run("photo", func(t *testing.T) {
		s := fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"1"}, "tweet_mode": {"extended"}}))[0]
		full := s["full_text"].(string)
		media := s["extended_entities"].(map[string]any)["media"].([]any)
		m := media[0].(map[string]any)
		if len(media) != 1 || m["media_url_https"] != "https://pbs.twimg.com/media/GabcdefXYZ.jpg" || m["type"] != "photo" ||
			!strings.HasSuffix(full, " "+m["url"].(string)) {
			t.Errorf("media %v in %q", media, full)
		}
		r := s["display_text_range"].([]any)
		if r[1].(json.Number).String() != strconv.Itoa(len("With a photo.")) {
			t.Errorf("display_text_range: got %v, want it to end before the link", r)
		}
		posts, err := xv1.DecodeStatuses(fxV1OK(t, fx, "/1.1/statuses/lookup.json", url.Values{"id": {photo}, "tweet_mode": {"extended"}}))
		if err != nil || len(posts) != 1 || len(posts[0].Media) != 1 || posts[0].Media[0].URL != "https://pbs.twimg.com/media/GabcdefXYZ.jpg" {
			t.Errorf("decoded: %+v, %v", posts, err)
		}
	})
	t.Run("cap", func(t *testing.T) {
		fx.SetTimelineCap(10)
		defer fx.SetTimelineCap(FakeXTimelineCap)
		if got := fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"screen_name": {"VP"}, "count": {"200"}})); len(got) != 10 {
			t.Errorf("got %d posts, want 10", len(got))
		}
	})
}

func TestFakeXV1Lookup(t *testing.T) {
	fx := fxNewTestFake(t)
	at := fx.Now().Add(-time.Hour)
	first := fx.Post(fxTestVP, "Version one.", at)
	second := fx.Edit(first, "Version two.", at.Add(time.Minute))
	gone := fx.Post(fxTestVP, "Gone.", at)
	fx.Delete(gone)
	hidden := fx.Post(fxTestPress, "Behind the lock.", at)
	fx.Protect(fxTestPress)
	path := "/1.1/statuses/lookup.json"
	ids := strings.Join([]string{second, gone, first, "20", hidden, first}, ",")

	var body struct {
		ID map[string]json.RawMessage `json:"id"`
	}
	raw := fxV1OK(t, fx, path, url.Values{"id": {ids}, "map": {"true"}, "tweet_mode": {"extended"}})
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if got, want := len(body.ID), 5; got != want {
		t.Errorf("keys: got %d, want %d: %s", got, want, raw)
	}
	for _, id := range []string{gone, "20", hidden} {
		if v, ok := body.ID[id]; !ok || string(v) != "null" {
			t.Errorf("%s: got %s, want null", id, v)
		}
	}
	for id, want := range map[string]string{first: "Version one.", second: "Version two."} {
		posts, err := xv1.DecodeStatuses(body.ID[id])
		if err != nil || len(posts) != 1 || posts[0].ID != id || posts[0].Text != want {
			t.Errorf("%s: got %+v, %v", id, posts, err)
		}
	}
	if i, j := bytes.Index(raw, []byte(`"`+second+`":`)), bytes.Index(raw, []byte(`"`+gone+`":`)); i < 0 || j < i {
		t.Errorf("keys not in request order: %s", raw)
	}

	list := fxV1IDs(fxV1Statuses(t, fxV1OK(t, fx, path, url.Values{"id": {ids}})))
	if want := []string{second, first}; !slices.Equal(list, want) {
		t.Errorf("without map: got %v, want %v", list, want)
	}

	// The same versions through v2.
	page := fxDecode(t, fxGet(t, fx, "/2/tweets", fxWith("ids", first+","+second)))
	if len(page.Posts) != 2 || page.Posts[0].Text != "Version one." || page.Posts[1].Text != "Version two." {
		t.Errorf("v2: %+v", page.Posts)
	}

	many := make([]string, 101)
	for i := range many {
		many[i] = strconv.Itoa(1000 + i)
	}
	for _, q := range []url.Values{{"id": {strings.Join(many, ",")}}, {"id": {"1,x"}}, {}} {
		r := fxV1Get(t, fx, path, q, fxV1Auth(FakeXV1ConsumerKey))
		if r.status != http.StatusBadRequest || fxV1Code(t, r.body) != 44 {
			t.Errorf("%v: got %d %s", q, r.status, r.body)
		}
	}
}

func TestFakeXV1Users(t *testing.T) {
	fx := fxNewTestFake(t)
	fxHideTestAccounts(fx)
	tests := []struct {
		name                   string
		path                   string
		user                   string
		wantStatus, wantCode   int
		wantID, wantProtection string
	}{
		{"show", "/1.1/users/show.json", "vp", 200, 0, fxTestVP, "false"},
		{"show protected", "/1.1/users/show.json", "VPPressSec", 200, 0, fxTestPress, "true"},
		{"show unknown", "/1.1/users/show.json", "nobody", 404, 50, "", ""},
		{"show suspended", "/1.1/users/show.json", "StateDept", 403, 63, "", ""},
		{"timeline unknown", "/1.1/statuses/user_timeline.json", "nobody", 404, 34, "", ""},
		{"timeline suspended", "/1.1/statuses/user_timeline.json", "StateDept", 403, 63, "", ""},
		{"timeline protected", "/1.1/statuses/user_timeline.json", "VPPressSec", 401, 179, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fxV1Get(t, fx, tt.path, url.Values{"screen_name": {tt.user}}, fxV1Auth(FakeXV1ConsumerKey))
			if r.status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantCode != 0 {
				if got := fxV1Code(t, r.body); got != tt.wantCode {
					t.Errorf("code: got %d, want %d", got, tt.wantCode)
				}
				return
			}
			var u map[string]any
			if err := json.Unmarshal(r.body, &u); err != nil {
				t.Fatal(err)
			}
			if u["id_str"] != tt.wantID || strconv.FormatBool(u["protected"].(bool)) != tt.wantProtection {
				t.Errorf("got %v", u)
			}
			if _, err := time.Parse(time.RubyDate, u["created_at"].(string)); err != nil {
				t.Errorf("created_at: %v", err)
			}
		})
	}
}

func TestFakeXV1FaultsAndLimits(t *testing.T) {
	fx := fxNewTestFake(t)
	fx.GeneratePosts(fxTestVP, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour)
	path := "/1.1/statuses/user_timeline.json"
	q := url.Values{"screen_name": {"VP"}}
	auth := fxV1Auth(FakeXV1ConsumerKey)

	t.Run("fail by prefix", func(t *testing.T) {
		fx.FailNext(http.StatusInternalServerError, "/1.1/")
		if r := fxGet(t, fx, "/2/users/by/username/VP", nil); r.status != 200 {
			t.Errorf("v2: got %d, want 200", r.status)
		}
		for _, want := range []int{500, 200} {
			r := fxV1Get(t, fx, path, q, auth)
			if r.status != want {
				t.Fatalf("got %d, want %d", r.status, want)
			}
			if want == 500 && fxV1Code(t, r.body) != 131 {
				t.Errorf("body %s", r.body)
			}
		}
	})
	t.Run("429 spends the window", func(t *testing.T) {
		fx.FailNext(http.StatusTooManyRequests, "/1.1/")
		for i := range 2 {
			r := fxV1Get(t, fx, path, q, auth)
			if r.status != 429 || r.header.Get("x-rate-limit-remaining") != "0" || fxV1Code(t, r.body) != 88 {
				t.Errorf("request %d: got %d remaining %s: %s", i, r.status, r.header.Get("x-rate-limit-remaining"), r.body)
			}
		}
		reset, _ := strconv.ParseInt(fxV1Get(t, fx, path, q, auth).header.Get("x-rate-limit-reset"), 10, 64)
		fx.SetNow(time.Unix(reset, 0))
		if r := fxV1Get(t, fx, path, q, auth); r.status != 200 || r.header.Get("x-rate-limit-limit") != "900" {
			t.Errorf("after reset: got %d limit %s", r.status, r.header.Get("x-rate-limit-limit"))
		}
	})
	t.Run("own windows", func(t *testing.T) {
		fx.SetRateLimit(FakeXV1Lookup, 1)
		lq := url.Values{"id": {"1"}, "map": {"true"}}
		if r := fxV1Get(t, fx, "/1.1/statuses/lookup.json", lq, auth); r.status != 200 || r.header.Get("x-rate-limit-remaining") != "0" {
			t.Errorf("first lookup: got %d remaining %s", r.status, r.header.Get("x-rate-limit-remaining"))
		}
		if r := fxV1Get(t, fx, "/1.1/statuses/lookup.json", lq, auth); r.status != 429 {
			t.Errorf("second lookup: got %d", r.status)
		}
		if r := fxV1Get(t, fx, "/1.1/users/show.json", q, auth); r.status != 200 {
			t.Errorf("users/show: got %d", r.status)
		}
	})
	t.Run("truncated and malformed", func(t *testing.T) {
		fx.TruncateNext("/1.1/")
		if r := fxV1Get(t, fx, path, q, auth); r.status != 200 || !errors.Is(r.err, io.ErrUnexpectedEOF) {
			t.Errorf("truncated: got %d, err %v", r.status, r.err)
		}
		fx.MalformNext("/1.1/")
		if r := fxV1Get(t, fx, path, q, auth); r.status != 200 || json.Valid(r.body) {
			t.Errorf("malformed: got %d %s", r.status, r.body)
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		r := fxV1Get(t, fx, "/1.1/statuses/show.json", url.Values{"id": {"1"}}, auth)
		if r.status != 404 || fxV1Code(t, r.body) != 34 {
			t.Errorf("got %d %s", r.status, r.body)
		}
	})
}
