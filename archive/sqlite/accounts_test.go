package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

func TestAccountOverview(t *testing.T) {
	db := openTest(t) // now is 2026-02-11 12:00 UTC
	ctx := context.Background()
	acct := archive.Account{Platform: "x", PlatformID: "42", Handle: "Some_One", Name: "Someone"}
	if _, err := db.SaveAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	var items []Item
	for i, at := range []time.Time{day, day.Add(time.Hour), day.Add(9 * 24 * time.Hour)} {
		id := []string{"2018000000000000001", "2018000000000000002", "2021000000000000003"}[i]
		items = append(items, Item{Post: archive.Post{Platform: "x", ID: id, Author: acct, CreatedAt: at, Text: "post"}})
	}
	if _, err := db.NewPostWriter().Write(ctx, items); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPostStatus(ctx, "2018000000000000002", archive.StatusDeleted, ""); err != nil {
		t.Fatal(err)
	}
	// Timeline pages: v2 by user id, v1.1 by screen name (any case); an
	// unfinished one and another account's do not count.
	for _, c := range []struct {
		target   string
		at       time.Time
		complete bool
	}{
		{"x-api:/2/users/42/tweets?since_id=#page=1", day, true},
		{"x-api-v1.1:/1.1/statuses/user_timeline.json?screen_name=some_one&since_id=#page=1", day.Add(30 * time.Minute), true},
		{"x-api:/2/users/42/tweets?since_id=1#page=1", day.Add(4 * time.Hour), false},
		{"x-api:/2/users/421/tweets?since_id=#page=1", day.Add(5 * time.Hour), true},
		{"x-api:/2/users/42/tweets?since_id=1#page=1", day.Add(10 * 24 * time.Hour), true},
	} {
		if _, err := db.RecordCapture(ctx, CaptureInput{Kind: "api", Target: c.target, At: c.at, Complete: c.complete}); err != nil {
			t.Fatal(err)
		}
	}
	o, err := db.AccountOverview(ctx, "x", "@SOME_ONE", AccountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Posts != 3 || o.Deleted != 1 || len(o.Deletions) != 1 || o.Deletions[0].ID != "2018000000000000002" || o.Deletions[0].NoticedAt == nil {
		t.Errorf("counts %+v", o)
	}
	if o.TimelineCaptures != 3 || !o.Watched {
		t.Errorf("captures %d watched %v", o.TimelineCaptures, o.Watched)
	}
	want := []Gap{
		{Kind: GapCaptures, From: day.Add(10 * 24 * time.Hour), To: time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC), Open: true},
		{Kind: GapCaptures, From: day.Add(30 * time.Minute), To: day.Add(10 * 24 * time.Hour)},
		{Kind: GapPosts, From: day.Add(time.Hour), To: day.Add(9 * 24 * time.Hour)},
	}
	if len(o.Gaps) != len(want) {
		t.Fatalf("gaps %+v, want %+v", o.Gaps, want)
	}
	for i := range want {
		if g := o.Gaps[i]; g.Kind != want[i].Kind || !g.From.Equal(want[i].From) || !g.To.Equal(want[i].To) || g.Open != want[i].Open {
			t.Errorf("gap %d: %+v, want %+v", i, g, want[i])
		}
	}
	if _, err := db.AccountOverview(ctx, "x", "nobody", AccountOptions{}); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if got := likeEscape(`a_b%c\d`); got != `a\_b\%c\\d` {
		t.Errorf("likeEscape %q", got)
	}
}
