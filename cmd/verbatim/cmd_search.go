package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot"
)

func runSearch(ctx context.Context, a *app, args []string) error {
	fs := a.flags("search", "QUERY")
	format := formatFlag(fs, "text", "json")
	account := fs.String("account", "", "only posts by this account (handle, with or without @, any case)")
	since := fs.String("since", "", "only posts made at or after this date or time (2026-02-10 or RFC 3339)")
	until := fs.String("until", "", "only posts made before this date or time (a date means the end of that day)")
	deleted := fs.Bool("deleted", false, "only posts deleted at source")
	edited := fs.Bool("edited", false, "only posts that were edited")
	media := fs.Bool("media", false, "only posts with media")
	limit := fs.Int("limit", 20, "at most this many results (1–1000)")
	offset := fs.Int("offset", 0, "skip this many results")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return usagef("search: --limit must be between 1 and 1000")
	}
	q := sqlite.SearchQuery{Text: strings.Join(pos, " "), Account: *account, Deleted: *deleted, Edited: *edited,
		HasMedia: *media, Limit: *limit, Offset: *offset}
	if q.Since, err = bot.ParseWhen(*since, false); err != nil {
		return usagef("search: --since: %v", err)
	}
	if q.Until, err = bot.ParseWhen(*until, true); err != nil {
		return usagef("search: --until: %v", err)
	}
	if q.Text == "" && q.Account == "" && !q.Deleted && !q.Edited && !q.HasMedia && q.Since.IsZero() && q.Until.IsZero() {
		return usagef("search: give a query or a filter (run 'verbatim search -h')")
	}
	if err := a.setup(); err != nil {
		return err
	}
	q.PostURL = a.cfg.X.PostURL
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.db.Search(ctx, q)
	if err != nil {
		if errors.Is(err, sqlite.ErrQuery) {
			return usagef("%v", err)
		}
		return err
	}
	if *format == "json" {
		for i := range res.Results {
			res.Results[i].Snippet = ""
		}
		return writeJSON(a.stdout, res)
	}
	printSearch(a.stdout, res, q, isTerminal(a.stdout))
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printSearch(w io.Writer, res sqlite.SearchResult, q sqlite.SearchQuery, color bool) {
	for _, r := range res.Results {
		status := ""
		if r.Status != archive.StatusLive {
			status = "  [" + r.Status + "]"
		}
		fmt.Fprintf(w, "%s  @%s  %s%s\n", r.CreatedAt.Format("2006-01-02 15:04 MST"), r.Handle, r.ID, status)
		text := r.Snippet
		if text == "" {
			text = r.Text
		}
		on, off := "[", "]"
		if color {
			on, off = "\x1b[1m", "\x1b[0m"
		}
		text = strings.NewReplacer("\x02", on, "\x03", off, "\n", " ").Replace(text)
		fmt.Fprintf(w, "    %s\n    %s\n\n", text, r.URL)
	}
	switch {
	case res.Total == 0:
		fmt.Fprintln(w, "no posts found")
	case res.TotalCapped:
		fmt.Fprintf(w, "%d–%d of more than %d posts (narrow the query, or use --offset for more)\n", q.Offset+1, q.Offset+len(res.Results), res.Total)
	case len(res.Results) < res.Total:
		fmt.Fprintf(w, "%d–%d of %d posts (use --offset for more)\n", q.Offset+1, q.Offset+len(res.Results), res.Total)
	case res.Total == 1:
		fmt.Fprintln(w, "1 post")
	default:
		fmt.Fprintf(w, "%d posts\n", res.Total)
	}
}
