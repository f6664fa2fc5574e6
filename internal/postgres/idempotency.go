package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

// A write retried with the same Idempotency-Key gets the outcome of its
// first try. The key, scoped to the caller and endpoint, is kept with a hash
// of the request and the outcome (the domain values the write made, as
// JSON) in the same transaction as the write, so a crash between the two is
// impossible. Nothing purges old keys yet (a few hundred bytes a write).

// replay reads the outcome kept with an idempotency key into out and
// reports whether there was one. The same key with a different request is
// refused. The key is locked for the rest of tx, so concurrent retries wait
// for the first.
func replay(ctx context.Context, tx pgx.Tx, idem *maint.Idempotency, out any) (bool, error) {
	if idem == nil {
		return false, nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, idem.Scope, idem.Key); err != nil {
		return false, translate(err, "idempotency")
	}
	var hash string
	var outcome []byte
	err := tx.QueryRow(ctx, `SELECT request_hash, outcome FROM idempotency_keys WHERE scope = $1 AND key = $2`,
		idem.Scope, idem.Key).Scan(&hash, &outcome)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err, "idempotency")
	}
	if hash != idem.RequestHash {
		return false, maint.Errorf(maint.CodeUnprocessable, "Idempotency-Key %q was used before for a different request; use a new key for a new request", idem.Key)
	}
	if err := json.Unmarshal(outcome, out); err != nil {
		return false, fmt.Errorf("idempotency: read the first outcome: %w", err)
	}
	return true, nil
}

// remember keeps the outcome of an idempotent write in tx: the domain values
// it made, as JSON.
func remember(ctx context.Context, tx pgx.Tx, idem *maint.Idempotency, outcome any) error {
	if idem == nil {
		return nil
	}
	b, err := json.Marshal(outcome)
	if err != nil {
		return fmt.Errorf("idempotency: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, outcome) VALUES ($1, $2, $3, $4)`,
		idem.Scope, idem.Key, idem.RequestHash, b)
	return translate(err, "idempotency")
}
