package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/netguard"
)

// Browser captures pages.
type Browser interface {
	// Capture loads url and returns what it showed. An error means nothing
	// usable was captured; a degraded page comes back with its verdict.
	Capture(ctx context.Context, url string, pdf bool) (*Page, error)
}

// Snapshotter captures pages with a browser and records them.
type Snapshotter struct {
	Recorder
	Browser Browser
	// PostURL and EmbedURL are the templates posts are snapshotted at
	// ({handle}, {id}).
	PostURL, EmbedURL string
	// Tabs is how many snapshots run at once (default 2).
	Tabs int
}

// Snapshot captures one target now and records the result, degraded or
// not. A URL refused by the address guard is an error and is not recorded.
func (s *Snapshotter) Snapshot(ctx context.Context, t Target) (Result, error) {
	pdf := t.Kind == "article" || t.Kind == "url"
	page, err := s.Browser.Capture(ctx, t.URL, pdf)
	if err != nil {
		if errors.Is(err, netguard.ErrPrivateAddress) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return Result{URL: t.URL, Kind: t.Kind, Verdict: Failed, Detail: err.Error()}, err
		}
		return s.RecordFailure(ctx, t, err)
	}
	return s.Record(ctx, t, page)
}

// PassResult counts a pass over due snapshots.
type PassResult struct {
	OK       int `json:"ok"`
	Degraded int `json:"degraded"`
}

// SnapshotDuePosts snapshots recent posts that have no good snapshot yet at
// their post page and their embed rendering; degraded ones are retried with
// backoff, at most five times.
func (s *Snapshotter) SnapshotDuePosts(ctx context.Context, since time.Time, limit int) (PassResult, error) {
	var pr PassResult
	for _, kind := range []string{"post", "embed"} {
		tmpl := s.PostURL
		if kind == "embed" {
			tmpl = s.EmbedURL
		}
		if tmpl == "" {
			continue
		}
		due, err := s.DB.DueSnapshots(ctx, kind, since, 30*time.Minute, 5, limit)
		if err != nil {
			return pr, err
		}
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(s.Tabs, 1))
		for _, d := range due {
			url := archive.PostURL(tmpl, d.Handle, d.LatestID)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				res, err := s.Snapshot(ctx, Target{URL: url, Kind: kind, PostID: d.ID})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil && (ctx.Err() != nil || errors.Is(err, netguard.ErrPrivateAddress)):
					if firstErr == nil {
						firstErr = fmt.Errorf("snapshot %s: %w", url, err)
					}
				case res.Verdict == OK:
					pr.OK++
				default:
					pr.Degraded++
					s.log().Info("degraded snapshot", "url", url, "verdict", res.Verdict, "detail", firstLine(res.Detail))
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return pr, firstErr
		}
	}
	return pr, nil
}

func (r *Recorder) log() interface {
	Info(msg string, args ...any)
} {
	if r.Log != nil {
		return r.Log
	}
	return nopLog{}
}

type nopLog struct{}

func (nopLog) Info(string, ...any) {}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
