// Command benchserve measures `verbatim serve` under load, as issue #6
// asks: it imports generated posts into a fresh archive, starts the real
// server on loopback, drives the search API and post pages with wrk
// (Debian's wrk must be on PATH), and reports requests/s, p99 latency and
// the server's peak RSS beside the targets.
//
//	go run ./internal/benchserve [-posts 100000] [-duration 10s] [-connections 32] [-o serve-bench.md] [-bench-lines]
//
// With -bench-lines it also prints each figure as a 'go test -bench'
// result line (BenchmarkServe/target=search/cache_ttl=2s 1 6764 req/s
// 17.03 p99-ms), which is how `make bench` (internal/benchtable) reads it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
)

// Targets of issue #6.
const (
	searchTarget = 3000  // requests/s, at least
	postTarget   = 10000 // requests/s, at least
	rssTarget    = 150e6 // bytes, under
	seed         = 1     // of the generated posts
	perPage      = 100   // posts per generated API page
	queryCount   = 200   // different search queries
	maxIDs       = 1000  // different post pages
	readyTimeout = 2 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchserve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	posts := fs.Int("posts", 100_000, "posts in the archive")
	duration := fs.Duration("duration", 10*time.Second, "how long wrk drives each target")
	conns := fs.Int("connections", 32, "wrk connections")
	out := fs.String("o", "serve-bench.md", "also write the table to this file (\"\" for none)")
	ttls := fs.String("cache-ttl", "2s,0", "server.cache_ttl values to measure, comma-separated (0: no cache)")
	benchLines := fs.Bool("bench-lines", false, "also print each figure as a 'go test -bench' result line, for internal/benchtable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return errors.New("wrk is not on PATH (apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "verbatim-benchserve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "benchserve: "+format+"\n", a...) }

	bin := filepath.Join(dir, "verbatim")
	logf("building verbatim")
	if err := command(ctx, stderr, nil, "go", "build", "-o", bin, "./cmd/verbatim"); err != nil {
		return err
	}
	file := filepath.Join(dir, "posts.jsonl")
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := archivetest.WriteV2JSONL(f, *posts, perPage, seed); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	env := []string{"VERBATIM_DATA=" + data, "VERBATIM_LOG_FORMAT=json"}
	logf("importing %d posts", *posts)
	if err := command(ctx, stderr, env, bin, "import", file); err != nil {
		return err
	}

	type result struct {
		key    string // in the -bench-lines name
		name   string
		rps    float64
		p99    string
		target float64
	}
	type config struct {
		ttl     string
		results []result
		hwm     int64
		rss     int64
	}
	var configs []config
	var searchPaths, postPaths []string
	for _, ttl := range strings.Split(*ttls, ",") {
		c := config{ttl: ttl}
		if err := func() error {
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			base := "http://" + addr
			srv := exec.Command(bin, "serve")
			srv.Env = append(os.Environ(), append(env, "VERBATIM_ADDR="+addr, "VERBATIM_CACHE_TTL="+ttl)...)
			logFile, err := os.Create(filepath.Join(dir, "serve-"+ttl+".log"))
			if err != nil {
				return err
			}
			defer logFile.Close()
			srv.Stdout, srv.Stderr = logFile, logFile
			if err := srv.Start(); err != nil {
				return err
			}
			defer stopServer(srv)
			if err := waitReady(ctx, base+"/healthz"); err != nil {
				return err
			}
			if searchPaths == nil {
				queries := archivetest.TwoTermQueries(queryCount, seed)
				for _, q := range queries {
					searchPaths = append(searchPaths, "/api/v1/search?q="+urlQuery(q))
				}
				ids, err := postIDs(ctx, base, queries)
				if err != nil {
					return err
				}
				for _, id := range ids {
					postPaths = append(postPaths, "/posts/"+id)
				}
				logf("%d search queries, %d post pages", len(searchPaths), len(postPaths))
			}
			for _, t := range []struct {
				key    string
				name   string
				paths  []string
				target float64
			}{
				{"search", "search API (GET /api/v1/search?q=…, JSON, two-term queries)", searchPaths, searchTarget},
				{"post", "post page (GET /posts/{id}, HTML)", postPaths, postTarget},
			} {
				script := filepath.Join(dir, "paths.lua")
				if err := writeScript(script, t.paths); err != nil {
					return err
				}
				logf("wrk, cache %s: %s", ttl, t.name)
				outb, err := exec.CommandContext(ctx, wrk, "-t2", "-c"+strconv.Itoa(*conns), "-d"+duration.String(), "--latency", "-s", script, base).CombinedOutput()
				if err != nil {
					return fmt.Errorf("wrk: %v: %s", err, outb)
				}
				rps, p99, err := parseWrk(string(outb))
				if err != nil {
					return fmt.Errorf("wrk output: %v:\n%s", err, outb)
				}
				c.results = append(c.results, result{t.key, t.name, rps, p99, t.target})
			}
			c.hwm, c.rss, err = memory(srv.Process.Pid)
			return err
		}(); err != nil {
			return err
		}
		configs = append(configs, c)
	}

	var doc strings.Builder
	fmt.Fprintf(&doc, "# verbatim serve under load (issue #6)\n\nMeasured %s, %d posts, wrk %d connections × %s per target, loopback, %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), *posts, *conns, duration, cpuNote())
	fmt.Fprintln(&doc, "| figure | server.cache_ttl | measured | target | ratio | ok? |")
	fmt.Fprintln(&doc, "|---|---|---|---|---|---|")
	for _, c := range configs {
		for _, r := range c.results {
			fmt.Fprintf(&doc, "| %s | %s | %.0f req/s, p99 %s | ≥ %.0f req/s | %.2f× | %s |\n", r.name, c.ttl, r.rps, r.p99, r.target, r.rps/r.target, okIf(r.rps >= r.target))
		}
		fmt.Fprintf(&doc, "| RSS of `verbatim serve` after both runs (peak) | %s | %.0f MB (now %.0f MB) | < %.0f MB | %.2f× | %s |\n",
			c.ttl, float64(c.hwm)/1e6, float64(c.rss)/1e6, rssTarget/1e6, float64(c.hwm)/rssTarget, okIf(float64(c.hwm) < rssTarget))
	}
	if _, err := io.WriteString(stdout, doc.String()); err != nil {
		return err
	}
	if *benchLines {
		var lines strings.Builder
		for _, c := range configs {
			for _, r := range c.results {
				p99, err := wrkMillis(r.p99)
				if err != nil {
					return err
				}
				fmt.Fprintln(&lines, benchLine(r.key, c.ttl, r.rps, p99))
			}
			fmt.Fprintf(&lines, "BenchmarkServe/target=rss/cache_ttl=%s\t1\t%.1f peak-RSS-MB\t%.1f RSS-MB\n", c.ttl, float64(c.hwm)/1e6, float64(c.rss)/1e6)
		}
		if _, err := io.WriteString(stdout, lines.String()); err != nil {
			return err
		}
	}
	if *out != "" {
		return os.WriteFile(*out, []byte(doc.String()), 0o644)
	}
	return nil
}

// stopServer stops the server with SIGINT, killing it if it lingers.
func stopServer(srv *exec.Cmd) {
	srv.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		srv.Process.Kill()
		<-done
	}
}

func command(ctx context.Context, stderr io.Writer, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(args, " "), err)
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within %s", url, readyTimeout)
}

// postIDs collects ids of archived posts through the search API.
func postIDs(ctx context.Context, base string, queries []string) ([]string, error) {
	seen := make(map[string]bool)
	var ids []string
	for _, q := range queries {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/search?limit=50&q="+urlQuery(q), nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var res struct {
			Results []struct{ ID string }
		}
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("search API: %w", err)
		}
		for _, r := range res.Results {
			if !seen[r.ID] {
				seen[r.ID] = true
				ids = append(ids, r.ID)
			}
		}
		if len(ids) >= maxIDs {
			break
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("the search API found no posts")
	}
	return ids, nil
}

func urlQuery(q string) string {
	return strings.ReplaceAll(strings.ReplaceAll(q, "%", "%25"), " ", "+")
}

// writeScript writes a wrk script that requests the paths in turn.
func writeScript(path string, paths []string) error {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	b.WriteString("}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// parseWrk reads Requests/sec and the 99% latency from wrk --latency output,
// and fails on non-2xx responses or socket errors.
func parseWrk(s string) (float64, string, error) {
	var rps float64
	p99 := ""
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, "", err
			}
			rps = v
		case len(f) == 2 && f[0] == "99%":
			p99 = f[1]
		case len(f) > 0 && (f[0] == "Non-2xx" || f[0] == "Socket"):
			return 0, "", errors.New(sc.Text())
		}
	}
	if rps == 0 || p99 == "" {
		return 0, "", errors.New("no Requests/sec or 99% line")
	}
	return rps, p99, nil
}

// benchLine is one wrk figure as a 'go test -bench' result line.
func benchLine(key, ttl string, rps, p99ms float64) string {
	return fmt.Sprintf("BenchmarkServe/target=%s/cache_ttl=%s\t1\t%.0f req/s\t%.3f p99-ms", key, ttl, rps, p99ms)
}

// wrkMillis reads one of wrk's latencies (850.00us, 17.03ms, 1.20s, 1.00m)
// in milliseconds.
func wrkMillis(s string) (float64, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("wrk latency %q: %w", s, err)
	}
	return float64(d) / float64(time.Millisecond), nil
}

// memory returns the peak and current resident set size of a process.
func memory(pid int) (hwm, rss int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = kb << 10
		case "VmRSS:":
			rss = kb << 10
		}
	}
	return hwm, rss, nil
}

func cpuNote() string {
	n := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(b), "processor\t:")
	}
	return fmt.Sprintf("%d CPUs shared by wrk and the server", n)
}

func okIf(ok bool) string {
	if ok {
		return "✅ yes"
	}
	return "❌ no"
}
