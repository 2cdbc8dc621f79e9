package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/verbatim-archive/verbatim/archive"
)

func FuzzDecodePage(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			f.Add(line)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"id":1e999}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := DecodePage(data)
		if err != nil {
			if page != nil {
				t.Errorf("DecodePage returned a page and an error %v", err)
			}
			var pe *ProblemError
			if errors.As(err, &pe) && pe.Error() == "" {
				t.Errorf("ProblemError with an empty message")
			}
			return
		}
		if page == nil {
			t.Fatal("DecodePage returned neither a page nor an error")
		}
		for _, list := range [][]string{ids(page.Posts), ids(page.Included)} {
			for _, id := range list {
				if id == "" {
					t.Errorf("post with an empty id in %+v", page)
				}
			}
		}
		for _, u := range page.Users {
			if u.PlatformID == "" {
				t.Errorf("user with an empty id in %+v", page)
			}
		}
	})
}

func ids(posts []archive.Post) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.ID
	}
	return out
}

// FuzzJSONString checks the shortcut for plain string literals against
// encoding/json on every literal it accepts.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"1542228578"`, `"a\"b"`, `"caf\u00e9"`, "\"tab\tin\"", "\"\xff\"", `"emoji 🇺🇸"`, `""`, `"\\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		werr := json.Unmarshal(b, &want)
		if werr != nil || len(b) == 0 || b[0] != '"' {
			return
		}
		got, err := jsonString(b)
		if err != nil || got != want {
			t.Errorf("jsonString(%q) = %q, %v; encoding/json gives %q", b, got, err, want)
		}
	})
}
