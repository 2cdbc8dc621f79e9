package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processOwner names this process for the job runs it starts:
// host/pid/start, where start is the process's start time in clock ticks
// after boot (Linux), so that a pid used again by another process does not
// pass for it.
var processOwner = func() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return fmt.Sprintf("%s/%d/%s", host, pid, processStart(pid))
}()

// processStart returns the start time of process pid from /proc, or "" where
// there is no /proc.
func processStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state is field 3, starttime field 22.
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerGone reports whether the process an owner string names has ended:
// only for owners on this host; another host's processes cannot be seen.
func ownerGone(owner, host string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	if start := processStart(pid); start != "" {
		return parts[2] != "" && start != parts[2] // the pid is now another process's
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		return true // /proc works and the pid is not in it
	}
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}
