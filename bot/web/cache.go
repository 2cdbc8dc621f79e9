package web

import (
	"bytes"
	"net/http"
	"sync"
	"time"
)

// microcache serves a successful GET answer again, for a short time (the
// TTL, a couple of seconds), without asking the archive: a page that many
// readers open at once (a post in the news) costs one render a TTL. What
// it keeps is exactly what was sent, headers included; a change in the
// archive shows once the TTL has passed.
type microcache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*cached
	bytes   int // of the bodies kept
}

type cached struct {
	status  int
	header  http.Header
	body    []byte
	expires time.Time
}

// Bounds of the cache: the bytes of all answers kept, and the largest
// answer kept.
const (
	cacheBudget   = 16 << 20
	cacheMaxBytes = 256 << 10
)

func newMicrocache(ttl time.Duration, now func() time.Time) *microcache {
	return &microcache{ttl: ttl, now: now, entries: make(map[string]*cached)}
}

// wrap serves next through the cache. Only GET requests without
// credentials are cached, and only answers with status 200 and no
// Set-Cookie, up to cacheMaxBytes.
func (c *microcache) wrap(next http.HandlerFunc) http.HandlerFunc {
	if c == nil || c.ttl <= 0 {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "" {
			next(w, r)
			return
		}
		key := r.URL.RequestURI()
		now := c.now()
		c.mu.Lock()
		e := c.entries[key]
		c.mu.Unlock()
		if e != nil && now.Before(e.expires) {
			h := w.Header()
			for k, v := range e.header {
				h[k] = v
			}
			w.WriteHeader(e.status)
			w.Write(e.body)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next(rec, r)
		if rec.status != http.StatusOK || rec.tooBig || w.Header().Get("Set-Cookie") != "" {
			return
		}
		e = &cached{status: rec.status, header: w.Header().Clone(), body: rec.body.Bytes(), expires: now.Add(c.ttl)}
		c.mu.Lock()
		if old := c.entries[key]; old != nil {
			c.bytes -= len(old.body)
		}
		if c.bytes+len(e.body) > cacheBudget {
			for k, old := range c.entries {
				if !now.Before(old.expires) {
					c.bytes -= len(old.body)
					delete(c.entries, k)
				}
			}
			if c.bytes+len(e.body) > cacheBudget {
				clear(c.entries)
				c.bytes = 0
			}
		}
		c.entries[key] = e
		c.bytes += len(e.body)
		c.mu.Unlock()
	}
}

// recorder passes an answer through and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	tooBig bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.tooBig {
		if r.body.Len()+len(b) > cacheMaxBytes {
			r.tooBig = true
			r.body = bytes.Buffer{}
		} else {
			r.body.Write(b)
		}
	}
	return r.ResponseWriter.Write(b)
}
