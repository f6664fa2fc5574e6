-- An idempotency key keeps what the first write made — the task, photo or
-- request as the domain knows it, in JSON — rather than the bytes of an HTTP
-- answer: a retry's answer is rendered again from it, so the database holds
-- no wire format. The column is json, not jsonb, so the text comes back as it
-- was written. Keys of the old form cannot be read in the new one and are
-- dropped; a retry of one is answered as a new request is, and its If-Match
-- version or photo hash still keeps it from landing twice.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys DROP COLUMN status, DROP COLUMN response, ADD COLUMN outcome json NOT NULL;

---- create above / drop below ----

DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys DROP COLUMN outcome, ADD COLUMN status integer NOT NULL, ADD COLUMN response bytea NOT NULL;
