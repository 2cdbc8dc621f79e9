-- Version 3: the post writer keeps the full-text index in step with
-- changed posts itself, many rows a statement in rowid order. The update
-- trigger did it a row at a time, and FTS5 writes out its buffer at the
-- end of every statement, so each edit in a batch left a tiny segment to
-- merge. Deleting a post still goes through the delete trigger.
DROP TRIGGER posts_au;

