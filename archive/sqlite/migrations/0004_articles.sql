-- Version 4: which archived posts each checked article embeds or quotes,
-- and what the check found, so that "which articles quoted this post" is
-- one indexed lookup.
CREATE TABLE article_posts (
	article_id INTEGER NOT NULL REFERENCES articles(id),
	post_ord   INTEGER NOT NULL REFERENCES posts(ord),
	kind       TEXT NOT NULL,   -- blockquote, iframe, link, plaintext, quote
	verdict    TEXT NOT NULL,   -- exact, normalized, altered, …
	PRIMARY KEY (article_id, post_ord, kind)
) WITHOUT ROWID;
CREATE INDEX article_posts_post ON article_posts(post_ord);
