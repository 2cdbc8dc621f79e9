package xv1

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/verbatim-archive/verbatim/archive"
)

// readAll collects every post that ReadTweetsJSWith streams.
func readAll(r io.Reader, opts ArchiveOptions) ([]archive.Post, error) {
	var posts []archive.Post
	err := ReadTweetsJSWith(r, opts, func(p archive.Post) error {
		posts = append(posts, p)
		return nil
	})
	return posts, err
}

func TestReadTweetsJS(t *testing.T) {
	edits := []string{"2021228157981432363", "2021228704637652017"}
	tests := []struct {
		name string
		file string
		opts ArchiveOptions
		want []archive.Post
	}{
		{
			name: "wrapped tweets with edit info and video",
			file: "tweets.js",
			opts: ArchiveOptions{Account: vp},
			want: []archive.Post{
				{
					Platform:    archive.PlatformX,
					ID:          "2021228157981432363",
					EditHistory: edits,
					Author:      vp,
					CreatedAt:   at(t, "2026-02-10T14:22:00Z"),
					Text:        "Productive meeting with President Aliyev at the Presidential Palace. The United States values partners who deliver.",
					Lang:        "en",
				},
				{
					Platform:    archive.PlatformX,
					ID:          "2021228704637652017",
					EditHistory: edits,
					Author:      vp,
					CreatedAt:   at(t, "2026-02-10T14:24:10Z"),
					Text:        "Productive meeting with President Aliyev & his team at the Presidential Palace. The United States <3 partners who deliver.",
					Lang:        "en",
				},
				{
					Platform:    archive.PlatformX,
					ID:          "2021247787324152363",
					EditHistory: []string{"2021247787324152363"},
					Author:      vp,
					CreatedAt:   at(t, "2026-02-10T15:40:00Z"),
					Text:        "Today in Baku, President Aliyev and I signed the Charter on Strategic Partnership between the United States and Azerbaijan. Energy, trade, security, and the Middle Corridor: a new chapter for our two nations. https://t.co/Vd9Pr2sKwE",
					Lang:        "en",
					Media: []archive.Media{{
						Key:        "2021252484428726274",
						Type:       "video",
						URL:        "https://video.twimg.com/amplify_video/2021252484428726274/vid/avc1/1920x1080/d4.mp4?tag=16",
						PreviewURL: "https://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
						ShortURL:   "https://t.co/Vd9Pr2sKwE",
						DisplayURL: "pic.x.com/Vd9Pr2sKwE",
					}},
				},
				{
					Platform:    archive.PlatformX,
					ID:          "2021256001123532800",
					EditHistory: []string{"2021256001123532800"},
					Author:      vp,
					CreatedAt:   at(t, "2026-02-10T16:12:38Z"),
					Text:        "@VPPressSec A good day for America & for Azerbaijan.",
					Lang:        "en",
					ReplyToID:   "2021253323805432363",
				},
			},
		},
		{
			name: "older archive without the tweet wrapper, author unknown",
			file: "tweet_old.js",
			want: []archive.Post{
				{
					Platform:  archive.PlatformX,
					ID:        "2021294472721088263",
					CreatedAt: at(t, "2026-02-10T18:45:30Z"),
					Text:      "Wheels up from Baku. Thank you, Azerbaijan.",
					Lang:      "en",
				},
				{
					Platform:  archive.PlatformX,
					ID:        "2021208780296952363",
					CreatedAt: at(t, "2026-02-10T13:05:00Z"),
					Text:      "Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends.",
					Lang:      "en",
				},
			},
		},
		{
			name: "second part, author without platform",
			file: "tweets-part1.js",
			opts: ArchiveOptions{Account: archive.Account{PlatformID: "1880674038224457728", Handle: "VPPressSec"}},
			want: []archive.Post{{
				Platform:  archive.PlatformX,
				ID:        "2021253323805432363",
				Author:    archive.Account{Platform: archive.PlatformX, PlatformID: "1880674038224457728", Handle: "VPPressSec"},
				CreatedAt: at(t, "2026-02-10T16:02:00Z"),
				Text:      "WATCH: @VP and President Aliyev sign the Charter on Strategic Partnership in Baku.",
				Lang:      "en",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// OneByteReader proves the reader never needs more than it is given.
			got, err := readAll(iotest.OneByteReader(bytes.NewReader(readTestdata(t, tt.file))), tt.opts)
			if err != nil {
				t.Fatalf("ReadTweetsJSWith: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadTweetsJSWith(%s):\ngot  %+v\nwant %+v", tt.file, got, tt.want)
			}
		})
	}
}

func TestReadTweetsJSShapes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs []string
	}{
		{"plain JSON array", `[{"tweet":{"id_str":"1","full_text":"a"}}]`, []string{"1"}},
		{"byte order mark and blank lines", "\xef\xbb\xbf\n\nwindow.YTD.tweets.part0 = [{\"tweet\":{\"id\":\"2\"}}]", []string{"2"}},
		{"no space before equals", `window.YTD.tweets.part12=[{"tweet":{"id":"3"}}]`, []string{"3"}},
		{"trailing semicolon", "window.YTD.tweets.part0 = [ ];\n", nil},
		{"numeric ids kept exactly", `window.YTD.tweets.part0 = [{"tweet":{"id":2021294472721088263}}]`, []string{"2021294472721088263"}},
		{"id_str preferred", `window.YTD.tweets.part0 = [{"tweet":{"id":"5","id_str":"6"}}]`, []string{"6"}},
		{"counts as numbers or strings", `window.YTD.tweets.part0 = [{"tweet":{"id":"7","favorite_count":3,"retweet_count":"4","display_text_range":["0","1"],"entities":{"user_mentions":[{"indices":["0","3"]}]}}}]`, []string{"7"}},
		{"deleted tweets file", `window.YTD.deleted_tweets.part0 = [{"tweet":{"id":"8","deleted_at":"Tue Feb 10 19:00:00 +0000 2026"}}]`, []string{"8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := ReadTweetsJS(strings.NewReader(tt.body), func(p archive.Post) error {
				got = append(got, p.ID)
				return nil
			})
			if err != nil {
				t.Fatalf("ReadTweetsJS: %v", err)
			}
			if !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("ids = %q, want %q", got, tt.wantIDs)
			}
		})
	}
}

func TestReadTweetsJSEditInfo(t *testing.T) {
	tests := []struct {
		name     string
		editInfo string
		want     []string
		wantRoot string
		wantSeq  int
	}{
		{"initial version", `{"initial":{"editTweetIds":["10","20"]}}`, []string{"10", "20"}, "10", 0},
		{"later version", `{"edit":{"initialTweetId":"10","editControlInitial":{"editTweetIds":["10","20"]}}}`, []string{"10", "20"}, "10", 1},
		{"never edited", `{"initial":{"editTweetIds":["20"],"editsRemaining":"5"}}`, []string{"20"}, "20", 0},
		{"repeated ids", `{"initial":{"editTweetIds":["10","10","20"]}}`, []string{"10", "20"}, "10", 0},
		{"none", `{}`, nil, "20", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "20"
			if tt.name == "initial version" || tt.name == "repeated ids" {
				id = "10"
			}
			body := `window.YTD.tweets.part0 = [{"tweet":{"id_str":"` + id + `","edit_info":` + tt.editInfo + `}}]`
			posts, err := readAll(strings.NewReader(body), ArchiveOptions{})
			if err != nil {
				t.Fatalf("ReadTweetsJS: %v", err)
			}
			p := posts[0]
			if !reflect.DeepEqual(p.EditHistory, tt.want) {
				t.Errorf("edit history = %q, want %q", p.EditHistory, tt.want)
			}
			if got := p.RootID(); got != tt.wantRoot {
				t.Errorf("RootID() = %q, want %q", got, tt.wantRoot)
			}
			if got := p.Seq(); got != tt.wantSeq {
				t.Errorf("Seq() = %d, want %d", got, tt.wantSeq)
			}
		})
	}
}

func TestReadTweetsJSErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantIDs []string // posts delivered before the error
	}{
		{"empty", "", "empty file", nil},
		{"not an archive file", `{"id":"1"}`, "does not start with window.YTD", nil},
		{"wrong prefix", `var tweets = [{"id":"1"}]`, "prefix", nil},
		{"prefix only", `window.YTD.tweets.part0 = `, "truncated", nil},
		{"array never closed", `window.YTD.tweets.part0 = [`, "read tweets.js: truncated: the array is not closed", nil},
		{"object after prefix", `window.YTD.tweets.part0 = {"id":"1"}`, "want a JSON array", nil},
		{"missing id names the index", `window.YTD.tweets.part0 = [{"tweet":{"id":"1"}},{"tweet":{"full_text":"x"}}]`, "element 1: missing id", []string{"1"}},
		{"bad created_at", `window.YTD.tweets.part0 = [{"tweet":{"id":"1","created_at":"2026-02-10"}}]`, "element 0: id 1: created_at", nil},
		{"truncated inside an element", `window.YTD.tweets.part0 = [{"tweet":{"id":"1"}},{"tweet":{"id":"2","full_te`, "element 1: truncated JSON", []string{"1"}},
		{"array not closed", `window.YTD.tweets.part0 = [{"tweet":{"id":"1"}}`, "after element 0: truncated", []string{"1"}},
		{"syntax error with file offset", `window.YTD.tweets.part0 = [{"tweet":{"id":"1"}} {"tweet":{}}]`, "element 1: JSON syntax error near byte offset 48", []string{"1"}},
		{"element not an object", `window.YTD.tweets.part0 = [{"tweet":{"id":"1"}}, 7]`, "element 1", []string{"1"}},
		{"id as bool", `window.YTD.tweets.part0 = [{"tweet":{"id":true}}]`, "element 0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := ReadTweetsJS(strings.NewReader(tt.body), func(p archive.Post) error {
				got = append(got, p.ID)
				return nil
			})
			if err == nil {
				t.Fatalf("ReadTweetsJS(%q) = nil error, want one containing %q", tt.body, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadTweetsJS(%q) error = %q, want it to contain %q", tt.body, err, tt.want)
			}
			if !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("posts before the error = %q, want %q", got, tt.wantIDs)
			}
		})
	}
}

func TestReadTweetsJSCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop here")
	var calls int
	err := ReadTweetsJS(bytes.NewReader(readTestdata(t, "tweets.js")), func(p archive.Post) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("error = %v, want it to wrap %v", err, stop)
	}
	if !strings.Contains(err.Error(), "element 1 (id 2021228704637652017)") {
		t.Errorf("error = %q, want it to name element 1 and its id", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times, want 2", calls)
	}
}

// TestReadTweetsJSStreams checks that the reader does not read the whole
// file before delivering the first post: after the first element it must
// not have consumed much more than that element.
func TestReadTweetsJSStreams(t *testing.T) {
	var b strings.Builder
	b.WriteString("window.YTD.tweets.part0 = [\n")
	const n = 5000
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"tweet":{"id_str":"2021208780296952363","full_text":"Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends.","created_at":"Tue Feb 10 13:05:00 +0000 2026"}}`)
	}
	b.WriteString("\n]\n")
	r := &countingReader{r: strings.NewReader(b.String())}
	total := int64(b.Len())
	var read []int64
	err := ReadTweetsJS(r, func(p archive.Post) error {
		read = append(read, r.n)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadTweetsJS: %v", err)
	}
	if len(read) != n {
		t.Fatalf("got %d posts, want %d", len(read), n)
	}
	if read[0] > 64<<10 || read[0] >= total/4 {
		t.Errorf("read %d of %d bytes before the first post, want a small buffer", read[0], total)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestReadTweetsJSTruncated cuts every archive test file at every byte:
// each cut must give an error, never a panic.
func TestReadTweetsJSTruncated(t *testing.T) {
	for _, name := range []string{"tweets.js", "tweet_old.js", "tweets-part1.js"} {
		t.Run(name, func(t *testing.T) {
			b := bytes.TrimSpace(readTestdata(t, name))
			for n := 0; n < len(b); n++ {
				if err := ReadTweetsJS(bytes.NewReader(b[:n]), func(archive.Post) error { return nil }); err == nil {
					t.Fatalf("ReadTweetsJS(first %d bytes) = nil, want an error", n)
				}
			}
		})
	}
}

func TestReadAccountJS(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    archive.Account
		wantErr string
	}{
		{name: "account.js", body: string(readTestdata(t, "account.js")), want: vp},
		{name: "unwrapped", body: `window.YTD.account.part0 = [{"accountId":"1880674038224457728","username":"VPPressSec","accountDisplayName":"VP Press Secretary"}]`, want: ps},
		{name: "empty array", body: `window.YTD.account.part0 = [ ]`, wantErr: "no account"},
		{name: "missing accountId", body: `window.YTD.account.part0 = [{"account":{"username":"VP"}}]`, wantErr: "missing accountId"},
		{name: "truncated", body: `window.YTD.account.part0 = [{"account":{"username":"VP"`, wantErr: "truncated"},
		{name: "empty file", body: ``, wantErr: "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAccountJS(strings.NewReader(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadAccountJS error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadAccountJS: %v", err)
			}
			if got != tt.want {
				t.Errorf("ReadAccountJS = %+v, want %+v", got, tt.want)
			}
		})
	}
}
