// Package blob stores content-addressed bytes as read-only files on a local
// file system, named by their SHA-256.
//
// A store rooted at dir keeps each blob at dir/sha256/ab/cd/abcd…(64 hex),
// and writes new blobs through dir/tmp, so a blob appears under its name
// only once its bytes are complete and synced. Put is safe for concurrent
// use by many goroutines and many processes sharing the directory, and so
// is RemoveUnused, which collects blobs nothing refers to beside them.
package blob

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

var _ archive.BlobStore = (*Store)(nil)

const (
	objectsDir = "sha256"
	tempDir    = "tmp"
	tempPrefix = "put-"
	dirMode    = 0o755
	blobMode   = 0o444
	bufSize    = 256 << 10
)

// Store is a content-addressed blob store in a local directory. Its methods
// are safe for concurrent use.
type Store struct {
	dir  string // the root, usually <data>/blobs
	objs string // dir/sha256
	tmp  string // dir/tmp
}

// Open returns the store rooted at dir, creating dir/sha256 and dir/tmp if
// they do not exist.
func Open(dir string) (*Store, error) {
	s := &Store{
		dir:  dir,
		objs: filepath.Join(dir, objectsDir),
		tmp:  filepath.Join(dir, tempDir),
	}
	for _, d := range []string{s.objs, s.tmp} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return nil, fmt.Errorf("blob: create directory %s: %w", d, bare(err))
		}
	}
	return s, nil
}

// Dir returns the directory the store was opened with.
func (s *Store) Dir() string { return s.dir }

// Path returns the file name under which the blob named by sum is (or would
// be) stored, or "" if sum is not 64 lowercase hex digits.
func (s *Store) Path(sum string) string {
	if !ValidHash(sum) {
		return ""
	}
	return s.path(sum)
}

func (s *Store) path(sum string) string {
	return filepath.Join(s.objs, sum[0:2], sum[2:4], sum)
}

// ValidHash reports whether sum is a SHA-256 written as 64 lowercase hex
// digits, the only form the store accepts as a name.
func ValidHash(sum string) bool {
	if len(sum) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(sum); i++ {
		if !isHexDigit(sum[i]) {
			return false
		}
	}
	return true
}

func checkHash(sum string) error {
	if !ValidHash(sum) {
		return fmt.Errorf("blob: invalid sha256 %q: want 64 lowercase hex digits", truncate(sum, 80))
	}
	return nil
}

// Put stores everything read from r and returns its hash and size. The
// bytes go to a temporary file that is synced and then linked into place,
// so a blob is never visible half-written. Storing bytes that are already
// present leaves the existing file's bytes untouched but sets its
// modification time to now, so that the file's age is always the time
// since it was last stored: RemoveUnused (garbage collection) relies on
// that to spare a blob that a capture has just stored again and is about
// to record. If ctx is cancelled while r is being read, Put stops and
// returns ctx's error. On any error nothing is left behind; write errors
// wrap the underlying errno (for example syscall.ENOSPC), and errors from
// r are wrapped as "blob: read: …".
func (s *Store) Put(ctx context.Context, r io.Reader) (ref archive.BlobRef, err error) {
	return s.put(ctx, r, "")
}

// put is Put; when want is not empty, bytes that do not hash to want are
// not stored, and the error wraps archive.ErrCorrupt.
func (s *Store) put(ctx context.Context, r io.Reader, want string) (ref archive.BlobRef, err error) {
	if err := ctx.Err(); err != nil {
		return archive.BlobRef{}, fmt.Errorf("blob: put: %w", err)
	}
	f, err := os.CreateTemp(s.tmp, tempPrefix+"*")
	if err != nil {
		return archive.BlobRef{}, fmt.Errorf("blob: create temp file in %s: %w", s.tmp, bare(err))
	}
	tmpName := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmpName)
		}
	}()

	h := sha256.New()
	size, err := copyHashed(ctx, f, h, r)
	if err != nil {
		return archive.BlobRef{}, err
	}
	// Make the file read-only before it gets its final name, so it is never
	// visible there as writable.
	if err := f.Chmod(blobMode); err != nil {
		return archive.BlobRef{}, fmt.Errorf("blob: chmod: %w", bare(err))
	}
	if err := f.Sync(); err != nil {
		return archive.BlobRef{}, fmt.Errorf("blob: sync: %w", bare(err))
	}
	closed = true
	if err := f.Close(); err != nil {
		return archive.BlobRef{}, fmt.Errorf("blob: close: %w", bare(err))
	}

	ref = archive.BlobRef{SHA256: hex.EncodeToString(h.Sum(nil)), Size: size}
	if want != "" && ref.SHA256 != want {
		return archive.BlobRef{}, fmt.Errorf("blob: %s: %w (hashes to %s)", want, archive.ErrCorrupt, ref.SHA256)
	}
	if err := s.commit(tmpName, ref); err != nil {
		return archive.BlobRef{}, err
	}
	return ref, nil
}

// copyHashed copies r into both f and h, checking ctx before every read.
// The hashing runs beside the reads and writes, on buffers handed over and
// back, so a large blob takes the longer of the two rather than their sum.
func copyHashed(ctx context.Context, f *os.File, h io.Writer, r io.Reader) (n int64, err error) {
	free := make(chan []byte, 2)
	free <- make([]byte, bufSize)
	free <- make([]byte, bufSize)
	full := make(chan []byte, 2)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range full {
			h.Write(b) // a hash.Hash never returns an error
			free <- b[:cap(b)]
		}
	}()
	defer func() {
		close(full)
		<-hashed // h is complete, or abandoned with err
	}()
	for {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("blob: put: %w", err)
		}
		buf := <-free
		nr, rerr := r.Read(buf)
		if nr > 0 {
			full <- buf[:nr]
			if _, err := f.Write(buf[:nr]); err != nil {
				return n, fmt.Errorf("blob: write: %w", bare(err))
			}
			n += int64(nr)
		} else {
			free <- buf
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("blob: read: %w", rerr)
		}
	}
}

// commit gives the complete, synced temporary file tmpName its final name.
// It uses link(2), which never replaces an existing file, so of several
// writers of the same bytes the first one wins and the others only remove
// their temporary files, after setting the existing file's modification
// time to now (see Put). The temporary file is removed in every case.
func (s *Store) commit(tmpName string, ref archive.BlobRef) error {
	defer os.Remove(tmpName)
	target := s.path(ref.SHA256)
	parent := filepath.Dir(target)
	if err := s.mkdirs(parent); err != nil {
		return err
	}

	lerr := os.Link(tmpName, target)
	// A garbage collector (RemoveUnused) may move the existing file away
	// between the failed link and the touch below; the link is then tried
	// again.
	for attempt := 0; errors.Is(lerr, fs.ErrExist) && attempt < 3; attempt++ {
		fi, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			lerr = os.Link(tmpName, target)
			continue
		}
		if err != nil {
			return fmt.Errorf("blob: stat %s: %w", ref.SHA256, bare(err))
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("blob: %s exists and is not a regular file", target)
		}
		if fi.Size() == ref.Size {
			// Already stored: keep the file, and make it young again.
			now := time.Now()
			err := os.Chtimes(target, now, now)
			if err == nil {
				return nil
			}
			if errors.Is(err, fs.ErrNotExist) {
				lerr = os.Link(tmpName, target)
				continue
			}
			// Not ours to touch (another owner): the same, verified
			// bytes replace it under a new, young inode.
		}
		// A file of the wrong size cannot hold these bytes; the new,
		// verified bytes replace it.
		lerr = nil
		if err := os.Rename(tmpName, target); err != nil {
			return fmt.Errorf("blob: rename: %w", bare(err))
		}
	}
	switch {
	case lerr == nil:
	case errors.Is(lerr, fs.ErrExist):
		// Still there after every attempt: replace it; rename is atomic.
		if err := os.Rename(tmpName, target); err != nil {
			return fmt.Errorf("blob: rename: %w", bare(err))
		}
	default:
		// Some file systems have no hard links; rename is still atomic,
		// though it may replace a copy another writer has just stored.
		if err := os.Rename(tmpName, target); err != nil {
			return fmt.Errorf("blob: rename: %w", bare(err))
		}
	}
	return syncDir(parent)
}

// mkdirs creates the two fan-out directories above a blob, syncing the
// directory that gains an entry whenever one is created.
func (s *Store) mkdirs(parent string) error {
	mid := filepath.Dir(parent)
	for _, d := range []string{mid, parent} {
		err := os.Mkdir(d, dirMode)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("blob: create directory %s: %w", d, bare(err))
		}
		if err == nil {
			if err := syncDir(filepath.Dir(d)); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncDir flushes a directory's entries to stable storage.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: sync directory %s: %w", dir, bare(err))
	}
	err = d.Sync()
	cerr := d.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blob: sync directory %s: %w", dir, bare(err))
	}
	return nil
}

// PutFile stores the contents of the file at path, as Put does.
func (s *Store) PutFile(ctx context.Context, path string) (archive.BlobRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return archive.BlobRef{}, fmt.Errorf("blob: %w", err)
	}
	defer f.Close()
	return s.Put(ctx, f)
}

// Open returns the bytes named by sum for reading. It returns an error
// wrapping archive.ErrNotFound if the blob is not stored, and an error if
// sum is not 64 lowercase hex digits.
func (s *Store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if err := checkHash(sum); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", sum, err)
	}
	f, err := os.Open(s.path(sum))
	if err != nil {
		return nil, notFound("open", sum, err)
	}
	return f, nil
}

// Has reports whether the blob named by sum is stored. It returns an error
// if sum is not 64 lowercase hex digits or the file cannot be examined.
func (s *Store) Has(ctx context.Context, sum string) (bool, error) {
	_, err := s.Stat(ctx, sum)
	if errors.Is(err, archive.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Stat returns the size of the blob named by sum, or an error wrapping
// archive.ErrNotFound if it is not stored.
func (s *Store) Stat(ctx context.Context, sum string) (int64, error) {
	if err := checkHash(sum); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("blob: stat %s: %w", sum, err)
	}
	fi, err := os.Stat(s.path(sum))
	if err != nil {
		return 0, notFound("stat", sum, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("blob: stat %s: not a regular file", sum)
	}
	return fi.Size(), nil
}

// Verify re-reads the blob named by sum and checks that its bytes still
// hash to sum. It returns an error wrapping archive.ErrCorrupt if they do
// not, and one wrapping archive.ErrNotFound if the blob is not stored.
func (s *Store) Verify(ctx context.Context, sum string) error {
	rc, err := s.Open(ctx, sum)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	buf := make([]byte, bufSize)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blob: verify %s: %w", sum, err)
		}
		n, rerr := rc.Read(buf)
		h.Write(buf[:n])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("blob: verify %s: %w", sum, bare(rerr))
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("blob: verify %s: %w (hashes to %s)", sum, archive.ErrCorrupt, got)
	}
	return nil
}

// Walk calls fn for every stored blob, in order of hash. Files that are not
// blobs, or that sit in the wrong fan-out directory, are skipped, as is the
// temporary directory. If fn returns fs.SkipAll, Walk stops and returns nil;
// any other error from fn stops Walk and is returned as it is.
func (s *Store) Walk(ctx context.Context, fn func(ref archive.BlobRef) error) error {
	tops, err := readDir(s.objs)
	if err != nil {
		return err
	}
	for _, top := range tops {
		if !top.IsDir() || !isHexPair(top.Name()) {
			continue
		}
		topDir := filepath.Join(s.objs, top.Name())
		mids, err := readDir(topDir)
		if err != nil {
			return err
		}
		for _, mid := range mids {
			if !mid.IsDir() || !isHexPair(mid.Name()) {
				continue
			}
			midDir := filepath.Join(topDir, mid.Name())
			files, err := readDir(midDir)
			if err != nil {
				return err
			}
			prefix := top.Name() + mid.Name()
			for _, e := range files {
				name := e.Name()
				if !e.Type().IsRegular() || !ValidHash(name) || name[:4] != prefix {
					continue
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("blob: walk: %w", err)
				}
				fi, err := e.Info()
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return fmt.Errorf("blob: walk: %w", err)
				}
				if err := fn(archive.BlobRef{SHA256: name, Size: fi.Size()}); err != nil {
					if errors.Is(err, fs.SkipAll) {
						return nil
					}
					return err
				}
			}
		}
	}
	return nil
}

// readDir lists dir sorted by name; a directory removed meanwhile is empty.
func readDir(dir string) ([]fs.DirEntry, error) {
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("blob: walk: %w", err)
	}
	return es, nil
}

// isHexPair reports whether name is a fan-out directory name: two
// lowercase hex digits.
func isHexPair(name string) bool {
	return len(name) == 2 && isHexDigit(name[0]) && isHexDigit(name[1])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}

// CleanTemp removes temporary files left in the store's tmp directory by
// writes that crashed, if they were last modified more than olderThan ago.
// Blobs that RemoveUnused moved aside are left for RestoreRemovals.
// Choose olderThan well beyond the longest stall of a running Put, whose
// temporary file it would otherwise remove. It reports how many files it
// removed, and carries on past files it cannot remove, returning the
// first such error and how many there were.
func (s *Store) CleanTemp(olderThan time.Duration) (removed int, err error) {
	es, err := os.ReadDir(s.tmp)
	if err != nil {
		return 0, fmt.Errorf("blob: clean temp: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	var failed int
	var first error
	for _, e := range es {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), quarantinePrefix) {
			continue // blobs being removed are RemoveUnused's to settle
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			failed++
			first = cmp.Or(first, err)
			continue
		}
		if !fi.ModTime().Before(cutoff) {
			continue
		}
		err = os.Remove(filepath.Join(s.tmp, e.Name()))
		switch {
		case err == nil:
			removed++
		case !errors.Is(err, fs.ErrNotExist):
			failed++
			first = cmp.Or(first, err)
		}
	}
	if failed > 0 {
		return removed, fmt.Errorf("blob: clean temp: %d files not removed: %w", failed, first)
	}
	return removed, nil
}

// notFound maps a missing file to archive.ErrNotFound.
func notFound(op, sum string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: %s %s: %w", op, sum, archive.ErrNotFound)
	}
	return fmt.Errorf("blob: %s %s: %w", op, sum, bare(err))
}

// bare strips the operation and file name that *fs.PathError and
// *os.LinkError add, keeping the underlying error (usually a
// syscall.Errno), so that messages stay short and errors.Is still matches
// the errno. Callers add the context that matters.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
