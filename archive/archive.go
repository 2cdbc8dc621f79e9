// Package archive holds Verbatim's domain types, its sentinel errors and the
// small interfaces that the capture and import pipelines need. Adapters
// (SQLite, blob files, the X API, the browser) live in subpackages that
// import this one, never the reverse.
package archive

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors shared by every implementation.
var (
	// ErrNotFound is returned when a post, capture or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrCorrupt is returned when stored bytes no longer match their hash.
	ErrCorrupt = errors.New("content does not match its hash")
)

// Platform names.
const (
	PlatformX = "x"
)

// Post statuses, as reported by search and show.
const (
	StatusLive        = "live"
	StatusEdited      = "edited"
	StatusDeleted     = "deleted"
	StatusUnavailable = "unavailable"
)

// Account is a social-media account, watched or merely seen as an author.
type Account struct {
	Platform   string // "x"
	PlatformID string // the platform's numeric user id, as a string
	Handle     string // without "@"
	Name       string // display name
}

// Media is a photo, video or animated GIF attached to a post.
type Media struct {
	Key        string `json:"key"`                   // v2 media_key, or the v1.1 id_str
	Type       string `json:"type,omitempty"`        // photo, video, animated_gif
	URL        string `json:"url,omitempty"`         // image URL, or the best video variant
	PreviewURL string `json:"preview_url,omitempty"` // a video's still image
	ShortURL   string `json:"short_url,omitempty"`   // the t.co link that stands in the text
	DisplayURL string `json:"display_url,omitempty"` // pic.twitter.com/SLUG
	AltText    string `json:"alt_text,omitempty"`    // the description the author gave
}

// Post is one version of a post as seen in a source: the unit that importers
// and the API client produce. Versions of an edited post share RootID.
type Post struct {
	Platform       string
	ID             string   // this version's id
	EditHistory    []string // every version id, oldest first; empty if unknown
	Author         Account
	CreatedAt      time.Time
	Text           string
	Lang           string
	ConversationID string
	ReplyToID      string
	QuotedID       string
	RetweetedID    string
	Media          []Media
}

// RootID is the id of the first version: the stable id of the post.
func (p *Post) RootID() string {
	if len(p.EditHistory) > 0 {
		return p.EditHistory[0]
	}
	return p.ID
}

// Seq is this version's position in the edit history (0 for the original).
func (p *Post) Seq() int {
	for i, id := range p.EditHistory {
		if id == p.ID {
			return i
		}
	}
	return 0
}

// OrderKey returns a 63-bit key that sorts posts by time: an X id is already
// such a key (a snowflake); other platforms get one built from created_at.
func OrderKey(platform, id string, createdAt time.Time) int64 {
	if platform == PlatformX {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			return n
		}
	}
	ms := createdAt.UnixMilli() - twitterEpochMillis
	if ms < 0 {
		ms = 0
	}
	var h uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return ms<<22 | int64(h&0x3fffff)
}

// twitterEpochMillis is the epoch of X's snowflake ids (2010-11-04T01:42:54.657Z).
const twitterEpochMillis = 1288834974657

// SnowflakeTime returns the time embedded in an X snowflake id, and false for
// ids from before snowflakes (2010) or that are not numbers.
func SnowflakeTime(id string) (time.Time, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1<<22*1000 {
		return time.Time{}, false
	}
	return time.UnixMilli(n>>22 + twitterEpochMillis).UTC(), true
}

// SnowflakeAt returns the smallest X id that could have been made at t, for
// turning a time range into an id range.
func SnowflakeAt(t time.Time) int64 {
	ms := t.UnixMilli() - twitterEpochMillis
	if ms < 0 {
		return 0
	}
	return ms << 22
}

// NormalizeHandle strips a leading "@" and lowercases a handle for comparison.
func NormalizeHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

// Artifact is one stored file of a capture, named by its SHA-256.
type Artifact struct {
	Kind      string `json:"kind"` // raw, screenshot, dom, mhtml, pdf, warc, media
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// Capture is one act of recording: an import of a file, an API page, or a
// browser snapshot, with the artifacts it produced.
type Capture struct {
	ID        int64
	Kind      string // import, api, snapshot
	Target    string // file name or URL
	At        time.Time
	Verdict   string
	Artifacts []Artifact
}

// BlobRef names stored bytes.
type BlobRef struct {
	SHA256 string
	Size   int64
}

// BlobStore stores content-addressed bytes.
type BlobStore interface {
	// Put stores everything read from r and returns its hash and size.
	// Storing bytes that are already present is a no-op.
	Put(ctx context.Context, r io.Reader) (BlobRef, error)
	// Open returns the bytes named by sha256, or ErrNotFound.
	Open(ctx context.Context, sha256 string) (io.ReadCloser, error)
	// Has reports whether sha256 is stored.
	Has(ctx context.Context, sha256 string) (bool, error)
}

// PostSummary is a post as listed by search.
type PostSummary struct {
	ID        string    `json:"id"`
	Platform  string    `json:"platform"`
	Handle    string    `json:"handle"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
	Status    string    `json:"status"`
	URL       string    `json:"url"`
	// Snippet is the matching passage with matches between \x02 and \x03.
	Snippet string `json:"snippet,omitempty"`
}

// Version is one version of a post.
type Version struct {
	ID        string    `json:"id"`
	Seq       int       `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
	FirstSeen time.Time `json:"first_seen"`
	CaptureID int64     `json:"capture_id,omitempty"` // the capture holding the raw page
	Page      int       `json:"page,omitempty"`       // line or element within it
	Media     []Media   `json:"media,omitempty"`
	ReplyToID string    `json:"reply_to_id,omitempty"`
	QuotedID  string    `json:"quoted_id,omitempty"`
	// Diff is the word diff from the previous version ([-removed-]{+added+}).
	Diff string `json:"diff,omitempty"`
}

// CaptureSummary is a capture as listed with a post.
type CaptureSummary struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Target    string     `json:"target"`
	At        time.Time  `json:"at"`
	Verdict   string     `json:"verdict"`
	Artifacts []Artifact `json:"artifacts"`
}

// PostDetail is everything the archive holds about one post.
type PostDetail struct {
	PostSummary
	AuthorName  string           `json:"author_name"`
	AuthorID    string           `json:"author_id,omitempty"`
	LatestID    string           `json:"latest_id"`
	EditHistory []string         `json:"edit_history,omitempty"`
	StatusAt    *time.Time       `json:"status_at,omitempty"`
	FirstSeen   time.Time        `json:"first_seen"`
	LastSeen    time.Time        `json:"last_seen"`
	Versions    []Version        `json:"versions"`
	Captures    []CaptureSummary `json:"captures"`
	// Articles are the checked articles that embed or quote the post.
	Articles []ArticleRef `json:"articles"`
}

// ArticleRef is a checked article that embeds or quotes a post, with what
// the check found.
type ArticleRef struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	CheckedAt time.Time `json:"checked_at"`
	Kind      string    `json:"kind"`    // how the article shows the post: blockquote, quote, …
	Verdict   string    `json:"verdict"` // exact, normalized, altered, …
}

// PostURL fills a URL template such as "https://x.com/{handle}/status/{id}".
// An unknown handle becomes "i", which X redirects to the author.
func PostURL(template, handle, id string) string {
	if handle == "" {
		handle = "i"
	}
	return strings.NewReplacer("{handle}", handle, "{id}", id).Replace(template)
}

// DefaultPostURL is the post URL template used when none is configured.
const DefaultPostURL = "https://x.com/{handle}/status/{id}"

// NormalizeHandleCase strips a leading "@" but keeps the handle's case.
func NormalizeHandleCase(h string) string {
	return strings.TrimPrefix(strings.TrimSpace(h), "@")
}

// RecheckInterval is how long to wait before checking a post of the given
// age again for edits and deletions: often while a post is young and most
// likely to change, rarely once it is old.
func RecheckInterval(age time.Duration) time.Duration {
	switch {
	case age < 3*time.Hour:
		return 15 * time.Minute
	case age < 24*time.Hour:
		return time.Hour
	case age < 7*24*time.Hour:
		return 3 * time.Hour
	case age < 30*24*time.Hour:
		return 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}
