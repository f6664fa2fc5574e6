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
    ADD COLUMN condition_at    timestamptz;
CREATE INDEX assets_condition ON assets (condition_grade, pci) WHERE condition_grade IS NOT NULL;

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
ALTER TABLE assets DROP COLUMN pci, DROP COLUMN condition_grade, DROP COLUMN condition_at;
DROP TABLE road_distresses;
