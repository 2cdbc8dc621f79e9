package xapi_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
	"github.com/verbatim-archive/verbatim/archive/xapi"
)

// waitLog records the calls of the WithOnWait and WithOnRateLimited hooks.
type waitLog struct {
	mu      sync.Mutex
	waits   []string // endpoints
	delays  []time.Duration
	limited []string
}

func (l *waitLog) onWait(ep string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, ep)
	l.delays = append(l.delays, d)
}

func (l *waitLog) onLimited(ep string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limited = append(l.limited, ep)
}

func TestOnWaitHooks(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(fx *archivetest.FakeX)
		calls       int
		wantWaits   int
		wantLimited int
		wantSleeps  int // waits and backoff delays
	}{
		// A 429 without a spent window: the client waits out the longest
		// backoff and retries.
		{"429 then success", func(fx *archivetest.FakeX) { fx.FailNext(http.StatusTooManyRequests) }, 1, 1, 1, 1},
		// Two 429s: the second is returned, not waited for, but still counted.
		{"429 twice", func(fx *archivetest.FakeX) {
			fx.FailNext(http.StatusTooManyRequests)
			fx.FailNext(http.StatusTooManyRequests)
		}, 1, 1, 2, 1},
		// A window spent without a 429: the third call waits for the reset.
		{"remaining zero", func(fx *archivetest.FakeX) { fx.SetRateLimit(archivetest.FakeXTweets, 2) }, 3, 1, 0, 1},
		// Backoff between retries of a server error is not a rate-limit wait.
		{"backoff is not a wait", func(fx *archivetest.FakeX) { fx.FailNext(http.StatusServiceUnavailable) }, 1, 0, 0, 1},
		{"no limit reached", func(fx *archivetest.FakeX) {}, 2, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFake(t)
			id := fx.Post(vpID, "Landed in Baku.", fx.Now().Add(-time.Hour))
			tt.setup(fx)
			var l waitLog
			c, s := newClient(t, fx, xapi.WithOnWait(l.onWait), xapi.WithOnRateLimited(l.onLimited))
			for range tt.calls {
				c.Tweets(context.Background(), []string{id}, func([]byte, *xapi.Page) error { return nil })
			}
			if got := len(l.waits); got != tt.wantWaits {
				t.Errorf("waits: got %d (%v), want %d", got, l.delays, tt.wantWaits)
			}
			for _, ep := range slices.Concat(l.waits, l.limited) {
				if ep != xapi.EndpointTweets {
					t.Errorf("endpoint: got %q, want %q", ep, xapi.EndpointTweets)
				}
			}
			if got := len(l.limited); got != tt.wantLimited {
				t.Errorf("rate limited: got %d, want %d", got, tt.wantLimited)
			}
			// A wait is reported before it is slept, with the same duration;
			// backoff delays are slept without being reported.
			if got := len(s.Delays()); got != tt.wantSleeps {
				t.Errorf("sleeps: got %d (%v), want %d", got, s.Delays(), tt.wantSleeps)
			}
			if tt.wantWaits > 0 && !slices.Equal(l.delays, s.Delays()) {
				t.Errorf("reported waits %v, slept %v", l.delays, s.Delays())
			}
			for _, d := range l.delays {
				if d < time.Minute || d > 15*time.Minute+2*time.Second {
					t.Errorf("wait %v: want between a minute and the 15-minute window", d)
				}
			}
		})
	}
}
