package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// Item is one post version to write, with the raw page it came from.
type Item struct {
	Post      archive.Post
	CaptureID int64 // the capture holding the raw page
	Page      int   // line (JSONL) or element index within that capture
}

// WriteStats counts what a write added.
type WriteStats struct {
	Posts     int `json:"posts"`     // new posts
	Versions  int `json:"versions"`  // new versions of posts already archived
	Unchanged int `json:"unchanged"` // versions already archived
	// Edited lists the ids of posts archived before that gained a version.
	Edited []string `json:"-"`
}

// Add adds o's counts to s.
func (s *WriteStats) Add(o WriteStats) {
	s.Posts += o.Posts
	s.Versions += o.Versions
	s.Unchanged += o.Unchanged
	s.Edited = append(s.Edited, o.Edited...)
}

// PostWriter writes posts in batches, one transaction a batch. It caches
// account ids between batches and is not safe for concurrent use.
type PostWriter struct {
	db       *DB
	accounts map[string]accountRow
	// pending holds the posts of the open transaction that the full-text
	// index does not have yet: new posts, and posts whose indexed columns
	// changed (their old entries are in unindex). They go in with one
	// statement at the end, read from their rows: FTS5 writes out its
	// buffer at the end of every statement that changes it, and whenever a
	// rowid is not above the last one written, so indexing post by post
	// between other writes leaves many tiny segments to merge. Migration 3
	// dropped the update trigger for this; every change of an indexed
	// column goes through here.
	pending map[int64]bool
	unindex []ftsRow // entries to take out of the index first
	edited  []string // posts of the open transaction that gained a version
	// runPosts is the full-run statement of the open transaction.
	runPosts *sql.Stmt
}

type ftsRow struct {
	ord                    int64
	text, author, previous string
}

// index queues the post at ord to be (re)indexed as its row stands when
// the transaction ends.
func (w *PostWriter) index(ord int64) {
	if w.pending == nil {
		w.pending = make(map[int64]bool)
	}
	w.pending[ord] = true
}

// reindex queues a change of an indexed row: old is what the index holds
// now, unless the row is still pending.
func (w *PostWriter) reindex(old ftsRow) {
	if !w.pending[old.ord] {
		w.unindex = append(w.unindex, old)
	}
	w.index(old.ord)
}

type accountRow struct {
	id           int64
	handle, name string
}

// NewPostWriter returns a writer for posts.
func (db *DB) NewPostWriter() *PostWriter {
	return &PostWriter{db: db, accounts: make(map[string]accountRow)}
}

// versionDetail is the per-version JSON kept beside the text.
type versionDetail struct {
	Lang           string          `json:"lang,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	ReplyToID      string          `json:"reply_to_id,omitempty"`
	QuotedID       string          `json:"quoted_id,omitempty"`
	RetweetedID    string          `json:"retweeted_id,omitempty"`
	EditHistory    []string        `json:"edit_history,omitempty"`
	Media          []archive.Media `json:"media,omitempty"`
}

type txStmts struct {
	findLink, insPost, insVersion, insLink *sql.Stmt
}

func (s *txStmts) close() {
	for _, st := range []*sql.Stmt{s.findLink, s.insPost, s.insVersion, s.insLink} {
		if st != nil {
			st.Close()
		}
	}
}

// Write records items in one transaction. Versions already archived are
// counted as unchanged; nothing is ever overwritten except a post's summary
// of its newest version.
func (w *PostWriter) Write(ctx context.Context, items []Item) (WriteStats, error) {
	var stats WriteStats
	newAccounts := make(map[string]accountRow)
	err := w.db.tx(ctx, func(tx *sql.Tx) error {
		stats = WriteStats{}
		clear(newAccounts)
		clear(w.pending)
		w.unindex = w.unindex[:0]
		w.edited = w.edited[:0]
		w.runPosts = nil
		defer func() {
			if w.runPosts != nil {
				w.runPosts.Close()
			}
			w.runPosts = nil
		}()
		var st txStmts
		defer st.close()
		var err error
		prep := func(q string) *sql.Stmt {
			if err != nil {
				return nil
			}
			var s *sql.Stmt
			s, err = tx.PrepareContext(ctx, q)
			return s
		}
		st.findLink = prep(`SELECT post_ord FROM edit_links WHERE id = ?`)
		st.insPost = prep(`INSERT INTO posts(ord, id, platform, account_id, handle, author_name, created_at, latest_id, text, lang,
				versions, edit_ids, has_media, status, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		st.insVersion = prep(`INSERT OR IGNORE INTO post_versions(id, post_ord, seq, created_at, text, capture_id, page, first_seen, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		st.insLink = prep(`INSERT OR IGNORE INTO edit_links(id, post_ord) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		now := formatTime(w.db.now())
		count := func(added addResult) {
			switch added {
			case addedPost:
				stats.Posts++
			case addedVersion:
				stats.Versions++
			default:
				stats.Unchanged++
			}
		}
		// Runs of plain posts (a one-entry edit history: the common case)
		// go in multi-row statements; anything else, one by one.
		var run []*Item
		flush := func() error {
			if len(run) == 0 {
				return nil
			}
			res, err := w.writeRun(ctx, tx, newAccounts, run, now)
			if err != nil {
				return err
			}
			for _, r := range res {
				count(r)
			}
			run = run[:0]
			return nil
		}
		// Plain posts first, then the rest, which may change the rows of
		// the plain ones; the full-text index gets them all at the end.
		var others, plain []*Item
		for i := range items {
			it := &items[i]
			if !isPlain(&it.Post) {
				others = append(others, it)
				continue
			}
			plain = append(plain, it)
		}
		// In key order, the whole batch: B-tree appends rather than
		// splits (timelines come newest first), runs of neighbours.
		sortByKey(plain, func(it *Item) int64 { return archive.OrderKey(archive.PlatformX, it.Post.ID, it.Post.CreatedAt) })
		for i, it := range plain {
			if i%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if run = append(run, it); len(run) == runSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		// In key order too: an update of an indexed row makes FTS5 write
		// out its buffer whenever its rowid is below the last one written,
		// so edits in timeline order (newest first) would cost a flush each.
		sortByKey(others, func(it *Item) int64 { k, _ := rootKey(&it.Post); return k })
		for _, it := range others {
			added, err := w.writeOne(ctx, tx, &st, newAccounts, it, now)
			if err != nil {
				return fmt.Errorf("post %s: %w", it.Post.ID, err)
			}
			count(added)
		}
		return w.flushFTS(ctx, tx)
	})
	if err != nil {
		return WriteStats{}, fmt.Errorf("write posts: %w", err)
	}
	for k, v := range newAccounts {
		w.accounts[k] = v
	}
	stats.Edited = append([]string(nil), w.edited...)
	return stats, nil
}

// sortByKey sorts items by key, stably, computing each key once.
func sortByKey(items []*Item, key func(*Item) int64) {
	type keyed struct {
		k  int64
		it *Item
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		ks[i] = keyed{key(it), it}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.k, b.k) })
	for i := range ks {
		items[i] = ks[i].it
	}
}

// runSize is how many posts one multi-row INSERT carries (runArgs values
// each, well under SQLite's limit on variables).
const runSize = 128

// rootKey returns the order key and creation time of the post p is a
// version of, as far as p alone tells: the first id of its edit history
// (a version seen without its history stands for itself), timed by that
// id when it is a snowflake.
func rootKey(p *archive.Post) (int64, time.Time) {
	root, created := p.RootID(), p.CreatedAt
	if root != p.ID {
		if t, ok := archive.SnowflakeTime(root); ok {
			created = t
		}
	}
	platform := p.Platform
	if platform == "" {
		platform = archive.PlatformX
	}
	return archive.OrderKey(platform, root, created), created
}

// isPlain reports a post that is its own first and only known version.
func isPlain(p *archive.Post) bool {
	return len(p.EditHistory) == 1 && p.EditHistory[0] == p.ID && p.ID != "" &&
		(p.Platform == "" || p.Platform == archive.PlatformX) && !p.CreatedAt.IsZero()
}

// writeRun writes plain posts, in key order, with one multi-row INSERT, each new post
// holding its version in its own row, then adds the version of any whose
// post already existed, if it is new, one by one.
func (w *PostWriter) writeRun(ctx context.Context, tx *sql.Tx, newAccounts map[string]accountRow, run []*Item, now string) ([]addResult, error) {
	pargs := make([]any, 0, len(run)*runArgs)
	ords := make([]int64, len(run))
	for i, it := range run {
		p := &it.Post
		p.Platform = archive.PlatformX
		ord := archive.OrderKey(p.Platform, p.ID, p.CreatedAt)
		ords[i] = ord
		acct, err := w.account(ctx, tx, newAccounts, p.Author)
		if err != nil {
			return nil, fmt.Errorf("post %s: %w", p.ID, err)
		}
		handle, name := p.Author.Handle, p.Author.Name
		if handle == "" {
			handle = acct.handle
		}
		if name == "" {
			name = acct.name
		}
		var acctID, capID any
		if acct.id != 0 {
			acctID = acct.id
		}
		if it.CaptureID != 0 {
			capID = it.CaptureID
		}
		hasMedia := 0
		if len(p.Media) > 0 {
			hasMedia = 1
		}
		detail, err := marshalDetail(p)
		if err != nil {
			return nil, err
		}
		pargs = append(pargs, ord, p.ID, acctID, handle, name, formatTime(p.CreatedAt), p.ID, p.Text, p.Lang, p.ID, hasMedia, now, now,
			capID, it.Page, detail)
	}
	newPosts, err := w.insertRun(ctx, tx, runSQL(len(run)), pargs, ords)
	if err != nil {
		return nil, err
	}
	for ord := range newPosts {
		w.index(ord)
	}
	out := make([]addResult, len(run))
	for i, it := range run {
		if newPosts[ords[i]] {
			delete(newPosts, ords[i]) // a repeat later in the run is not new
			out[i] = addedPost
			continue
		}
		known, err := versionKnown(ctx, tx, it.Post.ID)
		if err != nil {
			return nil, fmt.Errorf("post %s: %w", it.Post.ID, err)
		}
		if known {
			out[i] = addedNothing
			continue
		}
		// The post was known from a later version: this is its original.
		if err := materialize(ctx, tx, ords[i]); err != nil {
			return nil, fmt.Errorf("post %s: %w", it.Post.ID, err)
		}
		a := pargs[i*runArgs:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_versions(id, post_ord, seq, created_at, text, capture_id, page, first_seen, detail)
			VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)`, it.Post.ID, ords[i], a[5], a[7], a[13], a[14], now, a[15]); err != nil {
			return nil, fmt.Errorf("post %s: %w", it.Post.ID, err)
		}
		if err := w.refreshPost(ctx, tx, ords[i], it.Post.EditHistory, now); err != nil {
			return nil, fmt.Errorf("post %s: %w", it.Post.ID, err)
		}
		if err := w.noteEdit(ctx, tx, ords[i], it.Post.ID, now); err != nil {
			return nil, err
		}
		out[i] = addedVersion
	}
	return out, nil
}

// runSQL returns writeRun's INSERT of n posts, each a new post that keeps
// its only version in its own row (migration 7). (Numbered parameters, to
// bind the time once a run, cost more than they save: the driver looks
// each one's name up in a list.)
func runSQL(n int) string {
	if n == runSize {
		fullRunOnce.Do(func() { fullRunSQL = buildRunSQL(runSize) })
		return fullRunSQL
	}
	return buildRunSQL(n)
}

var (
	fullRunOnce sync.Once
	fullRunSQL  string
)

func buildRunSQL(n int) string {
	const (
		head = `INSERT INTO posts(ord, id, platform, account_id, handle, author_name, created_at, latest_id, text, lang,
		versions, edit_ids, has_media, status, first_seen, last_seen, v_capture, v_page, v_detail) VALUES `
		row  = "(?,?,'x',?,?,?,?,?,?,?,1,?,?,'live',?,?,?,?,?)"
		tail = " ON CONFLICT DO NOTHING"
	)
	var b strings.Builder
	b.Grow(len(head) + n*(len(row)+1) + len(tail))
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	return b.String()
}

// insertRun runs writeRun's INSERT (q, without a RETURNING clause) and
// returns the order keys of the posts it added. A full run, the bulk of an
// import, is tried first without RETURNING, whose rows cost more to read
// than the insert: inside a savepoint, and when it added fewer posts than
// it holds (some were archived already) it is rolled back and run again
// with RETURNING, as shorter runs (a page of a timeline, mostly known) are
// at once.
func (w *PostWriter) insertRun(ctx context.Context, tx *sql.Tx, q string, args []any, ords []int64) (map[int64]bool, error) {
	distinct := make(map[int64]bool, len(ords))
	for _, o := range ords {
		distinct[o] = true
	}
	if len(ords) == runSize {
		// Full runs reuse a statement prepared once per transaction, so
		// SQLite parses the long INSERT once rather than once a run.
		if w.runPosts == nil {
			var err error
			if w.runPosts, err = tx.PrepareContext(ctx, q); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT run`); err != nil {
			return nil, err
		}
		res, err := w.runPosts.ExecContext(ctx, args...)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err == nil && n == int64(len(distinct)) {
			_, err = tx.ExecContext(ctx, `RELEASE run`)
			return distinct, err
		}
		for _, q := range []string{`ROLLBACK TO run`, `RELEASE run`} {
			if _, rerr := tx.ExecContext(ctx, q); rerr != nil {
				return nil, errors.Join(err, rerr)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return returned[int64](ctx, tx, q+" RETURNING ord", args)
}

// runArgs is the number of arguments a post takes in writeRun's INSERT.
const runArgs = 16

// versionKnown reports whether the version id is archived, in
// post_versions or as the only version of its post.
func versionKnown(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	var known bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM post_versions WHERE id = ?1)
		OR EXISTS (SELECT 1 FROM posts WHERE id = ?1 AND v_detail IS NOT NULL)`, id).Scan(&known)
	return known, err
}

// materialize moves the only version of the post at ord from its row into
// post_versions, where a second version can join it; it does nothing when
// the post's versions are there already. Everything that adds a version to
// a post, renumbers or moves its versions calls it first.
func materialize(ctx context.Context, tx *sql.Tx, ord int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO post_versions(id, post_ord, seq, created_at, text, capture_id, page, first_seen, detail)
		SELECT id, ord, 0, created_at, text, v_capture, coalesce(v_page, 0), first_seen, v_detail FROM posts
		WHERE ord = ? AND v_detail IS NOT NULL`, ord)
	if err != nil {
		return fmt.Errorf("materialize version: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET v_capture = NULL, v_page = NULL, v_detail = NULL WHERE ord = ?`, ord); err != nil {
		return fmt.Errorf("materialize version: %w", err)
	}
	return nil
}

// returned runs an INSERT … RETURNING and collects the returned keys.
func returned[K comparable](ctx context.Context, tx *sql.Tx, q string, args []any) (map[K]bool, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[K]bool)
	for rows.Next() {
		var k K
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

type addResult int

const (
	addedNothing addResult = iota
	addedPost
	addedVersion
)

func (w *PostWriter) writeOne(ctx context.Context, tx *sql.Tx, st *txStmts, newAccounts map[string]accountRow, it *Item, now string) (addResult, error) {
	p := &it.Post
	if p.ID == "" {
		return 0, errors.New("post has no id")
	}
	if p.Platform == "" {
		p.Platform = archive.PlatformX
	}
	if p.CreatedAt.IsZero() {
		// Responses with default fields carry no time; a snowflake id does.
		if t, ok := archive.SnowflakeTime(p.ID); ok && p.Platform == archive.PlatformX {
			p.CreatedAt = t
		}
	}
	root := p.RootID()
	var ord int64
	if len(p.EditHistory) == 0 {
		// A version seen without its history may belong to a known post.
		err := st.findLink.QueryRowContext(ctx, p.ID).Scan(&ord)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	rootOrd, rootCreated := rootKey(p)
	if ord == 0 {
		ord = rootOrd
	}

	acct, err := w.account(ctx, tx, newAccounts, p.Author)
	if err != nil {
		return 0, err
	}
	handle, name := p.Author.Handle, p.Author.Name
	if handle == "" {
		handle = acct.handle
	}
	if name == "" {
		name = acct.name
	}
	var acctID any
	if acct.id != 0 {
		acctID = acct.id
	}
	status := archive.StatusLive
	if len(p.EditHistory) > 1 {
		status = archive.StatusEdited
	}
	hasMedia := 0
	if len(p.Media) > 0 {
		hasMedia = 1
	}
	editIDs := strings.Join(p.EditHistory, " ")
	res, err := st.insPost.ExecContext(ctx, ord, root, p.Platform, acctID, handle, name, formatTime(rootCreated),
		p.ID, p.Text, p.Lang, editIDs, hasMedia, status, now, now)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 1 {
		w.index(ord)
	}
	m, err := insertVersion(ctx, tx, st, it, ord, n == 0, now)
	if err != nil {
		return 0, err
	}
	switch {
	case n == 1 && len(p.EditHistory) <= 1:
		return addedPost, nil
	case m == 0 && len(p.EditHistory) <= 1:
		return addedNothing, nil
	}
	if len(p.EditHistory) > 1 {
		for _, id := range p.EditHistory {
			if _, err := st.insLink.ExecContext(ctx, id, ord); err != nil {
				return 0, err
			}
		}
	}
	// The post's history may have grown even when this version is known.
	if err := w.refreshPost(ctx, tx, ord, p.EditHistory, now); err != nil {
		return 0, err
	}
	switch {
	case n == 1:
		return addedPost, nil
	case m == 1:
		return addedVersion, w.noteEdit(ctx, tx, ord, p.ID, now)
	}
	return addedNothing, nil
}

// noteEdit records that a post archived before gained a version.
func (w *PostWriter) noteEdit(ctx context.Context, tx *sql.Tx, ord int64, versionID, now string) error {
	var root string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM posts WHERE ord = ?`, ord).Scan(&root); err != nil {
		return err
	}
	w.edited = append(w.edited, root)
	_, err := tx.ExecContext(ctx, `INSERT INTO post_events(post_ord, kind, at, detail) VALUES (?, 'edited', ?, json_object('version_id', ?))`,
		ord, now, versionID)
	return err
}

func marshalDetail(p *archive.Post) (string, error) {
	d := versionDetail{Lang: p.Lang, ConversationID: p.ConversationID, ReplyToID: p.ReplyToID,
		QuotedID: p.QuotedID, RetweetedID: p.RetweetedID, Media: p.Media}
	if len(p.EditHistory) > 1 {
		d.EditHistory = p.EditHistory
	}
	if d.ConversationID == p.ID {
		d.ConversationID = ""
	}
	if d.ConversationID == "" && d.ReplyToID == "" && d.QuotedID == "" && d.RetweetedID == "" && len(d.Media) == 0 && d.EditHistory == nil {
		if d.Lang == "" {
			return "{}", nil
		}
		return `{"lang":` + jsonString(d.Lang) + `}`, nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// insertVersion adds the version it holds to the post at ord in
// post_versions, unless it is archived already, and returns 1 if it added
// it. existed says the post was archived before this version.
func insertVersion(ctx context.Context, tx *sql.Tx, st *txStmts, it *Item, ord int64, existed bool, now string) (int64, error) {
	p := &it.Post
	if existed {
		// Perhaps with this very version in its own row; any other
		// version joins that one in post_versions.
		var inline string
		err := tx.QueryRowContext(ctx, `SELECT id FROM posts WHERE ord = ? AND v_detail IS NOT NULL`, ord).Scan(&inline)
		switch {
		case err == nil && inline == p.ID:
			return 0, nil
		case err == nil:
			if err := materialize(ctx, tx, ord); err != nil {
				return 0, err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return 0, err
		}
	}
	detail, err := marshalDetail(p)
	if err != nil {
		return 0, err
	}
	var capID any
	if it.CaptureID != 0 {
		capID = it.CaptureID
	}
	seq := p.Seq()
	if existed && len(p.EditHistory) == 0 {
		// Its place in the history is known from the post's edit ids.
		var ids string
		if err := tx.QueryRowContext(ctx, `SELECT edit_ids FROM posts WHERE ord = ?`, ord).Scan(&ids); err != nil {
			return 0, err
		}
		if i := slices.Index(strings.Fields(ids), p.ID); i >= 0 {
			seq = i
		}
	}
	res, err := st.insVersion.ExecContext(ctx, p.ID, ord, seq, formatTime(p.CreatedAt), p.Text, capID, it.Page, now, detail)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// refreshPost merges posts that turn out to be versions of this one, then
// recomputes the post's newest text, earlier texts, edit ids and status.
func (w *PostWriter) refreshPost(ctx context.Context, tx *sql.Tx, ord int64, history []string, now string) error {
	if err := materialize(ctx, tx, ord); err != nil {
		return err
	}
	var rootID, editIDs, status string
	var old ftsRow
	old.ord = ord
	if err := tx.QueryRowContext(ctx, `SELECT id, edit_ids, status, text, author, previous FROM posts WHERE ord = ?`, ord).Scan(
		&rootID, &editIDs, &status, &old.text, &old.author, &old.previous); err != nil {
		return err
	}
	ids := strings.Fields(editIDs)
	if len(history) > len(ids) {
		ids = history
	}
	for _, id := range ids {
		if id == rootID {
			continue
		}
		// A version archived earlier as a post of its own joins this one.
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT ord FROM posts WHERE id = ?`, id).Scan(&other)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if other == ord {
			continue
		}
		// The delete trigger takes the row out of the index: it must be
		// in it.
		if err := w.flushFTS(ctx, tx); err != nil {
			return err
		}
		if err := materialize(ctx, tx, other); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE post_versions SET post_ord = ? WHERE post_ord = ?`,
			`UPDATE edit_links SET post_ord = ? WHERE post_ord = ?`,
			`UPDATE captures SET post_ord = ? WHERE post_ord = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, ord, other); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE ord = ?`, other); err != nil {
			return err
		}
	}
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO edit_links(id, post_ord) VALUES (?, ?)`, id, ord); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE post_versions SET seq = ? WHERE id = ? AND post_ord = ?`, i, id, ord); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, text FROM post_versions WHERE post_ord = ? ORDER BY seq, created_at`, ord)
	if err != nil {
		return err
	}
	var vids, texts []string
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			rows.Close()
			return err
		}
		vids = append(vids, id)
		texts = append(texts, text)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(vids) == 0 {
		return nil
	}
	last := len(vids) - 1
	var prev []string
	for i := 0; i < last; i++ {
		if texts[i] != texts[last] && !slices.Contains(prev, texts[i]) {
			prev = append(prev, texts[i])
		}
	}
	if status != archive.StatusDeleted && status != archive.StatusUnavailable {
		status = archive.StatusLive
		if len(ids) > 1 || len(vids) > 1 {
			status = archive.StatusEdited
		}
	}
	previous := strings.Join(prev, "\n\n")
	_, err = tx.ExecContext(ctx, `UPDATE posts SET latest_id = ?, text = ?, previous = ?, versions = ?, edit_ids = ?, status = ?, last_seen = ? WHERE ord = ?`,
		vids[last], texts[last], previous, len(vids), strings.Join(ids, " "), status, now, ord)
	if err != nil {
		return err
	}
	if texts[last] != old.text || previous != old.previous {
		w.reindex(old)
	}
	return nil
}

// account finds or creates the author's account row.
func (w *PostWriter) account(ctx context.Context, tx *sql.Tx, newAccounts map[string]accountRow, a archive.Account) (accountRow, error) {
	if a.Platform == "" {
		a.Platform = archive.PlatformX
	}
	a.Handle = strings.TrimPrefix(a.Handle, "@")
	var key string
	switch {
	case a.PlatformID != "":
		key = a.Platform + ":id:" + a.PlatformID
	case a.Handle != "":
		key = a.Platform + ":h:" + strings.ToLower(a.Handle)
	default:
		return accountRow{}, nil
	}
	if r, ok := newAccounts[key]; ok && (a.Handle == "" || r.handle == a.Handle) && (a.Name == "" || r.name == a.Name) {
		return r, nil
	}
	if r, ok := w.accounts[key]; ok && (a.Handle == "" || r.handle == a.Handle) && (a.Name == "" || r.name == a.Name) {
		return r, nil
	}
	if err := w.flushFTS(ctx, tx); err != nil { // upsertAccount may update posts
		return accountRow{}, err
	}
	r, err := upsertAccount(ctx, tx, a, formatTime(w.db.now()))
	if err != nil {
		return accountRow{}, fmt.Errorf("account: %w", err)
	}
	newAccounts[key] = r
	return r, nil
}

func upsertAccount(ctx context.Context, tx *sql.Tx, a archive.Account, now string) (accountRow, error) {
	var r accountRow
	var err error
	if a.PlatformID != "" {
		err = tx.QueryRowContext(ctx, `SELECT id, handle, name FROM accounts WHERE platform = ? AND platform_id = ?`, a.Platform, a.PlatformID).Scan(&r.id, &r.handle, &r.name)
		if errors.Is(err, sql.ErrNoRows) && a.Handle != "" {
			// An account known so far by its handle alone gets its id.
			err = tx.QueryRowContext(ctx, `SELECT id, handle, name FROM accounts WHERE platform = ? AND handle_lc = ? AND platform_id = ''`,
				a.Platform, strings.ToLower(a.Handle)).Scan(&r.id, &r.handle, &r.name)
			if err == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE accounts SET platform_id = ?, updated_at = ? WHERE id = ?`, a.PlatformID, now, r.id); err != nil {
					return r, err
				}
			}
		}
	} else {
		err = tx.QueryRowContext(ctx, `SELECT id, handle, name FROM accounts WHERE platform = ? AND handle_lc = ? ORDER BY platform_id <> '' DESC, id LIMIT 1`,
			a.Platform, strings.ToLower(a.Handle)).Scan(&r.id, &r.handle, &r.name)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts(platform, platform_id, handle, handle_lc, name, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.Platform, a.PlatformID, a.Handle, strings.ToLower(a.Handle), a.Name, now, now)
		if err != nil {
			return r, err
		}
		r.id, err = res.LastInsertId()
		r.handle, r.name = a.Handle, a.Name
		return r, err
	case err != nil:
		return r, err
	}
	if (a.Handle != "" && a.Handle != r.handle) || (a.Name != "" && a.Name != r.name) {
		if a.Handle != "" {
			r.handle = a.Handle
		}
		if a.Name != "" {
			r.name = a.Name
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET handle = ?, handle_lc = ?, name = ?, updated_at = ? WHERE id = ?`,
			r.handle, strings.ToLower(r.handle), r.name, now, r.id); err != nil {
			return r, err
		}
		// Posts archived before the author's handle was known get it now,
		// in the index too (the caller has nothing pending for the index).
		if err := renameAuthor(ctx, tx, r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// renameAuthor gives the account's posts archived without a handle the
// account's handle and name, and re-indexes them. The index must hold
// every one of those posts.
func renameAuthor(ctx context.Context, tx *sql.Tx, r accountRow) error {
	rows, err := tx.QueryContext(ctx, `SELECT ord FROM posts WHERE account_id = ? AND handle = '' ORDER BY ord`, r.id)
	if err != nil {
		return err
	}
	var ords []int64
	for rows.Next() {
		var ord int64
		if err := rows.Scan(&ord); err != nil {
			rows.Close()
			return err
		}
		ords = append(ords, ord)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ords) == 0 {
		return err
	}
	list, err := json.Marshal(ords)
	if err != nil {
		return err
	}
	for _, q := range []string{
		`INSERT INTO posts_fts(posts_fts, rowid, text, author, previous)
			SELECT 'delete', ord, text, author, previous FROM posts WHERE ord IN (SELECT value FROM json_each(?1)) ORDER BY ord`,
		`UPDATE posts SET handle = ?2, author_name = ?3 WHERE ord IN (SELECT value FROM json_each(?1))`,
		`INSERT INTO posts_fts(rowid, text, author, previous)
			SELECT ord, text, author, previous FROM posts WHERE ord IN (SELECT value FROM json_each(?1)) ORDER BY ord`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(list), r.handle, r.name); err != nil {
			return err
		}
	}
	return nil
}

// flushFTS brings the full-text index in step with the open transaction:
// the old entries of changed rows out, then the pending rows in, as they
// stand.
func (w *PostWriter) flushFTS(ctx context.Context, tx *sql.Tx) error {
	if err := writeFTS(ctx, tx, `INSERT INTO posts_fts(posts_fts, rowid, text, author, previous) VALUES `, "('delete',?,?,?,?)", w.unindex); err != nil {
		return err
	}
	w.unindex = w.unindex[:0]
	if len(w.pending) == 0 {
		return nil
	}
	ords := slices.Sorted(maps.Keys(w.pending))
	list, err := json.Marshal(ords)
	if err != nil {
		return err
	}
	// In rowid order (CROSS JOIN keeps the list as the outer loop), the
	// values read from the rows rather than bound again.
	if _, err := tx.ExecContext(ctx, `INSERT INTO posts_fts(rowid, text, author, previous)
		SELECT p.ord, p.text, p.author, p.previous FROM json_each(?) j CROSS JOIN posts p ON p.ord = j.value`, string(list)); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	clear(w.pending)
	return nil
}

// writeFTS writes rows into the full-text index with as few statements
// as it can, in ascending rowid order: FTS5 writes out its buffer at the
// end of each statement and whenever a rowid is not above the last one
// written.
func writeFTS(ctx context.Context, tx *sql.Tx, insert, values string, rows []ftsRow) error {
	const chunk = 8000 // 4 variables a row, under SQLite's 32766
	slices.SortFunc(rows, func(a, b ftsRow) int { return cmp.Compare(a.ord, b.ord) })
	for len(rows) > 0 {
		part := rows[:min(chunk, len(rows))]
		var q strings.Builder
		q.Grow(len(insert) + len(part)*(len(values)+1))
		q.WriteString(insert)
		args := make([]any, 0, len(part)*4)
		for i, r := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(values)
			args = append(args, r.ord, r.text, r.author, r.previous)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		rows = rows[len(part):]
	}
	return nil
}
