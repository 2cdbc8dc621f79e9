package browser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// profilePrefix begins the name of every profile directory a pool makes in
// the temporary directory.
const profilePrefix = "verbatim-chromium-"

// staleProfileAge is how long a profile directory must have been left
// unchanged before it can be removed as stale. Another Verbatim process
// makes its directory a moment before it starts Chromium, and only then
// does a command line name it; the wait keeps that moment safe.
const staleProfileAge = time.Minute

// removeStaleProfiles removes the profile directories that Verbatim
// processes killed while Chromium ran (SIGKILL, a crash, the OOM killer)
// left in the temporary directory: nothing else ever removes them. A
// directory is left alone when some running process's command line names
// it as --user-data-dir (a Chromium of another pool or process, or a
// helper that outlived its browser), when it changed less than
// staleProfileAge ago, when it belongs to another user, or when the
// processes cannot be listed at all (systems without /proc).
func (p *Pool) removeStaleProfiles() {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		p.log.Warn("look for stale chromium profiles", "dir", tmp, "err", err)
		return
	}
	var candidates []os.DirEntry
	for _, e := range entries {
		// A symbolic link is not a directory entry here (ReadDir does
		// not follow links), so only real directories are candidates.
		if e.IsDir() && strings.HasPrefix(e.Name(), profilePrefix) {
			candidates = append(candidates, e)
		}
	}
	if len(candidates) == 0 {
		return
	}
	cmdlines, err := profileCommandLines()
	if err != nil {
		p.log.Debug("stale chromium profiles left alone: cannot list processes", "err", err)
		return
	}
	cutoff := time.Now().Add(-staleProfileAge)
	for _, e := range candidates {
		dir := filepath.Join(tmp, e.Name())
		info, err := e.Info()
		if err != nil || !ownedBySelf(info) || info.ModTime().After(cutoff) {
			continue
		}
		if namesProfile(cmdlines, e.Name()) {
			p.log.Debug("chromium profile in use; kept", "dir", dir)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			p.log.Warn("remove stale chromium profile", "dir", dir, "err", err)
			continue
		}
		p.log.Info("removed stale chromium profile", "dir", dir, "modified", info.ModTime().Format(time.RFC3339))
	}
}

// namesProfile reports whether one of cmdlines (each a /proc cmdline: the
// arguments separated by NUL bytes) names a profile directory whose last
// element is name. It errs on the side of "in use": it looks for name as
// a whole path element anywhere in a command line that holds
// --user-data-dir=, so it also matches the helpers (zygote, renderers)
// that rewrite their command line into one space-separated string, and a
// directory named by another spelling of the temporary directory's path.
func namesProfile(cmdlines [][]byte, name string) bool {
	for _, c := range cmdlines {
		for rest := c; ; {
			i := bytes.Index(rest, []byte(name))
			if i < 0 {
				break
			}
			before, after := byte(0), byte(0)
			if i > 0 {
				before = rest[i-1]
			}
			if j := i + len(name); j < len(rest) {
				after = rest[j]
			}
			if isPathEdge(before) && (isPathEdge(after) || after == '/') {
				return true
			}
			rest = rest[i+1:]
		}
	}
	return false
}

// isPathEdge reports whether b can stand next to a path element in a
// command line: a separator between arguments, the path's, or the = of a
// flag.
func isPathEdge(b byte) bool { return b == 0 || b == ' ' || b == '/' || b == '=' }
