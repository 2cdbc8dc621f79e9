package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// lookupArchive holds the seed-like posts the lookup tests search.
func lookupArchive(t *testing.T) *DB {
	t.Helper()
	db := openTest(t)
	posts := []archive.Post{
		post(idA, "VP", "Today I signed the Charter on Strategic Partnership with Azerbaijan. https://t.co/AEfulNuR0q", idA),
		post(idB, "VPPressSec", "The Vice President met President Aliyev in Baku to sign the charter &amp; talk trade.", idB),
		post(idC, "VP", "Proud of our negotiators: a strategic partnership built on energy and security.", idC),
	}
	if _, err := db.NewPostWriter().Write(ctx, items(posts...)); err != nil {
		t.Fatal(err)
	}
	// idC is edited later: idD is its second version.
	if _, err := db.NewPostWriter().Write(ctx, items(post(idD, "VP", "Proud of our negotiators: a strategic partnership built on energy, trade and security.", idC, idD))); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestPostsByVersionIDs(t *testing.T) {
	db := lookupArchive(t)
	got, err := db.PostsByVersionIDs(ctx, []string{idA, idD, "1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d posts, want 2 (the unknown id absent)", len(got))
	}
	if p := got[idD]; p.ID != idC || len(p.Versions) != 2 || p.Versions[1].ID != idD || p.Status != archive.StatusEdited {
		t.Errorf("by a later version's id: %+v", p)
	}
	if p := got[idA]; p.Handle != "VP" || p.URL != "https://x.com/VP/status/"+idA || p.CreatedAt.IsZero() {
		t.Errorf("by id: %+v", p)
	}
}

func TestPostsByMediaSlug(t *testing.T) {
	db := lookupArchive(t)
	for _, tc := range []struct {
		slug string
		want int
	}{{"AEfulNuR0q", 1}, {"aefulnur0q", 0}, {"nothere", 0}, {`x" OR "y`, 0}} {
		got, err := db.PostsByMediaSlug(ctx, tc.slug, 5, "")
		if err != nil || len(got) != tc.want {
			t.Errorf("slug %q: %d posts (%v), want %d", tc.slug, len(got), err, tc.want)
		}
	}
}

func TestPostsByAuthorBetween(t *testing.T) {
	db := lookupArchive(t)
	day := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	got, err := db.PostsByAuthorBetween(ctx, "@vp", day, day.AddDate(0, 0, 1), 10, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("got %d posts (%v), want 2", len(got), err)
	}
	if got[0].Ord < got[1].Ord {
		t.Error("not newest first")
	}
	got, _ = db.PostsByAuthorBetween(ctx, "VP", day.AddDate(0, 0, 2), day.AddDate(0, 0, 3), 10, "")
	if len(got) != 0 {
		t.Errorf("another day: %d posts, want 0", len(got))
	}
}

func TestFindQuote(t *testing.T) {
	for _, indexed := range []bool{false, true} {
		t.Run(fmt.Sprintf("index=%v", indexed), func(t *testing.T) {
			db := lookupArchive(t)
			if indexed {
				st, err := db.BuildQuoteIndex(ctx)
				if err != nil || st.Posts != 3 || st.Bytes == 0 {
					t.Fatalf("build: %+v %v", st, err)
				}
			}
			testFindQuote(t, db)
		})
	}
}

func testFindQuote(t *testing.T, db *DB) {
	for _, tc := range []struct {
		name, quote string
		wantID      string
		wantScore   float64
	}{
		{"whole", "signed the Charter on Strategic Partnership with Azerbaijan", idA, 1},
		{"curly quotes and case", "SIGNED the charter on strategic partnership", idA, 1},
		{"one word changed", "signed the Treaty on Strategic Partnership with Azerbaijan", idA, 7.0 / 8},
		{"rare word changed", "signed the Charter on Strategic Friendship with Azerbaijan", idA, 7.0 / 8},
		{"an earlier version", "a strategic partnership built on energy and security", idC, 1},
		{"nothing like it", "we will build the wall", "", 0},
		{"only common words", "the and of to", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := db.FindQuote(ctx, tc.quote, 3, "")
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantID == "" {
				if len(hits) != 0 {
					t.Errorf("got %d hits, want none: %+v", len(hits), hits[0])
				}
				return
			}
			if len(hits) == 0 {
				t.Fatal("no hits")
			}
			if hits[0].Post.ID != tc.wantID || hits[0].Score < tc.wantScore-0.01 || hits[0].Score > tc.wantScore+0.01 {
				t.Errorf("top hit %s score %.3f, want %s %.3f", hits[0].Post.ID, hits[0].Score, tc.wantID, tc.wantScore)
			}
		})
	}
}

func TestArticlesQuoting(t *testing.T) {
	db := lookupArchive(t)
	got, _ := db.PostsByVersionIDs(ctx, []string{idA}, "")
	id, err := db.SaveArticle(ctx, Article{URL: "https://news.example/charter", Title: "Charter signed",
		Text: "One.\n\nTwo.", Result: `{"embeds":[]}`,
		Links: []ArticleLink{{PostOrd: got[idA].Ord, Kind: "blockquote", Verdict: "altered"}}})
	if err != nil || id == 0 {
		t.Fatalf("save: %d %v", id, err)
	}
	d, err := db.Post(ctx, idA, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Articles) != 1 || d.Articles[0].URL != "https://news.example/charter" || d.Articles[0].Verdict != "altered" {
		t.Errorf("articles of the post: %+v", d.Articles)
	}
	d, _ = db.Post(ctx, idB, "")
	if d.Articles == nil || len(d.Articles) != 0 {
		t.Errorf("a post no article quotes: %#v, want an empty list", d.Articles)
	}
}

// TestQuoteIndexFollowsNewPosts checks that posts written after the index
// was built are found through it, and that an edit of an older post is
// still found (by the full-text queries).
func TestQuoteIndexFollowsNewPosts(t *testing.T) {
	db := lookupArchive(t)
	if _, err := db.BuildQuoteIndex(ctx); err != nil {
		t.Fatal(err)
	}
	const idE = "2021200000000000000"
	w := db.NewPostWriter()
	if _, err := w.Write(ctx, items(post(idE, "VP", "Returning home tonight after three days of talks in the Caucasus.", idE))); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(ctx, items(post("2021200000000000001", "VP", "Today I signed the Charter on Strategic Partnership with Azerbaijan and Armenia. https://t.co/AEfulNuR0q", idA, "2021200000000000001"))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ quote, want string }{
		{"after three days of talks in the Caucasus", idE},
		{"Partnership with Azerbaijan and Armenia", idA},
	} {
		hits, err := db.FindQuote(ctx, tc.quote, 1, "")
		if err != nil || len(hits) == 0 || hits[0].Post.ID != tc.want || hits[0].Score != 1 {
			t.Errorf("%q: %+v %v, want %s whole", tc.quote, hits, err, tc.want)
		}
	}
}
