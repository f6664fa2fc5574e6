package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

const photoColumns = `p.id, p.task_id, p.asset_id, p.stage, p.sha256, p.media_type, p.bytes, p.width, p.height,
	p.original_key, p.display_key, p.thumb_key, p.taken_at, ST_X(p.location), ST_Y(p.location), coalesce(p.location_source, ''),
	p.accuracy_m::float8, p.distance_m::float8, p.far_from_asset, p.exif, p.uploader_role, p.visible, p.hidden_reason, p.created_at`

func scanPhoto(row pgx.Row, p *maint.Photo) error {
	var stage string
	err := row.Scan(&p.ID, &p.TaskID, &p.AssetID, &stage, &p.SHA256, &p.MediaType, &p.Bytes, &p.Width, &p.Height,
		&p.OriginalKey, &p.DisplayKey, &p.ThumbKey, &p.TakenAt, &p.Lon, &p.Lat, &p.LocationSource,
		&p.AccuracyM, &p.DistanceM, &p.FarFromAsset, &p.EXIF, &p.UploaderRole, &p.Visible, &p.HiddenReason, &p.CreatedAt)
	p.Stage = maint.Stage(stage)
	return err
}

// AddPhoto records a photo whose blobs are written, with its distance from
// the asset it shows, in one transaction with its idempotency key. A retry
// with the key gets the photo as the first try recorded it (replayed); the
// same bytes sent again to the same task or asset are found, not stored
// twice.
func (db *DB) AddPhoto(ctx context.Context, v maint.Viewer, np maint.NewPhoto, idem *maint.Idempotency) (photo *maint.Photo, replayed bool, err error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, false, translate(err, "add photo")
	}
	defer tx.Rollback(ctx)
	var first maint.Photo
	if ok, err := replay(ctx, tx, idem, &first); err != nil || ok {
		return &first, ok, err
	}
	p, err := addPhoto(ctx, tx, v, np)
	if err != nil {
		return nil, false, err
	}
	if err := remember(ctx, tx, idem, p); err != nil {
		return nil, false, err
	}
	return p, false, translate(tx.Commit(ctx), "add photo")
}

func addPhoto(ctx context.Context, tx pgx.Tx, v maint.Viewer, np maint.NewPhoto) (*maint.Photo, error) {
	role := string(v.Role)
	var uploader *int64
	if v.Staff() {
		uploader = &v.UserID
	} else {
		role = "resident"
	}
	var id int64
	err := tx.QueryRow(ctx, `
		WITH target AS (
			SELECT coalesce((SELECT a.geom FROM tasks t JOIN assets a ON a.id = t.asset_id WHERE t.id = $1),
			                (SELECT t.location FROM tasks t WHERE t.id = $1),
			                (SELECT a.geom FROM assets a WHERE a.id = $2)) AS geom
		), pt AS (
			SELECT CASE WHEN $13::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint($13, $14), 4326) END AS geom
		)
		INSERT INTO photos (task_id, asset_id, stage, sha256, media_type, bytes, width, height, original_key, display_key,
		                    thumb_key, taken_at, location, location_source, accuracy_m, distance_m, far_from_asset,
		                    exif, uploader_id, uploader_role, visible)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, pt.geom, $15, $16,
		       ST_Distance(target.geom::geography, pt.geom::geography),
		       coalesce(ST_Distance(target.geom::geography, pt.geom::geography) > $17, false),
		       $18, $19, $20, $21
		FROM target, pt
		ON CONFLICT DO NOTHING
		RETURNING id`,
		np.TaskID, np.AssetID, string(np.Stage), np.SHA256, np.MediaType, np.Bytes, np.Width, np.Height,
		np.OriginalKey, np.DisplayKey, np.ThumbKey, np.TakenAt, np.Lon, np.Lat, nullIfEmpty(np.LocationSource), np.AccuracyM,
		np.FarMetres, orJSON(np.EXIF), uploader, role, np.Visible).Scan(&id)
	duplicate := false
	if errors.Is(err, pgx.ErrNoRows) {
		// These bytes are already stored for this task or asset.
		duplicate = true
		err = tx.QueryRow(ctx, `SELECT id FROM photos WHERE sha256 = $1 AND
			(task_id = $2 OR $2::bigint IS NULL AND task_id IS NULL AND asset_id = $3)`, np.SHA256, np.TaskID, np.AssetID).Scan(&id)
	}
	if err != nil {
		return nil, translate(err, "add photo")
	}
	var p maint.Photo
	if err := scanPhoto(tx.QueryRow(ctx, `SELECT `+photoColumns+` FROM photos p WHERE p.id = $1`, id), &p); err != nil {
		return nil, translate(err, "add photo")
	}
	p.Duplicate = duplicate
	return &p, nil
}

func orJSON(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

// Photo returns one photo's metadata.
func (db *DB) Photo(ctx context.Context, id int64) (*maint.Photo, error) {
	var p maint.Photo
	err := scanPhoto(db.pool.QueryRow(ctx, `SELECT `+photoColumns+` FROM photos p WHERE p.id = $1`, id), &p)
	return &p, translate(err, "photo %d", id)
}

// Photos lists the photos of a task or of an asset (with its tasks'),
// oldest first; the public sees only visible ones.
func (db *DB) Photos(ctx context.Context, taskID, assetID *int64, v maint.Viewer) ([]maint.Photo, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+photoColumns+` FROM photos p
		WHERE (p.task_id = $1 OR p.asset_id = $2 OR p.task_id IN (SELECT id FROM tasks WHERE asset_id = $2))
		  AND (p.visible OR $3)
		ORDER BY p.created_at, p.id`, taskID, assetID, v.Staff())
	if err != nil {
		return nil, translate(err, "photos")
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.Photo, error) {
		var p maint.Photo
		return p, scanPhoto(row, &p)
	})
	return ps, translate(err, "photos")
}

// SetPhotoVisible shows or hides a photo, audited.
func (db *DB) SetPhotoVisible(ctx context.Context, v maint.Viewer, ip string, id int64, visible bool, reason string) (*maint.Photo, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "photo visibility")
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE photos SET visible = $2, hidden_reason = CASE WHEN $2 THEN '' ELSE $3 END WHERE id = $1`, id, visible, reason)
	if err != nil {
		return nil, translate(err, "photo visibility")
	}
	if tag.RowsAffected() == 0 {
		return nil, maint.Errorf(maint.CodeNotFound, "photo %d: not found", id)
	}
	if err := audit(ctx, tx, v, ip, "photo.visibility", "photo", &id, map[string]any{"visible": visible, "reason": reason}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "photo visibility")
	}
	return db.Photo(ctx, id)
}

// PhotoReferenced reports whether any photo row uses a content hash: the
// garbage collector keeps the blobs of those.
func (db *DB) PhotoReferenced(ctx context.Context, sha string) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1)`, sha).Scan(&ok)
	return ok, translate(err, "photo reference")
}
