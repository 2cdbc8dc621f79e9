package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/archive/xv1"
)

var ctx = context.Background()

const (
	vpID = "1542228578"
	psID = "1879644163769335808"
)

var (
	vp = archive.Account{Platform: "x", Handle: "VP"}
	ps = archive.Account{Platform: "x", Handle: "VPPressSec"}
)

type env struct {
	fake *archivetest.FakeX
	r    *Runner
	now  time.Time
}

// newEnv returns a runner pointed at a fake X API with @VP and
// @VPPressSec, a real SQLite archive and real blobs.
func newEnv(t *testing.T) *env {
	t.Helper()
	fake := archivetest.NewFakeX(t)
	fake.AddUser(vpID, "VP", "Vice President JD Vance")
	fake.AddUser(psID, "VPPressSec", "Press Secretary")
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
	noSleep := func(ctx context.Context, d time.Duration) error { fake.Advance(d); return ctx.Err() }
	x := xapi.New(fake.URL(), fake.Token, fake.Client(), xapi.WithSleep(noSleep), xapi.WithNow(fake.Now))
	return &env{fake: fake, r: &Runner{DB: db, Blobs: bs, X: x}, now: fake.Now()}
}

func (e *env) stats(t *testing.T) sqlite.Stats {
	t.Helper()
	s, err := e.r.DB.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCapturePagesAndSinceID(t *testing.T) {
	e := newEnv(t)
	e.fake.GeneratePosts(vpID, 250, e.now.Add(-30*24*time.Hour), time.Hour)
	e.fake.Post(psID, "Remarks at the signing of the Charter on Strategic Partnership", e.now.Add(-time.Hour))
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{vp, ps})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accounts[0]; got.Pages != 3 || got.Posts != 250 || got.Status != "ok" {
		t.Errorf("@VP: %+v, want 3 pages and 250 posts", got)
	}
	if got := res.Accounts[1]; got.Posts != 1 {
		t.Errorf("@VPPressSec: %+v", got)
	}
	if s := e.stats(t); s.Posts != 251 || s.Captures != 4 {
		t.Errorf("stats %+v, want 251 posts and 4 page captures", s)
	}
	// Every page is kept as evidence, and posts link to it.
	res2, _ := e.r.DB.Search(ctx, sqlite.SearchQuery{Account: "vppresssec"})
	d, err := e.r.DB.Post(ctx, res2.Results[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Captures) != 1 || d.Captures[0].Kind != "api" {
		t.Fatalf("captures %+v", d.Captures)
	}
	if ok, _ := e.r.Blobs.Has(ctx, d.Captures[0].Artifacts[0].SHA256); !ok {
		t.Error("page blob missing")
	}

	// The next pass asks only for newer posts.
	newID := e.fake.Post(vpID, "A new post after the first pass", e.now)
	res, err = e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accounts[0]; got.Posts != 1 || got.SinceID != newID {
		t.Errorf("second pass %+v, want 1 new post up to %s", got, newID)
	}
	reqs := e.fake.Requests()
	last := reqs[len(reqs)-1]
	if last.Query.Get("since_id") == "" {
		t.Errorf("second pass did not send since_id: %v", last.Query)
	}
	if n := e.fake.RequestCount("/2/users/by/username"); n != 2 {
		t.Errorf("%d user lookups, want 2 (ids are remembered)", n)
	}
}

func TestCaptureAccountProblemsDoNotStopThePass(t *testing.T) {
	e := newEnv(t)
	e.fake.AddUser("42", "Suspended", "Gone")
	e.fake.Suspend("42")
	e.fake.Post(psID, "still here", e.now)
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{{Handle: "NoSuchUser"}, {Handle: "Suspended"}, ps})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"not-found", "suspended", "ok"}
	for i, w := range want {
		if res.Accounts[i].Status != w {
			t.Errorf("account %d: %+v, want status %s", i, res.Accounts[i], w)
		}
	}
	if res.Accounts[0].Error == "" || strings.Contains(res.Accounts[0].Error, "\n") {
		t.Errorf("error %q", res.Accounts[0].Error)
	}
}

func TestCaptureBadTokenFailsOnce(t *testing.T) {
	e := newEnv(t)
	e.r.X = xapi.New(e.fake.URL(), "wrong-token", e.fake.Client())
	_, err := e.r.CaptureAccounts(ctx, []archive.Account{vp, ps})
	var ae *xapi.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an AuthError", err)
	}
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("%d requests, want 1 (no retry storm)", n)
	}
	if strings.Contains(err.Error(), "wrong-token") {
		t.Error("the token is in the error")
	}
}

func TestCaptureUsageCapEndsThePass(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNextUsageCap()
	_, err := e.r.CaptureAccounts(ctx, []archive.Account{vp, ps})
	var uc *xapi.UsageCapError
	if !errors.As(err, &uc) {
		t.Fatalf("got %v, want a UsageCapError", err)
	}
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestCaptureFaultsRetriedAndNoDuplicates(t *testing.T) {
	e := newEnv(t)
	e.fake.GeneratePosts(vpID, 300, e.now.Add(-10*24*time.Hour), time.Hour)
	e.fake.FailNext(503, "/2/users/"+vpID)
	e.fake.TruncateNext("/2/users/" + vpID)
	e.fake.MalformNext("/2/users/" + vpID)
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accounts[0].Posts != 300 {
		t.Errorf("%+v, want 300 posts after retries", res.Accounts[0])
	}
	if s := e.stats(t); s.Posts != 300 || s.Versions != 300 {
		t.Errorf("stats %+v", s)
	}
}

func TestPassCutShortResumesWithoutDuplicates(t *testing.T) {
	e := newEnv(t)
	e.fake.GeneratePosts(vpID, 250, e.now.Add(-10*24*time.Hour), time.Hour)
	// Page 2 fails more often than the client retries: the pass stops
	// after storing page 1, as if the process had been killed there.
	for i := 0; i < 8; i++ {
		e.fake.FailNext(500, "/2/users/"+vpID+"/tweets")
	}
	e.fake.GeneratePosts(vpID, 0, e.now, time.Hour)
	first, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if first.Accounts[0].Status != "error" {
		t.Logf("first pass: %+v", first.Accounts[0])
	}
	second, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if second.Accounts[0].Status != "ok" {
		t.Fatalf("second pass %+v", second.Accounts[0])
	}
	if s := e.stats(t); s.Posts != 250 || s.Versions != 250 {
		t.Errorf("stats %+v, want 250 posts, no duplicates", s)
	}
}

func TestOlderThanSinceIDIsHarmless(t *testing.T) {
	e := newEnv(t)
	e.fake.GeneratePosts(vpID, 20, e.now.Add(-24*time.Hour), time.Hour)
	if _, err := e.r.CaptureAccounts(ctx, []archive.Account{vp}); err != nil {
		t.Fatal(err)
	}
	e.fake.IgnoreSinceID(true)
	e.fake.Post(vpID, "new", e.now)
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accounts[0]; got.Posts != 1 {
		t.Errorf("%+v, want exactly 1 new post", got)
	}
	if s := e.stats(t); s.Posts != 21 {
		t.Errorf("%d posts, want 21", s.Posts)
	}
}

func TestRepeatedNextTokenStops(t *testing.T) {
	e := newEnv(t)
	e.fake.GeneratePosts(vpID, 250, e.now.Add(-24*time.Hour), time.Minute)
	e.fake.RepeatNextToken()
	done := make(chan struct{})
	var res PassResult
	go func() {
		res, _ = e.r.CaptureAccounts(ctx, []archive.Account{vp})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the pass did not stop on a repeating next_token")
	}
	if !strings.Contains(res.Accounts[0].Error, "next_token") {
		t.Errorf("result %+v, want the repeated next_token reported", res.Accounts[0])
	}
}

func TestRecheckEditsDeletionsAndFaults(t *testing.T) {
	e := newEnv(t)
	edited := e.fake.Post(vpID, "The two signed a Charter on Strategic Partnership", e.now.Add(-time.Hour))
	deleted := e.fake.Post(vpID, "A post that will be deleted", e.now.Add(-50*time.Minute))
	kept := e.fake.Post(vpID, "A post that stays", e.now.Add(-40*time.Minute))
	if _, err := e.r.CaptureAccounts(ctx, []archive.Account{vp}); err != nil {
		t.Fatal(err)
	}
	newID := e.fake.Edit(edited, "The two signed a historic Charter on Strategic Partnership", e.now.Add(-30*time.Minute))
	e.fake.Delete(deleted)

	// A server error never marks anything deleted.
	for i := 0; i < 8; i++ {
		e.fake.FailNext(503, "/2/tweets")
	}
	if _, err := e.r.Recheck(ctx, true); err == nil {
		t.Fatal("recheck through 503s succeeded")
	}
	if d, _ := e.r.DB.Post(ctx, deleted, ""); d.Status != archive.StatusLive {
		t.Fatalf("after 503s the post is %q", d.Status)
	}

	res, err := e.r.Recheck(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 3 {
		t.Errorf("checked %d, want 3", res.Checked)
	}
	kinds := map[string]Change{}
	for _, c := range res.Changes {
		kinds[c.Kind] = c
	}
	if c, ok := kinds["deleted"]; !ok || c.ID != deleted {
		t.Errorf("changes %+v, want %s deleted", res.Changes, deleted)
	}
	c, ok := kinds["edited"]
	if !ok || c.ID != edited || !strings.Contains(c.Diff, "historic") {
		t.Errorf("changes %+v, want %s edited with a diff", res.Changes, edited)
	}
	d, _ := e.r.DB.Post(ctx, deleted, "")
	if d.Status != archive.StatusDeleted || d.StatusAt == nil || d.Text != "A post that will be deleted" {
		t.Errorf("deleted post: %+v", d)
	}
	d, _ = e.r.DB.Post(ctx, newID, "")
	if d.ID != edited || len(d.Versions) != 2 || d.Status != archive.StatusEdited {
		t.Errorf("edited post: %+v", d)
	}
	if d, _ := e.r.DB.Post(ctx, kept, ""); d.Status != archive.StatusLive {
		t.Errorf("kept post %q", d.Status)
	}
	// Deleted posts are not rechecked again; a second pass changes nothing.
	res, err = e.r.Recheck(ctx, true)
	if err != nil || len(res.Changes) != 0 || res.Checked != 2 {
		t.Errorf("second recheck %+v %v", res, err)
	}
}

func TestRecheckProtectedIsUnavailable(t *testing.T) {
	e := newEnv(t)
	id := e.fake.Post(psID, "soon protected", e.now.Add(-time.Hour))
	if _, err := e.r.CaptureAccounts(ctx, []archive.Account{ps}); err != nil {
		t.Fatal(err)
	}
	e.fake.Protect(psID)
	res, err := e.r.Recheck(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Changes[0].Kind != "unavailable" {
		t.Errorf("changes %+v", res.Changes)
	}
	if d, _ := e.r.DB.Post(ctx, id, ""); d.Status != archive.StatusUnavailable {
		t.Errorf("status %q", d.Status)
	}
}

func TestRecheckCadence(t *testing.T) {
	e := newEnv(t)
	e.fake.Post(vpID, "young", e.now.Add(-time.Hour))
	if _, err := e.r.CaptureAccounts(ctx, []archive.Account{vp}); err != nil {
		t.Fatal(err)
	}
	res, err := e.r.Recheck(ctx, false)
	if err != nil || res.Checked != 1 {
		t.Fatalf("first recheck %+v %v", res, err)
	}
	// Checked a moment ago: not due again for 15 minutes.
	res, err = e.r.Recheck(ctx, false)
	if err != nil || res.Checked != 0 {
		t.Errorf("immediate second recheck %+v %v, want nothing due", res, err)
	}
}

func TestRecheckInterval(t *testing.T) {
	tests := []struct {
		age, want time.Duration
	}{
		{time.Minute, 15 * time.Minute},
		{2 * time.Hour, 15 * time.Minute},
		{4 * time.Hour, time.Hour},
		{2 * 24 * time.Hour, 3 * time.Hour},
		{10 * 24 * time.Hour, 24 * time.Hour},
		{90 * 24 * time.Hour, 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := archive.RecheckInterval(tt.age); got != tt.want {
			t.Errorf("RecheckInterval(%v) = %v, want %v", tt.age, got, tt.want)
		}
	}
}

func TestMediaDownloads(t *testing.T) {
	e := newEnv(t)
	var fails atomic.Int32
	fails.Store(1)
	img := []byte("\x89PNG\r\n\x1a\n fake image bytes")
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
		case "/flaky.png":
			if fails.Add(-1) >= 0 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
		case "/huge.mp4":
			w.Header().Set("Content-Type", "video/mp4")
			w.Write(make([]byte, 4096))
		case "/slow.png":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
	}))
	defer cdn.Close()
	e.r.MediaMaxBytes = 1024
	e.r.MediaTimeout = 500 * time.Millisecond
	for _, name := range []string{"ok.png", "flaky.png", "huge.mp4", "slow.png"} {
		id := e.fake.Post(vpID, "with "+name, e.now.Add(-time.Hour))
		e.fake.AttachPhoto(id, cdn.URL+"/"+name)
	}
	start := time.Now()
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accounts[0].Posts != 4 || res.Accounts[0].Media != 4 {
		t.Fatalf("%+v", res.Accounts[0])
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("post capture took %v: media must not delay it", time.Since(start))
	}
	stored, failed, err := e.r.DownloadMedia(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if stored != 1 || failed != 3 {
		t.Errorf("stored %d failed %d, want 1 and 3", stored, failed)
	}
	// The flaky one is retried later and then stored; the huge one never.
	later := time.Now().Add(48 * time.Hour)
	e.r.Now = func() time.Time { return later }
	stored, failed, err = e.r.DownloadMedia(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if stored != 1 || failed != 1 {
		t.Errorf("retry: stored %d failed %d, want 1 (flaky) and 1 (slow)", stored, failed)
	}
	var n int
	e.r.DB.SQL().QueryRow(`SELECT count(*) FROM media WHERE status = 'skipped'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d skipped, want the huge one", n)
	}
	var sum string
	e.r.DB.SQL().QueryRow(`SELECT sha256 FROM media WHERE url LIKE '%/ok.png'`).Scan(&sum)
	if ok, _ := e.r.Blobs.Has(ctx, sum); !ok {
		t.Errorf("stored media %q not in the blob store", sum)
	}
}

var _ = fmt.Sprint

func TestCaptureThroughV1(t *testing.T) {
	e := newEnv(t)
	noSleep := func(ctx context.Context, d time.Duration) error { e.fake.Advance(d); return ctx.Err() }
	e.r.X = nil
	e.r.V1 = xv1.NewClient(e.fake.URL(), xv1.Credentials{ConsumerKey: e.fake.V1ConsumerKey, ConsumerSecret: "cs",
		AccessToken: "at", AccessSecret: "as"}, e.fake.Client(), xapi.WithSleep(noSleep))
	e.fake.GeneratePosts(vpID, 450, e.now.Add(-500*time.Hour), time.Hour)
	gone := e.fake.Post(vpID, "A post that will be deleted", e.now.Add(-time.Minute))
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accounts[0]; got.Status != "ok" || got.Posts != 451 {
		t.Fatalf("%+v", got)
	}
	e.fake.Delete(gone)
	rc, err := e.r.Recheck(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Checked != 451 || len(rc.Changes) != 1 || rc.Changes[0].ID != gone || rc.Changes[0].Kind != "unavailable" {
		t.Errorf("recheck %+v", rc)
	}
	if n := e.fake.RequestCount("/1.1/"); n == 0 {
		t.Error("no v1.1 requests were made")
	}
}

// TestResumeUnfinishedPage completes an API capture that a killed pass
// recorded but did not finish: its posts come from the stored page.
func TestResumeUnfinishedPage(t *testing.T) {
	e := newEnv(t)
	e.fake.GeneratePosts(vpID, 30, e.now.Add(-24*time.Hour), time.Hour)
	// A real page of the fake, stored and recorded as a pass would, and
	// then nothing more: the process was killed there.
	req, _ := http.NewRequest("GET", e.fake.URL()+"/2/users/"+vpID+"/tweets?max_results=100&expansions=author_id", nil)
	req.Header.Set("Authorization", "Bearer "+e.fake.Token)
	resp, err := e.fake.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("page: %d %v", resp.StatusCode, err)
	}
	ref, err := e.r.Blobs.Put(ctx, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	capID, err := e.r.DB.RecordCapture(ctx, sqlite.CaptureInput{Kind: "api", Target: "/2/users/" + vpID + "/tweets", Format: "x-v2",
		Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: ref.Size, SHA256: ref.SHA256}}})
	if err != nil {
		t.Fatal(err)
	}
	// Too young to take: it may be another process's pass at work.
	if n, err := e.r.Resume(ctx); err != nil || n != 0 {
		t.Fatalf("resume of a young capture: %d, %v", n, err)
	}
	e.r.Now = func() time.Time { return time.Now().Add(time.Hour) }
	if n, err := e.r.Resume(ctx); err != nil || n != 1 {
		t.Fatalf("resume: %d, %v", n, err)
	}
	if s := e.stats(t); s.Posts != 30 {
		t.Errorf("after resuming, %d posts, want the page's 30", s.Posts)
	}
	left, err := e.r.DB.IncompleteCaptures(ctx, "api", time.Now().Add(time.Hour))
	if err != nil || len(left) != 0 {
		t.Errorf("incomplete captures left: %+v %v", left, err)
	}
	var detail string
	if err := e.r.DB.SQL().QueryRow(`SELECT detail FROM captures WHERE id = ? AND completed_at IS NOT NULL`, capID).Scan(&detail); err != nil ||
		!strings.Contains(detail, `"resumed":true`) {
		t.Errorf("the capture's detail %q (%v) does not say it was resumed", detail, err)
	}
	// The next pass resumes nothing and captures the rest: no duplicates.
	res, err := e.r.CaptureAccounts(ctx, []archive.Account{vp})
	if err != nil || res.Resumed != 0 {
		t.Fatalf("next pass: %+v %v", res, err)
	}
	if s := e.stats(t); s.Posts != 30 || s.Versions != 30 {
		t.Errorf("stats %+v, want 30 posts and versions", s)
	}
}
