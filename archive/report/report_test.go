package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/audit"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/ledger/tsatest"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// Post ids (X snowflakes of 2026-02-09 and -10).
const (
	idArrived = "2020770277880778757" // @VP, quoted by the article
	idScript  = "2021150315377594369" // @VP, holds markup, later edited
	idScript2 = "2021150315377594370" // its edit
	idGone    = "2021163552601022466" // @VPPressSec, later deleted
)

const (
	arrived    = "Arrived in Yerevan, Armenia. Grateful to Prime Minister Pashinyan for the warm welcome."
	scriptText = `Signed the <script>alert("x")</script> charter in *Baku* today & more`
	scriptEdit = `Signed the <script>alert("x")</script> strategic charter in *Baku* today & more`
)

// fixture is a real archive: SQLite, blobs and a ledger key, with a clock
// the test moves.
type fixture struct {
	dir   string
	db    *sqlite.DB
	blobs *blob.Store
	key   *ledger.Key
	now   time.Time
	vp    archive.Account
	ps    archive.Account
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{dir: t.TempDir(), now: time.Date(2026, 2, 10, 6, 0, 0, 0, time.UTC)}
	var err error
	if f.blobs, err = blob.Open(filepath.Join(f.dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	f.db, err = sqlite.Open(ctx, filepath.Join(f.dir, "verbatim.db"), sqlite.Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	if f.key, err = ledger.OpenKey(filepath.Join(f.dir, "ledger.key"), filepath.Join(f.dir, "ledger.pub"), ""); err != nil {
		t.Fatal(err)
	}
	f.vp = archive.Account{Platform: "x", PlatformID: "42", Handle: "VP", Name: "Vice President"}
	f.ps = archive.Account{Platform: "x", PlatformID: "43", Handle: "VPPressSec", Name: "Press Secretary"}
	for _, a := range []archive.Account{f.vp, f.ps} {
		if _, err := f.db.SaveAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// capture records a capture with one stored blob.
func (f *fixture) capture(t *testing.T, in sqlite.CaptureInput) int64 {
	t.Helper()
	ref, err := f.blobs.Put(context.Background(), strings.NewReader(fmt.Sprintf("%s %s %v", in.Kind, in.Target, f.now)))
	if err != nil {
		t.Fatal(err)
	}
	in.Artifacts = []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: ref.Size, SHA256: ref.SHA256}}
	in.Complete = true
	id, err := f.db.RecordCapture(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) posts(t *testing.T, capID int64, ps ...archive.Post) {
	t.Helper()
	var items []sqlite.Item
	for i, p := range ps {
		items = append(items, sqlite.Item{Post: p, CaptureID: capID, Page: i})
	}
	if _, err := f.db.NewPostWriter().Write(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

func post(id string, a archive.Account, text string, hist ...string) archive.Post {
	at, _ := archive.SnowflakeTime(id)
	return archive.Post{Platform: "x", ID: id, Author: a, CreatedAt: at, Text: text, EditHistory: hist}
}

// day fills the fixture's archive with a day of activity from 06:00:
// timeline pages, new posts, snapshots good, failed and degraded, an edit,
// a deletion, a failed job and an article check with a misquote; and one
// capture the day before, outside the window.
func (f *fixture) day(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	f.now = time.Date(2026, 2, 9, 12, 0, 0, 0, time.UTC)
	f.capture(t, sqlite.CaptureInput{Kind: "import", Target: "old.jsonl"})

	f.now = time.Date(2026, 2, 10, 7, 0, 0, 0, time.UTC)
	c1 := f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/users/42/tweets?since_id=#page=1", Format: "x-v2"})
	f.posts(t, c1, post(idArrived, f.vp, arrived), post(idScript, f.vp, scriptText, idScript))
	c2 := f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api-v1.1:/1.1/statuses/user_timeline.json?screen_name=VPPressSec&since_id=#page=1", Format: "x-v1.1"})
	f.posts(t, c2, post(idGone, f.ps, "Remarks will be posted later today."))

	f.now = time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)
	f.capture(t, sqlite.CaptureInput{Kind: "snapshot", Format: "post", Target: "https://x.com/VP/status/" + idScript, PostID: idScript})
	if _, err := f.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Format: "post", Target: "https://x.com/VPPressSec/status/" + idGone,
		PostID: idGone, Verdict: "error", Complete: true, Detail: map[string]any{"error": "net::ERR_CONNECTION_RESET"}}); err != nil {
		t.Fatal(err)
	}
	f.capture(t, sqlite.CaptureInput{Kind: "snapshot", Format: "embed", Target: "https://platform.twitter.com/embed/Tweet.html?id=" + idGone,
		PostID: idGone, Verdict: "login-wall", Detail: map[string]any{"verdict_detail": "a <b>login</b> form covers the page"}})

	f.now = time.Date(2026, 2, 10, 16, 0, 0, 0, time.UTC)
	c3 := f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/tweets?ids=" + idScript + "," + idGone, Format: "x-v2"})
	f.posts(t, c3, post(idScript2, f.vp, scriptEdit, idScript, idScript2))
	if _, err := f.db.SetPostStatus(ctx, idGone, archive.StatusDeleted, "Could not find tweet"); err != nil {
		t.Fatal(err)
	}
	job, err := f.db.StartJob(ctx, "capture")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.EndJob(ctx, job, map[string]int{}, errors.New("X API: 503 Service Unavailable")); err != nil {
		t.Fatal(err)
	}

	f.now = time.Date(2026, 2, 10, 18, 0, 0, 0, time.UTC)
	c := &check.Checker{DB: f.db}
	rep, err := c.Check(ctx, check.Page{URL: "https://news.example/vance", ContentType: "text/html", HTML: []byte(articleHTML(
		strings.Replace(arrived, "warm", "cold", 1)))})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Misquotes != 1 {
		t.Fatalf("the article check found %d misquotes, want 1: %+v", rep.Misquotes, rep.Embeds)
	}
	f.now = time.Date(2026, 2, 11, 6, 0, 0, 0, time.UTC)
	// Blobs younger than the audit's orphan age are never orphans; these
	// are older than that.
	past := time.Now().Add(-time.Hour)
	filepath.Walk(filepath.Join(f.dir, "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			os.Chtimes(p, past, past)
		}
		return nil
	})
}

func articleHTML(quote string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vance in Yerevan</title></head>
<body><article><h1>Vance in Yerevan</h1>
<p>The Vice President began his tour of the South Caucasus in Armenia on Monday, meeting the prime minister in the capital.</p>
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">` + quote + `</p>&mdash; Vice President JD Vance (@VP)
<a href="https://twitter.com/VP/status/` + idArrived + `?ref_src=twsrc%5Etfw">February 9, 2026</a></blockquote>
<p>Talks on a civil nuclear agreement were expected to conclude within days, officials said after the first meeting.</p>
</article></body></html>`
}

func (f *fixture) build(t *testing.T, prev *Report) *Report {
	t.Helper()
	r, err := Build(context.Background(), f.db, Options{From: f.now.Add(-24 * time.Hour), To: f.now, Key: f.key, Blobs: f.blobs,
		Previous: prev, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReport(t *testing.T) {
	f := newFixture(t)
	f.day(t)
	r := f.build(t, nil)

	want := Summary{Captures: 6, NewPosts: 3, Edits: 1, Deletions: 1, FailedCaptures: 1, DegradedCapture: 1, FailedJobs: 1,
		ArticlesChecked: 1, Misquotes: 1}
	if r.Summary != want {
		t.Errorf("summary\n got %+v\nwant %+v", r.Summary, want)
	}
	if !r.OK || len(r.Problems) != 0 || !r.Audit.OK || r.Origin != f.key.Name() {
		t.Errorf("ok %v, problems %q, audit %+v, origin %q", r.OK, r.Problems, r.Audit, r.Origin)
	}
	acct := map[string]sqlite.AccountActivity{}
	for _, a := range r.Accounts {
		acct[a.Handle] = a
	}
	if a := acct["VP"]; a.NewPosts != 2 || a.Captures != 2 || a.ByKind["api"] != 1 || a.ByKind["snapshot"] != 1 {
		t.Errorf("@VP: %+v", a)
	}
	if a := acct["VPPressSec"]; a.NewPosts != 1 || a.Captures != 3 || a.ByKind["api"] != 1 || a.ByKind["snapshot"] != 2 {
		t.Errorf("@VPPressSec (v1.1 timeline by screen name): %+v", a)
	}
	if a := acct[""]; a.Captures != 1 || a.ByKind["api"] != 1 || r.Accounts[len(r.Accounts)-1].Handle != "" {
		t.Errorf("other: %+v (the lookup by id, last)", r.Accounts)
	}
	if len(r.Edits) != 1 || r.Edits[0].PostID != idScript || r.Edits[0].VersionID != idScript2 || r.Edits[0].Before != scriptText ||
		r.Edits[0].After != scriptEdit || !strings.Contains(r.Edits[0].Diff, "{+strategic+}") || r.Edits[0].Handle != "VP" {
		t.Errorf("edits: %+v", r.Edits)
	}
	if len(r.Deletions) != 1 || r.Deletions[0].Kind != "deleted" || r.Deletions[0].PostID != idGone || r.Deletions[0].Handle != "VPPressSec" ||
		r.Deletions[0].URL != "https://x.com/VPPressSec/status/"+idGone || r.Deletions[0].Detail != "Could not find tweet" {
		t.Errorf("deletions: %+v", r.Deletions)
	}
	if len(r.FailedCaptures) != 2 || r.FailedCaptures[0].Verdict != "error" || r.FailedCaptures[0].Detail != "net::ERR_CONNECTION_RESET" ||
		r.FailedCaptures[1].Verdict != "login-wall" || r.FailedCaptures[1].Format != "embed" || r.FailedCaptures[1].Handle != "VPPressSec" {
		t.Errorf("failed captures: %+v", r.FailedCaptures)
	}
	if len(r.FailedJobs) != 1 || r.FailedJobs[0].Job != "capture" || !strings.Contains(r.FailedJobs[0].Error, "503") {
		t.Errorf("failed jobs: %+v", r.FailedJobs)
	}
	if len(r.Articles) != 1 || r.Articles[0].Embeds != 1 || r.Articles[0].Verdicts["altered"] != 1 || len(r.Articles[0].Misquotes) != 1 ||
		r.Articles[0].Misquotes[0].PostID != idArrived || !strings.Contains(r.Articles[0].Misquotes[0].Diff, "{+cold+}") {
		t.Errorf("articles: %+v", r.Articles)
	}
	if n := len(r.CapturesPerDay); n != ChartDays+1 || r.CapturesPerDay[n-1] != (sqlite.DayCount{Day: "2026-02-11"}) ||
		r.CapturesPerDay[n-2] != (sqlite.DayCount{Day: "2026-02-10", Captures: 6}) || r.CapturesPerDay[n-3] != (sqlite.DayCount{Day: "2026-02-09", Captures: 1}) ||
		r.CapturesPerDay[0].Day != "2026-01-28" {
		t.Errorf("captures per day: %+v", r.CapturesPerDay)
	}
	c := r.Checkpoint
	if !c.New || c.Size != 7 || c.Previous != nil || c.Consistency != nil || !c.Verified {
		t.Errorf("checkpoint: %+v", c)
	}
	if size, root, err := ledger.OpenCheckpoint(c.Note, f.key.Verifier()); err != nil || size != 7 || fmt.Sprintf("%x", root) != c.Root {
		t.Errorf("checkpoint note: %d %x %v", size, root, err)
	}

	// Written: the three files, and the JSON reads back the same.
	dir := Dir(filepath.Join(f.dir, "reports"))
	files, err := dir.Write(r, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "20260211T060000Z" || files.JSON != filepath.Join(string(dir), r.Name+".json") {
		t.Errorf("name %q, files %+v", r.Name, files)
	}
	back, err := dir.Read(r.Name)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := r.JSON()
	b2, _ := back.JSON()
	if !bytes.Equal(b1, b2) {
		t.Errorf("JSON does not read back the same:\n%s\n%s", b1, b2)
	}
	var raw map[string]any
	json.Unmarshal(b1, &raw)
	for _, k := range []string{"format", "name", "origin", "generated_at", "from", "to", "ok", "problems", "summary", "accounts",
		"captures_per_day", "edits", "deletions", "failed_captures", "failed_jobs", "articles", "audit", "checkpoint", "delivery"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("report JSON lacks %q", k)
		}
	}

	md := mustRead(t, files.Markdown)
	for _, want := range []string{"# Verbatim integrity report · OK", "&lt;script&gt;", `\*Baku\*`, "&amp; more", "**strategic**",
		"**deleted** @VPPressSec", "**error** snapshot (post)", "**login-wall** snapshot (embed)", "a &lt;b&gt;login&lt;/b&gt; form",
		"**altered** blockquote of @VP", "~~warm~~**cold**", "- @VP: 2 new posts, 2 captures (api 1, snapshot 1)",
		"The first report", "**capture** run"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "<script") || strings.Contains(md, "<b>") {
		t.Errorf("Markdown carries markup from a post:\n%s", md)
	}

	page := mustRead(t, files.HTML)
	for _, want := range []string{"<!DOCTYPE html>", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "<ins>strategic</ins>",
		"<del>warm</del>", "<ins>cold</ins>", "<svg", "<rect", "2026-02-10: 6 captures", `href="20260211T060000Z.json"`,
		"https://x.com/VPPressSec/status/" + idGone, "a &lt;b&gt;login&lt;/b&gt; form"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<SCRIPT", " style=", "<b>login"} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML has %q: a script, a style attribute or markup from a post", bad)
		}
	}
	// The one <style> element is the one the CSP's hash allows.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
	if len(m) != 1 {
		t.Fatalf("%d style elements", len(m))
	}
	sum := sha256.Sum256([]byte(m[0][1]))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(CSP, h) || strings.Contains(CSP, "unsafe") {
		t.Errorf("CSP %q does not allow the style element by its hash %s", CSP, h)
	}

	// The next day: more captures; the report's checkpoint extends this
	// one's, with a proof verify-receipt would accept.
	f.now = time.Date(2026, 2, 11, 9, 0, 0, 0, time.UTC)
	f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/users/42/tweets?since_id=1#page=1", Format: "x-v2"})
	f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/users/42/tweets?since_id=2#page=1", Format: "x-v2"})
	f.now = time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	prev, skipped, err := dir.Latest()
	if err != nil || prev == nil || prev.Name != r.Name || len(skipped) != 0 {
		t.Fatalf("latest: %v %v %v", prev, skipped, err)
	}
	r2 := f.build(t, prev)
	c2 := r2.Checkpoint
	if !r2.OK || !c2.New || c2.Size != 9 || c2.Previous == nil || c2.Previous.Report != r.Name || c2.Previous.Size != 7 ||
		c2.Consistency == nil || c2.Consistency.FromSize != 7 || c2.Consistency.TreeSize != 9 || !c2.Verified || r2.Summary.Captures != 2 {
		t.Fatalf("second report: ok %v %q, checkpoint %+v", r2.OK, r2.Problems, c2)
	}
	cj, _ := json.Marshal(c2.Consistency)
	later, err := ledger.ParseLater(cj)
	if err != nil {
		t.Fatal(err)
	}
	_, root1, _ := ledger.OpenCheckpoint(c.Note, f.key.Verifier())
	if n, err := later.Verify(f.key.Verifier(), 7, root1); err != nil || n != 9 {
		t.Errorf("the consistency proof does not verify: %d %v", n, err)
	}
	if _, err := dir.Write(r2, RenderOptions{BaseURL: "https://verbatim.example/"}); err != nil {
		t.Fatal(err)
	}
	md2 := mustRead(t, filepath.Join(string(dir), r2.Name+".md"))
	for _, want := range []string{"Consistent with the previous report's (20260211T060000Z, 7 leaves)",
		"[full report](https://verbatim.example/reports/20260212T060000Z.html)"} {
		if !strings.Contains(md2, want) {
			t.Errorf("second Markdown lacks %q:\n%s", want, md2)
		}
	}

	// Nothing new: the same checkpoint, still consistent.
	f.now = f.now.Add(time.Hour)
	r3 := f.build(t, r2)
	if !r3.OK || r3.Checkpoint.New || r3.Checkpoint.Size != 9 || !r3.Checkpoint.Verified || len(r3.Checkpoint.Consistency.ConsistencyProof) != 0 {
		t.Errorf("report with nothing new: %q %+v", r3.Problems, r3.Checkpoint)
	}

	// The feed lists the reports, newest first, and parses as Atom.
	list, err := dir.List(50)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	feed, err := Atom(list, "https://verbatim.example", f.key.Name(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Links   []struct {
				Href string `xml:"href,attr"`
				Type string `xml:"type,attr"`
			} `xml:"link"`
			Summary string `xml:"summary"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(feed), &doc); err != nil {
		t.Fatalf("feed: %v\n%s", err, feed)
	}
	if doc.ID != "https://verbatim.example/reports.atom" || len(doc.Entries) != 2 || doc.Updated != "2026-02-12T06:00:00Z" {
		t.Fatalf("feed: %+v", doc)
	}
	e := doc.Entries[0]
	if !strings.HasPrefix(e.Title, "Integrity report 2026-02-12 06:00 UTC: OK") || e.ID != "https://verbatim.example/reports/20260212T060000Z.html" ||
		len(e.Links) != 2 || e.Links[1].Href != "https://verbatim.example/reports/20260212T060000Z.json" || !strings.Contains(e.Summary, "consistent with report 20260211T060000Z") {
		t.Errorf("entry: %+v", e)
	}
}

func TestReportFindsTampering(t *testing.T) {
	f := newFixture(t)
	f.day(t)
	dir := Dir(filepath.Join(f.dir, "reports"))
	r := f.build(t, nil)
	if _, err := dir.Write(r, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	// A blob is damaged and a capture recorded: the audit finds the one,
	// and no checkpoint is signed over the damage.
	var sum string
	f.db.ArtifactHashes(context.Background(), func(h string, _ int64) error {
		if sum == "" {
			sum = h
		}
		return nil
	})
	p := filepath.Join(f.dir, "blobs", "sha256", sum[:2], sum[2:4], sum)
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/users/42/tweets?since_id=3#page=1"})
	f.now = f.now.Add(time.Hour)
	r2 := f.build(t, r)
	if r2.OK || r2.Audit.OK || r2.Summary.AuditFindings == 0 || r2.Checkpoint.New || r2.Checkpoint.Size != 7 {
		t.Fatalf("after tampering: ok %v, audit %+v, checkpoint %+v", r2.OK, r2.Audit, r2.Checkpoint)
	}
	if !slices.ContainsFunc(r2.Problems, func(s string) bool { return strings.HasPrefix(s, "audit: ") && strings.Contains(s, audit.Corrupt) }) ||
		!slices.ContainsFunc(r2.Problems, func(s string) bool { return strings.Contains(s, "no new one signed") }) {
		t.Errorf("problems: %q", r2.Problems)
	}
	md := r2.Markdown(RenderOptions{})
	if !strings.Contains(md, "PROBLEMS") || !strings.Contains(md, "**corrupt**") {
		t.Errorf("Markdown:\n%s", md)
	}

	// A previous report whose checkpoint another key signed does not
	// verify.
	other, _ := ledger.GenerateKey(f.key.Name())
	ok, _ := ledger.ParseKey(other)
	note, _ := ok.Sign(r.Checkpoint.Size, mustHex(t, r.Checkpoint.Root))
	forged := *r
	forged.Checkpoint.Note = note
	os.WriteFile(p, []byte("tampered"), 0o644)
	f2 := newFixture(t)
	f2.day(t)
	r3 := f2.build(t, &forged)
	if r3.OK || r3.Checkpoint.Verified || !slices.ContainsFunc(r3.Problems, func(s string) bool { return strings.Contains(s, "does not verify") }) {
		t.Errorf("forged previous checkpoint: %q %+v", r3.Problems, r3.Checkpoint)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDirNames(t *testing.T) {
	dir := Dir(t.TempDir())
	for _, n := range []string{"20260210T060000Z", "20260210T060000Z-2", "20260210T060000Z-10", "20260211T060000Z", "notes", "20260212T060000Z.tmp"} {
		os.WriteFile(filepath.Join(string(dir), n+".json"), []byte(`{"format":1}`), 0o644)
	}
	os.WriteFile(filepath.Join(string(dir), "20260213T060000Z.json"), []byte(`{"format":`), 0o644)
	names, err := dir.Names()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"20260213T060000Z", "20260211T060000Z", "20260210T060000Z-10", "20260210T060000Z-2", "20260210T060000Z"}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	r, skipped, err := dir.Latest()
	if err != nil || r == nil || r.Name != "20260211T060000Z" || len(skipped) != 1 || !strings.Contains(skipped[0], "20260213T060000Z") {
		t.Errorf("latest: %+v %q %v", r, skipped, err)
	}
	for _, bad := range []string{"../x", "20260210T060000Z-0", "20260210T060000Z/..", ""} {
		if _, err := dir.Path(bad, ExtHTML); err == nil {
			t.Errorf("Path(%q) accepted", bad)
		}
	}
	if _, err := dir.Path("20260210T060000Z", ".exe"); err == nil {
		t.Error("Path accepted an unknown extension")
	}
	// A report named after a second that already has one gets the next
	// number.
	r2 := &Report{To: time.Date(2026, 2, 11, 6, 0, 0, 0, time.UTC)}
	if _, err := dir.Write(r2, RenderOptions{}); err != nil || r2.Name != "20260211T060000Z-2" {
		t.Errorf("write: %q %v", r2.Name, err)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"<@U123> & <!channel>", "&lt;@U123&gt; &amp; &lt;!channel&gt;"},
		{"# not a heading\n- not a list\n1. nor this", `\# not a heading` + "\n" + `\- not a list` + "\n" + `1\. nor this`},
		{"[link](http://x) *b* _i_ `c` ~s~ a|b", `\[link\](http://x) \*b\* \_i\_ \` + "`c\\` " + `\~s\~ a\|b`},
	} {
		if got := mdEscape(c.in); got != c.want {
			t.Errorf("mdEscape(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReportTimestamp: with a timestamp authority, the report's checkpoint
// carries its RFC 3161 timestamp; when the authority fails, the report is
// still made and says why there is none.
func TestReportTimestamp(t *testing.T) {
	tsa := tsatest.New(t, nil)
	client, err := ledger.NewTSAClient(tsa.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	f.db.Close()
	f.db, err = sqlite.Open(context.Background(), filepath.Join(f.dir, "verbatim.db"), sqlite.Options{Now: func() time.Time { return f.now }, Timestamper: client})
	if err != nil {
		t.Fatal(err)
	}
	f.day(t)
	r := f.build(t, nil)
	ts := r.Checkpoint.Timestamp
	if !r.OK || ts == nil || ts.TSA != tsa.URL || len(ts.Token) == 0 || r.Checkpoint.TimestampError != "" {
		t.Fatalf("timestamped report: %q %+v", r.Problems, r.Checkpoint)
	}
	if md := r.Markdown(RenderOptions{}); !strings.Contains(md, "Timestamped by "+mdEscape(tsa.URL)) {
		t.Errorf("Markdown lacks the timestamp:\n%s", md)
	}
	var b bytes.Buffer
	r.HTML(&b, RenderOptions{})
	if !strings.Contains(b.String(), "Timestamped by ") {
		t.Error("HTML lacks the timestamp")
	}

	f.capture(t, sqlite.CaptureInput{Kind: "api", Target: "x-api:/2/users/42/tweets?since_id=9#page=1"})
	tsa.FailNext(tsatest.HTTP500)
	f.now = f.now.Add(time.Hour)
	r2 := f.build(t, r)
	if !r2.OK || !r2.Checkpoint.New || r2.Checkpoint.Timestamp != nil || r2.Checkpoint.TimestampError == "" || !r2.Checkpoint.Verified {
		t.Errorf("report with the TSA failing: %q %+v", r2.Problems, r2.Checkpoint)
	}
}
