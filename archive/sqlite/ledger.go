package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

// The ledger: every capture's canonical manifest is a leaf of one
// append-only Merkle tree (archive/ledger), appended by logCapture in the
// transaction that records the capture, so that a capture is never
// committed without its leaf nor a leaf without its capture.
//
// Captures recorded before schema version 5 are appended once, in capture
// id order, by the first ledger write after the upgrade (the next capture,
// checkpoint, receipt or audit), all in that write's transaction: a
// migration cannot do it because canonical JSON and SHA-256 are not SQL.
// ledger_state.backfilled records that it was done, so it is never redone
// and a capture that escaped the ledger later is an audit finding rather
// than being quietly appended.

// LedgerLeaf is one leaf of the ledger.
type LedgerLeaf struct {
	Index     uint64
	CaptureID int64
	Manifest  string // canonical JSON
	Hash      []byte // SHA-256(0x00 || Manifest)
}

// ledgerState is the tree's compact state as stored.
type ledgerState struct {
	tree       *ledger.Tree
	backfilled bool
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func loadLedgerState(ctx context.Context, q querier) (ledgerState, error) {
	var size int64
	var hashes []byte
	var backfilled bool
	err := q.QueryRowContext(ctx, `SELECT size, hashes, backfilled FROM ledger_state WHERE id = 1`).Scan(&size, &hashes, &backfilled)
	if err != nil {
		return ledgerState{}, fmt.Errorf("ledger state: %w", notFound(err))
	}
	t, err := ledger.LoadTree(uint64(size), hashes)
	if err != nil {
		return ledgerState{}, err
	}
	return ledgerState{tree: t, backfilled: backfilled}, nil
}

// logCapture appends capture id to the ledger within tx (after the
// captures recorded before the ledger, the first time).
func (db *DB) logCapture(ctx context.Context, tx *sql.Tx, id int64) error {
	st, err := loadLedgerState(ctx, tx)
	if err != nil {
		return err
	}
	if !st.backfilled {
		_, err := backfill(ctx, tx, st)
		return err
	}
	ap, err := newAppender(ctx, tx, st.tree)
	if err != nil {
		return err
	}
	defer ap.close()
	m, err := manifestOf(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := ap.append(ctx, m); err != nil {
		return err
	}
	return ap.save(ctx)
}

// LedgerBackfill appends the captures recorded before the ledger existed,
// in capture id order, in one transaction, and reports how many. It does
// nothing once done; every ledger write calls it first.
func (db *DB) LedgerBackfill(ctx context.Context) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		st, err := loadLedgerState(ctx, tx)
		if err != nil || st.backfilled {
			return err
		}
		n, err = backfill(ctx, tx, st)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ledger backfill: %w", err)
	}
	return n, nil
}

// backfill appends every capture that has no leaf, in id order, and marks
// the ledger backfilled.
func backfill(ctx context.Context, tx *sql.Tx, st ledgerState) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id FROM captures c
		WHERE NOT EXISTS (SELECT 1 FROM ledger_leaves l WHERE l.capture_id = c.id) ORDER BY c.id`)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	ap, err := newAppender(ctx, tx, st.tree)
	if err != nil {
		return 0, err
	}
	defer ap.close()
	const chunk = 512
	for len(ids) > 0 {
		part := ids[:min(chunk, len(ids))]
		ids = ids[len(part):]
		ms, err := manifestsBetween(ctx, tx, part[0], part[len(part)-1])
		if err != nil {
			return 0, err
		}
		for _, id := range part {
			m, ok := ms[id]
			if !ok {
				return 0, fmt.Errorf("capture %d vanished during backfill", id)
			}
			if err := ap.append(ctx, m); err != nil {
				return 0, err
			}
		}
	}
	return ap.added, ap.save(ctx)
}

// appender appends leaves within one transaction.
type appender struct {
	tree     *ledger.Tree
	leafStmt *sql.Stmt
	nodeStmt *sql.Stmt
	tx       *sql.Tx
	added    int
	nodeErr  error
}

func newAppender(ctx context.Context, tx *sql.Tx, t *ledger.Tree) (*appender, error) {
	ls, err := tx.PrepareContext(ctx, `INSERT INTO ledger_leaves(leaf_index, capture_id, manifest, leaf_hash) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	ns, err := tx.PrepareContext(ctx, `INSERT INTO ledger_nodes(id, hash) VALUES (?, ?)`)
	if err != nil {
		ls.Close()
		return nil, err
	}
	return &appender{tree: t, leafStmt: ls, nodeStmt: ns, tx: tx}, nil
}

func (a *appender) close() {
	a.leafStmt.Close()
	a.nodeStmt.Close()
}

func (a *appender) append(ctx context.Context, m ledger.Manifest) error {
	canonical := m.Canonical()
	h := ledger.LeafHash(canonical)
	if _, err := a.leafStmt.ExecContext(ctx, int64(a.tree.Size()), m.CaptureID, string(canonical), h); err != nil {
		return fmt.Errorf("ledger: append capture %d: %w", m.CaptureID, err)
	}
	err := a.tree.Append(h, func(id compact.NodeID, hash []byte) {
		if a.nodeErr == nil {
			_, a.nodeErr = a.nodeStmt.ExecContext(ctx, ledger.NodeKey(id), hash)
		}
	})
	if err == nil {
		err = a.nodeErr
	}
	if err != nil {
		return fmt.Errorf("ledger: append capture %d: %w", m.CaptureID, err)
	}
	a.added++
	return nil
}

// save stores the tree's new compact state (which includes every capture
// so far: backfilled).
func (a *appender) save(ctx context.Context) error {
	_, err := a.tx.ExecContext(ctx, `UPDATE ledger_state SET size = ?, hashes = ?, backfilled = 1 WHERE id = 1`,
		int64(a.tree.Size()), a.tree.State())
	return err
}

const manifestSelect = `SELECT c.id, c.kind, c.target, c.at, c.software, a.kind, a.media_type, a.size, a.sha256
	FROM captures c LEFT JOIN artifacts a ON a.capture_id = c.id`

// manifestOf returns the manifest that capture id's rows make now.
func manifestOf(ctx context.Context, q querier, id int64) (ledger.Manifest, error) {
	ms, err := manifestsBetween(ctx, q, id, id)
	if err != nil {
		return ledger.Manifest{}, err
	}
	m, ok := ms[id]
	if !ok {
		return m, fmt.Errorf("capture %d: %w", id, archive.ErrNotFound)
	}
	return m, nil
}

// manifestsBetween returns the manifests of the captures with ids in
// [lo, hi].
func manifestsBetween(ctx context.Context, q querier, lo, hi int64) (map[int64]ledger.Manifest, error) {
	rows, err := q.QueryContext(ctx, manifestSelect+` WHERE c.id BETWEEN ? AND ?`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]ledger.Manifest{}
	for rows.Next() {
		var id int64
		var m ledger.Manifest
		var ak, amt, ash sql.NullString
		var asz sql.NullInt64
		if err := rows.Scan(&id, &m.Kind, &m.Target, &m.At, &m.Software, &ak, &amt, &asz, &ash); err != nil {
			return nil, err
		}
		if prev, ok := out[id]; ok {
			m = prev
		} else {
			m.CaptureID = id
			m.Artifacts = []ledger.ManifestArtifact{}
		}
		if ak.Valid {
			m.Artifacts = append(m.Artifacts, ledger.ManifestArtifact{Kind: ak.String, MediaType: amt.String, Size: asz.Int64, SHA256: ash.String})
		}
		out[id] = m
	}
	return out, rows.Err()
}

// LedgerSize returns the number of leaves and the tree's root.
func (db *DB) LedgerSize(ctx context.Context) (uint64, []byte, error) {
	st, err := loadLedgerState(ctx, db.db)
	if err != nil {
		return 0, nil, err
	}
	return st.tree.Size(), st.tree.Root(), nil
}

// LedgerLeaf returns the leaf of a capture, or an error wrapping
// archive.ErrNotFound if the capture is not in the ledger.
func (db *DB) LedgerLeaf(ctx context.Context, captureID int64) (LedgerLeaf, error) {
	var l LedgerLeaf
	var idx int64
	err := db.db.QueryRowContext(ctx, `SELECT leaf_index, capture_id, manifest, leaf_hash FROM ledger_leaves WHERE capture_id = ?`, captureID).
		Scan(&idx, &l.CaptureID, &l.Manifest, &l.Hash)
	if err != nil {
		return l, fmt.Errorf("ledger leaf of capture %d: %w", captureID, notFound(err))
	}
	l.Index = uint64(idx)
	return l, nil
}

// LedgerNodes returns the ledger's stored node hashes, for building
// proofs with archive/ledger.
func (db *DB) LedgerNodes() ledger.NodeReader { return nodeReader{db.db} }

type nodeReader struct{ q querier }

// ReadNodes reads leaf hashes (level 0) from ledger_leaves and the other
// nodes from ledger_nodes, in one query.
func (r nodeReader) ReadNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	var leaves, nodes []any
	for _, id := range ids {
		if id.Level == 0 {
			leaves = append(leaves, int64(id.Index))
		} else {
			nodes = append(nodes, ledger.NodeKey(id))
		}
	}
	var parts []string
	var args []any
	if len(leaves) > 0 {
		parts = append(parts, `SELECT leaf_index, leaf_hash FROM ledger_leaves WHERE leaf_index IN (?`+strings.Repeat(",?", len(leaves)-1)+`)`)
		args = append(args, leaves...)
	}
	if len(nodes) > 0 {
		parts = append(parts, `SELECT id, hash FROM ledger_nodes WHERE id IN (?`+strings.Repeat(",?", len(nodes)-1)+`)`)
		args = append(args, nodes...)
	}
	rows, err := r.q.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, friendly(err)
	}
	defer rows.Close()
	// Leaf indexes and node keys never collide: a node key has a level in
	// its top bits, and a leaf index is below 2^56.
	got := make(map[int64][]byte, len(ids))
	for rows.Next() {
		var k int64
		var h []byte
		if err := rows.Scan(&k, &h); err != nil {
			return nil, err
		}
		got[k] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		k := int64(id.Index)
		if id.Level > 0 {
			k = ledger.NodeKey(id)
		}
		h, ok := got[k]
		if !ok || len(h) != ledger.HashSize {
			return nil, fmt.Errorf("ledger node (level %d, index %d): %w", id.Level, id.Index, archive.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

// InclusionProof returns the inclusion proof of leaf index in the tree of
// the first size leaves.
func (db *DB) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	return ledger.InclusionProof(ctx, db.LedgerNodes(), index, size)
}

// ConsistencyProof returns the consistency proof between the trees of the
// first size1 and size2 leaves.
func (db *DB) ConsistencyProof(ctx context.Context, size1, size2 uint64) ([][]byte, error) {
	return ledger.ConsistencyProof(ctx, db.LedgerNodes(), size1, size2)
}

// CreateCheckpoint signs a checkpoint of the current tree with key and
// keeps it, after appending any captures from before the ledger. If the
// latest checkpoint already covers the whole tree, it is returned instead
// of a new one.
//
// With a Timestamper (Options), the checkpoint, new or returned, is then
// timestamped if it has no timestamp yet, after it is committed:
// timestamping is best-effort, and a TSA that fails or does not answer
// (within its client's timeout) neither fails nor loses the checkpoint.
// The failure is logged as a warning and set as the checkpoint's
// TimestampErr; Timestamp retries.
func (db *DB) CreateCheckpoint(ctx context.Context, key *ledger.Key) (ledger.Checkpoint, error) {
	var cp ledger.Checkpoint
	err := db.tx(ctx, func(tx *sql.Tx) error {
		st, err := loadLedgerState(ctx, tx)
		if err != nil {
			return err
		}
		if !st.backfilled {
			if _, err := backfill(ctx, tx, st); err != nil {
				return err
			}
		}
		size, root := st.tree.Size(), st.tree.Root()
		latest, err := latestCheckpoint(ctx, tx)
		if err == nil && latest.Size == size && ledger.SameRoot(latest.Root, root) {
			cp = latest
			return nil
		}
		if err != nil && !errors.Is(err, archive.ErrNotFound) {
			return err
		}
		text, err := key.Sign(size, root)
		if err != nil {
			return err
		}
		now := db.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO ledger_checkpoints(size, root, note, created_at) VALUES (?, ?, ?, ?)`,
			int64(size), root, text, formatTime(now))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		cp = ledger.Checkpoint{ID: id, Size: size, Root: root, Note: text, CreatedAt: parseTime(formatTime(now))}
		return nil
	})
	if err != nil {
		return cp, fmt.Errorf("create checkpoint: %w", err)
	}
	if db.tsa != nil && cp.Timestamp == nil {
		ts, err := db.timestamp(ctx, cp)
		if err != nil {
			db.log.Warn("checkpoint kept without a timestamp", "checkpoint", cp.ID, "size", cp.Size, "err", err)
			cp.TimestampErr = err
		} else {
			cp.Timestamp = &ts
		}
	}
	return cp, nil
}

// Timestamp returns checkpoint id's RFC 3161 timestamp, getting one from
// the Timestamper (Options) and keeping it if the checkpoint has none yet:
// the retry for a checkpoint whose timestamping failed. It returns an error
// wrapping archive.ErrNotFound if there is no such checkpoint,
// ledger.ErrNoTSA if it has no timestamp and there is no Timestamper, and
// the TSA's error if that fails.
func (db *DB) Timestamp(ctx context.Context, checkpointID int64) (ledger.Timestamp, error) {
	cp, err := scanCheckpoint(db.db.QueryRowContext(ctx, checkpointSelect+` WHERE c.id = ?`, checkpointID))
	if err != nil {
		return ledger.Timestamp{}, fmt.Errorf("timestamp checkpoint %d: %w", checkpointID, notFound(err))
	}
	if cp.Timestamp != nil {
		return *cp.Timestamp, nil
	}
	return db.timestamp(ctx, cp)
}

// timestamp asks the Timestamper for a timestamp of cp's note, checks it,
// and keeps it unless another process kept one first, which it returns.
func (db *DB) timestamp(ctx context.Context, cp ledger.Checkpoint) (ledger.Timestamp, error) {
	if db.tsa == nil {
		return ledger.Timestamp{}, fmt.Errorf("timestamp checkpoint %d: %w", cp.ID, ledger.ErrNoTSA)
	}
	ts, err := db.tsa.Timestamp(ctx, []byte(cp.Note))
	if err != nil {
		return ts, fmt.Errorf("timestamp checkpoint %d: %w", cp.ID, err)
	}
	// Whatever Timestamper this is, keep only a token over this note, and
	// its time as the token states it: a TSA's genTime may have more
	// digits than the archive's milliseconds (so gen_time is RFC 3339 with
	// all of them), and a receipt's time must equal its token's.
	info, err := ledger.VerifyTimestamp(ts.Token, []byte(cp.Note), nil)
	if err != nil {
		return ledger.Timestamp{}, fmt.Errorf("timestamp checkpoint %d: %s: %w", cp.ID, ts.TSA, err)
	}
	ts.Time = info.Time
	_, err = db.db.ExecContext(ctx, `INSERT INTO ledger_timestamps(checkpoint_id, tsa_url, token, gen_time, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT(checkpoint_id) DO NOTHING`,
		cp.ID, ts.TSA, ts.Token, ts.Time.UTC().Format(time.RFC3339Nano), formatTime(db.now()))
	if err != nil {
		return ledger.Timestamp{}, fmt.Errorf("timestamp checkpoint %d: %w", cp.ID, friendly(err))
	}
	kept, err := scanCheckpoint(db.db.QueryRowContext(ctx, checkpointSelect+` WHERE c.id = ?`, cp.ID))
	if err != nil {
		return ledger.Timestamp{}, fmt.Errorf("timestamp checkpoint %d: %w", cp.ID, notFound(err))
	}
	if kept.Timestamp == nil {
		return ledger.Timestamp{}, fmt.Errorf("timestamp checkpoint %d: not kept", cp.ID)
	}
	return *kept.Timestamp, nil
}

// checkpointSelect reads checkpoints with their timestamps, if any.
const checkpointSelect = `SELECT c.id, c.size, c.root, c.note, c.created_at, t.tsa_url, t.token, t.gen_time
	FROM ledger_checkpoints c LEFT JOIN ledger_timestamps t ON t.checkpoint_id = c.id`

func scanCheckpoint(sc interface{ Scan(...any) error }) (ledger.Checkpoint, error) {
	var cp ledger.Checkpoint
	var size int64
	var at string
	var tsa, genTime sql.NullString
	var token []byte
	if err := sc.Scan(&cp.ID, &size, &cp.Root, &cp.Note, &at, &tsa, &token, &genTime); err != nil {
		return cp, err
	}
	cp.Size, cp.CreatedAt = uint64(size), parseTime(at)
	if token != nil {
		cp.Timestamp = &ledger.Timestamp{TSA: tsa.String, Time: parseTime(genTime.String), Token: token}
	}
	return cp, nil
}

func latestCheckpoint(ctx context.Context, q querier) (ledger.Checkpoint, error) {
	cp, err := scanCheckpoint(q.QueryRowContext(ctx, checkpointSelect+` ORDER BY c.id DESC LIMIT 1`))
	if err != nil {
		return cp, notFound(err)
	}
	return cp, nil
}

// LatestCheckpoint returns the newest checkpoint, or an error wrapping
// archive.ErrNotFound if none was made yet.
func (db *DB) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	cp, err := latestCheckpoint(ctx, db.db)
	if err != nil {
		return cp, fmt.Errorf("latest checkpoint: %w", err)
	}
	return cp, nil
}

// Checkpoints returns every checkpoint, oldest first.
func (db *DB) Checkpoints(ctx context.Context) ([]ledger.Checkpoint, error) {
	return checkpoints(ctx, db.db)
}

func checkpoints(ctx context.Context, q querier) ([]ledger.Checkpoint, error) {
	rows, err := q.QueryContext(ctx, checkpointSelect+` ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", friendly(err))
	}
	defer rows.Close()
	var out []ledger.Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}

// coveringCheckpoint returns the latest checkpoint if its tree holds at
// least size leaves, and otherwise a new one of the current tree.
func (db *DB) coveringCheckpoint(ctx context.Context, key *ledger.Key, size uint64) (ledger.Checkpoint, error) {
	cp, err := db.LatestCheckpoint(ctx)
	if err == nil && cp.Size >= size {
		return cp, nil
	}
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return cp, err
	}
	return db.CreateCheckpoint(ctx, key)
}

// Receipt returns an offline-verifiable receipt for a capture: its
// manifest, its leaf index, the inclusion proof, and the latest checkpoint,
// signed now with key if none covers the capture yet, with the
// checkpoint's timestamp if it has one. It returns an error wrapping
// archive.ErrNotFound if there is no such capture. A TSA failure while
// making a checkpoint does not fail it: the receipt has no timestamp then.
func (db *DB) Receipt(ctx context.Context, captureID int64, key *ledger.Key) (ledger.Receipt, error) {
	if _, err := db.LedgerBackfill(ctx); err != nil {
		return ledger.Receipt{}, err
	}
	leaf, err := db.LedgerLeaf(ctx, captureID)
	if errors.Is(err, archive.ErrNotFound) {
		if _, cerr := db.Capture(ctx, captureID); cerr != nil {
			return ledger.Receipt{}, fmt.Errorf("receipt: %w", cerr)
		}
		return ledger.Receipt{}, fmt.Errorf("receipt: capture %d is not in the ledger (run verbatim audit)", captureID)
	}
	if err != nil {
		return ledger.Receipt{}, fmt.Errorf("receipt: %w", err)
	}
	cp, err := db.coveringCheckpoint(ctx, key, leaf.Index+1)
	if err != nil {
		return ledger.Receipt{}, fmt.Errorf("receipt: %w", err)
	}
	path, err := db.InclusionProof(ctx, leaf.Index, cp.Size)
	if err != nil {
		return ledger.Receipt{}, fmt.Errorf("receipt: %w", err)
	}
	r := ledger.NewReceipt([]byte(leaf.Manifest), leaf.Index, cp.Size, path, cp.Note)
	r.Timestamp = cp.Timestamp
	return r, nil
}

// ConsistencySince returns the latest checkpoint (signed now with key if
// the tree grew since the last one) and the proof that its tree extends
// the tree of the first size leaves.
func (db *DB) ConsistencySince(ctx context.Context, size uint64, key *ledger.Key) (ledger.Consistency, error) {
	cur, _, err := db.LedgerSize(ctx)
	if err != nil {
		return ledger.Consistency{}, err
	}
	cp, err := db.coveringCheckpoint(ctx, key, cur)
	if err != nil {
		return ledger.Consistency{}, fmt.Errorf("consistency: %w", err)
	}
	if size > cp.Size {
		return ledger.Consistency{}, fmt.Errorf("consistency: the ledger has %d leaves, fewer than %d", cp.Size, size)
	}
	path, err := db.ConsistencyProof(ctx, size, cp.Size)
	if err != nil {
		return ledger.Consistency{}, fmt.Errorf("consistency: %w", err)
	}
	return ledger.NewConsistency(size, cp.Size, path, cp.Note), nil
}

// LedgerEntry is one leaf as stored, beside the manifest that its
// capture's rows make now, for audits.
type LedgerEntry struct {
	LedgerLeaf
	// Current is the canonical manifest the capture's rows make now, nil
	// if the capture is gone.
	Current []byte
}

// LedgerDump is the ledger as one consistent snapshot saw it.
type LedgerDump struct {
	Size        uint64 // leaves the stored state claims
	State       []byte // the stored compact state
	Backfilled  bool
	Checkpoints []ledger.Checkpoint
	Unlogged    []int64 // captures with no leaf
}

// ReadLedger reads the whole ledger from one snapshot of the database, so
// that captures recorded meanwhile do not show up half-way: first head is
// called with the state, the checkpoints and the captures that have no
// leaf, then fn with every stored leaf in index order. Neither may write to
// the database.
func (db *DB) ReadLedger(ctx context.Context, head func(LedgerDump) error, fn func(LedgerEntry) error) error {
	var d LedgerDump
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read ledger: %w", friendly(err))
	}
	defer tx.Rollback()
	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT size, hashes, backfilled FROM ledger_state WHERE id = 1`).Scan(&size, &d.State, &d.Backfilled); err != nil {
		return fmt.Errorf("read ledger: state: %w", notFound(err))
	}
	d.Size = uint64(size)
	if d.Checkpoints, err = checkpoints(ctx, tx); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.id FROM captures c
		WHERE NOT EXISTS (SELECT 1 FROM ledger_leaves l WHERE l.capture_id = c.id) ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("read ledger: %w", friendly(err))
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		d.Unlogged = append(d.Unlogged, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	if err := head(d); err != nil {
		return err
	}

	rows, err = tx.QueryContext(ctx, `SELECT l.leaf_index, l.capture_id, l.manifest, l.leaf_hash,
			c.id, c.kind, c.target, c.at, c.software, a.kind, a.media_type, a.size, a.sha256
		FROM ledger_leaves l LEFT JOIN captures c ON c.id = l.capture_id LEFT JOIN artifacts a ON a.capture_id = c.id
		ORDER BY l.leaf_index`)
	if err != nil {
		return fmt.Errorf("read ledger: %w", friendly(err))
	}
	defer rows.Close()
	var cur *LedgerEntry
	var m ledger.Manifest
	var have bool
	flush := func() error {
		if cur == nil {
			return nil
		}
		if have {
			cur.Current = m.Canonical()
		}
		return fn(*cur)
	}
	for rows.Next() {
		var e LedgerEntry
		var idx int64
		var cid sql.NullInt64
		var ck, ct, cat, csw, ak, amt, ash sql.NullString
		var asz sql.NullInt64
		if err := rows.Scan(&idx, &e.CaptureID, &e.Manifest, &e.Hash, &cid, &ck, &ct, &cat, &csw, &ak, &amt, &asz, &ash); err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		e.Index = uint64(idx)
		if cur == nil || cur.Index != e.Index {
			if err := flush(); err != nil {
				return err
			}
			cur = &e
			have = cid.Valid
			m = ledger.Manifest{CaptureID: e.CaptureID, Kind: ck.String, Target: ct.String, At: cat.String, Software: csw.String,
				Artifacts: []ledger.ManifestArtifact{}}
		}
		if ak.Valid {
			m.Artifacts = append(m.Artifacts, ledger.ManifestArtifact{Kind: ak.String, MediaType: amt.String, Size: asz.Int64, SHA256: ash.String})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	if err := flush(); err != nil {
		return err
	}
	return nil
}
