package xapi

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodePage(t *testing.T) {
	const noteText = "Today in Baku, President Aliyev and I signed the Charter on Strategic Partnership between the United States and Azerbaijan. It covers energy, trade, security and the Middle Corridor, and it opens a new chapter for our two nations.\n\nWhat it means for American workers: new markets for American LNG technology, new routes for American goods that do not pass through Russia or Iran, and a partner that keeps its word.\n\nPeace through strength is working. More to come."
	tests := []struct {
		name string
		file string
		want *Page
	}{
		{
			name: "timeline with note tweet, edit and photo",
			file: "timeline_vp.json",
			want: &Page{
				Posts: []archive.Post{
					{
						Platform:       archive.PlatformX,
						ID:             "2021247787324152363",
						EditHistory:    []string{"2021247787324152363"},
						Author:         vp,
						CreatedAt:      at(t, "2026-02-10T15:40:00Z"),
						Text:           noteText,
						Lang:           "en",
						ConversationID: "2021247787324152363",
					},
					{
						Platform:       archive.PlatformX,
						ID:             "2021228704637652017",
						EditHistory:    []string{"2021228157981432363", "2021228704637652017"},
						Author:         vp,
						CreatedAt:      at(t, "2026-02-10T14:24:10Z"),
						Text:           "Productive meeting with President Aliyev & his team at the Presidential Palace. The United States <3 partners who deliver.",
						Lang:           "en",
						ConversationID: "2021228157981432363",
					},
					{
						Platform:       archive.PlatformX,
						ID:             "2021208780296952363",
						EditHistory:    []string{"2021208780296952363"},
						Author:         vp,
						CreatedAt:      at(t, "2026-02-10T13:05:00Z"),
						Text:           "Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends. https://t.co/Qm3Xk8RpLa",
						Lang:           "en",
						ConversationID: "2021208780296952363",
						Media: []archive.Media{{
							Key:        "3_2021207823479734273",
							Type:       "photo",
							URL:        "https://pbs.twimg.com/media/HBaku01XsAAvp1x.jpg",
							ShortURL:   "https://t.co/Qm3Xk8RpLa",
							DisplayURL: "pic.twitter.com/Qm3Xk8RpLa",
							AltText:    "The Vice President greeted on the tarmac in Baku",
						}},
					},
				},
				Included: []archive.Post{{
					Platform:       archive.PlatformX,
					ID:             "2021228157981432363",
					EditHistory:    []string{"2021228157981432363", "2021228704637652017"},
					Author:         vp,
					CreatedAt:      at(t, "2026-02-10T14:22:00Z"),
					Text:           "Productive meeting with President Aliyev at the Presidential Palace. The United States values partners who deliver.",
					Lang:           "en",
					ConversationID: "2021228157981432363",
				}},
				Users: []archive.Account{vp},
				Meta: Meta{
					ResultCount: 3,
					NewestID:    "2021247787324152363",
					OldestID:    "2021208780296952363",
					NextToken:   "7140dibdnow9c7btw4b0a1vp2026baku0210xq5m",
				},
			},
		},
		{
			name: "twarc line with video, reply and quote",
			file: "presssec_twarc.jsonl",
			want: &Page{
				Posts: []archive.Post{
					{
						Platform:       archive.PlatformX,
						ID:             "2021253323805432363",
						EditHistory:    []string{"2021253323805432363"},
						Author:         ps,
						CreatedAt:      at(t, "2026-02-10T16:02:00Z"),
						Text:           "WATCH: @VP and President Aliyev sign the Charter on Strategic Partnership in Baku. https://t.co/Vd9Pr2sKwE",
						Lang:           "en",
						ConversationID: "2021253323805432363",
						Media: []archive.Media{{
							Key:        "7_2021252484428726274",
							Type:       "video",
							URL:        "https://video.twimg.com/amplify_video/2021252484428726274/vid/avc1/1920x1080/d4.mp4?tag=16",
							PreviewURL: "https://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
							ShortURL:   "https://t.co/Vd9Pr2sKwE",
							DisplayURL: "pic.twitter.com/Vd9Pr2sKwE",
						}},
					},
					{
						Platform:       archive.PlatformX,
						ID:             "2021275469730552363",
						EditHistory:    []string{"2021275469730552363"},
						Author:         ps,
						CreatedAt:      at(t, "2026-02-10T17:30:00Z"),
						Text:           "The full text of the Charter, and what the Vice President said about it: https://t.co/Lx0Qe7TbWk",
						Lang:           "en",
						ConversationID: "2021253323805432363",
						ReplyToID:      "2021253323805432363",
						QuotedID:       "2021247787324152363",
					},
				},
				Included: []archive.Post{{
					Platform:    archive.PlatformX,
					ID:          "2021247787324152363",
					EditHistory: []string{"2021247787324152363"},
					Author:      vp,
					CreatedAt:   at(t, "2026-02-10T15:40:00Z"),
					Text:        "Today in Baku, President Aliyev and I signed the Charter on Strategic Partnership between the United States and Azerbaijan.",
					Lang:        "en",
				}},
				Users: []archive.Account{ps, vp},
			},
		},
		{
			name: "single post with ids as JSON numbers beyond 2^53",
			file: "tweet_number_ids.json",
			want: &Page{
				Posts: []archive.Post{{
					Platform:       archive.PlatformX,
					ID:             "2021294472721088263",
					EditHistory:    []string{"2021294472721088263"},
					Author:         vp,
					CreatedAt:      at(t, "2026-02-10T18:45:30Z"),
					Text:           "Wheels up from Baku. Thank you, Azerbaijan.",
					Lang:           "en",
					ConversationID: "2021294472721088263",
				}},
				Users: []archive.Account{vp},
			},
		},
		{
			name: "partial errors for deleted and protected posts",
			file: "partial_errors.json",
			want: &Page{
				Posts: []archive.Post{{
					Platform:    archive.PlatformX,
					ID:          "2021208780296952363",
					EditHistory: []string{"2021208780296952363"},
					Author:      vp,
					CreatedAt:   at(t, "2026-02-10T13:05:00Z"),
					Text:        "Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends. https://t.co/Qm3Xk8RpLa",
				}},
				Users: []archive.Account{vp},
				Errors: []APIError{
					{
						Title:        "Not Found Error",
						Detail:       "Could not find tweet with ids: [2021211000000000001].",
						Type:         "https://api.twitter.com/2/problems/resource-not-found",
						ResourceType: "tweet",
						ResourceID:   "2021211000000000001",
						Parameter:    "ids",
						Value:        "2021211000000000001",
					},
					{
						Title:        "Authorization Error",
						Detail:       "Sorry, you are not authorized to see the Tweet with ids: [2021212000000000002].",
						Type:         "https://api.twitter.com/2/problems/not-authorized-for-resource",
						ResourceType: "tweet",
						ResourceID:   "2021212000000000002",
						Parameter:    "ids",
						Value:        "2021212000000000002",
					},
				},
			},
		},
		{
			name: "author missing from includes keeps the id",
			file: "missing_author.json",
			want: &Page{
				Posts: []archive.Post{{
					Platform:    archive.PlatformX,
					ID:          "2021253323805432363",
					EditHistory: []string{"2021253323805432363"},
					Author:      archive.Account{Platform: archive.PlatformX, PlatformID: "1880674038224457728"},
					CreatedAt:   at(t, "2026-02-10T16:02:00Z"),
					Text:        "WATCH: @VP and President Aliyev sign the Charter on Strategic Partnership in Baku.",
				}},
				Users: []archive.Account{vp},
			},
		},
		{
			name: "user lookup returns one user object",
			file: "user_vppresssec.json",
			want: &Page{Users: []archive.Account{ps}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePage(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("DecodePage: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodePage(%s):\ngot  %+v\nwant %+v", tt.file, got, tt.want)
			}
		})
	}
}

func TestDecodePageProblem(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *ProblemError
	}{
		{
			name: "401 unauthorized",
			body: string(readTestdata(t, "problem_401.json")),
			want: &ProblemError{Title: "Unauthorized", Detail: "Unauthorized", Type: "about:blank", Status: 401},
		},
		{
			name: "429 usage capped has no status",
			body: string(readTestdata(t, "problem_429_usage_capped.json")),
			want: &ProblemError{
				Title:  "UsageCapExceeded",
				Detail: "Usage cap exceeded: Monthly product cap",
				Type:   "https://api.twitter.com/2/problems/usage-capped",
			},
		},
		{
			name: "400 invalid request with details",
			body: string(readTestdata(t, "problem_400_invalid.json")),
			want: &ProblemError{
				Title:  "Invalid Request",
				Detail: "One or more parameters to your request was invalid.",
				Type:   "https://api.twitter.com/2/problems/invalid-request",
				Errors: []APIError{{Message: "The `ids` query parameter value [VP-2026-02-10] is not valid"}},
			},
		},
		{
			name: "status as a string",
			body: `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":"429"}`,
			want: &ProblemError{Title: "Too Many Requests", Detail: "Too Many Requests", Type: "about:blank", Status: 429},
		},
		{
			name: "v1.1-style errors only",
			body: `{"errors":[{"message":"Invalid or expired token","code":89}]}`,
			want: &ProblemError{Errors: []APIError{{Message: "Invalid or expired token", Code: 89}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := DecodePage([]byte(tt.body))
			if page != nil {
				t.Errorf("DecodePage returned a page: %+v", page)
			}
			var got *ProblemError
			if !errors.As(err, &got) {
				t.Fatalf("DecodePage error = %v, want a *ProblemError", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ProblemError:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestProblemErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *ProblemError
		want string
	}{
		{"401", &ProblemError{Title: "Unauthorized", Detail: "Unauthorized", Type: "about:blank", Status: 401}, "x api problem 401: Unauthorized"},
		{"usage capped", &ProblemError{Title: "UsageCapExceeded", Detail: "Usage cap exceeded: Monthly product cap", Type: "https://api.twitter.com/2/problems/usage-capped"},
			"x api problem: UsageCapExceeded: Usage cap exceeded: Monthly product cap (https://api.twitter.com/2/problems/usage-capped)"},
		{"v1.1 style", &ProblemError{Errors: []APIError{{Message: "Invalid or expired token", Code: 89}}}, "x api problem: Invalid or expired token: code 89"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodePageErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // substring of the error
	}{
		{"empty body", "", "empty body"},
		{"blank body", " \n\t", "empty body"},
		{"array at top level", `[{"id":"1"}]`, "not a JSON object"},
		{"null", "null", "not a JSON object"},
		{"syntax error with offset", "{\n  \"data\": [x]\n}", "JSON syntax error at byte offset 13"},
		{"offset counts leading space", "  {\"data\": x}", "at byte offset 11"},
		{"truncated", `{"data":[{"id":"1","text":"Landed in Ba`, "truncated JSON"},
		{"trailing garbage", `{"data":[]} {}`, "invalid character"},
		{"data entry without id", `{"data":[{"id":"1","text":"a"},{"text":"b"}]}`, "data[1]: missing id"},
		{"single data object without id", `{"data":{"text":"b"}}`, "data: missing id"},
		{"included post without id", `{"data":[],"includes":{"tweets":[{"text":"b"}]}}`, "includes.tweets[0]: missing id"},
		{"included user without id", `{"includes":{"users":[{"username":"VP"}]}}`, "includes.users[0]: missing id"},
		{"id as fraction", `{"data":[{"id":2021294472721088263.5,"text":"a"}]}`, "data[0]"},
		{"id as bool", `{"data":[{"id":true,"text":"a"}]}`, "neither a string nor an integer"},
		{"bad created_at", `{"data":[{"id":"7","text":"a","created_at":"Tue Feb 10 15:40:00 +0000 2026"}]}`, "data[0]: id 7: created_at"},
		{"data is a string", `{"data":"x"}`, "neither an array nor an object"},
		{"text is an object", `{"data":[{"id":"1","text":{}}]}`, "data[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := DecodePage([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodePage(%q) = %+v, want an error containing %q", tt.body, page, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodePage(%q) error = %q, want it to contain %q", tt.body, err, tt.want)
			}
			var pe *ProblemError
			if errors.As(err, &pe) {
				t.Errorf("DecodePage(%q) returned a ProblemError for malformed input", tt.body)
			}
		})
	}
}

func TestDecodePageLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *Page
	}{
		{
			name: "unknown keys and edit controls as strings",
			body: `{"__twarc":{"url":"x"},"data":[{"id":"5","text":"a","edit_controls":{"edits_remaining":"4","editable_until":7},"future_field":[1,2]}],"matching_rules":[{"id":1}]}`,
			want: &Page{Posts: []archive.Post{{Platform: archive.PlatformX, ID: "5", Text: "a"}}},
		},
		{
			name: "counts and bit rates as strings",
			body: `{"data":[{"id":"5","text":"v","attachments":{"media_keys":["7_1"]}}],"includes":{"media":[{"media_key":"7_1","type":"video","variants":[{"bit_rate":"832000","content_type":"video/mp4","url":"https://v/low.mp4"},{"bit_rate":"2176000","content_type":"video/mp4","url":"https://v/high.mp4"}]}]},"meta":{"result_count":"1","newest_id":5}}`,
			want: &Page{
				Posts: []archive.Post{{Platform: archive.PlatformX, ID: "5", Text: "v", Media: []archive.Media{{Key: "7_1", Type: "video", URL: "https://v/high.mp4"}}}},
				Meta:  Meta{ResultCount: 1, NewestID: "5"},
			},
		},
		{
			name: "animated gif with a zero bit rate and media not in includes",
			body: `{"data":[{"id":"5","text":"g","attachments":{"media_keys":["16_1","3_404"]}}],"includes":{"media":[{"media_key":"16_1","type":"animated_gif","preview_image_url":"https://p/g.jpg","variants":[{"bit_rate":0,"content_type":"video/mp4","url":"https://v/g.mp4"}]}]}}`,
			want: &Page{Posts: []archive.Post{{Platform: archive.PlatformX, ID: "5", Text: "g", Media: []archive.Media{
				{Key: "16_1", Type: "animated_gif", URL: "https://v/g.mp4", PreviewURL: "https://p/g.jpg"},
				{Key: "3_404"},
			}}}},
		},
		{
			name: "only a streaming playlist",
			body: `{"data":[{"id":"5","text":"s","attachments":{"media_keys":["13_1"]}}],"includes":{"media":[{"media_key":"13_1","type":"video","variants":[{"content_type":"application/x-mpegURL","url":"https://v/p.m3u8"}]}]}}`,
			want: &Page{Posts: []archive.Post{{Platform: archive.PlatformX, ID: "5", Text: "s", Media: []archive.Media{{Key: "13_1", Type: "video", URL: "https://v/p.m3u8"}}}}},
		},
		{
			name: "empty note tweet falls back to text",
			body: `{"data":[{"id":"5","text":"short","note_tweet":{"text":""}}]}`,
			want: &Page{Posts: []archive.Post{{Platform: archive.PlatformX, ID: "5", Text: "short"}}},
		},
		{
			name: "null data and empty timeline",
			body: `{"data":null,"meta":{"result_count":0}}`,
			want: &Page{},
		},
		{
			name: "repeated edit ids are dropped",
			body: `{"data":[{"id":"6","text":"b","edit_history_tweet_ids":["5","5","6"]}]}`,
			want: &Page{Posts: []archive.Post{{Platform: archive.PlatformX, ID: "6", Text: "b", EditHistory: []string{"5", "6"}}}},
		},
		{
			name: "users page",
			body: `{"data":[{"id":"1542228578","username":"VP","name":"Vice President JD Vance","pinned_tweet_id":"9"}],"includes":{"tweets":[{"id":"9","text":"pinned","author_id":"1542228578"}]}}`,
			want: &Page{
				Included: []archive.Post{{Platform: archive.PlatformX, ID: "9", Text: "pinned", Author: vp}},
				Users:    []archive.Account{vp},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePage([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodePage: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodePage:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodePageTruncated cuts every test file at every byte: each cut must
// give an error, never a panic or a silently shorter page.
func TestDecodePageTruncated(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.TrimSpace(b)
			for n := 0; n < len(b); n++ {
				if page, err := DecodePage(b[:n]); err == nil {
					t.Fatalf("DecodePage(first %d bytes) = %+v, want an error", n, page)
				}
			}
		})
	}
}

func TestUnescapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"Aliyev &amp; Vance", "Aliyev & Vance"},
		{"&lt;3 &gt;", "<3 >"},
		{"&amp;lt; stays escaped once", "&lt; stays escaped once"},
		{"&quot;not X's escaping&quot;", "&quot;not X's escaping&quot;"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := unescapeText(tt.in); got != tt.want {
				t.Errorf("unescapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
