package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/verbatim-archive/verbatim/archive"
	"github.com/verbatim-archive/verbatim/archive/blob"
)

// extensions name downloads by their artifact kind.
var extensions = map[string]string{"screenshot": ".png", "dom": ".html", "mhtml": ".mhtml", "pdf": ".pdf", "warc": ".warc",
	"raw": ".json", "tls-chain": ".pem"}

// blob serves stored bytes. They never change, so they carry a strong
// ETag (the hash) and may be cached for a year. Images and PDFs are shown
// inline; anything else (captured HTML, MHTML, WARC, raw API pages) is a
// download under a sandboxing CSP, so captured pages never run on our
// origin.
func (s *server) blob(w http.ResponseWriter, r *http.Request) error {
	sum := r.PathValue("sha256")
	if !blob.ValidHash(sum) {
		return errorf(http.StatusNotFound, "blob %q: not found (blobs are named by 64 lowercase hex digits)", sum)
	}
	if s.opts.Blobs == nil {
		return errorf(http.StatusServiceUnavailable, "blobs are not readable on this server")
	}
	art, err := s.db.Artifact(r.Context(), sum)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return err
	}
	rc, err := s.opts.Blobs.Open(r.Context(), sum)
	if err != nil {
		return err
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		rs = bytes.NewReader(b)
	}
	mt := art.MediaType
	if mt == "" {
		var head [512]byte
		n, _ := io.ReadFull(rs, head[:])
		mt = http.DetectContentType(head[:n])
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	base, _, _ := mime.ParseMediaType(mt)
	h := w.Header()
	h.Set("Content-Type", mt)
	h.Set("ETag", `"`+sum+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	name := sum[:12]
	if art.Kind != "" {
		name += "-" + art.Kind
	}
	name += extension(art.Kind, base)
	switch {
	case isInlineImage(base):
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	case base == "application/pdf":
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
		// Chromium prints these PDFs itself, without scripts; its viewer
		// needs object-src, and does not open PDFs in a sandbox.
		h.Set("Content-Security-Policy", "default-src 'none'; object-src 'self'; frame-ancestors 'none'")
	default:
		h.Set("Content-Disposition", attachment(name))
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		if strings.HasPrefix(base, "text/html") || base == "" {
			// Never HTML on our origin, even if a browser ignored the
			// attachment.
			h.Set("Content-Type", "application/octet-stream")
		}
	}
	http.ServeContent(w, r, "", time.Time{}, rs)
	return nil
}

func extension(kind, mediaType string) string {
	if e, ok := extensions[kind]; ok {
		return e
	}
	if exts, _ := mime.ExtensionsByType(mediaType); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}
