package warc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/nlnwa/gowarc/v3"

	"github.com/verbatim-archive/verbatim/archive"
)

// Verify reads a WARC file, plain or with one gzip member per record, and
// recomputes every record's WARC-Block-Digest and WARC-Payload-Digest from
// its bytes (sha1, sha256 or sha512, in hex, base32 or base64). It also
// reports what gowarc finds wrong with the records.
//
// It returns a RecordInfo for every record read, in file order, with its
// Problems. The error is nil when no record has a problem; it wraps
// archive.ErrCorrupt when a block is not as long as its Content-Length or
// does not match its digest, and ErrInvalid for any other problem, such as
// a record without a block digest. A file that cannot be parsed further
// stops Verify with an error that wraps neither, and the records before it.
func Verify(r io.Reader) ([]RecordInfo, error) {
	// Hide r's Seek and Close from gowarc, which would rewind and close it.
	rd, err := gowarc.NewWarcFileReaderFromStream(struct{ io.Reader }{r}, 0,
		gowarc.WithBlockErrorPolicy(gowarc.ErrWarn))
	if err != nil {
		return nil, fmt.Errorf("warc: verify: %w", err)
	}
	defer rd.Close()

	var (
		infos            []RecordInfo
		corrupt, invalid bool
		failed           int
		first            string
	)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rec.Close()
			return infos, fmt.Errorf("warc: verify: record at offset %d: %w", rec.Offset, err)
		}
		info, c, inv, err := check(rec)
		rec.Close()
		if err != nil {
			return infos, fmt.Errorf("warc: verify: %s record at offset %d: %w", info.Type, rec.Offset, err)
		}
		infos = append(infos, info)
		corrupt, invalid = corrupt || c, invalid || inv
		if len(info.Problems) > 0 {
			if failed == 0 {
				first = fmt.Sprintf("%s record at offset %d: %s", info.Type, info.Offset, info.Problems[0])
			}
			failed++
		}
	}
	if len(infos) == 0 {
		return nil, fmt.Errorf("warc: verify: no records: %w", ErrInvalid)
	}
	if failed == 0 {
		return infos, nil
	}
	var kinds []any
	if corrupt {
		kinds = append(kinds, archive.ErrCorrupt)
	}
	if invalid {
		kinds = append(kinds, ErrInvalid)
	}
	format := "warc: verify: %d of %d records failed, first the %s: %w"
	if len(kinds) == 2 {
		format += "; %w"
	}
	return infos, fmt.Errorf(format, append([]any{failed, len(infos), first}, kinds...)...)
}

// check describes one record and checks its digests, reporting whether any
// problem makes it corrupt or invalid. An error means it could not be read.
func check(rec gowarc.Record) (info RecordInfo, corrupt, invalid bool, err error) {
	h := rec.WarcRecord.WarcHeader()
	info = RecordInfo{
		Offset:        rec.Offset,
		Type:          h.Get(gowarc.WarcType),
		ID:            h.Get(gowarc.WarcRecordID),
		TargetURI:     h.Get(gowarc.WarcTargetURI),
		ContentType:   h.Get(gowarc.ContentType),
		BlockDigest:   h.Get(gowarc.WarcBlockDigest),
		PayloadDigest: h.Get(gowarc.WarcPayloadDigest),
		ConcurrentTo:  h.GetAll(gowarc.WarcConcurrentTo),
		Truncated:     h.Get(gowarc.WarcTruncated),
	}
	info.Length, _ = strconv.ParseInt(h.Get(gowarc.ContentLength), 10, 64)
	problem := func(isCorrupt bool, format string, args ...any) {
		info.Problems = append(info.Problems, fmt.Sprintf(format, args...))
		corrupt = corrupt || isCorrupt
		invalid = invalid || !isCorrupt
	}
	for _, v := range rec.Validation {
		var de *gowarc.DigestError
		var le *gowarc.ContentLengthError
		if errors.As(v, &de) || errors.As(v, &le) {
			continue // checked below, with our own hashes
		}
		problem(false, "%v", v)
	}

	blockHash := newHash(info.BlockDigest, "WARC-Block-Digest", problem)
	if info.BlockDigest == "" {
		problem(false, "no WARC-Block-Digest")
	}
	// A revisit's payload digest is its original's; a segment's, the whole's.
	var payloadHash *digestCheck
	if info.Type != "revisit" && !h.Has(gowarc.WarcSegmentNumber) {
		payloadHash = newHash(info.PayloadDigest, "WARC-Payload-Digest", problem)
	}

	// The block is an HTTP head and a payload, or it is all payload.
	block := rec.WarcRecord.Block()
	var head []byte
	var body io.Reader
	if hb, ok := block.(interface {
		gowarc.PayloadBlock
		gowarc.ProtocolHeaderBlock
	}); ok {
		head = hb.ProtocolHeaderBytes()
		body, err = hb.PayloadBytes()
	} else {
		body, err = block.RawBytes()
	}
	if err != nil {
		return info, corrupt, invalid, err
	}
	blockHash.Write(head)
	n, err := io.Copy(io.MultiWriter(blockHash, payloadHash), body)
	if err != nil {
		return info, corrupt, invalid, err
	}
	if size := int64(len(head)) + n; size != info.Length {
		problem(true, "block has %d bytes, Content-Length says %d", size, info.Length)
	}
	if !blockHash.ok() {
		problem(true, "block hashes to %s, not WARC-Block-Digest %s", blockHash.got(), info.BlockDigest)
	}
	if !payloadHash.ok() {
		problem(true, "payload hashes to %s, not WARC-Payload-Digest %s", payloadHash.got(), info.PayloadDigest)
	}
	return info, corrupt, invalid, nil
}

// digestCheck hashes bytes to compare them with a digest field. A nil
// *digestCheck hashes nothing and always matches.
type digestCheck struct {
	want parsedDigest
	h    hash.Hash
}

// newHash returns a check against the digest field value s, or nil if s is
// empty or cannot be parsed, which it reports.
func newHash(s, field string, problem func(bool, string, ...any)) *digestCheck {
	if s == "" {
		return nil
	}
	d, err := parseDigest(s)
	if err != nil {
		problem(false, "%s: %v", field, err)
		return nil
	}
	return &digestCheck{want: d, h: d.newHash()}
}

func (d *digestCheck) Write(p []byte) (int, error) {
	if d != nil {
		d.h.Write(p)
	}
	return len(p), nil
}

func (d *digestCheck) ok() bool {
	return d == nil || bytes.Equal(d.h.Sum(nil), d.want.sum)
}

// got renders the sum of what was hashed, in hex.
func (d *digestCheck) got() string {
	return d.want.name + ":" + hex.EncodeToString(d.h.Sum(nil))
}
