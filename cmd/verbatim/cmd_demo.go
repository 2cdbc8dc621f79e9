package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
)

//go:embed demodata
var demoData embed.FS

// demoDir is where the demo keeps its archive unless --data is given, so
// that sample posts never mix with a real archive.
const demoDir = "./verbatim-demo"

func runDemo(ctx context.Context, a *app, args []string) error {
	fs := a.flags("demo", "")
	noServe := fs.Bool("no-serve", false, "stop after the report instead of serving the UI")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	_ = noServe // the UI arrives with the web front door
	if a.dataFlag == "" {
		a.dataFlag = demoDir
	}
	if err := a.setup(); err != nil {
		return err
	}
	out := a.stdout
	fmt.Fprintf(out, "Verbatim demo: official posts of 2026-02-10 from @VP and @VPPressSec (built-in sample data)\n")
	fmt.Fprintf(out, "Archive: %s\n\n", a.cfg.DataDir)

	// 1. Import the sample timelines, as recorded from the X API v2.
	samples := filepath.Join(a.cfg.DataDir, "samples")
	if err := os.MkdirAll(samples, 0o755); err != nil {
		return err
	}
	entries, err := demoData.ReadDir("demodata")
	if err != nil {
		return err
	}
	var files []string
	for _, e := range entries {
		b, err := demoData.ReadFile("demodata/" + e.Name())
		if err != nil {
			return err
		}
		p := filepath.Join(samples, e.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		files = append(files, p)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(out, "== verbatim import %s\n", filepath.Join(samples, "*"))
	if _, err := importFiles(ctx, a, st, files, "", true); err != nil {
		return err
	}

	// 2. Search, as a fact-checker would.
	fmt.Fprintf(out, "\n== verbatim search 'charter strategic' --account vp\n")
	res, err := st.db.Search(ctx, sqlite.SearchQuery{Text: "charter strategic", Account: "vp", PostURL: a.cfg.X.PostURL})
	if err != nil {
		return err
	}
	printSearch(out, res, sqlite.SearchQuery{}, isTerminal(out))

	// 3. Show an edited post with its versions and hashes.
	fmt.Fprintf(out, "\n== verbatim search --edited\n")
	edited, err := st.db.Search(ctx, sqlite.SearchQuery{Edited: true, PostURL: a.cfg.X.PostURL})
	if err != nil {
		return err
	}
	printSearch(out, edited, sqlite.SearchQuery{}, isTerminal(out))
	if len(edited.Results) > 0 {
		id := edited.Results[0].ID
		fmt.Fprintf(out, "\n== verbatim show %s\n", id)
		d, err := st.db.Post(ctx, id, a.cfg.X.PostURL)
		if err != nil {
			return err
		}
		printPost(out, d)
	}
	fmt.Fprintf(out, "\nTry it yourself:\n  verbatim --data %s search 'peace OR prosperity'\n  verbatim --data %s search --account VPPressSec --format json charter\n",
		a.cfg.DataDir, a.cfg.DataDir)
	return nil
}
