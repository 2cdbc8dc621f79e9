package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

var ctx = context.Background()

const (
	idA = "2021150315377594369"
	idB = "2021163552601022466"
)

// newRouter returns a router over a small archive: two posts of @VP, the
// second edited, and no browser or X API.
func newRouter(t *testing.T) *Router {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vp := archive.Account{Platform: "x", PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"}
	post := func(id, text string, hist ...string) sqlite.Item {
		at, _ := archive.SnowflakeTime(hist[0])
		return sqlite.Item{Post: archive.Post{Platform: "x", ID: id, EditHistory: hist, Author: vp, CreatedAt: at, Text: text}}
	}
	const idB2 = "2021163552601022467"
	w := db.NewPostWriter()
	if _, err := w.Write(ctx, []sqlite.Item{
		post(idA, "Today we signed a Charter on Strategic Partnership with Azerbaijan <script>alert(1)</script>", idA),
		post(idB, "Wheels down in Baku for talks on the Internatonal route", idB),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(ctx, []sqlite.Item{post(idB2, "Wheels down in Baku for talks on the International route", idB, idB2)}); err != nil {
		t.Fatal(err)
	}
	r := &Router{DB: db, Checker: &check.Checker{DB: db, Watched: []string{"VP"}}, Guard: &netguard.Guard{}}
	// A browser that must never be reached: every URL the tests give is
	// refused by the guard first.
	r.FetchPage = func(ctx context.Context, u string) (check.Page, error) {
		t.Errorf("fetched %s", u)
		return check.Page{}, errors.New("fetched")
	}
	r.CaptureURL = func(ctx context.Context, u string) (snapshot.Result, error) {
		t.Errorf("captured %s", u)
		return snapshot.Result{}, errors.New("captured")
	}
	return r
}

func TestHandle(t *testing.T) {
	r := newRouter(t)
	for _, tc := range []struct {
		line  string
		title string // substring of the reply's title
		want  string // substring of the whole reply
	}{
		{"", "Verbatim", "search QUERY"},
		{"help", "commands", "capture URL|@handle"},
		{"search charter --account @vp", "1 posts", "/posts/" + idA},
		{"search", "search", "Give a query"},
		{`search "unclosed`, "search", "unclosed"},
		{"search nothingmatches", "0 posts", ""},
		{"show " + idB, "@VP", "[-Internatonal-]{+International+}"},
		{"show 1", "show 1", "Not in the archive"},
		{"show", "show", "Give one post id"},
		{"verify http://127.0.0.1/article", "verify", "Refused"},
		{"verify http://169.254.169.254/latest/meta-data", "verify", "Refused"},
		{"verify file:///etc/passwd", "verify", "Refused"},
		{"capture http://10.0.0.1/", "capture", "Refused"},
		{"capture http://[fe80::1]/", "capture", "Refused"},
		{"capture @VP", "capture", "not available"},
		{"status", "status", "Posts"},
		{"frobnicate", "Unknown command", "search QUERY"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			rep, err := r.Handle(ctx, tc.line)
			if err != nil {
				t.Fatalf("error %v, want a reply", err)
			}
			all := rep.Title + "\n" + rep.Text + "\n" + rep.Permalink
			for _, f := range rep.Fields {
				all += "\n" + f.Label + ": " + f.Value
			}
			for _, s := range rep.Sections {
				all += "\n" + s.Text + " " + s.Permalink
			}
			if !strings.Contains(rep.Title, tc.title) || !strings.Contains(all, tc.want) {
				t.Errorf("reply %q, want title with %q and %q somewhere", all, tc.title, tc.want)
			}
		})
	}
}

func TestRouterUnavailable(t *testing.T) {
	r := newRouter(t)
	r.FetchPage, r.CaptureURL = nil, nil
	// A public address literal: nothing is looked up or connected to.
	if _, err := r.CheckURL(ctx, "https://93.184.215.14/a"); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("check without a browser: %v, want ErrNotAvailable", err)
	}
	if _, err := r.Capture(ctx, "https://93.184.215.14/a"); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("capture without a browser: %v, want ErrNotAvailable", err)
	}
	rep, err := r.Handle(ctx, "verify https://93.184.215.14/a")
	if err != nil || !strings.Contains(rep.Text, "not available") {
		t.Errorf("verify without a browser: %+v %v", rep, err)
	}
}

func TestSearchParamsRoundTrip(t *testing.T) {
	q := sqlite.SearchQuery{Text: "charter azerbaijan", Account: "@VP", Since: time.Date(2026, 2, 9, 0, 0, 0, 0, time.UTC),
		Until: time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC), Deleted: true, Edited: true, HasMedia: true, Limit: 50, Offset: 100}
	got, err := ParseSearchParams(SearchParams(q))
	if err != nil || got != q {
		t.Errorf("round trip: %+v %v, want %+v", got, err, q)
	}
	// A date as until means the end of that day, as on the command line.
	got, _ = ParseSearchParams(url.Values{"until": {"2026-02-10"}, "deleted": {"on"}})
	if !got.Until.Equal(time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC)) || !got.Deleted {
		t.Errorf("until date: %+v", got)
	}
	for _, bad := range []url.Values{{"since": {"yesterday"}}, {"limit": {"5000"}}, {"offset": {"-1"}}, {"limit": {"x"}}} {
		if _, err := ParseSearchParams(bad); !errors.Is(err, sqlite.ErrQuery) {
			t.Errorf("%v: %v, want ErrQuery", bad, err)
		}
	}
}

func TestNilGuardIsStrict(t *testing.T) {
	r := newRouter(t)
	r.Guard = nil
	for _, u := range []string{"http://127.0.0.1/", "http://169.254.169.254/latest"} {
		if _, err := r.CheckURL(ctx, u); !errors.Is(err, netguard.ErrPrivateAddress) {
			t.Errorf("%s: %v, want ErrPrivateAddress", u, err)
		}
		if _, err := r.Capture(ctx, u); !errors.Is(err, netguard.ErrPrivateAddress) {
			t.Errorf("capture %s: %v, want ErrPrivateAddress", u, err)
		}
	}
}

func TestStatusShowsLatestCheckpoint(t *testing.T) {
	r := newRouter(t)
	if s, err := r.Status(ctx); err != nil || s.Checkpoint != nil {
		t.Fatalf("before any checkpoint: %+v %v", s.Checkpoint, err)
	}
	skey, err := ledger.GenerateKey(ledger.NewKeyName())
	if err != nil {
		t.Fatal(err)
	}
	key, err := ledger.ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.DB.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: "https://x.com/VP/status/" + idA, PostID: idA}); err != nil {
		t.Fatal(err)
	}
	cp, err := r.DB.CreateCheckpoint(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Status(ctx)
	if err != nil || s.Checkpoint == nil || s.Checkpoint.Size != cp.Size || s.Checkpoint.Note != cp.Note {
		t.Fatalf("status checkpoint %+v %v, want %+v", s.Checkpoint, err, cp)
	}
	rep, err := r.Handle(ctx, "status")
	if err != nil || !strings.Contains(fmt.Sprint(rep.Fields), "Latest checkpoint") {
		t.Errorf("status reply lacks the checkpoint: %+v %v", rep, err)
	}
}
