-- The foundation: PostGIS, the district's areas, assets, tasks and their
-- append-only history.
CREATE EXTENSION IF NOT EXISTS postgis;

-- The district boundary and its sub-districts (街道/镇). Until official
-- boundaries are imported the sub-district zones are approximate.
CREATE TABLE areas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('district', 'subdistrict')),
    name        text NOT NULL CHECK (name <> ''),
    name_en     text NOT NULL DEFAULT '',
    approximate boolean NOT NULL DEFAULT true,
    source      text NOT NULL DEFAULT '',
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    UNIQUE (kind, name)
);
CREATE INDEX areas_geom_idx ON areas USING gist (geom);

-- subdistrict_of names the sub-district a geometry lies in (by a point on its
-- surface), '' outside every zone.
CREATE FUNCTION subdistrict_of(g geometry) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT name FROM areas
                     WHERE kind = 'subdistrict' AND ST_Intersects(geom, ST_PointOnSurface(g))
                     ORDER BY id LIMIT 1), '');
$$;

-- The crews and units tasks are dispatched to; admins keep the list.
CREATE TABLE crews (
    name       text PRIMARY KEY CHECK (name <> '' AND length(name) <= 100),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('road_repair', 'sewer_separation', 'parking_lot',
                                              'parking_space', 'manhole', 'capital_project')),
    code        text NOT NULL UNIQUE CHECK (code <> '' AND length(code) <= 64),
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    name_en     text NOT NULL DEFAULT '' CHECK (length(name_en) <= 200),
    subdistrict text NOT NULL DEFAULT '',
    parent_id   bigint REFERENCES assets (id) ON DELETE RESTRICT,
    attrs       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attrs) = 'object'),
    geom        geometry(Geometry, 4326) NOT NULL,
    -- status and status_at are those of the asset's latest task, kept by the
    -- trigger on tasks below; NULL while the asset has no task.
    status      text CHECK (status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done',
                                       'closed', 'rejected', 'cancelled')),
    status_at   timestamptz,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assets_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    CONSTRAINT assets_geom_range CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180
                                        AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90),
    CONSTRAINT assets_geom_kind CHECK (CASE kind
        WHEN 'road_repair'      THEN GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING')
        WHEN 'sewer_separation' THEN GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON', 'LINESTRING', 'MULTILINESTRING')
        WHEN 'parking_lot'      THEN GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')
        WHEN 'parking_space'    THEN GeometryType(geom) = 'POLYGON'
        WHEN 'manhole'          THEN GeometryType(geom) = 'POINT'
        WHEN 'capital_project'  THEN GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')
    END)
);
CREATE INDEX assets_geom_idx ON assets USING gist (geom);
CREATE INDEX assets_kind_idx ON assets (kind, id);
CREATE INDEX assets_parent_idx ON assets (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX assets_status_idx ON assets (status, id);

CREATE TABLE tasks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- ref is the case number people quote (reports, phone calls, Open311).
    ref              text NOT NULL UNIQUE,
    asset_id         bigint REFERENCES assets (id) ON DELETE RESTRICT,
    programme        text NOT NULL DEFAULT 'routine' CHECK (programme IN ('2023-2024', 'routine')),
    title            text NOT NULL CHECK (title <> '' AND length(title) <= 200),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    work_type        text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'reported'
                     CHECK (status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done',
                                       'closed', 'rejected', 'cancelled')),
    status_at        timestamptz NOT NULL DEFAULT now(),
    priority         text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee         text,
    due_date         date,
    qty_planned      numeric CHECK (qty_planned >= 0),
    qty_done         numeric CHECK (qty_done >= 0),
    qty_unit         text NOT NULL DEFAULT '',
    phase            text CHECK (phase IN ('survey', 'excavation', 'pipe_laying', 'backfill',
                                           'surface_restoration', 'acceptance')),
    percent          smallint CHECK (percent BETWEEN 0 AND 100),
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    source           text NOT NULL CHECK (source IN ('inspector', 'resident', 'engineer', 'import')),
    location         geometry(Point, 4326),
    reporter_name    text NOT NULL DEFAULT '',
    reporter_contact text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    CONSTRAINT tasks_where CHECK (asset_id IS NOT NULL OR location IS NOT NULL)
);
CREATE INDEX tasks_asset_idx ON tasks (asset_id, created_at DESC, id DESC);
CREATE INDEX tasks_status_idx ON tasks (status, id);
CREATE INDEX tasks_location_idx ON tasks USING gist (location);

CREATE FUNCTION tasks_set_ref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ref IS NULL OR NEW.ref = '' THEN
        NEW.ref := 'LY-' || to_char(NEW.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-' || lpad(NEW.id::text, 6, '0');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tasks_set_ref BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_set_ref();

-- An asset's status is that of its latest task.
CREATE FUNCTION assets_sync_status(asset bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE assets a SET status = t.status, status_at = t.status_at
    FROM (SELECT NULL::text AS status, NULL::timestamptz AS status_at
          WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE asset_id = asset)
          UNION ALL
          (SELECT status, status_at FROM tasks WHERE asset_id = asset
           ORDER BY created_at DESC, id DESC LIMIT 1)) t
    WHERE a.id = asset
      AND (a.status IS DISTINCT FROM t.status OR a.status_at IS DISTINCT FROM t.status_at);
$$;

CREATE FUNCTION tasks_sync_asset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.asset_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR OLD.asset_id IS DISTINCT FROM NEW.asset_id) THEN
        PERFORM assets_sync_status(OLD.asset_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.asset_id IS NOT NULL THEN
        PERFORM assets_sync_status(NEW.asset_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_sync_asset AFTER INSERT OR DELETE OR UPDATE OF status, status_at, asset_id ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_sync_asset();

-- The history. Nothing here is ever updated or deleted.
CREATE TABLE task_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE RESTRICT,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint,
    actor       text NOT NULL CHECK (actor <> ''),
    -- The public sees the actor's role, never who it was.
    actor_role  text NOT NULL CHECK (actor_role IN ('admin', 'engineer', 'inspector', 'resident', 'system')),
    from_status text CHECK (from_status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done',
                                            'closed', 'rejected', 'cancelled')),
    to_status   text CHECK (to_status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done',
                                          'closed', 'rejected', 'cancelled')),
    changes     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(changes) = 'object'),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    internal    boolean NOT NULL DEFAULT false
);
CREATE INDEX task_events_task_idx ON task_events (task_id, at, id);
CREATE INDEX task_events_at_idx ON task_events (at);

CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER task_events_append_only BEFORE UPDATE OR DELETE ON task_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER task_events_no_truncate BEFORE TRUNCATE ON task_events
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

---- create above / drop below ----

DROP TABLE task_events;
DROP TABLE tasks;
DROP FUNCTION tasks_sync_asset, assets_sync_status, tasks_set_ref, append_only;
DROP TABLE assets;
DROP TABLE crews;
DROP FUNCTION subdistrict_of;
DROP TABLE areas;
