package webhook

import (
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"d1"}`)
	now := time.Unix(1_733_380_000, 0)
	h := Signature(now.Unix(), body, "new-secret-0123456789", "old-secret-0123456789")
	for _, secret := range []string{"new-secret-0123456789", "old-secret-0123456789"} {
		if err := Verify(h, body, secret, 5*time.Minute, now.Add(time.Minute)); err != nil {
			t.Errorf("Verify with %s: %v", secret, err)
		}
	}
	if err := Verify(h, body, "another-secret-0123456", 5*time.Minute, now); err == nil {
		t.Error("Verify accepted a wrong secret")
	}
	if err := Verify(h, []byte(`{"id":"d2"}`), "new-secret-0123456789", 5*time.Minute, now); err == nil {
		t.Error("Verify accepted a changed body")
	}
	if err := Verify(h, body, "new-secret-0123456789", 5*time.Minute, now.Add(10*time.Minute)); err == nil {
		t.Error("Verify accepted an old delivery")
	}
	// A known vector, computed apart (Python's hmac): HMAC-SHA256("key", "1.body").
	if got := Sign("key", 1, []byte("body")); got != "91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5" {
		t.Errorf("Sign = %s", got)
	}
}
