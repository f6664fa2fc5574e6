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

-- Webhooks (docs/notifications.md): endpoints an admin registers for the event
-- kinds they want ('*' for all), each delivery signed with the endpoint's
-- secret (the previous one also signs until it expires, for rotation);
-- every attempt logged; an endpoint failing many times in a row is paused
-- and its owner told in the console.
CREATE TABLE webhook_endpoints (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url              text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    events           text[] NOT NULL CHECK (cardinality(events) > 0),
    secret           text NOT NULL CHECK (length(secret) >= 16),
    old_secret       text,
    old_secret_until timestamptz,
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    failures         integer NOT NULL DEFAULT 0,
    paused_at        timestamptz,
    deleted_at       timestamptz
);

CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES outbox_deliveries (id) ON DELETE CASCADE,
    endpoint_id bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    status      integer,             -- the HTTP status; NULL when no answer came
    latency_ms  integer NOT NULL,
    excerpt     text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, at DESC);

-- In-app notices for staff: codes and parameters the console says in the
-- reader's language.
CREATE TABLE notices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]*$'),
    params     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    -- The outbox delivery that made it: a delivery sent again adds nothing.
    delivery_id uuid UNIQUE
);
CREATE INDEX notices_user ON notices (user_id, created_at DESC);

---- create above / drop below ----

DROP TABLE notices;
DROP TABLE webhook_attempts;
DROP TABLE webhook_endpoints;
DROP TABLE outbox_deliveries;
DROP TABLE outbox_events;
