package sqlite

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
	"github.com/verbatim-archive/verbatim/archive/ledger/tsatest"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openTSATest opens a fresh database whose checkpoints a local TSA
// timestamps, with a short client timeout, logging to the returned buffer.
func openTSATest(t *testing.T) (*DB, *tsatest.TSA, *syncBuffer) {
	t.Helper()
	now := time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC)
	tsa := tsatest.New(t, func() time.Time { return now })
	c, err := ledger.NewTSAClient(tsa.URL, &http.Client{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "verbatim.db"), Options{
		Now:         func() time.Time { return now },
		Timestamper: c,
		Log:         slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, tsa, &logs
}

func TestLedgerTimestampedCheckpoints(t *testing.T) {
	ctx := context.Background()
	db, tsa, logs := openTSATest(t)
	key := testKey(t, "verbatim.archive/test")
	ids := recordN(t, db, 3)
	cp, err := db.CreateCheckpoint(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Timestamp == nil || cp.TimestampErr != nil {
		t.Fatalf("checkpoint timestamp %+v, %v", cp.Timestamp, cp.TimestampErr)
	}
	if cp.Timestamp.TSA != tsa.URL || !cp.Timestamp.Time.Equal(time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("timestamp from %s at %v", cp.Timestamp.TSA, cp.Timestamp.Time)
	}
	if _, err := ledger.VerifyTimestamp(cp.Timestamp.Token, []byte(cp.Note), nil); err != nil {
		t.Errorf("stored token: %v", err)
	}
	// Kept: read back with the checkpoint, no second request.
	latest, err := db.LatestCheckpoint(ctx)
	if err != nil || latest.Timestamp == nil || !bytes.Equal(latest.Timestamp.Token, cp.Timestamp.Token) {
		t.Fatalf("latest checkpoint's timestamp: %+v %v", latest.Timestamp, err)
	}
	if again, err := db.CreateCheckpoint(ctx, key); err != nil || again.ID != cp.ID || again.Timestamp == nil {
		t.Errorf("unchanged tree: %+v %v", again, err)
	}
	if ts, err := db.Timestamp(ctx, cp.ID); err != nil || !bytes.Equal(ts.Token, cp.Timestamp.Token) {
		t.Errorf("Timestamp of a timestamped checkpoint: %v", err)
	}
	if n := len(tsa.Requests()); n != 1 {
		t.Errorf("%d TSA requests, want 1", n)
	}
	// The receipt carries it and verifies it.
	r, err := db.Receipt(ctx, ids[1], key)
	if err != nil {
		t.Fatal(err)
	}
	if r.Timestamp == nil {
		t.Fatal("receipt without the checkpoint's timestamp")
	}
	got, err := r.Verify(key.Verifier())
	if err != nil || got.Timestamp == nil || !got.Timestamp.Time.Equal(cp.Timestamp.Time) {
		t.Errorf("receipt: %+v %v", got.Timestamp, err)
	}
	if logs.String() != "" {
		t.Errorf("logged: %s", logs)
	}
}

// TestLedgerTimestampFailures: whatever the TSA does, the checkpoint is
// made and kept, with a warning, and a retry timestamps it.
func TestLedgerTimestampFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault tsatest.Fault
		want  string
	}{
		{"down", tsatest.HTTP500, "HTTP 500"},
		{"timeout", tsatest.Hang, "Timeout"},
		{"wrong imprint", tsatest.WrongImprint, "other data"},
		{"nonce mismatch", tsatest.WrongNonce, "nonce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, tsa, logs := openTSATest(t)
			key := testKey(t, "verbatim.archive/test")
			ids := recordN(t, db, 2)
			tsa.FailNext(tc.fault)
			cp, err := db.CreateCheckpoint(ctx, key)
			if err != nil {
				t.Fatalf("the TSA's failure failed the checkpoint: %v", err)
			}
			if cp.ID == 0 || cp.Size != 2 || cp.Timestamp != nil {
				t.Errorf("checkpoint %+v", cp)
			}
			if cp.TimestampErr == nil || !strings.Contains(cp.TimestampErr.Error(), tc.want) {
				t.Errorf("TimestampErr %v, want %q", cp.TimestampErr, tc.want)
			}
			if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "checkpoint kept without a timestamp") {
				t.Errorf("log: %s", l)
			}
			// Kept, without a timestamp; a receipt has none.
			latest, err := db.LatestCheckpoint(ctx)
			if err != nil || latest.ID != cp.ID || latest.Timestamp != nil {
				t.Fatalf("latest %+v %v", latest, err)
			}
			var n int
			if err := db.SQL().QueryRow(`SELECT count(*) FROM ledger_timestamps`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d timestamps kept, %v", n, err)
			}
			r, err := db.Receipt(ctx, ids[0], key)
			if err != nil || r.Timestamp != nil {
				t.Fatalf("receipt: %+v %v", r.Timestamp, err)
			}
			if _, err := r.Verify(key.Verifier()); err != nil {
				t.Errorf("receipt without a timestamp: %v", err)
			}
			// The retry.
			ts, err := db.Timestamp(ctx, cp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ledger.VerifyTimestamp(ts.Token, []byte(cp.Note), nil); err != nil {
				t.Errorf("retried token: %v", err)
			}
			if r, err := db.Receipt(ctx, ids[0], key); err != nil || r.Timestamp == nil {
				t.Errorf("receipt after the retry: %v", err)
			}
		})
	}
}

func TestLedgerTimestampRetriedByCreateCheckpoint(t *testing.T) {
	ctx := context.Background()
	db, tsa, _ := openTSATest(t)
	key := testKey(t, "verbatim.archive/test")
	recordN(t, db, 1)
	tsa.FailNext(tsatest.HTTP500)
	cp, err := db.CreateCheckpoint(ctx, key)
	if err != nil || cp.TimestampErr == nil {
		t.Fatalf("%+v %v", cp, err)
	}
	// Asked again for a checkpoint of the unchanged tree: the same one,
	// timestamped now.
	again, err := db.CreateCheckpoint(ctx, key)
	if err != nil || again.ID != cp.ID || again.Timestamp == nil {
		t.Errorf("again: %+v %v", again, err)
	}
}

func TestLedgerTimestampWithoutTSA(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	key := testKey(t, "verbatim.archive/test")
	recordN(t, db, 1)
	cp, err := db.CreateCheckpoint(ctx, key)
	if err != nil || cp.Timestamp != nil || cp.TimestampErr != nil {
		t.Fatalf("%+v %v", cp, err)
	}
	if _, err := db.Timestamp(ctx, cp.ID); !errors.Is(err, ledger.ErrNoTSA) {
		t.Errorf("no TSA: %v", err)
	}
	if _, err := db.Timestamp(ctx, 99); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("no checkpoint: %v", err)
	}
}
