-- Limits shared by every copy of the service (resident reports, 我也遇到,
-- partner posts, staff uploads): one row per limit and key holding its
-- theoretical arrival time (GCRA). A row whose tat has passed is the same as
-- none; such rows are pruned from time to time.
CREATE UNLOGGED TABLE rate_limits (
    name text NOT NULL,
    key  text NOT NULL,
    tat  timestamptz NOT NULL,
    PRIMARY KEY (name, key)
);

---- create above / drop below ----

DROP TABLE rate_limits;
