package schedule

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

var ctx = context.Background()

func newScheduler(t *testing.T, now func() time.Time) (*Scheduler, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(db, time.UTC, nil, now)
	t.Cleanup(s.Stop)
	return s, db
}

func TestRunsAreRecorded(t *testing.T) {
	s, db := newScheduler(t, nil)
	s.Add(Job{Name: "capture", Spec: "*/5 * * * *", Run: func(ctx context.Context) (any, error) {
		return map[string]int{"new_posts": 3}, nil
	}})
	s.Add(Job{Name: "recheck", Spec: "*/15 * * * *", Run: func(ctx context.Context) (any, error) {
		return map[string]int{"checked": 1}, errors.New("x api: 503")
	}})
	if err := s.RunOnce(ctx, "capture"); err != nil {
		t.Fatal(err)
	}
	if err := s.RunOnce(ctx, "recheck"); err == nil {
		t.Fatal("recheck error lost")
	}
	runs, err := db.JobRuns(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	if r := runs[1]; r.Job != "capture" || r.Ended == nil || r.Counts["new_posts"] != float64(3) || r.Error != "" {
		t.Errorf("capture run %+v", r)
	}
	if r := runs[0]; r.Job != "recheck" || r.Error != "x api: 503" || r.Counts["checked"] != float64(1) {
		t.Errorf("recheck run %+v", r)
	}
}

func TestPanicIsRecoveredAndRecorded(t *testing.T) {
	s, db := newScheduler(t, nil)
	s.Add(Job{Name: "bad", Spec: "@hourly", Run: func(ctx context.Context) (any, error) { panic("boom") }})
	err := s.RunOnce(ctx, "bad")
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("got %v", err)
	}
	runs, _ := db.JobRuns(ctx, "bad", 1)
	if len(runs) != 1 || !strings.Contains(runs[0].Error, "boom") || runs[0].Ended == nil {
		t.Errorf("runs %+v", runs)
	}
	// The job can run again.
	if err := s.RunOnce(ctx, "bad"); err == nil {
		t.Error("second run did not run")
	}
}

func TestSkipIfStillRunning(t *testing.T) {
	s, db := newScheduler(t, nil)
	started := make(chan struct{})
	release := make(chan struct{})
	s.Add(Job{Name: "slow", Spec: "@hourly", Run: func(ctx context.Context) (any, error) {
		close(started)
		<-release
		return nil, nil
	}})
	done := make(chan error)
	go func() { done <- s.RunOnce(ctx, "slow") }()
	<-started
	if err := s.RunOnce(ctx, "slow"); !errors.Is(err, ErrRunning) {
		t.Errorf("overlapping run: %v, want ErrRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, _ := db.JobRuns(ctx, "slow", 10)
	if len(runs) != 1 {
		t.Errorf("%d runs recorded, want 1", len(runs))
	}
}

func TestUsageCapPausesUntilReset(t *testing.T) {
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	var calls atomic.Int32
	s, _ := newScheduler(t, func() time.Time { return now })
	reset := now.Add(6 * time.Hour)
	s.Add(Job{Name: "capture", Spec: "*/5 * * * *", Run: func(ctx context.Context) (any, error) {
		calls.Add(1)
		return nil, &xapi.UsageCapError{Reset: reset}
	}})
	s.RunOnce(ctx, "capture")
	now = now.Add(5 * time.Minute)
	err := s.RunOnce(ctx, "capture")
	if !errors.Is(err, ErrPaused) || !strings.Contains(err.Error(), "usage cap") {
		t.Errorf("run during the pause: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("the job ran %d times during the pause", calls.Load())
	}
	now = reset.Add(time.Second)
	s.RunOnce(ctx, "capture")
	if calls.Load() != 2 {
		t.Errorf("the job did not run after the reset")
	}
}

func TestSchedulesRunAndStopWaits(t *testing.T) {
	s, db := newScheduler(t, nil)
	var n atomic.Int32
	if err := s.Add(Job{Name: "tick", Spec: "@every 1s", Run: func(ctx context.Context) (any, error) {
		n.Add(1)
		return nil, nil
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Job{Name: "bad", Spec: "61 * * * *"}); err == nil {
		t.Error("a bad spec was accepted")
	}
	s.Start()
	if next := s.Next()["tick"]; next.IsZero() {
		t.Error("no next run time")
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	if n.Load() == 0 {
		t.Fatal("the scheduled job never ran")
	}
	runs, _ := db.JobRuns(ctx, "tick", 10)
	if len(runs) == 0 {
		t.Error("no run recorded")
	}
}

func TestTimeZone(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database")
	}
	db, _ := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), sqlite.Options{})
	defer db.Close()
	s := New(db, loc, nil, nil)
	s.Add(Job{Name: "report", Spec: "0 6 * * *", Run: func(ctx context.Context) (any, error) { return nil, nil }})
	s.Start()
	defer s.Stop()
	next := s.Next()["report"].In(loc)
	if next.Hour() != 6 || next.Minute() != 0 {
		t.Errorf("next run %v, want 06:00 New York time", next)
	}
}
