//go:build !linux

package browser

import (
	"errors"
	"io/fs"
)

// killLeftovers does nothing where /proc is missing; Chromium's helpers exit
// with the browser there.
func killLeftovers(string) {}

// processesUsing finds nothing where /proc is missing.
func processesUsing(string) []int { return nil }

// profileCommandLines cannot tell which profile directories are in use
// where /proc is missing, so stale ones are left alone there.
func profileCommandLines() ([][]byte, error) {
	return nil, errors.ErrUnsupported
}

// ownedBySelf is false where it cannot be told.
func ownedBySelf(fs.FileInfo) bool { return false }
