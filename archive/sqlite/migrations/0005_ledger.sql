-- Version 5: the evidence ledger (archive/ledger). Every capture's
-- canonical manifest is a leaf of one append-only RFC 6962 Merkle tree,
-- appended in the same transaction as the capture and its artifacts.
-- Captures recorded before this version are appended once, in capture id
-- order, by the first ledger write (see ledger.go: backfill), because
-- canonical JSON and SHA-256 are not SQL.

-- The program and version that made a capture, part of its manifest;
-- '' for captures from before the ledger.
ALTER TABLE captures ADD COLUMN software TEXT NOT NULL DEFAULT '';

-- The leaves, in log order. manifest is the canonical JSON the leaf hash
-- (SHA-256 of 0x00 || manifest) is taken over.
CREATE TABLE ledger_leaves (
	leaf_index INTEGER PRIMARY KEY,        -- 0, 1, 2, … with no gaps
	capture_id INTEGER NOT NULL UNIQUE REFERENCES captures(id),
	manifest   TEXT NOT NULL,
	leaf_hash  BLOB NOT NULL CHECK (length(leaf_hash) = 32)
);

-- The hash of every perfect subtree above the leaves (level >= 1), as the
-- tree completes them, so that an inclusion or consistency proof reads
-- O(log n) rows and hashes nothing but the right edge. id packs
-- level << 56 | index (ledger.NodeKey). About one row a leaf.
CREATE TABLE ledger_nodes (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL CHECK (length(hash) = 32)
);

-- The tree's compact state: the O(log n) hashes that cover leaves
-- [0, size), left to right, concatenated; enough to append a leaf and to
-- compute the root without reading the tree. backfilled is set once the
-- captures recorded before the ledger existed have been appended (at once
-- for an archive that has none).
CREATE TABLE ledger_state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	size       INTEGER NOT NULL,
	hashes     BLOB NOT NULL,
	backfilled INTEGER NOT NULL DEFAULT 0
);
INSERT INTO ledger_state(id, size, hashes, backfilled) VALUES (1, 0, x'', NOT EXISTS (SELECT 1 FROM captures));

-- Signed checkpoints (tree heads), every one kept: note is the signed
-- checkpoint note (origin, size, base64 root, signature lines).
CREATE TABLE ledger_checkpoints (
	id         INTEGER PRIMARY KEY,
	size       INTEGER NOT NULL,
	root       BLOB NOT NULL CHECK (length(root) = 32),
	note       TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX ledger_checkpoints_size ON ledger_checkpoints(size);
