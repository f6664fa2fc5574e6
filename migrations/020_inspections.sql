-- Inspection rounds and the cover register (docs/inspections.md).

-- The unit responsible for each cover category (一盖一责任单位), and the crew
-- its cases are dispatched to by default. Admins edit it. The crew is named,
-- not referenced: a default applies only while a crew of that name is active
-- (the demo creates them; elsewhere admins add the units they dispatch to).
CREATE TABLE cover_owners (
    category   text PRIMARY KEY CHECK (category ~ '^01[0-9]{2}$'),
    unit       text NOT NULL CHECK (unit <> '' AND length(unit) <= 100),
    unit_en    text NOT NULL DEFAULT '' CHECK (length(unit_en) <= 100),
    crew       text NOT NULL CHECK (crew <> '' AND length(crew) <= 100),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO cover_owners (category, unit, unit_en, crew) VALUES
    ('0101', '供水公司', 'Water supply company', '供水公司'),
    ('0102', '排水公司', 'Drainage company', '排水公司'),
    ('0103', '排水公司', 'Drainage company', '排水公司'),
    ('0104', '排水公司', 'Drainage company', '排水公司'),
    ('0105', '供电公司', 'Power supply company', '供电公司'),
    ('0106', '路灯管理处', 'Street lighting office', '路灯管理处'),
    ('0107', '通信公司', 'Telecom company', '通信公司'),
    ('0108', '通信公司', 'Telecom company', '通信公司'),
    ('0109', '通信公司', 'Telecom company', '通信公司'),
    ('0110', '热力公司', 'Heating company', '热力公司'),
    ('0111', '燃气公司', 'Gas company', '燃气公司'),
    ('0112', '公安局', 'Public security bureau', '公安局'),
    ('0114', '井盖专项整治组', 'Manhole task force (ownerless covers)', '井盖专项整治组'),
    ('0127', '排水公司', 'Drainage company', '排水公司'),
    ('0129', '燃气公司', 'Gas company', '燃气公司'),
    ('0130', '井盖专项整治组', 'Manhole task force', '井盖专项整治组');

-- What inspection learns of a cover (一井一档案) beyond its attributes and its
-- condition grade (assets.condition_grade, migration 018): its anti-fall net
-- and when it was last inspected. Kept apart from assets so
-- an inspection never bumps the asset's version under an engineer's edit.
CREATE TABLE cover_register (
    asset_id          bigint PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    anti_fall_net     boolean,
    last_inspected_on date,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- A round: which assets (kind and filter), how often, from when.
-- filter (jsonb, every key optional, all must hold):
--   roads, not_roads        attrs->>'road' in / not in the list
--   road_classes            attrs->>'road_class' in the list
--   cover_categories        attrs->>'cover_category' in the list
--   load_classes            attrs->>'load_class' in the list
--   subdistricts            the asset's sub-district in the list
-- area: the asset intersects it.
-- frequency: 'weekly' (ISO weeks, Monday first), 'monthly' (calendar months)
-- or 'days' (every every_days days counted from starts_on).
CREATE TABLE inspection_plans (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    name_en    text NOT NULL DEFAULT '' CHECK (length(name_en) <= 200),
    kind       text NOT NULL CHECK (kind IN ('manhole', 'road_repair')),
    filter     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(filter) = 'object'),
    area       geometry(MultiPolygon, 4326) CHECK (area IS NULL OR ST_IsValid(area)),
    frequency  text NOT NULL CHECK (frequency IN ('days', 'weekly', 'monthly')),
    every_days integer CHECK (every_days BETWEEN 1 AND 366),
    starts_on  date NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CONSTRAINT inspection_plans_every CHECK ((frequency = 'days') = (every_days IS NOT NULL))
);

-- One inspection per plan, asset and period: generating twice, or in two
-- copies at once, makes nothing twice (INSERT … ON CONFLICT DO NOTHING).
-- kind and subdistrict are the asset's at generation, for coverage.
CREATE TABLE inspections (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id      bigint NOT NULL REFERENCES inspection_plans (id) ON DELETE CASCADE,
    asset_id     bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    subdistrict  text NOT NULL DEFAULT '',
    period_start date NOT NULL,
    period_end   date NOT NULL CHECK (period_end >= period_start),
    inspector_id bigint REFERENCES users (id) ON DELETE SET NULL,
    status       text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'done', 'missed')),
    done_at      timestamptz,
    done_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    result       jsonb,
    position     geometry(Point, 4326),
    accuracy_m   real CHECK (accuracy_m >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inspections_once UNIQUE (plan_id, asset_id, period_start),
    CONSTRAINT inspections_done CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX inspections_inspector ON inspections (inspector_id, period_end) WHERE status = 'due';
CREATE INDEX inspections_period ON inspections (period_start, period_end);
-- Coverage reads a month's inspections from this index alone (index-only
-- scan): 1.6 million rows a month at city scale.
CREATE INDEX inspections_coverage ON inspections (period_start, subdistrict, kind, status);
CREATE INDEX inspections_status ON inspections (status, period_end, id);
CREATE INDEX inspections_asset ON inspections (asset_id, period_start);

-- A defect case opened by a failed checklist item: one per item.
ALTER TABLE tasks ADD COLUMN inspection_id bigint REFERENCES inspections (id) ON DELETE SET NULL,
    ADD COLUMN inspection_item text CHECK (length(inspection_item) <= 64);
CREATE UNIQUE INDEX tasks_inspection_item ON tasks (inspection_id, inspection_item) WHERE inspection_id IS NOT NULL;

---- create above / drop below ----

DROP INDEX tasks_inspection_item;
ALTER TABLE tasks DROP COLUMN inspection_item, DROP COLUMN inspection_id;
DROP TABLE inspections;
DROP TABLE inspection_plans;
DROP TABLE cover_register;
DROP TABLE cover_owners;
