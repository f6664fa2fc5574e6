-- The condition (018) made pci, condition_grade, condition_at and
-- condition_score computed properties of an asset, and completed_at was one
-- already; the cover register (020) made owner_unit, anti_fall_net and
-- last_inspected_on properties of a cover, which an import reads into
-- cover_register; none may be an attribute any more (maint.reservedAttrs),
-- since an attribute of that name would write the property twice into
-- GeoJSON. An attribute of one of these
-- names that an earlier import stored is kept under <name>_imported, the
-- asset's version bumped (ETags and tiles renew) and the change audited.
WITH moved AS (
    SELECT a.id,
           (SELECT jsonb_object_agg(k, k || '_imported')
              FROM unnest(ARRAY['pci', 'condition_grade', 'condition_at', 'condition_score', 'completed_at',
                           'owner_unit', 'anti_fall_net', 'last_inspected_on']) k
             WHERE a.attrs ? k) AS renamed
      FROM assets a
     WHERE a.attrs ?| ARRAY['pci', 'condition_grade', 'condition_at', 'condition_score', 'completed_at',
                           'owner_unit', 'anti_fall_net', 'last_inspected_on']
), updated AS (
    UPDATE assets a
       SET attrs = (SELECT jsonb_object_agg(CASE WHEN m.renamed ? e.key THEN m.renamed ->> e.key ELSE e.key END, e.value)
                      FROM jsonb_each(a.attrs) e),
           version = a.version + 1, updated_at = now()
      FROM moved m
     WHERE m.id = a.id
    RETURNING a.id, m.renamed
)
INSERT INTO audit_events (actor, action, subject_type, subject_id, details)
SELECT 'migration 021', 'asset.updated', 'asset', id, jsonb_build_object('attrs_renamed', renamed)
  FROM updated;

---- create above / drop below ----

-- Nothing to undo: the renamed attributes keep their values under their new names.
