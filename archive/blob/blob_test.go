package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
)

// openStore opens a store in a fresh temporary directory.
func openStore(t testing.TB) (*blob.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := blob.Open(dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s, dir
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// mustPut stores b and checks the returned reference.
func mustPut(t testing.TB, s *blob.Store, b []byte) archive.BlobRef {
	t.Helper()
	ref, err := s.Put(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if want := (archive.BlobRef{SHA256: hashOf(b), Size: int64(len(b))}); ref != want {
		t.Fatalf("Put = %+v, want %+v", ref, want)
	}
	return ref
}

// assertNoTemp fails if anything is left in the store's tmp directory.
func assertNoTemp(t testing.TB, dir string) {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatalf("read tmp: %v", err)
	}
	if len(es) != 0 {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("tmp holds %v, want it empty", names)
	}
}

// walkAll returns every blob that Walk reports.
func walkAll(t testing.TB, s *blob.Store) []archive.BlobRef {
	t.Helper()
	var refs []archive.BlobRef
	err := s.Walk(context.Background(), func(ref archive.BlobRef) error {
		refs = append(refs, ref)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return refs
}

func TestOpenCreatesDirectories(t *testing.T) {
	_, dir := openStore(t)
	for _, sub := range []string{"sha256", "tmp"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil {
			t.Fatalf("stat %s: %v", sub, err)
		}
		if !fi.IsDir() {
			t.Errorf("%s is %v, want a directory", sub, fi.Mode())
		}
	}
	// Opening an existing store again is fine.
	if _, err := blob.Open(dir); err != nil {
		t.Errorf("second Open: %v", err)
	}
}

func TestPutOpenRoundtrip(t *testing.T) {
	s, dir := openStore(t)
	ctx := context.Background()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", []byte{}},
		{"hello", []byte("hello")},
		{"one buffer", randomBytes(64<<10, 1)},
		{"several buffers", randomBytes(1<<20+3, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := mustPut(t, s, tt.data)

			rc, err := s.Open(ctx, ref.SHA256)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("read back %d bytes, want the %d bytes stored", len(got), len(tt.data))
			}

			has, err := s.Has(ctx, ref.SHA256)
			if err != nil || !has {
				t.Errorf("Has = %v, %v; want true, nil", has, err)
			}
			size, err := s.Stat(ctx, ref.SHA256)
			if err != nil || size != ref.Size {
				t.Errorf("Stat = %d, %v; want %d, nil", size, err, ref.Size)
			}
			if err := s.Verify(ctx, ref.SHA256); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	assertNoTemp(t, dir)
}

func TestPutFile(t *testing.T) {
	s, _ := openStore(t)
	data := randomBytes(100_000, 3)
	src := filepath.Join(t.TempDir(), "export.zip")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ref, err := s.PutFile(context.Background(), src)
	if err != nil {
		t.Fatalf("PutFile: %v", err)
	}
	if want := (archive.BlobRef{SHA256: hashOf(data), Size: int64(len(data))}); ref != want {
		t.Errorf("PutFile = %+v, want %+v", ref, want)
	}

	_, err = s.PutFile(context.Background(), filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PutFile(missing) error = %v, want fs.ErrNotExist", err)
	}
}

func TestLayout(t *testing.T) {
	s, dir := openStore(t)
	ref := mustPut(t, s, []byte("hello"))
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if ref.SHA256 != sum {
		t.Fatalf("SHA256 = %s, want %s", ref.SHA256, sum)
	}
	want := filepath.Join(dir, "sha256", "2c", "f2", sum)
	if got := s.Path(sum); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	got, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("blob is not at %s: %v", want, err)
	}
	if string(got) != "hello" {
		t.Errorf("file holds %q, want %q", got, "hello")
	}
}

func TestPutTwiceIsNoop(t *testing.T) {
	s, dir := openStore(t)
	data := randomBytes(10_000, 4)
	ref := mustPut(t, s, data)
	path := s.Path(ref.SHA256)

	// Back-date the file.
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := before.Mode().Perm(), fs.FileMode(0o444); got != want {
		t.Errorf("mode = %v, want %v", got, want)
	}

	if got := mustPut(t, s, data); got != ref {
		t.Errorf("second Put = %+v, want %+v", got, ref)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Errorf("second Put replaced the file (inode changed)")
	}
	// The bytes stay; the file is made young again, so that a collector
	// spares a blob a capture has just stored again (see RemoveUnused).
	if got := after.ModTime(); !got.After(old) || time.Since(got) > time.Minute {
		t.Errorf("mtime = %v, want about now (refreshed by the second Put)", got)
	}
	if got, want := after.Mode().Perm(), fs.FileMode(0o444); got != want {
		t.Errorf("mode after second Put = %v, want %v", got, want)
	}
	assertNoTemp(t, dir)
}

func TestPutReplacesWrongSize(t *testing.T) {
	s, dir := openStore(t)
	data := []byte("the real bytes")
	sum := hashOf(data)
	path := s.Path(sum)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("trunc"), 0o444); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, data)
	if err := s.Verify(context.Background(), sum); err != nil {
		t.Errorf("Verify after repairing Put: %v", err)
	}
	assertNoTemp(t, dir)
}

func TestConcurrentPut(t *testing.T) {
	_, dir := openStore(t)
	const (
		writers  = 16
		distinct = 4
	)
	contents := make([][]byte, distinct)
	for i := range contents {
		contents[i] = randomBytes(200_000+i, uint64(10+i))
	}

	var wg sync.WaitGroup
	errs := make(chan error, writers*distinct)
	for w := range writers {
		// Each writer opens its own Store, as a separate process would.
		s, err := blob.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i, data := range contents {
			wg.Go(func() {
				ref, err := s.Put(context.Background(), bytes.NewReader(data))
				if err != nil {
					errs <- fmt.Errorf("writer %d content %d: %w", w, i, err)
					return
				}
				if want := hashOf(data); ref.SHA256 != want {
					errs <- fmt.Errorf("writer %d content %d: got %s, want %s", w, i, ref.SHA256, want)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	s, err := blob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(walkAll(t, s)); got != distinct {
		t.Errorf("Walk found %d blobs, want %d", got, distinct)
	}
	for _, data := range contents {
		if err := s.Verify(context.Background(), hashOf(data)); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	assertNoTemp(t, dir)
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	ref := mustPut(t, s, randomBytes(300_000, 5))
	if err := s.Verify(ctx, ref.SHA256); err != nil {
		t.Fatalf("Verify of intact blob: %v", err)
	}

	path := s.Path(ref.SHA256)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 150_000); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, 150_000); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	err = s.Verify(ctx, ref.SHA256)
	if !errors.Is(err, archive.ErrCorrupt) {
		t.Errorf("Verify of corrupted blob = %v, want archive.ErrCorrupt", err)
	}

	missing := hashOf([]byte("never stored"))
	if err := s.Verify(ctx, missing); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("Verify of missing blob = %v, want archive.ErrNotFound", err)
	}
}

func TestWalk(t *testing.T) {
	s, dir := openStore(t)
	var want []archive.BlobRef
	for i := range 20 {
		want = append(want, mustPut(t, s, randomBytes(i*37, uint64(100+i))))
	}
	slices.SortFunc(want, func(a, b archive.BlobRef) int { return strings.Compare(a.SHA256, b.SHA256) })

	// Things that are not blobs: a temp file, a stray file, a blob-named
	// file in the wrong fan-out directory.
	stray := []string{
		filepath.Join(dir, "tmp", "put-123"),
		filepath.Join(dir, "sha256", "README"),
		filepath.Join(dir, "sha256", "00", "00", want[0].SHA256),
	}
	for _, p := range stray {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if got := walkAll(t, s); !slices.Equal(got, want) {
		t.Errorf("Walk = %v, want %v", got, want)
	}

	t.Run("stops on error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := s.Walk(context.Background(), func(archive.BlobRef) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("Walk = %v after %d calls, want %v after 1", err, n, stop)
		}
	})
	t.Run("SkipAll", func(t *testing.T) {
		n := 0
		err := s.Walk(context.Background(), func(archive.BlobRef) error {
			n++
			return fs.SkipAll
		})
		if err != nil || n != 1 {
			t.Errorf("Walk = %v after %d calls, want nil after 1", err, n)
		}
	})
}

func TestInvalidHash(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	valid := hashOf([]byte("x"))
	tests := []struct {
		name string
		sum  string
	}{
		{"path traversal", "../../etc/passwd"},
		{"traversal padded to 64", "../../../../../../../../../../../../../../../../../../etc/passwd"},
		{"empty", ""},
		{"uppercase", strings.ToUpper(valid)},
		{"too short", valid[:63]},
		{"too long", valid + "0"},
		{"not hex", "g" + valid[1:]},
		{"slash inside", valid[:10] + "/" + valid[11:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if blob.ValidHash(tt.sum) {
				t.Errorf("ValidHash(%q) = true, want false", tt.sum)
			}
			if got := s.Path(tt.sum); got != "" {
				t.Errorf("Path = %q, want \"\"", got)
			}
			if rc, err := s.Open(ctx, tt.sum); err == nil || errors.Is(err, archive.ErrNotFound) {
				if rc != nil {
					rc.Close()
				}
				t.Errorf("Open error = %v, want an invalid-hash error", err)
			}
			if _, err := s.Has(ctx, tt.sum); err == nil {
				t.Errorf("Has error = nil, want an invalid-hash error")
			}
			if _, err := s.Stat(ctx, tt.sum); err == nil {
				t.Errorf("Stat error = nil, want an invalid-hash error")
			}
			if err := s.Verify(ctx, tt.sum); err == nil {
				t.Errorf("Verify error = nil, want an invalid-hash error")
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	sum := hashOf([]byte("absent"))

	if _, err := s.Open(ctx, sum); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("Open error = %v, want archive.ErrNotFound", err)
	}
	if has, err := s.Has(ctx, sum); has || err != nil {
		t.Errorf("Has = %v, %v; want false, nil", has, err)
	}
	if _, err := s.Stat(ctx, sum); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("Stat error = %v, want archive.ErrNotFound", err)
	}
}

// cancellingReader serves endless bytes and cancels its context after the
// first read.
type cancellingReader struct {
	cancel context.CancelFunc
	reads  int
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	r.reads++
	if r.reads == 1 {
		r.cancel()
	}
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestPutCancelled(t *testing.T) {
	s, dir := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancellingReader{cancel: cancel}

	_, err := s.Put(ctx, r)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put error = %v, want context.Canceled", err)
	}
	if r.reads != 1 {
		t.Errorf("Put read %d times after cancel, want it to stop after 1", r.reads)
	}
	assertNoTemp(t, dir)
	if got := walkAll(t, s); len(got) != 0 {
		t.Errorf("Walk = %v, want no blobs", got)
	}
}

// failingReader returns some bytes, then err.
type failingReader struct {
	err  error
	done bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, r.err
	}
	r.done = true
	return copy(p, "partial"), nil
}

func TestPutReadError(t *testing.T) {
	s, dir := openStore(t)
	boom := errors.New("connection reset")
	_, err := s.Put(context.Background(), &failingReader{err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Put error = %v, want %v", err, boom)
	}
	if got, want := err.Error(), "blob: read: connection reset"; got != want {
		t.Errorf("Put error = %q, want %q", got, want)
	}
	assertNoTemp(t, dir)
}

func TestCleanTemp(t *testing.T) {
	s, dir := openStore(t)
	tmp := filepath.Join(dir, "tmp")
	old := time.Now().Add(-2 * time.Hour)
	files := []struct {
		name  string
		mtime time.Time
		kept  bool
	}{
		{"put-old1", old, false},
		{"put-old2", old, false},
		{"put-fresh", time.Now(), true},
	}
	for _, f := range files {
		p := filepath.Join(tmp, f.name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, f.mtime, f.mtime); err != nil {
			t.Fatal(err)
		}
	}

	removed, err := s.CleanTemp(time.Hour)
	if err != nil {
		t.Fatalf("CleanTemp: %v", err)
	}
	if removed != 2 {
		t.Errorf("CleanTemp removed %d, want 2", removed)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(tmp, f.name))
		if kept := err == nil; kept != f.kept {
			t.Errorf("%s kept = %v, want %v", f.name, kept, f.kept)
		}
	}
}

func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s, _ := openStore(b)
			data := randomBytes(size, 42)
			b.SetBytes(int64(size))
			var i uint64
			for b.Loop() {
				// Make every blob new, so each Put really stores.
				i++
				binary.LittleEndian.PutUint64(data, i)
				if _, err := s.Put(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
