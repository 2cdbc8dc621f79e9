package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/capture"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/snapshot"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/bot"
	"github.com/verbatim-archive/verbatim/bot/metrics"
	"github.com/verbatim-archive/verbatim/bot/schedule"
	"github.com/verbatim-archive/verbatim/bot/slack"
	"github.com/verbatim-archive/verbatim/bot/web"
)

// serve's SQLite connections (how many at most, and each one's page cache)
// and its soft limit on Go memory.
const (
	maxServeConns = 6
	serveCacheKiB = 4 << 10
	serveMemLimit = 64 << 20 // bytes of Go memory; SQLite's caches are outside it
)

func runServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("serve", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := a.setup(); err != nil {
		return err
	}
	// Every pooled connection keeps its own page cache: a bounded pool of
	// small caches bounds the server's memory (pages are also in the
	// operating system's cache); two cores need no more readers.
	a.cacheKiB = serveCacheKiB
	// A soft limit on the Go heap keeps the server within its memory
	// budget under load, at the price of more frequent collections;
	// GOMEMLIMIT, when set, decides instead.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemLimit)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	st.db.SQL().SetMaxOpenConns(maxServeConns)
	m := metrics.New(st.db, metrics.WithLogger(a.log))
	r := a.runner(st, xapi.WithOnWait(m.RateLimitWait), xapi.WithOnRateLimited(m.RateLimited))
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
	return a.serve(ctx, st, sched, r, pools, m, ln)
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
		// The integrity report: the period's captures, edits, deletions
		// and failures, a full audit, and a checkpoint proved consistent
		// with the last report's; written to the data directory and
		// posted to slack.report_channel. A report that found problems
		// is a failed run.
		{Name: "report", Spec: a.cfg.Schedule.Report, Run: func(ctx context.Context) (any, error) {
			rep, _, err := a.integrityReport(ctx, st, a.cfg.Report.Since)
			if err != nil {
				return nil, err
			}
			if !rep.OK {
				err = fmt.Errorf("integrity report %s: %s", rep.Name, strings.Join(rep.Problems, "; "))
			}
			return reportCounts(rep), err
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
func (a *app) serve(ctx context.Context, st *store, sched *schedule.Scheduler, r *capture.Runner, pools *lazyPool,
	m *metrics.Metrics, ln net.Listener) error {
	rt := a.router(ctx, st, r, pools)
	rt.Next = sched.Next
	var chat *slack.Handler
	if secret := a.cfg.Slack.SigningSecret; secret != "" {
		chat = slack.New(slack.Options{Router: rt, SigningSecret: secret, BaseURL: a.cfg.Server.PublicURL, Log: a.log})
		defer func() {
			shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			chat.Shutdown(shut)
		}()
	}
	h := a.frontDoor(rt, st, false, m, chat)
	// Quotations are looked up through an in-memory index in a process
	// that checks many articles; until it is built, the full-text index
	// answers alone.
	go func() {
		start := time.Now()
		stats, err := st.db.BuildQuoteIndex(ctx)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("quote index not built", "error", err)
			}
			return
		}
		a.log.Info("quote index built", "posts", stats.Posts, "bytes", stats.Bytes, "took", time.Since(start).Round(time.Millisecond))
		// Building it read every post: give that memory back now rather
		// than whenever the runtime gets round to it.
		debug.FreeOSMemory()
	}()
	sched.Start()
	defer sched.Stop()
	a.log.Info("serving", "addr", ln.Addr().String(), "data", a.cfg.DataDir, "open_writes", a.cfg.Server.OpenWrites,
		"api_token", a.cfg.Server.APIToken != "")
	return serveHTTP(ctx, h, ln)
}

// router builds the command router every front door answers through:
// checks and URL captures through the browser (started on first use),
// account captures through the X API when credentials are configured.
func (a *app) router(ctx context.Context, st *store, r *capture.Runner, pools *lazyPool) *bot.Router {
	rt := &bot.Router{DB: st.db, Checker: a.checker(ctx, st), PostURL: a.cfg.X.PostURL,
		Guard: &netguard.Guard{AllowPrivate: a.cfg.Browser.AllowPrivateURLs}}
	snapshotter := func() (*snapshot.Snapshotter, error) {
		pool, err := pools.get()
		if err != nil {
			return nil, fmt.Errorf("the browser: %v: %w", err, bot.ErrNotAvailable)
		}
		return a.snapshotter(st, pool), nil
	}
	rt.CaptureURL = func(ctx context.Context, url string) (snapshot.Result, error) {
		s, err := snapshotter()
		if err != nil {
			return snapshot.Result{}, err
		}
		return s.Snapshot(ctx, snapshot.Target{URL: url, Kind: "url"})
	}
	rt.FetchPage = func(ctx context.Context, url string) (check.Page, error) {
		s, err := snapshotter()
		if err != nil {
			return check.Page{}, err
		}
		res, err := s.Snapshot(ctx, snapshot.Target{URL: url, Kind: "article"})
		if err != nil {
			return check.Page{}, err
		}
		return snapshotPage(ctx, st, url, res)
	}
	if r != nil && a.requireX(r) == nil {
		rt.CaptureAccounts = func(ctx context.Context, accounts []archive.Account) (capture.PassResult, error) {
			return recordJob(ctx, st, "capture", func(ctx context.Context) (capture.PassResult, map[string]int, error) {
				res, err := r.CaptureAccounts(ctx, accounts)
				if err == nil {
					res.MediaStored, res.MediaFailed, err = r.DownloadMedia(ctx, 500)
				}
				return res, res.Counts(), err
			})
		}
	}
	return rt
}

// snapshotPage returns the page a browser snapshot of an article kept (its
// DOM), for checking; a degraded snapshot is an error that names its
// capture.
func snapshotPage(ctx context.Context, st *store, url string, res snapshot.Result) (check.Page, error) {
	if res.Verdict != snapshot.OK && res.Verdict != snapshot.CookieOverlay {
		return check.Page{}, fmt.Errorf("capture %s: %s %s (capture #%d)", url, res.Verdict, res.Detail, res.ID)
	}
	for _, art := range res.Artifacts {
		if art.Kind != "dom" {
			continue
		}
		rc, err := st.blobs.Open(ctx, art.SHA256)
		if err != nil {
			return check.Page{}, err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return check.Page{}, err
		}
		u := res.FinalURL
		if u == "" {
			u = url
		}
		return check.Page{HTML: b, URL: u, ContentType: "text/html; charset=utf-8", CaptureID: res.ID}, nil
	}
	return check.Page{}, fmt.Errorf("capture %s: no page content was captured (capture #%d)", url, res.ID)
}

// frontDoor is every HTTP endpoint: the web UI and JSON API at "/",
// /healthz for liveness, and when given, /metrics (every request timed by
// route) and Slack's /slack/command and /slack/events. openWrites adds to
// the configuration's.
func (a *app) frontDoor(rt *bot.Router, st *store, openWrites bool, m *metrics.Metrics, chat *slack.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	key, pub := a.webLedger(st)
	mux.Handle("/", web.New(web.Options{Router: rt, Blobs: st.blobs, APIToken: a.cfg.Server.APIToken,
		OpenWrites: a.cfg.Server.OpenWrites || openWrites, Log: a.log, CacheTTL: a.cfg.Server.CacheTTL,
		Ledger: key, PublicKey: pub, Reports: filepath.Join(a.cfg.DataDir, reportsDir), PublicURL: a.cfg.Server.PublicURL}))
	if chat != nil {
		mux.Handle("/slack/", chat)
	}
	if m == nil {
		return mux
	}
	mux.Handle("GET /metrics", m.Handler())
	return m.Instrument(mux)
}

// webLedger returns what the web front door serves of the ledger: the
// signing key for receipts (on a writable archive: made on first use) and
// the public key text. Without a key (a read-only archive, or a key that
// does not match ledger.pub), receipts are unavailable and the public key
// is ledger.pub's, if any.
func (a *app) webLedger(st *store) (*ledger.Key, string) {
	if st.blobs != nil {
		key, err := a.ledgerKey()
		if err == nil {
			return key, key.VerifierKey()
		}
		a.log.Warn("receipts unavailable: no ledger key", "err", err)
	}
	b, err := os.ReadFile(filepath.Join(a.cfg.DataDir, ledgerPubFile))
	if err != nil {
		return nil, ""
	}
	return nil, strings.TrimSpace(string(b))
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, h http.Handler, ln net.Listener) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
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
	// passes lets one snapshot pass run at a time: the capture and retry
	// jobs both run one, and two at once took the same posts twice.
	passes sync.Mutex
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
	pools.passes.Lock()
	defer pools.passes.Unlock()
	if err := ctx.Err(); err != nil {
		return snapshot.PassResult{}, err
	}
	pool, err := pools.get()
	if err != nil {
		a.log.Warn("no browser snapshots", "reason", err)
		return snapshot.PassResult{}, nil
	}
	return a.snapshotter(st, pool).SnapshotDuePosts(ctx, time.Now().Add(-7*24*time.Hour), 200)
}
