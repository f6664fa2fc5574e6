package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

// Reports closer than these to an asset or to an open report of the same
// service are linked to it.
const (
	assetLinkMetres     = 25
	duplicateLinkMetres = 30
)

// CreateRequest files a resident's report as a task in state reported. It is
// linked to the nearest asset of the service's kind within 25 m, and to an
// open request of the same service within 30 m as its duplicate. Reports of
// one service are filed one at a time, so two reports of the same pothole a
// moment apart still find each other.
func (db *DB) CreateRequest(ctx context.Context, v maint.Viewer, svc maint.Service, in maint.NewRequest) (*maint.ServiceRequest, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "create request")
	}
	defer tx.Rollback(ctx)
	_, ref, err := db.createRequest(ctx, tx, v, svc, in)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "create request")
	}
	db.changed(ctx)
	return db.requestByRef(ctx, ref)
}

func (db *DB) requestByRef(ctx context.Context, ref string) (*maint.ServiceRequest, error) {
	reqs, err := db.ServiceRequests(ctx, maint.RequestFilter{Refs: []string{ref}})
	if err != nil || len(reqs) == 0 {
		return nil, translate(err, "read back request %s", ref)
	}
	return &reqs[0], nil
}

// reportOutcome is what a resident's report made, kept with its
// idempotency key.
type reportOutcome struct {
	Request *maint.ServiceRequest
	Photo   *maint.Photo
}

// CreateReport files a resident's report from the map with its photo, in
// one transaction with its idempotency key: a report and its photo arrive
// together or not at all, and a retry gets them as the first try made them. The photo
// stays hidden until an engineer files the report.
func (db *DB) CreateReport(ctx context.Context, v maint.Viewer, svc maint.Service, in maint.NewRequest, np *maint.NewPhoto,
	idem *maint.Idempotency) (*maint.ServiceRequest, *maint.Photo, bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, nil, false, translate(err, "create report")
	}
	defer tx.Rollback(ctx)
	var first reportOutcome
	if ok, err := replay(ctx, tx, idem, &first); err != nil || ok {
		return first.Request, first.Photo, ok, err
	}
	id, ref, err := db.createRequest(ctx, tx, v, svc, in)
	if err != nil {
		return nil, nil, false, err
	}
	var photo *maint.Photo
	if np != nil {
		np.TaskID = &id
		np.Visible = false
		if photo, err = addPhoto(ctx, tx, v, *np); err != nil {
			return nil, nil, false, err
		}
	}
	reqs, err := serviceRequests(ctx, tx, maint.RequestFilter{Refs: []string{ref}})
	if err != nil || len(reqs) == 0 {
		return nil, nil, false, translate(err, "create report")
	}
	if err := remember(ctx, tx, idem, reportOutcome{&reqs[0], photo}); err != nil {
		return nil, nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, nil, false, translate(err, "create report")
	}
	db.changed(ctx)
	return &reqs[0], photo, false, nil
}

// createRequest files a request in tx.
func (db *DB) createRequest(ctx context.Context, tx pgx.Tx, v maint.Viewer, svc maint.Service, in maint.NewRequest) (int64, string, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('service_request:' || $1))`, svc.Code); err != nil {
		return 0, "", translate(err, "create request")
	}
	if db.checkBoundary {
		var inside *bool
		if err := tx.QueryRow(ctx, `SELECT ST_Covers(ST_Union(geom), ST_SetSRID(ST_MakePoint($1, $2), 4326)) FROM areas WHERE kind = 'district'`,
			in.Lon, in.Lat).Scan(&inside); err != nil {
			return 0, "", translate(err, "create request")
		}
		if inside != nil && !*inside {
			return 0, "", maint.InvalidAs("lat", "location_outside", nil, "the location %.5f, %.5f is outside the district this service covers", in.Lat, in.Lon)
		}
	}
	var asset *int64
	err := tx.QueryRow(ctx, `
		WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS pt)
		SELECT a.id FROM assets a, p
		WHERE a.kind = $3 AND a.geom && ST_Expand(p.pt, 0.001)
		  AND ST_DWithin(a.geom::geography, p.pt::geography, $4)
		ORDER BY ST_Distance(a.geom::geography, p.pt::geography), a.id LIMIT 1`,
		in.Lon, in.Lat, string(svc.Kind), assetLinkMetres).Scan(&asset)
	if err != nil && err != pgx.ErrNoRows {
		return 0, "", translate(err, "create request: nearest asset")
	}
	var dupID *int64
	var dupRef string
	err = tx.QueryRow(ctx, `
		WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS pt)
		SELECT t.id, t.ref FROM tasks t, p
		WHERE t.service_code = $3 AND t.status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done')
		  AND t.location && ST_Expand(p.pt, 0.001)
		  AND ST_DWithin(t.location::geography, p.pt::geography, $4)
		ORDER BY coalesce(t.duplicate_of, t.id), t.id LIMIT 1`,
		in.Lon, in.Lat, svc.Code, duplicateLinkMetres).Scan(&dupID, &dupRef)
	if err != nil && err != pgx.ErrNoRows {
		return 0, "", translate(err, "create request: duplicates")
	}
	attrs, err := json.Marshal(in.Attributes)
	if err != nil || in.Attributes == nil {
		attrs = []byte("{}")
	}
	token := rand.Text()
	var id int64
	var ref string
	err = tx.QueryRow(ctx, `
		INSERT INTO tasks (asset_id, location, programme, title, description, work_type, source,
		                   reporter_name, reporter_contact, service_code, duplicate_of, address, attributes, request_token)
		VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), 'routine', $4, $5, 'service_request', $6,
		        $7, $8, $9, $10, $11, $12, $13) RETURNING id, ref`,
		asset, in.Lon, in.Lat, svc.Name, in.Description, string(orDefault(in.Source, maint.SourceResident)),
		in.Reporter, in.Contact, svc.Code, dupID, in.Address, attrs, token).Scan(&id, &ref)
	if err != nil {
		return 0, "", translate(err, "create request")
	}
	to := maint.StatusReported
	note := "居民上报：" + svc.Name
	if dupRef != "" {
		note += "（疑似重复，已关联 " + dupRef + "）"
	}
	if err := writeEvent(ctx, tx, v, id, nil, &to, nil, note, false); err != nil {
		return 0, "", err
	}
	if err := db.startNewClock(ctx, tx, id); err != nil {
		return 0, "", err
	}
	if in.Email != "" {
		if err := followOwnReport(ctx, tx, id, in.Email, in.Lang, in.IP); err != nil {
			return 0, "", err
		}
	}
	return id, ref, nil
}

// ServiceRequests lists the tasks filed as service requests, newest first.
// Only public fields: the last public note is the status notes.
func (db *DB) ServiceRequests(ctx context.Context, f maint.RequestFilter) ([]maint.ServiceRequest, error) {
	return serviceRequests(ctx, db.pool, f)
}

// querier runs queries on a pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func serviceRequests(ctx context.Context, db querier, f maint.RequestFilter) ([]maint.ServiceRequest, error) {
	var q query
	q.and("t.service_code IS NOT NULL")
	if len(f.Refs) > 0 {
		q.and("t.ref = ANY(" + q.arg(f.Refs) + ")")
	}
	if len(f.ServiceCode) > 0 {
		q.and("t.service_code = ANY(" + q.arg(f.ServiceCode) + ")")
	}
	if f.From != nil {
		q.and("t.created_at >= " + q.arg(*f.From))
	}
	if f.To != nil {
		q.and("t.created_at <= " + q.arg(*f.To))
	}
	if f.UpdatedAfter != nil {
		q.and("t.updated_at > " + q.arg(*f.UpdatedAfter))
	}
	if f.UpdatedBefore != nil {
		q.and("t.updated_at < " + q.arg(*f.UpdatedBefore))
	}
	if f.Filed {
		q.and("t.status <> 'reported'")
	}
	if b := f.BBox; b != nil {
		q.and("ST_Intersects(coalesce(t.location, a.geom), ST_MakeEnvelope(" + q.arg(b.MinLon) + ", " + q.arg(b.MinLat) + ", " +
			q.arg(b.MaxLon) + ", " + q.arg(b.MaxLat) + ", 4326))")
	}
	switch f.Status {
	case "open":
		q.and("t.status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done')")
	case "closed":
		q.and("t.status IN ('closed', 'rejected', 'cancelled')")
	}
	limit := f.Limit
	if limit <= 0 || limit > maint.MaxLimit {
		limit = maint.MaxLimit
	}
	rows, err := db.Query(ctx, `
		SELECT t.id, t.ref, coalesce(t.request_token, ''), t.service_code, t.status, t.description,
		       coalesce(t.assignee, ''), t.created_at, t.updated_at, t.due_date, t.address,
		       coalesce(ST_X(t.location), ST_X(ST_PointOnSurface(a.geom))), coalesce(ST_Y(t.location), ST_Y(ST_PointOnSurface(a.geom))),
		       t.asset_id, coalesce(d.ref, ''),
		       coalesce((SELECT e.note FROM task_events e WHERE e.task_id = t.id AND NOT e.internal AND e.note <> ''
		                 ORDER BY e.at DESC, e.id DESC LIMIT 1), ''),
		       (SELECT p.id FROM photos p WHERE p.task_id = t.id AND p.visible ORDER BY p.id LIMIT 1), t.supports,
		       EXISTS (SELECT 1 FROM report_feedback f WHERE f.task_id = t.id AND f.closed_at = t.closed_at),
		       m.note, m.at,
		       ARRAY(SELECT p.hidden_reason FROM photos p WHERE p.task_id = t.id AND p.hidden_reason <> '' ORDER BY p.id)
		FROM tasks t
		LEFT JOIN LATERAL (SELECT e.note, e.at FROM task_events e
		                   WHERE e.task_id = t.id AND NOT e.internal AND (e.changes ? 'title' OR e.changes ? 'description')
		                   ORDER BY e.at DESC, e.id DESC LIMIT 1) m ON true LEFT JOIN assets a ON a.id = t.asset_id LEFT JOIN tasks d ON d.id = t.duplicate_of`+
		q.whereClause()+` ORDER BY t.created_at DESC, t.id DESC LIMIT `+q.arg(limit), q.args...)
	if err != nil {
		return nil, translate(err, "service requests")
	}
	reqs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.ServiceRequest, error) {
		var r maint.ServiceRequest
		var status string
		var due *time.Time
		var moderated *string
		err := row.Scan(&r.ID, &r.Ref, &r.Token, &r.ServiceCode, &status, &r.Description, &r.Agency, &r.RequestedAt,
			&r.UpdatedAt, &due, &r.Address, &r.Lon, &r.Lat, &r.AssetID, &r.DuplicateOf, &r.StatusNotes, &r.PhotoID, &r.Supports, &r.Answered, &moderated, &r.ModeratedAt, &r.HiddenPhotos)
		r.Moderated = deref(moderated)
		r.Status, r.ExpectedAt = maint.Status(status), due
		return r, err
	})
	return reqs, translate(err, "service requests")
}

// RequestByToken finds a request by the token given when it was posted.
func (db *DB) RequestByToken(ctx context.Context, token string) (string, error) {
	var ref string
	err := db.pool.QueryRow(ctx, `SELECT ref FROM tasks WHERE request_token = $1`, token).Scan(&ref)
	return ref, translate(err, "token")
}

// CheckAPIKey returns the name of the partner system a key belongs to.
func (db *DB) CheckAPIKey(ctx context.Context, key string) (string, error) {
	var name string
	err := db.pool.QueryRow(ctx, `SELECT name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, hashSecret(key)).Scan(&name)
	if err != nil {
		if maint.ErrorCode(translate(err, "")) == maint.CodeNotFound {
			return "", maint.Errorf(maint.CodeForbidden, "the api_key is not valid")
		}
		return "", translate(err, "api key")
	}
	return name, nil
}

// CreateAPIKey issues a key for a partner system; the secret is shown once.
func (db *DB) CreateAPIKey(ctx context.Context, v maint.Viewer, name string) (string, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return "", translate(err, "api key")
	}
	defer tx.Rollback(ctx)
	secret, hash := newSecret("imk_")
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO api_keys (name, key_hash) VALUES ($1, $2) RETURNING id`, name, hash).Scan(&id); err != nil {
		return "", translate(err, "api key")
	}
	if err := audit(ctx, tx, v, "", "api_key.created", "api_key", &id, map[string]string{"name": name}); err != nil {
		return "", err
	}
	return secret, translate(tx.Commit(ctx), "api key")
}

// ErasePersonalData blanks the reporter's name and contact details of tasks
// closed (or rejected, or cancelled) longer ago than retention, keeping the
// record of the work itself. It returns how many tasks it cleaned.
func (db *DB) ErasePersonalData(ctx context.Context, retention time.Duration) (int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "erase personal data")
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `
		UPDATE tasks SET reporter_name = '', reporter_contact = ''
		WHERE status IN ('closed', 'rejected', 'cancelled') AND status_at < now() - $1::interval
		  AND (reporter_name <> '' OR reporter_contact <> '')`, retention.String())
	if err != nil {
		return 0, translate(err, "erase personal data")
	}
	if tag.RowsAffected() > 0 {
		if err := audit(ctx, tx, maint.Viewer{Email: "inframap"}, "", "privacy.erased", "task", nil,
			map[string]any{"tasks": tag.RowsAffected(), "retention": retention.String()}); err != nil {
			return 0, err
		}
	}
	return tag.RowsAffected(), translate(tx.Commit(ctx), "erase personal data")
}
