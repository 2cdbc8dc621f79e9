package main

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/ledger"
)

// The ledger key lives in the data directory: ledger.key (the secret
// signer key, mode 0600, made on first use) unless VERBATIM_LEDGER_KEY
// holds one, and ledger.pub (the public key to hand to anyone who checks
// receipts).
const (
	ledgerKeyFile = "ledger.key"
	ledgerPubFile = "ledger.pub"
	ledgerKeyEnv  = "VERBATIM_LEDGER_KEY"
)

// ledgerKey returns the archive's checkpoint signing key, creating it on
// first use.
func (a *app) ledgerKey() (*ledger.Key, error) {
	dir := a.cfg.DataDir
	return ledger.OpenKey(filepath.Join(dir, ledgerKeyFile), filepath.Join(dir, ledgerPubFile), a.getenv(ledgerKeyEnv))
}

// ledgerVerifier returns the public key to check checkpoints with: the
// file given, else the data directory's ledger.pub, else the one the
// signing key (environment or ledger.key) implies; nil if there is none.
func (a *app) ledgerVerifier(file string) (note.Verifier, error) {
	if file == "" {
		file = filepath.Join(a.cfg.DataDir, ledgerPubFile)
		b, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			skey := a.getenv(ledgerKeyEnv)
			if skey == "" {
				b, err := os.ReadFile(filepath.Join(a.cfg.DataDir, ledgerKeyFile))
				if errors.Is(err, fs.ErrNotExist) {
					return nil, nil
				}
				if err != nil {
					return nil, err
				}
				skey = string(b)
			}
			k, err := ledger.ParseKey(skey)
			if err != nil {
				return nil, err
			}
			return k.Verifier(), nil
		}
		if err != nil {
			return nil, err
		}
		return ledger.ParseVerifierKey(string(b))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("--pubkey: %v", unwrapPath(err))
	}
	v, err := ledger.ParseVerifierKey(string(b))
	if err != nil {
		return nil, usagef("--pubkey %s: %v", file, err)
	}
	return v, nil
}

// timestamper returns a client of the configured RFC 3161 timestamp
// authority (tsa.url, VERBATIM_TSA_URL), or nil if none is configured.
func (a *app) timestamper() (ledger.Timestamper, error) {
	if a.cfg.TSA.URL == "" {
		return nil, nil
	}
	c, err := ledger.NewTSAClient(a.cfg.TSA.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("tsa.url: %w", err)
	}
	return c, nil
}

// opensslVerify is how an outsider checks a checkpoint's timestamp with
// the files proof --note and --tsr write.
const opensslVerify = "openssl ts -verify -data checkpoint.txt -in checkpoint.tsr -token_in -CAfile tsa-ca.pem"

func runProof(ctx context.Context, a *app, args []string) error {
	fs := a.flags("proof", "CAPTURE_ID [--note checkpoint.txt --tsr checkpoint.tsr] | --since SIZE")
	since := fs.String("since", "", "instead of a receipt, a consistency proof from the tree of `SIZE` leaves to the latest checkpoint")
	noteOut := fs.String("note", "", "also write the receipt's checkpoint note, the exact bytes its timestamp is over, to `FILE`")
	tsrOut := fs.String("tsr", "", "also write the checkpoint's RFC 3161 timestamp token (DER) to `FILE`, for\n"+opensslVerify+"\n(checkpoint.txt from --note; tsa-ca.pem: the CA certificate of the TSA at tsa.url)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *since != "" && (*noteOut != "" || *tsrOut != "") {
		return usagef("proof: --note and --tsr go with a receipt (CAPTURE_ID), not --since")
	}
	var id int64
	var from uint64
	switch {
	case *since != "" && len(pos) == 0:
		if from, err = strconv.ParseUint(*since, 10, 64); err != nil {
			return usagef("proof: --since takes a tree size (a number of leaves), not %q", *since)
		}
	case *since == "" && len(pos) == 1:
		if id, err = strconv.ParseInt(strings.TrimPrefix(pos[0], "capture:"), 10, 64); err != nil || id <= 0 {
			return usagef("proof: %q is not a capture id", pos[0])
		}
	default:
		return usagef("usage: verbatim proof CAPTURE_ID > receipt.json, or verbatim proof --since SIZE > later.json")
	}
	if err := a.setup(); err != nil {
		return err
	}
	st, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := a.ledgerKey()
	if err != nil {
		return err
	}
	if *since != "" {
		c, err := st.db.ConsistencySince(ctx, from, key)
		if err != nil {
			return err
		}
		return writeJSON(a.stdout, c)
	}
	tsa, err := a.timestamper()
	if err != nil {
		return err
	}
	var tsErr error
	if tsa != nil {
		// A checkpoint of the whole tree, timestamped now if it is new or
		// if the latest one's timestamping failed before; the receipt
		// uses it. A TSA failure is a warning (logged): the receipt is
		// good without a timestamp.
		cp, err := st.db.CreateCheckpoint(ctx, key)
		if err != nil {
			return err
		}
		tsErr = cp.TimestampErr
	}
	r, err := st.db.Receipt(ctx, id, key)
	if errors.Is(err, archive.ErrNotFound) {
		return fmt.Errorf("capture %d is not in the archive", id)
	}
	if err != nil {
		return err
	}
	if *tsrOut != "" && r.Timestamp == nil {
		switch {
		case tsa == nil:
			return usagef("proof --tsr: the checkpoint has no timestamp: %v", ledger.ErrNoTSA)
		case tsErr != nil:
			return fmt.Errorf("proof --tsr: the checkpoint has no timestamp: %w", tsErr)
		default:
			return errors.New("proof --tsr: the checkpoint has no timestamp")
		}
	}
	if *noteOut != "" {
		if err := os.WriteFile(*noteOut, []byte(r.Checkpoint), 0o644); err != nil {
			return fmt.Errorf("proof --note: %w", err)
		}
	}
	if *tsrOut != "" {
		if err := os.WriteFile(*tsrOut, r.Timestamp.Token, 0o644); err != nil {
			return fmt.Errorf("proof --tsr: %w", err)
		}
	}
	return writeJSON(a.stdout, r)
}

// receiptResult is what verify-receipt --format json prints.
type receiptResult struct {
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
	CaptureID int64  `json:"capture_id,omitempty"`
	LeafIndex uint64 `json:"leaf_index"`
	TreeSize  uint64 `json:"tree_size"`
	Root      string `json:"root,omitempty"`
	Origin    string `json:"origin,omitempty"`
	LaterSize uint64 `json:"later_tree_size,omitempty"`

	// Timestamp is what the checkpoint's RFC 3161 timestamp states, if
	// the receipt has one.
	Timestamp *ledger.TimestampInfo `json:"timestamp,omitempty"`

	Manifest *ledger.Manifest `json:"manifest,omitempty"`
}

func runVerifyReceipt(ctx context.Context, a *app, args []string) error {
	fs := a.flags("verify-receipt", "RECEIPT.json")
	format := formatFlag(fs, "text", "json")
	pubkey := fs.String("pubkey", "", "the archive's public key `file` (default: the data directory's ledger.pub)")
	later := fs.String("checkpoint", "", "a later checkpoint `file`: the JSON of 'verbatim proof --since SIZE', or a bare checkpoint note of the same size")
	tsaCA := fs.String("tsa-ca", "", "require the receipt's timestamp and check that its TSA certificate chains to a CA certificate in this PEM `file`\n(without it, a timestamp's token is checked but not whose it is; or: "+opensslVerify+")")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: verbatim verify-receipt RECEIPT.json [--pubkey FILE] [--checkpoint LATER] [--tsa-ca FILE]")
	}
	var roots *x509.CertPool
	if *tsaCA != "" {
		pb, err := os.ReadFile(*tsaCA)
		if err != nil {
			return usagef("--tsa-ca: %v", unwrapPath(err))
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pb) {
			return usagef("--tsa-ca %s: no PEM certificate in the file", *tsaCA)
		}
	}
	if *pubkey == "" {
		if err := a.setup(); err != nil {
			return err
		}
	}
	v, err := a.ledgerVerifier(*pubkey)
	if err != nil {
		return err
	}
	if v == nil {
		return usagef("verify-receipt: no public key: give --pubkey FILE (the archive's ledger.pub)")
	}
	b, err := readInput(a, pos[0])
	if err != nil {
		return err
	}
	var laterC *ledger.Consistency
	if *later != "" {
		lb, err := os.ReadFile(*later)
		if err != nil {
			return usagef("--checkpoint: %v", unwrapPath(err))
		}
		c, err := ledger.ParseLater(lb)
		if err != nil {
			return a.receiptFailed(*format, err)
		}
		laterC = &c
	}
	var r ledger.Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return a.receiptFailed(*format, fmt.Errorf("%s is not a receipt: %v", pos[0], err))
	}
	got, err := r.Verify(v)
	if err != nil {
		return a.receiptFailed(*format, err)
	}
	if roots != nil {
		info, err := r.VerifyTimestamp(roots)
		if err != nil {
			return a.receiptFailed(*format, err)
		}
		got.Timestamp = &info
	}
	res := receiptResult{OK: true, CaptureID: got.Manifest.CaptureID, LeafIndex: got.LeafIndex, TreeSize: got.TreeSize,
		Root: hex.EncodeToString(got.Root), Origin: got.Origin, Timestamp: got.Timestamp, Manifest: &got.Manifest}
	if laterC != nil {
		if res.LaterSize, err = laterC.Verify(v, got.TreeSize, got.Root); err != nil {
			return a.receiptFailed(*format, err)
		}
	}
	if *format == "json" {
		return writeJSON(a.stdout, res)
	}
	m := got.Manifest
	fmt.Fprintf(a.stdout, "ok: capture %d (%s of %s at %s, %s) is leaf %d of the %d-leaf tree signed by %s\n",
		m.CaptureID, m.Kind, m.Target, m.At, plural(len(m.Artifacts), "artifact"), got.LeafIndex, got.TreeSize, got.Origin)
	for _, x := range m.Artifacts {
		fmt.Fprintf(a.stdout, "  %-10s sha256:%s  %d bytes  %s\n", x.Kind, x.SHA256, x.Size, x.MediaType)
	}
	if ts := got.Timestamp; ts != nil {
		acc := ""
		if ts.Accuracy > 0 {
			acc = " ±" + ts.Accuracy.String()
		}
		fmt.Fprintf(a.stdout, "ok: the checkpoint existed at %s%s, by an RFC 3161 timestamp signed by %s (from %s)\n",
			ts.Time.Format(time.RFC3339), acc, ts.Signer, ts.TSA)
		if ts.Chained {
			fmt.Fprintf(a.stdout, "ok: the timestamp's signer chains to %s\n", *tsaCA)
		} else {
			fmt.Fprintf(a.stdout, "  (the TSA's certificate was not checked against a CA: give --tsa-ca FILE)\n")
		}
	}
	if laterC != nil {
		fmt.Fprintf(a.stdout, "ok: the later checkpoint of %d leaves extends that tree\n", res.LaterSize)
	}
	return nil
}

// receiptFailed reports a receipt that does not verify: exit 1, one line.
func (a *app) receiptFailed(format string, err error) error {
	if format == "json" {
		if werr := writeJSON(a.stdout, receiptResult{OK: false, Error: err.Error()}); werr != nil {
			return werr
		}
	}
	return &findingsError{"receipt does not verify: " + err.Error()}
}

// readInput reads a file, or standard input for "-".
func readInput(a *app, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(a.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("%s: %v", name, unwrapPath(err))
	}
	return b, nil
}
