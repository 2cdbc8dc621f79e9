-- Version 7: a post known in one version only keeps that version in its
-- own row, so an import writes its text once rather than twice (in posts
-- and in post_versions). v_detail is NULL unless the post's only version
-- lives here; then post_versions has no row for the post, and the
-- version's id, time, text and first sighting are the post's own. When a
-- second version arrives, the first moves to post_versions (the writer's
-- materialize). Read versions through the view, never post_versions alone.
ALTER TABLE posts ADD COLUMN v_capture INTEGER REFERENCES captures(id);
ALTER TABLE posts ADD COLUMN v_page INTEGER;
ALTER TABLE posts ADD COLUMN v_detail TEXT;

CREATE VIEW versions(id, post_ord, seq, created_at, text, capture_id, page, first_seen, detail) AS
	SELECT id, post_ord, seq, created_at, text, capture_id, page, first_seen, detail FROM post_versions
	UNION ALL
	SELECT id, ord, 0, created_at, text, v_capture, v_page, first_seen, v_detail FROM posts WHERE v_detail IS NOT NULL;

-- Merge full-text segments eight at a level rather than four, and write
-- leaves of 8000 bytes rather than 4050: about a third less index work on
-- import, at the price of a few more segments for a query to read and
-- leaves that span two database pages (measured by the search benchmarks).
INSERT INTO posts_fts(posts_fts, rank) VALUES ('automerge', 8);
INSERT INTO posts_fts(posts_fts, rank) VALUES ('pgsz', 8000);
