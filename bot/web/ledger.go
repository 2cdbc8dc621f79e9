package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/bot"
)

// The evidence ledger's public face: the latest signed checkpoint, the
// public key that checks it, and a receipt for any capture.

// checkpoint serves the latest signed checkpoint, as the note it is
// (text/plain): what witnesses and monitors fetch.
func (s *server) checkpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.db.LatestCheckpoint(r.Context())
	if errors.Is(err, archive.ErrNotFound) {
		return errorf(http.StatusNotFound, "no checkpoint has been signed yet: one is signed with each integrity report and each receipt")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, err = io.WriteString(w, cp.Note)
	return err
}

// checkpointPub serves the public key that checkpoints and receipts are
// checked with (the data directory's ledger.pub): "name+hash+base64".
func (s *server) checkpointPub(w http.ResponseWriter, r *http.Request) error {
	if s.opts.PublicKey == "" {
		return errorf(http.StatusNotFound, "this server has no ledger public key")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := io.WriteString(w, s.opts.PublicKey+"\n")
	return err
}

// apiReceipt answers with a capture's receipt, the JSON of `verbatim proof
// ID`: its manifest, inclusion proof and a checkpoint that covers it
// (signed now if none does yet). `verbatim verify-receipt` checks it
// offline with the public key.
func (s *server) apiReceipt(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errorf(http.StatusNotFound, "capture %q: not found (capture ids are numbers)", r.PathValue("id"))
	}
	if s.opts.Ledger == nil {
		return fmt.Errorf("receipts need the archive's signing key, which this server does not hold: %w", bot.ErrNotAvailable)
	}
	rc, err := s.db.Receipt(r.Context(), id, s.opts.Ledger)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rc)
}

// text adapts a handler of plain text: errors become one line of text.
func (s *server) text(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code, msg := s.classify(r, err)
		w.Header().Del("Content-Disposition")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		io.WriteString(w, msg+"\n")
	}
}
