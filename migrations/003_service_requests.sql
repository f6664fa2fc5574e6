-- Residents' reports as service requests (Open311 GeoReport v2): the service
-- they were filed under, a link to the open request they duplicate, and the
-- API keys of partner systems.
ALTER TABLE tasks
    ADD COLUMN service_code text CHECK (service_code ~ '^[a-z0-9_]{1,40}$'),
    ADD COLUMN duplicate_of bigint REFERENCES tasks (id),
    ADD COLUMN address text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    ADD COLUMN request_token text UNIQUE;
CREATE INDEX tasks_service_idx ON tasks (service_code, created_at) WHERE service_code IS NOT NULL;

CREATE TABLE api_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    key_hash   bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

---- create above / drop below ----

DROP TABLE api_keys;
ALTER TABLE tasks DROP COLUMN service_code, DROP COLUMN duplicate_of, DROP COLUMN address,
    DROP COLUMN attributes, DROP COLUMN request_token;
