package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/verbatim-archive/verbatim/archive/blob"
	"github.com/verbatim-archive/verbatim/archive/sqlite"
	"github.com/verbatim-archive/verbatim/config"
)

// Exit codes, as in the CLI contract.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// app is what every subcommand gets: the environment, the streams and, once
// the global flags are read, the configuration.
type app struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	dataFlag   string
	configFlag string
	logFormat  string
	cfg        config.Config
	log        *slog.Logger
	// cacheKiB is the SQLite page cache of each connection the store
	// opens (0: the default); serve keeps it small.
	cacheKiB int
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "run the pipeline on built-in sample data", runDemo},
		{"serve", "run the scheduled jobs (capture, recheck, media) and the HTTP front door", runServe},
		{"capture", "capture new posts of watched accounts (or the given @handles) now", runCapture},
		{"recheck", "recheck archived posts for edits and deletions now", runRecheck},
		{"import", "import X API v2/v1.1 JSON(L) or an X archive tweets.js", runImport},
		{"search", "full-text search of archived posts", runSearch},
		{"show", "a post with its versions, captures, artifacts and hashes", runShow},
		{"stats", "what the archive holds", runStats},
		{"export", "export posts (jsonl, csv) or snapshots (warc)", runExport},
		{"extract", "the main text of an article page (file or URL)", runExtract},
		{"check-article", "check the posts an article embeds or quotes against the archive", runCheckArticle},
		{"compare", "compare a republished article with its original, and check its embeds", runCompare},
		{"proof", "an offline-verifiable receipt for a capture (or --since SIZE: a consistency proof)", runProof},
		{"verify-receipt", "check a receipt offline with the archive's public key", runVerifyReceipt},
		{"audit", "re-hash every blob, rebuild the Merkle log, check every signed checkpoint", runAudit},
		{"gc", "remove orphan blobs (stored but never recorded) older than --grace (default 1h)", runGC},
		{"backup", "a consistent, checked copy of the archive in DIR: database, blobs, public key", runBackup},
		{"report", "the integrity report: new captures, edits, deletions, failures, audit, signed checkpoint (--since 24h)", runReport},
		{"config", "show the effective configuration (secrets redacted)", runConfig},
		{"version", "print the version", runVersion},
	}
}

// usageError is a mistake in how the command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// findingsError means the command worked and found something wrong: exit 1.
type findingsError struct{ msg string }

func (e *findingsError) Error() string { return e.msg }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	// Global flags may come before the subcommand.
	gfs := flag.NewFlagSet("verbatim", flag.ContinueOnError)
	gfs.SetOutput(io.Discard)
	a.globalFlags(gfs)
	if err := gfs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "verbatim: %v\n", err)
		return exitError
	}
	rest := gfs.Args()
	if len(rest) == 0 {
		a.usage(stderr)
		return exitError
	}
	name := rest[0]
	if name == "help" || name == "-h" {
		a.usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, a, rest[1:])
		return a.exit(err)
	}
	fmt.Fprintf(stderr, "verbatim: unknown command %q (run 'verbatim help' for the list)\n", name)
	return exitError
}

func (a *app) exit(err error) int {
	var ue *usageError
	var fe *findingsError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &fe):
		fmt.Fprintf(a.stderr, "verbatim: %s\n", oneLine(fe.msg))
		return exitFindings
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "verbatim: %s\n", oneLine(ue.msg))
		return exitError
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(a.stderr, "verbatim: interrupted")
		return exitError
	}
	var re *reportedError
	if errors.As(err, &re) {
		return exitError
	}
	fmt.Fprintf(a.stderr, "verbatim: %s\n", oneLine(err.Error()))
	return exitError
}

// oneLine keeps an error to a single line; several problems (a config
// with many mistakes) are joined with "; ".
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
		if i > 0 {
			lines[i] = strings.TrimPrefix(lines[i], "config: ")
		}
	}
	return strings.Join(lines, "; ")
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintf(w, "verbatim: an evidence-grade archive of official posts, and a checker of the articles that quote them.\n\n")
	fmt.Fprintf(w, "Usage: verbatim [--data DIR] [--config FILE] COMMAND [flags] [args]\n\nCommands:\n")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'verbatim COMMAND -h' for a command's flags. Exit status: 0 ok, 1 findings, 2 error.\n")
}

func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.dataFlag, "data", a.dataFlag, "data directory (env VERBATIM_DATA; default ./verbatim-data)")
	fs.StringVar(&a.configFlag, "config", a.configFlag, "YAML configuration file (env VERBATIM_CONFIG)")
	fs.StringVar(&a.logFormat, "log-format", a.logFormat, "log format: auto, text or json")
}

// flags returns a flag set for a subcommand that also takes the global flags.
func (a *app) flags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	a.globalFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "Usage: verbatim %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse reads flags placed anywhere among the arguments ("search vance
// --account VP") and returns the positional arguments. Everything after a
// lone "--" is positional.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, s := range args {
		if s == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, tail...), checkChoices(fs)
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// setup loads the configuration and the logger; subcommands call it after
// parsing their flags.
func (a *app) setup() error {
	getenv := a.getenv
	if a.dataFlag != "" {
		orig := getenv
		getenv = func(k string) string {
			if k == "VERBATIM_DATA" {
				return a.dataFlag
			}
			return orig(k)
		}
	}
	if a.logFormat != "" {
		orig := getenv
		getenv = func(k string) string {
			if k == "VERBATIM_LOG_FORMAT" {
				return a.logFormat
			}
			return orig(k)
		}
	}
	cfg, err := config.Load(a.configFlag, getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	a.cfg = cfg
	a.log = newLogger(a.stderr, cfg.Log.Format, cfg.Log.Level)
	return nil
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" || (format != "text" && !isTerminal(w)) {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// store is the opened archive: database and blobs.
type store struct {
	db    *sqlite.DB
	blobs *blob.Store
}

func (s *store) Close() error { return s.db.Close() }

// openStore opens the archive in the configured data directory for
// writing, creating it on first use. A directory that cannot be written
// fails here, before the database or the blobs are touched.
func (a *app) openStore(ctx context.Context) (*store, error) {
	dir := a.cfg.DataDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, unwrapPath(err))
	}
	if err := checkWritable(dir); err != nil {
		return nil, fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	if removed, err := removeStaleTemps(dir, staleTempAge); len(removed) > 0 || err != nil {
		a.log.Info("removed temporary files of killed writers", "files", removed, "err", err)
	}
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	tsa, err := a.timestamper()
	if err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "verbatim.db"), sqlite.Options{CacheKiB: a.cacheKiB, Timestamper: tsa, Log: a.log})
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	return &store{db: db, blobs: blobs}, nil
}

// staleTempPrefixes name the temporary files Verbatim's writers leave in
// the data directory and its reports directory when killed mid-write: the
// write check, the signing key's first copy (a secret), the key files'
// and the reports' atomic writes.
var staleTempPrefixes = []string{".verbatim-write-check-", ".ledger-key-", ".tmp-", ".report-"}

// staleTempAge is how old such a file must be to be removed: a live
// writer holds one for milliseconds.
const staleTempAge = 10 * time.Minute

// removeStaleTemps removes the temporary files of killed writers, older
// than olderThan, from the data directory and its reports directory, and
// returns their names. Blob temporary files are gc's (blob.Store.CleanTemp).
func removeStaleTemps(dir string, olderThan time.Duration) ([]string, error) {
	cutoff := time.Now().Add(-olderThan)
	var removed []string
	var errs []error
	for _, d := range []string{dir, filepath.Join(dir, "reports")} {
		ents, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if !e.Type().IsRegular() || !slices.ContainsFunc(staleTempPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
				continue
			}
			fi, err := e.Info()
			if err != nil || !fi.ModTime().Before(cutoff) {
				continue
			}
			p := filepath.Join(d, name)
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, p)
		}
	}
	return removed, errors.Join(errs...)
}

// checkWritable creates and removes a file in dir.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".verbatim-write-check-*")
	if err != nil {
		return unwrapPath(err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// openExisting opens an archive that must already exist, for reading
// (search, show). On read-only media (a mounted evidence copy) it opens the
// database immutable, read-only.
func (a *app) openExisting(ctx context.Context) (*store, error) {
	dir := a.cfg.DataDir
	path := filepath.Join(dir, "verbatim.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no archive in %s (import something first, or set --data / VERBATIM_DATA)", dir)
	}
	if checkWritable(dir) == nil {
		return a.openStore(ctx)
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("data directory %s (read-only): %w", dir, err)
	}
	return &store{db: db}, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
		if v != "" {
			return v
		}
	}
	return "(devel)"
}

func runVersion(ctx context.Context, a *app, args []string) error {
	fs := a.flags("version", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "verbatim %s (schema %d)\n", version(), sqlite.SchemaVersion())
	return nil
}

func runConfig(ctx context.Context, a *app, args []string) error {
	fs := a.flags("config", "show")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "show" {
		return usagef("usage: verbatim config show")
	}
	if err := a.setup(); err != nil {
		return err
	}
	b, err := a.cfg.ShowYAML()
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(b)
	return err
}

// formatFlag adds --format with the given choices, the first the default;
// parse refuses any other value.
func formatFlag(fs *flag.FlagSet, choices ...string) *string {
	c := &choice{value: choices[0], choices: choices}
	fs.Var(c, "format", "output `format`: "+strings.Join(choices, ", "))
	return &c.value
}

// choice is a flag value that parse checks against its choices.
type choice struct {
	value   string
	choices []string
}

func (c *choice) String() string {
	if c == nil {
		return ""
	}
	return c.value
}

func (c *choice) Set(v string) error {
	c.value = v
	return nil
}

// checkChoices returns a usage error for a --format (or other choice
// flag) set to none of its choices.
func checkChoices(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if c, ok := f.Value.(*choice); ok && err == nil && !slices.Contains(c.choices, c.value) {
			err = usagef("--%s %q: choose one of %s", f.Name, c.value, strings.Join(c.choices, ", "))
		}
	})
	return err
}
