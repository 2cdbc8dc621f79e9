package web

import (
	"encoding/csv"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/bot"
)

// apiSearch answers with the JSON of `verbatim search --format json`, or
// with format=csv or format=jsonl the results as a download (the columns
// and lines of `verbatim export`).
func (s *server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := bot.ParseSearchParams(v)
	if err != nil {
		return err
	}
	format := v.Get("format")
	switch format {
	case "", "json", "csv", "jsonl":
	default:
		return errorf(http.StatusBadRequest, "format %q: choose json, csv or jsonl", format)
	}
	res, err := s.r.Search(r.Context(), q)
	if err != nil {
		return err
	}
	for i := range res.Results {
		res.Results[i].Snippet = ""
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", attachment("verbatim-search.csv"))
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "platform", "handle", "created_at", "status", "url", "text"})
		for _, p := range res.Results {
			cw.Write([]string{p.ID, p.Platform, p.Handle, p.CreatedAt.Format(time.RFC3339), p.Status, p.URL, p.Text})
		}
		cw.Flush()
		return nil
	case "jsonl":
		w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
		w.Header().Set("Content-Disposition", attachment("verbatim-search.jsonl"))
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, p := range res.Results {
			if err := enc.Encode(p); err != nil {
				return nil // the client went away mid-download
			}
		}
		return nil
	}
	return writeJSON(w, http.StatusOK, res)
}

// attachment is a Content-Disposition header for a download.
func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// apiPost answers with the JSON of `verbatim show --format json`.
func (s *server) apiPost(w http.ResponseWriter, r *http.Request) error {
	d, err := s.r.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"post": d})
}

func (s *server) apiCapture(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadCapture(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"capture": c})
}

func (s *server) apiAccount(w http.ResponseWriter, r *http.Request) error {
	o, err := s.accountOverview(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"account": o})
}

// apiArticle answers with a recorded check's report, as POST
// /api/v1/check returned it.
func (s *server) apiArticle(w http.ResponseWriter, r *http.Request) error {
	_, rep, err := s.loadArticle(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// apiCheck checks an article and answers with its report (the JSON of
// `verbatim check-article --format json`).
func (s *server) apiCheck(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.runCheck(w, r, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// apiCaptureNow snapshots a URL or captures an @handle's new posts now:
// {"target": "https://…"} or {"target": "@VP"}, or a form field target.
func (s *server) apiCaptureNow(w http.ResponseWriter, r *http.Request) error {
	if !s.authorized(r, "") {
		return errUnauthorized
	}
	if err := s.limitBody(w, r); err != nil {
		return err
	}
	var target string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var in struct {
			Target string `json:"target"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return bodyErr(err)
		}
		target = in.Target
	} else {
		if err := r.ParseForm(); err != nil {
			return bodyErr(err)
		}
		target = r.FormValue("target")
	}
	target = strings.TrimSpace(target)
	if target == "" {
		return errorf(http.StatusBadRequest, `give a target: {"target": "https://…"} or {"target": "@handle"}`)
	}
	res, err := s.r.Capture(r.Context(), target)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// apiStatus answers with the archive's counts, the last job runs, the
// failed ones among them and when each job runs next.
func (s *server) apiStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.r.Status(r.Context())
	if err != nil {
		return err
	}
	if st.Runs == nil {
		st.Runs = []sqlite.JobRun{}
	}
	return writeJSON(w, http.StatusOK, st)
}
