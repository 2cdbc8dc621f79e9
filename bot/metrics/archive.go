package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// The snapshot job's due rule, as snapshot.SnapshotDuePosts asks
// sqlite.DueSnapshots: a degraded snapshot is retried after 30 minutes, at
// most 5 times.
const (
	snapshotRetryAfter  = 30 * time.Minute
	snapshotMaxAttempts = 5
)

// timeFormat is how the archive stores times (sqlite's timeFormat): UTC
// with milliseconds, so that they compare as text.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// epochSeconds returns a stored time as Unix seconds.
func epochSeconds(s string) (float64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return float64(t.UnixMilli()) / 1e3, nil
}

// archiveCollector reads the archive at scrape time. Each of its reads is
// one query or a few; a read that fails is counted in
// verbatim_scrape_errors_total and logged (once until it succeeds again),
// and the scrape reports what the others read.
//
// What only grows is counted incrementally, so that a scrape reads only
// what was added since the last one: a capture's kind, verdict and
// artifacts are written in one transaction and never change, so captures
// and blob bytes are counted past the highest capture id read; a job run is
// counted once, when it is first seen ended. The first scrape reads
// everything.
type archiveCollector struct {
	db  *sqlite.DB
	cfg config

	captures, jobRuns, jobLastRun, jobLastSuccess, jobLastSuccessAt     *prometheus.Desc
	auditAt, auditOK, auditFindings, queueDepth, duration, scrapeErrors *prometheus.Desc
	size                                                                map[string]*prometheus.Desc // by table, and blob_bytes

	mu       sync.Mutex // held while reading; guards what follows
	last     []prometheus.Metric
	lastRead time.Time // on the monotonic clock
	errCount map[string]float64
	errLast  map[string]string // the last error of each failing read, to log each once

	// captureTotals counts captures, and the bytes of distinct blobs
	// their artifacts name, up to capture id captureTotals.maxID.
	captureTotals captureTotals
	// jobTotals counts job runs up to id jobTotals.maxID, but for those not
	// ended when read.
	jobTotals jobTotals
}

type captureTotals struct {
	maxID     int64
	counts    map[[2]string]float64 // by kind, verdict
	blobBytes float64
}

type jobTotals struct {
	maxID int64
	open  []int64 // runs up to maxID not ended when read
	jobs  map[string]jobStats
}

// jobStats is what the job runs read say about one job.
type jobStats struct {
	ok, failed float64
	lastID     int64   // the last run ended, by id
	lastAt     float64 // when it ended, Unix seconds
	lastOK     bool
	okAt       float64 // when the last successful run ended; 0 before one
	// lastFindings is what the last run's counts say under "findings" (as
	// the audit job's do), if they do.
	lastFindings sql.NullFloat64
}

// reads are the names of the collector's reads, the query label of
// verbatim_scrape_errors_total.
var reads = []string{"captures", "job_runs", "recheck", "snapshots", "media", "archive_size"}

func newArchiveCollector(db *sqlite.DB, cfg config) *archiveCollector {
	c := &archiveCollector{
		db:  db,
		cfg: cfg,
		captures: prometheus.NewDesc("verbatim_captures_total",
			"Captures recorded, by kind (import, api, snapshot, media…) and verdict; failures have a verdict other than ok.",
			[]string{"kind", "verdict"}, nil),
		jobRuns: prometheus.NewDesc("verbatim_job_runs_total",
			"Finished job runs, by job and result (ok, or error when the run ended with an error).",
			[]string{"job", "result"}, nil),
		jobLastRun: prometheus.NewDesc("verbatim_job_last_run_timestamp_seconds",
			"When the job's last finished run ended.", []string{"job"}, nil),
		jobLastSuccess: prometheus.NewDesc("verbatim_job_last_success",
			"1 when the job's last finished run succeeded, 0 when it failed.", []string{"job"}, nil),
		jobLastSuccessAt: prometheus.NewDesc("verbatim_job_last_success_timestamp_seconds",
			"When the job's last successful run ended.", []string{"job"}, nil),
		auditAt: prometheus.NewDesc("verbatim_audit_last_timestamp_seconds",
			"When the last audit run ended.", nil, nil),
		auditOK: prometheus.NewDesc("verbatim_audit_last_ok",
			"1 when the last audit run found the archive intact, 0 when it found problems or failed.", nil, nil),
		auditFindings: prometheus.NewDesc("verbatim_audit_last_findings",
			"Findings (missing, corrupt, orphan blobs; log inconsistencies) of the last audit run.", nil, nil),
		queueDepth: prometheus.NewDesc("verbatim_queue_depth",
			"Work due: posts due a recheck (recheck), recent posts due a browser snapshot (snapshot_post, snapshot_embed), media to download (media_pending) or retry (media_failed). Counted up to a cap.",
			[]string{"queue"}, nil),
		duration: prometheus.NewDesc("verbatim_archive_scrape_duration_seconds",
			"Time each archive read behind these metrics took, by query, when the archive was last read.", []string{"query"}, nil),
		scrapeErrors: prometheus.NewDesc("verbatim_scrape_errors_total",
			"Archive reads for these metrics that failed, by query; their metrics are missing from that scrape.",
			[]string{"query"}, nil),
		size: map[string]*prometheus.Desc{
			"posts":         prometheus.NewDesc("verbatim_archive_posts", "Posts archived.", nil, nil),
			"post_versions": prometheus.NewDesc("verbatim_archive_post_versions", "Post versions archived.", nil, nil),
			"accounts":      prometheus.NewDesc("verbatim_archive_accounts", "Accounts known.", nil, nil),
			"artifacts":     prometheus.NewDesc("verbatim_archive_artifacts", "Artifacts recorded (a blob named by several captures counts once a capture).", nil, nil),
			"blob_bytes":    prometheus.NewDesc("verbatim_archive_blob_bytes", "Total size of the distinct blobs artifacts name.", nil, nil),
		},
		errCount:      make(map[string]float64),
		errLast:       make(map[string]string),
		captureTotals: captureTotals{counts: make(map[[2]string]float64)},
		jobTotals:     jobTotals{jobs: make(map[string]jobStats)},
	}
	for _, r := range reads {
		c.errCount[r] = 0
	}
	return c
}

// Describe sends the descriptors of every metric the collector reports.
func (c *archiveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.captures, c.jobRuns, c.jobLastRun, c.jobLastSuccess, c.jobLastSuccessAt,
		c.auditAt, c.auditOK, c.auditFindings, c.queueDepth, c.duration, c.scrapeErrors} {
		ch <- d
	}
	for _, d := range c.size {
		ch <- d
	}
}

// Collect reads the archive, or reuses a reading younger than the minimum
// interval, and sends the metrics read.
func (c *archiveCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil || c.cfg.minInterval == 0 || time.Since(c.lastRead) >= c.cfg.minInterval {
		c.last = c.read()
		c.lastRead = time.Now()
	}
	for _, m := range c.last {
		ch <- m
	}
}

// emitFunc reports one metric of a read.
type emitFunc func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string)

// read runs every read of the archive within the timeout and returns the
// metrics they make. c.mu is held.
func (c *archiveCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.timeout)
	defer cancel()
	var out []prometheus.Metric
	emit := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, t, v, labels...))
	}
	now := c.cfg.now()
	for _, r := range []struct {
		name string
		read func(context.Context, time.Time, emitFunc) error
	}{
		{"captures", c.readCaptures},
		{"job_runs", c.readJobRuns},
		{"recheck", c.readRecheck},
		{"snapshots", c.readSnapshots},
		{"media", c.readMedia},
		{"archive_size", c.readSize},
	} {
		// A read that fails part way reports nothing.
		var got []prometheus.Metric
		start := time.Now()
		err := r.read(ctx, now, func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
			got = append(got, prometheus.MustNewConstMetric(d, t, v, labels...))
		})
		emit(c.duration, prometheus.GaugeValue, time.Since(start).Seconds(), r.name)
		c.noteResult(ctx, r.name, err)
		if err == nil {
			out = append(out, got...)
		}
	}
	for _, r := range reads {
		emit(c.scrapeErrors, prometheus.CounterValue, c.errCount[r], r)
	}
	return out
}

// noteResult counts and logs a failed read, logging each error once until
// the read succeeds again.
func (c *archiveCollector) noteResult(ctx context.Context, name string, err error) {
	if err == nil {
		if prev, ok := c.errLast[name]; ok {
			delete(c.errLast, name)
			c.cfg.log.LogAttrs(ctx, slog.LevelInfo, "metrics: archive read works again",
				slog.String("query", name), slog.String("previous_error", prev))
		}
		return
	}
	c.errCount[name]++
	if msg := err.Error(); c.errLast[name] != msg {
		c.errLast[name] = msg
		c.cfg.log.LogAttrs(ctx, slog.LevelWarn, "metrics: archive read failed",
			slog.String("query", name), slog.String("error", msg))
	}
}

// readCaptures adds the captures recorded since the last read, and the
// sizes of the blobs their artifacts are first to name, to the totals, and
// reports them.
func (c *archiveCollector) readCaptures(ctx context.Context, _ time.Time, emit emitFunc) error {
	t := c.captureTotals
	t.counts = maps.Clone(t.counts) // kept only if both queries succeed
	rows, err := c.db.SQL().QueryContext(ctx, `SELECT kind, verdict, count(*), max(id) FROM captures
		WHERE id > ? GROUP BY kind, verdict`, c.captureTotals.maxID)
	if err != nil {
		return fmt.Errorf("captures: %w", err)
	}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var kind, verdict string
		var n float64
		var id int64
		if err := rows.Scan(&kind, &verdict, &n, &id); err != nil {
			return err
		}
		t.counts[[2]string{kind, verdict}] += n
		t.maxID = max(t.maxID, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("captures: %w", err)
	}
	if t.maxID > c.captureTotals.maxID {
		// Artifacts are written with their capture, so those of captures up
		// to t.maxID are all there.
		var added float64
		err := c.db.SQL().QueryRowContext(ctx, `SELECT coalesce(sum(size), 0) FROM
			(SELECT sha256, max(size) AS size FROM artifacts WHERE capture_id > ?1 AND capture_id <= ?2 GROUP BY sha256) n
			WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 = n.sha256 AND a.capture_id <= ?1)`,
			c.captureTotals.maxID, t.maxID).Scan(&added)
		if err != nil {
			return fmt.Errorf("blob bytes: %w", err)
		}
		t.blobBytes += added
	}
	c.captureTotals = t
	for k, n := range t.counts {
		emit(c.captures, prometheus.CounterValue, n, k[0], k[1])
	}
	emit(c.size["blob_bytes"], prometheus.GaugeValue, t.blobBytes)
	return nil
}

// readJobRuns adds the job runs ended since the last read to the totals,
// and reports them with each job's last run and the last audit's.
func (c *archiveCollector) readJobRuns(ctx context.Context, _ time.Time, emit emitFunc) error {
	open, err := json.Marshal(c.jobTotals.open)
	if err != nil {
		return err
	}
	// Two selects, not one with OR, so that each uses the primary key.
	const cols = `SELECT id, job, ended_at, error = '',
		CASE WHEN job = 'audit' AND json_valid(counts) THEN json_extract(counts, '$.findings') END FROM job_runs`
	rows, err := c.db.SQL().QueryContext(ctx, cols+` WHERE id > ?1
		UNION ALL `+cols+` WHERE id IN (SELECT value FROM json_each(?2))`, c.jobTotals.maxID, string(open))
	if err != nil {
		return fmt.Errorf("job runs: %w", err)
	}
	t := jobTotals{maxID: c.jobTotals.maxID, jobs: maps.Clone(c.jobTotals.jobs)}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var id int64
		var job string
		var ended sql.NullString
		var ok bool
		var findings sql.NullFloat64
		if err := rows.Scan(&id, &job, &ended, &ok, &findings); err != nil {
			return err
		}
		t.maxID = max(t.maxID, id)
		if !ended.Valid {
			t.open = append(t.open, id)
			return nil
		}
		at, err := epochSeconds(ended.String)
		if err != nil {
			return fmt.Errorf("job run %d: %w", id, err)
		}
		s := t.jobs[job]
		if ok {
			s.ok++
			s.okAt = max(s.okAt, at)
		} else {
			s.failed++
		}
		if id > s.lastID {
			s.lastID, s.lastAt, s.lastOK, s.lastFindings = id, at, ok, findings
		}
		t.jobs[job] = s
		return nil
	})
	if err != nil {
		return fmt.Errorf("job runs: %w", err)
	}
	c.jobTotals = t
	for _, job := range slices.Sorted(maps.Keys(t.jobs)) {
		s := t.jobs[job]
		emit(c.jobRuns, prometheus.CounterValue, s.ok, job, "ok")
		emit(c.jobRuns, prometheus.CounterValue, s.failed, job, "error")
		emit(c.jobLastRun, prometheus.GaugeValue, s.lastAt, job)
		emit(c.jobLastSuccess, prometheus.GaugeValue, boolValue(s.lastOK), job)
		if s.ok > 0 {
			emit(c.jobLastSuccessAt, prometheus.GaugeValue, s.okAt, job)
		}
		if job == "audit" {
			emit(c.auditAt, prometheus.GaugeValue, s.lastAt)
			emit(c.auditOK, prometheus.GaugeValue, boolValue(s.lastOK))
			if s.lastFindings.Valid {
				emit(c.auditFindings, prometheus.GaugeValue, s.lastFindings.Float64)
			}
		}
	}
	return nil
}

// readRecheck counts posts due a recheck, as sqlite.DuePosts selects them.
func (c *archiveCollector) readRecheck(ctx context.Context, now time.Time, emit emitFunc) error {
	var n float64
	err := c.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM posts
		WHERE status IN ('live', 'edited') AND coalesce(next_check, first_seen) <= ? LIMIT ?)`,
		formatTime(now), c.cfg.queueCap).Scan(&n)
	if err != nil {
		return fmt.Errorf("posts due a recheck: %w", err)
	}
	emit(c.queueDepth, prometheus.GaugeValue, n, "recheck")
	return nil
}

// readSnapshots counts posts due a browser snapshot of each kind, as
// sqlite.DueSnapshots selects them for the snapshot job. Recent posts are
// found with one pass over posts for both kinds.
func (c *archiveCollector) readSnapshots(ctx context.Context, now time.Time, emit emitFunc) error {
	// Due: no good snapshot, no try since the retry delay, tries left. One
	// look-up of the post's snapshots of the kind decides all three.
	const due = `SELECT count(*) FROM (SELECT 1 FROM recent p
		WHERE (SELECT max(c.verdict = 'ok') IS NOT 1 AND coalesce(max(c.at), '') <= ?2 AND count(*) < ?3
			FROM captures c WHERE c.post_ord = p.ord AND c.kind = 'snapshot' AND c.format = %s)
		LIMIT ?4)`
	var post, embed float64
	err := c.db.SQL().QueryRowContext(ctx, `WITH recent AS MATERIALIZED
			(SELECT ord FROM posts WHERE status IN ('live', 'edited') AND first_seen >= ?1)
		SELECT (`+fmt.Sprintf(due, `'post'`)+`), (`+fmt.Sprintf(due, `'embed'`)+`)`,
		formatTime(now.Add(-c.cfg.snapshotWindow)), formatTime(now.Add(-snapshotRetryAfter)),
		snapshotMaxAttempts, c.cfg.queueCap).Scan(&post, &embed)
	if err != nil {
		return fmt.Errorf("posts due a snapshot: %w", err)
	}
	emit(c.queueDepth, prometheus.GaugeValue, post, "snapshot_post")
	emit(c.queueDepth, prometheus.GaugeValue, embed, "snapshot_embed")
	return nil
}

// readMedia counts media waiting for a first download and for a retry.
func (c *archiveCollector) readMedia(ctx context.Context, _ time.Time, emit emitFunc) error {
	var pending, failed float64
	err := c.db.SQL().QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM (SELECT 1 FROM media WHERE status = 'pending' LIMIT ?1)),
		(SELECT count(*) FROM (SELECT 1 FROM media WHERE status = 'failed' LIMIT ?1))`, c.cfg.queueCap).Scan(&pending, &failed)
	if err != nil {
		return fmt.Errorf("media due: %w", err)
	}
	emit(c.queueDepth, prometheus.GaugeValue, pending, "media_pending")
	emit(c.queueDepth, prometheus.GaugeValue, failed, "media_failed")
	return nil
}

// readSize counts rows of the archive's main tables, each from its
// smallest index.
func (c *archiveCollector) readSize(ctx context.Context, _ time.Time, emit emitFunc) error {
	var posts, versions, accounts, artifacts float64
	err := c.db.SQL().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts), `+sqlite.CountVersionsSQL+`,
		(SELECT count(*) FROM accounts), (SELECT count(*) FROM artifacts)`).Scan(&posts, &versions, &accounts, &artifacts)
	if err != nil {
		return fmt.Errorf("archive size: %w", err)
	}
	emit(c.size["posts"], prometheus.GaugeValue, posts)
	emit(c.size["post_versions"], prometheus.GaugeValue, versions)
	emit(c.size["accounts"], prometheus.GaugeValue, accounts)
	emit(c.size["artifacts"], prometheus.GaugeValue, artifacts)
	return nil
}

// scanRows calls fn for each row and closes rows.
func scanRows(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
