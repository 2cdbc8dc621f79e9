package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
)

// capturePass runs `verbatim capture` as its own process against a fake X
// API holding accounts × posts, and returns the wall time and the
// process's peak RSS in bytes.
func capturePass(b *testing.B, accounts, posts int) (time.Duration, int64) {
	b.Helper()
	fake := archivetest.NewFakeX(b)
	fake.SetRateLimit(archivetest.FakeXUserTweets, 1<<30)
	fake.SetRateLimit(archivetest.FakeXUserByUsername, 1<<30)
	start := fake.Now().Add(-time.Duration(posts) * time.Hour)
	var handles []string
	for i := 0; i < accounts; i++ {
		id := fmt.Sprint(1000000 + i)
		h := fmt.Sprintf("official%02d", i)
		fake.AddUser(id, h, fmt.Sprintf("Official %d", i))
		fake.GeneratePosts(id, posts, start, time.Hour)
		handles = append(handles, "@"+h)
	}
	cmd := proc(b, append([]string{"--data", b.TempDir(), "capture", "--no-media", "--no-snapshots"}, handles...)...)
	cmd.Env = append(cmd.Env, "VERBATIM_X_API_URL="+fake.URL(), "VERBATIM_X_BEARER_TOKEN="+fake.Token, "VERBATIM_LOG_LEVEL=warn")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(t0)
	if err != nil {
		b.Fatalf("capture: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), fmt.Sprintf("%d new posts", posts)); got != accounts {
		b.Fatalf("%d of %d accounts fully captured:\n%s", got, accounts, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return took, ru.Maxrss * 1024
}

// BenchmarkCapturePass measures a capture pass over 50 accounts of 3,200
// posts each (X's timeline cap) from the fake API, in its own process:
// posts/s and peak RSS. Beside it, in the same run, a pass over 10
// accounts: equal peaks show memory bounded by page size, not by how much
// is captured.
func BenchmarkCapturePass(b *testing.B) {
	if os.Getenv("VERBATIM_TEST_AS_CLI") != "" {
		b.Skip()
	}
	for b.Loop() {
		small, smallRSS := capturePass(b, 10, 3200)
		took, rss := capturePass(b, 50, 3200)
		b.ReportMetric(float64(50*3200)/took.Seconds(), "posts/s")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(10*3200)/small.Seconds(), "posts/s-10acct")
		b.ReportMetric(float64(smallRSS)/(1<<20), "peak-RSS-MB-10acct")
		b.ReportMetric(float64(rss)/float64(smallRSS), "RSS-ratio-50/10")
	}
}
