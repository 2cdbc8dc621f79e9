package sqlite

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// TestSettleInterrupted ends the runs of processes that are gone and only
// those: a killed process's runs stay open for ever otherwise.
func TestSettleInterrupted(t *testing.T) {
	db := openTest(t) // its clock: 2026-02-11T12:00:00Z
	host, _ := os.Hostname()

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer live.Process.Kill()
	liveStart := processStart(live.Process.Pid)
	if liveStart == "" {
		t.Skip("no /proc here")
	}
	recent, old := "2026-02-11T11:00:00.000Z", "2026-02-09T11:00:00.000Z"
	runs := []struct {
		name, owner, started string
		gone                 bool
	}{
		{"ended process", fmt.Sprintf("%s/%d/1", host, dead.Process.Pid), recent, true},
		{"live process", fmt.Sprintf("%s/%d/%s", host, live.Process.Pid, liveStart), recent, false},
		{"pid now another process's", fmt.Sprintf("%s/%d/1", host, live.Process.Pid), recent, true},
		{"this process", processOwner, recent, false},
		{"another host, recent", fmt.Sprintf("elsewhere/%d/1", dead.Process.Pid), recent, false},
		{"another host, a day old", fmt.Sprintf("elsewhere/%d/1", dead.Process.Pid), old, true},
		{"before owners, recent", "", recent, false},
		{"before owners, a day old", "", old, true},
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		res, err := db.SQL().Exec(`INSERT INTO job_runs(job, started_at, owner) VALUES (?, ?, ?)`, r.name, r.started, r.owner)
		if err != nil {
			t.Fatal(err)
		}
		ids[i], _ = res.LastInsertId()
	}
	// Starting a job settles the others.
	id, err := db.StartJob(ctx, "capture")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range runs {
		var ended *string
		var msg string
		if err := db.SQL().QueryRow(`SELECT ended_at, error FROM job_runs WHERE id = ?`, ids[i]).Scan(&ended, &msg); err != nil {
			t.Fatal(err)
		}
		if got := ended != nil; got != r.gone || (r.gone && msg != InterruptedRun) {
			t.Errorf("%s: ended %v (%q), want ended %v", r.name, got, msg, r.gone)
		}
	}
	// The new run is this process's and stays open until it ends.
	if n, err := db.SettleInterrupted(ctx); err != nil || n != 0 {
		t.Errorf("settling again ended %d runs (%v), want 0", n, err)
	}
	if err := db.EndJob(ctx, id, map[string]int{"posts": 1}, nil); err != nil {
		t.Fatal(err)
	}
	runsNow, err := db.JobRuns(ctx, "capture", 1)
	if err != nil || len(runsNow) != 1 || runsNow[0].Ended == nil || runsNow[0].Error != "" {
		t.Errorf("the new run: %+v %v", runsNow, err)
	}
}
