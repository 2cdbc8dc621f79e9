package browser

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkCaptureTabs captures an X-like post page with an image with 1, 2
// and 4 tabs, several ways in the same run:
//
//   - bare: a plain chromedp loop with the same browser flags: a new tab,
//     Navigate (which waits for the load event), a full-page PNG, close;
//   - shot-load-shared: our capture limited to the screenshot
//     (Request.Only), settled on the load event (Settle "delay", SettleDelay
//     0) and with tabs in the browser's default context, as bare's are: the
//     same work as bare plus the guard on every request, event tracking,
//     the hung-page probe, the consent check, the text and the verdict;
//   - shot-load: the same with a fresh browser context per capture (the
//     default: no cookies or storage carry over between captures);
//   - shot-idle: the same settled by network idle (500 ms without
//     requests, the default);
//   - full: the default capture: network idle, screenshot, DOM, MHTML, raw
//     body, text and verdict.
//
// The variants run in turn, in several rounds, each with its own browser
// kept for the whole run, so that a busy machine slows them alike. Each
// reports the median captures/min over the rounds and the median of the
// per-round ratios bare rate / its rate (the overhead), the peak resident
// memory of its Chromium (RSS summed over the process tree, and PSS, which
// counts shared pages once) and the Go process's peak heap while it ran.
// b.N is the number of captures per variant and round: run with a fixed
// count, such as -benchtime=20x.
func BenchmarkCaptureTabs(b *testing.B) {
	path := browserPath(b)
	s := newSite(b)
	target := s.URL + "/post"
	const rounds = 3
	for _, tabs := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("tabs=%d", tabs), func(b *testing.B) {
			n := max(b.N, tabs)
			variants := []benchVariant{benchBare(b, path, target, tabs)}
			for _, v := range []struct {
				name string
				opts Options
				req  Request
			}{
				{"shot-load-shared", Options{Settle: SettleDelay, sharedContext: true}, Request{Only: PartScreenshot}},
				{"shot-load", Options{Settle: SettleDelay}, Request{Only: PartScreenshot}},
				{"shot-idle", Options{}, Request{Only: PartScreenshot}},
				{"full", Options{}, Request{}},
			} {
				v.opts.ExecPath, v.opts.Tabs, v.opts.Guard = path, tabs, loopback
				v.req.URL = target
				variants = append(variants, benchOurs(b, v.name, v.opts, v.req))
			}
			runs := make([][]benchRun, len(variants))
			for range rounds {
				for i, v := range variants {
					runs[i] = append(runs[i], measure(b, tabs, n, v.dirs, v.once))
				}
			}
			for i, v := range variants {
				var rates, ratios []float64
				var peak benchRun
				for r, run := range runs[i] {
					rates = append(rates, run.rate)
					ratios = append(ratios, runs[0][r].rate/run.rate)
					peak.rssPeak, peak.pssPeak, peak.heap = max(peak.rssPeak, run.rssPeak), max(peak.pssPeak, run.pssPeak), max(peak.heap, run.heap)
				}
				b.ReportMetric(median(rates), v.name+"-captures/min")
				if i > 0 {
					b.ReportMetric(median(ratios), v.name+"-overhead")
				}
				b.ReportMetric(float64(peak.rssPeak)/(1<<20), v.name+"-chromium-peak-RSS-MiB")
				b.ReportMetric(float64(peak.pssPeak)/(1<<20), v.name+"-chromium-peak-PSS-MiB")
				b.ReportMetric(float64(peak.heap)/(1<<20), v.name+"-go-peak-heap-MiB")
			}
		})
	}
}

// benchVariant is one way of capturing, ready to run.
type benchVariant struct {
	name string
	dirs func() []string // the profile directories of its browser
	once func() error    // one capture
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchRun is what one variant measured.
type benchRun struct {
	rate    float64 // captures per minute
	rssPeak int64   // bytes
	pssPeak int64   // bytes
	heap    uint64  // bytes
}

// benchOurs makes a pool of opts that captures req.
func benchOurs(b *testing.B, name string, opts Options, req Request) benchVariant {
	p, err := New(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	once := func() error {
		res, err := p.Capture(context.Background(), req)
		if err == nil && res.Verdict != VerdictOK {
			err = fmt.Errorf("%s: verdict %s (%s)", name, res.Verdict, res.Detail)
		}
		return err
	}
	if err := once(); err != nil { // warm up
		b.Fatal(err)
	}
	dirs := func() []string {
		p.mu.Lock()
		defer p.mu.Unlock()
		return slices.Clone(p.dirs)
	}
	return benchVariant{name: name, dirs: dirs, once: once}
}

// benchBare starts a browser with chromedp alone and the same flags, and
// captures target with a new tab, Navigate and FullScreenshot.
func benchBare(b *testing.B, path, target string, tabs int) benchVariant {
	dir, err := os.MkdirTemp("", "verbatim-bench-")
	if err != nil {
		b.Fatal(err)
	}
	flags := (&Pool{opts: Options{ExecPath: path, Width: DefaultWidth}}).allocatorOptions(dir)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), flags...)
	bctx, bcancel := chromedp.NewContext(actx)
	b.Cleanup(func() {
		bcancel()
		acancel()
		killLeftovers(dir)
		os.RemoveAll(dir)
	})
	if err := chromedp.Do(bctx); err != nil {
		b.Fatal(err)
	}
	once := func() error {
		tctx, cancel := chromedp.NewContext(bctx)
		defer cancel()
		if err := chromedp.Do(tctx, chromedp.Navigate(target)); err != nil {
			return err
		}
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err == nil && !bytes.HasPrefix(png, []byte("\x89PNG")) {
			err = fmt.Errorf("bare: not a PNG")
		}
		return err
	}
	if err := once(); err != nil {
		b.Fatal(err)
	}
	return benchVariant{name: "bare", dirs: func() []string { return []string{dir} }, once: once}
}

// measure runs once n times on tabs goroutines, sampling memory meanwhile.
func measure(b *testing.B, tabs, n int, dirs func() []string, once func() error) benchRun {
	var r benchRun
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			rss, pss := treeMemory(dirs())
			r.rssPeak, r.pssPeak = max(r.rssPeak, rss), max(r.pssPeak, pss)
			runtime.ReadMemStats(&ms)
			r.heap = max(r.heap, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range tabs {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := once(); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	r.rate = float64(n) / elapsed.Minutes()
	return r
}

// treeMemory sums the resident and proportional set sizes of the processes
// using any of the profile directories.
func treeMemory(dirs []string) (rss, pss int64) {
	for _, dir := range dirs {
		for _, pid := range processesUsing(dir) {
			r, p := procMemory(pid)
			rss += r
			pss += p
		}
	}
	return rss, pss
}

// procMemory reads a process's Rss and Pss from /proc/PID/smaps_rollup.
func procMemory(pid int) (rss, pss int64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "Rss:":
			rss = kb << 10
		case "Pss:":
			pss = kb << 10
		}
	}
	return rss, pss
}
