package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

// opsCLI runs one subcommand in-process as run does, whether or not it is
// listed in commands() yet.
func opsCLI(t *testing.T, env map[string]string, fn func(context.Context, *app, []string) error, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := a.exit(fn(context.Background(), a, args))
	return result{code, out.String(), errb.String()}
}

// putOrphanBlob stores body in dir's blob store without recording it, as
// a capture killed between its blobs and its record leaves it, last
// stored age ago.
func putOrphanBlob(t *testing.T, dir, body string, age time.Duration) archive.BlobRef {
	t.Helper()
	s, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.Put(context.Background(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(s.Path(ref.SHA256), at, at); err != nil {
		t.Fatal(err)
	}
	return ref
}

func blobExists(dir, sum string) bool {
	s, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return false
	}
	ok, _ := s.Has(context.Background(), sum)
	return ok
}

type gcJSON struct {
	DryRun  bool `json:"dry_run"`
	Removed []struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	} `json:"removed"`
	BytesFreed int64 `json:"bytes_freed"`
	Young      int   `json:"young"`
}

func TestGCCommand(t *testing.T) {
	dir, env := ledgerArchive(t)
	importAnother(t, env, 1)
	if r := cli(t, env, "proof", "1"); r.code != 0 { // a checkpoint
		t.Fatal(r.stderr)
	}
	old := putOrphanBlob(t, dir, "a page stored by a capture that was killed", 3*time.Hour)
	young := putOrphanBlob(t, dir, "a page of a capture on its way", 5*time.Minute)

	// The audit reports the old orphan.
	if r := cli(t, env, "audit"); r.code != 1 || !strings.Contains(r.stderr, "1 orphan") {
		t.Fatalf("audit before gc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r := opsCLI(t, env, runGC, "--dry-run", "--format", "json")
	var rep gcJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("gc --dry-run: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if !rep.DryRun || len(rep.Removed) != 1 || rep.Removed[0].SHA256 != old.SHA256 || rep.BytesFreed != old.Size || rep.Young != 1 {
		t.Errorf("gc --dry-run: %+v", rep)
	}
	if !blobExists(dir, old.SHA256) {
		t.Fatalf("gc --dry-run removed a blob")
	}

	r = opsCLI(t, env, runGC)
	if r.code != 0 {
		t.Fatalf("gc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"removed  " + old.SHA256, "1 orphan blob removed", "kept 1 orphan stored within the last 1h0m0s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("gc output lacks %q:\n%s", want, r.stdout)
		}
	}
	if blobExists(dir, old.SHA256) || !blobExists(dir, young.SHA256) {
		t.Errorf("after gc: old orphan present %v, young orphan present %v", blobExists(dir, old.SHA256), blobExists(dir, young.SHA256))
	}
	if r := cli(t, env, "audit"); r.code != 0 {
		t.Errorf("audit after gc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --grace 1m takes the young one too, --grace 0 (nothing else running)
	// an orphan of a second ago; the referred blobs stay.
	r = opsCLI(t, env, runGC, "--grace", "1m", "--format", "json")
	rep = gcJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Removed) != 1 || rep.Removed[0].SHA256 != young.SHA256 {
		t.Errorf("gc --grace 1m: exit %d %+v\n%s", r.code, rep, r.stderr)
	}
	fresh := putOrphanBlob(t, dir, "left by a capture killed a second ago", time.Second)
	r = opsCLI(t, env, runGC, "--grace", "0", "--format", "json")
	rep = gcJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Removed) != 1 || rep.Removed[0].SHA256 != fresh.SHA256 {
		t.Errorf("gc --grace 0: exit %d %+v\n%s", r.code, rep, r.stderr)
	}
	if r := cli(t, env, "audit", "--format", "json"); r.code != 0 || !strings.Contains(r.stdout, `"blobs_checked": 2`) {
		t.Errorf("audit after gc --grace 0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Every run is recorded as a job.
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if runs, err := db.JobRuns(context.Background(), "gc", 10); err != nil || len(runs) != 3 || runs[2].Counts["removed"] != float64(1) {
		t.Errorf("gc job runs: %+v %v", runs, err)
	}

	for _, args := range [][]string{{"--grace", "-1h"}, {"--grace", "soon"}, {"extra"}, {"--format", "yaml"}} {
		if r := opsCLI(t, env, runGC, args...); r.code != 2 {
			t.Errorf("gc %v: exit %d, want 2", args, r.code)
		}
	}
}

type backupJSON struct {
	OK       bool `json:"ok"`
	Database struct {
		File      string `json:"file"`
		Integrity string `json:"integrity"`
	} `json:"database"`
	Ledger struct {
		Size uint64 `json:"size"`
		Root string `json:"root"`
	} `json:"ledger"`
	Blobs struct {
		Count, Linked, Copied, Present int
	} `json:"blobs"`
	PublicKey  string   `json:"public_key"`
	PrivateKey string   `json:"private_key"`
	Problems   []string `json:"problems"`
}

func TestBackupCommand(t *testing.T) {
	ctx := context.Background()
	dir, env := ledgerArchive(t)
	importAnother(t, env, 1)
	if r := cli(t, env, "proof", "2"); r.code != 0 { // a checkpoint over both captures
		t.Fatal(r.stderr)
	}
	orphan := putOrphanBlob(t, dir, "an orphan is not backed up", 3*time.Hour)
	// The ledger key and its public half are in the data directory.
	for _, f := range []string{ledgerKeyFile, ledgerPubFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}

	bak := filepath.Join(t.TempDir(), "backup-1")
	r := opsCLI(t, env, runBackup, "--format", "json", bak)
	var rep backupJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("backup: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	src, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	size, root, err := src.LedgerSize(ctx)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Database.Integrity != "ok" || rep.Ledger.Size != size || rep.Ledger.Root != hexOf(root) ||
		rep.Blobs.Count != 2 || rep.Blobs.Linked != 2 || rep.PublicKey == "" || rep.PrivateKey != "" || len(rep.Problems) != 0 {
		t.Errorf("backup report: %+v (source ledger %d %x)", rep, size, root)
	}
	// The private key stays behind; the public key comes along.
	if _, err := os.Stat(filepath.Join(bak, ledgerKeyFile)); !os.IsNotExist(err) {
		t.Errorf("the private key is in the backup (%v)", err)
	}
	pubA, _ := os.ReadFile(filepath.Join(dir, ledgerPubFile))
	pubB, _ := os.ReadFile(filepath.Join(bak, ledgerPubFile))
	if len(pubA) == 0 || !bytes.Equal(pubA, pubB) {
		t.Errorf("public key %q, want %q", pubB, pubA)
	}
	if blobExists(bak, orphan.SHA256) {
		t.Errorf("the orphan blob was backed up")
	}
	if _, err := os.Stat(filepath.Join(bak, "verbatim.db.partial")); !os.IsNotExist(err) {
		t.Errorf("verbatim.db.partial left behind")
	}

	// Restore: point VERBATIM_DATA at the copy and audit it. The copy has
	// no private key, so audit checks the checkpoint with ledger.pub.
	benv := map[string]string{"VERBATIM_DATA": bak}
	r = cli(t, benv, "audit", "--format", "json")
	var audit struct {
		OK           bool
		BlobsChecked int `json:"blobs_checked"`
		Checkpoints  int
		Root         string
	}
	if err := json.Unmarshal([]byte(r.stdout), &audit); err != nil || r.code != 0 || !audit.OK || audit.BlobsChecked != 2 ||
		audit.Checkpoints != 1 || audit.Root != rep.Ledger.Root {
		t.Errorf("audit of the backup: exit %d %+v\n%s%s", r.code, audit, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(bak, ledgerKeyFile)); !os.IsNotExist(err) {
		t.Errorf("audit of the backup made a private key (%v)", err)
	}
	// A new checkpoint needs the signing key back: without it, no new key
	// is made in its place.
	if r := cli(t, benv, "proof", "1"); r.code != 2 || !strings.Contains(r.stderr, "ledger.key is missing but ledger.pub is there") {
		t.Errorf("proof on a backup without its key: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(bak, ledgerKeyFile)); !os.IsNotExist(err) {
		t.Errorf("a new private key was made in the backup (%v)", err)
	}
	r = cli(t, benv, "search", "--account", "VP", "--format", "json", "--limit", "1")
	if r.code != 0 || !strings.Contains(r.stdout, `"total": `) || strings.Contains(r.stdout, `"total": 0`) {
		t.Errorf("search of the backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A second backup into the same directory is refused.
	if r := opsCLI(t, env, runBackup, bak); r.code != 2 || !strings.Contains(r.stderr, "already holds a backup") {
		t.Errorf("backup into a backup: exit %d %s", r.code, r.stderr)
	}
	// So is the data directory itself.
	if r := opsCLI(t, env, runBackup, dir); r.code != 2 {
		t.Errorf("backup into the data directory: exit %d %s", r.code, r.stderr)
	}

	// --copy copies; --with-key takes the private key, mode 0600.
	bak2 := filepath.Join(t.TempDir(), "backup-2")
	r = opsCLI(t, env, runBackup, "--copy", "--with-key", "--format", "json", bak2)
	rep = backupJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep.Blobs.Copied != 2 || rep.PrivateKey == "" {
		t.Fatalf("backup --copy --with-key: exit %d %+v\n%s", r.code, rep, r.stderr)
	}
	if fi, err := os.Stat(filepath.Join(bak2, ledgerKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key in the backup: %v %v", fi, err)
	}
	benv2 := map[string]string{"VERBATIM_DATA": bak2}
	if r := cli(t, benv2, "audit"); r.code != 0 {
		t.Errorf("audit of the copied backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// With its key, the restored archive signs on.
	importAnother(t, benv2, 3)
	if r := cli(t, benv2, "proof", "3"); r.code != 0 {
		t.Errorf("proof on a backup with its key: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, benv2, "audit"); r.code != 0 {
		t.Errorf("audit of the restored archive after new captures: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Text output names what was done and how to restore.
	r = opsCLI(t, env, runBackup, filepath.Join(t.TempDir(), "backup-3"))
	for _, want := range []string{"integrity ok", "2 blobs", "2 linked", "not in the backup; --with-key adds it", "verbatim audit"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("backup text lacks %q: exit %d\n%s%s", want, r.code, r.stdout, r.stderr)
		}
	}
}

// TestBackupDamagedSource: a blob damaged in the source is not copied;
// the backup says so and exits 1, and an audit of the backup names it.
func TestBackupDamagedSource(t *testing.T) {
	dir, env := ledgerArchive(t)
	var sum string
	filepath.Walk(filepath.Join(dir, "blobs", "sha256"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			sum = fi.Name()
			os.Chmod(p, 0o644)
			b, _ := os.ReadFile(p)
			b[10] ^= 0x20
			os.WriteFile(p, b, 0o444)
		}
		return nil
	})
	bak := filepath.Join(t.TempDir(), "bak")
	r := opsCLI(t, env, runBackup, bak)
	if r.code != 1 || !strings.Contains(r.stdout, sum+": damaged in the source") || !strings.Contains(r.stderr, "1 blob in the source") {
		t.Errorf("backup of a damaged source: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if blobExists(bak, sum) {
		t.Errorf("the damaged blob was backed up")
	}
	if r := cli(t, map[string]string{"VERBATIM_DATA": bak}, "audit"); r.code != 1 || !strings.Contains(r.stderr, "1 missing") {
		t.Errorf("audit of the backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestBackupWhileImporting: backups taken while another process keeps
// importing are consistent: each one's ledger root is the source's at its
// size (backup checks that), every blob its rows name is in it, and an
// audit of it is clean.
func TestBackupWhileImporting(t *testing.T) {
	dir, env := ledgerArchive(t)
	b, err := os.ReadFile("testdata/vp-timeline.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	var imported atomic.Int32
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			p := filepath.Join(files, fmt.Sprintf("import-%d.jsonl", n))
			if err := os.WriteFile(p, append(b, strings.Repeat("\n", n+5)...), 0o644); err != nil {
				t.Error(err)
				return
			}
			if out, err := proc(t, "--data", dir, "import", p).CombinedOutput(); err != nil {
				t.Errorf("import during backup: %v\n%s", err, out)
				return
			}
			imported.Add(1)
		}
	}()
	var baks []string
	for i := 0; imported.Load() < 2 && i < 60 && !t.Failed(); i++ {
		bak := filepath.Join(t.TempDir(), "bak")
		if r := opsCLI(t, env, runBackup, "--copy", bak); r.code != 0 {
			t.Errorf("backup %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
		baks = append(baks, bak)
		time.Sleep(150 * time.Millisecond)
	}
	close(stop)
	<-done
	t.Logf("%d backups beside %d imports", len(baks), imported.Load())
	sizes := map[string]bool{}
	for _, bak := range baks {
		r := cli(t, map[string]string{"VERBATIM_DATA": bak}, "audit", "--format", "json")
		if r.code != 0 {
			t.Errorf("audit of a backup taken during imports: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var rep struct{ Leaves int }
		json.Unmarshal([]byte(r.stdout), &rep)
		sizes[fmt.Sprint(rep.Leaves)] = true
	}
	if len(sizes) < 2 {
		t.Errorf("every backup holds the same ledger (%v): the imports did not overlap them", sizes)
	}
}
