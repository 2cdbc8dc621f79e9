package xapi

import (
	"bytes"
	"testing"

	"github.com/verbatim-archive/verbatim/archive/archivetest"
)

// BenchmarkDecodePage decodes generated timeline pages of 100 posts, as an
// import of a JSONL file does line by line: the decoding share of issue
// #2's import figure.
func BenchmarkDecodePage(b *testing.B) {
	const posts = 20_000
	var buf bytes.Buffer
	if err := archivetest.WriteV2JSONL(&buf, posts, 100, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	for b.Loop() {
		for _, l := range lines {
			if _, err := DecodePage(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(posts*b.N)/b.Elapsed().Seconds(), "posts/s")
}
