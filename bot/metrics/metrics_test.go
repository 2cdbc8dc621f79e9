package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot/metrics"
)

// t0 is the test archive's "now".
var t0 = time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for the archive and the metrics.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// openTest opens a fresh archive in a temporary directory, its clock at t0.
func openTest(t *testing.T) (*sqlite.DB, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "verbatim.db"), sqlite.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk
}

// scrape fetches m's metrics over HTTP and parses them.
func scrape(t *testing.T, m *metrics.Metrics) scraped {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("scrape: %v\n%s", err, body)
	}
	return scraped{fams: fams, text: string(body)}
}

// scraped is one scrape's metric families, by name, and its text.
type scraped struct {
	fams map[string]*dto.MetricFamily
	text string
}

// value returns the value of the sample of metric name with the labels
// given as name, value pairs (a histogram's sample count), and whether
// there is one.
func (s scraped) value(name string, labels ...string) (float64, bool) {
	fam, ok := s.fams[name]
	if !ok {
		return 0, false
	}
	want := make(map[string]string)
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// want is the value a sample should have: labels are name, value pairs.
type want struct {
	name   string
	labels []string
	value  float64
}

func (w want) String() string {
	var b strings.Builder
	b.WriteString(w.name)
	for i := 0; i+1 < len(w.labels); i += 2 {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		fmt.Fprintf(&b, "%s%s=%q", sep, w.labels[i], w.labels[i+1])
	}
	if len(w.labels) > 0 {
		b.WriteString("}")
	}
	return b.String()
}

// expect asserts the value of each sample in ws.
func (s scraped) expect(t *testing.T, ws ...want) {
	t.Helper()
	for _, w := range ws {
		got, ok := s.value(w.name, w.labels...)
		switch {
		case !ok:
			t.Errorf("%s: missing", w)
		case got != w.value:
			t.Errorf("%s: got %v, want %v", w, got, w.value)
		}
	}
}

func TestRateLimitWait(t *testing.T) {
	m := metrics.New(nil)
	m.RateLimitWait("GET /2/tweets", 90*time.Second)
	m.RateLimitWait("GET /2/tweets", 30*time.Second)
	m.RateLimitWait("GET /2/users/:id/tweets", time.Second)
	m.RateLimited("GET /2/tweets")

	s := scrape(t, m)
	s.expect(t,
		want{"verbatim_x_rate_limit_waits_total", []string{"endpoint", "GET /2/tweets"}, 2},
		want{"verbatim_x_rate_limit_wait_seconds_total", []string{"endpoint", "GET /2/tweets"}, 120},
		want{"verbatim_x_rate_limit_waits_total", []string{"endpoint", "GET /2/users/:id/tweets"}, 1},
		want{"verbatim_x_rate_limit_wait_seconds_total", []string{"endpoint", "GET /2/users/:id/tweets"}, 1},
		want{"verbatim_x_rate_limited_total", []string{"endpoint", "GET /2/tweets"}, 1},
	)
	// Without an archive there are no archive metrics, but the process's.
	if _, ok := s.fams["verbatim_captures_total"]; ok {
		t.Error("archive metrics without an archive")
	}
	if _, ok := s.fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(nil), metrics.New(nil)
	a.RateLimitWait("GET /2/tweets", time.Second)
	if _, ok := scrape(t, b).value("verbatim_x_rate_limit_waits_total", "endpoint", "GET /2/tweets"); ok {
		t.Error("a wait counted in one Metrics shows in another")
	}
}
