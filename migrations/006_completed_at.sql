-- When an asset's case of the published programme closed (结案), kept on the
-- asset like its status: lists and filters read a column instead of looking
-- up the asset's tasks row by row.
ALTER TABLE assets ADD COLUMN completed_at timestamptz;

CREATE OR REPLACE FUNCTION assets_sync_status(asset bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE assets a SET status = t.status, status_at = t.status_at, completed_at = c.at
    FROM (SELECT NULL::text AS status, NULL::timestamptz AS status_at
          WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE asset_id = asset)
          UNION ALL
          (SELECT status, status_at FROM tasks WHERE asset_id = asset
           ORDER BY created_at DESC, id DESC LIMIT 1)) t,
         (SELECT min(closed_at) AS at FROM tasks
          WHERE asset_id = asset AND programme = '2023-2024' AND closed_at IS NOT NULL) c
    WHERE a.id = asset
      AND (a.status IS DISTINCT FROM t.status OR a.status_at IS DISTINCT FROM t.status_at
           OR a.completed_at IS DISTINCT FROM c.at);
$$;

DROP TRIGGER tasks_sync_asset ON tasks;
CREATE TRIGGER tasks_sync_asset AFTER INSERT OR DELETE OR UPDATE OF status, status_at, asset_id, closed_at, programme ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_sync_asset();

UPDATE assets a SET completed_at = c.at
FROM (SELECT asset_id, min(closed_at) AS at FROM tasks
      WHERE programme = '2023-2024' AND closed_at IS NOT NULL GROUP BY asset_id) c
WHERE a.id = c.asset_id;

CREATE INDEX assets_completed_idx ON assets (completed_at) WHERE completed_at IS NOT NULL;

---- create above / drop below ----

DROP INDEX assets_completed_idx;
DROP TRIGGER tasks_sync_asset ON tasks;
CREATE TRIGGER tasks_sync_asset AFTER INSERT OR DELETE OR UPDATE OF status, status_at, asset_id ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_sync_asset();
CREATE OR REPLACE FUNCTION assets_sync_status(asset bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE assets a SET status = t.status, status_at = t.status_at
    FROM (SELECT NULL::text AS status, NULL::timestamptz AS status_at
          WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE asset_id = asset)
          UNION ALL
          (SELECT status, status_at FROM tasks WHERE asset_id = asset
           ORDER BY created_at DESC, id DESC LIMIT 1)) t
    WHERE a.id = asset
      AND (a.status IS DISTINCT FROM t.status OR a.status_at IS DISTINCT FROM t.status_at);
$$;
ALTER TABLE assets DROP COLUMN completed_at;
