package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// sharedDir returns the shared fixtures folder: $VERBATIM_SHARED, or
// ../shared next to the directory that holds go.mod.
func sharedDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("VERBATIM_SHARED"); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "shared")
		}
		dir = parent
	}
}

// rawBody is one recorded response body and the name it is reported under.
type rawBody struct {
	name string
	data []byte
}

// v2Bodies returns every recorded v2 response in the shared fixtures: each
// *.json except the *.meta.json headers, and each line of each *.jsonl.
func v2Bodies(t *testing.T, root string) []rawBody {
	t.Helper()
	var bodies []rawBody
	for _, pattern := range []string{"*.json", "errors/*.json", "*.jsonl", "errors/*.jsonl"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, ".meta.json") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(root, f)
			if !strings.HasSuffix(f, ".jsonl") {
				bodies = append(bodies, rawBody{rel, b})
				continue
			}
			for i, line := range bytes.Split(b, []byte("\n")) {
				if len(bytes.TrimSpace(line)) > 0 {
					bodies = append(bodies, rawBody{fmt.Sprintf("%s:%d", rel, i+1), line})
				}
			}
		}
	}
	return bodies
}

// TestConformanceSharedFixtures decodes every real v2 response in the
// shared fixtures and checks each id and time against the raw JSON.
func TestConformanceSharedFixtures(t *testing.T) {
	root := filepath.Join(sharedDir(t), "fixtures", "v2")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared fixtures not found at %s; skipping conformance test", root)
	}
	bodies := v2Bodies(t, root)
	if len(bodies) == 0 {
		t.Fatalf("no v2 fixtures under %s", root)
	}
	for _, body := range bodies {
		t.Run(body.name, func(t *testing.T) {
			var raw map[string]any
			dec := json.NewDecoder(bytes.NewReader(body.data))
			dec.UseNumber()
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("raw decode: %v", err)
			}
			page, err := DecodePage(body.data)
			if raw["data"] == nil && raw["title"] != nil {
				var pe *ProblemError
				if !errors.As(err, &pe) {
					t.Fatalf("DecodePage error = %v, want a *ProblemError", err)
				}
				if got, want := pe.Title, raw["title"]; got != want {
					t.Errorf("ProblemError.Title = %q, want %q", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodePage: %v", err)
			}
			var rawTweets, rawUsers []map[string]any
			for _, e := range entries(raw["data"]) {
				if _, isUser := e["username"]; isUser && e["text"] == nil {
					rawUsers = append(rawUsers, e)
				} else {
					rawTweets = append(rawTweets, e)
				}
			}
			includes, _ := raw["includes"].(map[string]any)
			checkPosts(t, "data", page.Posts, rawTweets)
			checkPosts(t, "includes.tweets", page.Included, entries(includes["tweets"]))
			// Users are kept once each: a request that names an id twice
			// gets that user twice in data (twarccsv_users does).
			var rawUserIDs []any
			seen := make(map[string]bool)
			for _, u := range rawUsers {
				if id := rawText(u["id"]); !seen[id] {
					seen[id] = true
					rawUserIDs = append(rawUserIDs, u["id"])
				}
			}
			if len(page.Users) < len(rawUserIDs) {
				t.Fatalf("got %d users, want at least %d", len(page.Users), len(rawUserIDs))
			}
			for i, id := range rawUserIDs {
				checkID(t, fmt.Sprintf("users[%d]", i), page.Users[i].PlatformID, id)
			}
			for i, u := range page.Users {
				if !isDigits(u.PlatformID) || u.Platform != archive.PlatformX {
					t.Errorf("users[%d] = %+v, want a digit id on x", i, u)
				}
			}
			rawErrors, _ := raw["errors"].([]any)
			if got, want := len(page.Errors), len(rawErrors); got != want {
				t.Errorf("got %d partial errors, want %d", got, want)
			}
		})
	}
}

// entries returns a data-like member as a list of objects.
func entries(v any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}
	case []any:
		var out []map[string]any
		for _, e := range v {
			m, _ := e.(map[string]any)
			out = append(out, m)
		}
		return out
	}
	return nil
}

// rawText returns the JSON text of a string or number.
func rawText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func checkID(t *testing.T, where, got string, raw any) {
	t.Helper()
	want := rawText(raw)
	if got != want || !isDigits(got) {
		t.Errorf("%s: id = %q, want the digit string %q", where, got, want)
	}
}

func checkPosts(t *testing.T, where string, posts []archive.Post, raw []map[string]any) {
	t.Helper()
	if len(posts) != len(raw) {
		t.Fatalf("%s: got %d posts, want %d", where, len(posts), len(raw))
	}
	lo := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, p := range posts {
		w := fmt.Sprintf("%s[%d]", where, i)
		checkID(t, w, p.ID, raw[i]["id"])
		if p.Platform != archive.PlatformX {
			t.Errorf("%s: platform = %q, want %q", w, p.Platform, archive.PlatformX)
		}
		var wantHistory []string
		for _, id := range entriesAny(raw[i]["edit_history_tweet_ids"]) {
			wantHistory = append(wantHistory, rawText(id))
		}
		if !reflect.DeepEqual(p.EditHistory, wantHistory) {
			t.Errorf("%s: edit history = %q, want %q", w, p.EditHistory, wantHistory)
		}
		for j, id := range p.EditHistory {
			if !isDigits(id) {
				t.Errorf("%s: edit history[%d] = %q, want digits", w, j, id)
			}
		}
		if rawAuthor := rawText(raw[i]["author_id"]); p.Author.PlatformID != rawAuthor {
			t.Errorf("%s: author id = %q, want %q", w, p.Author.PlatformID, rawAuthor)
		}
		rawAt, _ := raw[i]["created_at"].(string)
		switch {
		case rawAt == "" && !p.CreatedAt.IsZero():
			t.Errorf("%s: created_at = %v, want zero (none in the JSON)", w, p.CreatedAt)
		case rawAt != "":
			if got := p.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00"); got != rawAt {
				t.Errorf("%s: created_at = %s, want %s", w, got, rawAt)
			}
			if p.CreatedAt.Before(lo) || !p.CreatedAt.Before(hi) {
				t.Errorf("%s: created_at %v is outside 2006..2029", w, p.CreatedAt)
			}
		}
		if p.Text == "" {
			t.Errorf("%s: empty text", w)
		}
		for _, ref := range entries(raw[i]["referenced_tweets"]) {
			var got string
			switch ref["type"] {
			case "replied_to":
				got = p.ReplyToID
			case "quoted":
				got = p.QuotedID
			case "retweeted":
				got = p.RetweetedID
			}
			checkID(t, fmt.Sprintf("%s: %s", w, ref["type"]), got, ref["id"])
		}
	}
}

func entriesAny(v any) []any {
	l, _ := v.([]any)
	return l
}
