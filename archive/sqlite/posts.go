package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// pending holds the rows of the open transaction that the full-text
	// index does not have yet: new posts, and posts whose text changed
	// (their old entries are in unindex). They go in with one statement at
	// the end: FTS5 writes out its buffer at the end of every statement
	// that changes it, and whenever a rowid is not above the last one
	// written, so indexing post by post between other writes leaves many
	// tiny segments to merge. Migration 3 dropped the update trigger for
	// this; every change of an indexed column goes through here.
	pending   []ftsRow
	pendingAt map[int64]int // ord → index in pending
	unindex   []ftsRow      // entries to take out of the index first
	edited    []string      // posts of the open transaction that gained a version
	// runPosts and runVersions are the full-run statements of the open
	// transaction.
	runPosts, runVersions *sql.Stmt
}

type ftsRow struct {
	ord                    int64
	text, author, previous string
}

// index queues r to be (re)indexed, replacing what is queued for its ord.
func (w *PostWriter) index(r ftsRow) {
	if i, ok := w.pendingAt[r.ord]; ok {
		w.pending[i] = r
		return
	}
	if w.pendingAt == nil {
		w.pendingAt = make(map[int64]int)
	}
	w.pendingAt[r.ord] = len(w.pending)
	w.pending = append(w.pending, r)
}

// reindex queues a change of an indexed row: old is what the index holds
// now (unless the row is still pending), r what it should hold.
func (w *PostWriter) reindex(old, r ftsRow) {
	if _, ok := w.pendingAt[r.ord]; !ok {
		w.unindex = append(w.unindex, old)
	}
	w.index(r)
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
		w.pending, w.unindex = w.pending[:0], w.unindex[:0]
		clear(w.pendingAt)
		w.edited = w.edited[:0]
		w.runPosts, w.runVersions = nil, nil
		defer func() {
			for _, st := range []*sql.Stmt{w.runPosts, w.runVersions} {
				if st != nil {
					st.Close()
				}
			}
			w.runPosts, w.runVersions = nil, nil
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
		var others []*Item
		for i := range items {
			if i%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			it := &items[i]
			if !isPlain(&it.Post) {
				others = append(others, it)
				continue
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
		slices.SortStableFunc(others, func(a, b *Item) int {
			ka, _ := rootKey(&a.Post)
			kb, _ := rootKey(&b.Post)
			return cmp.Compare(ka, kb)
		})
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

// runSize is how many posts one multi-row INSERT carries (16 values each,
// well under SQLite's limit on variables).
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

// writeRun writes plain posts with one multi-row INSERT for the posts and
// one for their versions, then falls back to the per-post path for any
// whose post already existed but whose version was new.
func (w *PostWriter) writeRun(ctx context.Context, tx *sql.Tx, newAccounts map[string]accountRow, run []*Item, now string) ([]addResult, error) {
	// In key order: B-tree appends, not splits (timelines come newest first).
	slices.SortStableFunc(run, func(a, b *Item) int {
		return cmp.Compare(archive.OrderKey(archive.PlatformX, a.Post.ID, a.Post.CreatedAt), archive.OrderKey(archive.PlatformX, b.Post.ID, b.Post.CreatedAt))
	})
	var pq, vq strings.Builder
	pq.WriteString(`INSERT INTO posts(ord, id, platform, account_id, handle, author_name, created_at, latest_id, text, lang,
		versions, edit_ids, has_media, status, first_seen, last_seen) VALUES `)
	vq.WriteString(`INSERT OR IGNORE INTO post_versions(id, post_ord, seq, created_at, text, capture_id, page, first_seen, detail) VALUES `)
	pargs := make([]any, 0, len(run)*15)
	vargs := make([]any, 0, len(run)*8)
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
		created := formatTime(p.CreatedAt)
		if i > 0 {
			pq.WriteByte(',')
			vq.WriteByte(',')
		}
		pq.WriteString("(?,?,?,?,?,?,?,?,?,?,1,?,?,'live',?,?)")
		pargs = append(pargs, ord, p.ID, p.Platform, acctID, handle, name, created, p.ID, p.Text, p.Lang, p.ID, hasMedia, now, now)
		vq.WriteString("(?,?,0,?,?,?,?,?,?)")
		vargs = append(vargs, p.ID, ord, created, p.Text, capID, it.Page, now, detail)
	}
	pq.WriteString(" ON CONFLICT DO NOTHING RETURNING ord")
	vq.WriteString(" RETURNING id")
	// Full runs reuse statements prepared once per transaction, so SQLite
	// parses the long INSERT once rather than once a run.
	var pst, vst *sql.Stmt
	if len(run) == runSize {
		var err error
		if w.runPosts == nil {
			if w.runPosts, err = tx.PrepareContext(ctx, pq.String()); err != nil {
				return nil, err
			}
			if w.runVersions, err = tx.PrepareContext(ctx, vq.String()); err != nil {
				return nil, err
			}
		}
		pst, vst = w.runPosts, w.runVersions
	}
	newPosts, err := returned[int64](ctx, tx, pst, pq.String(), pargs)
	if err != nil {
		return nil, err
	}
	newVersions, err := returned[string](ctx, tx, vst, vq.String(), vargs)
	if err != nil {
		return nil, err
	}
	done := make(map[int64]bool, len(newPosts))
	for i := range run {
		if newPosts[ords[i]] && !done[ords[i]] {
			done[ords[i]] = true
			w.index(ftsRow{ords[i], pargs[i*14+8].(string), pargs[i*14+4].(string) + " " + pargs[i*14+5].(string), ""})
		}
	}
	out := make([]addResult, len(run))
	for i, it := range run {
		switch {
		case newPosts[ords[i]]:
			delete(newPosts, ords[i]) // a repeat later in the run is not new
			out[i] = addedPost
		case newVersions[it.Post.ID]:
			// The post was known from a later version: this is its original.
			if err := w.refreshPost(ctx, tx, ords[i], it.Post.EditHistory, now); err != nil {
				return nil, fmt.Errorf("post %s: %w", it.Post.ID, err)
			}
			if err := w.noteEdit(ctx, tx, ords[i], it.Post.ID, now); err != nil {
				return nil, err
			}
			out[i] = addedVersion
		default:
			out[i] = addedNothing
		}
		delete(newVersions, it.Post.ID)
	}
	return out, nil
}

// returned runs an INSERT … RETURNING (the prepared statement when given)
// and collects the returned keys.
func returned[K comparable](ctx context.Context, tx *sql.Tx, st *sql.Stmt, q string, args []any) (map[K]bool, error) {
	var rows *sql.Rows
	var err error
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = tx.QueryContext(ctx, q, args...)
	}
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
		w.index(ftsRow{ord, p.Text, handle + " " + name, ""})
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
	if n == 0 && len(p.EditHistory) == 0 {
		// Its place in the history is known from the post's edit ids.
		var ids string
		if err := tx.QueryRowContext(ctx, `SELECT edit_ids FROM posts WHERE ord = ?`, ord).Scan(&ids); err != nil {
			return 0, err
		}
		if i := slices.Index(strings.Fields(ids), p.ID); i >= 0 {
			seq = i
		}
	}
	res, err = st.insVersion.ExecContext(ctx, p.ID, ord, seq, formatTime(p.CreatedAt), p.Text, capID, it.Page, now, detail)
	if err != nil {
		return 0, err
	}
	m, err := res.RowsAffected()
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

// refreshPost merges posts that turn out to be versions of this one, then
// recomputes the post's newest text, earlier texts, edit ids and status.
func (w *PostWriter) refreshPost(ctx context.Context, tx *sql.Tx, ord int64, history []string, now string) error {
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
		w.reindex(old, ftsRow{ord, texts[last], old.author, previous})
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
// the old entries of changed rows out, then the pending rows in.
func (w *PostWriter) flushFTS(ctx context.Context, tx *sql.Tx) error {
	if err := writeFTS(ctx, tx, `INSERT INTO posts_fts(posts_fts, rowid, text, author, previous) VALUES `, "('delete',?,?,?,?)", w.unindex); err != nil {
		return err
	}
	w.unindex = w.unindex[:0]
	if err := writeFTS(ctx, tx, `INSERT INTO posts_fts(rowid, text, author, previous) VALUES `, "(?,?,?,?)", w.pending); err != nil {
		return err
	}
	w.pending = w.pending[:0]
	clear(w.pendingAt)
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
