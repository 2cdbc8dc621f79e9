-- Verbatim archive schema, version 1.
-- Times are RFC 3339 UTC strings with milliseconds (sortable as text).

CREATE TABLE accounts (
	id          INTEGER PRIMARY KEY,
	platform    TEXT NOT NULL,
	platform_id TEXT NOT NULL DEFAULT '',   -- '' when only the handle is known
	handle      TEXT NOT NULL DEFAULT '',   -- '' when only the platform id is known
	handle_lc   TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL DEFAULT '',
	watched     INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL DEFAULT 'active', -- active, protected, suspended, not-found
	first_seen  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX accounts_platform_id ON accounts(platform, platform_id) WHERE platform_id <> '';
CREATE INDEX accounts_handle ON accounts(platform, handle_lc);

-- A capture is one act of recording (an imported file, an API page, a browser
-- snapshot). It is written in the same transaction as all of its artifacts.
CREATE TABLE captures (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL,              -- import, api, snapshot
	target       TEXT NOT NULL,              -- file name or URL
	at           TEXT NOT NULL,
	verdict      TEXT NOT NULL DEFAULT 'ok',
	post_ord     INTEGER,                    -- snapshot of a post
	article_id   INTEGER,                    -- snapshot of an article
	format       TEXT NOT NULL DEFAULT '',   -- import format (v2, v2-jsonl, v1, tweets-js)
	completed_at TEXT,                       -- set once everything the capture holds is recorded
	detail       TEXT NOT NULL DEFAULT '{}'  -- JSON: counts, final URL, headers, errors
);
CREATE INDEX captures_post ON captures(post_ord) WHERE post_ord IS NOT NULL;
CREATE INDEX captures_article ON captures(article_id) WHERE article_id IS NOT NULL;

CREATE TABLE artifacts (
	capture_id INTEGER NOT NULL REFERENCES captures(id),
	kind       TEXT NOT NULL,                -- raw, screenshot, dom, mhtml, pdf, warc, media
	media_type TEXT NOT NULL,
	size       INTEGER NOT NULL,
	sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
	PRIMARY KEY (capture_id, kind, sha256)
) WITHOUT ROWID;
CREATE INDEX artifacts_sha256 ON artifacts(sha256);

-- A post is the stable identity of a post across its edits. Its ord is an
-- order key (the X snowflake id of the first version), so that ord order is
-- time order and full-text queries stop early.
CREATE TABLE posts (
	ord            INTEGER PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,     -- platform id of the first version
	platform       TEXT NOT NULL,
	account_id     INTEGER REFERENCES accounts(id),
	handle         TEXT NOT NULL DEFAULT '', -- handle at the time of capture
	author_name    TEXT NOT NULL DEFAULT '',
	author         TEXT GENERATED ALWAYS AS (handle || ' ' || author_name) VIRTUAL, -- for the FTS index
	created_at     TEXT NOT NULL,
	latest_id      TEXT NOT NULL,            -- id of the newest version known
	text           TEXT NOT NULL,            -- text of the newest version known
	previous       TEXT NOT NULL DEFAULT '', -- texts of earlier versions, for search
	lang           TEXT NOT NULL DEFAULT '',
	versions       INTEGER NOT NULL DEFAULT 1,
	edit_ids       TEXT NOT NULL DEFAULT '', -- edit history ids, space separated, oldest first
	has_media      INTEGER NOT NULL DEFAULT 0,
	status         TEXT NOT NULL DEFAULT 'live', -- live, edited, deleted, unavailable
	status_at      TEXT,                     -- when the status was first noticed
	first_seen     TEXT NOT NULL,
	last_seen      TEXT NOT NULL
);
CREATE INDEX posts_account ON posts(account_id, ord);

-- One row per version id seen. seq is the position in the edit history.
CREATE TABLE post_versions (
	id          TEXT PRIMARY KEY,
	post_ord    INTEGER NOT NULL REFERENCES posts(ord),
	seq         INTEGER NOT NULL,
	created_at  TEXT NOT NULL,
	text        TEXT NOT NULL,
	capture_id  INTEGER REFERENCES captures(id), -- the raw page it came from
	page        INTEGER NOT NULL DEFAULT 0,      -- line (JSONL) or element index in that page
	first_seen  TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '{}'       -- JSON: media, references, conversation
) WITHOUT ROWID;
CREATE INDEX post_versions_post ON post_versions(post_ord, seq);

-- Every id named in an edit history, so that a version seen later without
-- its history (v1.1, archives) still joins the right post.
CREATE TABLE edit_links (
	id       TEXT PRIMARY KEY,
	post_ord INTEGER NOT NULL REFERENCES posts(ord)
) WITHOUT ROWID;

CREATE TABLE articles (
	id         INTEGER PRIMARY KEY,
	url        TEXT NOT NULL,
	title      TEXT NOT NULL DEFAULT '',
	byline     TEXT NOT NULL DEFAULT '',
	published  TEXT NOT NULL DEFAULT '',
	text       TEXT NOT NULL DEFAULT '',
	capture_id INTEGER REFERENCES captures(id),
	checked_at TEXT NOT NULL,
	result     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX articles_url ON articles(url);

CREATE TABLE job_runs (
	id         INTEGER PRIMARY KEY,
	job        TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at   TEXT,
	counts     TEXT NOT NULL DEFAULT '{}',
	error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs(job, started_at);

-- Full-text index over post text and author, external content on posts.
CREATE VIRTUAL TABLE posts_fts USING fts5(
	text, author, previous,
	content='posts', content_rowid='ord',
	tokenize='unicode61 remove_diacritics 2'
);
-- New posts are added to the index by the writer, many rows a statement
-- (several times faster than a trigger a row); these triggers keep indexed
-- rows in step when they change or go.
CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN
	INSERT INTO posts_fts(posts_fts, rowid, text, author, previous)
	VALUES ('delete', old.ord, old.text, old.author, old.previous);
END;
CREATE TRIGGER posts_au AFTER UPDATE OF text, handle, author_name, previous ON posts BEGIN
	INSERT INTO posts_fts(posts_fts, rowid, text, author, previous)
	VALUES ('delete', old.ord, old.text, old.author, old.previous);
	INSERT INTO posts_fts(rowid, text, author, previous)
	VALUES (new.ord, new.text, new.author, new.previous);
END;
