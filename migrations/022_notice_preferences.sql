-- Each member of staff chooses which notices they get (docs/notifications.md):
-- per kind, whether at all (in the console, and by push on a registered
-- device) and whether also by e-mail to the account's address. A kind
-- without a row keeps the default: in the console, not by e-mail.
CREATE TABLE notice_preferences (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]*$'),
    receive    boolean NOT NULL DEFAULT true,
    email      boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);
-- The language of the e-mail a member of staff is sent ('' : Chinese).
ALTER TABLE users ADD COLUMN lang text NOT NULL DEFAULT '' CHECK (lang IN ('', 'zh', 'en'));

---- create above / drop below ----

ALTER TABLE users DROP COLUMN lang;
DROP TABLE notice_preferences;
