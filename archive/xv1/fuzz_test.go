package xv1

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/verbatim-archive/verbatim/archive"
)

// seed adds every file in testdata matching pattern to the corpus.
func seed(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, file := range files {
		f.Add(readTestdata(f, filepath.Base(file)))
	}
}

func FuzzDecodeStatuses(f *testing.F) {
	seed(f, "*.json")
	f.Add([]byte(`{"statuses":[{"id":1e400}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		posts, err := DecodeStatuses(data)
		if err != nil {
			if posts != nil {
				t.Errorf("DecodeStatuses returned posts and an error %v", err)
			}
			return
		}
		for _, p := range posts {
			if p.ID == "" {
				t.Errorf("post with an empty id: %+v", p)
			}
		}
	})
}

func FuzzReadTweetsJS(f *testing.F) {
	seed(f, "*.js")
	f.Add([]byte(`[{"tweet":{"id":"1","edit_info":{"edit":{"editControlInitial":{"editTweetIds":["1",2]}}}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ReadTweetsJS(bytes.NewReader(data), func(p archive.Post) error {
			if p.ID == "" {
				t.Errorf("post with an empty id: %+v", p)
			}
			return nil
		})
		if a, err := ReadAccountJS(bytes.NewReader(data)); err == nil && a.PlatformID == "" {
			t.Errorf("account with an empty id: %+v", a)
		}
	})
}
