package xv1

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/verbatim-archive/verbatim/archive"
)

var (
	vp = archive.Account{Platform: archive.PlatformX, PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"}
	ps = archive.Account{Platform: archive.PlatformX, PlatformID: "1880674038224457728", Handle: "VPPressSec", Name: "VP Press Secretary"}
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeStatuses(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []archive.Post
	}{
		{
			name: "extended mode with two photos",
			file: "status_extended.json",
			want: []archive.Post{{
				Platform:  archive.PlatformX,
				ID:        "2021208780296952363",
				Author:    vp,
				CreatedAt: at(t, "2026-02-10T13:05:00Z"),
				Text:      "Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends & partners. https://t.co/Qm3Xk8RpLa",
				Lang:      "en",
				Media: []archive.Media{
					{Key: "2021207823479734273", Type: "photo", URL: "https://pbs.twimg.com/media/HBaku01XsAAvp1x.jpg", ShortURL: "https://t.co/Qm3Xk8RpLa", DisplayURL: "pic.twitter.com/Qm3Xk8RpLa"},
					{Key: "2021207823488122880", Type: "photo", URL: "https://pbs.twimg.com/media/HBaku02XwAAq9Zm.jpg", ShortURL: "https://t.co/Qm3Xk8RpLa", DisplayURL: "pic.twitter.com/Qm3Xk8RpLa"},
				},
			}},
		},
		{
			name: "compat mode takes extended_tweet text and video",
			file: "status_compat.json",
			want: []archive.Post{{
				Platform:  archive.PlatformX,
				ID:        "2021247787324152363",
				Author:    vp,
				CreatedAt: at(t, "2026-02-10T15:40:00Z"),
				Text:      "Today in Baku, President Aliyev and I signed the Charter on Strategic Partnership between the United States and Azerbaijan. Energy, trade, security, and the Middle Corridor: a new chapter for our two nations. https://t.co/Vd9Pr2sKwE",
				Lang:      "en",
				Media: []archive.Media{{
					Key:        "2021252484428726274",
					Type:       "video",
					URL:        "https://video.twimg.com/amplify_video/2021252484428726274/vid/1280x720/c3.mp4?tag=16",
					PreviewURL: "https://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
					ShortURL:   "https://t.co/Vd9Pr2sKwE",
					DisplayURL: "pic.twitter.com/Vd9Pr2sKwE",
				}},
			}},
		},
		{
			name: "array with numeric id only, reply, quote and retweet",
			file: "statuses_array.json",
			want: []archive.Post{
				{
					Platform:  archive.PlatformX,
					ID:        "2021275469730552363",
					Author:    ps,
					CreatedAt: at(t, "2026-02-10T17:30:00Z"),
					Text:      "The full text of the Charter, and what the Vice President said about it: https://t.co/Lx0Qe7TbWk",
					Lang:      "en",
					ReplyToID: "2021253323805432363",
					QuotedID:  "2021247787324152363",
				},
				{
					Platform:    archive.PlatformX,
					ID:          "2021255358491516928",
					Author:      ps,
					CreatedAt:   at(t, "2026-02-10T16:10:05Z"),
					Text:        "RT @VP: Today in Baku, President Aliyev and I signed the Charter on Strategic Partnership between the United States and Azerbaijan. Ener…",
					Lang:        "en",
					RetweetedID: "2021247787324152363",
				},
				{
					Platform:  archive.PlatformX,
					ID:        "2021228704637652017",
					Author:    vp,
					CreatedAt: at(t, "2026-02-10T14:24:10Z"),
					Text:      "Productive meeting with President Aliyev & his team at the Presidential Palace. The United States <3 partners who deliver.",
					Lang:      "en",
				},
			},
		},
		{
			name: "search result wrapper",
			file: "search_statuses.json",
			want: []archive.Post{{
				Platform:  archive.PlatformX,
				ID:        "2021294472721088263",
				Author:    vp,
				CreatedAt: at(t, "2026-02-10T18:45:30Z"),
				Text:      "Wheels up from Baku. Thank you, Azerbaijan.",
				Lang:      "en",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeStatuses(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("DecodeStatuses: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeStatuses(%s):\ngot  %+v\nwant %+v", tt.file, got, tt.want)
			}
		})
	}
}

func TestDecodeStatusesTextSelection(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"full_text wins", `{"id_str":"1","full_text":"full","text":"short","extended_tweet":{"full_text":"ext"}}`, "full"},
		{"extended_tweet in compat mode", `{"id_str":"1","text":"short…","truncated":true,"extended_tweet":{"full_text":"ext"}}`, "ext"},
		{"text alone", `{"id_str":"1","text":"short"}`, "short"},
		{"entities unescaped once", `{"id_str":"1","text":"a &amp;amp; b &gt; c"}`, "a &amp; b > c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts, err := DecodeStatuses([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeStatuses: %v", err)
			}
			if got := posts[0].Text; got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeStatusesMedia(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []archive.Media
	}{
		{
			name: "entities only",
			body: `{"id_str":"1","text":"p","entities":{"media":[{"id_str":"9","type":"photo","media_url_https":"https://p/1.jpg","url":"https://t.co/a","display_url":"pic.twitter.com/a"}]}}`,
			want: []archive.Media{{Key: "9", Type: "photo", URL: "https://p/1.jpg", ShortURL: "https://t.co/a", DisplayURL: "pic.twitter.com/a"}},
		},
		{
			name: "numeric media id and http url only",
			body: `{"id_str":"1","text":"p","extended_entities":{"media":[{"id":2021207823479734273,"type":"photo","media_url":"http://p/1.jpg"}]}}`,
			want: []archive.Media{{Key: "2021207823479734273", Type: "photo", URL: "http://p/1.jpg"}},
		},
		{
			name: "animated gif with zero bitrate",
			body: `{"id_str":"1","text":"g","extended_entities":{"media":[{"id_str":"8","type":"animated_gif","media_url_https":"https://p/g.jpg","video_info":{"variants":[{"bitrate":0,"content_type":"video/mp4","url":"https://v/g.mp4"}]}}]}}`,
			want: []archive.Media{{Key: "8", Type: "animated_gif", URL: "https://v/g.mp4", PreviewURL: "https://p/g.jpg"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts, err := DecodeStatuses([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeStatuses: %v", err)
			}
			if got := posts[0].Media; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("media = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeStatusesAPIError(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int
		wantText string
	}{
		{"not found", string(readTestdata(t, "error_v11.json")), 144, "144 No status found with that ID."},
		{"rate limit", `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, 88, "88 Rate limit exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts, err := DecodeStatuses([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeStatuses = %+v, want an error", posts)
			}
			var apiErr twitter.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v does not wrap a twitter.APIError", err)
			}
			if got := apiErr.Errors[0].Code; got != tt.wantCode {
				t.Errorf("code = %d, want %d", got, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestDecodeStatusesErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", "empty body"},
		{"string at top level", `"x"`, "neither a status object nor an array"},
		{"syntax error with offset", `[{"id_str":"1"},]`, "JSON syntax error at byte offset 16"},
		{"garbage", `nope`, "JSON syntax error at byte offset 1"},
		{"truncated", `[{"id_str":"1","text":"Landed in Ba`, "truncated JSON"},
		{"missing id names the index", `[{"id_str":"1","text":"a"},{"text":"b"}]`, "status[1]: missing id"},
		{"bad created_at", `{"id_str":"7","text":"a","created_at":"2026-02-10T13:05:00Z"}`, "status: id 7: created_at"},
		{"wrong type names the field", `[{"id_str":"1","favorite_count":"12"}]`, "status[0]: json: cannot unmarshal string into Go struct field Tweet.favorite_count"},
		{"string error", `{"errors":"Sorry, that page does not exist"}`, "v1.1 error response: Sorry, that page does not exist"},
		{"old error member", `{"error":"Not authorized.","request":"/1.1/statuses/user_timeline.json"}`, "v1.1 error response: Not authorized."},
		{"search statuses not an array", `{"statuses":{}}`, "statuses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts, err := DecodeStatuses([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeStatuses(%q) = %+v, want an error containing %q", tt.body, posts, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeStatuses(%q) error = %q, want it to contain %q", tt.body, err, tt.want)
			}
		})
	}
}

// TestDecodeStatusesTruncated cuts every status file at every byte: each
// cut must give an error, never a panic or a silently shorter list.
func TestDecodeStatusesTruncated(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b := bytes.TrimSpace(readTestdata(t, filepath.Base(f)))
			for n := 0; n < len(b); n++ {
				if posts, err := DecodeStatuses(b[:n]); err == nil {
					t.Fatalf("DecodeStatuses(first %d bytes) = %+v, want an error", n, posts)
				}
			}
		})
	}
}
