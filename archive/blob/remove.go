package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// quarantinePrefix names, in the tmp directory, a blob that RemoveUnused
// has moved out of its place while it decides: "gc-<sha256>-<random>".
const quarantinePrefix = "gc-"

// RemoveUnused removes the blob named by sum if it was last stored before
// cutoff and inUse says that nothing refers to it. It reports whether the
// blob is gone, and its size.
//
// It is safe to run while other goroutines or processes store blobs and
// record them, as a capture does (Put first, then a row naming the hash),
// provided no capture takes longer than the grace period (now - cutoff)
// between the two. The blob is first moved out of its place (a rename into
// the tmp directory), so that a Put of the same bytes from then on writes
// a new file rather than finding the old one; then the moved file's
// modification time is checked again (Put sets it to now when it finds the
// bytes already stored, and may have done so just before the move); then
// inUse is asked, last, so that a row recorded at any moment before is
// seen. Only if the blob is still old and unused is the moved file
// deleted; otherwise it is put back. A reader may find the blob missing
// for the moment it is moved aside; a crash in that moment leaves it in
// the tmp directory, where RestoreRemovals puts it back.
//
// inUse errors are returned, and the blob is kept. It returns an error if
// sum is not 64 lowercase hex digits.
func (s *Store) RemoveUnused(ctx context.Context, sum string, cutoff time.Time, inUse func(context.Context) (bool, error)) (removed bool, size int64, err error) {
	if err := checkHash(sum); err != nil {
		return false, 0, err
	}
	if err := ctx.Err(); err != nil {
		return false, 0, fmt.Errorf("blob: remove %s: %w", sum, err)
	}
	target := s.path(sum)
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, 0, nil
	case err != nil:
		return false, 0, fmt.Errorf("blob: remove %s: %w", sum, bare(err))
	case !fi.Mode().IsRegular():
		return false, 0, fmt.Errorf("blob: remove %s: not a regular file", sum)
	case !fi.ModTime().Before(cutoff):
		return false, fi.Size(), nil
	}

	q := filepath.Join(s.tmp, quarantinePrefix+sum+"-"+randomSuffix())
	if err := os.Rename(target, q); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, 0, nil // removed meanwhile
		}
		return false, 0, fmt.Errorf("blob: remove %s: %w", sum, bare(err))
	}
	keep := func(err error) (bool, int64, error) {
		if rerr := s.restore(q, target); rerr != nil && err == nil {
			err = rerr
		}
		return false, fi.Size(), err
	}
	qi, err := os.Lstat(q)
	if errors.Is(err, fs.ErrNotExist) {
		return false, fi.Size(), nil // another process put it back (RestoreRemovals)
	}
	if err != nil {
		return keep(fmt.Errorf("blob: remove %s: %w", sum, bare(err)))
	}
	if !qi.ModTime().Before(cutoff) {
		return keep(nil) // stored again just now: a capture is on its way
	}
	used, err := inUse(ctx)
	if err != nil {
		return keep(fmt.Errorf("blob: remove %s: %w", sum, err))
	}
	if used {
		return keep(nil)
	}
	if err := os.Remove(q); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return keep(fmt.Errorf("blob: remove %s: %w", sum, bare(err)))
	}
	// A Put of the same bytes after the move stored a new file.
	if _, err := os.Lstat(target); err == nil {
		return false, qi.Size(), nil
	}
	return true, qi.Size(), nil
}

// restore puts the moved-aside file q back at target, unless a Put has
// stored the blob there again meanwhile, and removes q.
func (s *Store) restore(q, target string) error {
	if err := s.mkdirs(filepath.Dir(target)); err != nil {
		return err
	}
	err := os.Link(q, target)
	switch {
	case err == nil, errors.Is(err, fs.ErrExist):
		if err := os.Remove(q); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: restore %s: %w", filepath.Base(target), bare(err))
		}
	case errors.Is(err, fs.ErrNotExist):
		// Already put back by RestoreRemovals in another process.
	default:
		// No hard links here: rename, which may replace a copy just
		// stored by Put with the same bytes.
		if err := os.Rename(q, target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: restore %s: %w", filepath.Base(target), bare(err))
		}
	}
	return syncDir(filepath.Dir(target))
}

// RestoreRemovals puts back every blob that a RemoveUnused interrupted by
// a crash left moved aside in the tmp directory, and reports how many it
// found. A blob put back that nothing refers to is removed by the next
// collection. Run it before a collection (Collect in archive/audit does).
func (s *Store) RestoreRemovals() (int, error) {
	es, err := os.ReadDir(s.tmp)
	if err != nil {
		return 0, fmt.Errorf("blob: restore: %w", err)
	}
	n := 0
	for _, e := range es {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, quarantinePrefix)
		if !ok || !e.Type().IsRegular() || len(rest) < 64 || !ValidHash(rest[:64]) {
			continue
		}
		if err := s.restore(filepath.Join(s.tmp, name), s.path(rest[:64])); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
