package s3test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogExcerpt: what a weed that died wrote since its start comes back
// with its fatal line first, whatever its length, and without the lines of
// the run before.
func TestLogExcerpt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "weed.log")
	before := "I1205 18:46:00.000000 master.go:1 the run before\nF1205 18:46:01.000000 filer.go:1 an old fatal\n"
	var now strings.Builder
	for i := range 200 {
		fmt.Fprintf(&now, "I1205 18:47:%02d.000000 filer.go:%d starting\n", i%60, i)
	}
	now.WriteString("F1205 18:47:35.885299 filer.go:455 Filer startup error: boom\ngoroutine 1 [running]:\nFoo.bar()\n\t/x.go:1\n")
	if err := os.WriteFile(path, []byte(before+now.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	got := logExcerpt(path, int64(len(before)))
	first, _, _ := strings.Cut(got, "\n")
	if first != "weed: F1205 18:47:35.885299 filer.go:455 Filer startup error: boom" {
		t.Errorf("the excerpt starts %q", first)
	}
	if strings.Contains(got, "the run before") || strings.Contains(got, "an old fatal") || strings.Contains(got, "weed: Foo") {
		t.Errorf("the excerpt carries lines it should not:\n%s", got)
	}
	if n := strings.Count(got, "\n") + 1; n != 1+1+60 {
		t.Errorf("the excerpt has %d lines, want the fatal line, a marker and the last 60", n)
	}
}
