package archivetest

import (
	"fmt"
	"strconv"
	"time"
)

// What a long-running test (the soak) needs of the fake beyond the rest:
// rate limits that reset in seconds rather than at the end of a 15-minute
// window, a view of the fault queue, and posts that appear with their
// photo at once.

// SpendWindow spends the rate-limit window of endpoint (FakeXUserTweets and
// the like) until resetIn from the fake's clock: every request to it is
// refused with X's 429 and x-rate-limit-remaining 0 and an
// x-rate-limit-reset of that time, until the clock passes it and a new
// window opens.
func (f *FakeX) SpendWindow(endpoint string, resetIn time.Duration) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	limit, ok := f.limits[endpoint]
	if !ok {
		f.t.Fatalf("fake x: spend window: unknown endpoint %q", endpoint)
	}
	f.windows[endpoint] = &fxRateWindow{reset: f.now.Add(resetIn).Truncate(time.Second), used: limit}
}

// PendingFaults returns how many queued faults (FailNext and the like) no
// request has taken yet.
func (f *FakeX) PendingFaults() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.faults)
}

// ClearFaults drops the queued faults no request has taken, and returns
// how many there were.
func (f *FakeX) ClearFaults() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.faults)
	f.faults = nil
	return n
}

// PostPhoto adds a post by userID made at at with a photo at photoURL, and
// returns its id. Unlike Post then AttachPhoto, no request can see the post
// before it has its photo (and the t.co link in its text).
func (f *FakeX) PostPhoto(userID, text string, at time.Time, photoURL string) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user(userID)
	id := f.newID(at)
	f.mediaSeq++
	link := "https://t.co/" + fxSlug(id)
	f.mediaLink[id] = link
	f.insert(&fxPost{id: id, author: userID, text: text + " " + link, at: at.UTC().Truncate(time.Millisecond),
		thread: &fxThread{versions: []int64{id}},
		media:  []fxMedia{{key: fmt.Sprintf("3_%d", id+int64(f.mediaSeq)), url: photoURL}}})
	return strconv.FormatInt(id, 10)
}

// Text returns the text of the post version with id as the fake holds it
// (before the HTML escaping X applies): with the t.co link a photo adds.
func (f *FakeX) Text(id string) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		f.t.Fatalf("fake x: post id %q is not a number", id)
	}
	p, ok := f.lookup(n)
	if !ok {
		f.t.Fatalf("fake x: no post with id %s", id)
	}
	return p.text
}
