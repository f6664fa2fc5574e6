-- The outbox (docs/notifications.md): a change writes its outgoing events in
-- the same transaction as the change; dispatchers fan each event out into
-- deliveries, one per recipient and channel, claimed with FOR UPDATE SKIP
-- LOCKED. Both carry stable ids a receiver can use to drop repeats.
CREATE TABLE outbox_events (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]*$'),
    task_id    bigint REFERENCES tasks (id) ON DELETE RESTRICT,
    payload    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    fanned_at  timestamptz
);
CREATE INDEX outbox_events_pending ON outbox_events (created_at) WHERE fanned_at IS NULL;

CREATE TABLE outbox_deliveries (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id   uuid NOT NULL REFERENCES outbox_events (id) ON DELETE RESTRICT,
    channel    text NOT NULL CHECK (channel IN ('email', 'push', 'webhook', 'inapp')),
    recipient  text NOT NULL CHECK (recipient <> ''),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts   integer NOT NULL DEFAULT 0,
    next_at    timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT '',
    sent_at    timestamptz,
    UNIQUE (event_id, channel, recipient)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (next_at) WHERE status = 'pending';

---- create above / drop below ----

DROP TABLE outbox_deliveries;
DROP TABLE outbox_events;
