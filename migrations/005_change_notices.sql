-- Every change to assets or tasks is announced on the channel
-- inframap_changes, once per statement and kind, with the bounding box it
-- touched, so that every running copy of the service drops exactly the
-- cached tiles and responses it made stale. A bulk load of a million rows
-- sends one notice per kind, not a million.
-- An update touches the old and the new places of what it changed.
CREATE FUNCTION assets_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT x.kind, ST_Extent(x.geom) AS box
        FROM (SELECT kind, geom FROM new_rows UNION ALL SELECT kind, geom FROM old_rows) x
        GROUP BY x.kind
    LOOP
        PERFORM pg_notify('inframap_changes', json_build_object('kind', r.kind,
            'bbox', json_build_array(ST_XMin(r.box), ST_YMin(r.box), ST_XMax(r.box), ST_YMax(r.box)))::text);
    END LOOP;
    RETURN NULL;
END $$;

-- Transition tables need one trigger per event, and a function names the
-- tables it reads: one function for each.
CREATE FUNCTION assets_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT kind, ST_Extent(geom) AS box FROM new_rows GROUP BY kind LOOP
        PERFORM pg_notify('inframap_changes', json_build_object('kind', r.kind,
            'bbox', json_build_array(ST_XMin(r.box), ST_YMin(r.box), ST_XMax(r.box), ST_YMax(r.box)))::text);
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION assets_notify_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT kind, ST_Extent(geom) AS box FROM old_rows GROUP BY kind LOOP
        PERFORM pg_notify('inframap_changes', json_build_object('kind', r.kind,
            'bbox', json_build_array(ST_XMin(r.box), ST_YMin(r.box), ST_XMax(r.box), ST_YMax(r.box)))::text);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER assets_notify_insert AFTER INSERT ON assets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_notify_insert();
CREATE TRIGGER assets_notify_update AFTER UPDATE ON assets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_notify();
CREATE TRIGGER assets_notify_delete AFTER DELETE ON assets REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_notify_delete();

-- Task changes (a due date, a priority) move the report card even when no
-- asset changes.
CREATE FUNCTION tasks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inframap_changes', '{"kind":"tasks"}');
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_notify();

CREATE FUNCTION areas_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inframap_changes', '{"kind":"areas"}');
    RETURN NULL;
END $$;
CREATE TRIGGER areas_notify AFTER INSERT OR UPDATE OR DELETE ON areas
    FOR EACH STATEMENT EXECUTE FUNCTION areas_notify();

---- create above / drop below ----

DROP TRIGGER areas_notify ON areas;
DROP TRIGGER tasks_notify ON tasks;
DROP TRIGGER assets_notify_delete ON assets;
DROP TRIGGER assets_notify_update ON assets;
DROP TRIGGER assets_notify_insert ON assets;
DROP FUNCTION areas_notify, tasks_notify, assets_notify_delete, assets_notify_insert, assets_notify;
