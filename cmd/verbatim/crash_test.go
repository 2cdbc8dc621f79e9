package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/browser"
	"github.com/verbatim-archive/verbatim/archive/capture"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// TestCrashSafety runs imports, capture passes, browser snapshots and
// proofs (ledger appends and checkpoints) as real verbatim processes in one
// data directory and kills each with SIGKILL after a random delay: some
// before they start work, most in the middle of it. After every kill it
// checks that the database passes PRAGMA integrity_check (and its foreign
// keys and full-text index theirs), that no post is stored twice, that
// `verbatim audit` finds nothing but orphan blobs, that `verbatim gc`
// collects those, and that Chromium died with its parent; then it runs the
// same operation again to completion and checks that it completed what the
// killed run missed.
//
// VERBATIM_CRASH_ROUNDS sets the number of kills (default 20) and
// VERBATIM_CRASH_SEED replays a run's choices of operations and delays.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and Chromium")
	}
	if _, err := browser.Find(os.Getenv("VERBATIM_BROWSER_PATH")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs a browser: %v", err)
		}
		t.Skipf("chromium not found (%v); set VERBATIM_BROWSER_PATH", err)
	}
	kills := 20
	if s := os.Getenv("VERBATIM_CRASH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("VERBATIM_CRASH_ROUNDS=%q: want a positive number", s)
		}
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("VERBATIM_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("VERBATIM_CRASH_SEED=%q: want a number", s)
		}
		seed = n
	}
	t.Logf("seed %d (replay the choices with VERBATIM_CRASH_SEED=%d); %d kills", seed, seed, kills)

	rig := newCrashRig(t, seed)
	start := time.Now()
	var schedule []crashOp
	for round := 0; rig.kills < kills; round++ {
		if round >= 3*kills {
			t.Fatalf("only %d of %d runs were killed in %d rounds: the rest finished before the kill", rig.kills, kills, round)
		}
		if len(schedule) == 0 {
			schedule = []crashOp{opImport, opCapture, opSnapshot, opProof}
			rig.rng.Shuffle(len(schedule), func(i, j int) { schedule[i], schedule[j] = schedule[j], schedule[i] })
		}
		op := schedule[0]
		schedule = schedule[1:]
		if op == opProof && rig.count(`SELECT count(*) FROM captures`) == 0 {
			op, schedule = schedule[0], append(schedule[1:], op)
		}
		rig.round(round, op)
		if t.Failed() {
			t.Fatalf("stopping after round %d; replay with VERBATIM_CRASH_SEED=%d", round, seed)
		}
	}
	rig.finish(time.Since(start))
}

// crashOp is an operation TestCrashSafety kills.
type crashOp int

const (
	opImport   crashOp = iota // import a generated v2 JSONL file
	opCapture                 // a capture pass over the fake X API's accounts
	opSnapshot                // capture URL: a browser snapshot of a loopback page
	opProof                   // proof CAPTURE_ID: a receipt, signing a checkpoint
)

func (o crashOp) String() string {
	return [...]string{"import", "capture", "snapshot", "proof"}[o]
}

// crashRig is the archive, the fake X API, the loopback site and the
// tallies of one TestCrashSafety.
type crashRig struct {
	t    *testing.T
	rng  *rand.Rand
	data string // the data directory
	// tmp is the TMPDIR of verbatim processes: Chromium's profiles go
	// there, so its processes are told apart from any other Chromium.
	tmp    string
	fake   *archivetest.FakeX
	world  crashWorld
	site   *httptest.Server
	env    []string // of verbatim processes
	series []int    // posts in the latest import file of each series
	// cliEnv is the environment of verbatim run in this process.
	cliEnv map[string]string

	// startup is how long a verbatim process takes to open the archive
	// (long under -race), and work how long each operation works after
	// that, to draw kill delays from.
	startup time.Duration
	work    map[crashOp]time.Duration

	kills, early            int // early: before the archive was opened
	finishedFirst           int
	orphans, collected      int
	tempRemoved             int
	temps                   map[string]bool // temporary files left by killed runs
	profilesLeft, survivors int
	profileBytes            int64
	slowestChromium         time.Duration
	tally                   map[crashOp][2]int // kills, runs
}

// crashImport is a generated v2 JSONL file: the first n posts of
// archivetest.GenPosts(_, seed).
type crashImport struct {
	path string
	n    int
	seed uint64
	ids  []string // of its posts
}

func newCrashRig(t *testing.T, seed uint64) *crashRig {
	// A short directory: Chromium puts a socket inside its profile, and
	// socket paths are limited to about 100 bytes.
	tmp, err := os.MkdirTemp("/tmp", "vbcrash")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		killChromiumUsing(tmp)
		os.RemoveAll(tmp)
	})
	r := &crashRig{
		t:     t,
		rng:   rand.New(rand.NewPCG(seed, 0xc4a5)),
		data:  filepath.Join(t.TempDir(), "data"),
		tmp:   tmp,
		fake:  archivetest.NewFakeX(t),
		work:  map[crashOp]time.Duration{opImport: 2 * time.Second, opCapture: time.Second, opSnapshot: 3 * time.Second, opProof: 200 * time.Millisecond},
		tally: map[crashOp][2]int{},
		temps: map[string]bool{},
	}
	for _, ep := range []string{archivetest.FakeXUserByUsername, archivetest.FakeXUserTweets, archivetest.FakeXTweets} {
		r.fake.SetRateLimit(ep, 1<<30)
	}
	r.world = crashWorld{fake: r.fake, users: []string{"9100000001", "9100000002", "9100000003"}}
	for i, id := range r.world.users {
		r.fake.AddUser(id, fmt.Sprintf("CrashDesk%d", i+1), fmt.Sprintf("Crash Desk %d", i+1))
		for k := range 300 {
			r.world.post(id, r.fake.Now().Add(-time.Duration(300-k)*time.Hour))
		}
	}
	// A long article: its screenshot, PDF and MHTML take a while to
	// store, a window in which a kill leaves blobs no capture records.
	r.site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Statement %[1]s</title></head>
<body><article><h1>Statement %[1]s</h1>`, req.URL.Path)
		for i := range 40 {
			fmt.Fprintf(w, `<p style="color:#%06x">Paragraph %d of %s. The minister said on Monday that the agreement on energy and trade would be signed within days, and officials confirmed the text of the statement.</p>`,
				i*0x30507%0xffffff, i+1, req.URL.Path)
		}
		fmt.Fprint(w, `</article></body></html>`)
	}))
	t.Cleanup(r.site.Close)
	// The processes get this test's environment without the VERBATIM_
	// settings of whoever runs it (but with the browser's path).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VERBATIM_") || strings.HasPrefix(kv, "VERBATIM_BROWSER_PATH=") {
			r.env = append(r.env, kv)
		}
	}
	r.env = append(r.env, "VERBATIM_TEST_AS_CLI=1", "TMPDIR="+tmp, "VERBATIM_ALLOW_PRIVATE_URLS=1",
		"VERBATIM_X_API_URL="+r.fake.URL(), "VERBATIM_X_BEARER_TOKEN="+r.fake.Token, "VERBATIM_LOG_FORMAT=json")
	// Chromium started by verbatim in this process (the reruns) puts its
	// profile there too.
	t.Setenv("TMPDIR", tmp)
	r.cliEnv = map[string]string{"VERBATIM_DATA": r.data, "VERBATIM_ALLOW_PRIVATE_URLS": "1", "VERBATIM_X_API_URL": r.fake.URL(),
		"VERBATIM_X_BEARER_TOKEN": r.fake.Token, "VERBATIM_LOG_FORMAT": "json", "VERBATIM_BROWSER_PATH": os.Getenv("VERBATIM_BROWSER_PATH")}
	p := r.start([]string{"version"}, false)
	<-p.done
	if p.err != nil {
		t.Fatalf("verbatim version: %v\n%s%s", p.err, p.stdout.String(), p.stderr.String())
	}
	r.startup = p.took
	t.Logf("a verbatim process takes %v to start", r.startup.Round(time.Millisecond))
	return r
}

// round runs op, kills it, checks the archive, and runs op again to
// completion.
func (r *crashRig) round(n int, op crashOp) {
	t := r.t
	roundStart := time.Now()
	r.world.churn(r.rng)
	run := r.prepare(op, n)

	// A few kills land while the process starts, some just after it
	// begins to write a blob (to catch it between storing blobs and
	// recording them), the rest at a random moment of its work, which
	// begins when it opens the archive (a process takes long to start
	// under -race, longer on a busy machine).
	mode := "work"
	switch {
	case r.rng.IntN(8) == 0:
		mode = "early"
	case op != opProof && r.rng.IntN(4) == 0:
		mode = "blob"
	}
	var delay time.Duration
	switch mode {
	case "early":
		delay = time.Duration(r.rng.Int64N(int64(r.startup)))
	case "blob":
		delay = time.Duration(r.rng.Int64N(int64(30 * time.Millisecond)))
	default:
		delay = time.Duration(r.rng.Int64N(int64(r.work[op]) * 6 / 5))
	}
	p := r.start(run.args, mode == "blob")
	var what string
	tl := r.tally[op]
	tl[1]++
	var timer <-chan time.Time
	if mode == "early" {
		timer = time.After(delay)
	}
	opened, writing := p.opened, p.writing
	stuck := time.After(2 * time.Minute)
	for what == "" {
		select {
		case <-stuck:
			p.cmd.Process.Kill()
			t.Fatalf("round %d: %s %v still runs after 2 minutes\n%s", n, op, run.args, p.stderr.String())
		case <-opened:
			opened = nil
			if mode == "work" {
				timer = time.After(delay)
			}
		case <-writing:
			writing = nil
			timer = time.After(delay)
		case <-p.done:
			r.finishedFirst++
			if p.err != nil {
				t.Errorf("round %d: %s %v finished before the kill, with %v\n%s", n, op, run.args, p.err, p.stderr.String())
			}
			what = fmt.Sprintf("finished in %v, before the kill", p.took.Round(time.Millisecond))
		case <-timer:
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
			r.kills++
			tl[0]++
			switch {
			case p.openedAt == 0:
				r.early++
				what = fmt.Sprintf("killed %v after start, before it opened the archive", delay.Round(time.Millisecond))
			case mode == "blob":
				what = fmt.Sprintf("killed %v after it began to write a blob, %v into its work", delay.Round(time.Millisecond), (p.took - p.openedAt).Round(time.Millisecond))
			default:
				what = fmt.Sprintf("killed %v into its work (last log %q)", (p.took - p.openedAt).Round(time.Millisecond), lastLogMessage(p.stderr.Bytes()))
			}
		}
	}
	r.tally[op] = tl
	if bytes.Contains(p.stderr.Bytes(), []byte("DATA RACE")) {
		t.Errorf("round %d: %s: a data race\n%s", n, op, p.stderr.String())
	}
	if p.openedAt > 0 {
		r.startup = (r.startup + p.openedAt) / 2
	}

	checks := time.Now()
	chromium := r.checkChromiumGone(n)
	r.checkDatabase(n, op == opImport || op == opCapture)
	dbChecks := time.Since(checks)
	audit := r.checkAudit(n)
	progress := run.progress()
	checksTook := time.Since(checks)

	// The same operation again, to completion: in this process, which
	// saves starting one (slow under -race).
	began := time.Now()
	res := cli(t, r.cliEnv, run.args...)
	took := time.Since(began)
	if res.code != 0 {
		t.Fatalf("round %d: %s %v after the kill: exit %d\n%s%s", n, op, run.args, res.code, res.stdout, res.stderr)
	}
	if left, dirs := chromiumUsing(r.tmp), r.profiles(); len(left)+len(dirs) > 0 {
		t.Errorf("round %d: the completed %s left Chromium processes %v and profiles %v", n, op, left, dirs)
	}
	// A rerun that resumed works less than a whole run: the estimate
	// rises at once and falls slowly.
	r.work[op] = max((r.work[op]+took)/2, r.work[op]*4/5)
	result := run.check([]byte(res.stdout))
	t.Logf("round %2d: %-8s %s: %s; %s%s; rerun in %v: %s [round %v, checks %v, of which the database's %v]", n, op, what, progress, audit, chromium,
		took.Round(time.Millisecond), result, time.Since(roundStart).Round(100*time.Millisecond), checksTook.Round(100*time.Millisecond), dbChecks.Round(100*time.Millisecond))
}

// crashProc is a running verbatim process.
type crashProc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	// opened is closed when the process has opened the archive's
	// database, openedAt after start; writing when it has begun to write
	// a blob (if watched); done when it has exited, with err and took.
	opened, writing, done chan struct{}
	openedAt, took        time.Duration
	err                   error
}

// start starts verbatim with args on the rig's data directory; with
// watchBlobs, writing is closed when it begins to write a blob.
func (r *crashRig) start(args []string, watchBlobs bool) *crashProc {
	p := &crashProc{opened: make(chan struct{}), writing: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append([]string{"--data", r.data}, args...)...)
	p.cmd.Env = r.env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	tmp := filepath.Join(r.data, "blobs", "tmp")
	before := map[string]bool{}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		before[e.Name()] = true
	}
	began := time.Now()
	if err := p.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		err := p.cmd.Wait()
		close(exited)
		// openedAt is written before watched is closed; done waits for
		// it, so that reading openedAt after done is safe.
		<-watched
		p.err, p.took = err, time.Since(began)
		close(p.done)
	}()
	go func() {
		defer close(watched)
		fds := fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid)
		db := filepath.Join(r.data, "verbatim.db")
		for p.openedAt == 0 || watchBlobs {
			select {
			case <-exited:
				return
			case <-time.After(time.Millisecond):
			}
			if p.openedAt == 0 {
				ents, _ := os.ReadDir(fds)
				for _, e := range ents {
					if l, _ := os.Readlink(filepath.Join(fds, e.Name())); l == db {
						p.openedAt = time.Since(began)
						close(p.opened)
						break
					}
				}
				continue
			}
			ents, _ := os.ReadDir(tmp)
			for _, e := range ents {
				if !before[e.Name()] {
					close(p.writing)
					return
				}
			}
		}
	}()
	return p
}

// crashRun is one operation of a round: its arguments, what the killed
// run had done, and the check of the completed one.
type crashRun struct {
	args     []string
	progress func() string
	check    func(out []byte) string
}

// prepare returns op's run in round n.
func (r *crashRig) prepare(op crashOp, n int) crashRun {
	switch op {
	case opImport:
		// Two files in three are a later harvest of an earlier file's
		// series: all of its posts and up to 1,500 more, as repeated
		// harvests overlap (and so the archive stays small enough to
		// check after every round under -race). The others start a
		// series with a few thousand posts, one in four of them more
		// than one batch (5,000 posts) of the importer, so that a kill can
		// leave an import half done.
		var im crashImport
		if len(r.series) > 0 && r.rng.IntN(3) > 0 {
			im.seed = uint64(1 + r.rng.IntN(len(r.series)))
			im.n = r.series[im.seed-1] + 500 + r.rng.IntN(1000)
		} else {
			r.series = append(r.series, 0)
			im.seed, im.n = uint64(len(r.series)), 1500+r.rng.IntN(1500)
			if r.rng.IntN(4) == 0 {
				im.n = 5001 + r.rng.IntN(600)
			}
		}
		r.series[im.seed-1] = im.n
		im.path = filepath.Join(r.t.TempDir(), fmt.Sprintf("round-%d.jsonl", n))
		f, err := os.Create(im.path)
		if err != nil {
			r.t.Fatal(err)
		}
		if err := archivetest.WriteV2JSONL(f, im.n, 100, im.seed); err != nil {
			r.t.Fatal(err)
		}
		f.Close()
		posts := archivetest.GenPosts(im.n, im.seed)
		im.ids = make([]string, len(posts))
		for i, p := range posts {
			im.ids[i] = p.ID
		}
		const archived = `SELECT count(*) FROM versions WHERE id IN (SELECT value FROM json_each(?))`
		before := r.count(archived, jsonList(im.ids))
		return crashRun{
			args: []string{"import", "--format", "json", im.path},
			progress: func() string {
				return fmt.Sprintf("it archived %d of the %d posts new to the archive", r.count(archived, jsonList(im.ids))-before, im.n-before)
			},
			check: func(out []byte) string { return r.checkImport(n, im, out) },
		}
	case opCapture:
		before := r.count(crashPostsOf, jsonList(r.world.users))
		return crashRun{
			args: []string{"capture", "--no-media", "--no-snapshots", "--format", "json", "@CrashDesk1", "@CrashDesk2", "@CrashDesk3"},
			progress: func() string {
				return fmt.Sprintf("it archived %d new posts", r.count(crashPostsOf, jsonList(r.world.users))-before)
			},
			check: func(out []byte) string { return r.checkCapture(n, out) },
		}
	case opSnapshot:
		u := fmt.Sprintf("%s/statements/%d", r.site.URL, n)
		return crashRun{
			args: []string{"capture", "--format", "json", u},
			progress: func() string {
				return fmt.Sprintf("it recorded %d snapshots", r.count(`SELECT count(*) FROM captures WHERE kind = 'snapshot' AND target = ?`, u))
			},
			check: func(out []byte) string { return r.checkSnapshot(n, u) },
		}
	case opProof:
		var ids []int64
		r.query(func(db *sql.DB) error { return collect(db, &ids, `SELECT id FROM captures ORDER BY id`) })
		id := ids[r.rng.IntN(len(ids))]
		before := r.count(`SELECT count(*) FROM ledger_checkpoints`)
		return crashRun{
			args: []string{"proof", strconv.FormatInt(id, 10)},
			progress: func() string {
				return fmt.Sprintf("it signed %d checkpoints", r.count(`SELECT count(*) FROM ledger_checkpoints`)-before)
			},
			check: func(out []byte) string { return r.checkProof(n, id, out) },
		}
	}
	panic("unknown op")
}

// crashPostsOf counts the posts of the accounts in a JSON list of ids.
const crashPostsOf = `SELECT count(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE a.platform_id IN (SELECT value FROM json_each(?))`

// count runs a query of one number; 0 when there is no archive yet.
func (r *crashRig) count(query string, args ...any) int {
	if _, err := os.Stat(filepath.Join(r.data, "verbatim.db")); err != nil {
		return 0
	}
	var n int
	r.query(func(db *sql.DB) error { return db.QueryRow(query, args...).Scan(&n) })
	return n
}

// lastLogMessage returns the msg of the last JSON log line in b, to say
// where a killed process was.
func lastLogMessage(b []byte) string {
	msg := "none"
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l struct{ Msg string }
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg != "" {
			msg = l.Msg
		}
	}
	return msg
}

// checkChromiumGone waits for the Chromium processes of the killed
// verbatim to die, kills any that outlive it by five seconds (counted as
// a finding), and removes the profiles they leave.
func (r *crashRig) checkChromiumGone(n int) string {
	began := time.Now()
	var left []string
	for {
		if left = chromiumUsing(r.tmp); len(left) == 0 || time.Since(began) > 5*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	waited := time.Since(began)
	note := ""
	if len(left) > 0 {
		r.survivors += len(left)
		r.t.Errorf("round %d: %d Chromium processes outlived the killed verbatim by %v: %v", n, len(left), waited.Round(time.Millisecond), left)
		killChromiumUsing(r.tmp)
	} else if waited > 30*time.Millisecond {
		r.slowestChromium = max(r.slowestChromium, waited)
		note = fmt.Sprintf("; its Chromium died %v later", waited.Round(time.Millisecond))
	}
	for _, dir := range r.profiles() {
		r.profilesLeft++
		size := dirSize(dir)
		r.profileBytes += size
		note += fmt.Sprintf("; left its Chromium profile %s (%.1f MB)", filepath.Base(dir), float64(size)/1e6)
		os.RemoveAll(dir)
	}
	return note
}

// profiles lists the Chromium profiles in the rig's TMPDIR.
func (r *crashRig) profiles() []string {
	dirs, _ := filepath.Glob(filepath.Join(r.tmp, "verbatim-chromium-*"))
	return dirs
}

// dirSize is the size of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// killChromiumUsing kills every process whose command line names dir.
func killChromiumUsing(dir string) {
	for range 50 {
		left := chromiumUsing(dir)
		if len(left) == 0 {
			return
		}
		for _, l := range left {
			pid, _ := strconv.Atoi(strings.SplitN(l, ":", 2)[0])
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// query opens the archive the way verbatim does and runs fn on it.
func (r *crashRig) query(fn func(db *sql.DB) error) {
	r.t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(r.data, "verbatim.db"), sqlite.Options{})
	if err != nil {
		r.t.Fatalf("open the archive: %v", err)
	}
	defer db.Close()
	if err := fn(db.SQL()); err != nil {
		r.t.Fatal(err)
	}
}

// collect scans the first column of every row of query into dst.
func collect[T any](db *sql.DB, dst *[]T, query string, args ...any) error {
	rows, err := db.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return err
		}
		*dst = append(*dst, v)
	}
	return rows.Err()
}

// checkDatabase checks the database the killed process left: SQLite's
// own checks (the full-text index's too if the process wrote posts), then
// that no post is stored twice.
func (r *crashRig) checkDatabase(n int, posts bool) {
	t := r.t
	if _, err := os.Stat(filepath.Join(r.data, "verbatim.db")); err != nil {
		return // killed before it made one
	}
	r.query(func(db *sql.DB) error {
		var res []string
		if err := collect(db, &res, `PRAGMA integrity_check`); err != nil {
			return err
		}
		if !slices.Equal(res, []string{"ok"}) {
			t.Errorf("round %d: integrity_check: %q", n, res)
		}
		var fk []string
		if err := collect(db, &fk, `SELECT "table" || ' row ' || rowid || ' -> ' || parent FROM pragma_foreign_key_check`); err != nil {
			return err
		}
		if len(fk) > 0 {
			t.Errorf("round %d: foreign_key_check: %d violations, e.g. %s", n, len(fk), fk[0])
		}
		// Only imports and captures write posts; the check is slow
		// under -race.
		if posts {
			if _, err := db.Exec(`INSERT INTO posts_fts(posts_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
				t.Errorf("round %d: the full-text index does not match the posts: %v", n, err)
			}
		}
		for _, c := range []struct{ what, query string }{
			{"posts sharing an id", `SELECT count(*) - count(DISTINCT id) FROM posts NOT INDEXED`},
			{"version ids stored twice", `SELECT count(*) - count(DISTINCT id) FROM versions`},
			{"versions whose edit link names another post", `SELECT count(*) FROM edit_links e JOIN versions v ON v.id = e.id WHERE v.post_ord <> e.post_ord`},
			{"posts whose latest version is not stored", `SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = p.latest_id)`},
			{"posts with no version", `SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.post_ord = p.ord)`},
			{"posts with their only version in their row and more in post_versions", `SELECT count(*) FROM posts p WHERE p.v_detail IS NOT NULL AND EXISTS (SELECT 1 FROM post_versions v WHERE v.post_ord = p.ord)`},
			{"posts counting fewer versions than they have", `SELECT count(*) FROM posts p WHERE p.versions < (SELECT count(*) FROM versions v WHERE v.post_ord = p.ord)`},
			{"captures without a ledger leaf", `SELECT count(*) FROM captures c WHERE NOT EXISTS (SELECT 1 FROM ledger_leaves l WHERE l.capture_id = c.id)`},
		} {
			var got int
			if err := db.QueryRow(c.query).Scan(&got); err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
			if got != 0 {
				t.Errorf("round %d: %d %s", n, got, c.what)
			}
		}
		// The same post under two ids: a thread of the fake whose
		// versions went to different posts.
		stored, err := r.world.stored(db)
		if err != nil {
			return err
		}
		for _, th := range r.world.threads {
			ords := map[int64]bool{}
			for _, v := range th.versions {
				if sv, ok := stored[v]; ok {
					ords[sv.ord] = true
				}
			}
			if len(ords) > 1 {
				t.Errorf("round %d: post %s is stored as %d posts", n, th.versions[0], len(ords))
			}
		}
		return nil
	})
}

func jsonList(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// auditReport is what audit --format json prints.
type auditReport struct {
	OK       bool
	Leaves   int
	Findings []struct{ Kind, Ref, Detail string }
}

// checkAudit audits the archive, allowing orphan blobs, which it then
// has `verbatim gc` collect, and audits again.
func (r *crashRig) checkAudit(n int) string {
	t := r.t
	if _, err := os.Stat(filepath.Join(r.data, "verbatim.db")); err != nil {
		return "no archive yet"
	}
	// Temporary files of writes that were cut short.
	var notes []string
	var fresh []string
	for _, f := range r.leftoverTemps() {
		if !r.temps[f] {
			r.temps[f] = true
			fresh = append(fresh, f)
		}
	}
	if len(fresh) > 0 {
		notes = append(notes, fmt.Sprintf("left temp files %v", fresh))
	}
	// The audit leaves unreferenced blobs younger than 15 minutes alone
	// (a capture may be about to record them); age them all, so that the
	// killed run's orphans show.
	r.ageBlobs()
	rep := r.audit(n)
	var orphans []string
	for _, f := range rep.Findings {
		if f.Kind == "orphan" {
			orphans = append(orphans, f.Ref)
			continue
		}
		t.Errorf("round %d: audit finding after the kill: %s %s %s", n, f.Kind, f.Ref, f.Detail)
	}
	r.orphans += len(orphans)
	if len(orphans) < len(rep.Findings) {
		return strings.Join(append(notes, fmt.Sprintf("audit: %d findings", len(rep.Findings))), "; ")
	}
	if len(orphans) == 0 && len(fresh) == 0 {
		return strings.Join(append(notes, "audit clean"), "; ")
	}
	// Nothing else writes to the archive now: gc may take every orphan.
	res := cli(t, map[string]string{"VERBATIM_DATA": r.data}, "gc", "--grace", "0", "--format", "json")
	var gc struct {
		Removed     []struct{ SHA256 string }
		TempRemoved int `json:"temp_removed"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &gc); err != nil || res.code != 0 {
		t.Fatalf("round %d: gc: exit %d %v\n%s%s", n, res.code, err, res.stdout, res.stderr)
	}
	var removed []string
	for _, b := range gc.Removed {
		removed = append(removed, b.SHA256)
	}
	slices.Sort(orphans)
	slices.Sort(removed)
	if !slices.Equal(removed, orphans) {
		t.Errorf("round %d: gc removed %q, want the orphans the audit found, %q", n, removed, orphans)
	}
	rep = r.audit(n)
	if !rep.OK {
		t.Errorf("round %d: audit after gc: %+v", n, rep.Findings)
	}
	if left := r.leftoverTemps(); len(left) > 0 {
		notes = append(notes, fmt.Sprintf("still left after gc %v", left))
	}
	r.collected += len(removed)
	r.tempRemoved += gc.TempRemoved
	return strings.Join(append(notes, fmt.Sprintf("audit: %d orphan blobs; gc removed %d blobs and %d temp files; audit clean", len(orphans), len(removed), gc.TempRemoved)), "; ")
}

func (r *crashRig) audit(n int) auditReport {
	res := cli(r.t, map[string]string{"VERBATIM_DATA": r.data}, "audit", "--format", "json")
	var rep auditReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || (res.code != 0 && res.code != 1) {
		r.t.Fatalf("round %d: audit: exit %d, %v\n%s%s", n, res.code, err, res.stdout, res.stderr)
	}
	return rep
}

// ageBlobs sets the modification time of every blob to an hour ago.
func (r *crashRig) ageBlobs() {
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(filepath.Join(r.data, "blobs", "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
}

// leftoverTemps lists the temporary files in the data directory and the
// blob store's tmp directory.
func (r *crashRig) leftoverTemps() []string {
	var out []string
	for _, dir := range []string{r.data, filepath.Join(r.data, "blobs", "tmp")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if name := e.Name(); e.Type().IsRegular() && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "put-")) {
				out = append(out, strings.TrimPrefix(filepath.Join(dir, name), r.data+"/"))
			}
		}
	}
	return out
}

// checkImport checks that every post of the file is in the archive once.
func (r *crashRig) checkImport(n int, im crashImport, out []byte) string {
	t := r.t
	var res struct {
		Files []struct {
			Skipped   bool  `json:"already_imported"`
			CaptureID int64 `json:"capture_id"`
			Added     struct{ Posts, Versions, Unchanged int }
		}
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Files) != 1 {
		t.Fatalf("round %d: import output: %v\n%s", n, err, out)
	}
	r.query(func(db *sql.DB) error {
		var versions, distinct, complete int
		if err := db.QueryRow(`SELECT count(*), count(DISTINCT post_ord) FROM versions WHERE id IN (SELECT value FROM json_each(?))`,
			jsonList(im.ids)).Scan(&versions, &distinct); err != nil {
			return err
		}
		if versions != im.n || distinct != im.n {
			t.Errorf("round %d: of the %d posts of %s, %d versions in %d posts are archived", n, im.n, filepath.Base(im.path), versions, distinct)
		}
		if err := db.QueryRow(`SELECT count(*) FROM captures WHERE kind = 'import' AND target = ? AND completed_at IS NOT NULL`, im.path).Scan(&complete); err != nil {
			return err
		}
		if complete != 1 {
			t.Errorf("round %d: %d complete import captures of %s, want 1", n, complete, im.path)
		}
		return nil
	})
	f := res.Files[0]
	if f.Skipped {
		return fmt.Sprintf("%d posts, already imported", im.n)
	}
	return fmt.Sprintf("%d posts: %d new, %d already archived", im.n, f.Added.Posts, f.Added.Unchanged)
}

// checkCapture checks that the archive holds every post the fake shows
// now, at its latest version, once.
func (r *crashRig) checkCapture(n int, out []byte) string {
	t := r.t
	var pass struct {
		Accounts []struct {
			Handle, Status string
			NewPosts       int `json:"new_posts"`
		}
	}
	if err := json.Unmarshal(out, &pass); err != nil {
		t.Fatalf("round %d: capture output: %v\n%s", n, err, out)
	}
	newPosts := 0
	for _, a := range pass.Accounts {
		if a.Status != "ok" {
			t.Errorf("round %d: @%s: %s", n, a.Handle, a.Status)
		}
		newPosts += a.NewPosts
	}
	var live, archived int
	r.query(func(db *sql.DB) error {
		stored, err := r.world.stored(db)
		if err != nil {
			return err
		}
		for _, th := range r.world.threads {
			if slices.ContainsFunc(th.versions, func(v string) bool { _, ok := stored[v]; return ok }) {
				archived++
			}
			if th.deleted {
				continue
			}
			live++
			latest := th.versions[len(th.versions)-1]
			if got := stored[latest].post; got != th.versions[0] {
				t.Errorf("round %d: version %s (%d of post %s) is archived as part of %q", n, latest, len(th.versions), th.versions[0], got)
			}
		}
		var inArchive int
		if err := db.QueryRow(crashPostsOf, jsonList(r.world.users)).Scan(&inArchive); err != nil {
			return err
		}
		if inArchive != archived {
			t.Errorf("round %d: %d posts of the fake's accounts are archived, want %d", n, inArchive, archived)
		}
		return nil
	})
	return fmt.Sprintf("%d new posts; the fake shows %d posts, %d archived ever", newPosts, live, archived)
}

// checkSnapshot checks that the page has a good snapshot.
func (r *crashRig) checkSnapshot(n int, url string) string {
	t := r.t
	var got []string
	r.query(func(db *sql.DB) error {
		return collect(db, &got, `SELECT c.id || ':' || (SELECT count(*) FROM artifacts a WHERE a.capture_id = c.id) FROM captures c
			WHERE c.kind = 'snapshot' AND c.target = ? AND c.verdict = 'ok' AND c.completed_at IS NOT NULL ORDER BY c.id`, url)
	})
	if len(got) == 0 {
		t.Errorf("round %d: no good snapshot of %s", n, url)
		return "no snapshot"
	}
	for _, g := range got {
		if k, _ := strconv.Atoi(strings.SplitN(g, ":", 2)[1]); k < 5 {
			t.Errorf("round %d: snapshot %s of %s has %d artifacts, want at least 5 (screenshot, DOM, MHTML, PDF, WARC)", n, g, url, k)
		}
	}
	return fmt.Sprintf("%d good snapshots of the page (capture:artifacts %v)", len(got), got)
}

// checkProof checks the receipt offline with the archive's public key.
func (r *crashRig) checkProof(n int, id int64, out []byte) string {
	t := r.t
	p := filepath.Join(r.t.TempDir(), "receipt.json")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	res := cli(t, nil, "verify-receipt", "--format", "json", "--pubkey", filepath.Join(r.data, "ledger.pub"), p)
	var v struct {
		OK        bool
		CaptureID int64  `json:"capture_id"`
		TreeSize  uint64 `json:"tree_size"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil || res.code != 0 || !v.OK || v.CaptureID != id {
		t.Errorf("round %d: receipt for capture %d: exit %d %v\n%s%s", n, id, res.code, err, res.stdout, res.stderr)
	}
	var checkpoints int
	r.query(func(db *sql.DB) error {
		return db.QueryRow(`SELECT count(*) FROM ledger_checkpoints`).Scan(&checkpoints)
	})
	return fmt.Sprintf("receipt for capture %d verifies against a %d-leaf checkpoint (%d checkpoints)", id, v.TreeSize, checkpoints)
}

// finish audits once more and reports the tallies.
func (r *crashRig) finish(took time.Duration) {
	t := r.t
	r.ageBlobs()
	if rep := r.audit(-1); !rep.OK {
		t.Errorf("final audit: %+v", rep.Findings)
	}
	if left := chromiumUsing(r.tmp); len(left) > 0 {
		t.Errorf("Chromium processes left at the end: %v", left)
	}
	if left := r.leftoverTemps(); len(left) > 0 {
		t.Logf("temporary files left in the data directory at the end: %v", left)
	}
	// What the kills left unfinished is settled: the job runs of dead
	// processes (a job's start does this) and the API pages stored but not
	// written out (a capture pass does, for pages older than ten minutes:
	// here all of them).
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(r.data, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	settled, err := db.SettleInterrupted(ctx)
	if err != nil {
		t.Errorf("settle interrupted job runs: %v", err)
	}
	bs, err := blob.Open(filepath.Join(r.data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := (&capture.Runner{DB: db, Blobs: bs, ResumeAfter: -1}).Resume(ctx)
	if err != nil {
		t.Errorf("resume unfinished API captures: %v", err)
	}
	db.Close()
	t.Logf("settled %d job runs of killed processes, resumed %d API pages", settled, resumed)
	var posts, captures, incomplete, unended, leaves, checkpoints int
	r.query(func(db *sql.DB) error {
		return db.QueryRow(`SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM captures),
			(SELECT count(*) FROM captures WHERE completed_at IS NULL), (SELECT count(*) FROM job_runs WHERE ended_at IS NULL),
			(SELECT count(*) FROM ledger_leaves), (SELECT count(*) FROM ledger_checkpoints)`).
			Scan(&posts, &captures, &incomplete, &unended, &leaves, &checkpoints)
	})
	var ops []string
	for _, op := range []crashOp{opImport, opCapture, opSnapshot, opProof} {
		ops = append(ops, fmt.Sprintf("%s %d/%d", op, r.tally[op][0], r.tally[op][1]))
	}
	t.Logf("%d kills (%d before the archive was opened) in %d rounds (killed/runs: %s) in %v", r.kills, r.early, r.kills+r.finishedFirst,
		strings.Join(ops, ", "), took.Round(time.Second))
	t.Logf("archive: %d posts, %d captures (%d never completed), %d ledger leaves, %d checkpoints; %d job runs never ended",
		posts, captures, incomplete, leaves, checkpoints, unended)
	if incomplete > 0 || unended > 0 {
		t.Errorf("left unfinished after settling: %d captures, %d job runs", incomplete, unended)
	}
	t.Logf("after the kills: %d orphan blobs (%d removed by gc), %d temp files left (%d removed by gc), %d Chromium profiles left (%.0f MB), %d Chromium processes outlived verbatim (slowest to die: %v)",
		r.orphans, r.collected, len(r.temps), r.tempRemoved, r.profilesLeft, float64(r.profileBytes)/1e6, r.survivors, r.slowestChromium.Round(time.Millisecond))
}

// crashWorld is what the fake X API has published, as the test made it.
type crashWorld struct {
	fake    *archivetest.FakeX
	users   []string
	threads []*crashThread
}

// crashThread is a post and its versions on the fake.
type crashThread struct {
	versions []string // oldest first
	deleted  bool
}

// storedVersion is where a version of the fake is in the archive.
type storedVersion struct {
	ord  int64
	post string // the post's id
}

// stored finds the fake's versions in the archive.
func (w *crashWorld) stored(db *sql.DB) (map[string]storedVersion, error) {
	var all []string
	for _, th := range w.threads {
		all = append(all, th.versions...)
	}
	rows, err := db.Query(`SELECT v.id, v.post_ord, p.id FROM versions v JOIN posts p ON p.ord = v.post_ord
		WHERE v.id IN (SELECT value FROM json_each(?))`, jsonList(all))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]storedVersion)
	for rows.Next() {
		var id string
		var sv storedVersion
		if err := rows.Scan(&id, &sv.ord, &sv.post); err != nil {
			return nil, err
		}
		out[id] = sv
	}
	return out, rows.Err()
}

func (w *crashWorld) post(user string, at time.Time) {
	id := w.fake.Post(user, fmt.Sprintf("Statement %d: we met partners on energy, trade and security today, and the talks will go on.", len(w.threads)+1), at)
	w.threads = append(w.threads, &crashThread{versions: []string{id}})
}

// churn publishes new posts, edits and deletes a few, and moves the
// fake's clock on, between rounds.
func (w *crashWorld) churn(rng *rand.Rand) {
	at := w.fake.Now()
	for _, u := range w.users {
		n := rng.IntN(25)
		if rng.IntN(8) == 0 {
			n = 120 // more than a page
		}
		for range n {
			at = at.Add(10 * time.Millisecond)
			w.post(u, at)
		}
	}
	live := func() *crashThread {
		for {
			if th := w.threads[rng.IntN(len(w.threads))]; !th.deleted {
				return th
			}
		}
	}
	for range rng.IntN(4) {
		th := live()
		at = at.Add(10 * time.Millisecond)
		v := len(th.versions) + 1
		th.versions = append(th.versions, w.fake.Edit(th.versions[len(th.versions)-1],
			fmt.Sprintf("Statement (version %d): we met partners on energy, trade and security today.", v), at))
	}
	for range rng.IntN(3) {
		th := live()
		w.fake.Delete(th.versions[0])
		th.deleted = true
	}
	w.fake.SetNow(at.Add(time.Second))
}
