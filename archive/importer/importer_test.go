package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

var ctx = context.Background()

func newImporter(t *testing.T) *Importer {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return &Importer{DB: db, Blobs: bs, BatchSize: 2}
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	vpUser = `{"id":"1542228578","username":"VP","name":"Vice President JD Vance"}`
	page1  = `{"data":[{"id":"2021150315377594369","text":"The two signed a Charter on Strategic Partnership","author_id":"1542228578","created_at":"2026-02-10T09:12:41.000Z","edit_history_tweet_ids":["2021150315377594369"]},` +
		`{"id":"2021185161655234563","text":"created peace where previously there was war","author_id":"1542228578","created_at":"2026-02-10T11:31:09.000Z","edit_history_tweet_ids":["2021185161655234563"]}],` +
		`"includes":{"users":[` + vpUser + `]},"meta":{"result_count":2}}`
	page2 = `{"data":[{"id":"2021163552601022466","text":"Aliyev sign a charter on strategic partnership","author_id":"1879644163769335808","created_at":"2026-02-10T10:05:17.000Z","edit_history_tweet_ids":["2021163552601022466"]}],` +
		`"includes":{"users":[{"id":"1879644163769335808","username":"VPPressSec","name":"Press Secretary"}]},"meta":{"result_count":1}}`
)

func TestImportJSONLWithABadLine(t *testing.T) {
	im := newImporter(t)
	f := write(t, "pages.jsonl", page1+"\n{\"data\": [oops\n"+page2+"\n")
	res, err := im.ImportFile(ctx, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatV2JSONL {
		t.Errorf("format %q", res.Format)
	}
	if res.Stats.Posts != 3 {
		t.Errorf("added %+v, want 3 posts from the good lines", res.Stats)
	}
	if len(res.Problems) != 1 || res.Problems[0].Line != 2 {
		t.Errorf("problems %+v, want one on line 2", res.Problems)
	}
	// Every post links to the raw page it came from.
	d, err := im.DB.Post(ctx, "2021163552601022466", "")
	if err != nil {
		t.Fatal(err)
	}
	if v := d.Versions[0]; v.CaptureID != res.CaptureID || v.Page != 3 {
		t.Errorf("version source: capture %d line %d, want capture %d line 3", v.CaptureID, v.Page, res.CaptureID)
	}
	if len(d.Captures) != 1 || d.Captures[0].Artifacts[0].SHA256 != res.SHA256 {
		t.Errorf("captures %+v", d.Captures)
	}
	if ok, _ := im.Blobs.Has(ctx, res.SHA256); !ok {
		t.Error("the imported file is not in the blob store")
	}
}

func TestReimportAddsNothing(t *testing.T) {
	im := newImporter(t)
	f := write(t, "pages.jsonl", page1+"\n"+page2+"\n")
	first, err := im.ImportFile(ctx, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := im.DB.Stats(ctx)
	second, err := im.ImportFile(ctx, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !second.Skipped || second.CaptureID != first.CaptureID {
		t.Errorf("second import %+v, want skipped with capture %d", second, first.CaptureID)
	}
	// The same pages in another file add no posts either.
	third, err := im.ImportFile(ctx, write(t, "copy.jsonl", page2+"\n"+page1+"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if third.Stats.Posts+third.Stats.Versions != 0 || third.Stats.Unchanged != 3 {
		t.Errorf("third import added %+v", third.Stats)
	}
	after, _ := im.DB.Stats(ctx)
	if after.Posts != before.Posts || after.Versions != before.Versions {
		t.Errorf("stats changed: %+v -> %+v", before, after)
	}
}

func TestResumeAfterCrash(t *testing.T) {
	im := newImporter(t)
	f := write(t, "pages.jsonl", page1+"\n"+page2+"\n")
	// A crash after the capture row was written but before the posts were.
	ref, err := im.Blobs.PutFile(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	capID, err := im.DB.RecordCapture(ctx, sqlite.CaptureInput{Kind: "import", Target: f, Format: FormatV2JSONL,
		Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/x-ndjson", Size: ref.Size, SHA256: ref.SHA256}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := im.ImportFile(ctx, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped || res.CaptureID != capID || res.Stats.Posts != 3 {
		t.Errorf("resumed import %+v, want capture %d and 3 posts", res, capID)
	}
	st, _ := im.DB.Stats(ctx)
	if st.Captures != 1 {
		t.Errorf("%d captures, want 1", st.Captures)
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct {
		name, file, content string
		wantErr             string // substring; "" means success
		bad                 bool   // ErrBadInput
		problems            int
	}{
		{"empty", "e.json", "", "file is empty", true, 0},
		{"white space", "w.json", "  \n\t\n", "only white space", true, 0},
		{"unknown format", "x.csv", "id,text\n1,hello\n", "unknown format: expected X API v2", true, 0},
		{"unknown JSON", "u.json", `{"hello":"world"}`, "unknown format", true, 0},
		{"malformed single", "m.json", "{\"data\":[\n{\"id\":\"1\",\n\"text\": oops}]}", "line 3", true, 0},
		{"truncated single", "t.json", page1[:len(page1)-40], "truncated", true, 0},
		{"truncated JSONL", "t.jsonl", page1 + "\n" + page2[:60], "", false, 1},
		{"problem response", "p.json", `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`, "Unauthorized", true, 0},
		{"v1.1 error", "v1e.json", `{"errors":[{"message":"Sorry, that page does not exist","code":34}]}`, "34", true, 0},
		{"not a file", "", "", "is a directory", false, 0},
		{"missing", "/nonexistent/file.json", "", "no such file", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im := newImporter(t)
			var f string
			switch {
			case tt.file == "":
				f = t.TempDir()
			case strings.HasPrefix(tt.file, "/"):
				f = tt.file
			default:
				f = write(t, tt.file, tt.content)
			}
			res, err := im.ImportFile(ctx, f, Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if len(res.Problems) != tt.problems {
					t.Errorf("problems %+v, want %d", res.Problems, tt.problems)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if !strings.Contains(err.Error(), f) {
				t.Errorf("error %q does not name the file", err)
			}
			if got := errors.Is(err, ErrBadInput); got != tt.bad {
				t.Errorf("errors.Is(err, ErrBadInput) = %v, want %v", got, tt.bad)
			}
		})
	}
}

func TestTruncatedJSONLSaysSo(t *testing.T) {
	im := newImporter(t)
	res, err := im.ImportFile(ctx, write(t, "t.jsonl", page1+"\n"+page2[:60]), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Line != 2 || !strings.Contains(res.Problems[0].Err, "truncated") {
		t.Errorf("problems %+v, want line 2 truncated", res.Problems)
	}
	if res.Stats.Posts != 2 {
		t.Errorf("added %+v", res.Stats)
	}
}

func TestBigIDsAsNumbersStayExact(t *testing.T) {
	im := newImporter(t)
	// 2021150315377594369 > 2^53: a float64 would round it.
	content := `{"data":[{"id":2021150315377594369,"text":"numeric id","author_id":1542228578,"created_at":"2026-02-10T09:12:41.000Z","edit_history_tweet_ids":[2021150315377594369]}],"includes":{"users":[` + vpUser + `]}}`
	if _, err := im.ImportFile(ctx, write(t, "n.json", content), Options{}); err != nil {
		t.Fatal(err)
	}
	d, err := im.DB.Post(ctx, "2021150315377594369", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "2021150315377594369" || d.Handle != "VP" {
		t.Errorf("post %s by %q", d.ID, d.Handle)
	}
}

func TestAuthorMissingFromIncludes(t *testing.T) {
	im := newImporter(t)
	content := `{"data":[{"id":"2021150315377594369","text":"who wrote this","author_id":"999","created_at":"2026-02-10T09:12:41.000Z"}]}`
	res, err := im.ImportFile(ctx, write(t, "a.json", content), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Posts != 1 {
		t.Fatalf("added %+v", res.Stats)
	}
	d, _ := im.DB.Post(ctx, "2021150315377594369", "")
	if d.Handle != "" || d.AuthorID != "999" {
		t.Errorf("handle %q author id %q", d.Handle, d.AuthorID)
	}
}

func TestV1AndArchive(t *testing.T) {
	im := newImporter(t)
	v1 := `[{"created_at":"Tue Feb 10 09:12:41 +0000 2026","id":2021150315377594369,"id_str":"2021150315377594369","full_text":"The two signed a Charter","truncated":false,"user":{"id":1542228578,"id_str":"1542228578","screen_name":"VP","name":"Vice President JD Vance"}},` +
		`{"created_at":"Tue Feb 10 10:05:17 +0000 2026","id_str":"2021163552601022466","text":"compat text…","truncated":true,"extended_tweet":{"full_text":"Aliyev sign a charter on strategic partnership"},"user":{"id_str":"1879644163769335808","screen_name":"VPPressSec","name":"Press"}}]`
	res, err := im.ImportFile(ctx, write(t, "v1.json", v1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatV1 || res.Stats.Posts != 2 {
		t.Fatalf("v1 import %+v", res)
	}
	d, _ := im.DB.Post(ctx, "2021163552601022466", "")
	if d.Text != "Aliyev sign a charter on strategic partnership" {
		t.Errorf("compat-mode text %q, want the extended text", d.Text)
	}

	dir := t.TempDir()
	tweets := `window.YTD.tweets.part0 = [ {"tweet":{"id_str":"2021185161655234563","id":"2021185161655234563","full_text":"created peace where previously there was war","created_at":"Tue Feb 10 11:31:09 +0000 2026","favorite_count":"10","entities":{"hashtags":[],"urls":[],"user_mentions":[{"screen_name":"POTUS","indices":["61","67"],"id_str":"822215679726100480"}]}}} ]`
	os.WriteFile(filepath.Join(dir, "tweets.js"), []byte(tweets), 0o644)
	os.WriteFile(filepath.Join(dir, "account.js"), []byte(`window.YTD.account.part0 = [{"account":{"username":"VP","accountId":"1542228578","accountDisplayName":"Vice President JD Vance"}}]`), 0o644)
	acct, ok := FindAccountJS(filepath.Join(dir, "tweets.js"))
	if !ok || acct.Handle != "VP" {
		t.Fatalf("account.js: %+v %v", acct, ok)
	}
	res, err = im.ImportFile(ctx, filepath.Join(dir, "tweets.js"), Options{Account: acct})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatTweetsJS || res.Stats.Posts != 1 {
		t.Fatalf("tweets.js import %+v", res)
	}
	d, _ = im.DB.Post(ctx, "2021185161655234563", "")
	if d.Handle != "VP" {
		t.Errorf("archive post handle %q", d.Handle)
	}
	sr, _ := im.DB.Search(ctx, sqlite.SearchQuery{Account: "vp"})
	if sr.Total != 2 {
		t.Errorf("posts by @VP from v1.1 and the archive: %d, want 2", sr.Total)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct{ head, want string }{
		{page1, FormatV2},
		{page1 + "\n" + page2 + "\n", FormatV2JSONL},
		{"{\"broken\n" + page2 + "\n", FormatV2JSONL},
		{"\xef\xbb\xbf" + page1, FormatV2},
		{`[{"id_str":"1","text":"x","user":{}}]`, FormatV1},
		{`{"id_str":"1","full_text":"x"}`, FormatV1},
		{`{"id_str":"1","full_text":"x"}` + "\n" + `{"id_str":"2","full_text":"y"}`, FormatV1JSONL},
		{`window.YTD.tweets.part0 = []`, FormatTweetsJS},
		{`[{"tweet":{"id_str":"1"}}]`, FormatTweetsJS},
		{"{\n  \"data\": [\n    {\"id\": \"1\"}\n  ]\n}", FormatV2},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.head), true)
		if err != nil || got != tt.want {
			t.Errorf("Detect(%.40q) = %q, %v; want %q", tt.head, got, err, tt.want)
		}
	}
}

func TestCancelledImportLeavesItResumable(t *testing.T) {
	im := newImporter(t)
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.WriteString(page1 + "\n")
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	_, err := im.ImportFile(c, write(t, "p.jsonl", b.String()), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
