package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Extensions of the files of a report, one per format.
const (
	ExtJSON     = ".json"
	ExtMarkdown = ".md"
	ExtHTML     = ".html"
)

// nameLayout is the UTC time a report is named by.
const nameLayout = "20060102T150405Z"

// nameRE matches a report's name: its time, and a number when several
// reports share a second.
var nameRE = regexp.MustCompile(`^(\d{8}T\d{6}Z)(?:-([1-9]\d{0,5}))?$`)

// ValidName reports whether name is a report's name (no extension).
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Dir is the directory reports are kept in (<data>/reports): for each,
// NAME.json (the source), NAME.md and NAME.html.
type Dir string

// Files are the paths of one report's files.
type Files struct {
	JSON, Markdown, HTML string
}

// Write names the report after its window's end (a free name), and writes
// its Markdown, its HTML and, last, its JSON, each to a temporary file
// renamed into place, so that a report's JSON never exists half-written
// and Latest never sees a report whose other files are missing.
func (d Dir) Write(r *Report, opt RenderOptions) (Files, error) {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return Files{}, fmt.Errorf("reports: %w", err)
	}
	base := r.To.UTC().Format(nameLayout)
	r.Name = base
	for i := 2; ; i++ {
		if _, err := os.Stat(d.path(r.Name, ExtJSON)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		r.Name = fmt.Sprintf("%s-%d", base, i)
	}
	f := Files{JSON: d.path(r.Name, ExtJSON), Markdown: d.path(r.Name, ExtMarkdown), HTML: d.path(r.Name, ExtHTML)}
	var html bytes.Buffer
	if err := r.HTML(&html, opt); err != nil {
		return f, fmt.Errorf("reports: %w", err)
	}
	if err := writeFile(f.Markdown, []byte(r.Markdown(opt))); err != nil {
		return f, err
	}
	if err := writeFile(f.HTML, html.Bytes()); err != nil {
		return f, err
	}
	return f, d.Update(r)
}

// Update rewrites a written report's JSON (after its delivery, say).
func (d Dir) Update(r *Report) error {
	if !ValidName(r.Name) {
		return fmt.Errorf("reports: %q is not a report name", r.Name)
	}
	b, err := r.JSON()
	if err != nil {
		return err
	}
	return writeFile(d.path(r.Name, ExtJSON), b)
}

// JSON returns the report as indented JSON, with HTML characters as they
// are (as the CLI writes JSON).
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("report json: %w", err)
	}
	return b.Bytes(), nil
}

// Names returns the names of the reports in the directory (those with a
// JSON file), newest first; none if the directory does not exist.
func (d Dir) Names() ([]string, error) {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ExtJSON)
		if ok && e.Type().IsRegular() && ValidName(name) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return -compareNames(a, b) })
	return names, nil
}

// compareNames orders names by time, then by their number.
func compareNames(a, b string) int {
	ma, mb := nameRE.FindStringSubmatch(a), nameRE.FindStringSubmatch(b)
	if c := strings.Compare(ma[1], mb[1]); c != 0 {
		return c
	}
	na, _ := strconv.Atoi(ma[2])
	nb, _ := strconv.Atoi(mb[2])
	return na - nb
}

// Read reads a report's JSON.
func (d Dir) Read(name string) (*Report, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("report %q: %w", name, fs.ErrNotExist)
	}
	b, err := os.ReadFile(d.path(name, ExtJSON))
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	if r.Name == "" {
		r.Name = name
	}
	return &r, nil
}

// Latest returns the newest report that can be read, nil if there is
// none; skipped says, one line each, which newer reports could not be
// read. The error is for a directory that cannot be listed.
func (d Dir) Latest() (r *Report, skipped []string, err error) {
	names, err := d.Names()
	if err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		r, err := d.Read(n)
		if err == nil {
			return r, skipped, nil
		}
		skipped = append(skipped, fmt.Sprintf("previous report %s could not be read: %v", n, err))
	}
	return nil, skipped, nil
}

// List returns up to n of the newest reports that can be read, newest
// first.
func (d Dir) List(n int) ([]*Report, error) {
	names, err := d.Names()
	if err != nil {
		return nil, err
	}
	var out []*Report
	for _, name := range names {
		if len(out) == n {
			break
		}
		if r, err := d.Read(name); err == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// Path returns the file of a report in one format (ExtJSON, ExtMarkdown,
// ExtHTML), or an error wrapping fs.ErrNotExist for a name that is not a
// report's or an unknown extension.
func (d Dir) Path(name, ext string) (string, error) {
	if !ValidName(name) || (ext != ExtJSON && ext != ExtMarkdown && ext != ExtHTML) {
		return "", fmt.Errorf("report %q%s: %w", name, ext, fs.ErrNotExist)
	}
	return d.path(name, ext), nil
}

func (d Dir) path(name, ext string) string { return filepath.Join(string(d), name+ext) }

// writeFile writes b to path through a synced temporary file in the same
// directory, mode 0644.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}
