package archivetest

import (
	"bytes"
	"reflect"
	"strings"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/xapi"

	"testing"
	"unicode/utf8"
)

func TestGenPostsShape(t *testing.T) {
	posts := GenPosts(2000, 1)
	again := GenPosts(2000, 1)
	ids := make(map[string]bool)
	for i, p := range posts {
		if p.Text != again[i].Text || p.ID != again[i].ID {
			t.Fatalf("post %d differs between runs with the same seed", i)
		}
		if n := utf8.RuneCountInString(p.Text); n < 100 || n > 280 {
			t.Errorf("post %d: %d characters, want 100–280: %q", i, n, p.Text)
		}
		if !utf8.ValidString(p.Text) {
			t.Errorf("post %d: invalid UTF-8", i)
		}
		if ids[p.ID] || ids[p.RootID()] && p.RootID() != p.ID {
			t.Errorf("post %d: id %s repeats", i, p.ID)
		}
		ids[p.ID], ids[p.RootID()] = true, true
		if i > 0 && p.ID <= posts[i-1].ID {
			t.Errorf("post %d: id %s not after %s", i, p.ID, posts[i-1].ID)
		}
	}
	for _, p := range posts[:8] {
		t.Logf("%s @%s %q", p.ID, p.Author.Handle, p.Text)
	}
}

func TestWriteV2JSONLDecodesToGenPosts(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteV2JSONL(&buf, 1050, 100, 3); err != nil {
		t.Fatal(err)
	}
	want := GenPosts(1050, 3)
	byID := make(map[string]archive.Post, len(want))
	for _, p := range want {
		byID[p.ID] = p
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 {
		t.Fatalf("got %d lines, want 11 pages", len(lines))
	}
	n := 0
	for i, line := range lines {
		page, err := xapi.DecodePage([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if (page.Meta.NextToken == "") != (i == len(lines)-1) {
			t.Errorf("line %d: next_token %q", i+1, page.Meta.NextToken)
		}
		for _, got := range page.Posts {
			n++
			w, ok := byID[got.ID]
			if !ok {
				t.Fatalf("line %d: post %s was not generated", i+1, got.ID)
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("line %d: post decodes as\n%+v\nwant\n%+v", i+1, got, w)
			}
		}
	}
	if n != len(want) {
		t.Errorf("decoded %d posts, want %d", n, len(want))
	}
}
