package archivetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/verbatim-archive/verbatim/archive"
)

// WriteV2JSONL writes GenPosts(posts, seed) to w as X API v2 timeline pages,
// one page of perPage posts a line, newest first, as twarc saves them: each
// page carries the fields a v2 request with the usual expansions returns
// (entities with offsets, attachments, referenced tweets, public metrics,
// edit controls) and its authors and media in includes.users and
// includes.media. Referenced posts are not included, so importing the file
// adds exactly posts posts.
func WriteV2JSONL(w io.Writer, posts, perPage int, seed uint64) error {
	if perPage <= 0 {
		return fmt.Errorf("write v2 jsonl: perPage %d must be positive", perPage)
	}
	ps := GenPosts(posts, seed)
	r := rand.New(rand.NewPCG(seed, 0x2))
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for end := len(ps); end > 0; end -= perPage {
		page := ps[max(0, end-perPage):end]
		if err := enc.Encode(v2PageOf(page, r, end <= perPage)); err != nil {
			return fmt.Errorf("write v2 jsonl: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write v2 jsonl: %w", err)
	}
	return nil
}

type v2Page struct {
	Data     []v2Tweet  `json:"data"`
	Includes v2Includes `json:"includes"`
	Meta     v2Meta     `json:"meta"`
	Twarc    v2Twarc    `json:"__twarc"`
}

type v2Twarc struct {
	URL         string `json:"url"`
	Version     string `json:"version"`
	RetrievedAt string `json:"retrieved_at"`
}

type v2Meta struct {
	ResultCount int    `json:"result_count"`
	NewestID    string `json:"newest_id"`
	OldestID    string `json:"oldest_id"`
	NextToken   string `json:"next_token,omitempty"`
}

type v2Includes struct {
	Users []v2User  `json:"users"`
	Media []v2Media `json:"media,omitempty"`
}

type v2Tweet struct {
	ID                string           `json:"id"`
	Text              string           `json:"text"`
	EditHistory       []string         `json:"edit_history_tweet_ids"`
	AuthorID          string           `json:"author_id"`
	ConversationID    string           `json:"conversation_id"`
	InReplyToUserID   string           `json:"in_reply_to_user_id,omitempty"`
	CreatedAt         string           `json:"created_at"`
	Lang              string           `json:"lang"`
	PossiblySensitive bool             `json:"possibly_sensitive"`
	ReplySettings     string           `json:"reply_settings"`
	ReferencedTweets  []v2Ref          `json:"referenced_tweets,omitempty"`
	Attachments       *v2Attachments   `json:"attachments,omitempty"`
	Entities          *v2Entities      `json:"entities,omitempty"`
	PublicMetrics     v2TweetMetrics   `json:"public_metrics"`
	EditControls      v2EditControls   `json:"edit_controls"`
	ContextAnnotation []v2ContextAnnot `json:"context_annotations,omitempty"`
}

type v2Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type v2Attachments struct {
	MediaKeys []string `json:"media_keys"`
}

type v2Entities struct {
	Mentions []v2Mention `json:"mentions,omitempty"`
	Hashtags []v2Tag     `json:"hashtags,omitempty"`
	URLs     []v2URL     `json:"urls,omitempty"`
}

type v2Mention struct {
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Username string `json:"username"`
	ID       string `json:"id,omitempty"`
}

type v2Tag struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Tag   string `json:"tag"`
}

type v2URL struct {
	Start       int    `json:"start"`
	End         int    `json:"end"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	MediaKey    string `json:"media_key,omitempty"`
}

type v2TweetMetrics struct {
	RetweetCount    int `json:"retweet_count"`
	ReplyCount      int `json:"reply_count"`
	LikeCount       int `json:"like_count"`
	QuoteCount      int `json:"quote_count"`
	BookmarkCount   int `json:"bookmark_count"`
	ImpressionCount int `json:"impression_count"`
}

type v2EditControls struct {
	EditsRemaining int    `json:"edits_remaining"`
	IsEditEligible bool   `json:"is_edit_eligible"`
	EditableUntil  string `json:"editable_until"`
}

type v2ContextAnnot struct {
	Domain v2Named `json:"domain"`
	Entity v2Named `json:"entity"`
}

type v2Named struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type v2User struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Username        string        `json:"username"`
	CreatedAt       string        `json:"created_at"`
	Description     string        `json:"description"`
	Location        string        `json:"location"`
	ProfileImageURL string        `json:"profile_image_url"`
	Protected       bool          `json:"protected"`
	Verified        bool          `json:"verified"`
	VerifiedType    string        `json:"verified_type"`
	PublicMetrics   v2UserMetrics `json:"public_metrics"`
}

type v2UserMetrics struct {
	FollowersCount int `json:"followers_count"`
	FollowingCount int `json:"following_count"`
	TweetCount     int `json:"tweet_count"`
	ListedCount    int `json:"listed_count"`
	LikeCount      int `json:"like_count"`
}

type v2Media struct {
	MediaKey        string      `json:"media_key"`
	Type            string      `json:"type"`
	URL             string      `json:"url,omitempty"`
	PreviewImageURL string      `json:"preview_image_url,omitempty"`
	Width           int         `json:"width"`
	Height          int         `json:"height"`
	DurationMS      int         `json:"duration_ms,omitempty"`
	Variants        []v2Variant `json:"variants,omitempty"`
}

type v2Variant struct {
	BitRate     int    `json:"bit_rate,omitempty"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
}

const v2Time = "2006-01-02T15:04:05.000Z"

// v2PageOf renders posts (oldest first) as one page, newest first; the
// last page has no next_token.
func v2PageOf(posts []archive.Post, r *rand.Rand, last bool) v2Page {
	var pg v2Page
	seenUser := make(map[string]bool)
	byHandle := make(map[string]string, len(accounts))
	for _, a := range accounts {
		byHandle[strings.ToLower(a.Handle)] = a.PlatformID
	}
	for i := len(posts) - 1; i >= 0; i-- {
		p := &posts[i]
		t := v2Tweet{
			ID:             p.ID,
			Text:           escapeText(p.Text),
			EditHistory:    p.EditHistory,
			AuthorID:       p.Author.PlatformID,
			ConversationID: p.ConversationID,
			CreatedAt:      p.CreatedAt.UTC().Format(v2Time),
			Lang:           p.Lang,
			ReplySettings:  "everyone",
			PublicMetrics: v2TweetMetrics{
				RetweetCount: r.IntN(5000), ReplyCount: r.IntN(3000), LikeCount: r.IntN(40000),
				QuoteCount: r.IntN(500), BookmarkCount: r.IntN(800), ImpressionCount: r.IntN(5_000_000),
			},
			EditControls: v2EditControls{EditsRemaining: 5 - len(p.EditHistory) + 1,
				EditableUntil: p.CreatedAt.Add(time.Hour).UTC().Format(v2Time)},
		}
		if p.ReplyToID != "" {
			t.ReferencedTweets = append(t.ReferencedTweets, v2Ref{"replied_to", p.ReplyToID})
			t.InReplyToUserID = p.Author.PlatformID
		}
		if p.QuotedID != "" {
			t.ReferencedTweets = append(t.ReferencedTweets, v2Ref{"quoted", p.QuotedID})
		}
		if r.IntN(3) == 0 {
			t.ContextAnnotation = []v2ContextAnnot{
				{v2Named{"10", "Person", "Named people in the world like Nelson Mandela"}, v2Named{"1542228578", "JD Vance", "US Vice President"}},
				{v2Named{"35", "Politician", "Politicians in the world, like Joe Biden"}, v2Named{"799022225751871488", "Donald Trump", "45th & 47th US President"}},
			}
		}
		t.Entities = entities(p, byHandle)
		for _, m := range p.Media {
			if t.Attachments == nil {
				t.Attachments = &v2Attachments{}
			}
			t.Attachments.MediaKeys = append(t.Attachments.MediaKeys, m.Key)
			pg.Includes.Media = append(pg.Includes.Media, v2MediaOf(m, r))
		}
		pg.Data = append(pg.Data, t)
		if !seenUser[p.Author.PlatformID] {
			seenUser[p.Author.PlatformID] = true
			pg.Includes.Users = append(pg.Includes.Users, v2UserOf(p.Author))
		}
	}
	pg.Meta = v2Meta{ResultCount: len(posts), NewestID: posts[len(posts)-1].ID, OldestID: posts[0].ID}
	if !last {
		pg.Meta.NextToken = fmt.Sprintf("7140dibdnow9c7btw4%x", r.Uint64())
	}
	pg.Twarc = v2Twarc{
		URL:         "https://api.twitter.com/2/users/1542228578/tweets?expansions=author_id%2Cattachments.media_keys%2Creferenced_tweets.id&max_results=100",
		Version:     "2.14.0",
		RetrievedAt: posts[len(posts)-1].CreatedAt.Add(48 * time.Hour).UTC().Format(v2Time),
	}
	return pg
}

// escapeText applies the HTML escaping X applies to post text.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// entities finds the mentions, hashtags and links in a post's text, with
// their offsets in characters.
func entities(p *archive.Post, byHandle map[string]string) *v2Entities {
	var e v2Entities
	pos := 0
	for _, f := range strings.Split(p.Text, " ") {
		start, n := pos, utf8.RuneCountInString(f)
		pos += n + 1
		word := strings.TrimRight(f, ".,!")
		end := start + utf8.RuneCountInString(word)
		switch {
		case strings.HasPrefix(word, "@") && len(word) > 1:
			e.Mentions = append(e.Mentions, v2Mention{Start: start, End: end, Username: word[1:], ID: byHandle[strings.ToLower(word[1:])]})
		case strings.HasPrefix(word, "#") && len(word) > 1:
			e.Hashtags = append(e.Hashtags, v2Tag{Start: start, End: end, Tag: word[1:]})
		case strings.HasPrefix(word, "https://t.co/"):
			linked := false
			for i, m := range p.Media {
				if m.ShortURL == word {
					linked = true
					kind := "photo"
					if m.Type == "video" {
						kind = "video"
					}
					e.URLs = append(e.URLs, v2URL{Start: start, End: end, URL: word, MediaKey: m.Key, DisplayURL: m.DisplayURL,
						ExpandedURL: fmt.Sprintf("https://x.com/%s/status/%s/%s/%d", p.Author.Handle, p.ID, kind, i+1)})
				}
			}
			if !linked {
				e.URLs = append(e.URLs, v2URL{Start: start, End: end, URL: word,
					ExpandedURL: "https://twitter.com/i/web/status/" + p.QuotedID,
					DisplayURL:  "x.com/i/web/status/" + p.QuotedID[:min(len(p.QuotedID), 4)] + "…"})
			}
		}
	}
	if len(e.Mentions)+len(e.Hashtags)+len(e.URLs) == 0 {
		return nil
	}
	return &e
}

func v2UserOf(a archive.Account) v2User {
	return v2User{
		ID: a.PlatformID, Name: a.Name, Username: a.Handle,
		CreatedAt:       "2016-11-21T10:30:00.000Z",
		Description:     "Official account of the " + a.Name + ". Follow for news and updates.",
		Location:        "Washington, DC",
		ProfileImageURL: "https://pbs.twimg.com/profile_images/1880000000000000000/" + a.Handle + "_normal.jpg",
		Verified:        true, VerifiedType: "government",
		PublicMetrics: v2UserMetrics{FollowersCount: 4_800_000, FollowingCount: 120, TweetCount: 9_876, ListedCount: 12_000, LikeCount: 3_000},
	}
}

func v2MediaOf(m archive.Media, r *rand.Rand) v2Media {
	if m.Type != "video" {
		return v2Media{MediaKey: m.Key, Type: m.Type, URL: m.URL, Width: 2048, Height: 1365}
	}
	base := strings.TrimSuffix(m.URL, ".mp4?tag=16")
	return v2Media{MediaKey: m.Key, Type: "video", PreviewImageURL: m.PreviewURL, Width: 1280, Height: 720,
		DurationMS: 5000 + r.IntN(120000),
		Variants: []v2Variant{
			{BitRate: 256000, ContentType: "video/mp4", URL: base + "-480.mp4?tag=16"},
			{ContentType: "application/x-mpegURL", URL: base + ".m3u8?tag=16"},
			{BitRate: 2176000, ContentType: "video/mp4", URL: m.URL},
			{BitRate: 832000, ContentType: "video/mp4", URL: base + "-640.mp4?tag=16"},
		}}
}
