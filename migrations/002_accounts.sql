-- Accounts, sessions and tokens, and the audit trail of everything that is
-- not a task change (logins, user administration, asset edits).
CREATE TABLE users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
    name                text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    role                text NOT NULL CHECK (role IN ('admin', 'engineer', 'inspector')),
    password_hash       text NOT NULL,
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- Browser sessions. The cookie holds a random token; only its SHA-256 is
-- stored, so a copy of the database lets no one in.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Bearer tokens for scripts and integrations, listed and revocable.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

ALTER TABLE task_events ADD CONSTRAINT task_events_actor_fk FOREIGN KEY (actor_id) REFERENCES users (id);

CREATE TABLE audit_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES users (id),
    actor        text NOT NULL DEFAULT '',
    action       text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    subject_type text NOT NULL DEFAULT '',
    subject_id   bigint,
    ip           text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_events_at_idx ON audit_events (at, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, at);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id, at);
-- Failed logins are counted per account and per address to throttle them.
CREATE INDEX audit_events_login_failed_idx ON audit_events (at) WHERE action = 'login.failed';

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

CREATE INDEX task_events_actor_idx ON task_events (actor_id, at) WHERE actor_id IS NOT NULL;
CREATE INDEX tasks_due_idx ON tasks (due_date) WHERE status IN ('reported', 'filed', 'dispatched', 'in_progress');

---- create above / drop below ----

DROP TABLE audit_events;
ALTER TABLE task_events DROP CONSTRAINT task_events_actor_fk;
DROP INDEX task_events_actor_idx;
DROP INDEX tasks_due_idx;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
