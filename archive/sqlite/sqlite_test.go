package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

var ctx = context.Background()

func TestOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	for i := 0; i < 2; i++ {
		db, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := db.SQL().QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if got, want := v, SchemaVersion(); got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
		var mode string
		db.SQL().QueryRow("PRAGMA journal_mode").Scan(&mode)
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		db.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.SQL().Exec("PRAGMA user_version = 999")
	db.Close()
	_, err = Open(ctx, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("got %v, want an error about a newer schema", err)
	}
}

func items(posts ...archive.Post) []Item {
	out := make([]Item, len(posts))
	for i, p := range posts {
		out[i] = Item{Post: p}
	}
	return out
}

func post(id, handle, text string, hist ...string) archive.Post {
	at, _ := archive.SnowflakeTime(id)
	return archive.Post{Platform: "x", ID: id, EditHistory: hist, CreatedAt: at, Text: text,
		Author: archive.Account{Platform: "x", PlatformID: "id-" + strings.ToLower(handle), Handle: handle, Name: handle + " Name"}}
}

// Snowflake ids of 2026-02-10 and later.
const (
	idA = "2021150315377594369"
	idB = "2021163552601022466"
	idC = "2021185161655234563"
	idD = "2021185161655234564"
)

func TestWriteIsIdempotent(t *testing.T) {
	db := openTest(t)
	w := db.NewPostWriter()
	ps := items(post(idA, "VP", "one"), post(idB, "VP", "two"))
	st, err := w.Write(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if st.Posts != 2 {
		t.Errorf("first write: %+v, want 2 posts", st)
	}
	st, err = db.NewPostWriter().Write(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if want := (WriteStats{Unchanged: 2}); st.Posts != want.Posts || st.Versions != want.Versions || st.Unchanged != want.Unchanged {
		t.Errorf("second write: %+v, want %+v", st, want)
	}
	s, _ := db.Stats(ctx)
	if s.Posts != 2 || s.Versions != 2 || s.Accounts != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestEditHistoryInAnyOrder(t *testing.T) {
	v1 := post(idA, "VP", "Charter signed with Azerbaijan", idA)
	v1full := post(idA, "VP", "Charter signed with Azerbaijan", idA, idC)
	v2 := post(idC, "VP", "Charter on Strategic Partnership signed with Azerbaijan", idA, idC)
	v2bare := post(idC, "VP", "Charter on Strategic Partnership signed with Azerbaijan") // v1.1: no history
	tests := []struct {
		name  string
		order [][]archive.Post // batches
	}{
		{"original then edit", [][]archive.Post{{v1}, {v2}}},
		{"edit then original", [][]archive.Post{{v2}, {v1full}}},
		{"one batch", [][]archive.Post{{v2, v1full}}},
		{"edit seen without history after", [][]archive.Post{{v1full}, {v2bare}}},
		{"edit seen as its own post first", [][]archive.Post{{v2bare}, {v1}, {v2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			w := db.NewPostWriter()
			for _, b := range tt.order {
				if _, err := w.Write(ctx, items(b...)); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range []string{idA, idC} {
				d, err := db.Post(ctx, id, "")
				if err != nil {
					t.Fatalf("Post(%s): %v", id, err)
				}
				if d.ID != idA {
					t.Errorf("Post(%s).ID = %s, want %s", id, d.ID, idA)
				}
				if d.Status != archive.StatusEdited {
					t.Errorf("status %q, want edited", d.Status)
				}
				if d.Text != v2.Text {
					t.Errorf("text %q, want the newest version", d.Text)
				}
				if len(d.Versions) != 2 || d.Versions[0].ID != idA || d.Versions[1].ID != idC {
					t.Errorf("versions %+v", d.Versions)
				}
			}
			s, _ := db.Stats(ctx)
			if s.Posts != 1 {
				t.Errorf("%d posts, want 1", s.Posts)
			}
			checkIndex(t, db)
			// Both versions' words are searchable; the post is found once.
			for _, q := range []string{"strategic", "charter", "azerbaijan NOT strategic"} {
				res, err := db.Search(ctx, SearchQuery{Text: q})
				if err != nil {
					t.Fatal(err)
				}
				want := 1
				if q == "azerbaijan NOT strategic" {
					want = 0
				}
				if res.Total != want {
					t.Errorf("search %q: total %d, want %d", q, res.Total, want)
				}
			}
		})
	}
}

func TestAuthorLearnedLater(t *testing.T) {
	db := openTest(t)
	w := db.NewPostWriter()
	p := post(idA, "VP", "no author yet")
	p.Author = archive.Account{Platform: "x", PlatformID: "1542228578"}
	if _, err := w.Write(ctx, items(p)); err != nil {
		t.Fatal(err)
	}
	d, _ := db.Post(ctx, idA, "")
	if d.Handle != "" || d.URL != "https://x.com/i/status/"+idA {
		t.Errorf("handle %q url %q before the author is known", d.Handle, d.URL)
	}
	q := post(idB, "VP", "author known")
	q.Author = archive.Account{Platform: "x", PlatformID: "1542228578", Handle: "VP", Name: "Vice President"}
	if _, err := db.NewPostWriter().Write(ctx, items(q)); err != nil {
		t.Fatal(err)
	}
	d, _ = db.Post(ctx, idA, "")
	if d.Handle != "VP" || d.AuthorName != "Vice President" {
		t.Errorf("after the author is known: handle %q name %q", d.Handle, d.AuthorName)
	}
	res, err := db.Search(ctx, SearchQuery{Account: "@vp"})
	if err != nil || res.Total != 2 {
		t.Errorf("search by account: %v %+v", err, res)
	}
	// The author column of the index follows.
	res, _ = db.Search(ctx, SearchQuery{Text: "president"})
	if res.Total != 2 {
		t.Errorf("search by author name: total %d, want 2", res.Total)
	}
	checkIndex(t, db)
}

// checkIndex fails t unless the full-text index holds exactly what the
// posts table does.
func checkIndex(t *testing.T, db *DB) {
	t.Helper()
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO posts_fts(posts_fts, rank) VALUES('integrity-check', 1)`); err != nil {
		t.Errorf("full-text index out of step with posts: %v", err)
	}
}

// TestManyEditsKeepIndexInStep writes edits in every position the writer
// can meet them: in the batch of their original, in later batches, newest
// first and oldest first, three versions deep.
func TestManyEditsKeepIndexInStep(t *testing.T) {
	db := openTest(t)
	w := db.NewPostWriter()
	base := int64(1890000000000000000)
	id := func(i, v int) string { return fmt.Sprint(base + int64(i)<<22 + int64(v)<<30) }
	var first, second, third []archive.Post
	for i := 0; i < 60; i++ {
		first = append(first, post(id(i, 0), "VP", fmt.Sprintf("original %d text", i), id(i, 0)))
		second = append(second, post(id(i, 1), "VP", fmt.Sprintf("edited %d words", i), id(i, 0), id(i, 1)))
		third = append(third, post(id(i, 2), "VP", fmt.Sprintf("final %d wording", i), id(i, 0), id(i, 1), id(i, 2)))
	}
	slices.Reverse(second) // timelines come newest first
	batch := append(append([]archive.Post{}, first[:20]...), second[:10]...)
	for _, b := range [][]archive.Post{batch, append(first[20:], second[10:]...), third} {
		if _, err := w.Write(ctx, items(b...)); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, db)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"final", 60}, {"edited", 60}, {"original", 60}, {"wording NOT final", 0}} {
		res, err := db.Search(ctx, SearchQuery{Text: tc.q, Limit: 100})
		if err != nil || res.Total != tc.want {
			t.Errorf("search %q: total %d (%v), want %d", tc.q, res.Total, err, tc.want)
		}
	}
}

func TestSearch(t *testing.T) {
	db := openTest(t)
	w := db.NewPostWriter()
	base := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	mk := func(i int, handle, text string) archive.Post {
		at := base.Add(time.Duration(i) * time.Hour)
		id := fmt.Sprint(archive.SnowflakeAt(at) + int64(i))
		return archive.Post{Platform: "x", ID: id, CreatedAt: at, Text: text,
			Author: archive.Account{Platform: "x", PlatformID: handle + "-id", Handle: handle}}
	}
	posts := []archive.Post{
		mk(0, "VP", "Arrived in Yerevan, Armenia"),
		mk(1, "VP", "The two signed a Charter on Strategic Partnership"),
		mk(2, "VPPressSec", "Aliyev sign a charter on strategic partnership"),
		mk(3, "VP", "created peace where previously there was war"),
		mk(4, "POTUS", "Peace through strength. Prosperity through trade"),
		mk(26, "VP", "A day later: strategic patience"),
	}
	if _, err := w.Write(ctx, items(posts...)); err != nil {
		t.Fatal(err)
	}
	ids := func(r SearchResult) string {
		var s []string
		for _, p := range r.Results {
			for i, q := range posts {
				if q.ID == p.ID {
					s = append(s, fmt.Sprint(i))
				}
			}
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		q    SearchQuery
		want string // post indexes, newest first
	}{
		{SearchQuery{Text: "charter"}, "2,1"},
		{SearchQuery{Text: `"strategic partnership"`}, "2,1"},
		{SearchQuery{Text: `"partnership strategic"`}, ""},
		{SearchQuery{Text: "strategic"}, "5,2,1"},
		{SearchQuery{Text: "strat*"}, "5,2,1"},
		{SearchQuery{Text: "peace OR yerevan"}, "4,3,0"},
		{SearchQuery{Text: "strategic -charter"}, "5"},
		{SearchQuery{Text: "strategic NOT charter"}, "5"},
		{SearchQuery{Text: "(peace OR charter) AND strategic"}, "2,1"},
		{SearchQuery{Text: "charter", Account: "@vppresssec"}, "2"},
		{SearchQuery{Text: "charter", Account: "VP"}, "1"},
		{SearchQuery{Account: "vp"}, "5,3,1,0"},
		{SearchQuery{Text: "strategic", Since: base.Add(2 * time.Hour)}, "5,2"},
		{SearchQuery{Text: "strategic", Until: base.Add(2 * time.Hour)}, "1"},
		{SearchQuery{Text: "strategic", Since: base, Until: base.AddDate(0, 0, 1)}, "2,1"},
		{SearchQuery{Text: "strategic", Limit: 1}, "5"},
		{SearchQuery{Text: "strategic", Limit: 1, Offset: 1}, "2"},
		{SearchQuery{Text: "vppresssec"}, "2"}, // the author column
		{SearchQuery{Text: "nothing-matches-this"}, ""},
		{SearchQuery{Text: "pic.twitter.com/AEfulNuR0q"}, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.q), func(t *testing.T) {
			res, err := db.Search(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	res, _ := db.Search(ctx, SearchQuery{Text: "strategic", Limit: 1})
	if res.Total != 3 {
		t.Errorf("total with a limit: %d, want 3", res.Total)
	}
	if !strings.Contains(res.Results[0].Snippet, "\x02strategic\x03") {
		t.Errorf("snippet %q does not mark the match", res.Results[0].Snippet)
	}
	if res.Results[0].URL != "https://x.com/VP/status/"+posts[5].ID {
		t.Errorf("url %q", res.Results[0].URL)
	}
}

func TestSearchBadQueryIsOneLine(t *testing.T) {
	db := openTest(t)
	for _, q := range []string{`"unclosed`, `(charter`, `charter)`, `AND`, `NOT charter`, `-charter`, `charter OR`, `a*b`, `""`, "\xff"} {
		_, err := db.Search(ctx, SearchQuery{Text: q})
		if !errors.Is(err, ErrQuery) {
			t.Errorf("%q: got %v, want ErrQuery", q, err)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "search: ") {
			t.Errorf("%q: error %q is not one line starting with 'search: '", q, err)
		}
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"charter", `"charter"`},
		{"Charter strategic", `("Charter" AND "strategic")`},
		{`"strategic partnership"`, `"strategic partnership"`},
		{"strat*", `"strat"*`},
		{"a OR b", `("a" OR "b")`},
		{"a -b", `(("a") NOT "b")`},
		{"-b a", `(("a") NOT "b")`},
		{"a AND (b OR c)", `("a" AND ("b" OR "c"))`},
		{`he said "x"`, `("he" AND "said" AND "x")`},
		{`NEAR("a" "b")`, `("NEAR" AND ("a" AND "b"))`},
		{`col:value`, `"col:value"`},
		{`say "it's" so`, `("say" AND "it's" AND "so")`},
		{"— charter", `"charter"`},
		{"and or not", `("and" AND "or" AND "not")`},
		{`“curly quotes”`, `"curly quotes"`},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzParseQuery checks that whatever a user types either is refused with
// ErrQuery or becomes an expression FTS5 accepts.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"charter", `"a b"`, "a OR b", "a -b", "(a OR b) AND c*", `"`, "()", "NOT", "a AND", "x* y*", "“quote”"} {
		f.Add(s)
	}
	db := openTest(f)
	f.Fuzz(func(t *testing.T, q string) {
		m, err := ParseQuery(q)
		if err != nil {
			if !errors.Is(err, ErrQuery) {
				t.Fatalf("%q: error %v does not wrap ErrQuery", q, err)
			}
			return
		}
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?`, m).Scan(&n); err != nil {
			t.Fatalf("%q -> %s: FTS5 refused it: %v", q, m, err)
		}
	})
}

func TestConcurrentWritersNeverSeeBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	var dbs []*DB
	for i := 0; i < 3; i++ { // separate pools, as separate processes would have
		db, err := Open(ctx, path, Options{BusyTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	posts := genPosts(6000, 7)
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs))
	for i, db := range dbs {
		wg.Add(1)
		go func(i int, db *DB) {
			defer wg.Done()
			w := db.NewPostWriter()
			// Each writes all posts, in batches, in a different order.
			for j := 0; j < 12; j++ {
				k := (j + i*4) % 12
				if _, err := w.Write(ctx, items(posts[k*500:(k+1)*500]...)); err != nil {
					errs <- err
					return
				}
			}
		}(i, db)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("writer: %v", err)
	}
	s, _ := dbs[0].Stats(ctx)
	if s.Posts != 6000 || s.Versions != 6000 {
		t.Errorf("stats %+v, want 6000 posts and versions", s)
	}
	if probs, err := dbs[0].IntegrityCheck(ctx); err != nil || len(probs) > 0 {
		t.Errorf("integrity: %v %v", probs, err)
	}
	var n int
	checkIndex(t, dbs[0])
	dbs[0].SQL().QueryRow(`SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'president'`).Scan(&n)
	if n == 0 {
		t.Error("full-text index is empty")
	}
}

func TestRecordCapture(t *testing.T) {
	db := openTest(t)
	if _, err := db.NewPostWriter().Write(ctx, items(post(idA, "VP", "hello"))); err != nil {
		t.Fatal(err)
	}
	sum := strings.Repeat("ab", 32)
	id, err := db.RecordCapture(ctx, CaptureInput{Kind: "snapshot", Target: "https://x.com/VP/status/" + idA, PostID: idA, Complete: true,
		Artifacts: []archive.Artifact{{Kind: "screenshot", MediaType: "image/png", Size: 10, SHA256: sum}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Post(ctx, idA, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Captures) != 1 || d.Captures[0].ID != id || d.Captures[0].Artifacts[0].SHA256 != sum {
		t.Errorf("captures %+v", d.Captures)
	}
	_, err = db.RecordCapture(ctx, CaptureInput{Kind: "snapshot", Target: "x", Artifacts: []archive.Artifact{{Kind: "pdf"}}})
	if err == nil {
		t.Error("an artifact without a hash was recorded")
	}
	_, err = db.RecordCapture(ctx, CaptureInput{Kind: "snapshot", Target: "x", PostID: "404"})
	if !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("capture of an unknown post: %v, want ErrNotFound", err)
	}
	if _, err := db.Post(ctx, "1", ""); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("Post of unknown id: %v", err)
	}
}
