package compare

import (
	"strings"
	"testing"
)

func FuzzCompare(f *testing.F) {
	f.Add(p1+"\n"+p2+"\n"+p3, p2+"\n"+p1+" Extra sentence.\n"+strings.ToUpper(p3), "")
	f.Add("A. B. C.\nD. E.", "A. B.\nC. D. X. E.", "X.")
	f.Add("“Quote” — dash…", `"Quote" - dash...`, "")
	f.Add("שלום. مرحبا؟ 👍🏽\n\n", "\u200b\nשלום.\nمرحبا؟ 👍🏽", "שלום")
	f.Add("a a a\na a\na", "a\na a a\na a", "a\nb c d e")
	f.Add("", "x", "x")
	f.Add("U.S. Dr. 3.5 e.g. pic.twitter.com/x. Yes", "U.S. Dr. 3.5 e.g. pic.twitter.com/y. Yes", "— Name (@h) February 10, 2026")
	f.Fuzz(func(t *testing.T, a, b, ignore string) {
		orig, repub := strings.Split(a, "\n"), strings.Split(b, "\n")
		var opts Options
		if ignore != "" {
			opts.Ignore = strings.Split(ignore, "\x1e")
		}
		r := Compare(orig, repub, opts)
		checkResult(t, orig, repub, r)
		_ = r.Text()
		_ = r.HTML(a)
		if a == b && (r.Altered || len(r.Changes) > 0) {
			t.Errorf("identical articles: %d changes", len(r.Changes))
		}
	})
}
