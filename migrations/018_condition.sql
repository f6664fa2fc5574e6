-- Condition (docs/condition.md): the distresses recorded on road sections,
-- the condition each asset is in now (a road's PCI by CJJ 36 and its grade by
-- road class, a cover's grade from its checklist) and the history of it.
-- The PCI is computed in Go (internal/condition) from the present distresses
-- and stored here with the grade; nothing types a PCI in.

-- road_distresses are the distresses seen on a road section; one is present
-- while repaired_at is NULL. inspection_id names the inspection that recorded
-- it (the inspections table comes with 020; no foreign key across helpers).
CREATE TABLE road_distresses (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id      bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('longitudinal_crack', 'block_crack', 'alligator_crack',
                      'shoving', 'rutting', 'subsidence', 'frost_boiling', 'ravelling', 'pothole',
                      'edge_break', 'frame_step', 'pumping', 'bleeding')),
    severity      text NOT NULL CHECK (severity IN ('light', 'moderate', 'heavy')),
    extent_m2     numeric(12, 2) NOT NULL CHECK (extent_m2 > 0),
    observed_at   timestamptz NOT NULL DEFAULT now(),
    repaired_at   timestamptz CHECK (repaired_at IS NULL OR repaired_at >= observed_at),
    inspection_id bigint,
    recorded_by   text NOT NULL DEFAULT '',
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0)
);
CREATE INDEX road_distresses_asset ON road_distresses (asset_id, id);
CREATE INDEX road_distresses_present ON road_distresses (asset_id) WHERE repaired_at IS NULL;

-- The condition an asset is in now: NULL until something graded it.
ALTER TABLE assets
    ADD COLUMN pci             numeric(4, 1) CHECK (pci BETWEEN 0 AND 100),
    ADD COLUMN condition_grade text CHECK (condition_grade IN ('A', 'B', 'C', 'D')),
    ADD COLUMN condition_at    timestamptz,
    -- condition_score ranks the work list (docs/condition.md), kept by the
    -- triggers below so that the worst come first from an index, not from
    -- sorting a city's million graded covers on every request.
    ADD COLUMN condition_score numeric(5, 1);
CREATE INDEX assets_worklist ON assets (condition_score DESC, id) WHERE condition_grade IS NOT NULL;

-- The work list's score: the deficit (100 − PCI; for a grade without a PCI
-- 0/25/45/70 for A/B/C/D) times the road class's weight (expressway 1.5,
-- arterial 1.25, else 1), plus 5 per open case (at most 4).
CREATE FUNCTION condition_score(pci numeric, grade text, road_class text, open_tasks bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT round(coalesce(100 - pci, CASE grade WHEN 'A' THEN 0 WHEN 'B' THEN 25 WHEN 'C' THEN 45 ELSE 70 END)
                 * CASE road_class WHEN 'expressway' THEN 1.5 WHEN 'arterial' THEN 1.25 ELSE 1 END
                 + 5 * least(open_tasks, 4), 1);
$$;
CREATE FUNCTION asset_open_tasks(asset bigint) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT count(*) FROM tasks WHERE asset_id = asset AND status NOT IN ('closed', 'rejected', 'cancelled');
$$;
-- A change of condition or attributes (the road class) scores the asset again.
CREATE FUNCTION assets_condition_score() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.condition_score := CASE WHEN NEW.condition_grade IS NOT NULL
        THEN condition_score(NEW.pci, NEW.condition_grade, NEW.attrs->>'road_class', asset_open_tasks(NEW.id)) END;
    RETURN NEW;
END $$;
CREATE TRIGGER assets_condition_score BEFORE INSERT OR UPDATE OF pci, condition_grade, attrs ON assets
    FOR EACH ROW EXECUTE FUNCTION assets_condition_score();
-- A case opened, closed or moved scores its graded asset(s) again.
CREATE FUNCTION tasks_condition_score() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.asset_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.asset_id END];
BEGIN
    UPDATE assets SET condition_score = condition_score(pci, condition_grade, attrs->>'road_class', asset_open_tasks(id))
    WHERE id = ANY (ids) AND condition_grade IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_condition_score AFTER INSERT OR DELETE OR UPDATE OF status, asset_id ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_condition_score();

-- condition_history is append-only, like task_events: one row per grading.
CREATE TABLE condition_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id      bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL DEFAULT now(),
    pci           numeric(4, 1) CHECK (pci BETWEEN 0 AND 100),
    grade         text NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
    source        text NOT NULL CHECK (source IN ('distress', 'inspection', 'seed', 'import')),
    inspection_id bigint
);
CREATE INDEX condition_history_asset ON condition_history (asset_id, at, id);
CREATE TRIGGER condition_history_append_only BEFORE UPDATE ON condition_history
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER condition_history_no_truncate BEFORE TRUNCATE ON condition_history
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- Road sections loaded before this migration get their road class by the
-- rule the seed uses: a 大路, 环路 or 公路 at least 20 m wide is an arterial,
-- any other road local (docs/condition.md). Engineers can change it.
UPDATE assets SET attrs = attrs || jsonb_build_object('road_class',
        CASE WHEN attrs->>'road' ~ '(大路|环路|公路)$'
                  AND coalesce((attrs->>'width_m')::numeric, 0) >= 20 THEN 'arterial'
             ELSE 'local' END)
WHERE kind = 'road_repair' AND NOT attrs ? 'road_class'
  AND coalesce(jsonb_typeof(attrs->'width_m'), 'number') = 'number';

---- create above / drop below ----

DROP TABLE condition_history;
DROP TRIGGER tasks_condition_score ON tasks;
DROP TRIGGER assets_condition_score ON assets;
DROP FUNCTION tasks_condition_score, assets_condition_score, asset_open_tasks, condition_score;
ALTER TABLE assets DROP COLUMN pci, DROP COLUMN condition_grade, DROP COLUMN condition_at, DROP COLUMN condition_score;
DROP TABLE road_distresses;
