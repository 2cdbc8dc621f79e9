// Package report makes the integrity report: what the archive added and
// noticed over a window of time (new captures per account, edits with word
// diffs, deletions, failed and degraded captures with their verdicts,
// failed jobs, articles checked and misquotes found), the result of a full
// audit, and the archive's new signed checkpoint with a consistency proof
// from the previous report's checkpoint, so that a reader holding both
// reports and the public key knows that the log only grew in between.
//
// The Report value, written as JSON, is the source; Markdown (for chat),
// HTML (for people, with an inline SVG chart of captures per day and no
// scripts) and Atom entries are rendered from it. Reports are kept in a
// directory (see Dir), one file per format, named by the report's UTC time.
package report

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/audit"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/check"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/verify"
	"github.com/verbatim-archive/verbatim/verify/match"
)

// FormatVersion is the version of the report's JSON layout, its "format"
// field.
const FormatVersion = 1

// DefaultLimit caps each list of a report (edits, deletions, failed
// captures, failed jobs, articles) when Options.Limit is 0; the summary
// counts everything.
const DefaultLimit = 200

// ChartDays is the least number of days the chart of captures per day
// covers, ending with the report's window.
const ChartDays = 14

// Report is one integrity report.
type Report struct {
	Format int `json:"format"`
	// Name is the report's file name without extension: its UTC time
	// (20260210T060000Z), with "-2", "-3" … when several share a second.
	Name string `json:"name"`
	// Origin is the archive's log: the name of the key that signs its
	// checkpoints.
	Origin      string    `json:"origin"`
	GeneratedAt time.Time `json:"generated_at"`
	// From and To are the window the report covers: [from, to).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// OK is false when the audit found anything or the checkpoints do not
	// check out; Problems says what, one line each.
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
	Summary  Summary  `json:"summary"`
	// Accounts are the new posts and captures of each account in the
	// window; handle "" gathers the rest (imports, lookups by id, article
	// and URL snapshots).
	Accounts []sqlite.AccountActivity `json:"accounts"`
	// CapturesPerDay covers every UTC day of the last ChartDays days
	// ending with the window (all of the window when it is longer), zeros
	// included.
	CapturesPerDay []sqlite.DayCount `json:"captures_per_day"`
	Edits          []Edit            `json:"edits"`
	// Deletions are posts found deleted or unavailable, or restored.
	Deletions []StatusChange `json:"deletions"`
	// FailedCaptures are the captures whose verdict is not "ok": "error"
	// (failed) or degraded (login-wall, not-found, error-page, …).
	FailedCaptures []sqlite.CaptureProblem `json:"failed_captures"`
	FailedJobs     []FailedJob             `json:"failed_jobs"`
	Articles       []Article               `json:"articles"`
	Audit          audit.Report            `json:"audit"`
	Checkpoint     Checkpoint              `json:"checkpoint"`
	// Delivery records where the report was sent and how that went.
	Delivery []Delivery `json:"delivery"`
}

// Summary counts everything in the window, however long the lists.
type Summary struct {
	Captures        int `json:"captures"`
	NewPosts        int `json:"new_posts"`
	Edits           int `json:"edits"`
	Deletions       int `json:"deletions"`
	FailedCaptures  int `json:"failed_captures"`
	DegradedCapture int `json:"degraded_captures"`
	FailedJobs      int `json:"failed_jobs"`
	ArticlesChecked int `json:"articles_checked"`
	Misquotes       int `json:"misquotes"`
	AuditFindings   int `json:"audit_findings"`
}

// Edit is a new version of an archived post noticed in the window: Before
// is the version before it and After the new one (or, for an earlier
// version noticed after a later one, that version and the next).
type Edit struct {
	PostID    string    `json:"post_id"`
	Handle    string    `json:"handle"`
	URL       string    `json:"url"`
	VersionID string    `json:"version_id"`
	At        time.Time `json:"noticed_at"`
	Before    string    `json:"before"`
	After     string    `json:"after"`
	// Diff is the word diff from Before to After in git's
	// --word-diff=plain form: [-removed-]{+added+}.
	Diff string `json:"diff"`
}

// StatusChange is a post found deleted, unavailable or restored.
type StatusChange struct {
	Kind      string    `json:"kind"` // deleted, unavailable, restored
	PostID    string    `json:"post_id"`
	Handle    string    `json:"handle"`
	URL       string    `json:"url"`
	CreatedAt time.Time `json:"created_at"`
	At        time.Time `json:"noticed_at"`
	Text      string    `json:"text"`
	Detail    string    `json:"detail,omitempty"`
}

// FailedJob is a job run that ended with an error.
type FailedJob struct {
	ID      int64     `json:"id"`
	Job     string    `json:"job"`
	Started time.Time `json:"started_at"`
	Error   string    `json:"error"`
}

// Article is an article check recorded in the window.
type Article struct {
	ID        int64          `json:"id"`
	URL       string         `json:"url"`
	Title     string         `json:"title"`
	CheckedAt time.Time      `json:"checked_at"`
	Embeds    int            `json:"embeds"`
	Verdicts  map[string]int `json:"verdicts"`
	Misquotes []Misquote     `json:"misquotes"`
}

// Misquote is an embed or quotation that misrepresents the archived post.
// PostID is the id the article gives, else the archived post's it was
// matched to.
type Misquote struct {
	Kind    string `json:"kind"` // blockquote, quote, …
	Handle  string `json:"handle"`
	PostID  string `json:"post_id"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	Diff    string `json:"diff,omitempty"`
}

// Checkpoint is the archive's checkpoint as of the report, and how it
// relates to the previous report's.
type Checkpoint struct {
	Size      uint64    `json:"size"`
	Root      string    `json:"root"` // hex
	Note      string    `json:"note"` // the signed checkpoint note
	CreatedAt time.Time `json:"created_at"`
	// New says the checkpoint was signed for this report (the log grew
	// since the last one); otherwise it is the latest one, unchanged.
	New bool `json:"new"`
	// Timestamp is the RFC 3161 timestamp of the note, when a timestamp
	// authority is configured; TimestampError says why there is none
	// although one is (timestamps are best-effort and retried).
	Timestamp      *ledger.Timestamp `json:"timestamp,omitempty"`
	TimestampError string            `json:"timestamp_error,omitempty"`
	// Previous is the previous report's checkpoint; nil for the first
	// report.
	Previous *PreviousCheckpoint `json:"previous,omitempty"`
	// Consistency proves that this checkpoint's tree extends the
	// previous one: the same JSON as `verbatim proof --since SIZE`, which
	// `verbatim verify-receipt --checkpoint` takes.
	Consistency *ledger.Consistency `json:"consistency,omitempty"`
	// Verified says the checkpoint's signature, and with a previous
	// report the previous checkpoint's and the consistency proof, were
	// checked with the archive's public key.
	Verified bool `json:"verified"`
}

// PreviousCheckpoint is the checkpoint a previous report published.
type PreviousCheckpoint struct {
	Report string `json:"report"`
	Size   uint64 `json:"size"`
	Root   string `json:"root"`
	Note   string `json:"note"`
}

// Delivery is one attempt to send the report somewhere.
type Delivery struct {
	To    string    `json:"to"` // "slack:#channel"
	At    time.Time `json:"at"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
	// Ref is what the destination calls the message (Slack's ts).
	Ref string `json:"ref,omitempty"`
}

// Options tune Build.
type Options struct {
	// From and To are the window, [From, To).
	From, To time.Time
	// Key signs the new checkpoint. Required.
	Key *ledger.Key
	// Blobs are re-hashed by the audit; nil audits the ledger alone.
	Blobs *blob.Store
	// Audit tunes the audit; its Verifier is the key's when nil.
	Audit audit.Options
	// Previous is the latest report before this one, whose checkpoint the
	// new one must extend; nil for the first.
	Previous *Report
	// Problems found before the build (an unreadable previous report) go
	// into the report's problems.
	Problems []string
	// PostURL is the template of post links (archive.DefaultPostURL when
	// empty).
	PostURL string
	// Limit caps each list (DefaultLimit when 0).
	Limit int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log receives progress; discarded when nil.
	Log *slog.Logger
}

// Build makes the report of the window: it reads the window's activity,
// audits the whole archive, and, unless the audit found anything, signs a
// checkpoint of the current tree (or takes the latest, if the tree has
// not grown) and proves it consistent with the previous report's. Findings
// are in the report (OK, Problems); the error is for reports that could
// not be made.
func Build(ctx context.Context, db *sqlite.DB, opt Options) (*Report, error) {
	if opt.Key == nil {
		return nil, errors.New("report: no ledger key to sign the checkpoint with")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Limit <= 0 {
		opt.Limit = DefaultLimit
	}
	if opt.PostURL == "" {
		opt.PostURL = archive.DefaultPostURL
	}
	if opt.Audit.Verifier == nil {
		opt.Audit.Verifier = opt.Key.Verifier()
	}
	if opt.Audit.Log == nil {
		opt.Audit.Log = opt.Log
	}
	from, to := opt.From.UTC(), opt.To.UTC()
	if !from.Before(to) {
		return nil, fmt.Errorf("report: the window %s to %s is empty", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	r := &Report{Format: FormatVersion, Origin: opt.Key.Name(), From: from, To: to,
		Problems: append([]string{}, opt.Problems...), Accounts: []sqlite.AccountActivity{}, Edits: []Edit{}, Deletions: []StatusChange{},
		FailedCaptures: []sqlite.CaptureProblem{}, FailedJobs: []FailedJob{}, Articles: []Article{}, Delivery: []Delivery{}}
	if err := r.readActivity(ctx, db, opt); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}

	opt.Log.Info("report: auditing the archive")
	rep, err := audit.Run(ctx, db, opt.Blobs, opt.Audit)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.Audit = rep
	r.Summary.AuditFindings = len(rep.Findings)
	if !rep.OK {
		r.Problems = append(r.Problems, "audit: "+FindingsSummary(rep))
	}
	if err := r.checkpoint(ctx, db, opt); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.OK = len(r.Problems) == 0
	r.GeneratedAt = opt.Now().UTC()
	return r, nil
}

// readActivity fills in what the window added and noticed.
func (r *Report) readActivity(ctx context.Context, db *sqlite.DB, opt Options) error {
	from, to := r.From, r.To
	counts, err := db.ActivityCounts(ctx, from, to)
	if err != nil {
		return err
	}
	r.Summary = Summary{Captures: counts.Captures, NewPosts: counts.NewPosts, Edits: counts.Edits, Deletions: counts.StatusChanges,
		FailedCaptures: counts.Failed, DegradedCapture: counts.Degraded, FailedJobs: counts.FailedJobs,
		ArticlesChecked: counts.Articles, Misquotes: counts.Misquotes}
	if r.Accounts, err = db.AccountActivity(ctx, from, to); err != nil {
		return err
	}
	chartFrom := to.Add(-time.Duration(ChartDays) * 24 * time.Hour)
	if from.Before(chartFrom) {
		chartFrom = from
	}
	days, err := db.CapturesPerDay(ctx, chartFrom, to)
	if err != nil {
		return err
	}
	r.CapturesPerDay = fillDays(chartFrom, to, days)

	events, err := db.PostEvents(ctx, from, to, 2*opt.Limit)
	if err != nil {
		return err
	}
	for _, e := range events {
		u := archive.PostURL(opt.PostURL, e.Handle, e.PostID)
		if e.Kind == "edited" {
			if len(r.Edits) < opt.Limit {
				before, after := e.Before, e.Text
				if before == "" && e.After != "" {
					// An earlier version seen after the later one (an
					// import holding both): its change is to the next.
					before, after = e.Text, e.After
				}
				r.Edits = append(r.Edits, Edit{PostID: e.PostID, Handle: e.Handle, URL: u, VersionID: e.VersionID, At: e.At,
					Before: before, After: after, Diff: verify.RenderText(verify.DiffWords(before, after))})
			}
			continue
		}
		if len(r.Deletions) < opt.Limit {
			r.Deletions = append(r.Deletions, StatusChange{Kind: e.Kind, PostID: e.PostID, Handle: e.Handle, URL: u,
				CreatedAt: e.CreatedAt, At: e.At, Text: e.Text, Detail: e.Detail})
		}
	}
	if r.FailedCaptures, err = db.CaptureProblems(ctx, from, to, opt.Limit); err != nil {
		return err
	}
	if r.FailedCaptures == nil {
		r.FailedCaptures = []sqlite.CaptureProblem{}
	}
	jobs, err := db.FailedJobRuns(ctx, from, to, opt.Limit)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		r.FailedJobs = append(r.FailedJobs, FailedJob{ID: j.ID, Job: j.Job, Started: j.Started, Error: j.Error})
	}
	arts, err := db.ArticlesChecked(ctx, from, to, opt.Limit)
	if err != nil {
		return err
	}
	for _, a := range arts {
		r.Articles = append(r.Articles, articleOf(a))
	}
	return nil
}

// articleOf summarizes a recorded check.
func articleOf(a sqlite.ArticleRecord) Article {
	out := Article{ID: a.ID, URL: a.URL, Title: a.Title, CheckedAt: a.CheckedAt, Verdicts: map[string]int{}, Misquotes: []Misquote{}}
	var rep check.Report
	if err := json.Unmarshal([]byte(a.Result), &rep); err != nil {
		return out
	}
	if out.Title == "" {
		out.Title = rep.Title
	}
	for _, e := range rep.Embeds {
		if e.Repeat {
			continue
		}
		out.Embeds++
		out.Verdicts[e.Verdict]++
		if match.IsMisquote(e.Verdict) {
			m := Misquote{Kind: e.Kind, Handle: e.Handle, PostID: e.PostID, Verdict: e.Verdict, Reason: e.Reason, Diff: e.Diff}
			if m.PostID == "" && e.Archived != nil {
				m.PostID = e.Archived.ID
			}
			out.Misquotes = append(out.Misquotes, m)
		}
	}
	return out
}

// fillDays returns a count for every UTC day from from to to, zeros
// included.
func fillDays(from, to time.Time, got []sqlite.DayCount) []sqlite.DayCount {
	n := map[string]int{}
	for _, d := range got {
		n[d.Day] = d.Captures
	}
	out := []sqlite.DayCount{}
	last := to.Add(-time.Millisecond).Format(time.DateOnly)
	for d := from.Truncate(24 * time.Hour); ; d = d.Add(24 * time.Hour) {
		day := d.Format(time.DateOnly)
		out = append(out, sqlite.DayCount{Day: day, Captures: n[day]})
		if day >= last {
			break
		}
	}
	return out
}

// checkpoint fills in the archive's checkpoint and its consistency with
// the previous report's. A new checkpoint is signed only over an archive
// the audit found intact: over a damaged one, the latest is reported.
func (r *Report) checkpoint(ctx context.Context, db *sqlite.DB, opt Options) error {
	v := opt.Key.Verifier()
	var prevSize uint64
	var prevRoot []byte
	prevOK := false
	if p := opt.Previous; p != nil && p.Checkpoint.Note != "" {
		r.Checkpoint.Previous = &PreviousCheckpoint{Report: p.Name, Size: p.Checkpoint.Size, Root: p.Checkpoint.Root, Note: p.Checkpoint.Note}
		size, root, err := ledger.OpenCheckpoint(p.Checkpoint.Note, v)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("checkpoint: the previous report's (%s) does not verify: %v", p.Name, err))
		} else {
			prevSize, prevRoot, prevOK = size, root, true
		}
	}
	size, _, err := db.LedgerSize(ctx)
	if err != nil {
		return err
	}
	sign := r.Audit.OK
	if prevOK && prevSize > size {
		r.Problems = append(r.Problems, fmt.Sprintf("checkpoint: the log holds %d leaves, fewer than the %d of the previous report's checkpoint: it was rewritten", size, prevSize))
		sign = false
	}
	before, err := db.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return err
	}
	var cp ledger.Checkpoint
	if sign {
		if cp, err = db.CreateCheckpoint(ctx, opt.Key); err != nil {
			return err
		}
		r.Checkpoint.New = cp.ID != before.ID
	} else {
		cp = before
		if cp.Note == "" {
			r.Problems = append(r.Problems, "checkpoint: none signed, as the archive failed its audit")
			return nil
		}
		r.Problems = append(r.Problems, "checkpoint: no new one signed, as the archive failed its audit; the latest is shown")
	}
	r.Checkpoint.Size, r.Checkpoint.Root, r.Checkpoint.Note, r.Checkpoint.CreatedAt = cp.Size, hex.EncodeToString(cp.Root), cp.Note, cp.CreatedAt
	r.Checkpoint.Timestamp = cp.Timestamp
	if cp.TimestampErr != nil {
		r.Checkpoint.TimestampError = cp.TimestampErr.Error()
	}
	size2, _, err := ledger.OpenCheckpoint(cp.Note, v)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("checkpoint: %d does not verify: %v", cp.ID, err))
		return nil
	}
	if !prevOK {
		r.Checkpoint.Verified = r.Checkpoint.Previous == nil
		return nil
	}
	if prevSize > size2 {
		r.Problems = append(r.Problems, fmt.Sprintf("checkpoint: the latest (%d leaves) is older than the previous report's (%d leaves)", size2, prevSize))
		return nil
	}
	path, err := db.ConsistencyProof(ctx, prevSize, size2)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("checkpoint: no consistency proof from %d to %d leaves: %v", prevSize, size2, err))
		return nil
	}
	c := ledger.NewConsistency(prevSize, size2, path, cp.Note)
	r.Checkpoint.Consistency = &c
	if _, err := c.Verify(v, prevSize, prevRoot); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("checkpoint: not consistent with the previous report's (%s, %d leaves): %v", opt.Previous.Name, prevSize, err))
		return nil
	}
	r.Checkpoint.Verified = true
	return nil
}

// FindingsSummary counts an audit's findings by kind: "2 corrupt, 1
// orphan".
func FindingsSummary(rep audit.Report) string {
	var kinds []string
	n := map[string]int{}
	for _, f := range rep.Findings {
		if n[f.Kind] == 0 {
			kinds = append(kinds, f.Kind)
		}
		n[f.Kind]++
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", n[k], k)
	}
	return strings.Join(parts, ", ")
}

// Headline is the report in one line: its time, OK or PROBLEMS, and the
// main counts.
func (r *Report) Headline() string {
	state := "OK"
	if !r.OK {
		state = "PROBLEMS"
	}
	s := r.Summary
	parts := []string{plural(s.Captures, "capture"), plural(s.NewPosts, "new post"), plural(s.Edits, "edit"), plural(s.Deletions, "deletion")}
	if n := s.FailedCaptures + s.DegradedCapture; n > 0 {
		parts = append(parts, plural(n, "failed or degraded capture"))
	}
	if s.ArticlesChecked > 0 {
		parts = append(parts, fmt.Sprintf("%s checked, %s", plural(s.ArticlesChecked, "article"), plural(s.Misquotes, "misquote")))
	}
	if s.AuditFindings > 0 {
		parts = append(parts, plural(s.AuditFindings, "audit finding"))
	}
	return fmt.Sprintf("Integrity report %s: %s · %s", r.To.UTC().Format("2006-01-02 15:04 UTC"), state, strings.Join(parts, ", "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
