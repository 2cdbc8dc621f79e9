// Package metrics exposes Verbatim's Prometheus metrics: what the archive
// holds and owes (captures by kind and verdict, job runs and their last
// results, the last audit, queue depths, archive size), read from the
// archive at scrape time; and what the process sees as it runs (HTTP request
// latencies by route, X API rate-limit waits), counted as it happens. Each
// Metrics has its own registry; the package keeps no state of its own.
//
// Reading the archive is kept cheap: captures, blob bytes and job runs are
// counted incrementally (a scrape reads only rows added since the last),
// queue depths are counted up to a cap, a reading is reused for a few
// seconds (WithMinInterval), and all reads share one timeout.
//
// Metric names:
//
//	verbatim_captures_total{kind,verdict}             captures recorded (failures: verdict!="ok")
//	verbatim_job_runs_total{job,result}               finished job runs, result "ok" or "error"
//	verbatim_job_last_run_timestamp_seconds{job}      end of the job's last finished run
//	verbatim_job_last_success{job}                    1 when that run succeeded, else 0
//	verbatim_job_last_success_timestamp_seconds{job}  end of the job's last successful run
//	verbatim_audit_last_timestamp_seconds             end of the last audit run
//	verbatim_audit_last_ok                            1 when it found the archive intact
//	verbatim_audit_last_findings                      how many problems it found
//	verbatim_queue_depth{queue}                       recheck, snapshot_post, snapshot_embed, media_pending, media_failed
//	verbatim_archive_posts, _post_versions, _accounts, _artifacts
//	verbatim_archive_blob_bytes                       size of the distinct blobs artifacts name
//	verbatim_archive_scrape_duration_seconds{query}   time each archive read took
//	verbatim_scrape_errors_total{query}               archive reads that failed
//	verbatim_http_request_duration_seconds{route,method,code}
//	verbatim_x_rate_limited_total{endpoint}           X API requests refused for the rate limit
//	verbatim_x_rate_limit_waits_total{endpoint}       waits for a rate-limit reset
//	verbatim_x_rate_limit_wait_seconds_total{endpoint}
//
// and the Go runtime and process collectors' go_* and process_* metrics.
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// Defaults of the options.
const (
	DefaultTimeout        = 5 * time.Second
	DefaultMinInterval    = 5 * time.Second
	DefaultSnapshotWindow = 7 * 24 * time.Hour
	DefaultQueueCap       = 10_000
)

// requestBuckets are the bounds of the request latency histogram: pages
// and API answers take well under a millisecond to tens of milliseconds,
// article checks with a browser seconds.
var requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics is the metrics of one Verbatim server. It is made by New and is
// safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests    *prometheus.HistogramVec
	limited     *prometheus.CounterVec
	waits       *prometheus.CounterVec
	waitSeconds *prometheus.CounterVec
}

// config is what the options set.
type config struct {
	log            *slog.Logger
	now            func() time.Time
	timeout        time.Duration
	minInterval    time.Duration
	snapshotWindow time.Duration
	queueCap       int
}

// Option changes how New builds Metrics.
type Option func(*config)

// WithLogger sets the logger for archive reads that fail (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithNow sets the clock queue depths are counted against (default
// time.Now).
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithTimeout bounds the archive reads of one scrape (default 5 seconds);
// reads not done by then are reported as scrape errors.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMinInterval sets how long a reading of the archive is reused by later
// scrapes (default 5 seconds), so that frequent or concurrent scrapes do not
// add load on the archive. Zero reads it on every scrape.
func WithMinInterval(d time.Duration) Option { return func(c *config) { c.minInterval = max(d, 0) } }

// WithSnapshotWindow sets how far back posts first seen are due a browser
// snapshot, as the snapshot job is told (default 7 days).
func WithSnapshotWindow(d time.Duration) Option { return func(c *config) { c.snapshotWindow = d } }

// WithQueueCap sets the most a queue depth counts (default 10,000), so
// that counting a large backlog stays cheap; a depth at the cap means at
// least that many.
func WithQueueCap(n int) Option { return func(c *config) { c.queueCap = max(n, 1) } }

// New returns the metrics of a server of the archive db, registered in a
// registry of their own with the Go runtime and process collectors. With a
// nil db only the process's own metrics are kept.
func New(db *sqlite.DB, opts ...Option) *Metrics {
	cfg := config{
		log:            slog.New(slog.DiscardHandler),
		now:            time.Now,
		timeout:        DefaultTimeout,
		minInterval:    DefaultMinInterval,
		snapshotWindow: DefaultSnapshotWindow,
		queueCap:       DefaultQueueCap,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "verbatim_http_request_duration_seconds",
			Help:    "Time taken to answer HTTP requests, by route (the ServeMux pattern), method and status code.",
			Buckets: requestBuckets,
		}, []string{"route", "method", "code"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verbatim_x_rate_limited_total",
			Help: "X API requests refused for their rate limit (429), by endpoint.",
		}, []string{"endpoint"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verbatim_x_rate_limit_waits_total",
			Help: "Waits for an X API rate limit to reset, by endpoint.",
		}, []string{"endpoint"}),
		waitSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verbatim_x_rate_limit_wait_seconds_total",
			Help: "Seconds spent waiting for X API rate limits to reset, by endpoint, counted when each wait begins.",
		}, []string{"endpoint"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.limited, m.waits, m.waitSeconds,
	)
	if db != nil {
		m.reg.MustRegister(newArchiveCollector(db, cfg))
	}
	return m
}

// Registry returns the registry the metrics are in, for a caller to add its
// own collectors to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler returns the handler of the metrics endpoint (/metrics), in the
// Prometheus text or protobuf exposition format as the scraper asks.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // promhttp_metric_handler_errors_total
	})
}

// RateLimitWait counts a wait of d for endpoint's rate limit to reset. Pass
// it to xapi.WithOnWait.
func (m *Metrics) RateLimitWait(endpoint string, d time.Duration) {
	m.waits.WithLabelValues(endpoint).Inc()
	m.waitSeconds.WithLabelValues(endpoint).Add(max(d.Seconds(), 0))
}

// RateLimited counts a request to endpoint refused for its rate limit. Pass
// it to xapi.WithOnRateLimited.
func (m *Metrics) RateLimited(endpoint string) {
	m.limited.WithLabelValues(endpoint).Inc()
}
