package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/verbatim-archive/verbatim/archive/blob"
)

// mountTmpfs mounts a tmpfs with the given options on a fresh directory and
// unmounts it when the test ends. It skips the test where mounting is not
// permitted.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			t.Skipf("skipping: mounting a tmpfs is not permitted here: %v", err)
		}
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// remountReadOnly makes the tmpfs mounted at dir read-only.
func remountReadOnly(t *testing.T, dir, opts string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, opts); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
}

func TestPutDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "size=1m")
	dir := filepath.Join(mnt, "blobs")
	s, err := blob.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	_, err = s.Put(context.Background(), bytes.NewReader(randomBytes(2<<20, 7)))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put of 2 MiB into 1 MiB = %v, want syscall.ENOSPC", err)
	}
	if got, want := err.Error(), "blob: write: no space left on device"; got != want {
		t.Errorf("Put error = %q, want %q", got, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("Put error spans several lines: %q", err)
	}
	assertNoTemp(t, dir)
	if got := walkAll(t, s); len(got) != 0 {
		t.Errorf("Walk = %v, want no blobs", got)
	}

	// The space is given back: a small blob still fits.
	mustPut(t, s, []byte("small"))
}

func TestReadOnly(t *testing.T) {
	const opts = "size=1m"

	t.Run("new store", func(t *testing.T) {
		mnt := mountTmpfs(t, opts)
		remountReadOnly(t, mnt, opts)
		dir := filepath.Join(mnt, "blobs")
		_, err := blob.Open(dir)
		if !errors.Is(err, syscall.EROFS) {
			t.Fatalf("Open on a read-only mount = %v, want syscall.EROFS", err)
		}
		want := "blob: create directory " + filepath.Join(dir, "sha256") + ": read-only file system"
		if got := err.Error(); got != want {
			t.Errorf("Open error = %q, want %q", got, want)
		}
	})

	t.Run("existing store", func(t *testing.T) {
		mnt := mountTmpfs(t, opts)
		dir := filepath.Join(mnt, "blobs")
		s, err := blob.Open(dir)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		ref := mustPut(t, s, []byte("stored before"))
		remountReadOnly(t, mnt, opts)

		_, err = s.Put(context.Background(), bytes.NewReader([]byte("new")))
		if !errors.Is(err, syscall.EROFS) {
			t.Fatalf("Put on a read-only mount = %v, want syscall.EROFS", err)
		}
		want := "blob: create temp file in " + filepath.Join(dir, "tmp") + ": read-only file system"
		if got := err.Error(); got != want {
			t.Errorf("Put error = %q, want %q", got, want)
		}

		// Reading still works.
		if err := s.Verify(context.Background(), ref.SHA256); err != nil {
			t.Errorf("Verify on a read-only mount: %v", err)
		}
	})
}
