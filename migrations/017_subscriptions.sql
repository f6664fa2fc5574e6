-- Subscriptions (docs/notifications.md): a resident follows a case or
-- subscribes to an area (a sub-district or a drawn polygon) for chosen
-- services, by e-mail or web push. Consent and unsubscribing are recorded
-- on the row, which is kept: the time, the address it came from, how it
-- ended.
CREATE TABLE subscriptions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The key in every message's links (confirm, manage, unsubscribe).
    token            uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    channel          text NOT NULL CHECK (channel IN ('email', 'push')),
    -- An e-mail address, or a push service's endpoint URL.
    address          text NOT NULL CHECK (address <> '' AND length(address) <= 2000),
    push_p256dh      text CHECK (channel <> 'push' OR push_p256dh IS NOT NULL),
    push_auth        text CHECK (channel <> 'push' OR push_auth IS NOT NULL),
    lang             text NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en')),
    task_id          bigint REFERENCES tasks (id) ON DELETE CASCADE,
    area             geometry(MultiPolygon, 4326) CHECK (area IS NULL OR ST_IsValid(area)),
    area_name        text NOT NULL DEFAULT '',
    services         text[] NOT NULL DEFAULT '{}', -- empty: every service
    -- A member of staff's phone or browser, for their notices (push only).
    user_id          bigint REFERENCES users (id) ON DELETE CASCADE,
    CHECK (num_nonnulls(task_id, area, user_id) = 1),
    CHECK (user_id IS NULL OR channel = 'push'),
    -- report: the reporter's own case, from the e-mail given with it;
    -- follow: a case followed from its page; area: an area subscription;
    -- staff: a member of staff's notices on their device.
    source           text NOT NULL CHECK (source IN ('report', 'follow', 'area', 'staff')),
    consent_at       timestamptz NOT NULL DEFAULT now(),
    consent_ip       text NOT NULL DEFAULT '',
    -- E-mail given on a page is confirmed by the link sent to it; push
    -- (the browser asked) and a reporter's own case need no confirming.
    confirmed_at     timestamptz,
    -- When the confirmation was last asked for (sent again at most every
    -- ten minutes; an address gets at most three an hour).
    confirm_asked_at timestamptz,
    unsubscribed_at  timestamptz,
    unsubscribed_via text CHECK (unsubscribed_via IN ('page', 'one_click', 'gone')),
    -- The per-recipient limit: instant messages sent in the current hour;
    -- past the limit the hour's other changes wait for one digest.
    window_start     timestamptz,
    window_sent      integer NOT NULL DEFAULT 0,
    digest_at        timestamptz
);
CREATE INDEX subscriptions_task ON subscriptions (task_id) WHERE task_id IS NOT NULL AND unsubscribed_at IS NULL;
CREATE INDEX subscriptions_area ON subscriptions USING gist (area) WHERE area IS NOT NULL AND unsubscribed_at IS NULL;
CREATE UNIQUE INDEX subscriptions_staff_device ON subscriptions (user_id, address)
    WHERE user_id IS NOT NULL AND unsubscribed_at IS NULL;
CREATE INDEX subscriptions_address ON subscriptions (lower(address));
-- One follow of a case per address and channel.
CREATE UNIQUE INDEX subscriptions_one_follow ON subscriptions (task_id, channel, lower(address))
    WHERE task_id IS NOT NULL AND unsubscribed_at IS NULL;

-- The changes a digest gathers.
CREATE TABLE subscription_digest_items (
    subscription_id bigint NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    digest_at       timestamptz NOT NULL,
    event_id        uuid NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    PRIMARY KEY (subscription_id, digest_at, event_id)
);

-- The service's VAPID key pair for web push (RFC 8292): made once, shared
-- by every copy.
CREATE TABLE vapid_keys (
    id          integer PRIMARY KEY CHECK (id = 1),
    public_key  text NOT NULL,
    private_key text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Notices for staff about their own work: the unit (crew) a person works
-- in hears of dispatches to it and of its work falling due; the
-- sub-district a person looks after, of new reports there.
ALTER TABLE users
    ADD COLUMN crew text REFERENCES crews (name) ON UPDATE CASCADE ON DELETE SET NULL,
    ADD COLUMN subdistrict text NOT NULL DEFAULT '' CHECK (length(subdistrict) <= 100);
-- The light a running clock has been told at (yellow: due soon, red:
-- overdue), so each is told once; a new deadline clears it.
ALTER TABLE task_clocks ADD COLUMN told_light text CHECK (told_light IN ('yellow', 'red'));

---- create above / drop below ----

ALTER TABLE task_clocks DROP COLUMN told_light;
ALTER TABLE users DROP COLUMN subdistrict, DROP COLUMN crew;
DROP TABLE vapid_keys;
DROP TABLE subscription_digest_items;
DROP TABLE subscriptions;
