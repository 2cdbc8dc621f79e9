package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"

	"github.com/transparency-dev/merkle/compact"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

func newHash() hash.Hash { return sha256.New() }

// nodeChecker compares the interior nodes of the rebuilt tree with the
// stored ones, a batch at a time.
type nodeChecker struct {
	r      *run
	ids    []compact.NodeID
	hashes [][]byte
}

const nodeBatch = 400

func newNodeChecker(r *run) *nodeChecker { return &nodeChecker{r: r} }

func (c *nodeChecker) visit(id compact.NodeID, h []byte) {
	c.ids = append(c.ids, id)
	c.hashes = append(c.hashes, h)
}

func (c *nodeChecker) flushIfFull(ctx context.Context) error {
	if len(c.ids) < nodeBatch {
		return nil
	}
	return c.flush(ctx)
}

func (c *nodeChecker) flush(ctx context.Context) error {
	if len(c.ids) == 0 {
		return nil
	}
	got, err := c.r.db.LedgerNodes().ReadNodes(ctx, c.ids)
	if errors.Is(err, archive.ErrNotFound) {
		// One or more are missing: find which, one by one.
		got = make([][]byte, len(c.ids))
		for i := range c.ids {
			hs, err := c.r.db.LedgerNodes().ReadNodes(ctx, c.ids[i:i+1])
			if errors.Is(err, archive.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			got[i] = hs[0]
		}
	} else if err != nil {
		return err
	}
	for i, id := range c.ids {
		ref := fmt.Sprintf("node:%d/%d", id.Level, id.Index)
		switch {
		case got[i] == nil:
			c.r.add(Ledger, ref, "stored tree node is missing: proofs through it cannot be made")
		case !bytes.Equal(got[i], c.hashes[i]):
			c.r.add(Ledger, ref, "stored tree node %x is not the hash of its leaves (%x): proofs through it fail", got[i], c.hashes[i])
		}
	}
	c.ids, c.hashes = c.ids[:0], c.hashes[:0]
	return nil
}

// diffManifests says how the logged manifest differs from the current one.
func diffManifests(logged, current []byte) string {
	a, aerr := ledger.ParseManifest(logged)
	b, berr := ledger.ParseManifest(current)
	if aerr != nil {
		return fmt.Sprintf("the logged manifest cannot be read: %v", aerr)
	}
	if berr != nil {
		return fmt.Sprintf("the capture's rows make no manifest: %v", berr)
	}
	var diffs []string
	field := func(name, x, y string) {
		if x != y {
			diffs = append(diffs, fmt.Sprintf("%s %q in the log, %q in the archive", name, x, y))
		}
	}
	if a.CaptureID != b.CaptureID {
		diffs = append(diffs, fmt.Sprintf("capture id %d in the log, %d in the archive", a.CaptureID, b.CaptureID))
	}
	field("kind", a.Kind, b.Kind)
	field("target", a.Target, b.Target)
	field("time", a.At, b.At)
	field("software", a.Software, b.Software)
	type key struct{ kind, sha string }
	index := func(m ledger.Manifest) map[key]ledger.ManifestArtifact {
		out := map[key]ledger.ManifestArtifact{}
		for _, x := range m.Artifacts {
			out[key{x.Kind, x.SHA256}] = x
		}
		return out
	}
	ia, ib := index(a), index(b)
	var gone, added []string
	for k, x := range ia {
		y, ok := ib[k]
		switch {
		case !ok:
			gone = append(gone, fmt.Sprintf("%s sha256 %s", k.kind, k.sha))
		case x != y:
			diffs = append(diffs, fmt.Sprintf("%s %s: %s/%d bytes in the log, %s/%d in the archive", k.kind, short(k.sha), x.MediaType, x.Size, y.MediaType, y.Size))
		}
	}
	for k := range ib {
		if _, ok := ia[k]; !ok {
			added = append(added, fmt.Sprintf("%s sha256 %s", k.kind, k.sha))
		}
	}
	sort.Strings(gone)
	sort.Strings(added)
	if len(gone) > 0 {
		diffs = append(diffs, "logged but no longer recorded: "+strings.Join(gone, ", "))
	}
	if len(added) > 0 {
		diffs = append(diffs, "recorded but never logged: "+strings.Join(added, ", "))
	}
	if len(diffs) == 0 {
		// Same content, different bytes: the logged text is not canonical.
		var v any
		if json.Unmarshal(logged, &v) != nil {
			return "the logged manifest is not JSON"
		}
		return "the logged manifest is not in canonical form"
	}
	return strings.Join(diffs, "; ")
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}
