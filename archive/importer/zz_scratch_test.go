package importer

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

func TestScratchBreakdown(t *testing.T) {
	var path string
	testing.Benchmark(func(b *testing.B) { path = v2JSONL(b) })
	ctx := context.Background()
	for round := 0; round < 2; round++ {
		bs, _ := blob.Open(t.TempDir())
		st := time.Now()
		if _, err := bs.PutFile(ctx, path); err != nil {
			t.Fatal(err)
		}
		t.Logf("blob put: %v", time.Since(st))

		data, _ := os.ReadFile(path)
		st = time.Now()
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			p, err := xapi.DecodePage(sc.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Posts)
		}
		t.Logf("decode only: %d posts in %v", n, time.Since(st))

		// The same pages oldest first, posts oldest first within each.
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		slices.Reverse(lines)
		var rev bytes.Buffer
		for _, l := range lines {
			p, _ := xapi.DecodePage([]byte(l))
			_ = p
			rev.WriteString(l)
			rev.WriteByte('\n')
		}
		_ = rev
	}
	for _, bsz := range []int{5000, 20000} {
		dir := t.TempDir()
		db, _ := sqlite.Open(ctx, filepath.Join(dir, "v.db"), sqlite.Options{})
		bs, _ := blob.Open(filepath.Join(dir, "blobs"))
		im := &Importer{DB: db, Blobs: bs, BatchSize: bsz}
		st := time.Now()
		res, err := im.ImportFile(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("import batch %d: %d posts in %v", bsz, res.Stats.Posts, time.Since(st))
		db.Close()
	}
}
