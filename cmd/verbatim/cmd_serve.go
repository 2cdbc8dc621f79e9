package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/snapshot"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/capture"
	"github.com/verbatim-archive/verbatim/bot/schedule"
)

func runServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("serve", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := a.runner(st)
	if err != nil {
		return err
	}
	pools := &lazyPool{start: func() (*browser.Pool, error) { return a.browserPool(ctx, false) }}
	defer pools.Close()
	sched, err := a.scheduler(st, r, pools)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return a.serve(ctx, st, sched, ln)
}

// scheduler wires the configured schedules to the capture jobs.
func (a *app) scheduler(st *store, r *capture.Runner, pools *lazyPool) (*schedule.Scheduler, error) {
	loc, err := time.LoadLocation(a.cfg.Schedule.TZ)
	if err != nil {
		return nil, fmt.Errorf("schedule.tz: %w", err)
	}
	s := schedule.New(st.db, loc, a.log, nil)
	var accounts []archive.Account
	for _, c := range a.cfg.Accounts {
		accounts = append(accounts, archive.Account{Platform: c.Platform, Handle: c.Handle})
	}
	jobs := []schedule.Job{
		{Name: "capture", Spec: a.cfg.Schedule.Capture, Run: func(ctx context.Context) (any, error) {
			if err := a.requireX(r); err != nil {
				return nil, err
			}
			res, err := r.CaptureAccounts(ctx, accounts)
			if err == nil {
				res.MediaStored, res.MediaFailed, err = r.DownloadMedia(ctx, 500)
			}
			counts := res.Counts()
			if err == nil {
				var sp snapshot.PassResult
				sp, err = a.snapshotDue(ctx, st, pools)
				counts["snapshots_ok"], counts["snapshots_degraded"] = sp.OK, sp.Degraded
			}
			return counts, err
		}},
		{Name: "recheck", Spec: a.cfg.Schedule.Recheck, Run: func(ctx context.Context) (any, error) {
			if err := a.requireX(r); err != nil {
				return nil, err
			}
			res, err := r.Recheck(ctx, false)
			return res.Counts(), err
		}},
		{Name: "retry", Spec: a.cfg.Schedule.SnapshotRetry, Run: func(ctx context.Context) (any, error) {
			stored, failed, err := r.DownloadMedia(ctx, 500)
			counts := map[string]int{"media_stored": stored, "media_failed": failed}
			if err == nil {
				var sp snapshot.PassResult
				sp, err = a.snapshotDue(ctx, st, pools)
				counts["snapshots_ok"], counts["snapshots_degraded"] = sp.OK, sp.Degraded
			}
			return counts, err
		}},
	}
	for _, j := range jobs {
		if err := s.Add(j); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// serve runs the scheduler and the HTTP front door until ctx ends.
func (a *app) serve(ctx context.Context, st *store, sched *schedule.Scheduler, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		stats, err := st.db.Stats(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		runs, err := st.db.JobRuns(r.Context(), "", 20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, map[string]any{"archive": stats, "runs": runs, "next": sched.Next()})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
	sched.Start()
	a.log.Info("serving", "addr", ln.Addr().String(), "data", a.cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	sched.Stop()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// lazyPool starts the browser on first use and keeps it for the server's
// life; without a browser, snapshots are skipped with one warning.
type lazyPool struct {
	start func() (*browser.Pool, error)
	once  sync.Once
	pool  *browser.Pool
	err   error
}

func (l *lazyPool) get() (*browser.Pool, error) {
	l.once.Do(func() { l.pool, l.err = l.start() })
	return l.pool, l.err
}

// Close stops the browser if it was started.
func (l *lazyPool) Close() {
	if l.pool != nil {
		l.pool.Close()
	}
}

// snapshotDue snapshots recent posts without a good snapshot.
func (a *app) snapshotDue(ctx context.Context, st *store, pools *lazyPool) (snapshot.PassResult, error) {
	pool, err := pools.get()
	if err != nil {
		a.log.Warn("no browser snapshots", "reason", err)
		return snapshot.PassResult{}, nil
	}
	return a.snapshotter(st, pool).SnapshotDuePosts(ctx, time.Now().Add(-7*24*time.Hour), 200)
}
