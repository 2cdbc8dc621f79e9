//go:build linux

package browser

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRemoveStaleProfiles leaves profile directories in a temporary
// directory as killed Verbatim processes would, next to directories that
// are in use or not Verbatim's, and starts pools there: the stale ones must
// go and the others stay.
func TestRemoveStaleProfiles(t *testing.T) {
	path := browserPath(t)
	// Not t.TempDir(): Chromium's singleton socket, inside the profile,
	// must fit a Unix socket path.
	tmp, err := os.MkdirTemp("", "vb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	old := time.Now().Add(-2 * staleProfileAge)
	mkdir := func(name string, modified time.Time) string {
		t.Helper()
		dir := filepath.Join(tmp, name)
		// A profile as Chromium leaves it: nested directories, files
		// and a socket link into itself.
		for _, sub := range []string{"Default/Cache/Cache_Data", ".org.chromium.Chromium.x1"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, ".org.chromium.Chromium.x1", "SingletonSocket"), filepath.Join(dir, "SingletonSocket")); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dir, modified, modified); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale := []string{
		mkdir(profilePrefix+"1111", old),
		mkdir(profilePrefix+"2222", old),
		// A prefix of the name of the one in use below.
		mkdir(profilePrefix+"333", old),
	}
	inUse := mkdir(profilePrefix+"3333", old)
	fresh := mkdir(profilePrefix+"4444", time.Now())
	other := mkdir("other-chromium-5555", old)
	notDir := filepath.Join(tmp, profilePrefix+"6666")
	if err := os.WriteFile(notDir, []byte("not a profile"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := mkdir("link-target", old)
	link := filepath.Join(tmp, profilePrefix+"7777")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	// A live process whose command line names inUse as its profile, as
	// another Verbatim's Chromium would; sh waits on its stdin without a
	// child process.
	holder := exec.Command("sh", "-c", "read line", "sh", "--user-data-dir="+inUse)
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		holder.Process.Kill()
		holder.Wait()
	})
	if !waitFor(5*time.Second, func() bool { return len(processesUsing(inUse)) > 0 }) {
		t.Fatal("the holder process does not show its --user-data-dir")
	}

	var logs syncBuffer
	a := newPool(t, context.Background(), Options{
		ExecPath: path,
		Tabs:     1,
		Guard:    loopback,
		Log:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	for _, dir := range stale {
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale profile %s was not removed (lstat: %v)", dir, err)
		}
		if !strings.Contains(logs.String(), `msg="removed stale chromium profile" dir=`+dir+" ") {
			t.Errorf("the removal of %s was not logged:\n%s", dir, logs.String())
		}
	}
	for _, keep := range []string{inUse, fresh, other, notDir, link, filepath.Join(target, "Default", "Preferences")} {
		if _, err := os.Lstat(keep); err != nil {
			t.Errorf("%s should have been kept: %v", keep, err)
		}
	}
	if !strings.Contains(logs.String(), `msg="chromium profile in use; kept" dir=`+inUse) {
		t.Errorf("keeping %s was not logged:\n%s", inUse, logs.String())
	}

	// The profile of a running pool, even an old one, survives a second
	// pool's start, and that pool still works.
	a.mu.Lock()
	aDir := a.dirs[0]
	a.mu.Unlock()
	if err := os.Chtimes(aDir, old, old); err != nil {
		t.Fatal(err)
	}
	newPool(t, context.Background(), Options{ExecPath: path, Tabs: 1, Guard: loopback, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := os.Stat(aDir); err != nil {
		t.Fatalf("the running pool's profile %s was removed: %v", aDir, err)
	}
	s := newSite(t)
	if res, err := a.Capture(ctx(t, time.Minute), Request{URL: s.URL + "/post", Only: PartScreenshot}); err != nil || res.Verdict != VerdictOK {
		t.Errorf("capture by the first pool after the second started: %v, %+v", err, res)
	}
}

func TestNamesProfile(t *testing.T) {
	const name = profilePrefix + "123"
	cmdline := func(args ...string) []byte { return []byte(strings.Join(args, "\x00") + "\x00") }
	tests := []struct {
		cmdline []byte
		want    bool
	}{
		{cmdline("/usr/lib/chromium/chromium", "--headless", "--user-data-dir=/tmp/"+name, "about:blank"), true},
		{cmdline("chromium", "--user-data-dir=/tmp/"+name+"/"), true},
		{cmdline("chromium", "--user-data-dir=/var/tmp//"+name), true},
		{cmdline("chromium", "--user-data-dir="+name), true},
		// A helper that rewrote its command line into one string.
		{[]byte("/usr/lib/chromium/chromium --type=renderer --user-data-dir=/tmp/" + name + " --no-sandbox\x00"), true},
		{cmdline("chromium", "--user-data-dir=/tmp/"+name+"4"), false},
		{cmdline("chromium", "--user-data-dir=/tmp/x"+name), false},
		{cmdline("chromium", "--user-data-dir=/tmp/"+profilePrefix+"12"), false},
	}
	for _, tt := range tests {
		if got := namesProfile([][]byte{tt.cmdline}, name); got != tt.want {
			t.Errorf("namesProfile(%q) = %v, want %v", tt.cmdline, got, tt.want)
		}
	}
}
