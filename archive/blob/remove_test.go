package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
)

// backdate sets the blob's modification time to d ago.
func backdate(t testing.TB, s *blob.Store, sum string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	if err := os.Chtimes(s.Path(sum), old, old); err != nil {
		t.Fatal(err)
	}
}

func unused(context.Context) (bool, error) { return false, nil }

func TestGCRemoveUnused(t *testing.T) {
	ctx := context.Background()
	cutoff := time.Now().Add(-time.Hour)
	tests := []struct {
		name    string
		age     time.Duration
		inUse   func(s *blob.Store, data []byte) func(context.Context) (bool, error)
		removed bool
	}{
		{"old and unused", 2 * time.Hour, func(*blob.Store, []byte) func(context.Context) (bool, error) { return unused }, true},
		{"young", time.Minute, func(*blob.Store, []byte) func(context.Context) (bool, error) { return unused }, false},
		{"in use", 2 * time.Hour, func(*blob.Store, []byte) func(context.Context) (bool, error) {
			return func(context.Context) (bool, error) { return true, nil }
		}, false},
		{"lookup fails", 2 * time.Hour, func(*blob.Store, []byte) func(context.Context) (bool, error) {
			return func(context.Context) (bool, error) { return false, errors.New("database is locked") }
		}, false},
		// A capture stores the same bytes while the blob is moved aside:
		// Put writes a new file, which stays.
		{"stored again meanwhile", 2 * time.Hour, func(s *blob.Store, data []byte) func(context.Context) (bool, error) {
			return func(ctx context.Context) (bool, error) {
				if _, err := s.Put(ctx, bytes.NewReader(data)); err != nil {
					return false, err
				}
				return false, nil
			}
		}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := openStore(t)
			data := randomBytes(5000, uint64(100+i))
			ref := mustPut(t, s, data)
			backdate(t, s, ref.SHA256, tt.age)
			removed, size, err := s.RemoveUnused(ctx, ref.SHA256, cutoff, tt.inUse(s, data))
			if tt.name == "lookup fails" {
				if err == nil {
					t.Errorf("no error from a failed lookup")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if removed != tt.removed {
				t.Errorf("removed = %v, want %v", removed, tt.removed)
			}
			if removed && size != ref.Size {
				t.Errorf("size = %d, want %d", size, ref.Size)
			}
			has, _ := s.Has(ctx, ref.SHA256)
			if has == tt.removed {
				t.Errorf("blob present = %v after removed = %v", has, removed)
			}
			if has {
				if err := s.Verify(ctx, ref.SHA256); err != nil {
					t.Errorf("kept blob: %v", err)
				}
			}
			assertNoTemp(t, dir)
		})
	}
}

// TestGCPutRefreshesAge: a Put of bytes already stored makes the blob
// young, so that a collection that listed it as old spares it.
func TestGCPutRefreshesAge(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	data := []byte("stored, orphaned, then stored again by a capture")
	ref := mustPut(t, s, data)
	backdate(t, s, ref.SHA256, 2*time.Hour)
	mustPut(t, s, data)
	removed, _, err := s.RemoveUnused(ctx, ref.SHA256, time.Now().Add(-time.Hour), unused)
	if err != nil || removed {
		t.Errorf("RemoveUnused of a blob stored again = %v, %v; want kept", removed, err)
	}
}

func TestGCRestoreRemovals(t *testing.T) {
	ctx := context.Background()
	s, dir := openStore(t)
	ref := mustPut(t, s, []byte("moved aside by a collection that crashed"))
	// As RemoveUnused leaves it when killed after the move.
	q := filepath.Join(dir, "tmp", "gc-"+ref.SHA256+"-0123456789ab")
	if err := os.Rename(s.Path(ref.SHA256), q); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(q, old, old)
	// Cleaning temporary files leaves it alone.
	if n, err := s.CleanTemp(time.Hour); err != nil || n != 0 {
		t.Errorf("CleanTemp = %d, %v; want 0 (a moved-aside blob is not a temporary file)", n, err)
	}
	n, err := s.RestoreRemovals()
	if err != nil || n != 1 {
		t.Fatalf("RestoreRemovals = %d, %v; want 1", n, err)
	}
	if err := s.Verify(ctx, ref.SHA256); err != nil {
		t.Errorf("restored blob: %v", err)
	}
	assertNoTemp(t, dir)
}

func TestBackupCopyFrom(t *testing.T) {
	ctx := context.Background()
	src, _ := openStore(t)
	data := randomBytes(70_000, 7)
	ref := mustPut(t, src, data)

	for _, link := range []bool{true, false} {
		dst, _ := openStore(t)
		how, n, err := dst.CopyFrom(ctx, src, ref.SHA256, link)
		if err != nil || n != ref.Size {
			t.Fatalf("CopyFrom(link=%v) = %q, %d, %v", link, how, n, err)
		}
		want := blob.Copied
		if link {
			want = blob.Linked
		}
		if how != want {
			t.Errorf("CopyFrom(link=%v) = %q, want %q", link, how, want)
		}
		a, _ := os.Stat(src.Path(ref.SHA256))
		b, _ := os.Stat(dst.Path(ref.SHA256))
		if os.SameFile(a, b) != link {
			t.Errorf("link=%v: same file = %v", link, os.SameFile(a, b))
		}
		if b.Mode().Perm() != 0o444 {
			t.Errorf("mode %v, want read-only", b.Mode().Perm())
		}
		if how, _, err := dst.CopyFrom(ctx, src, ref.SHA256, link); err != nil || how != blob.Present {
			t.Errorf("second CopyFrom = %q, %v; want present", how, err)
		}
	}

	// A damaged source blob is not copied under its name.
	bad := mustPut(t, src, []byte("this blob will be damaged"))
	p := src.Path(bad.SHA256)
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("this blob was damaged!!!!"), 0o444)
	for _, link := range []bool{true, false} {
		dst, dir := openStore(t)
		if _, _, err := dst.CopyFrom(ctx, src, bad.SHA256, link); !errors.Is(err, archive.ErrCorrupt) {
			t.Errorf("CopyFrom(link=%v) of a damaged blob: %v, want ErrCorrupt", link, err)
		}
		if has, _ := dst.Has(ctx, bad.SHA256); has {
			t.Errorf("link=%v: the damaged blob was stored", link)
		}
		assertNoTemp(t, dir)
	}
	// A missing one is ErrNotFound.
	dst, _ := openStore(t)
	if _, _, err := dst.CopyFrom(ctx, src, hashOf([]byte("never stored")), true); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("CopyFrom of a missing blob: %v, want ErrNotFound", err)
	}
}
