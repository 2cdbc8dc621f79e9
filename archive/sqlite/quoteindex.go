package sqlite

import (
	"context"
	"fmt"
	"sync"

	"github.com/verbatim-archive/verbatim/verify/winnow"
)

// quoteIndex holds the in-memory quotation index of a DB: the index of
// every post up to a key, built by BuildQuoteIndex, and a small index of
// the posts added since, rebuilt when more arrive. Texts that changed after
// the build (edits of older posts) are not in it; FindQuote's full-text
// queries find those.
type quoteIndex struct {
	mu        sync.Mutex
	main      *winnow.Index
	upTo      int64 // largest key in main
	delta     *winnow.Index
	deltaUpTo int64
}

// QuoteIndexStats describe a built quotation index.
type QuoteIndexStats struct {
	Posts int // posts indexed
	Bytes int // memory the index takes, roughly
}

// maxDelta is how many posts may arrive after a build before the next
// lookup rebuilds the whole index rather than the delta.
const maxDelta = 50_000

// BuildQuoteIndex reads the text of every post (every version) into an
// in-memory index that FindQuote consults before its full-text queries.
// It takes a few seconds and some 80 bytes a post for a million posts,
// and pays off in a process that checks many articles (serve); FindQuote
// works without it.
func (db *DB) BuildQuoteIndex(ctx context.Context) (QuoteIndexStats, error) {
	ix, upTo, err := db.indexPostsAfter(ctx, 0)
	if err != nil {
		return QuoteIndexStats{}, fmt.Errorf("quote index: %w", err)
	}
	q := &db.quotes
	q.mu.Lock()
	q.main, q.upTo, q.delta, q.deltaUpTo = ix, upTo, nil, upTo
	q.mu.Unlock()
	return QuoteIndexStats{Posts: ix.Len(), Bytes: ix.Bytes()}, nil
}

// indexPostsAfter indexes the posts with keys above after and returns the
// index and the largest key in it (after, if none).
func (db *DB) indexPostsAfter(ctx context.Context, after int64) (*winnow.Index, int64, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT ord, text, previous FROM posts WHERE ord > ? ORDER BY ord`, after)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var b winnow.Builder
	upTo := after
	for rows.Next() {
		var ord int64
		var text, previous string
		if err := rows.Scan(&ord, &text, &previous); err != nil {
			return nil, 0, err
		}
		b.Add(ord, text)
		if previous != "" {
			b.Add(ord, previous)
		}
		upTo = ord
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return b.Build(), upTo, nil
}

// candidates returns the keys of the posts the index ranks first for the
// quotation, bringing the index up to date with posts added since it was
// built; nil when there is no index.
func (q *quoteIndex) candidates(ctx context.Context, db *DB, quote string) ([]int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.main == nil {
		return nil, nil
	}
	var newest int64
	if err := db.db.QueryRowContext(ctx, `SELECT coalesce(max(ord), 0) FROM posts`).Scan(&newest); err != nil {
		return nil, err
	}
	if newest > q.deltaUpTo {
		ix, upTo, err := db.indexPostsAfter(ctx, q.upTo)
		if err != nil {
			return nil, err
		}
		if ix.Len() > maxDelta {
			// Fold everything into one index again.
			if ix, upTo, err = db.indexPostsAfter(ctx, 0); err != nil {
				return nil, err
			}
			q.main, q.upTo, ix = ix, upTo, nil
		}
		q.delta, q.deltaUpTo = ix, upTo
	}
	keys, _ := q.main.Candidates(quote, quoteCands)
	if q.delta != nil {
		more, _ := q.delta.Candidates(quote, quoteCands)
		keys = append(keys, more...)
	}
	return keys, nil
}
