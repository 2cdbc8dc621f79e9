package metrics

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// Middleware returns next, timing each request it answers in
// verbatim_http_request_duration_seconds under route, such as the pattern
// next is registered with:
//
//	mux.Handle("GET /api/v1/search", m.Middleware("GET /api/v1/search", search))
func (m *Metrics) Middleware(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		m.observe(route, r.Method, rec.status, time.Since(start))
	})
}

// Instrument returns mux, timing each request it answers under the pattern
// that matched it (r.Pattern, which an http.ServeMux sets on the request it
// is given), or "unmatched" when none did (404, 405, redirects). Wrap the
// ServeMux itself: a handler between the two that passes on a copy of the
// request (http.StripPrefix, http.MaxBytesHandler) hides the pattern. Use
// Instrument or Middleware, not both, for the same requests.
func (m *Metrics) Instrument(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		mux.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.observe(route, r.Method, rec.status, time.Since(start))
	})
}

func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(status)).Observe(d.Seconds())
}

// methodLabel returns method when it is a standard one and "OTHER"
// otherwise, so that clients cannot grow the label set.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// recorder is a ResponseWriter that keeps the status code sent. It passes
// on Flush and ReadFrom (sendfile for blobs), and Unwrap gives
// http.ResponseController the rest.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 { // 1xx are interim responses
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return io.Copy(r.ResponseWriter, src)
}

func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
