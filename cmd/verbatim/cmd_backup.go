package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// backupReport is what "verbatim backup" made.
type backupReport struct {
	OK       bool   `json:"ok"`
	Dir      string `json:"dir"`
	Database struct {
		File      string `json:"file"`
		Bytes     int64  `json:"bytes"`
		Integrity string `json:"integrity"` // "ok", or what PRAGMA integrity_check said
	} `json:"database"`
	Ledger struct {
		Size uint64 `json:"size"` // leaves in the copy
		Root string `json:"root"` // the copy's root, which is the source's at that size
	} `json:"ledger"`
	Blobs struct {
		Count   int   `json:"count"`
		Bytes   int64 `json:"bytes"`
		Linked  int   `json:"linked"`
		Copied  int   `json:"copied"`
		Present int   `json:"present"`
	} `json:"blobs"`
	PublicKey  string `json:"public_key"`  // the file written, or ""
	PrivateKey string `json:"private_key"` // the file written (--with-key), or ""
	Reports    int    `json:"reports"`     // integrity report files copied
	// Problems are blobs the source lacks or holds damaged: the backup is
	// as complete as the source allowed, and audit of it will name them.
	Problems []string `json:"problems"`
	// Notes are things to know that are not problems.
	Notes   []string `json:"notes"`
	Seconds float64  `json:"seconds"`
}

func runBackup(ctx context.Context, a *app, args []string) error {
	flags := a.flags("backup", "DIR")
	format := formatFlag(flags, "text", "json")
	withKey := flags.Bool("with-key", false, "also copy the ledger's private signing key (ledger.key); keep such a backup as secret as the key")
	copyBlobs := flags.Bool("copy", false, "copy blobs even when DIR is on the same file system (default: hard links there)")
	workers := flags.Int("workers", 0, "blobs linked or copied, and hashed, in parallel (default GOMAXPROCS)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: verbatim backup [--with-key] [--copy] [--format text|json] DIR")
	}
	if *workers < 0 {
		return usagef("backup: --workers must be at least 1")
	}
	if *workers == 0 {
		*workers = runtime.GOMAXPROCS(0)
	}
	if err := a.setup(); err != nil {
		return err
	}
	start := time.Now()
	dir := pos[0]
	if same, err := sameDir(dir, a.cfg.DataDir); err != nil {
		return err
	} else if same {
		return usagef("backup: %s is the data directory itself; give a new directory", dir)
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	src := st.blobs
	if src == nil { // read-only media: the store is only read
		if src, err = blob.Open(filepath.Join(a.cfg.DataDir, "blobs")); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}

	final := filepath.Join(dir, "verbatim.db")
	if _, err := os.Lstat(final); err == nil {
		return usagef("backup: %s already holds a backup (verbatim.db); give a new directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The database is written under another name and renamed last, so
	// that a verbatim.db in DIR is always a finished, checked backup.
	partial := final + ".partial"
	for _, p := range []string{partial, partial + "-journal", partial + "-wal", partial + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("backup: %w", err)
		}
	}

	var rep backupReport
	rep.Dir, rep.Database.File, rep.Problems, rep.Notes = dir, final, []string{}, []string{}
	// 1. The database, as of one moment.
	before, _, err := st.db.LedgerSize(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := st.db.VacuumInto(ctx, partial); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	after, _, err := st.db.LedgerSize(ctx)
	if err != nil {
		os.Remove(partial)
		return fmt.Errorf("backup: %w", err)
	}
	cp, err := sqlite.Open(ctx, partial, sqlite.Options{ReadOnly: true})
	if err != nil {
		os.Remove(partial)
		return fmt.Errorf("backup: the copy: %w", err)
	}
	finished := false
	defer func() {
		if !finished { // a failed backup leaves no database behind
			cp.Close()
			os.Remove(partial)
		}
	}()

	// 2. A quick check of the copy: SQLite's own, and the ledger root,
	// which must be the source's at the copy's size (the source's ledger
	// only grows, so its root at that size is the one it had then).
	problems, err := cp.IntegrityCheck(ctx)
	if err != nil {
		return fmt.Errorf("backup: integrity check of the copy: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("backup: the copy fails PRAGMA integrity_check: %s", strings.Join(problems, "; "))
	}
	rep.Database.Integrity = "ok"
	size, root, err := cp.LedgerSize(ctx)
	if err != nil {
		return fmt.Errorf("backup: the copy's ledger: %w", err)
	}
	if size < before || size > after {
		return fmt.Errorf("backup: the copy's ledger has %d leaves; the source had %d to %d while it was made", size, before, after)
	}
	want, err := ledger.RootAt(ctx, st.db.LedgerNodes(), size)
	if err != nil {
		return fmt.Errorf("backup: the source's ledger root at %d leaves: %w", size, err)
	}
	if !ledger.SameRoot(want, root) {
		return fmt.Errorf("backup: the copy's ledger root %x at %d leaves is not the source's %x", root, size, want)
	}
	rep.Ledger.Size, rep.Ledger.Root = size, hex.EncodeToString(root)

	// 3. Every blob the copy refers to (orphans are left behind), each
	// hashed where it lands.
	if err := backupBlobs(ctx, cp, src, filepath.Join(dir, "blobs"), !*copyBlobs, *workers, &rep); err != nil {
		return err
	}

	// 4. Keys and reports.
	if err := a.backupKeys(dir, *withKey, &rep); err != nil {
		return err
	}
	if rep.Reports, err = copyFlat(filepath.Join(a.cfg.DataDir, reportsDir), filepath.Join(dir, reportsDir)); err != nil {
		return fmt.Errorf("backup: reports: %w", err)
	}

	// 5. Done: the database gets its name.
	if err := cp.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, final); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	finished = true
	if err := syncPath(dir); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if fi, err := os.Stat(final); err == nil {
		rep.Database.Bytes = fi.Size()
	}
	rep.OK = len(rep.Problems) == 0
	rep.Seconds = time.Since(start).Seconds()
	if *format == "json" {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		printBackup(a.stdout, rep)
	}
	if !rep.OK {
		return &findingsError{fmt.Sprintf("backup: %s in the source: %s", plural(len(rep.Problems), "blob"), "missing or damaged; run verbatim audit")}
	}
	return nil
}

// backupBlobs links or copies every blob the copy cp refers to from src
// into dstDir.
func backupBlobs(ctx context.Context, cp *sqlite.DB, src *blob.Store, dstDir string, link bool, workers int, rep *backupReport) error {
	dst, err := blob.Open(dstDir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	var refs []archive.BlobRef
	if err := cp.ArtifactHashes(ctx, func(sum string, size int64) error {
		refs = append(refs, archive.BlobRef{SHA256: sum, Size: size})
		return nil
	}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan archive.BlobRef)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for ref := range jobs {
				how, n, err := dst.CopyFrom(ctx, src, ref.SHA256, link)
				mu.Lock()
				switch {
				case errors.Is(err, archive.ErrNotFound):
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: missing from the source's blob store", ref.SHA256))
				case errors.Is(err, archive.ErrCorrupt):
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: damaged in the source (its bytes do not hash to its name); not copied", ref.SHA256))
				case err != nil:
					if firstErr == nil {
						firstErr = err
						cancel()
					}
				default:
					if n != ref.Size {
						rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d bytes, %d recorded", ref.SHA256, n, ref.Size))
					}
					rep.Blobs.Count++
					rep.Blobs.Bytes += n
					switch how {
					case blob.Linked:
						rep.Blobs.Linked++
					case blob.Copied:
						rep.Blobs.Copied++
					case blob.Present:
						rep.Blobs.Present++
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, ref := range refs {
		select {
		case jobs <- ref:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("backup: blobs: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sort.Strings(rep.Problems)
	return nil
}

// backupKeys copies the ledger's public key (and, withKey, its private
// key) into dir. A public key that exists only as the signing key in
// VERBATIM_LEDGER_KEY is derived from it; a private key that exists only
// there is not written to disk.
func (a *app) backupKeys(dir string, withKey bool, rep *backupReport) error {
	pubDst := filepath.Join(dir, ledgerPubFile)
	pub, err := os.ReadFile(filepath.Join(a.cfg.DataDir, ledgerPubFile))
	if errors.Is(err, fs.ErrNotExist) {
		pub, err = nil, nil
		skey := a.getenv(ledgerKeyEnv)
		if skey == "" {
			b, rerr := os.ReadFile(filepath.Join(a.cfg.DataDir, ledgerKeyFile))
			if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return fmt.Errorf("backup: %w", rerr)
			}
			skey = string(b)
		}
		if strings.TrimSpace(skey) != "" {
			k, kerr := ledger.ParseKey(skey)
			if kerr != nil {
				return fmt.Errorf("backup: %w", kerr)
			}
			pub = []byte(k.VerifierKey() + "\n")
		}
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if pub != nil {
		if err := writeFileSynced(pubDst, pub, 0o644); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		rep.PublicKey = pubDst
	}
	if !withKey {
		return nil
	}
	if a.getenv(ledgerKeyEnv) != "" {
		rep.Notes = append(rep.Notes, "--with-key: the signing key is in "+ledgerKeyEnv+", not in a file; it is not written to the backup: keep it with your other secrets")
		return nil
	}
	key, err := os.ReadFile(filepath.Join(a.cfg.DataDir, ledgerKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no key yet: nothing was ever signed
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	keyDst := filepath.Join(dir, ledgerKeyFile)
	if err := writeFileSynced(keyDst, key, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	rep.PrivateKey = keyDst
	return nil
}

// copyFlat copies the regular files of srcDir (not its subdirectories)
// into dstDir, and reports how many. A missing srcDir copies nothing.
func copyFlat(srcDir, dstDir string) (int, error) {
	es, err := os.ReadDir(srcDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(srcDir, e.Name()))
		if err != nil {
			return n, err
		}
		if n == 0 {
			if err := os.MkdirAll(dstDir, 0o755); err != nil {
				return n, err
			}
		}
		if err := writeFileSynced(filepath.Join(dstDir, e.Name()), b, 0o644); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// writeFileSynced writes b to path with mode perm and syncs it.
func writeFileSynced(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil { // an existing file keeps its mode otherwise
		f.Close()
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncPath flushes a directory's entries to stable storage.
func syncPath(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// sameDir reports whether a and b name the same existing directory.
func sameDir(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

func printBackup(w io.Writer, rep backupReport) {
	fmt.Fprintf(w, "database  %s, %s, integrity ok\n", rep.Database.File, humanBytes(rep.Database.Bytes))
	fmt.Fprintf(w, "ledger    %d leaves, root %s (the source's at that size)\n", rep.Ledger.Size, rep.Ledger.Root)
	fmt.Fprintf(w, "blobs     %s, %s, each hashed: %d linked, %d copied, %d already there\n",
		plural(rep.Blobs.Count, "blob"), humanBytes(rep.Blobs.Bytes), rep.Blobs.Linked, rep.Blobs.Copied, rep.Blobs.Present)
	switch {
	case rep.PublicKey != "":
		fmt.Fprintf(w, "keys      %s", rep.PublicKey)
		if rep.PrivateKey != "" {
			fmt.Fprintf(w, " and the private key %s (keep this backup secret)", rep.PrivateKey)
		} else {
			fmt.Fprint(w, " (the private key is not in the backup; --with-key adds it)")
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintln(w, "keys      none (the archive has no ledger key yet)")
	}
	if rep.Reports > 0 {
		fmt.Fprintf(w, "reports   %s\n", plural(rep.Reports, "file"))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "problem   %s\n", p)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note      %s\n", n)
	}
	fmt.Fprintf(w, "restore:  VERBATIM_DATA=%s verbatim audit\n", rep.Dir)
}
