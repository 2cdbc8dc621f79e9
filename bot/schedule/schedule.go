// Package schedule runs Verbatim's background jobs on cron schedules
// (github.com/robfig/cron/v3): capture, recheck, media and snapshot
// retries, integrity reports. Every job recovers from panics, never runs
// twice at once, and records each run (start, end, counts, error) in the
// archive. A job that hits the X API's usage cap pauses until it resets.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

// Job is one scheduled job. Run returns counts for the job log.
type Job struct {
	Name string
	Spec string // five cron fields or a descriptor such as "@every 5m"
	Run  func(ctx context.Context) (counts any, err error)
}

// Scheduler runs jobs. Create it with New, add jobs, Start, and Stop.
type Scheduler struct {
	db   *sqlite.DB
	log  *slog.Logger
	now  func() time.Time
	cron *cron.Cron

	mu     sync.Mutex
	jobs   map[string]*entry
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type entry struct {
	job         Job
	id          cron.EntryID
	running     sync.Mutex // held while the job runs: SkipIfStillRunning for RunOnce too
	pausedUntil time.Time
	pauseReason string
}

// New returns a scheduler whose schedules are read in loc.
func New(db *sqlite.DB, loc *time.Location, log *slog.Logger, now func() time.Time) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	cl := cronLogger{log}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		db:  db,
		log: log,
		now: now,
		cron: cron.New(cron.WithLocation(loc), cron.WithLogger(cl),
			cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl))),
		jobs:   make(map[string]*entry),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Add schedules a job.
func (s *Scheduler) Add(j Job) error {
	e := &entry{job: j}
	id, err := s.cron.AddFunc(j.Spec, func() { s.runEntry(s.ctx, e) })
	if err != nil {
		return fmt.Errorf("schedule %s %q: %w", j.Name, j.Spec, err)
	}
	e.id = id
	s.mu.Lock()
	s.jobs[j.Name] = e
	s.mu.Unlock()
	return nil
}

// Start starts running jobs on their schedules.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops the schedules, cancels running jobs and waits for them.
func (s *Scheduler) Stop() {
	ctx := s.cron.Stop()
	s.cancel()
	<-ctx.Done()
	s.wg.Wait()
}

// RunOnce runs the named job now, as the schedule would (recorded, with
// panics recovered); it returns the job's error. A job already running is
// skipped with ErrRunning.
func (s *Scheduler) RunOnce(ctx context.Context, name string) error {
	s.mu.Lock()
	e, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("schedule: no job %q", name)
	}
	return s.runEntry(ctx, e)
}

// ErrRunning is returned by RunOnce when the job is already running.
var ErrRunning = errors.New("job is already running")

// ErrPaused is wrapped by the error of a job skipped while paused.
var ErrPaused = errors.New("job is paused")

// Next returns when each scheduled job runs next (zero before Start).
func (s *Scheduler) Next() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.jobs))
	for name, e := range s.jobs {
		out[name] = s.cron.Entry(e.id).Next
	}
	return out
}

func (s *Scheduler) runEntry(ctx context.Context, e *entry) (err error) {
	if !e.running.TryLock() {
		s.log.Info("job still running; skipped", "job", e.job.Name)
		return ErrRunning
	}
	defer e.running.Unlock()
	s.wg.Add(1)
	defer s.wg.Done()
	now := s.now()
	if now.Before(e.pausedUntil) {
		err := fmt.Errorf("%w until %s: %s", ErrPaused, e.pausedUntil.UTC().Format(time.RFC3339), e.pauseReason)
		s.log.Info("job paused", "job", e.job.Name, "until", e.pausedUntil)
		return err
	}
	id, jerr := s.db.StartJob(ctx, e.job.Name)
	if jerr != nil {
		return jerr
	}
	var counts any
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", e.job.Name, p)
			s.log.Error("job panicked", "job", e.job.Name, "panic", p)
		}
		var uc *xapi.UsageCapError
		if errors.As(err, &uc) {
			e.pausedUntil = uc.Reset
			e.pauseReason = "X API usage cap reached"
			s.log.Warn("usage cap reached; job paused", "job", e.job.Name, "until", uc.Reset)
		}
		if eerr := s.db.EndJob(ctx, id, counts, err); eerr != nil {
			s.log.Error("recording job run", "job", e.job.Name, "err", eerr)
		}
		if err != nil {
			s.log.Warn("job failed", "job", e.job.Name, "err", err)
		} else {
			s.log.Info("job done", "job", e.job.Name, "counts", counts, "took", s.now().Sub(now))
		}
	}()
	counts, err = e.job.Run(ctx)
	return err
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
