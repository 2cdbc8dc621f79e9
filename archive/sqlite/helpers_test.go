package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
)

// openTest opens a fresh database in a temporary directory.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "verbatim.db"), Options{
		Now: func() time.Time { return time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var words = strings.Fields(`the president vice administration policy energy security partnership charter
	nuclear agreement armenia azerbaijan baku yerevan peace trade infrastructure corridor visit meeting
	remarks strategic signed bilateral today america american people jobs border economy great historic
	cooperation investment region stability future proud honored welcome thank press briefing statement
	announce new deal congress senate house vote budget tariff defense drones military sales framework`)

// genPosts makes n posts of plausible text from a few accounts, newest last.
func genPosts(n int, seed uint64) []archive.Post {
	r := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	handles := []archive.Account{
		{Platform: "x", PlatformID: "1542228578", Handle: "VP", Name: "Vice President JD Vance"},
		{Platform: "x", PlatformID: "1879644163769335808", Handle: "VPPressSec", Name: "Office of the VP Press Secretary"},
		{Platform: "x", PlatformID: "25073877", Handle: "realDonaldTrump", Name: "Donald J. Trump"},
		{Platform: "x", PlatformID: "822215679726100480", Handle: "POTUS", Name: "President Trump"},
	}
	out := make([]archive.Post, n)
	for i := range out {
		at := start.Add(time.Duration(i) * 17 * time.Second)
		id := fmt.Sprint(archive.SnowflakeAt(at) + int64(i%4096))
		nw := 12 + r.IntN(30)
		var b strings.Builder
		for j := 0; j < nw; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		out[i] = archive.Post{Platform: "x", ID: id, EditHistory: []string{id}, Author: handles[r.IntN(len(handles))],
			CreatedAt: at, Text: b.String(), Lang: "en"}
	}
	return out
}
