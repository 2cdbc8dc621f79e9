package archivetest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFakeXSpendWindow(t *testing.T) {
	fx := fxNewTestFake(t)
	timeline := "/2/users/" + fxTestVP + "/tweets"
	fx.SpendWindow(FakeXUserTweets, 30*time.Second)
	wantReset := strconv.FormatInt(fx.Now().Add(30*time.Second).Unix(), 10)
	for i := range 2 {
		r := fxGet(t, fx, timeline, fxWith())
		if r.status != http.StatusTooManyRequests || r.header.Get("x-rate-limit-remaining") != "0" ||
			r.header.Get("x-rate-limit-reset") != wantReset || string(r.body) != fxBody429 {
			t.Errorf("request %d: got %d remaining %s reset %s (want %s)", i, r.status,
				r.header.Get("x-rate-limit-remaining"), r.header.Get("x-rate-limit-reset"), wantReset)
		}
	}
	// Other endpoints keep their windows.
	if r := fxGet(t, fx, "/2/tweets", url.Values{"ids": {"1"}}); r.status != http.StatusOK {
		t.Errorf("tweets: got %d", r.status)
	}
	fx.Advance(30 * time.Second)
	if r := fxGet(t, fx, timeline, fxWith()); r.status != http.StatusOK || r.header.Get("x-rate-limit-remaining") != "1499" {
		t.Errorf("after the reset: got %d remaining %s", r.status, r.header.Get("x-rate-limit-remaining"))
	}
}

func TestFakeXPendingFaults(t *testing.T) {
	fx := fxNewTestFake(t)
	fx.FailNext(http.StatusBadGateway, "/2/tweets")
	fx.TruncateNext()
	if got := fx.PendingFaults(); got != 2 {
		t.Fatalf("pending: got %d, want 2", got)
	}
	fxGet(t, fx, "/2/users/by/username/VP", nil) // takes the truncation
	if got := fx.PendingFaults(); got != 1 {
		t.Errorf("pending after a request: got %d, want 1", got)
	}
	if got := fx.ClearFaults(); got != 1 || fx.PendingFaults() != 0 {
		t.Errorf("cleared %d, %d left", got, fx.PendingFaults())
	}
	if r := fxGet(t, fx, "/2/tweets", url.Values{"ids": {"1"}}); r.status != http.StatusOK {
		t.Errorf("a cleared fault was served: %d", r.status)
	}
}

func TestFakeXPostPhoto(t *testing.T) {
	fx := fxNewTestFake(t)
	id := fx.PostPhoto(fxTestVP, "At the summit", fx.Now().Add(-time.Minute), "https://pbs.twimg.com/media/summit.jpg")
	page := fxDecode(t, fxGet(t, fx, "/2/tweets", fxWith("ids", id)))
	if len(page.Posts) != 1 || len(page.Posts[0].Media) != 1 || page.Posts[0].Media[0].URL != "https://pbs.twimg.com/media/summit.jpg" ||
		!strings.HasPrefix(page.Posts[0].Text, "At the summit https://t.co/") {
		t.Fatalf("post %+v", page.Posts)
	}
	if got := fx.Text(id); got != page.Posts[0].Text {
		t.Errorf("Text: got %q, want %q", got, page.Posts[0].Text)
	}
	// An edit keeps the photo, as for AttachPhoto.
	nid := fx.Edit(id, page.Posts[0].Text+" (updated)", fx.Now())
	page = fxDecode(t, fxGet(t, fx, "/2/tweets", fxWith("ids", nid)))
	if len(page.Posts) != 1 || len(page.Posts[0].Media) != 1 {
		t.Errorf("edited post %+v", page.Posts)
	}
}
