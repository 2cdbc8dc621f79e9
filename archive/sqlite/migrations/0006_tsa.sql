-- Version 6: RFC 3161 timestamps on checkpoints (archive/ledger/tsa.go).
-- token is the DER TimeStampToken (CMS SignedData) that the timestamp
-- authority at tsa_url returned for SHA-256 of the checkpoint's whole note
-- (ledger_checkpoints.note, signature lines included); gen_time is the time
-- the token states (RFC 3339, UTC, with every fractional digit it has);
-- created_at is when the archive got it. At most one a checkpoint: one
-- without was made with no TSA configured or while the TSA failed, and
-- DB.Timestamp can get it later.
CREATE TABLE ledger_timestamps (
	checkpoint_id INTEGER PRIMARY KEY REFERENCES ledger_checkpoints(id),
	tsa_url       TEXT NOT NULL,
	token         BLOB NOT NULL,
	gen_time      TEXT NOT NULL,
	created_at    TEXT NOT NULL
);
