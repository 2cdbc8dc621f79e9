//go:build linux

package browser

import (
	"bytes"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"
)

// killLeftovers kills every process whose command line names dir as its
// Chromium profile, until none has been seen for a few passes in a row:
// Chromium's helpers (zygote, renderers, network service) can outlive a
// killed browser and keep writing into the directory.
func killLeftovers(dir string) {
	const (
		quietPasses = 3
		pause       = 10 * time.Millisecond
		limit       = 3 * time.Second
	)
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < quietPasses && time.Now().Before(deadline); time.Sleep(pause) {
		pids := processesUsing(dir)
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if len(pids) == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// processesUsing returns the processes whose command line holds
// --user-data-dir=dir.
func processesUsing(dir string) []int {
	want := []byte("--user-data-dir=" + dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			if bytes.Equal(arg, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// profileCommandLines returns the command lines (/proc/PID/cmdline: the
// arguments separated by NUL bytes) of the running processes that name a
// --user-data-dir, this process's Chromium included. It fails when /proc
// cannot be read, so that no directory is taken for unused by mistake.
func profileCommandLines() ([][]byte, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	flag := []byte("--user-data-dir=")
	var cmdlines [][]byte
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmdline, flag) {
			cmdlines = append(cmdlines, cmdline)
		}
	}
	return cmdlines, nil
}

// ownedBySelf reports whether this process's user owns the file.
func ownedBySelf(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
