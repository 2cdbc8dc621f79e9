package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/bot"
)

func runShow(ctx context.Context, a *app, args []string) error {
	fs := a.flags("show", "ID")
	format := formatFlag(fs, "text", "json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("show: give one post id (any version's id, or its URL)")
	}
	id := postIDFromArg(pos[0])
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.db.Post(ctx, id, a.cfg.X.PostURL)
	if errors.Is(err, archive.ErrNotFound) {
		return fmt.Errorf("post %s is not in the archive", id)
	}
	if err != nil {
		return err
	}
	bot.AddDiffs(&d)
	if *format == "json" {
		return writeJSON(a.stdout, map[string]any{"post": d})
	}
	printPost(a.stdout, d)
	return nil
}

// postIDFromArg accepts an id or a status URL (…/status/ID?…).
func postIDFromArg(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "/status/"); i >= 0 {
		s = s[i+len("/status/"):]
	} else if i := strings.Index(s, "/statuses/"); i >= 0 {
		s = s[i+len("/statuses/"):]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

const timeLayout = "2006-01-02 15:04:05 MST"

func printPost(w io.Writer, d archive.PostDetail) {
	author := "@" + d.Handle
	if d.Handle == "" {
		author = "author id " + d.AuthorID
	}
	if d.AuthorName != "" {
		author += " (" + d.AuthorName + ")"
	}
	fmt.Fprintf(w, "Post %s by %s\n", d.ID, author)
	fmt.Fprintf(w, "Posted   %s\n", d.CreatedAt.Format(timeLayout))
	status := d.Status
	if d.StatusAt != nil {
		status += ", noticed " + d.StatusAt.Format(timeLayout)
	}
	fmt.Fprintf(w, "Status   %s\n", status)
	fmt.Fprintf(w, "URL      %s\n", d.URL)
	fmt.Fprintf(w, "Archived first %s, last %s\n\n", d.FirstSeen.Format(timeLayout), d.LastSeen.Format(timeLayout))
	fmt.Fprintf(w, "%s\n\n", indent(d.Text, "    "))
	if len(d.EditHistory) > 1 {
		fmt.Fprintf(w, "Edit history: %s\n", strings.Join(d.EditHistory, " → "))
	}
	fmt.Fprintf(w, "Versions (%d):\n", len(d.Versions))
	for _, v := range d.Versions {
		src := ""
		if v.CaptureID != 0 {
			src = fmt.Sprintf(", from capture %d", v.CaptureID)
			if v.Page > 0 {
				src += " line " + strconv.Itoa(v.Page)
			}
		}
		fmt.Fprintf(w, "  v%d  %s  posted %s, archived %s%s\n", v.Seq+1, v.ID, v.CreatedAt.Format(timeLayout), v.FirstSeen.Format(timeLayout), src)
		if len(d.Versions) > 1 {
			fmt.Fprintf(w, "%s\n", indent(v.Text, "      "))
		}
		if v.Diff != "" {
			fmt.Fprintf(w, "      changes from v%d: %s\n", v.Seq, strings.ReplaceAll(v.Diff, "\n", " "))
		}
		for _, m := range v.Media {
			fmt.Fprintf(w, "      media %s %s %s\n", m.Type, m.DisplayURL, m.URL)
		}
	}
	fmt.Fprintf(w, "\nCaptures (%d):\n", len(d.Captures))
	for _, c := range d.Captures {
		fmt.Fprintf(w, "  #%d  %s  %s  %s  %s\n", c.ID, c.Kind, c.At.Format(timeLayout), c.Verdict, c.Target)
		for _, art := range c.Artifacts {
			fmt.Fprintf(w, "      %-10s %-22s %9d bytes  sha256:%s\n", art.Kind, art.MediaType, art.Size, art.SHA256)
		}
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func runStats(ctx context.Context, a *app, args []string) error {
	fs := a.flags("stats", "")
	format := formatFlag(fs, "text", "json")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.db.Stats(ctx)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(a.stdout, s)
	}
	fmt.Fprintf(a.stdout, "accounts %d\nposts %d\nversions %d\ndeleted %d\ncaptures %d\nartifacts %d\n",
		s.Accounts, s.Posts, s.Versions, s.Deleted, s.Captures, s.Artifacts)
	return nil
}
