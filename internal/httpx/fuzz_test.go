package httpx

import (
	"testing"
	"time"

	"inframap/internal/maint"
)

func FuzzCursor(f *testing.F) {
	for _, s := range []string{EncodeCursor(1), EncodeCursor(1 << 40), "abc", "", "azE6LTE", "azE6MDE", EncodeAuditCursor(maint.AuditEvent{At: time.Unix(1700000000, 5000), Source: "task", ID: 7})} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := DecodeCursor(s); err == nil {
			if id <= 0 || EncodeCursor(id) != s {
				t.Fatalf("DecodeCursor(%q) = %d, which encodes as %q", s, id, EncodeCursor(id))
			}
		}
		if c, err := DecodeAuditCursor(s); err == nil && c.Source != "task" && c.Source != "audit" {
			t.Fatalf("DecodeAuditCursor(%q) accepted source %q", s, c.Source)
		}
	})
}
