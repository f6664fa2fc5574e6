-- The evaluation (考核评价, docs/evaluation.md): the weights of its rates in
-- the composite score are data in the service's code (internal/evaluation);
-- this table keeps what admins change on top of them.
CREATE TABLE evaluation_weights (
    rate       text PRIMARY KEY CHECK (rate ~ '^[a-z_]{1,40}$'),
    weight     double precision NOT NULL CHECK (weight >= 0 AND weight <= 100),
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A change of weights, and every change of a clock (an extension, a
-- suspension, a step ending), makes cached evaluations stale: both announce
-- themselves on the change feed as tasks do.
CREATE FUNCTION evaluation_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inframap_changes', '{"kind":"tasks"}');
    RETURN NULL;
END $$;
CREATE TRIGGER evaluation_weights_notify AFTER INSERT OR UPDATE OR DELETE ON evaluation_weights
    FOR EACH STATEMENT EXECUTE FUNCTION evaluation_notify();
CREATE TRIGGER task_clocks_notify AFTER INSERT OR UPDATE OR DELETE ON task_clocks
    FOR EACH STATEMENT EXECUTE FUNCTION evaluation_notify();

---- create above / drop below ----

DROP TRIGGER task_clocks_notify ON task_clocks;
DROP TRIGGER evaluation_weights_notify ON evaluation_weights;
DROP FUNCTION evaluation_notify;
DROP TABLE evaluation_weights;
