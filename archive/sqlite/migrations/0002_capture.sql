-- Version 2: scheduled capture, rechecks, media and events.

-- The timeline position of each watched account.
ALTER TABLE accounts ADD COLUMN since_id TEXT NOT NULL DEFAULT '';   -- newest post id captured
ALTER TABLE accounts ADD COLUMN checked_at TEXT;                      -- last complete timeline pass
ALTER TABLE accounts ADD COLUMN status_at TEXT;                       -- when status was first noticed

-- When each post is next due for a recheck (edits, deletions).
ALTER TABLE posts ADD COLUMN checked_at TEXT;
ALTER TABLE posts ADD COLUMN next_check TEXT;
CREATE INDEX posts_due ON posts(coalesce(next_check, first_seen)) WHERE status IN ('live', 'edited');

-- Media of posts, downloaded into the blob store.
CREATE TABLE media (
	post_ord     INTEGER NOT NULL REFERENCES posts(ord),
	media_key    TEXT NOT NULL,
	type         TEXT NOT NULL DEFAULT '',
	url          TEXT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'pending', -- pending, stored, failed, skipped
	media_type   TEXT NOT NULL DEFAULT '',
	size         INTEGER,
	sha256       TEXT,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	next_attempt TEXT NOT NULL,
	stored_at    TEXT,
	capture_id   INTEGER REFERENCES captures(id),
	PRIMARY KEY (post_ord, media_key)
) WITHOUT ROWID;
CREATE INDEX media_due ON media(next_attempt) WHERE status IN ('pending', 'failed');

-- What was noticed about posts over time: edits, deletions, restorations.
CREATE TABLE post_events (
	id       INTEGER PRIMARY KEY,
	post_ord INTEGER NOT NULL REFERENCES posts(ord),
	kind     TEXT NOT NULL,              -- edited, deleted, unavailable, restored
	at       TEXT NOT NULL,
	detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX post_events_at ON post_events(at);
CREATE INDEX post_events_post ON post_events(post_ord);
