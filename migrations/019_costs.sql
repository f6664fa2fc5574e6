-- Costs (docs/costs.md): each task's estimated and actual cost lines, in
-- integer fen, and the budgets of the programmes and projects they count
-- against.
--
-- Lines are append-only: a change supersedes the task's lines in force
-- (superseded_at, set once) and records the new ones (recorded_at), so the
-- lines in force at any past instant T — recorded_at <= T and not superseded
-- by T — are what the roll-ups showed "as of" T, whatever came after.
CREATE TABLE cost_lines (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id        bigint NOT NULL REFERENCES tasks (id) ON DELETE RESTRICT,
    position       smallint NOT NULL CHECK (position >= 0),
    kind           text NOT NULL CHECK (kind IN ('estimate', 'actual')),
    category       text NOT NULL CHECK (category IN ('labour', 'materials', 'equipment')),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    -- The quantity in thousandths (labour: hours; 2.25 h = 2250) and the
    -- price of one unit in fen (labour: the rate per hour); both NULL for a
    -- lump amount. The amount is their product rounded half up to the fen.
    quantity_milli bigint CHECK (quantity_milli >= 0),
    unit           text NOT NULL DEFAULT '' CHECK (length(unit) <= 20),
    unit_price_fen bigint CHECK (unit_price_fen >= 0),
    amount_fen     bigint NOT NULL CHECK (amount_fen >= 0 AND amount_fen <= 1000000000000),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    recorded_by    text NOT NULL CHECK (recorded_by <> ''),
    superseded_at  timestamptz CHECK (superseded_at >= recorded_at),
    CONSTRAINT cost_lines_priced CHECK ((quantity_milli IS NULL) = (unit_price_fen IS NULL)),
    CONSTRAINT cost_lines_labour CHECK (category <> 'labour' OR quantity_milli IS NOT NULL),
    CONSTRAINT cost_lines_amount CHECK (quantity_milli IS NULL
        OR amount_fen = round(quantity_milli::numeric * unit_price_fen / 1000))
);
-- The lines in force, read by the task and summed by the roll-ups (an
-- index-only scan of what a roll-up "now" reads).
CREATE INDEX cost_lines_task_idx ON cost_lines (task_id, position) INCLUDE (kind, amount_fen) WHERE superseded_at IS NULL;
CREATE INDEX cost_lines_history_idx ON cost_lines (task_id, recorded_at);
CREATE INDEX cost_lines_recorded_idx ON cost_lines (recorded_at) INCLUDE (task_id, kind, amount_fen, superseded_at);

-- A line is never changed or removed, only superseded (once).
CREATE FUNCTION cost_lines_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
       AND (to_jsonb(NEW) - 'superseded_at') = (to_jsonb(OLD) - 'superseded_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cost_lines are append-only: a line is only ever superseded' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER cost_lines_append_only BEFORE UPDATE OR DELETE ON cost_lines
    FOR EACH ROW EXECUTE FUNCTION cost_lines_append_only();
CREATE TRIGGER cost_lines_no_truncate BEFORE TRUNCATE ON cost_lines
    FOR EACH STATEMENT EXECUTE FUNCTION cost_lines_append_only();

-- The budgets: one per programme (tasks.programme) and one per capital
-- project (a capital_project asset, by its code). A task counts against
-- its programme's budget, and also against a project's when its asset is
-- the project, a part of it (parent_id), or lies within its area (a point
-- on the asset's surface, or the task's own location, inside the
-- project's polygon). budget_fen NULL: no budget set (not published).
CREATE TABLE cost_budgets (
    key         text PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9._-]{1,64}$'),
    scope       text NOT NULL CHECK (scope IN ('programme', 'project')),
    programme   text UNIQUE CHECK (programme IN ('2023-2024', 'routine')),
    asset_code  text UNIQUE,
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    name_en     text NOT NULL DEFAULT '' CHECK (length(name_en) <= 200),
    budget_fen  bigint CHECK (budget_fen >= 0),
    period_from date,
    period_to   date CHECK (period_to >= period_from),
    source      text NOT NULL DEFAULT '',
    sort        smallint NOT NULL DEFAULT 0,
    updated_by  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'programme') = (programme IS NOT NULL)),
    CHECK ((scope = 'project') = (asset_code IS NOT NULL))
);

-- The district's programmes. The published report gives no budget for the
-- 2023–2024 programme as a whole nor for routine work: those stay unset
-- until an admin sets them. The Xihu North project's investment is
-- published: 9,248.78万元 = 92,487,800 元 = 9,248,780,000 fen.
INSERT INTO cost_budgets (key, scope, programme, asset_code, name, name_en, budget_fen, period_from, period_to, source, sort) VALUES
    ('2023-2024', 'programme', '2023-2024', NULL, '2023–2024 年度计划', '2023–2024 programme', NULL,
     '2023-01-01', '2024-12-31', '', 1),
    ('routine', 'programme', 'routine', NULL, '日常维护', 'Routine maintenance', NULL, NULL, NULL, '', 2),
    ('XHB-1-1', 'project', NULL, 'XHB-1-1', '西湖北一地块城市市政道路及给排水管网配套工程(一期)',
     'Xihu North Plot 1 municipal roads, water supply and drainage works (phase 1)', 9248780000,
     '2023-01-01', '2024-06-30', '绿园区两年工作报告：投资9,248.78万元', 3);

-- A budget's change makes cached roll-ups stale: it announces itself on
-- the change feed as tasks do (evaluation_notify, migration 011). A cost
-- change needs no trigger of its own: it raises its task's version.
CREATE TRIGGER cost_budgets_notify AFTER INSERT OR UPDATE OR DELETE ON cost_budgets
    FOR EACH STATEMENT EXECUTE FUNCTION evaluation_notify();

---- create above / drop below ----

DROP TRIGGER cost_budgets_notify ON cost_budgets;
DROP TABLE cost_budgets;
DROP TABLE cost_lines;
DROP FUNCTION cost_lines_append_only;
