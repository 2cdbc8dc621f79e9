// Package importer reads files of posts (X API v2 pages as JSON or JSONL,
// v1.1 statuses, X account-archive tweets.js) into the archive. Each file is
// first stored whole as a blob, then recorded as an import capture, then
// streamed from the blob store into the database in batches; every post
// version links to the capture and line it came from.
package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/archive/xapi"
	"github.com/verbatim-archive/verbatim/archive/xv1"
)

// Formats an import accepts.
const (
	FormatV2       = "x-v2"       // one X API v2 response page
	FormatV2JSONL  = "x-v2-jsonl" // one v2 page per line (twarc and similar)
	FormatV1       = "x-v1.1"     // a v1.1 status or an array of them
	FormatV1JSONL  = "x-v1.1-jsonl"
	FormatTweetsJS = "x-archive-tweets-js" // window.YTD.tweets.part0 = [...]
)

// Accepted is the human list of formats, for error messages.
const Accepted = "X API v2 JSON or JSONL pages, v1.1 JSON statuses (object, array or JSONL), or an X account-archive tweets.js"

// ErrUnknownFormat is returned for a file that is none of the accepted formats.
var ErrUnknownFormat = errors.New("unknown format")

// ErrBadInput marks errors about a file's content (as opposed to the
// machine's: disk, permissions), so callers can tell them apart.
var ErrBadInput = errors.New("bad input")

// inputError is an error about a file's content.
type inputError struct{ err error }

func (e *inputError) Error() string   { return e.err.Error() }
func (e *inputError) Unwrap() []error { return []error{e.err, ErrBadInput} }

func badInput(err error) error { return &inputError{err} }

// Importer imports files. Its fields are set by the caller.
type Importer struct {
	DB    *sqlite.DB
	Blobs *blob.Store
	Log   *slog.Logger
	// BatchSize is the number of posts written per transaction (default 5000).
	BatchSize int
	// Progress, when set, is called with bytes read so far and the total.
	Progress func(done, total int64)
	// MaxLine caps one JSONL line (default 64 MiB); longer lines are problems.
	MaxLine int
}

// Options tune one import.
type Options struct {
	// Account is the author of posts whose files do not name one (tweets.js).
	Account archive.Account
}

// Problem is one bad part of a file that was skipped; the rest imported.
type Problem struct {
	Line int    `json:"line"`
	Err  string `json:"error"`
}

// Result reports one file's import.
type Result struct {
	File      string            `json:"file"`
	Format    string            `json:"format"`
	SHA256    string            `json:"sha256"`
	Size      int64             `json:"size"`
	CaptureID int64             `json:"capture_id"`
	Skipped   bool              `json:"already_imported"`
	Stats     sqlite.WriteStats `json:"added"`
	Pages     int               `json:"pages"`
	Problems  []Problem         `json:"problems,omitempty"`
	APIErrors []string          `json:"api_errors,omitempty"`
}

// ImportFile imports one file. A file with bad lines imports the good ones
// and lists the bad ones in Result.Problems; an error means nothing more
// could be read (and what was written before it stays, complete per batch).
func (im *Importer) ImportFile(ctx context.Context, path string, opt Options) (Result, error) {
	res := Result{File: path}
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("import %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	if st.IsDir() {
		return res, fmt.Errorf("import %s: is a directory", path)
	}
	if st.Size() == 0 {
		return res, fmt.Errorf("import %s: %w", path, badInput(errors.New("file is empty")))
	}
	head := make([]byte, 256<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	head = head[:n]
	format, err := Detect(head, st.Size() <= int64(n))
	if err != nil {
		return res, fmt.Errorf("import %s: %w", path, badInput(err))
	}
	res.Format = format
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}

	// Evidence first: the file itself, by hash.
	ref, err := im.Blobs.Put(ctx, f)
	if err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	res.SHA256, res.Size = ref.SHA256, ref.Size
	prev, err := im.DB.FindImport(ctx, ref.SHA256)
	switch {
	case err == nil && prev.Complete:
		res.Skipped, res.CaptureID = true, prev.CaptureID
		return res, nil
	case err == nil:
		res.CaptureID = prev.CaptureID // resume an import cut short
	case errors.Is(err, archive.ErrNotFound):
		res.CaptureID, err = im.DB.RecordCapture(ctx, sqlite.CaptureInput{
			Kind: "import", Target: path, Format: format,
			Artifacts: []archive.Artifact{{Kind: "raw", MediaType: mediaType(format), Size: ref.Size, SHA256: ref.SHA256}},
		})
		if err != nil {
			return res, fmt.Errorf("import %s: %w", path, err)
		}
	default:
		return res, fmt.Errorf("import %s: %w", path, err)
	}

	// Read back what was stored, so the rows derive from the evidence.
	rc, err := im.Blobs.Open(ctx, ref.SHA256)
	if err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	defer rc.Close()
	r := io.Reader(rc)
	if im.Progress != nil {
		r = &progressReader{r: rc, total: ref.Size, fn: im.Progress}
	}
	if err := im.decode(ctx, r, format, opt, &res); err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	detail := map[string]any{"added": res.Stats, "pages": res.Pages, "problems": len(res.Problems)}
	if err := im.DB.CompleteCapture(ctx, res.CaptureID, detail); err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	return res, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func mediaType(format string) string {
	switch format {
	case FormatV2JSONL, FormatV1JSONL:
		return "application/x-ndjson"
	case FormatTweetsJS:
		return "text/javascript"
	}
	return "application/json"
}

// Detect names the format of a file from its first bytes; whole says head
// is the entire file.
func Detect(head []byte, whole bool) (string, error) {
	b := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) == 0 {
		return "", errors.New("file holds only white space")
	}
	if bytes.HasPrefix(b, []byte("window.YTD.")) {
		return FormatTweetsJS, nil
	}
	switch b[0] {
	case '[':
		// An array: v1.1 statuses, or an archive's elements without the prefix.
		var first json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(b))
		if _, err := dec.Token(); err == nil && dec.More() {
			if err := dec.Decode(&first); err == nil {
				if kind := classify(first); kind == "archive" {
					return FormatTweetsJS, nil
				}
			}
		}
		return FormatV1, nil
	case '{':
	default:
		return "", fmt.Errorf("%w: expected %s", ErrUnknownFormat, Accepted)
	}
	lines := bytes.SplitN(b, []byte("\n"), 3)
	jsonl := false
	if len(lines) >= 2 {
		l1 := bytes.TrimSpace(lines[0])
		l2 := bytes.TrimSpace(lines[1])
		if (json.Valid(l1) && len(l2) > 0) || (len(l2) > 0 && l2[0] == '{' && (json.Valid(l2) || len(lines) == 2 && !whole)) {
			jsonl = true
		}
	}
	var first []byte
	if jsonl {
		first = bytes.TrimSpace(lines[0])
		if !json.Valid(first) {
			first = bytes.TrimSpace(lines[1])
		}
	} else {
		first = b
	}
	kind := classify(first)
	if kind == "" && !jsonl && !whole {
		kind = sniffKeys(first)
	}
	if kind == "" && !json.Valid(first) {
		kind = sniffKeys(first)
	}
	switch {
	case kind == "v2" && jsonl:
		return FormatV2JSONL, nil
	case kind == "v2":
		return FormatV2, nil
	case kind == "v1" && jsonl:
		return FormatV1JSONL, nil
	case kind == "v1":
		return FormatV1, nil
	case kind == "archive":
		return FormatTweetsJS, nil
	}
	return "", fmt.Errorf("%w: expected %s", ErrUnknownFormat, Accepted)
}

// classify tells a v2 page, a v1.1 status and an archive element apart by
// their top-level keys.
func classify(raw []byte) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return ""
	}
	return classifyKeys(func(k string) bool { _, ok := m[k]; return ok })
}

func classifyKeys(has func(string) bool) string {
	switch {
	case has("tweet"):
		return "archive"
	case has("data") || has("includes") || has("meta") || (has("errors") && has("title")) || (has("title") && has("detail")):
		return "v2"
	case has("id_str") || has("full_text") || (has("text") && has("user")) || has("errors"):
		return "v1"
	}
	return ""
}

// sniffKeys classifies a value too large or too broken to parse, by the
// keys that appear in it.
func sniffKeys(b []byte) string {
	return classifyKeys(func(k string) bool { return bytes.Contains(b, []byte(`"`+k+`"`)) })
}

type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.last) > 100*time.Millisecond || err == io.EOF {
		p.last = now
		p.fn(p.done, p.total)
	}
	return n, err
}

// batch is a run of items for the writer.
type batch struct {
	items []sqlite.Item
}

// decode streams the file into batches on one goroutine while another
// writes them, so that parsing and SQLite overlap.
func (im *Importer) decode(ctx context.Context, r io.Reader, format string, opt Options, res *Result) error {
	size := im.BatchSize
	if size <= 0 {
		size = 5000
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 2)
	dec := &decoder{size: size, out: ch, ctx: ctx, opt: opt, res: res, capID: res.CaptureID, maxLine: im.MaxLine}
	decErr := make(chan error, 1)
	go func() {
		defer close(ch)
		decErr <- dec.run(r, format)
	}()
	w := im.DB.NewPostWriter()
	var werr error
	for b := range ch {
		if werr != nil {
			continue
		}
		st, err := w.Write(ctx, b.items)
		if err != nil {
			werr = err
			cancel()
			continue
		}
		res.Stats.Add(st)
	}
	derr := <-decErr
	if werr != nil {
		return werr
	}
	return derr
}

type decoder struct {
	ctx     context.Context
	size    int
	out     chan<- batch
	cur     []sqlite.Item
	opt     Options
	res     *Result
	capID   int64
	maxLine int
}

func (d *decoder) add(p archive.Post, page int) error {
	if p.Author.Handle == "" && p.Author.PlatformID == "" {
		p.Author = d.opt.Account
	}
	if d.cur == nil {
		d.cur = make([]sqlite.Item, 0, d.size)
	}
	d.cur = append(d.cur, sqlite.Item{Post: p, CaptureID: d.capID, Page: page})
	if len(d.cur) >= d.size {
		return d.flush()
	}
	return nil
}

func (d *decoder) flush() error {
	if len(d.cur) == 0 {
		return nil
	}
	select {
	case d.out <- batch{items: d.cur}:
		d.cur = nil
		return nil
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
}

func (d *decoder) problem(line int, err error) {
	d.res.Problems = append(d.res.Problems, Problem{Line: line, Err: err.Error()})
}

func (d *decoder) run(r io.Reader, format string) error {
	var err error
	switch format {
	case FormatV2JSONL, FormatV1JSONL:
		err = d.jsonl(r, format)
	case FormatV2, FormatV1:
		err = d.single(r, format)
	case FormatTweetsJS:
		err = d.tweetsJS(r)
	default:
		err = fmt.Errorf("%w %q", ErrUnknownFormat, format)
	}
	if err != nil {
		return err
	}
	return d.flush()
}

// page decodes one JSON value of the given format and adds its posts.
func (d *decoder) page(data []byte, format string, line int) error {
	d.res.Pages++
	switch format {
	case FormatV2, FormatV2JSONL:
		p, err := xapi.DecodePage(data)
		if err != nil {
			return err
		}
		authors := make(map[string]archive.Account, len(p.Users))
		for _, u := range p.Users {
			authors[u.PlatformID] = u
		}
		for _, e := range p.Errors {
			d.res.APIErrors = append(d.res.APIErrors, fmt.Sprintf("line %d: %s", line, e.Error()))
		}
		seen := make(map[string]bool, len(p.Posts))
		for _, post := range p.Posts {
			if seen[post.ID] {
				continue
			}
			seen[post.ID] = true
			if err := d.add(post, line); err != nil {
				return err
			}
		}
		// Other versions and referenced posts come along in includes
		// (which may repeat posts in data).
		for _, post := range p.Included {
			if seen[post.ID] {
				continue
			}
			seen[post.ID] = true
			if err := d.add(post, line); err != nil {
				return err
			}
		}
		return nil
	default:
		posts, err := xv1.DecodeStatuses(data)
		if err != nil {
			return err
		}
		for _, post := range posts {
			if err := d.add(post, line); err != nil {
				return err
			}
		}
		return nil
	}
}

func (d *decoder) jsonl(r io.Reader, format string) error {
	max := d.maxLine
	if max <= 0 {
		max = 64 << 20
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var buf []byte
	for line := 1; ; line++ {
		buf = buf[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if len(buf)+len(chunk) <= max {
				buf = append(buf, chunk...)
			} else {
				tooLong = true
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if d.ctx.Err() != nil {
			return d.ctx.Err()
		}
		text := bytes.TrimSpace(buf)
		switch {
		case tooLong:
			d.problem(line, fmt.Errorf("line is longer than %d bytes", max))
		case len(text) == 0:
		default:
			if perr := d.page(text, format, line); perr != nil {
				if errors.Is(perr, context.Canceled) {
					return perr
				}
				d.problem(line, lineErr(perr, errors.Is(err, io.EOF)))
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// lineErr explains a bad line; a last line cut off says so.
func lineErr(err error, last bool) error {
	var se *json.SyntaxError
	if last && (errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return fmt.Errorf("%w (the file looks truncated)", err)
	}
	return err
}

func (d *decoder) single(r io.Reader, format string) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := d.page(data, format, 1); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return badInput(atLine(data, err))
	}
	return nil
}

// atLine prefixes a JSON syntax error with the line it happened on.
func atLine(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && int(se.Offset) <= len(data) {
		line := 1 + bytes.Count(data[:se.Offset-1], []byte("\n"))
		if int(se.Offset) >= len(bytes.TrimRight(data, " \t\r\n")) {
			return fmt.Errorf("line %d: %w (the file looks truncated)", line, err)
		}
		return fmt.Errorf("line %d: %w", line, err)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Offset > 0 && int(ute.Offset) <= len(data) {
		line := 1 + bytes.Count(data[:ute.Offset-1], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (the file looks truncated)", err)
	}
	return err
}

func (d *decoder) tweetsJS(r io.Reader) error {
	i := 0
	err := xv1.ReadTweetsJSWith(r, xv1.ArchiveOptions{Account: d.opt.Account}, func(p archive.Post) error {
		i++
		return d.add(p, i)
	})
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || !isIOError(err) {
			return badInput(err)
		}
	}
	return err
}

// FindAccountJS looks for data/account.js beside a tweets.js and returns the
// account it names.
func FindAccountJS(tweetsJS string) (archive.Account, bool) {
	f, err := os.Open(filepath.Join(filepath.Dir(tweetsJS), "account.js"))
	if err != nil {
		return archive.Account{}, false
	}
	defer f.Close()
	a, err := xv1.ReadAccountJS(f)
	if err != nil {
		return archive.Account{}, false
	}
	return a, true
}

// isIOError reports errors that come from the machine rather than the file.
func isIOError(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe)
}
