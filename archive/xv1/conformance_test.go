package xv1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"

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

// TestConformanceSharedFixtures decodes every real v1.1 response in the
// shared fixtures and checks each id and time against the raw JSON.
func TestConformanceSharedFixtures(t *testing.T) {
	root := filepath.Join(sharedDir(t), "fixtures", "v1")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared fixtures not found at %s; skipping conformance test", root)
	}
	files, err := filepath.Glob(filepath.Join(root, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, f := range files {
		if strings.HasSuffix(f, ".meta.json") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var raw any
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("raw decode: %v", err)
			}
			posts, err := DecodeStatuses(data)
			if obj, ok := raw.(map[string]any); ok && obj["errors"] != nil {
				var apiErr twitter.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("DecodeStatuses error = %v, want a twitter.APIError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeStatuses: %v", err)
			}
			rawPosts := rawStatuses(raw)
			if len(posts) != len(rawPosts) {
				t.Fatalf("got %d posts, want %d", len(posts), len(rawPosts))
			}
			for i, p := range posts {
				checkStatus(t, fmt.Sprintf("status[%d]", i), p, rawPosts[i])
			}
		})
	}
	if n == 0 {
		t.Fatalf("no v1.1 fixtures under %s", root)
	}
}

// rawStatuses returns the status objects of a raw body.
func rawStatuses(raw any) []map[string]any {
	var list []any
	switch v := raw.(type) {
	case []any:
		list = v
	case map[string]any:
		if s, ok := v["statuses"].([]any); ok {
			list = s
		} else {
			return []map[string]any{v}
		}
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i], _ = e.(map[string]any)
	}
	return out
}

// rawID returns id_str, or the exact text of the numeric id.
func rawID(m map[string]any, key string) string {
	if s, ok := m[key+"_str"].(string); ok && s != "" {
		return s
	}
	if n, ok := m[key].(json.Number); ok {
		return n.String()
	}
	return ""
}

func checkStatus(t *testing.T, where string, p archive.Post, raw map[string]any) {
	t.Helper()
	if want := rawID(raw, "id"); p.ID != want || !isDigits(p.ID) {
		t.Errorf("%s: id = %q, want the digit string %q", where, p.ID, want)
	}
	if n, ok := raw["id"].(json.Number); ok && n.String() != p.ID {
		t.Errorf("%s: id = %q, but the numeric id reads %s", where, p.ID, n)
	}
	if p.Platform != archive.PlatformX || len(p.EditHistory) != 0 {
		t.Errorf("%s: platform %q, edit history %q; want x and none", where, p.Platform, p.EditHistory)
	}
	if user, ok := raw["user"].(map[string]any); ok {
		if want := rawID(user, "id"); p.Author.PlatformID != want || !isDigits(want) {
			t.Errorf("%s: author id = %q, want %q", where, p.Author.PlatformID, want)
		}
		if want, _ := user["screen_name"].(string); p.Author.Handle != want {
			t.Errorf("%s: handle = %q, want %q", where, p.Author.Handle, want)
		}
	}
	rawAt, _ := raw["created_at"].(string)
	if got := p.CreatedAt.Format(time.RubyDate); got != rawAt {
		t.Errorf("%s: created_at = %s, want %s", where, got, rawAt)
	}
	// The earliest fixture is status 397 of 2006-03-26, so the bound is the
	// start of 2006.
	lo := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if p.CreatedAt.Before(lo) || !p.CreatedAt.Before(hi) {
		t.Errorf("%s: created_at %v is outside 2006..2029", where, p.CreatedAt)
	}
	if want := rawID(raw, "in_reply_to_status_id"); p.ReplyToID != want {
		t.Errorf("%s: reply to = %q, want %q", where, p.ReplyToID, want)
	}
	if rt, ok := raw["retweeted_status"].(map[string]any); ok {
		if want := rawID(rt, "id"); p.RetweetedID != want {
			t.Errorf("%s: retweeted = %q, want %q", where, p.RetweetedID, want)
		}
	}
	if p.Text == "" {
		t.Errorf("%s: empty text", where)
	}
	for j, m := range p.Media {
		if !isDigits(m.Key) || m.URL == "" {
			t.Errorf("%s: media[%d] = %+v, want a digit key and a URL", where, j, m)
		}
	}
}
