package httpx

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"inframap/internal/maint"
)

// Cursors are opaque to clients: a keyset position, base64url-encoded with
// a version prefix so that a cursor of another shape is refused, not
// misread.

const cursorPrefix = "k1:"

var errBadCursor = errors.New("bad cursor")

// EncodeCursor is the cursor of the page after the row with this id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

// cursorChars is the base64url alphabet: the decoder skips line breaks,
// which a cursor never has.
func cursorChars(s string) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// DecodeCursor returns the id of a cursor EncodeCursor made, and nothing
// else: the id re-encodes to exactly s.
func DecodeCursor(s string) (int64, error) {
	if !cursorChars(s) {
		return 0, errBadCursor
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return 0, errBadCursor
	}
	id, err := strconv.ParseInt(string(b[len(cursorPrefix):]), 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != string(b[len(cursorPrefix):]) {
		return 0, errBadCursor
	}
	return id, nil
}

// EncodeAuditCursor carries the (time, source, id) position of the last
// audit event of a page.
func EncodeAuditCursor(e maint.AuditEvent) string {
	s := "a1:" + strconv.FormatInt(e.At.UnixMicro(), 10) + ":" + e.Source + ":" + strconv.FormatInt(e.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// DecodeAuditCursor reads a cursor EncodeAuditCursor made.
func DecodeAuditCursor(c string) (*maint.AuditCursor, error) {
	if !cursorChars(c) {
		return nil, errBadCursor
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "a1" || (parts[2] != "task" && parts[2] != "audit") {
		return nil, errBadCursor
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, errBadCursor
	}
	return &maint.AuditCursor{At: time.UnixMicro(us), Source: parts[2], ID: id}, nil
}
