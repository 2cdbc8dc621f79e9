package compare

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func BenchmarkCompare2000Words(b *testing.B) {
	orig, repub, _ := changedPair(7)
	b.ReportAllocs()
	for b.Loop() {
		Compare(orig, repub, Options{})
	}
}

// TestGitWordDiffRatio times Compare against git diff --no-index --word-diff on the same two
// 2,000-word texts, in the same run, and logs the ratio. It is a measurement, not a check.
func TestGitWordDiffRatio(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not on PATH")
	}
	if testing.Short() || raceEnabled {
		t.Skip("timing is skipped in short mode and under the race detector")
	}
	orig, repub, _ := changedPair(7)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "original.txt"), filepath.Join(dir, "republished.txt")
	if err := os.WriteFile(a, []byte(strings.Join(orig, "\n\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(strings.Join(repub, "\n\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	const runs = 20
	best := func(f func()) time.Duration {
		fastest := time.Duration(1<<63 - 1)
		for range runs {
			start := time.Now()
			f()
			fastest = min(fastest, time.Since(start))
		}
		return fastest
	}
	var gitErr error
	gitTime := best(func() {
		cmd := exec.Command(git, "diff", "--no-index", "--no-color", "--word-diff", a, b)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		var out bytes.Buffer
		cmd.Stdout = &out
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			err = nil // the files differ
		}
		if err == nil && !strings.Contains(out.String(), "{+replaced") {
			t.Errorf("git diff output lacks the changes")
		}
		gitErr = err
	})
	if gitErr != nil {
		t.Skipf("git diff: %v", gitErr)
	}
	cmpTime := best(func() { Compare(orig, repub, Options{}) })
	t.Logf("best of %d: Compare %v, git diff --no-index --word-diff %v (process included); Compare/git = %.2f",
		runs, cmpTime, gitTime, float64(cmpTime)/float64(gitTime))
}
