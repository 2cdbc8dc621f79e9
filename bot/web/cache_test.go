package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMicrocache(t *testing.T) {
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	c := newMicrocache(2*time.Second, func() time.Time { return now })
	calls := 0
	raw := func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("x", cacheMaxBytes+1)))
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "answer %d", calls)
	}
	h := c.wrap(raw)
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if len(hdr) == 2 {
			r.Header.Set(hdr[0], hdr[1])
		}
		h(w, r)
		return w
	}
	if w := get("/posts/1"); w.Body.String() != "answer 1" {
		t.Fatalf("first: %q", w.Body.String())
	}
	if w := get("/posts/1"); w.Body.String() != "answer 1" || w.Header().Get("Content-Type") != "text/plain" || calls != 1 {
		t.Errorf("within the TTL: %q %q, %d calls", w.Body.String(), w.Header().Get("Content-Type"), calls)
	}
	if w := get("/posts/1?x=1"); w.Body.String() != "answer 2" {
		t.Errorf("another query string is another answer: %q", w.Body.String())
	}
	if w := get("/posts/1", "Authorization", "Bearer t"); w.Body.String() != "answer 3" {
		t.Errorf("a request with credentials was served from the cache: %q", w.Body.String())
	}
	now = now.Add(2 * time.Second)
	if w := get("/posts/1"); w.Body.String() != "answer 4" {
		t.Errorf("after the TTL: %q", w.Body.String())
	}
	get("/missing")
	get("/missing")
	get("/big")
	get("/big")
	if calls != 8 {
		t.Errorf("%d calls: errors or answers over the size cap were cached", calls)
	}
	// The cache never holds more than its budget.
	for i := range 2 * cacheBudget / (cacheMaxBytes - 1) {
		w := httptest.NewRecorder()
		c.wrap(func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, cacheMaxBytes-1)) })(w,
			httptest.NewRequest(http.MethodGet, fmt.Sprintf("/p/%d", i), nil))
		if c.bytes > cacheBudget {
			t.Fatalf("%d bytes kept, over the %d budget", c.bytes, cacheBudget)
		}
	}
	calls = 0
	off := newMicrocache(0, time.Now).wrap(raw)
	for range 2 {
		off(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/posts/1", nil))
	}
	if calls != 2 {
		t.Errorf("TTL 0: %d calls for 2 requests, want every request answered afresh", calls)
	}
}
