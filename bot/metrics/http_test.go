package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/bot/metrics"
)

// serve starts h on loopback and makes each request, given as "METHOD
// path", checking the status of each.
func serve(t *testing.T, h http.Handler, reqs map[string]int) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	for req, status := range reqs {
		method, path, _ := strings.Cut(req, " ")
		r, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d", req, resp.StatusCode, status)
		}
	}
}

func TestMiddleware(t *testing.T) {
	m := metrics.New(nil)
	mux := http.NewServeMux()
	post := func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "404" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "a post")
	}
	mux.Handle("GET /posts/{id}", m.Middleware("GET /posts/{id}", http.HandlerFunc(post)))
	mux.Handle("POST /api/v1/capture", m.Middleware("POST /api/v1/capture", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})))
	// A handler that writes nothing answers 200.
	mux.Handle("GET /quiet", m.Middleware("GET /quiet", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	serve(t, mux, map[string]int{
		"GET /posts/1":          200,
		"GET /posts/404":        404,
		"HEAD /posts/2":         200,
		"POST /api/v1/capture":  202,
		"GET /quiet":            200,
		"GET /not-instrumented": 404,
	})

	s := scrape(t, m)
	const name = "verbatim_http_request_duration_seconds"
	s.expect(t,
		want{name, []string{"route", "GET /posts/{id}", "method", "GET", "code", "200"}, 1},
		want{name, []string{"route", "GET /posts/{id}", "method", "GET", "code", "404"}, 1},
		want{name, []string{"route", "GET /posts/{id}", "method", "HEAD", "code", "200"}, 1},
		want{name, []string{"route", "POST /api/v1/capture", "method", "POST", "code", "202"}, 1},
		want{name, []string{"route", "GET /quiet", "method", "GET", "code", "200"}, 1},
	)
	if got := len(s.fams[name].GetMetric()); got != 5 {
		t.Errorf("series: got %d, want 5", got)
	}
}

func TestInstrument(t *testing.T) {
	m := metrics.New(nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/posts/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	mux.HandleFunc("/static/", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the recorder hides http.Flusher")
		}
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController through the recorder: %v", err)
		}
		io.Copy(w, strings.NewReader("body")) // through ReadFrom
	})
	serve(t, m.Instrument(mux), map[string]int{
		"GET /api/v1/posts/1":  200,
		"GET /api/v1/posts/2":  200,
		"POST /api/v1/posts/1": 405,
		"GET /nowhere/1":       404,
		"GET /nowhere/2":       404,
		"BREW /static/app.css": 200,
	})

	s := scrape(t, m)
	const name = "verbatim_http_request_duration_seconds"
	s.expect(t,
		want{name, []string{"route", "GET /api/v1/posts/{id}", "method", "GET", "code", "200"}, 2},
		want{name, []string{"route", "unmatched", "method", "POST", "code", "405"}, 1},
		want{name, []string{"route", "unmatched", "method", "GET", "code", "404"}, 2},
		want{name, []string{"route", "/static/", "method", "OTHER", "code", "200"}, 1},
	)
}

// TestXAPIWaits wires the metrics into an X API client as serve does and
// checks a rate-limit wait is counted.
func TestXAPIWaits(t *testing.T) {
	fx := archivetest.NewFakeX(t)
	fx.SetNow(time.Date(2026, 2, 10, 18, 0, 0, 0, time.UTC))
	fx.AddUser("1542228578", "VP", "Vice President JD Vance")
	fx.FailNext(http.StatusTooManyRequests)
	m := metrics.New(nil)
	var slept time.Duration
	c := xapi.New(fx.URL(), "test-token", fx.Client(), xapi.WithNow(fx.Now),
		xapi.WithSleep(func(ctx context.Context, d time.Duration) error { slept += d; fx.Advance(d); return nil }),
		xapi.WithOnWait(m.RateLimitWait), xapi.WithOnRateLimited(m.RateLimited))
	if _, err := c.UserByUsername(context.Background(), "VP"); err != nil {
		t.Fatal(err)
	}
	ep := []string{"endpoint", xapi.EndpointUserByUsername}
	scrape(t, m).expect(t,
		want{"verbatim_x_rate_limited_total", ep, 1},
		want{"verbatim_x_rate_limit_waits_total", ep, 1},
		want{"verbatim_x_rate_limit_wait_seconds_total", ep, slept.Seconds()},
	)
}
