// Package verify compares quoted or republished text with its original: it normalises text
// (Normalize), splits it into words that remember where they came from (Words), and diffs two
// texts word by word (DiffWords, Similarity, RenderText, RenderHTML).
//
// Everything here is a pure function of its arguments: no I/O, no network, no database, no clock
// and no package-level mutable state, so callers may use it from any goroutine.
package verify
