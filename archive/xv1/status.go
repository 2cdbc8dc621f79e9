// Package xv1 reads X posts in the v1.1 status format: API v1.1 responses,
// decoded through the github.com/dghubble/go-twitter types, and the files of
// an X account archive (data/tweets.js, data/account.js), streamed with a
// lenient decoder of its own because those files only resemble v1.1.
package xv1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/verbatim-archive/verbatim/archive"
)

// DecodeStatuses decodes a v1.1 response body that holds statuses: a single
// status (statuses/show), an array of them (timelines, lookup), or a search
// result ({"statuses": [...]}). Posts come back in response order. A v1.1
// error body ({"errors": [{"message", "code"}]}) returns an error that wraps
// a twitter.APIError, the type go-twitter's client returns, so callers can
// match both with errors.As.
func DecodeStatuses(data []byte) ([]archive.Post, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("decode statuses: empty body")
	}
	base := int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
	var raws []json.RawMessage
	label := "status"
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("decode statuses: %w", describeJSONError(err, base))
		}
		label = "status[%d]"
	case '{':
		var probe struct {
			Errors   json.RawMessage `json:"errors"`
			Error    json.RawMessage `json:"error"`
			Statuses json.RawMessage `json:"statuses"`
		}
		if err := json.Unmarshal(trimmed, &probe); err != nil {
			return nil, fmt.Errorf("decode statuses: %w", describeJSONError(err, base))
		}
		if err := errorBody(probe.Errors, probe.Error); err != nil {
			return nil, err
		}
		if s := bytes.TrimSpace(probe.Statuses); len(s) > 0 && string(s) != "null" {
			if err := json.Unmarshal(s, &raws); err != nil {
				return nil, fmt.Errorf("decode statuses: statuses: %w", err)
			}
			label = "statuses[%d]"
		} else {
			raws = []json.RawMessage{trimmed}
		}
	default:
		var v any
		if err := json.Unmarshal(trimmed, &v); err != nil {
			return nil, fmt.Errorf("decode statuses: %w", describeJSONError(err, base))
		}
		return nil, errors.New("decode statuses: body is neither a status object nor an array")
	}

	posts := make([]archive.Post, 0, len(raws))
	for i, raw := range raws {
		where := label
		if strings.Contains(label, "%d") {
			where = fmt.Sprintf(label, i)
		}
		var tw twitter.Tweet
		if err := json.Unmarshal(raw, &tw); err != nil {
			return nil, fmt.Errorf("decode statuses: %s: %w", where, err)
		}
		post, err := postFromTweet(&tw)
		if err != nil {
			return nil, fmt.Errorf("decode statuses: %s: %w", where, err)
		}
		posts = append(posts, post)
	}
	return posts, nil
}

// errorBody returns the error that a v1.1 error body describes, or nil when
// the body has no errors member. The usual form is an array of message and
// code; a few old endpoints send a plain string in errors or error.
func errorBody(errs, single json.RawMessage) error {
	errs, single = bytes.TrimSpace(errs), bytes.TrimSpace(single)
	if len(errs) > 0 && string(errs) != "null" {
		var details []twitter.ErrorDetail
		if err := json.Unmarshal(errs, &details); err == nil && len(details) > 0 {
			return fmt.Errorf("v1.1 error response: %w", twitter.APIError{Errors: details})
		}
		var msg string
		if err := json.Unmarshal(errs, &msg); err == nil && msg != "" {
			return fmt.Errorf("v1.1 error response: %s", msg)
		}
		if string(errs) != "[]" {
			return fmt.Errorf("v1.1 error response: %.200s", errs)
		}
	}
	if len(single) > 0 && string(single) != "null" {
		var msg string
		if err := json.Unmarshal(single, &msg); err != nil || msg == "" {
			msg = string(single)
		}
		return fmt.Errorf("v1.1 error response: %.200s", msg)
	}
	return nil
}

// postFromTweet maps a go-twitter status to an archive.Post.
func postFromTweet(t *twitter.Tweet) (archive.Post, error) {
	id := idOf(t.IDStr, t.ID)
	if id == "" {
		return archive.Post{}, errors.New("missing id")
	}
	p := archive.Post{
		Platform:  archive.PlatformX,
		ID:        id,
		Lang:      t.Lang,
		ReplyToID: idOf(t.InReplyToStatusIDStr, t.InReplyToStatusID),
		QuotedID:  idOf(t.QuotedStatusIDStr, t.QuotedStatusID),
	}
	if t.CreatedAt != "" {
		at, err := parseCreatedAt(t.CreatedAt)
		if err != nil {
			return archive.Post{}, fmt.Errorf("id %s: %w", id, err)
		}
		p.CreatedAt = at
	}
	switch {
	case t.FullText != "":
		p.Text = t.FullText
	case t.ExtendedTweet != nil && t.ExtendedTweet.FullText != "":
		p.Text = t.ExtendedTweet.FullText
	default:
		p.Text = t.Text
	}
	p.Text = unescapeText(p.Text)
	if t.User != nil {
		p.Author = archive.Account{
			Platform:   archive.PlatformX,
			PlatformID: idOf(t.User.IDStr, t.User.ID),
			Handle:     t.User.ScreenName,
			Name:       t.User.Name,
		}
	}
	if p.QuotedID == "" && t.QuotedStatus != nil {
		p.QuotedID = idOf(t.QuotedStatus.IDStr, t.QuotedStatus.ID)
	}
	if t.RetweetedStatus != nil {
		p.RetweetedID = idOf(t.RetweetedStatus.IDStr, t.RetweetedStatus.ID)
	}
	for _, m := range tweetMedia(t) {
		p.Media = append(p.Media, mediaFromEntity(m))
	}
	return p, nil
}

// tweetMedia returns the fullest media list a status carries: the
// extended_tweet's in compatibility mode, then extended_entities, then
// entities (which hold only the first photo).
func tweetMedia(t *twitter.Tweet) []twitter.MediaEntity {
	if et := t.ExtendedTweet; et != nil {
		if et.ExtendedEntities != nil && len(et.ExtendedEntities.Media) > 0 {
			return et.ExtendedEntities.Media
		}
		if et.Entities != nil && len(et.Entities.Media) > 0 {
			return et.Entities.Media
		}
	}
	if t.ExtendedEntities != nil && len(t.ExtendedEntities.Media) > 0 {
		return t.ExtendedEntities.Media
	}
	if t.Entities != nil {
		return t.Entities.Media
	}
	return nil
}

// mediaFromEntity maps a v1.1 media entity; a video's URL is its best mp4
// and its preview the still image.
func mediaFromEntity(m twitter.MediaEntity) archive.Media {
	out := archive.Media{
		Key:        idOf(m.IDStr, m.ID),
		Type:       m.Type,
		URL:        m.MediaURLHttps,
		ShortURL:   m.URL,
		DisplayURL: m.DisplayURL,
	}
	if out.URL == "" {
		out.URL = m.MediaURL
	}
	if len(m.VideoInfo.Variants) > 0 {
		variants := make([]variant, len(m.VideoInfo.Variants))
		for i, v := range m.VideoInfo.Variants {
			variants[i] = variant{bitrate: int64(v.Bitrate), contentType: v.ContentType, url: v.URL}
		}
		out.PreviewURL = out.URL
		out.URL = bestVariant(variants)
	}
	return out
}

// variant is one encoding of a video.
type variant struct {
	bitrate     int64
	contentType string
	url         string
}

// bestVariant returns the URL of the mp4 variant with the highest bit rate,
// or of the first variant when none is an mp4.
func bestVariant(vs []variant) string {
	best, bestRate := "", int64(-1)
	for _, v := range vs {
		if v.contentType == "video/mp4" && v.bitrate > bestRate && v.url != "" {
			best, bestRate = v.url, v.bitrate
		}
	}
	if best == "" && len(vs) > 0 {
		best = vs[0].url
	}
	return best
}

// idOf returns the string form of an id, preferring the exact id_str and
// falling back to the numeric id (which encoding/json decodes into an int64
// exactly). Zero means absent.
func idOf(s string, n int64) string {
	if s != "" {
		return s
	}
	if n != 0 {
		return strconv.FormatInt(n, 10)
	}
	return ""
}

// parseCreatedAt parses the v1.1 created_at format, "Mon Jan 02 15:04:05
// -0700 2006", into UTC.
func parseCreatedAt(s string) (time.Time, error) {
	at, err := time.Parse(time.RubyDate, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("created_at: %w", err)
	}
	return at.UTC(), nil
}

// unescapeText undoes the only HTML escaping X applies to post text (&, <
// and >), so that text reads as it is shown. "&amp;lt;" becomes "&lt;".
func unescapeText(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	s = strings.ReplaceAll(s, "&lt;", "<")
	s = strings.ReplaceAll(s, "&gt;", ">")
	return strings.ReplaceAll(s, "&amp;", "&")
}

// describeJSONError adds the byte offset to a JSON syntax error (shifted by
// base, the bytes before the decoded text) and names truncated input.
func describeJSONError(err error, base int64) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		if strings.HasPrefix(syn.Error(), "unexpected end of JSON input") {
			return fmt.Errorf("truncated JSON: %w", err)
		}
		// Offset counts the bytes read, including the offending one.
		return fmt.Errorf("JSON syntax error at byte offset %d: %w", syn.Offset-1+base, err)
	}
	return err
}
