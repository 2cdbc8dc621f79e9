package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/verify"
)

// MatchPost is an archived post as an article check needs it: who posted
// it, when, what became of it, and the text of every version.
type MatchPost struct {
	Ord        int64
	ID         string // id of the first version
	Handle     string
	AuthorName string
	CreatedAt  time.Time
	Status     string
	StatusAt   time.Time
	URL        string
	Versions   []archive.Version // oldest first; only ID, Seq, CreatedAt and Text are set
}

// matchPosts loads the posts with the given order keys, in that order.
func (db *DB) matchPosts(ctx context.Context, ords []int64, postURL string) ([]MatchPost, error) {
	if len(ords) == 0 {
		return nil, nil
	}
	if postURL == "" {
		postURL = archive.DefaultPostURL
	}
	list, err := json.Marshal(ords)
	if err != nil {
		return nil, err
	}
	byOrd := make(map[int64]*MatchPost, len(ords))
	rows, err := db.db.QueryContext(ctx, `SELECT ord, id, handle, author_name, created_at, status, coalesce(status_at, '')
		FROM posts WHERE ord IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p MatchPost
		var created, statusAt string
		if err := rows.Scan(&p.Ord, &p.ID, &p.Handle, &p.AuthorName, &created, &p.Status, &statusAt); err != nil {
			rows.Close()
			return nil, err
		}
		p.CreatedAt = parseTime(created)
		if statusAt != "" {
			p.StatusAt = parseTime(statusAt)
		}
		p.URL = archive.PostURL(postURL, p.Handle, p.ID)
		byOrd[p.Ord] = &p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.db.QueryContext(ctx, `SELECT post_ord, id, seq, created_at, text FROM versions
		WHERE post_ord IN (SELECT value FROM json_each(?)) ORDER BY post_ord, seq, created_at`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ord int64
		var v archive.Version
		var created string
		if err := rows.Scan(&ord, &v.ID, &v.Seq, &created, &v.Text); err != nil {
			return nil, err
		}
		v.CreatedAt = parseTime(created)
		if p := byOrd[ord]; p != nil {
			p.Versions = append(p.Versions, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]MatchPost, 0, len(ords))
	for _, ord := range ords {
		if p := byOrd[ord]; p != nil && len(p.Versions) > 0 {
			out = append(out, *p)
		}
	}
	return out, nil
}

// PostsByVersionIDs returns the archived posts that have a version with one
// of the ids (or name it in their edit history), keyed by the id asked for.
// Ids the archive does not know are absent from the map.
func (db *DB) PostsByVersionIDs(ctx context.Context, ids []string, postURL string) (map[string]MatchPost, error) {
	out := make(map[string]MatchPost)
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT j.value, coalesce(
			(SELECT post_ord FROM versions WHERE id = j.value),
			(SELECT post_ord FROM edit_links WHERE id = j.value),
			(SELECT ord FROM posts WHERE id = j.value))
		FROM json_each(?) j`, string(list))
	if err != nil {
		return nil, fmt.Errorf("posts by id: %w", err)
	}
	idOrd := make(map[string]int64)
	var ords []int64
	for rows.Next() {
		var id string
		var ord sql.NullInt64
		if err := rows.Scan(&id, &ord); err != nil {
			rows.Close()
			return nil, fmt.Errorf("posts by id: %w", err)
		}
		if ord.Valid {
			idOrd[id] = ord.Int64
			ords = append(ords, ord.Int64)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("posts by id: %w", err)
	}
	posts, err := db.matchPosts(ctx, ords, postURL)
	if err != nil {
		return nil, fmt.Errorf("posts by id: %w", err)
	}
	byOrd := make(map[int64]MatchPost, len(posts))
	for _, p := range posts {
		byOrd[p.Ord] = p
	}
	for id, ord := range idOrd {
		if p, ok := byOrd[ord]; ok {
			out[id] = p
		}
	}
	return out, nil
}

// PostsByMediaSlug returns posts whose text links the media slug, as
// https://t.co/SLUG (how the API gives it) or pic.twitter.com/SLUG, newest
// first. Slugs are case-sensitive; the index is not, so each hit is
// checked.
func (db *DB) PostsByMediaSlug(ctx context.Context, slug string, limit int, postURL string) ([]MatchPost, error) {
	slug = strings.TrimSpace(slug)
	if slug == "" || strings.ContainsFunc(slug, func(r rune) bool { return !isTokenRune(r) }) {
		return nil, nil
	}
	ords, err := db.ftsOrds(ctx, `{text previous}: "`+slug+`"`, 200)
	if err != nil {
		return nil, fmt.Errorf("posts by media: %w", err)
	}
	posts, err := db.matchPosts(ctx, ords, postURL)
	if err != nil {
		return nil, fmt.Errorf("posts by media: %w", err)
	}
	var out []MatchPost
	for _, p := range posts {
		for _, v := range p.Versions {
			if strings.Contains(v.Text, "t.co/"+slug) || strings.Contains(v.Text, "pic.twitter.com/"+slug) ||
				strings.Contains(v.Text, "pic.x.com/"+slug) {
				out = append(out, p)
				break
			}
		}
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// PostsByAuthorBetween returns up to limit posts of the account with the
// handle (any case, with or without "@") made in [from, to), newest first.
func (db *DB) PostsByAuthorBetween(ctx context.Context, handle string, from, to time.Time, limit int, postURL string) ([]MatchPost, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT ord FROM posts
		WHERE account_id IN (SELECT id FROM accounts WHERE handle_lc = ?) AND ord >= ? AND ord < ?
		ORDER BY ord DESC LIMIT ?`, archive.NormalizeHandle(handle), archive.SnowflakeAt(from), archive.SnowflakeAt(to), limit)
	if err != nil {
		return nil, fmt.Errorf("posts by author: %w", err)
	}
	ords, err := scanOrds(rows)
	if err != nil {
		return nil, fmt.Errorf("posts by author: %w", err)
	}
	posts, err := db.matchPosts(ctx, ords, postURL)
	if err != nil {
		return nil, fmt.Errorf("posts by author: %w", err)
	}
	return posts, nil
}

// QuoteHit is an archived post that holds a quotation, or most of it.
type QuoteHit struct {
	Post MatchPost
	// Score is the share of the quotation's words that a version of the
	// post has in the same order (1: all of them).
	Score float64
}

// Quote lookup: how many of the rarest words make the first query, how
// many make the pairs tried after, how many candidates each query may
// bring, where counting a word's posts stops, how many words are counted at
// most, and how many words one NEAR query takes at most.
const (
	quoteMaxAnd    = 6
	quotePairsFrom = 4
	quoteCands     = 30
	quoteCountCap  = 1000
	quoteMaxTerms  = 24
	quoteMaxNear   = 64
)

// FindQuote finds the archived posts that a quotation most likely comes
// from, best first. Each candidate is re-checked word by word against every
// version of its post: a post holding the whole quotation scores 1, one
// with one word of a ten-word quotation changed 0.9; hits below half are
// dropped. Candidates come from these sources, tried in turn until one
// brings a post that has the quotation whole or with one word changed:
//
//   - with an in-memory index (BuildQuoteIndex), the posts that share the
//     most runs of three words with it;
//   - full-text queries for words within a stretch as long as the quotation
//     (NEAR): its rarest words, by how many posts have them: all of them
//     (up to six), all but one, then pairs of the four rarest. Words no post
//     has are left out. Never an OR of every word;
//   - for a quotation of six words or more, cut in three parts, the words
//     of each two parts, common ones too (one changed word leaves two parts
//     intact): for quotations of common words only.
func (db *DB) FindQuote(ctx context.Context, quote string, limit int, postURL string) ([]QuoteHit, error) {
	tokens := ftsTokens(quote)
	if len(tokens) == 0 {
		return nil, nil
	}
	qwords := quoteWords(quote)
	seen := make(map[int64]bool)
	var hits []QuoteHit
	score := func(ords []int64) error {
		var fresh []int64
		for _, o := range ords {
			if !seen[o] {
				seen[o] = true
				fresh = append(fresh, o)
			}
		}
		posts, err := db.matchPosts(ctx, fresh, postURL)
		if err != nil {
			return err
		}
		for _, p := range posts {
			best := 0.0
			for _, v := range p.Versions {
				// The exact score only for texts that have enough of
				// the quotation's words at all.
				if overlap(v.Text, qwords) >= 0.5 {
					best = max(best, containment(v.Text, quote))
				}
			}
			if best >= 0.5 {
				hits = append(hits, QuoteHit{Post: p, Score: best})
			}
		}
		return nil
	}
	need := 1 - 1/float64(max(len(qwords), 1)) - 1e-9
	done := func() bool {
		return slices.ContainsFunc(hits, func(h QuoteHit) bool { return h.Score >= need })
	}
	run := func(match string) error {
		ords, err := db.ftsOrds(ctx, match, quoteCands)
		if err == nil {
			err = score(ords)
		}
		return err
	}
	// The in-memory index, where there is one, finds a post that shares
	// six words in a row with the quotation in well under a millisecond.
	if keys, err := db.quotes.candidates(ctx, db, quote); err != nil {
		return nil, fmt.Errorf("find quote: %w", err)
	} else if len(keys) > 0 {
		if err := score(keys); err != nil {
			return nil, fmt.Errorf("find quote: %w", err)
		}
		if done() {
			return sortHits(hits, limit), nil
		}
	}
	rare, err := db.rareTerms(ctx, quote)
	if err != nil {
		return nil, fmt.Errorf("find quote: %w", err)
	}
	var sets [][]string
	tried := make(map[string]bool)
	add := func(set []string) {
		if key := strings.Join(set, " "); len(set) > 0 && !tried[key] {
			tried[key] = true
			sets = append(sets, set)
		}
	}
	top := rare[:min(quoteMaxAnd, len(rare))]
	add(top)
	if len(top) > 2 {
		for i := range top {
			add(slices.Delete(slices.Clone(top), i, i+1))
		}
	}
	pairs := rare[:min(quotePairsFrom, len(rare))]
	for i := range pairs {
		for j := i + 1; j < len(pairs); j++ {
			add([]string{pairs[i], pairs[j]})
		}
	}
	// The words of a quotation stand close together in its post.
	near := len(tokens) + 2
	for _, q := range sets {
		if err := run(ftsNear(near, q...)); err != nil {
			return nil, fmt.Errorf("find quote: %w", err)
		}
		if done() {
			return sortHits(hits, limit), nil
		}
	}
	// A quotation of common words: its words, common ones too, of each two
	// of its three parts (one changed word leaves two parts intact).
	if len(tokens) >= 6 {
		a, b := len(tokens)/3, 2*len(tokens)/3
		parts := [][]string{tokens[:a], tokens[a:b], tokens[b:]}
		for _, pair := range [][2]int{{0, 1}, {1, 2}, {0, 2}} {
			set := distinct(append(slices.Clone(parts[pair[0]]), parts[pair[1]]...))
			if err := run(ftsNear(near, set[:min(len(set), quoteMaxNear)]...)); err != nil {
				return nil, fmt.Errorf("find quote: %w", err)
			}
			if done() {
				break
			}
		}
	}
	return sortHits(hits, limit), nil
}

// rareTerms returns the words of the quotation that some post has, rarest
// first by how many posts have them (counted up to quoteCountCap).
func (db *DB) rareTerms(ctx context.Context, quote string) ([]string, error) {
	type termCount struct {
		term string
		n    int
	}
	var counts []termCount
	for _, t := range quoteTerms(quote) {
		var n int
		err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?)`,
			ftsTerm(t), quoteCountCap).Scan(&n)
		if err != nil {
			return nil, err
		}
		if n > 0 { // a word no post has was changed, or misspelt
			counts = append(counts, termCount{t, n})
		}
	}
	slices.SortStableFunc(counts, func(a, b termCount) int { return cmp.Compare(a.n, b.n) })
	out := make([]string, len(counts))
	for i, c := range counts {
		out[i] = c.term
	}
	return out, nil
}

// sortHits orders hits best first, the earliest post first among equals
// (later ones may copy it), and keeps limit of them.
func sortHits(hits []QuoteHit, limit int) []QuoteHit {
	slices.SortStableFunc(hits, func(a, b QuoteHit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Post.Ord, b.Post.Ord)
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// ftsOrds runs a full-text query on post texts and returns up to limit
// matching keys, oldest first (FTS5's own order: walking a long doclist
// backwards costs several times more).
func (db *DB) ftsOrds(ctx context.Context, match string, limit int) ([]int64, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?`, match, limit)
	if err != nil {
		return nil, err
	}
	return scanOrds(rows)
}

func scanOrds(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// quoteTerms returns the distinct words of a quotation as the full-text
// index splits them, lower-cased, longest first, without the shortest and
// the most common English words, which rarely narrow anything down.
func quoteTerms(quote string) []string {
	var terms []string
	seen := make(map[string]bool)
	for _, w := range ftsTokens(quote) {
		if len([]rune(w)) < 3 || stopWords[w] || seen[w] {
			continue
		}
		seen[w] = true
		terms = append(terms, w)
	}
	slices.SortStableFunc(terms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return terms[:min(len(terms), quoteMaxTerms)]
}

// isTokenRune reports the characters FTS5's unicode61 tokenizer keeps in
// tokens: letters, digits and marks.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.Co, r)
}

// ftsTerm is a query for posts whose text (or an earlier version) has the
// word. Terms hold only token characters, so quoting needs no escapes.
func ftsTerm(t string) string { return `{text previous}: "` + t + `"` }

// distinct returns the strings of s without repeats, in order.
func distinct(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, t := range s {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// ftsTokens splits s as the index's tokenizer does, lower-cased.
func ftsTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isTokenRune(r) })
}

// quoteWords returns the distinct normalised words of a quotation.
func quoteWords(quote string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range verify.Words(quote) {
		if w.Kind == verify.KindWord {
			m[w.Norm] = true
		}
	}
	return m
}

// overlap is the share of the words in qwords that text has anywhere: a
// cheap upper bound of containment.
func overlap(text string, qwords map[string]bool) float64 {
	if len(qwords) == 0 {
		return 0
	}
	found := make(map[string]bool, len(qwords))
	for _, w := range verify.Words(text) {
		if w.Kind == verify.KindWord && qwords[w.Norm] {
			found[w.Norm] = true
		}
	}
	return float64(len(found)) / float64(len(qwords))
}

// ftsNear is a query for posts whose text has all the words within a
// stretch of n words.
func ftsNear(n int, terms ...string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = `"` + t + `"`
	}
	if len(q) == 1 {
		return `{text previous}: ` + q[0]
	}
	return fmt.Sprintf(`{text previous}: NEAR(%s, %d)`, strings.Join(q, " "), n)
}

// containment is the share of quote's word tokens that text has in the
// same order, compared after verify.Normalize.
func containment(text, quote string) float64 {
	total, equal := 0, 0
	for _, e := range verify.DiffWords(text, quote) {
		n := countWords(e.B)
		total += n
		if e.Op == verify.Equal {
			equal += n
		}
	}
	if total == 0 {
		return 0
	}
	return float64(equal) / float64(total)
}

func countWords(s string) int {
	n := 0
	for _, w := range verify.Words(s) {
		if w.Kind == verify.KindWord {
			n++
		}
	}
	return n
}

// stopWords are common English words left out of quote lookups.
var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`the and for that this with are was were will have has had not but our you your they
		their them from its all can who what when which been more about into than also just over would there here
		out one today very after before said says being because any some such only other these those then now how`) {
		m[w] = true
	}
	return m
}()
