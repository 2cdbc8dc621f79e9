package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/verbatim-archive/verbatim/archive"
)

// How CopyFrom stored a blob.
const (
	// Linked: a hard link to the source's file (same file system).
	Linked = "linked"
	// Copied: a new file with the same bytes.
	Copied = "copied"
	// Present: the store already held the blob, and its bytes checked.
	Present = "present"
)

// CopyFrom stores the blob named by sum from src into s and reports how
// (Linked, Copied or Present) and its size. With link, it makes a hard
// link to src's file when the two stores share a file system, which costs
// no space and is safe because blobs are read-only and never rewritten in
// place; otherwise, or without link, it copies the bytes as Put does.
// Either way the bytes now under s's name are hashed and must hash to sum:
// if they do not, nothing is left in s and the error wraps
// archive.ErrCorrupt. A blob src does not hold is an error wrapping
// archive.ErrNotFound. A blob s already holds is hashed too; bad bytes
// there are replaced.
func (s *Store) CopyFrom(ctx context.Context, src *Store, sum string, link bool) (how string, size int64, err error) {
	if err := checkHash(sum); err != nil {
		return "", 0, err
	}
	dst := s.path(sum)
	if _, err := os.Lstat(dst); err == nil {
		n, err := verifyFile(ctx, dst, sum)
		if err == nil {
			return Present, n, nil
		}
		if !errors.Is(err, archive.ErrCorrupt) {
			return "", 0, err
		}
		if err := os.Remove(dst); err != nil {
			return "", 0, fmt.Errorf("blob: copy %s: %w", sum, bare(err))
		}
	}
	if link {
		if err := s.mkdirs(filepath.Dir(dst)); err != nil {
			return "", 0, err
		}
		lerr := os.Link(src.path(sum), dst)
		switch {
		case lerr == nil || errors.Is(lerr, fs.ErrExist):
			n, err := verifyFile(ctx, dst, sum)
			if err != nil {
				if lerr == nil || errors.Is(err, archive.ErrCorrupt) {
					os.Remove(dst)
				}
				return "", 0, err
			}
			if lerr != nil {
				return Present, n, nil // stored by another writer meanwhile
			}
			return Linked, n, syncDir(filepath.Dir(dst))
		case errors.Is(lerr, fs.ErrNotExist):
			return "", 0, fmt.Errorf("blob: copy %s: %w", sum, archive.ErrNotFound)
		}
		// Another file system (EXDEV), or no hard links there: copy.
	}
	rc, err := src.Open(ctx, sum)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	ref, err := s.put(ctx, rc, sum)
	if err != nil {
		return "", 0, err
	}
	return Copied, ref.Size, nil
}

// verifyFile hashes the file at path and checks that it hashes to sum.
func verifyFile(ctx context.Context, path, sum string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, notFound("verify", sum, err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, bufSize)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("blob: verify %s: %w", sum, err)
		}
		k, rerr := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return n, fmt.Errorf("blob: verify %s: %w", sum, bare(rerr))
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return n, fmt.Errorf("blob: verify %s: %w (hashes to %s)", sum, archive.ErrCorrupt, got)
	}
	return n, nil
}
