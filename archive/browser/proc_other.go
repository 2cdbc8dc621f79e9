//go:build !linux

package browser

// killLeftovers does nothing where /proc is missing; Chromium's helpers exit
// with the browser there.
func killLeftovers(string) {}

// processesUsing finds nothing where /proc is missing.
func processesUsing(string) []int { return nil }
