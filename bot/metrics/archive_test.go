package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot/metrics"
)

// hash returns a distinct fake sha256 for tag.
func hash(tag byte) string { return strings.Repeat(string(tag), 64) }

// testArchive is a small archive with something in every metric: four
// posts (one deleted), captures of every verdict, media, and job runs.
type testArchive struct {
	db    *sqlite.DB
	clock *clock
	posts []archive.Post
}

func newTestArchive(t *testing.T) testArchive {
	t.Helper()
	ctx := context.Background()
	db, clk := openTest(t)
	a := testArchive{db: db, clock: clk}

	// Four posts, first seen an hour ago; the second and third with media.
	clk.Set(t0.Add(-time.Hour))
	raw, err := db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "api", Target: "https://api.x.com/2/users/1/tweets", Complete: true,
		Artifacts: []archive.Artifact{{Kind: "raw", MediaType: "application/json", Size: 1000, SHA256: hash('a')}}})
	if err != nil {
		t.Fatal(err)
	}
	author := archive.Account{Platform: archive.PlatformX, PlatformID: "1542228578", Handle: "VP", Name: "Vice President"}
	var items []sqlite.Item
	for i := range 4 {
		id := fmt.Sprint(archive.SnowflakeAt(t0.Add(-time.Duration(48-i) * time.Hour)))
		p := archive.Post{Platform: archive.PlatformX, ID: id, EditHistory: []string{id}, Author: author,
			CreatedAt: t0.Add(-time.Duration(48-i) * time.Hour), Text: fmt.Sprintf("Post number %d.", i)}
		for j := range i % 3 {
			p.Media = append(p.Media, archive.Media{Key: fmt.Sprintf("3_%d%d", i, j), Type: "photo",
				URL: fmt.Sprintf("https://pbs.twimg.com/media/%d%d.jpg", i, j)})
		}
		a.posts = append(a.posts, p)
		items = append(items, sqlite.Item{Post: p, CaptureID: raw})
	}
	if _, err := db.NewPostWriter().Write(ctx, items); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMedia(ctx, a.posts); err != nil { // 1 + 2 + 0 media
		t.Fatal(err)
	}
	if _, err := db.SetPostStatus(ctx, a.posts[3].ID, archive.StatusDeleted, "gone"); err != nil {
		t.Fatal(err)
	}

	clk.Set(t0)
	media, err := db.DueMedia(ctx, t0, 10)
	if err != nil || len(media) != 3 {
		t.Fatalf("due media: got %d, %v; want 3", len(media), err)
	}
	if err := db.MediaFailed(ctx, media[0], "failed", "HTTP 503", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The first post is rechecked; the other two stay due.
	due, err := db.DuePosts(ctx, t0, false, 0, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("due posts: got %d, %v; want 3", len(due), err)
	}
	for _, d := range due {
		if d.ID == a.posts[0].ID {
			if err := db.MarkChecked(ctx, []sqlite.DuePost{d}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Snapshots: the first post has a good post snapshot and a failed embed
	// two hours ago (due again); the second a degraded post snapshot ten
	// minutes ago (not due yet). The degraded one names the good one's
	// screenshot blob again.
	for _, c := range []sqlite.CaptureInput{
		{PostID: a.posts[0].ID, Format: "post", Verdict: "ok", At: t0.Add(-20 * time.Minute), Artifacts: []archive.Artifact{
			{Kind: "screenshot", MediaType: "image/png", Size: 500, SHA256: hash('b')},
			{Kind: "dom", MediaType: "text/html", Size: 200, SHA256: hash('c')}}},
		{PostID: a.posts[0].ID, Format: "embed", Verdict: "failed", At: t0.Add(-2 * time.Hour)},
		{PostID: a.posts[1].ID, Format: "post", Verdict: "degraded", At: t0.Add(-10 * time.Minute), Artifacts: []archive.Artifact{
			{Kind: "screenshot", MediaType: "image/png", Size: 500, SHA256: hash('b')}}},
	} {
		c.Kind, c.Target, c.Complete = "snapshot", "https://x.com/VP/status/"+c.PostID, true
		if _, err := db.RecordCapture(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	// Job runs a minute apart from t0: capture ok then failing, recheck ok,
	// audit ok then finding problems, and retry still running.
	for i, r := range []struct {
		job    string
		counts any
		err    error
	}{
		{"capture", map[string]int{"posts": 4}, nil},
		{"capture", nil, errors.New("x api: 503")},
		{"recheck", map[string]int{"checked": 1}, nil},
		{"audit", map[string]int{"blobs_checked": 3, "findings": 0}, nil},
		{"audit", map[string]int{"blobs_checked": 3, "findings": 2}, errors.New("1 corrupt, 1 missing")},
	} {
		clk.Set(t0.Add(time.Duration(i) * time.Minute))
		id, err := db.StartJob(ctx, r.job)
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(t0.Add(time.Duration(i+1) * time.Minute))
		if err := db.EndJob(ctx, id, r.counts, r.err); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.StartJob(ctx, "retry"); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0)
	return a
}

func TestArchiveMetrics(t *testing.T) {
	a := newTestArchive(t)
	m := metrics.New(a.db, metrics.WithNow(a.clock.Now), metrics.WithMinInterval(0))
	s := scrape(t, m)
	at := func(min int) float64 { return float64(t0.Add(time.Duration(min) * time.Minute).Unix()) }
	s.expect(t,
		want{"verbatim_captures_total", []string{"kind", "api", "verdict", "ok"}, 1},
		want{"verbatim_captures_total", []string{"kind", "snapshot", "verdict", "ok"}, 1},
		want{"verbatim_captures_total", []string{"kind", "snapshot", "verdict", "degraded"}, 1},
		want{"verbatim_captures_total", []string{"kind", "snapshot", "verdict", "failed"}, 1},

		want{"verbatim_job_runs_total", []string{"job", "capture", "result", "ok"}, 1},
		want{"verbatim_job_runs_total", []string{"job", "capture", "result", "error"}, 1},
		want{"verbatim_job_runs_total", []string{"job", "recheck", "result", "ok"}, 1},
		want{"verbatim_job_runs_total", []string{"job", "recheck", "result", "error"}, 0},
		want{"verbatim_job_runs_total", []string{"job", "audit", "result", "ok"}, 1},
		want{"verbatim_job_runs_total", []string{"job", "audit", "result", "error"}, 1},
		want{"verbatim_job_last_run_timestamp_seconds", []string{"job", "capture"}, at(2)},
		want{"verbatim_job_last_success", []string{"job", "capture"}, 0},
		want{"verbatim_job_last_success_timestamp_seconds", []string{"job", "capture"}, at(1)},
		want{"verbatim_job_last_run_timestamp_seconds", []string{"job", "recheck"}, at(3)},
		want{"verbatim_job_last_success", []string{"job", "recheck"}, 1},
		want{"verbatim_audit_last_timestamp_seconds", nil, at(5)},
		want{"verbatim_audit_last_ok", nil, 0},
		want{"verbatim_audit_last_findings", nil, 2},

		want{"verbatim_queue_depth", []string{"queue", "recheck"}, 2},
		want{"verbatim_queue_depth", []string{"queue", "snapshot_post"}, 1},
		want{"verbatim_queue_depth", []string{"queue", "snapshot_embed"}, 3},
		want{"verbatim_queue_depth", []string{"queue", "media_pending"}, 2},
		want{"verbatim_queue_depth", []string{"queue", "media_failed"}, 1},

		want{"verbatim_archive_posts", nil, 4},
		want{"verbatim_archive_post_versions", nil, 4},
		want{"verbatim_archive_accounts", nil, 1},
		want{"verbatim_archive_artifacts", nil, 4},
		want{"verbatim_archive_blob_bytes", nil, 1000 + 500 + 200},

		want{"verbatim_scrape_errors_total", []string{"query", "captures"}, 0},
	)
	// A job still running has no result yet.
	for _, name := range []string{"verbatim_job_runs_total", "verbatim_job_last_run_timestamp_seconds"} {
		for _, l := range s.fams[name].GetMetric() {
			for _, lp := range l.GetLabel() {
				if lp.GetValue() == "retry" {
					t.Errorf("%s: a running job is reported", name)
				}
			}
		}
	}
	if _, ok := s.value("verbatim_archive_scrape_duration_seconds", "query", "snapshots"); !ok {
		t.Error("no scrape duration")
	}
	// The text exposition holds the lines dashboards will query.
	for _, line := range []string{
		`verbatim_captures_total{kind="snapshot",verdict="degraded"} 1`,
		`verbatim_queue_depth{queue="recheck"} 2`,
		`verbatim_audit_last_ok 0`,
	} {
		if !strings.Contains(s.text, line+"\n") {
			t.Errorf("scrape has no line %q", line)
		}
	}
}

// TestIncremental: what is counted incrementally is counted once, however
// often the archive is read, and a run counted when it ends.
func TestIncremental(t *testing.T) {
	a := newTestArchive(t)
	ctx := context.Background()
	m := metrics.New(a.db, metrics.WithNow(a.clock.Now), metrics.WithMinInterval(0))
	scrape(t, m)
	scrape(t, m)

	// End the running job, start another, and record a capture naming one
	// blob already counted and one new.
	runs, err := a.db.JobRuns(ctx, "retry", 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("retry runs: %v, %v", runs, err)
	}
	a.clock.Set(t0.Add(10 * time.Minute))
	if err := a.db.EndJob(ctx, runs[0].ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.StartJob(ctx, "retry"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: "https://example.com/", Verdict: "ok",
		Artifacts: []archive.Artifact{
			{Kind: "screenshot", MediaType: "image/png", Size: 500, SHA256: hash('b')},
			{Kind: "pdf", MediaType: "application/pdf", Size: 7000, SHA256: hash('d')}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		scrape(t, m).expect(t,
			want{"verbatim_captures_total", []string{"kind", "snapshot", "verdict", "ok"}, 2},
			want{"verbatim_captures_total", []string{"kind", "api", "verdict", "ok"}, 1},
			want{"verbatim_archive_blob_bytes", nil, 1000 + 500 + 200 + 7000},
			want{"verbatim_archive_artifacts", nil, 6},
			want{"verbatim_job_runs_total", []string{"job", "retry", "result", "ok"}, 1},
			want{"verbatim_job_runs_total", []string{"job", "capture", "result", "ok"}, 1},
			want{"verbatim_job_last_run_timestamp_seconds", []string{"job", "retry"}, float64(t0.Add(10 * time.Minute).Unix())},
		)
	}
	// A fresh Metrics reading everything at once agrees.
	scrape(t, metrics.New(a.db, metrics.WithNow(a.clock.Now))).expect(t,
		want{"verbatim_captures_total", []string{"kind", "snapshot", "verdict", "ok"}, 2},
		want{"verbatim_archive_blob_bytes", nil, 1000 + 500 + 200 + 7000},
		want{"verbatim_job_runs_total", []string{"job", "retry", "result", "ok"}, 1},
	)
}

// TestQueueDepthMatchesJobs checks the queue depths against the archive
// methods the jobs select their work with, so the two cannot drift apart.
func TestQueueDepthMatchesJobs(t *testing.T) {
	a := newTestArchive(t)
	ctx := context.Background()
	for _, now := range []time.Time{t0, t0.Add(time.Hour), t0.Add(30 * 24 * time.Hour)} {
		a.clock.Set(now)
		s := scrape(t, metrics.New(a.db, metrics.WithNow(a.clock.Now), metrics.WithMinInterval(0)))
		due, err := a.db.DuePosts(ctx, now, false, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		s.expect(t, want{"verbatim_queue_depth", []string{"queue", "recheck"}, float64(len(due))})
		for _, kind := range []string{"post", "embed"} {
			snaps, err := a.db.DueSnapshots(ctx, kind, now.Add(-metrics.DefaultSnapshotWindow), 30*time.Minute, 5, 1000)
			if err != nil {
				t.Fatal(err)
			}
			s.expect(t, want{"verbatim_queue_depth", []string{"queue", "snapshot_" + kind}, float64(len(snaps))})
		}
	}
}

func TestQueueCap(t *testing.T) {
	a := newTestArchive(t)
	s := scrape(t, metrics.New(a.db, metrics.WithNow(a.clock.Now), metrics.WithQueueCap(2)))
	s.expect(t,
		want{"verbatim_queue_depth", []string{"queue", "snapshot_embed"}, 2}, // 3 due
		want{"verbatim_queue_depth", []string{"queue", "recheck"}, 2},
	)
}

func TestEmptyArchive(t *testing.T) {
	db, clk := openTest(t)
	s := scrape(t, metrics.New(db, metrics.WithNow(clk.Now)))
	s.expect(t,
		want{"verbatim_archive_posts", nil, 0},
		want{"verbatim_archive_blob_bytes", nil, 0},
		want{"verbatim_queue_depth", []string{"queue", "recheck"}, 0},
	)
	// No audit has run: no audit metrics rather than a misleading zero.
	for _, name := range []string{"verbatim_audit_last_ok", "verbatim_audit_last_timestamp_seconds", "verbatim_audit_last_findings", "verbatim_captures_total"} {
		if _, ok := s.fams[name]; ok {
			t.Errorf("%s reported on an empty archive", name)
		}
	}
}

func TestMinIntervalReusesReading(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		interval time.Duration
		want     float64
	}{
		{time.Hour, 0},
		{0, 1},
	} {
		t.Run(tt.interval.String(), func(t *testing.T) {
			db, clk := openTest(t)
			m := metrics.New(db, metrics.WithNow(clk.Now), metrics.WithMinInterval(tt.interval))
			scrape(t, m)
			if _, err := db.RecordCapture(ctx, sqlite.CaptureInput{Kind: "snapshot", Target: "https://example.com/", Verdict: "failed"}); err != nil {
				t.Fatal(err)
			}
			got, _ := scrape(t, m).value("verbatim_captures_total", "kind", "snapshot", "verdict", "failed")
			if got != tt.want {
				t.Errorf("captures after a capture: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFailingReadKeepsTheRest breaks one table: its metrics go, the rest
// stay, the failure is counted on each scrape and logged once.
func TestFailingReadKeepsTheRest(t *testing.T) {
	a := newTestArchive(t)
	ctx := context.Background()
	var logs bytes.Buffer
	m := metrics.New(a.db, metrics.WithNow(a.clock.Now), metrics.WithMinInterval(0),
		metrics.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if _, err := a.db.SQL().ExecContext(ctx, `ALTER TABLE media RENAME TO media_away`); err != nil {
		t.Fatal(err)
	}
	var s scraped
	for range 2 {
		s = scrape(t, m)
	}
	if _, ok := s.value("verbatim_queue_depth", "queue", "media_pending"); ok {
		t.Error("media queue reported from a missing table")
	}
	s.expect(t,
		want{"verbatim_scrape_errors_total", []string{"query", "media"}, 2},
		want{"verbatim_scrape_errors_total", []string{"query", "captures"}, 0},
		want{"verbatim_queue_depth", []string{"queue", "recheck"}, 2},
		want{"verbatim_archive_posts", nil, 4},
	)
	if got := strings.Count(logs.String(), "archive read failed"); got != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", got, logs.String())
	}

	if _, err := a.db.SQL().ExecContext(ctx, `ALTER TABLE media_away RENAME TO media`); err != nil {
		t.Fatal(err)
	}
	s = scrape(t, m)
	s.expect(t,
		want{"verbatim_queue_depth", []string{"queue", "media_pending"}, 2},
		want{"verbatim_scrape_errors_total", []string{"query", "media"}, 2},
	)
	if !strings.Contains(logs.String(), "archive read works again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

// TestTimeout: reads cut off by the timeout are errors, and the scrape
// still answers.
func TestTimeout(t *testing.T) {
	a := newTestArchive(t)
	s := scrape(t, metrics.New(a.db, metrics.WithNow(a.clock.Now), metrics.WithTimeout(time.Nanosecond)))
	s.expect(t, want{"verbatim_scrape_errors_total", []string{"query", "captures"}, 1})
	if _, ok := s.fams["verbatim_captures_total"]; ok {
		t.Error("captures reported although their read timed out")
	}
}
