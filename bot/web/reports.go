package web

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/verbatim-archive/verbatim/archive/report"
)

// feedReports is how many reports the Atom feed lists.
const feedReports = 30

// reportsAtom serves the Atom feed of the integrity reports, newest first.
func (s *server) reportsAtom(w http.ResponseWriter, r *http.Request) error {
	var list []*report.Report
	if s.opts.Reports != "" {
		var err error
		if list, err = report.Dir(s.opts.Reports).List(feedReports); err != nil {
			return err
		}
	}
	origin := ""
	if s.opts.Ledger != nil {
		origin = s.opts.Ledger.Name()
	} else if len(list) > 0 {
		origin = list[0].Origin
	}
	feed, err := report.Atom(list, s.baseURL(r), origin, s.opts.Now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, err = w.Write([]byte(feed))
	return err
}

// reportTypes are the media types of a report's files.
var reportTypes = map[string]string{
	report.ExtHTML:     "text/html; charset=utf-8",
	report.ExtJSON:     "application/json; charset=utf-8",
	report.ExtMarkdown: "text/markdown; charset=utf-8",
}

// reportFile serves one file of a report (NAME.html, NAME.json, NAME.md)
// from the reports directory, the HTML under a policy that allows its own
// style and nothing else.
func (s *server) reportFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	ext := path.Ext(name)
	if s.opts.Reports == "" {
		return errorf(http.StatusNotFound, "no report %s: this server keeps no reports", name)
	}
	p, err := report.Dir(s.opts.Reports).Path(strings.TrimSuffix(name, ext), ext)
	if err != nil {
		return errorf(http.StatusNotFound, "no report %s", name)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return errorf(http.StatusNotFound, "no report %s", name)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", reportTypes[ext])
	h.Set("Cache-Control", "no-cache")
	if ext == report.ExtHTML {
		h.Set("Content-Security-Policy", report.CSP)
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
	return nil
}

// baseURL is the archive's public URL: the configured one, else the one
// this request came to.
func (s *server) baseURL(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
