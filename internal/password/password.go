// Package password hashes and checks account passwords with bcrypt, a few at
// a time: a burst of logins queues for the CPU instead of taking the
// service down, and bcrypt's small, fixed memory cannot be exhausted.
package password

import (
	"context"
	"errors"
	"runtime"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes and verifies passwords under a concurrency limit.
type Hasher struct {
	cost  int
	slots chan struct{}
	dummy []byte
}

// New returns a Hasher with the given bcrypt cost (0: bcrypt's default,
// 10) that runs at most one hash per CPU at a time.
func New(cost int) *Hasher {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h := &Hasher{cost: cost, slots: make(chan struct{}, runtime.NumCPU())}
	// Checking an unknown account against a real hash takes as long as
	// checking a known one: the timing says nothing of who has an account.
	h.dummy, _ = bcrypt.GenerateFromPassword([]byte("inframap-no-such-account"), cost)
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the bcrypt hash of p.
func (h *Hasher) Hash(ctx context.Context, p string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	b, err := bcrypt.GenerateFromPassword([]byte(p), h.cost)
	return string(b), err
}

// Verify reports whether p matches hash. An empty hash (no such account)
// is checked against a dummy so that it costs the same time.
func (h *Hasher) Verify(ctx context.Context, hash, p string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	target := []byte(hash)
	if hash == "" {
		target = h.dummy
	}
	err := bcrypt.CompareHashAndPassword(target, []byte(p))
	switch {
	case err == nil:
		return hash != "", nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, err
}
