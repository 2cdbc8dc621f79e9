package xv1

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/verbatim-archive/verbatim/archive"
)

// ArchiveOptions tells ReadTweetsJSWith what the archive files do not say.
type ArchiveOptions struct {
	// Account is the archive owner, the author of every post in tweets.js
	// (which names no author); read it with ReadAccountJS. A post that
	// carries its own user object keeps that one.
	Account archive.Account
}

// ReadTweetsJS streams the posts of an X account archive's data/tweets.js
// (or tweet.js, tweets-part1.js) to fn, in file order, without an author;
// see ReadTweetsJSWith.
func ReadTweetsJS(r io.Reader, fn func(archive.Post) error) error {
	return ReadTweetsJSWith(r, ArchiveOptions{}, fn)
}

// ReadTweetsJSWith streams the posts of an X account archive's tweets file
// to fn, in file order, one element in memory at a time. The file is a
// "window.YTD.<name>.part<N> = " prefix (optional) and a JSON array of
// {"tweet": {...}} objects, or of bare post objects in older archives. An
// error from fn stops the read and is returned wrapped; errors name the
// zero-based element index.
func ReadTweetsJSWith(r io.Reader, opts ArchiveOptions, fn func(archive.Post) error) error {
	dec, base, err := openYTD(r)
	if err != nil {
		return fmt.Errorf("read tweets.js: %w", err)
	}
	i := 0
	for ; dec.More(); i++ {
		var el jsElement
		if err := dec.Decode(&el); err != nil {
			return fmt.Errorf("read tweets.js: element %d: %w", i, streamError(err, base))
		}
		t := &el.jsTweet
		if el.Tweet != nil {
			t = el.Tweet
		}
		post, err := t.post(opts.Account)
		if err != nil {
			return fmt.Errorf("read tweets.js: element %d: %w", i, err)
		}
		if err := fn(post); err != nil {
			return fmt.Errorf("read tweets.js: element %d (id %s): %w", i, post.ID, err)
		}
	}
	if err := closeArray(dec, base); err != nil {
		if i == 0 {
			return fmt.Errorf("read tweets.js: %w", err)
		}
		return fmt.Errorf("read tweets.js: after element %d: %w", i-1, err)
	}
	return nil
}

// ReadAccountJS reads the archive owner from an X account archive's
// data/account.js: window.YTD.account.part0 = [{"account": {...}}].
func ReadAccountJS(r io.Reader) (archive.Account, error) {
	dec, base, err := openYTD(r)
	if err != nil {
		return archive.Account{}, fmt.Errorf("read account.js: %w", err)
	}
	if !dec.More() {
		if err := closeArray(dec, base); err != nil {
			return archive.Account{}, fmt.Errorf("read account.js: %w", err)
		}
		return archive.Account{}, errors.New("read account.js: no account in the file")
	}
	var el struct {
		Account *jsAccount `json:"account"`
		jsAccount
	}
	if err := dec.Decode(&el); err != nil {
		return archive.Account{}, fmt.Errorf("read account.js: element 0: %w", streamError(err, base))
	}
	a := &el.jsAccount
	if el.Account != nil {
		a = el.Account
	}
	if a.AccountID == "" {
		return archive.Account{}, errors.New("read account.js: element 0: missing accountId")
	}
	return archive.Account{
		Platform:   archive.PlatformX,
		PlatformID: string(a.AccountID),
		Handle:     strings.TrimPrefix(string(a.Username), "@"),
		Name:       string(a.AccountDisplayName),
	}, nil
}

// jsAccount is the account object of account.js.
type jsAccount struct {
	AccountID          jsonID     `json:"accountId"`
	Username           flexString `json:"username"`
	AccountDisplayName flexString `json:"accountDisplayName"`
}

// maxPrefix bounds the "window.YTD.<name>.part<N> = " prefix.
const maxPrefix = 256

// openYTD reads past the archive prefix and the opening bracket of the
// array, and returns a decoder positioned at the first element and the
// number of bytes before the decoder's input, for error offsets.
func openYTD(r io.Reader) (*json.Decoder, int64, error) {
	br := bufio.NewReader(r)
	var base int64
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		base = 3
	}
	for {
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, 0, errors.New("empty file")
		}
		if err != nil {
			return nil, 0, err
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			base++
			continue
		}
		if err := br.UnreadByte(); err != nil {
			return nil, 0, err
		}
		if c != '[' {
			prefix, err := readPrefix(br)
			if err != nil {
				return nil, 0, err
			}
			base += int64(len(prefix))
		}
		break
	}
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		return nil, 0, fmt.Errorf("after the prefix: %w", streamError(err, base))
	}
	if tok != json.Delim('[') {
		return nil, 0, fmt.Errorf("after the prefix: got %v, want a JSON array", tok)
	}
	return dec, base, nil
}

// readPrefix consumes "window.YTD.<name>.part<N> =" and returns it.
func readPrefix(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for b.Len() < maxPrefix {
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		b.WriteByte(c)
		if c == '=' {
			p := b.String()
			if !validPrefix(p) {
				return "", fmt.Errorf("prefix %q is not window.YTD.<name>.part<N> =", p)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("file does not start with window.YTD.<name>.part<N> = (starts %q)", truncate(b.String(), 40))
}

// validPrefix reports whether p is "window.YTD.<name>.part<N> =", spaces
// before the "=" allowed.
func validPrefix(p string) bool {
	rest, ok := strings.CutPrefix(p, "window.YTD.")
	if !ok {
		return false
	}
	rest = strings.TrimRight(strings.TrimSuffix(rest, "="), " \t")
	dot := strings.LastIndex(rest, ".part")
	if dot <= 0 {
		return false
	}
	_, err := strconv.Atoi(rest[dot+len(".part"):])
	return err == nil
}

// closeArray reads the closing bracket of the array; anything after it
// (a semicolon, a newline) is left unread.
func closeArray(dec *json.Decoder, base int64) error {
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return errors.New("truncated: the array is not closed")
	}
	if err != nil {
		return streamError(err, base)
	}
	if tok != json.Delim(']') {
		return fmt.Errorf("got %v, want the end of the array", tok)
	}
	return nil
}

// streamError names truncated input and adds the file offset to a syntax
// error from the streaming decoder, whose offsets may be one byte short.
func streamError(err error, base int64) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated JSON: %w", err)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("JSON syntax error near byte offset %d: %w", syn.Offset+base, err)
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// jsElement is one element of the tweets array: {"tweet": {...}}, or the
// post object itself in older archives.
type jsElement struct {
	Tweet *jsTweet `json:"tweet"`
	jsTweet
}

// jsTweet is a post in an account archive. It looks like a v1.1 status but
// ids, counts and entity indices are strings, so only the members Verbatim
// keeps are decoded, each leniently.
type jsTweet struct {
	ID                   jsonID     `json:"id"`
	IDStr                jsonID     `json:"id_str"`
	FullText             *string    `json:"full_text"`
	Text                 string     `json:"text"`
	CreatedAt            string     `json:"created_at"`
	Lang                 flexString `json:"lang"`
	InReplyToStatusIDStr jsonID     `json:"in_reply_to_status_id_str"`
	InReplyToStatusID    jsonID     `json:"in_reply_to_status_id"`
	QuotedStatusIDStr    jsonID     `json:"quoted_status_id_str"`
	QuotedStatusID       jsonID     `json:"quoted_status_id"`
	RetweetedStatus      *struct {
		ID    jsonID `json:"id"`
		IDStr jsonID `json:"id_str"`
	} `json:"retweeted_status"`
	User *struct {
		ID         jsonID     `json:"id"`
		IDStr      jsonID     `json:"id_str"`
		ScreenName flexString `json:"screen_name"`
		Name       flexString `json:"name"`
	} `json:"user"`
	Entities struct {
		Media []jsMedia `json:"media"`
	} `json:"entities"`
	ExtendedEntities struct {
		Media []jsMedia `json:"media"`
	} `json:"extended_entities"`
	EditInfo struct {
		Initial *jsEditControl `json:"initial"`
		Edit    *struct {
			InitialTweetID     jsonID         `json:"initialTweetId"`
			EditControlInitial *jsEditControl `json:"editControlInitial"`
		} `json:"edit"`
	} `json:"edit_info"`
}

// jsEditControl lists every version of an edited post, oldest first.
type jsEditControl struct {
	EditTweetIDs []jsonID `json:"editTweetIds"`
}

// jsMedia is a media entity in an account archive.
type jsMedia struct {
	ID            jsonID     `json:"id"`
	IDStr         jsonID     `json:"id_str"`
	Type          flexString `json:"type"`
	MediaURLHTTPS flexString `json:"media_url_https"`
	MediaURL      flexString `json:"media_url"`
	URL           flexString `json:"url"`
	DisplayURL    flexString `json:"display_url"`
	VideoInfo     struct {
		Variants []struct {
			Bitrate     flexInt    `json:"bitrate"`
			ContentType flexString `json:"content_type"`
			URL         flexString `json:"url"`
		} `json:"variants"`
	} `json:"video_info"`
}

// post maps an archive post; author is used when the post names none.
func (t *jsTweet) post(author archive.Account) (archive.Post, error) {
	id := firstID(t.IDStr, t.ID)
	if id == "" {
		return archive.Post{}, errors.New("missing id")
	}
	p := archive.Post{
		Platform:  archive.PlatformX,
		ID:        id,
		Lang:      string(t.Lang),
		ReplyToID: firstID(t.InReplyToStatusIDStr, t.InReplyToStatusID),
		QuotedID:  firstID(t.QuotedStatusIDStr, t.QuotedStatusID),
		Author:    author,
	}
	if p.Author != (archive.Account{}) && p.Author.Platform == "" {
		p.Author.Platform = archive.PlatformX
	}
	if t.User != nil {
		p.Author = archive.Account{
			Platform:   archive.PlatformX,
			PlatformID: firstID(t.User.IDStr, t.User.ID),
			Handle:     string(t.User.ScreenName),
			Name:       string(t.User.Name),
		}
	}
	if t.CreatedAt != "" {
		at, err := parseCreatedAt(t.CreatedAt)
		if err != nil {
			return archive.Post{}, fmt.Errorf("id %s: %w", id, err)
		}
		p.CreatedAt = at
	}
	if t.FullText != nil {
		p.Text = unescapeText(*t.FullText)
	} else {
		p.Text = unescapeText(t.Text)
	}
	if t.RetweetedStatus != nil {
		p.RetweetedID = firstID(t.RetweetedStatus.IDStr, t.RetweetedStatus.ID)
	}
	var history []jsonID
	switch ei := t.EditInfo; {
	case ei.Initial != nil:
		history = ei.Initial.EditTweetIDs
	case ei.Edit != nil && ei.Edit.EditControlInitial != nil:
		history = ei.Edit.EditControlInitial.EditTweetIDs
	}
	p.EditHistory = uniqueIDs(history)

	media := t.ExtendedEntities.Media
	if len(media) == 0 {
		media = t.Entities.Media
	}
	for _, m := range media {
		am := archive.Media{
			Key:        firstID(m.IDStr, m.ID),
			Type:       string(m.Type),
			URL:        string(m.MediaURLHTTPS),
			ShortURL:   string(m.URL),
			DisplayURL: string(m.DisplayURL),
		}
		if am.URL == "" {
			am.URL = string(m.MediaURL)
		}
		if vs := m.VideoInfo.Variants; len(vs) > 0 {
			variants := make([]variant, len(vs))
			for i, v := range vs {
				variants[i] = variant{bitrate: int64(v.Bitrate), contentType: string(v.ContentType), url: string(v.URL)}
			}
			am.PreviewURL = am.URL
			am.URL = bestVariant(variants)
		}
		p.Media = append(p.Media, am)
	}
	return p, nil
}

// firstID returns the first non-empty id.
func firstID(ids ...jsonID) string {
	for _, id := range ids {
		if id != "" {
			return string(id)
		}
	}
	return ""
}

// uniqueIDs returns ids without empty or repeated entries, in order.
func uniqueIDs(ids []jsonID) []string {
	var out []string
	seen := make(map[jsonID]bool, len(ids))
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, string(id))
	}
	return out
}

// jsonID is an id given as a JSON string or as a JSON integer; either way it
// keeps the exact digits, never passing through float64.
type jsonID string

// UnmarshalJSON accepts a string, an integer literal or null.
func (id *jsonID) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = jsonID(s)
		return nil
	case isDigits(string(b)):
		*id = jsonID(b)
		return nil
	default:
		return fmt.Errorf("id %.40s is neither a string nor an integer", b)
	}
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// flexInt is a count given as a JSON number or as a string of digits, as
// archive files give them; anything else decodes as 0 rather than failing.
type flexInt int64

// UnmarshalJSON accepts a number, a numeric string, or anything else as 0.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -(1<<62) && f <= 1<<62 {
		*n = flexInt(f)
		return nil
	}
	*n = 0
	return nil
}

// flexString is text given as a JSON string; a number or other value keeps
// its JSON text, and null is "".
type flexString string

// UnmarshalJSON accepts a string, null, or any other value as its JSON text.
func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	default:
		*s = flexString(b)
	}
	return nil
}
