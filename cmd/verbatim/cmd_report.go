package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive/report"
	"github.com/verbatim-archive/verbatim/bot/slack"
)

// reportsDir is where integrity reports are kept, in the data directory.
const reportsDir = "reports"

func runReport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("report", "")
	since := fs.Duration("since", 0, "the `period` the report covers, ending now (default: report.since in the configuration, 24h)")
	format := formatFlag(fs, "md", "html", "json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("usage: verbatim report [--since 24h] [--format md|html|json]")
	}
	if *since < 0 {
		return usagef("report: --since must be a positive duration such as 24h")
	}
	if err := a.setup(); err != nil {
		return err
	}
	if *since == 0 {
		*since = a.cfg.Report.Since
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.blobs == nil {
		return fmt.Errorf("report: the archive in %s is read-only; a report signs a checkpoint, so run it on a writable archive", a.cfg.DataDir)
	}
	var runErr error
	r, err := recordJob(ctx, st, "report", func(ctx context.Context) (*report.Report, map[string]int, error) {
		r, _, err := a.integrityReport(ctx, st, *since)
		if runErr = err; err != nil {
			return nil, nil, err
		}
		if !r.OK {
			err = errors.New(strings.Join(r.Problems, "; "))
		}
		return r, reportCounts(r), err
	})
	if runErr != nil {
		return runErr // the report could not be made
	}
	if err != nil && r.OK {
		return err // the run could not be recorded
	}
	ropt := report.RenderOptions{BaseURL: a.cfg.Server.PublicURL}
	switch *format {
	case "json":
		b, err := r.JSON()
		if err != nil {
			return err
		}
		if _, err := a.stdout.Write(b); err != nil {
			return err
		}
	case "html":
		if err := r.HTML(a.stdout, ropt); err != nil {
			return err
		}
	default:
		if _, err := fmt.Fprint(a.stdout, r.Markdown(ropt)); err != nil {
			return err
		}
	}
	if !r.OK {
		return &findingsError{"report: " + strings.Join(r.Problems, "; ")}
	}
	return nil
}

// integrityReport makes the report of the period ending now: it audits the
// archive, signs a checkpoint and proves it consistent with the previous
// report's, writes the report to the data directory's reports/ (JSON,
// Markdown, HTML) and, when slack.report_channel is set, posts it there.
// A failed delivery is logged and recorded in the report's JSON; it never
// loses the report. Problems the report found are in it (OK, Problems);
// the error is for a report that could not be made or written.
func (a *app) integrityReport(ctx context.Context, st *store, since time.Duration) (*report.Report, report.Files, error) {
	key, err := a.ledgerKey()
	if err != nil {
		return nil, report.Files{}, err
	}
	dir := report.Dir(filepath.Join(a.cfg.DataDir, reportsDir))
	prev, skipped, err := dir.Latest()
	if err != nil {
		return nil, report.Files{}, err
	}
	now := time.Now()
	r, err := report.Build(ctx, st.db, report.Options{From: now.Add(-since), To: now, Key: key, Blobs: st.blobs,
		Previous: prev, Problems: skipped, PostURL: a.cfg.X.PostURL, Log: a.log})
	if err != nil {
		return nil, report.Files{}, err
	}
	ropt := report.RenderOptions{BaseURL: a.cfg.Server.PublicURL}
	files, err := dir.Write(r, ropt)
	if err != nil {
		return r, files, err
	}
	a.log.Info("integrity report written", "file", files.HTML, "ok", r.OK, "captures", r.Summary.Captures,
		"audit_findings", r.Summary.AuditFindings, "checkpoint", r.Checkpoint.Size)
	if ch := a.cfg.Slack.ReportChannel; ch != "" {
		d := report.Delivery{To: "slack:" + ch}
		if tok := a.cfg.Slack.BotToken; tok == "" {
			d.Error = "no Slack bot token: set VERBATIM_SLACK_BOT_TOKEN"
		} else {
			p := slack.NewPoster(tok, a.cfg.Slack.APIURL, nil)
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			d.Ref, err = p.PostReport(sctx, ch, r, ropt)
			cancel()
			if err != nil {
				d.Error = err.Error()
			}
		}
		d.At, d.OK = time.Now().UTC(), d.Error == ""
		if !d.OK {
			a.log.Warn("integrity report not delivered", "to", d.To, "err", d.Error, "file", files.JSON)
		}
		r.Delivery = append(r.Delivery, d)
		if err := dir.Update(r); err != nil {
			return r, files, err
		}
	}
	return r, files, nil
}

// reportCounts are a report's figures for its job run.
func reportCounts(r *report.Report) map[string]int {
	ok := 0
	if r.OK {
		ok = 1
	}
	delivered := 0
	for _, d := range r.Delivery {
		if d.OK {
			delivered++
		}
	}
	return map[string]int{"ok": ok, "captures": r.Summary.Captures, "edits": r.Summary.Edits, "deletions": r.Summary.Deletions,
		"failed_captures": r.Summary.FailedCaptures + r.Summary.DegradedCapture, "misquotes": r.Summary.Misquotes,
		"audit_findings": r.Summary.AuditFindings, "checkpoint_size": int(r.Checkpoint.Size), "delivered": delivered}
}
