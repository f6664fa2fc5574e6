-- 我也遇到 ("me too"): a resident says an open public case affects them too.
-- Counted once per device (the hash of the random id the page keeps), the
-- count kept on the task for the map.
CREATE TABLE task_supports (
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE RESTRICT,
    device_hash bytea NOT NULL CHECK (length(device_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, device_hash)
);
ALTER TABLE tasks ADD COLUMN supports integer NOT NULL DEFAULT 0 CHECK (supports >= 0);

---- create above / drop below ----

ALTER TABLE tasks DROP COLUMN supports;
DROP TABLE task_supports;
