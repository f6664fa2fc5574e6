-- Holding the work to time (docs/time-limits.md). The published holiday
-- calendar and the default time limits are data in the service's code
-- (internal/workcal, internal/timelimit); these tables keep what admins
-- change on top of them, and the clock of every step of every case.

-- An admin's entry for a day: it replaces the published calendar's (a later
-- year's notice, a local day off).
CREATE TABLE calendar_days (
    day        date PRIMARY KEY CHECK (day BETWEEN '1900-01-01' AND '2199-12-31'),
    kind       text NOT NULL CHECK (kind IN ('working', 'holiday', 'weekend')),
    holiday    text NOT NULL DEFAULT '' CHECK (length(holiday) <= 100),
    holiday_en text NOT NULL DEFAULT '' CHECK (length(holiday_en) <= 100),
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    reason_en  text NOT NULL DEFAULT '' CHECK (length(reason_en) <= 200),
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- An admin's time limit for a case type and step, replacing the default.
-- case_type is a task's work type or service code, 'urgent' for urgent
-- cases without a limit of their own, or '*' for every other case.
CREATE TABLE time_limits (
    case_type  text NOT NULL CHECK (case_type ~ '^([a-z0-9_]{1,64}|\*)$'),
    step       text NOT NULL CHECK (step IN ('file', 'dispatch', 'handle', 'verify')),
    unit       text NOT NULL CHECK (unit IN ('working_hours', 'working_days', 'natural_hours', 'due_date')),
    n          double precision NOT NULL CHECK (n >= 0 AND n <= 100000),
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_type, step),
    CONSTRAINT time_limits_amount CHECK ((unit = 'due_date') = (n = 0))
);

-- One row a step of a case: 立案 (file), 派遣 (dispatch), 处置 (handle, from
-- dispatch to done), 核查 (verify). A case has at most one running clock.
-- The deadline already includes approved extensions and ended suspensions;
-- while a suspension runs (paused_since) the clock stands still.
CREATE TABLE task_clocks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id        bigint NOT NULL REFERENCES tasks (id) ON DELETE RESTRICT,
    step           text NOT NULL CHECK (step IN ('file', 'dispatch', 'handle', 'verify')),
    unit           text NOT NULL CHECK (unit IN ('working_hours', 'working_days', 'natural_hours', 'due_date', 'none')),
    n              double precision NOT NULL DEFAULT 0 CHECK (n >= 0),
    -- The unit the step is held to (处置: the crew or unit dispatched to).
    assignee       text NOT NULL DEFAULT '',
    started_at     timestamptz NOT NULL,
    deadline       timestamptz,
    extended       double precision NOT NULL DEFAULT 0 CHECK (extended >= 0),
    extensions     integer NOT NULL DEFAULT 0 CHECK (extensions >= 0),
    paused_since   timestamptz,
    paused_seconds bigint NOT NULL DEFAULT 0 CHECK (paused_seconds >= 0),
    suspensions    integer NOT NULL DEFAULT 0 CHECK (suspensions >= 0),
    -- A 处置 step started again by a failed verification (返工).
    rework         boolean NOT NULL DEFAULT false,
    ended_at       timestamptz,
    outcome        text CHECK (outcome IN ('passed', 'handed_back', 'rework', 'rejected', 'cancelled')),
    late           boolean,
    CONSTRAINT task_clocks_end CHECK ((ended_at IS NULL) = (outcome IS NULL) AND (ended_at IS NULL OR paused_since IS NULL)),
    CONSTRAINT task_clocks_order CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX task_clocks_running_idx ON task_clocks (task_id) WHERE ended_at IS NULL;
CREATE INDEX task_clocks_task_idx ON task_clocks (task_id, started_at, id);
CREATE INDEX task_clocks_deadline_idx ON task_clocks (deadline, task_id) WHERE ended_at IS NULL;
CREATE INDEX task_clocks_started_idx ON task_clocks (started_at);

-- Extension (延期) and suspension (挂账) requests, made for a unit and
-- decided by an engineer.
CREATE TABLE clock_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id       bigint NOT NULL REFERENCES tasks (id) ON DELETE RESTRICT,
    clock_id      bigint NOT NULL REFERENCES task_clocks (id) ON DELETE RESTRICT,
    kind          text NOT NULL CHECK (kind IN ('extension', 'suspension')),
    n             double precision NOT NULL DEFAULT 0 CHECK (n >= 0 AND n <= 100000),
    reason        text NOT NULL CHECK (reason <> '' AND length(reason) <= 1000),
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decision      text CHECK (decision IN ('approved', 'refused', 'withdrawn')),
    decided_by    text,
    decided_at    timestamptz,
    decision_note text NOT NULL DEFAULT '' CHECK (length(decision_note) <= 1000),
    -- When an approved suspension ended (the clock runs again).
    ended_at      timestamptz,
    CONSTRAINT clock_requests_amount CHECK ((kind = 'extension') = (n > 0)),
    CONSTRAINT clock_requests_decided CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX clock_requests_task_idx ON clock_requests (task_id, requested_at);
CREATE UNIQUE INDEX clock_requests_pending_idx ON clock_requests (clock_id, kind) WHERE decision IS NULL;

---- create above / drop below ----

DROP TABLE clock_requests;
DROP TABLE task_clocks;
DROP TABLE time_limits;
DROP TABLE calendar_days;
