-- Photos that prove the work, and the idempotency keys that make retried
-- uploads land once. Photo bytes live in the blob store; a row is written
-- only after its blobs, so no row ever points at missing bytes.
CREATE TABLE photos (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id         bigint REFERENCES tasks (id),
    asset_id        bigint REFERENCES assets (id),
    stage           text NOT NULL CHECK (stage IN ('before', 'during', 'after', 'report')),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type      text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes           bigint NOT NULL CHECK (bytes > 0),
    width           integer NOT NULL CHECK (width > 0),
    height          integer NOT NULL CHECK (height > 0),
    original_key    text NOT NULL,
    display_key     text NOT NULL,
    thumb_key       text NOT NULL,
    taken_at        timestamptz,
    location        geometry(Point, 4326),
    location_source text CHECK (location_source IN ('exif', 'device')),
    accuracy_m      real CHECK (accuracy_m >= 0),
    distance_m      real CHECK (distance_m >= 0),
    far_from_asset  boolean NOT NULL DEFAULT false,
    exif            jsonb NOT NULL DEFAULT '{}',
    uploader_id     bigint REFERENCES users (id),
    uploader_role   text NOT NULL CHECK (uploader_role IN ('admin', 'engineer', 'inspector', 'resident')),
    visible         boolean NOT NULL DEFAULT true,
    hidden_reason   text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT photos_subject CHECK (task_id IS NOT NULL OR asset_id IS NOT NULL),
    CONSTRAINT photos_location CHECK ((location IS NULL) = (location_source IS NULL))
);
-- The same bytes twice to the same task (or asset) are one photo.
CREATE UNIQUE INDEX photos_task_sha_idx ON photos (task_id, sha256) WHERE task_id IS NOT NULL;
CREATE UNIQUE INDEX photos_asset_sha_idx ON photos (asset_id, sha256) WHERE task_id IS NULL;
CREATE INDEX photos_asset_idx ON photos (asset_id) WHERE asset_id IS NOT NULL;
CREATE INDEX photos_sha_idx ON photos (sha256);

-- A write retried with the same Idempotency-Key returns the first answer.
-- Keys are scoped to the caller and the endpoint and kept at least 24 h.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,
    status       integer NOT NULL,
    -- The exact bytes of the first answer, replayed as they were.
    response     bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

---- create above / drop below ----

DROP TABLE idempotency_keys;
DROP TABLE photos;
