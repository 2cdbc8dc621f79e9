package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/netguard"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/verify/match"
)

// Reply is a command's answer in a form every chat transport can render:
// a title, a few lines of text, label–value fields, sections (one per
// result), a permalink and a screenshot.
type Reply struct {
	Title    string    `json:"title"`
	Text     string    `json:"text,omitempty"`
	Fields   []Field   `json:"fields,omitempty"`
	Sections []Section `json:"sections,omitempty"`
	// Permalink is the web UI's page for the answer, relative to the
	// server's public base URL ("/posts/2021…"), or "".
	Permalink string `json:"permalink,omitempty"`
	// Screenshot is the sha256 of a screenshot blob to show, or "".
	Screenshot string `json:"screenshot,omitempty"`
}

// Field is a label and its value.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Section is one result in a reply: a post found, an embed checked.
type Section struct {
	Text      string `json:"text"`
	Permalink string `json:"permalink,omitempty"`
}

// Help is the help text of the chat commands.
const Help = "search QUERY [--account @handle] [--deleted] [--edited] · show ID · verify URL · capture URL|@handle · status · help"

// Handle runs one chat command line: "search charter --account @VP",
// "show 2021…", "verify https://…", "capture @VP", "status", "help". A
// mistake in the command is returned as a Reply that says so, not as an
// error; errors are failures of the server.
func (r *Router) Handle(ctx context.Context, line string) (Reply, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return Reply{Title: "Verbatim", Text: Help}, nil
	}
	cmd, args := strings.ToLower(fields[0]), fields[1:]
	switch cmd {
	case "help":
		return Reply{Title: "Verbatim commands", Text: Help}, nil
	case "search":
		return r.chatSearch(ctx, args)
	case "show":
		if len(args) != 1 {
			return Reply{Title: "show", Text: "Give one post id or URL: show 2021150315377594369"}, nil
		}
		return r.chatShow(ctx, args[0])
	case "verify", "check":
		if len(args) != 1 {
			return Reply{Title: "verify", Text: "Give one article URL: verify https://example.com/article"}, nil
		}
		return r.chatVerify(ctx, args[0])
	case "capture":
		if len(args) != 1 {
			return Reply{Title: "capture", Text: "Give one URL or @handle: capture @VP"}, nil
		}
		return r.chatCapture(ctx, args[0])
	case "status":
		return r.chatStatus(ctx)
	}
	return Reply{Title: "Unknown command " + fmt.Sprintf("%q", cmd), Text: Help}, nil
}

// refusal turns the errors a user can fix into a Reply.
func refusal(title string, err error) (Reply, error) {
	switch {
	case errors.Is(err, netguard.ErrPrivateAddress), errors.Is(err, netguard.ErrBadURL):
		return Reply{Title: title, Text: "Refused: " + err.Error()}, nil
	case errors.As(err, new(*net.DNSError)):
		return Reply{Title: title, Text: "Cannot fetch: " + err.Error()}, nil
	case errors.Is(err, sqlite.ErrQuery):
		return Reply{Title: title, Text: err.Error()}, nil
	case errors.Is(err, archive.ErrNotFound):
		return Reply{Title: title, Text: "Not in the archive."}, nil
	case errors.Is(err, ErrNotAvailable):
		return Reply{Title: title, Text: err.Error()}, nil
	}
	return Reply{}, err
}

func (r *Router) chatSearch(ctx context.Context, args []string) (Reply, error) {
	var q sqlite.SearchQuery
	var words []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--account" && i+1 < len(args):
			q.Account = args[i+1]
			i++
		case a == "--deleted":
			q.Deleted = true
		case a == "--edited":
			q.Edited = true
		case a == "--media":
			q.HasMedia = true
		default:
			words = append(words, a)
		}
	}
	q.Text = strings.Join(words, " ")
	q.Limit = 5
	if q.Text == "" && q.Account == "" && !q.Deleted && !q.Edited && !q.HasMedia {
		return Reply{Title: "search", Text: "Give a query: search charter --account @VP"}, nil
	}
	res, err := r.Search(ctx, q)
	if err != nil {
		return refusal("search", err)
	}
	more := ""
	if res.TotalCapped {
		more = "+"
	}
	rep := Reply{Title: fmt.Sprintf("%d%s posts for %q", res.Total, more, strings.Join(args, " ")),
		Permalink: "/search?" + SearchParams(q).Encode()}
	for _, p := range res.Results {
		rep.Sections = append(rep.Sections, Section{
			Text:      fmt.Sprintf("@%s · %s · %s\n%s", p.Handle, p.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), p.Status, p.Text),
			Permalink: "/posts/" + p.ID,
		})
	}
	return rep, nil
}

func (r *Router) chatShow(ctx context.Context, id string) (Reply, error) {
	d, err := r.Show(ctx, id)
	if err != nil {
		return refusal("show "+id, err)
	}
	rep := Reply{Title: fmt.Sprintf("@%s · %s", d.Handle, d.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")), Text: d.Text,
		Permalink: "/posts/" + d.ID}
	status := d.Status
	if d.StatusAt != nil && d.Status != archive.StatusLive {
		status += " (noticed " + d.StatusAt.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	rep.Fields = []Field{{"Status", status}, {"Versions", fmt.Sprint(len(d.Versions))}, {"Captures", fmt.Sprint(len(d.Captures))},
		{"On X", d.URL}}
	if n := len(d.Versions); n > 1 {
		rep.Fields = append(rep.Fields, Field{"Last edit", d.Versions[n-1].Diff})
	}
	rep.Screenshot = latestScreenshot(d)
	return rep, nil
}

// latestScreenshot returns the sha256 of the newest good screenshot of the
// post, or "".
func latestScreenshot(d archive.PostDetail) string {
	for i := len(d.Captures) - 1; i >= 0; i-- {
		c := d.Captures[i]
		if c.Verdict != snapshotOK {
			continue
		}
		for _, a := range c.Artifacts {
			if a.Kind == "screenshot" {
				return a.SHA256
			}
		}
	}
	return ""
}

// snapshotOK is the verdict of a good snapshot.
const snapshotOK = "ok"

func (r *Router) chatVerify(ctx context.Context, url string) (Reply, error) {
	rep, err := r.CheckURL(ctx, strings.Trim(url, "<>"))
	if err != nil {
		return refusal("verify "+url, err)
	}
	out := Reply{Title: firstNonEmpty(rep.Title, rep.URL), Permalink: fmt.Sprintf("/articles/%d", rep.ArticleID),
		Text: fmt.Sprintf("%d embedded or quoted posts, %d misquoted", len(rep.Embeds), rep.Misquotes)}
	for _, e := range rep.Embeds {
		text := fmt.Sprintf("%s · %s @%s", e.Verdict, e.Kind, e.Handle)
		if e.Diff != "" && match.IsMisquote(e.Verdict) {
			text += "\n" + e.Diff
		}
		text += "\n" + e.Reason
		s := Section{Text: text}
		if e.Archived != nil {
			s.Permalink = "/posts/" + e.Archived.ID
		}
		out.Sections = append(out.Sections, s)
	}
	return out, nil
}

func (r *Router) chatCapture(ctx context.Context, target string) (Reply, error) {
	target = strings.Trim(target, "<>")
	res, err := r.Capture(ctx, target)
	if err != nil {
		return refusal("capture "+target, err)
	}
	if res.Pass != nil {
		rep := Reply{Title: "Captured " + target}
		for _, a := range res.Pass.Accounts {
			v := fmt.Sprintf("%d new posts, %d new versions", a.Posts, a.Versions)
			if a.Status != "ok" {
				v = a.Status + ": " + a.Error
			}
			rep.Fields = append(rep.Fields, Field{"@" + a.Handle, v})
		}
		return rep, nil
	}
	s := res.Snapshot
	rep := Reply{Title: "Snapshot of " + target, Fields: []Field{{"Verdict", s.Verdict}, {"Final URL", s.FinalURL}},
		Permalink: fmt.Sprintf("/captures/%d", s.ID)}
	for _, a := range s.Artifacts {
		if a.Kind == "screenshot" {
			rep.Screenshot = a.SHA256
		}
	}
	return rep, nil
}

func (r *Router) chatStatus(ctx context.Context) (Reply, error) {
	s, err := r.Status(ctx)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Title: "Archive status", Permalink: "/status", Fields: []Field{
		{"Posts", fmt.Sprint(s.Archive.Posts)}, {"Deleted", fmt.Sprint(s.Archive.Deleted)},
		{"Captures", fmt.Sprint(s.Archive.Captures)}, {"Failed runs (last 20)", fmt.Sprint(len(s.Failed))},
	}}
	if cp := s.Checkpoint; cp != nil {
		rep.Fields = append(rep.Fields, Field{"Latest checkpoint", fmt.Sprintf("%d captures, root %x…, %s", cp.Size, cp.Root[:min(len(cp.Root), 6)],
			cp.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))})
	}
	for _, run := range s.Runs[:min(len(s.Runs), 3)] {
		v := "ok"
		if run.Error != "" {
			v = "failed: " + run.Error
		}
		rep.Sections = append(rep.Sections, Section{Text: fmt.Sprintf("%s at %s: %s", run.Job, run.Started.UTC().Format("2006-01-02 15:04 UTC"), v)})
	}
	return rep, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
