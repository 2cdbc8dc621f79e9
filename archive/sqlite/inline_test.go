package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/verbatim-archive/verbatim/archive"
)

// where reports where the post at the root id keeps its versions: "row"
// when its only version is in its own row, "table" when they are in
// post_versions, with how many rows post_versions holds for it.
func where(t *testing.T, db *DB, id string) (string, int) {
	t.Helper()
	var inline bool
	var n int
	err := db.SQL().QueryRowContext(ctx, `SELECT p.v_detail IS NOT NULL,
		(SELECT count(*) FROM post_versions v WHERE v.post_ord = p.ord) FROM posts p WHERE p.id = ?`, id).Scan(&inline, &n)
	if err != nil {
		t.Fatalf("post %s: %v", id, err)
	}
	if inline {
		return "row", n
	}
	return "table", n
}

// plainPost is a post as the v2 API gives it: its own one-entry history,
// with media and a reply, so that the version detail has something in it.
func plainPost(id, text string) archive.Post {
	p := post(id, "VP", text, id)
	p.ReplyToID = idB
	p.Media = []archive.Media{{Key: "3_1", Type: "photo", URL: "https://pbs.twimg.com/media/a.jpg"}}
	return p
}

// TestSingleVersionStoredOnce checks migration 7's layout: a post known
// in one version keeps it in its own row, with everything a version
// holds; a second version moves the first to post_versions first; and
// every reader sees the same versions either way.
func TestSingleVersionStoredOnce(t *testing.T) {
	db := openTest(t)
	capID, err := db.RecordCapture(ctx, CaptureInput{Kind: "api", Target: "https://api.x.com/2/users/1/tweets"})
	if err != nil {
		t.Fatal(err)
	}
	v1 := plainPost(idA, "Charter signed with Azerbaijan")
	st, err := db.NewPostWriter().Write(ctx, []Item{{Post: v1, CaptureID: capID, Page: 7}})
	if err != nil || st.Posts != 1 {
		t.Fatalf("write: %+v %v", st, err)
	}
	if w, n := where(t, db, idA); w != "row" || n != 0 {
		t.Fatalf("a new post keeps its version in %s (%d rows in post_versions), want its own row", w, n)
	}
	check := func(stage string, wantIDs ...string) archive.PostDetail {
		t.Helper()
		d, err := db.Post(ctx, idA, "")
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		if len(d.Versions) != len(wantIDs) {
			t.Fatalf("%s: %d versions, want %d", stage, len(d.Versions), len(wantIDs))
		}
		for i, id := range wantIDs {
			if d.Versions[i].ID != id || d.Versions[i].Seq != i {
				t.Errorf("%s: version %d is %s seq %d, want %s seq %d", stage, i, d.Versions[i].ID, d.Versions[i].Seq, id, i)
			}
		}
		v := d.Versions[0]
		if v.Text != v1.Text || v.CaptureID != capID || v.Page != 7 || v.ReplyToID != idB ||
			len(v.Media) != 1 || v.Media[0].Key != "3_1" || !v.CreatedAt.Equal(v1.CreatedAt) || v.FirstSeen.IsZero() {
			t.Errorf("%s: first version %+v lost what was written", stage, v)
		}
		if len(d.Captures) != 1 || d.Captures[0].ID != capID {
			t.Errorf("%s: captures %+v, want the page it came from", stage, d.Captures)
		}
		for _, id := range wantIDs {
			if ord, err := db.PostOrd(ctx, id); err != nil || ord == 0 {
				t.Errorf("%s: PostOrd(%s) = %d, %v", stage, id, ord, err)
			}
		}
		found, err := db.PostsByVersionIDs(ctx, wantIDs, "")
		if err != nil || len(found) != len(wantIDs) {
			t.Errorf("%s: PostsByVersionIDs found %d of %d (%v)", stage, len(found), len(wantIDs), err)
		}
		s, err := db.Stats(ctx)
		if err != nil || s.Posts != 1 || s.Versions != len(wantIDs) {
			t.Errorf("%s: stats %+v (%v), want 1 post and %d versions", stage, s, err, len(wantIDs))
		}
		checkIndex(t, db)
		return d
	}
	check("one version", idA)

	// Seen again, from the v2 API and without history (v1.1): nothing new,
	// and nothing moves.
	for _, p := range []archive.Post{v1, post(idA, "VP", v1.Text)} {
		st, err := db.NewPostWriter().Write(ctx, items(p))
		if err != nil || st.Unchanged != 1 {
			t.Errorf("seen again (history %v): %+v %v", p.EditHistory, st, err)
		}
		if w, _ := where(t, db, idA); w != "row" {
			t.Errorf("seen again (history %v): version moved to %s", p.EditHistory, w)
		}
	}
	check("seen again", idA)

	// An edit: the first version moves to post_versions, detail and all.
	v2 := post(idC, "VP", "Charter on Strategic Partnership signed with Azerbaijan", idA, idC)
	st, err = db.NewPostWriter().Write(ctx, items(v2))
	if err != nil || st.Versions != 1 {
		t.Fatalf("edit: %+v %v", st, err)
	}
	if w, n := where(t, db, idA); w != "table" || n != 2 {
		t.Errorf("after an edit: versions in %s, %d rows in post_versions; want 2 in post_versions", w, n)
	}
	d := check("edited", idA, idC)
	if d.Status != archive.StatusEdited || d.Text != v2.Text {
		t.Errorf("after an edit: status %q text %q", d.Status, d.Text)
	}
	res, err := db.Search(ctx, SearchQuery{Text: "charter NOT strategic"})
	if err != nil || res.Total != 0 {
		t.Errorf("search for the old wording only: %+v %v", res, err)
	}
	res, err = db.Search(ctx, SearchQuery{Text: "charter", Edited: true})
	if err != nil || res.Total != 1 {
		t.Errorf("search edited posts: %+v %v", res, err)
	}
}

// TestOriginalAfterItsEditStoredOnce writes an edit first and its
// original (a plain post) after, in one batch and in two.
func TestOriginalAfterItsEditStoredOnce(t *testing.T) {
	v1 := plainPost(idA, "Charter signed with Azerbaijan")
	v1.EditHistory = []string{idA} // as the API gave it before the edit
	v2 := post(idC, "VP", "Charter on Strategic Partnership signed with Azerbaijan", idA, idC)
	for name, batches := range map[string][][]archive.Post{
		"edit then original":        {{v2}, {v1}},
		"one batch, edit first":     {{v2, v1}},
		"one batch, original first": {{v1, v2}},
	} {
		t.Run(name, func(t *testing.T) {
			db := openTest(t)
			for _, b := range batches {
				if _, err := db.NewPostWriter().Write(ctx, items(b...)); err != nil {
					t.Fatal(err)
				}
			}
			d, err := db.Post(ctx, idC, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Versions) != 2 || d.Versions[0].ID != idA || d.Versions[1].ID != idC || d.Versions[0].ReplyToID != idB {
				t.Errorf("versions %+v", d.Versions)
			}
			if w, n := where(t, db, idA); w != "table" || n != 2 {
				t.Errorf("versions in %s, %d rows in post_versions; want 2 in post_versions", w, n)
			}
			s, _ := db.Stats(ctx)
			if s.Posts != 1 || s.Versions != 2 {
				t.Errorf("stats %+v", s)
			}
			checkIndex(t, db)
		})
	}
}

// TestMigration7KeepsEarlierVersions opens an archive written by schema
// version 6, where every version is in post_versions, and reads it.
func TestMigration7KeepsEarlierVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v6.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:6] {
		if _, err := raw.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 6`,
		`INSERT INTO posts(ord, id, platform, created_at, latest_id, text, first_seen, last_seen, edit_ids)
			VALUES (` + idA + `, '` + idA + `', 'x', '2026-02-10T15:00:00.000Z', '` + idA + `', 'an old post', '2026-02-10T16:00:00.000Z', '2026-02-10T16:00:00.000Z', '` + idA + `')`,
		`INSERT INTO post_versions(id, post_ord, seq, created_at, text, first_seen, detail)
			VALUES ('` + idA + `', ` + idA + `, 0, '2026-02-10T15:00:00.000Z', 'an old post', '2026-02-10T16:00:00.000Z', '{"lang":"en"}')`,
		`INSERT INTO posts_fts(rowid, text, author, previous) VALUES (` + idA + `, 'an old post', ' ', '')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := db.Post(ctx, idA, "")
	if err != nil || len(d.Versions) != 1 || d.Versions[0].Text != "an old post" {
		t.Fatalf("post written by version 6: %+v %v", d.Versions, err)
	}
	// Seen again after the upgrade: still one version, still in post_versions.
	p := post(idA, "VP", "an old post", idA)
	if st, err := db.NewPostWriter().Write(ctx, items(p)); err != nil || st.Unchanged != 1 {
		t.Errorf("seen again: %+v %v", st, err)
	}
	if w, n := where(t, db, idA); w != "table" || n != 1 {
		t.Errorf("after the upgrade: versions in %s, %d rows", w, n)
	}
	// New posts use the new layout beside it.
	if _, err := db.NewPostWriter().Write(ctx, items(plainPost(idB, "a new post"))); err != nil {
		t.Fatal(err)
	}
	if w, _ := where(t, db, idB); w != "row" {
		t.Errorf("a post written after the upgrade keeps its version in %s", w)
	}
	s, _ := db.Stats(ctx)
	if s.Posts != 2 || s.Versions != 2 {
		t.Errorf("stats %+v", s)
	}
	checkIndex(t, db)
}
