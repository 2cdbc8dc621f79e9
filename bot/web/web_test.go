package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/importer"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot"
	"github.com/verbatim-archive/verbatim/bot/web"
)

// Posts of the fixture.
const (
	bakuID    = "2021150315377594369" // from testdata, with a snapshot
	yerevanID = "2020770277880778757" // from testdata, deleted later
	scriptID  = "2021200000000000001"
	imgID     = "2021200000000000002"
	editedID  = "2021200000000000010"
	editedV2  = "2021200000000000011"
	token     = "s3cret-token"
	maxUpload = 64 << 10
)

const (
	scriptText = `<script>alert(1)</script>`
	imgText    = `"><img src=x onerror=alert(1)>`
)

// fixture is a real archive (SQLite and blobs in a temporary directory)
// behind the real handler.
type fixture struct {
	t      *testing.T
	db     *sqlite.DB
	blobs  *blob.Store
	router *bot.Router
	h      http.Handler
	snap   snapshot.Result
	shot   archive.Artifact
	dom    archive.Artifact
}

// newFixture imports the sample timeline, adds hostile, edited and deleted
// posts and a browser snapshot recorded from a made-up page, and builds the
// handler. Nothing may fetch a URL: FetchPage fails the test.
func newFixture(t *testing.T, edit func(*web.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	im := &importer.Importer{DB: db, Blobs: blobs}
	if _, err := im.ImportFile(ctx, "../../cmd/verbatim/testdata/vp-timeline.jsonl", importer.Options{}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	hostile := archive.Account{Platform: "x", PlatformID: "666", Handle: "Hostile", Name: `<b>Evil</b>`}
	vp := archive.Account{Platform: "x", PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"}
	items := []sqlite.Item{
		{Post: archive.Post{Platform: "x", ID: scriptID, Author: hostile, CreatedAt: at, Text: scriptText}},
		{Post: archive.Post{Platform: "x", ID: imgID, Author: hostile, CreatedAt: at.Add(time.Minute), Text: imgText}},
		{Post: archive.Post{Platform: "x", ID: editedID, EditHistory: []string{editedID}, Author: vp, CreatedAt: at.Add(2 * time.Minute),
			Text: "The Trump Route for Internatonal Peace and Prosperity opens trade."}},
		{Post: archive.Post{Platform: "x", ID: editedV2, EditHistory: []string{editedID, editedV2}, Author: vp, CreatedAt: at.Add(3 * time.Minute),
			Text: "The Trump Route for International Peace and Prosperity opens trade and energy."}},
	}
	if _, err := db.NewPostWriter().Write(ctx, items); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPostStatus(ctx, yerevanID, archive.StatusDeleted, "test"); err != nil {
		t.Fatal(err)
	}
	rec := snapshot.Recorder{DB: db, Blobs: blobs, Software: "verbatim/test"}
	snap, err := rec.Record(ctx, snapshot.Target{URL: "https://x.com/VP/status/" + bakuID, Kind: "post", PostID: bakuID}, &snapshot.Page{
		URL: "https://x.com/VP/status/" + bakuID, FinalURL: "https://x.com/VP/status/" + bakuID, Status: 200, Verdict: snapshot.OK,
		Screenshot: testPNG(t), DOM: []byte(`<html><body><script>alert("captured")</script>Baku</body></html>`),
		MHTML: []byte("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n\r\n--x--\r\n"), PDF: []byte("%PDF-1.4\n%%EOF\n"),
		Started: at, Ended: at.Add(time.Second),
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, blobs: blobs, snap: snap}
	for _, a := range snap.Artifacts {
		switch a.Kind {
		case "screenshot":
			f.shot = a
		case "dom":
			f.dom = a
		}
	}
	f.router = &bot.Router{
		DB:      db,
		Checker: &check.Checker{DB: db, Watched: []string{"VP"}, Names: map[string][]string{"VP": {"Vice President JD Vance", "Vance"}}},
		Guard:   &netguard.Guard{},
		FetchPage: func(ctx context.Context, u string) (check.Page, error) {
			t.Errorf("fetched %s: the guard should have refused it first", u)
			return check.Page{}, fmt.Errorf("no fetching in tests")
		},
		CaptureURL: func(ctx context.Context, u string) (snapshot.Result, error) {
			t.Errorf("captured %s: the guard should have refused it first", u)
			return snapshot.Result{}, fmt.Errorf("no fetching in tests")
		},
		Next: func() map[string]time.Time { return map[string]time.Time{"capture": at.Add(time.Hour)} },
	}
	opts := web.Options{Router: f.router, Blobs: blobs, APIToken: token, MaxUpload: maxUpload,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}
	if edit != nil {
		edit(&opts)
	}
	f.h = web.New(opts)
	return f
}

func testPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 120; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 3), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// do serves one request.
func (f *fixture) do(req *http.Request) *httptest.ResponseRecorder {
	f.t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func (f *fixture) get(path string) *httptest.ResponseRecorder {
	return f.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// wantStatus fails unless w has the code; it returns the body.
func wantStatus(t *testing.T, w *httptest.ResponseRecorder, code int) string {
	t.Helper()
	if w.Code != code {
		t.Fatalf("status %d, want %d: %s", w.Code, code, w.Body.String())
	}
	return w.Body.String()
}

func contains(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("body:\n%s", body)
	}
}

func lacks(t *testing.T, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("body contains %q", n)
		}
	}
}

func TestHomeAndSearchPages(t *testing.T) {
	f := newFixture(t, nil)
	body := wantStatus(t, f.get("/"), 200)
	contains(t, body, "Newest posts", `href="/posts/`+editedID+`"`, `action="/search"`)

	body = wantStatus(t, f.get("/search?q=Baku"), 200)
	contains(t, body, "<mark>Baku</mark>", `href="/posts/`+bakuID+`"`, "/api/v1/search?format=csv", "1 post.")
	for _, tc := range []struct {
		query      string
		want, not  []string
		wantStatus int
	}{
		{"account=@hostile", []string{scriptID, imgID}, []string{bakuID}, 200},
		{"deleted=1", []string{yerevanID}, []string{bakuID}, 200},
		{"edited=1", []string{editedID}, []string{bakuID, scriptID}, 200},
		{"media=1", []string{bakuID}, []string{scriptID}, 200},
		{"since=2026-02-10&until=2026-02-10&account=VP", []string{bakuID}, []string{yerevanID}, 200},
		{"until=2026-02-09", []string{yerevanID}, []string{bakuID}, 200},
		{"since=yesterday", []string{"since"}, nil, 400},
		{"limit=5000", []string{"limit"}, nil, 400},
	} {
		t.Run(tc.query, func(t *testing.T) {
			body := wantStatus(t, f.get("/search?"+tc.query), tc.wantStatus)
			contains(t, body, tc.want...)
			lacks(t, body, tc.not...)
		})
	}
	// Pagination: two a page, a link to the next.
	body = wantStatus(t, f.get("/search?account=VP&limit=2"), 200)
	contains(t, body, "Older →", "offset=2", "1–2 of")
	body = wantStatus(t, f.get("/search?account=VP&limit=2&offset=2"), 200)
	contains(t, body, "← Newer", "3–4 of")
}

func TestInvalidQueryIs400OneLine(t *testing.T) {
	f := newFixture(t, nil)
	for _, q := range []string{`"charter`, `(peace`, `NOT peace`, `peace OR`} {
		w := f.get("/api/v1/search?q=" + url.QueryEscape(q))
		body := wantStatus(t, w, 400)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || strings.Contains(e.Error, "\n") || !strings.HasPrefix(e.Error, "search: ") {
			t.Errorf("%q: error %q (%v)", q, e.Error, err)
		}
		w = f.get("/search?q=" + url.QueryEscape(q))
		body = wantStatus(t, w, 400)
		contains(t, body, "search: ")
	}
}

func TestSearchAPI(t *testing.T) {
	f := newFixture(t, nil)
	w := f.get("/api/v1/search?q=peace+OR+Baku&account=VP")
	body := wantStatus(t, w, 200)
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	// The CLI's JSON: the router's result without snippets, indented by
	// two spaces, with HTML characters as they are.
	res, err := f.router.Search(context.Background(), sqlite.SearchQuery{Text: "peace OR Baku", Account: "VP"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Results {
		res.Results[i].Snippet = ""
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(res)
	if body != want.String() {
		t.Errorf("API search\n%s\nwant\n%s", body, want.String())
	}
	if res.Total < 2 {
		t.Errorf("total %d", res.Total)
	}
	// Hostile text comes back as JSON text, unchanged.
	body = wantStatus(t, f.get("/api/v1/search?account=Hostile"), 200)
	contains(t, body, `"text": "`+scriptText+`"`)
}

func TestSearchDownloads(t *testing.T) {
	f := newFixture(t, nil)
	w := f.get("/api/v1/search?account=VP&format=csv")
	body := wantStatus(t, w, 200)
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".csv") {
		t.Errorf("csv disposition %q", cd)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("csv type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || strings.Join(rows[0], ",") != "id,platform,handle,created_at,status,url,text" || rows[1][0] != editedID {
		t.Errorf("csv rows %q", rows)
	}
	w = f.get("/api/v1/search?account=VP&format=jsonl")
	body = wantStatus(t, w, 200)
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".jsonl") {
		t.Errorf("jsonl disposition %q", cd)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 5 {
		t.Fatalf("jsonl: %d lines\n%s", len(lines), body)
	}
	for _, l := range lines {
		var p archive.PostSummary
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Handle != "VP" || p.ID == "" {
			t.Errorf("jsonl line %s: %v", l, err)
		}
	}
	wantStatus(t, f.get("/api/v1/search?format=xml"), 400)
}

func TestPostPage(t *testing.T) {
	f := newFixture(t, nil)
	body := wantStatus(t, f.get("/posts/"+bakuID), 200)
	contains(t, body, "Charter on Strategic Partnership",
		`<img src="/blobs/`+f.shot.SHA256+`"`, // the screenshot, linking to the full image
		`<a href="/blobs/`+f.shot.SHA256+`"`,
		fmt.Sprintf(`href="/captures/%d"`, f.snap.ID),
		f.dom.SHA256, ">dom</a>", ">mhtml</a>", ">pdf</a>", ">warc</a>", // every download and hash
		"<span class=\"badge ok\">ok</span>", "live")
	// Any version id finds the post; its versions show a word diff.
	body = wantStatus(t, f.get("/posts/"+editedV2), 200)
	contains(t, body, "Versions (2)", "<del>Internatonal</del>", "<ins>International</ins>", "<ins>and energy</ins>", "edited")
	// A deleted post says when that was noticed.
	body = wantStatus(t, f.get("/posts/"+yerevanID), 200)
	contains(t, body, `badge bad">deleted</span> noticed 20`)
	wantStatus(t, f.get("/posts/1234"), 404)
}

func TestPostAPIMatchesShow(t *testing.T) {
	f := newFixture(t, nil)
	body := wantStatus(t, f.get("/api/v1/posts/"+editedV2), 200)
	d, err := f.router.Show(context.Background(), editedV2)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]any{"post": d})
	if body != want.String() {
		t.Errorf("API post\n%s\nwant\n%s", body, want.String())
	}
	contains(t, body, `"diff": "The Trump Route for [-Internatonal-]{+International+}`)
	w := f.get("/api/v1/posts/nope")
	body = wantStatus(t, w, 404)
	contains(t, body, `"error": "post nope: not found"`)
}

func TestHostileTextIsEscaped(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/posts/" + scriptID, "/posts/" + imgID, "/search?account=Hostile", "/search?q=alert",
		"/accounts/Hostile", "/", "/search?q=" + url.QueryEscape(scriptText)} {
		t.Run(path, func(t *testing.T) {
			w := f.get(path)
			if w.Code != 200 && w.Code != 400 {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			lacks(t, body, "<script", "<img src=x", "<b>Evil</b>")
		})
	}
	body := wantStatus(t, f.get("/posts/"+scriptID), 200)
	contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;Evil&lt;/b&gt;")
	body = wantStatus(t, f.get("/posts/"+imgID), 200)
	contains(t, body, "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
	// A snippet's highlight marks are ours; the text around them is escaped.
	body = wantStatus(t, f.get("/search?q=alert"), 200)
	contains(t, body, "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;")
}

func TestCapturePage(t *testing.T) {
	f := newFixture(t, nil)
	body := wantStatus(t, f.get(fmt.Sprintf("/captures/%d", f.snap.ID)), 200)
	contains(t, body, "Capture #", `href="/posts/`+bakuID+`"`, `<img src="/blobs/`+f.shot.SHA256+`"`, f.dom.SHA256, "image/png", "snapshot_uuid")
	body = wantStatus(t, f.get(fmt.Sprintf("/api/v1/captures/%d", f.snap.ID)), 200)
	var out struct {
		Capture sqlite.CaptureInfo `json:"capture"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Capture.PostID != bakuID || len(out.Capture.Artifacts) != len(f.snap.Artifacts) || out.Capture.Verdict != "ok" {
		t.Errorf("capture %+v", out.Capture)
	}
	wantStatus(t, f.get("/captures/abc"), 404)
	wantStatus(t, f.get("/captures/99999"), 404)
	wantStatus(t, f.get("/api/v1/captures/99999"), 404)
}

func TestAccountPage(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	// Two timeline passes five hours apart: a gap in capture coverage.
	for _, at := range []time.Time{time.Date(2026, 2, 10, 6, 0, 0, 0, time.UTC), time.Date(2026, 2, 10, 11, 0, 0, 0, time.UTC)} {
		if _, err := f.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/users/1542228578/tweets?since_id=#page=1",
			Format: "x-v2", At: at, Complete: true}); err != nil {
			t.Fatal(err)
		}
	}
	body := wantStatus(t, f.get("/accounts/vp"), 200)
	contains(t, body, "@VP", "Vice President JD Vance", "Timeline", `href="/posts/`+bakuID+`"`,
		"Deletions (1)", `href="/posts/`+yerevanID+`"`, "Arrived in Yerevan",
		"<td>captures</td><td>2026-02-10 06:00:00 UTC</td><td>2026-02-10 11:00:00 UTC</td><td>5h 0m</td>", "2 API pages")
	lacks(t, body, "<td>posts</td>")
	// A tighter threshold for posts shows the night between the two days.
	body = wantStatus(t, f.get("/accounts/VP?post_gap=6h"), 200)
	contains(t, body, "<td>posts</td><td>2026-02-09 16:20:05 UTC</td><td>2026-02-10 09:12:41 UTC</td>")
	body = wantStatus(t, f.get("/api/v1/accounts/@VP?post_gap=6h"), 200)
	var out struct{ Account sqlite.AccountOverview }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Account.Deleted != 1 || out.Account.Posts != 5 || len(out.Account.Gaps) < 2 || out.Account.TimelineCaptures != 2 {
		t.Errorf("account %+v", out.Account)
	}
	wantStatus(t, f.get("/accounts/VP?capture_gap=soon"), 400)
	wantStatus(t, f.get("/accounts/nobody"), 404)
}

// upload builds a multipart check form.
func upload(t *testing.T, fields map[string]string, file string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != "" {
		fw, err := mw.CreateFormFile("file", "republished.html")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, file)
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

// articleHTML embeds the Baku post with words changed.
const articleHTML = `<!doctype html><html><head><title>Vance signs charter in Baku</title></head><body><article>
<h1>Vance signs charter in Baku</h1>
<p>The Vice President travelled to Azerbaijan on Tuesday, where he met the country's president and signed an agreement on a strategic partnership between the two countries.</p>
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Vice President Vance in Baku, Azerbaijan, with the President of Azerbaijan Ilham Aliyev.<br><br>The two signed a Charter on Military Partnership, held bilateral meetings, and delivered remarks</p>&mdash; Vice President JD Vance (@VP) <a href="https://twitter.com/VP/status/2021150315377594369">February 10, 2026</a></blockquote>
<p>The charter covers energy, trade and transit, and officials on both sides described it as the start of a longer relationship that would outlast the current administration.</p>
</article></body></html>`

func TestCheckUploadPage(t *testing.T) {
	f := newFixture(t, nil)
	body := wantStatus(t, f.get("/check"), 200)
	contains(t, body, `enctype="multipart/form-data"`, `name="file"`, `name="url"`, `name="token"`)

	// Without the token: 401, nothing recorded.
	b, ct := upload(t, nil, articleHTML)
	req := httptest.NewRequest(http.MethodPost, "/check", b)
	req.Header.Set("Content-Type", ct)
	w := f.do(req)
	wantStatus(t, w, 401)
	b, ct = upload(t, map[string]string{"token": "wrong"}, articleHTML)
	req = httptest.NewRequest(http.MethodPost, "/check", b)
	req.Header.Set("Content-Type", ct)
	wantStatus(t, f.do(req), 401)

	b, ct = upload(t, map[string]string{"token": token}, articleHTML)
	req = httptest.NewRequest(http.MethodPost, "/check", b)
	req.Header.Set("Content-Type", ct)
	w = f.do(req)
	if w.Code != http.StatusSeeOther || !regexp.MustCompile(`^/articles/\d+$`).MatchString(w.Header().Get("Location")) {
		t.Fatalf("check: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	loc := w.Header().Get("Location")
	body = wantStatus(t, f.get(loc), 200)
	contains(t, body, "Vance signs charter in Baku", "republished.html", `href="/posts/`+bakuID+`"`,
		"<del>Strategic</del>", "<ins>Military</ins>", "1 misquoted", `class="side"`)
	// The post now lists the article that quoted it.
	body = wantStatus(t, f.get("/posts/"+bakuID), 200)
	contains(t, body, `href="`+loc+`"`, "Vance signs charter in Baku")
	// The stored report as JSON.
	body = wantStatus(t, f.get("/api"+strings.Replace(loc, "/articles/", "/v1/articles/", 1)), 200)
	var rep check.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil || rep.Misquotes != 1 || len(rep.Embeds) == 0 {
		t.Errorf("article JSON: %v %s", err, body)
	}
	wantStatus(t, f.get("/articles/99999"), 404)
	wantStatus(t, f.get("/articles/x"), 404)
}

func TestCheckOpenWritesNeedNoToken(t *testing.T) {
	f := newFixture(t, func(o *web.Options) { o.OpenWrites = true; o.APIToken = "" })
	body := wantStatus(t, f.get("/check"), 200)
	lacks(t, body, `name="token"`)
	b, ct := upload(t, nil, articleHTML)
	req := httptest.NewRequest(http.MethodPost, "/check", b)
	req.Header.Set("Content-Type", ct)
	if w := f.do(req); w.Code != http.StatusSeeOther {
		t.Fatalf("open check: %d %s", w.Code, w.Body.String())
	}
	req = httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(articleHTML))
	req.Header.Set("Content-Type", "text/html")
	wantStatus(t, f.do(req), 200)
}

func TestCheckAPI(t *testing.T) {
	f := newFixture(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/check?url=https://news.example/baku", strings.NewReader(articleHTML))
	req.Header.Set("Content-Type", "text/html; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	body := wantStatus(t, f.do(req), 200)
	var rep check.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.ArticleID == 0 || rep.Misquotes != 1 || rep.URL != "https://news.example/baku" || rep.Embeds[0].Archived == nil || rep.Embeds[0].Archived.ID != bakuID {
		t.Errorf("report %s", body)
	}
	// An upload through the API, as multipart.
	b, ct := upload(t, nil, articleHTML)
	req = httptest.NewRequest(http.MethodPost, "/api/v1/check", b)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	wantStatus(t, f.do(req), 200)
	// Nothing to check.
	req = httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	wantStatus(t, f.do(req), 400)
}

func TestCheckRefusesPrivateURLs(t *testing.T) {
	f := newFixture(t, nil)
	for _, u := range []string{"http://127.0.0.1/article", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd",
		"http://[::1]:8080/", "http://localhost/x", "gopher://example.com/"} {
		t.Run(u, func(t *testing.T) {
			// The API, as JSON.
			req := httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(`{"url": "`+u+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			body := wantStatus(t, f.do(req), 400)
			var e struct{ Error string }
			json.Unmarshal([]byte(body), &e)
			if !strings.HasPrefix(e.Error, "refused: url "+u) || strings.Contains(e.Error, "\n") {
				t.Errorf("error %q", e.Error)
			}
			// The form.
			form := url.Values{"url": {u}, "token": {token}}
			req = httptest.NewRequest(http.MethodPost, "/check", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			body = wantStatus(t, f.do(req), 400)
			contains(t, body, "refused: url ")
		})
	}
	// Captures of URLs are refused the same way.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/capture", strings.NewReader(`{"target": "http://169.254.169.254/"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	wantStatus(t, f.do(req), 400)
}

func TestWritesNeedToken(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct{ path, auth, body string }{
		{"/api/v1/check", "", `{"url": "https://example.com/"}`},
		{"/api/v1/check", "Bearer wrong", `{"url": "https://example.com/"}`},
		{"/api/v1/check", "Basic " + token, `{"url": "https://example.com/"}`},
		{"/api/v1/check", "Bearer " + token + "x", `{"url": "https://example.com/"}`},
		{"/api/v1/capture", "", `{"target": "@VP"}`},
		{"/api/v1/capture", "Bearer ", `{"target": "@VP"}`},
	} {
		req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		w := f.do(req)
		wantStatus(t, w, 401)
		if w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %q: no WWW-Authenticate", tc.path, tc.auth)
		}
	}
	// With the token, a capture of an account needs the X API, which this
	// server lacks.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/capture", strings.NewReader(`{"target": "@VP"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	body := wantStatus(t, f.do(req), 503)
	contains(t, body, "not available")
	// No token configured: nothing is accepted.
	f2 := newFixture(t, func(o *web.Options) { o.APIToken = "" })
	req = httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(`{"url": "https://example.com/"}`))
	req.Header.Set("Authorization", "Bearer ")
	wantStatus(t, f2.do(req), 401)
}

func TestBodyOverLimit(t *testing.T) {
	f := newFixture(t, nil)
	big := strings.Repeat("<p>quoted words</p>", maxUpload/10)
	// Declared length over the limit.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(big))
	req.Header.Set("Content-Type", "text/html")
	req.Header.Set("Authorization", "Bearer "+token)
	wantStatus(t, f.do(req), 413)
	// Chunked, no length: cut at the limit.
	req = httptest.NewRequest(http.MethodPost, "/api/v1/check", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "text/html")
	req.Header.Set("Authorization", "Bearer "+token)
	wantStatus(t, f.do(req), 413)
	// An upload through the form.
	b, ct := upload(t, map[string]string{"token": token}, big)
	req = httptest.NewRequest(http.MethodPost, "/check", io.MultiReader(b))
	req.ContentLength = -1
	req.Header.Set("Content-Type", ct)
	body := wantStatus(t, f.do(req), 413)
	contains(t, body, "too large")
}

func TestBlobs(t *testing.T) {
	f := newFixture(t, nil)
	w := f.get("/blobs/" + f.shot.SHA256)
	wantStatus(t, w, 200)
	h := w.Header()
	if h.Get("Content-Type") != "image/png" || h.Get("ETag") != `"`+f.shot.SHA256+`"` ||
		h.Get("Cache-Control") != "public, max-age=31536000, immutable" || strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("screenshot headers %v", h)
	}
	if !bytes.Equal(w.Body.Bytes(), testPNG(t)) {
		t.Error("screenshot bytes differ")
	}
	req := httptest.NewRequest(http.MethodGet, "/blobs/"+f.shot.SHA256, nil)
	req.Header.Set("If-None-Match", `"`+f.shot.SHA256+`"`)
	w = f.do(req)
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", w.Code, w.Body.Len())
	}
	for _, a := range f.snap.Artifacts {
		if a.Kind == "screenshot" || a.Kind == "pdf" {
			continue
		}
		t.Run(a.Kind, func(t *testing.T) {
			w := f.get("/blobs/" + a.SHA256)
			wantStatus(t, w, 200)
			h := w.Header()
			if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
				strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s headers %v", a.Kind, h)
			}
		})
	}
	// The DOM, as captured with its script, only ever as a download.
	w = f.get("/blobs/" + f.dom.SHA256)
	if ct := w.Header().Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("dom type %q", ct)
	}
	// A stored blob no artifact names is sniffed, and still never HTML.
	ref, err := f.blobs.Put(context.Background(), strings.NewReader("<html><script>alert(1)</script></html>"))
	if err != nil {
		t.Fatal(err)
	}
	w = f.get("/blobs/" + ref.SHA256)
	if ct := w.Header().Get("Content-Type"); ct != "application/octet-stream" || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("unknown blob: %q %v", ct, w.Header())
	}
	wantStatus(t, f.get("/blobs/"+strings.Repeat("0", 64)), 404)
	wantStatus(t, f.get("/blobs/..%2f..%2fetc%2fpasswd"), 404)
	wantStatus(t, f.get("/blobs/ZZZ"), 404)
}

func TestStatus(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.db.StartJob(context.Background(), "capture"); err != nil {
		t.Fatal(err)
	}
	body := wantStatus(t, f.get("/api/v1/status"), 200)
	var st map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"archive", "runs", "next", "failed"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status lacks %q: %s", k, body)
		}
	}
	body = wantStatus(t, f.get("/status"), 200)
	contains(t, body, "Archive status", "capture", "Next runs")
}

// Every response carries the security headers, errors included.
func TestSecurityHeadersOnEveryPage(t *testing.T) {
	f := newFixture(t, nil)
	paths := []string{"/", "/search?q=Baku", "/posts/" + bakuID, fmt.Sprintf("/captures/%d", f.snap.ID), "/accounts/VP", "/check",
		"/status", "/blobs/" + f.shot.SHA256, "/assets/style.css", "/api/v1/status", "/api/v1/search?q=Baku", "/nope", "/api/v1/nope",
		"/posts/404", "/search?q=%22", "/articles/1"}
	for _, p := range paths {
		w := f.get(p)
		h := w.Header()
		if h.Get("Content-Security-Policy") == "" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s (%d): headers %v", p, w.Code, h)
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") && h.Get("Content-Security-Policy") != web.CSP {
			t.Errorf("%s: CSP %q", p, h.Get("Content-Security-Policy"))
		}
	}
	// A form posted from another site is refused before it runs.
	req := httptest.NewRequest(http.MethodPost, "/check", strings.NewReader("url=https://example.com/&token="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := f.do(req); w.Code != http.StatusForbidden {
		t.Errorf("cross-site form: %d", w.Code)
	}
}
