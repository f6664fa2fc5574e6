package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// writeTask answers a task with its ETag.
func (s *Server) writeTask(w http.ResponseWriter, r *http.Request, status int, t *maint.Task) {
	w.Header().Set("ETag", etag(t.Version))
	w.Header().Set("Cache-Control", "no-cache")
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/tasks/"+strconv.FormatInt(t.ID, 10))
	}
	httpx.WriteJSON(w, r, status, taskView(t, httpx.ViewerOf(r)))
}

// listTasks serves GET /api/v1/tasks.
func (s *Server) listTasks() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f, cursor, err := taskFilter(r)
		if err != nil {
			return err
		}
		v := httpx.ViewerOf(r)
		tasks := []taskJSON{}
		var last int64
		more, err := s.store.ListTasks(r.Context(), f, v, func(t *maint.Task) error {
			tasks = append(tasks, taskView(t, v))
			last = t.ID
			return nil
		})
		if f.Positional() {
			last = f.After + int64(len(tasks)) // a position, not an id
		}
		if err != nil {
			return err
		}
		links := httpx.PageLinks(r, s.cfg.PublicURL, cursor, more, func() string { return httpx.EncodeCursor(last) })
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"tasks": tasks, "numberReturned": len(tasks), "links": links})
		return nil
	})
}

// taskFilter reads the query of GET /api/v1/tasks, and the cursor it was
// given.
func taskFilter(r *http.Request) (f maint.TaskFilter, cursor string, err error) {
	p, err := httpx.ReadParams(r, "status", "kind", "assignee", "overdue", "bbox", "asset", "programme", "source", "q", "order", "near", "limit", "cursor")
	if err != nil {
		return f, "", err
	}
	if f.Statuses, err = p.Statuses("status"); err != nil {
		return f, "", err
	}
	if f.Kinds, err = p.Kinds("kind"); err != nil {
		return f, "", err
	}
	f.Assignee = p.Str("assignee")
	if o := p.Str("overdue"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			return f, "", maint.Invalid("overdue", "overdue must be true or false, got %q", o)
		}
		f.Overdue = &b
	}
	if f.BBox, err = p.BBox(); err != nil {
		return f, "", err
	}
	if f.AssetID, err = p.ID("asset", "an asset"); err != nil {
		return f, "", err
	}
	if err := taskKindOfWork(p, &f); err != nil {
		return f, "", err
	}
	if f.Limit, err = p.Limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
		return f, "", err
	}
	if f.After, err = p.Cursor(); err != nil {
		return f, "", err
	}
	return f, p.Str("cursor"), nil
}

// taskKindOfWork reads the filters on where the work comes from, what it
// says and the order: programme, source, q and order.
func taskKindOfWork(p httpx.Params, f *maint.TaskFilter) error {
	if pr := maint.Programme(p.Str("programme")); pr != "" {
		if !pr.Valid() {
			return maint.Invalid("programme", "programme is %q or %q", maint.ProgrammePublished, maint.ProgrammeRoutine)
		}
		f.Programme = pr
	}
	if src := maint.Source(p.Str("source")); src != "" {
		if !src.Valid() {
			return maint.Invalid("source", "unknown source %q", src)
		}
		f.Source = src
	}
	if f.Q = p.Str("q"); len(f.Q) > 100 {
		return maint.Invalid("q", "q is limited to 100 characters")
	}
	switch p.Str("order") {
	case "", "oldest":
	case "newest":
		f.Newest = true
	case "time_left":
		f.TimeLeft = true
	case "priority":
		f.ByPriority = true
	case "distance":
		near, err := p.LonLat("near")
		if err != nil {
			return err
		}
		if near == nil {
			return maint.InvalidAs("near", "order_distance_needs_near", nil, "order=distance needs near=lon,lat")
		}
		f.Near = near
	default:
		return maint.InvalidAs("order", "unknown_order", map[string]any{"value": p.Str("order")},
			"order is newest, oldest, time_left, priority or distance, got %q", p.Str("order"))
	}
	return nil
}

// getTask serves GET /api/v1/tasks/{id}.
func (s *Server) getTask() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		t, err := byID(r, s.store.Task)
		if err != nil {
			return err
		}
		s.writeTask(w, r, http.StatusOK, t)
		return nil
	})
}

type newTaskJSON struct {
	AssetID     *int64          `json:"asset_id"`
	Location    json.RawMessage `json:"location"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	WorkType    string          `json:"work_type"`
	Priority    maint.Priority  `json:"priority"`
	DueDate     string          `json:"due_date"`
}

// createTask serves POST /api/v1/tasks: engineers and inspectors open a
// case, which starts reported.
func (s *Server) createTask() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Can(maint.PermCreateTask))
		if err != nil {
			return err
		}
		in, err := httpx.Decode[newTaskJSON](r)
		if err != nil {
			return err
		}
		nt, err := in.task(v)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(in)
		idem, err := idempotency(r, userScope(v), string(raw))
		if err != nil {
			return err
		}
		t, replayed, err := s.store.CreateTask(r.Context(), v, nt, idem)
		if err != nil {
			return err
		}
		markReplayed(w, replayed)
		s.writeTask(w, r, http.StatusCreated, t)
		return nil
	})
}

// task checks a new task as v opens it.
func (in newTaskJSON) task(v maint.Viewer) (maint.NewTask, error) {
	nt := maint.NewTask{AssetID: in.AssetID, Title: strings.TrimSpace(in.Title), Description: in.Description,
		WorkType: in.WorkType, Priority: in.Priority, Programme: maint.ProgrammeRoutine, Source: maint.SourceEngineer}
	if v.Role == maint.RoleInspector {
		nt.Source = maint.SourceInspector
	}
	err := httpx.CheckText("title", nt.Title, true, 200)
	if err == nil {
		err = httpx.CheckText("description", nt.Description, false, 4000)
	}
	if err == nil && nt.Priority != "" && !nt.Priority.Valid() {
		err = maint.InvalidAs("priority", "priority_unknown", nil, "priority is one of %v", maint.Priorities)
	}
	if err == nil && in.DueDate != "" {
		var d time.Time
		d, err = httpx.ParseDay("due_date", in.DueDate)
		nt.DueDate = &d
	}
	if err == nil && len(in.Location) > 0 && string(in.Location) != "null" {
		nt.Location, err = parsePoint("location", in.Location)
	}
	if err == nil && nt.AssetID == nil && nt.Location == nil {
		err = maint.Invalid("asset_id", "say where: an asset_id or a location (GeoJSON Point)")
	}
	return nt, err
}

// optField decodes one field of a partial update into o.
func optField[T any](fields map[string]json.RawMessage, name string, o *maint.Opt[T]) error {
	raw, ok := fields[name]
	if !ok {
		return nil
	}
	delete(fields, name)
	o.Set = true
	if string(raw) == "null" {
		o.Null = true
		return nil
	}
	if err := json.Unmarshal(raw, &o.V); err != nil {
		return maint.Invalid(name, "%s has the wrong type", name)
	}
	return nil
}

// parsePatch decodes a task PATCH body: only the fields given change; null
// clears a field.
func parsePatch(r *http.Request) (maint.TaskPatch, error) {
	var p maint.TaskPatch
	var fields map[string]json.RawMessage
	if err := httpx.DecodeJSON(r, &fields); err != nil {
		return p, err
	}
	var due maint.Opt[string]
	var note maint.Opt[string]
	var internal maint.Opt[bool]
	for _, err := range []error{
		optField(fields, "title", &p.Title), optField(fields, "description", &p.Description),
		optField(fields, "priority", &p.Priority), optField(fields, "assignee", &p.Assignee),
		optField(fields, "due_date", &due), optField(fields, "qty_planned", &p.QtyPlanned),
		optField(fields, "qty_done", &p.QtyDone), optField(fields, "qty_unit", &p.QtyUnit),
		optField(fields, "phase", &p.Phase), optField(fields, "percent", &p.Percent),
		optField(fields, "note", &note), optField(fields, "internal", &internal),
	} {
		if err != nil {
			return p, err
		}
	}
	for k := range fields {
		return p, maint.Invalid(k, "%q cannot be changed here (status changes go through /transitions)", k)
	}
	p.Note, p.Internal = note.V, internal.V
	switch {
	case p.Title.Set && (p.Title.Null || strings.TrimSpace(p.Title.V) == "" || len([]rune(p.Title.V)) > 200):
		return p, maint.InvalidAs("title", "title_required", nil, "a title of 1–200 characters is required")
	case p.Description.Set && len([]rune(p.Description.V)) > 4000:
		return p, maint.InvalidAs("description", "description_too_long", maint.Params{"max": 4000}, "description is limited to 4000 characters")
	case p.Priority.Set && !p.Priority.V.Valid():
		return p, maint.InvalidAs("priority", "priority_unknown", nil, "priority is one of %v", maint.Priorities)
	case p.Phase.Set && !p.Phase.Null && !p.Phase.V.Valid():
		return p, maint.InvalidAs("phase", "phase_unknown", nil, "phase is one of %v", maint.Phases)
	case p.Percent.Set && !p.Percent.Null && (p.Percent.V < 0 || p.Percent.V > 100):
		return p, maint.InvalidAs("percent", "percent_range", nil, "percent is from 0 to 100")
	case p.QtyPlanned.Set && !p.QtyPlanned.Null && p.QtyPlanned.V < 0:
		return p, maint.InvalidAs("qty_planned", "quantity_negative", nil, "quantities are not negative")
	case p.QtyDone.Set && !p.QtyDone.Null && p.QtyDone.V < 0:
		return p, maint.InvalidAs("qty_done", "quantity_negative", nil, "quantities are not negative")
	case len([]rune(p.Note)) > 4000:
		return p, maint.InvalidAs("note", "note_too_long", maint.Params{"max": 4000}, "note is limited to 4000 characters")
	}
	if due.Set {
		p.DueDate.Set, p.DueDate.Null = true, due.Null
		if !due.Null {
			d, err := httpx.ParseDay("due_date", due.V)
			if err != nil {
				return p, err
			}
			p.DueDate.V = d
		}
	}
	if p.Empty() && strings.TrimSpace(p.Note) == "" {
		return p, maint.Invalid("body", "nothing to change")
	}
	return p, nil
}

// patchTask serves PATCH /api/v1/tasks/{id} (If-Match required).
func (s *Server) patchTask() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, p, err := editWith(r, httpx.Can(maint.PermEditTask), parsePatch)
		if err != nil {
			return err
		}
		t, err := s.store.PatchTask(r.Context(), e.v, e.id, e.version, p)
		if err != nil {
			return err
		}
		s.writeTask(w, r, http.StatusOK, t)
		return nil
	})
}

type transitionJSON struct {
	To       maint.Status `json:"to"`
	Note     string       `json:"note"`
	Internal bool         `json:"internal"`
	Assignee string       `json:"assignee"`
	DueDate  string       `json:"due_date"`
}

// transition checks a requested state change.
func (in transitionJSON) transition() (maint.Transition, error) {
	tr := maint.Transition{To: in.To, Note: strings.TrimSpace(in.Note), Internal: in.Internal, Assignee: strings.TrimSpace(in.Assignee)}
	err := httpx.CheckText("note", tr.Note, false, 4000)
	if err == nil && in.DueDate != "" {
		var d time.Time
		d, err = httpx.ParseDay("due_date", in.DueDate)
		tr.DueDate = &d
	}
	if err == nil && !tr.To.Valid() {
		err = maint.Invalid("to", "unknown status %q", in.To)
	}
	return tr, err
}

// transitionTask serves POST /api/v1/tasks/{id}/transitions (If-Match
// required): If-Match is checked first, then the workflow.
func (s *Server) transitionTask() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, in, err := editWith(r, httpx.Staff, httpx.Decode[transitionJSON])
		if err != nil {
			return err
		}
		tr, err := in.transition()
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(in)
		idem, err := idempotency(r, userScope(e.v), strconv.Itoa(e.version), string(raw))
		if err != nil {
			return err
		}
		t, replayed, err := s.store.TransitionTask(r.Context(), e.v, e.id, e.version, tr, idem)
		if err != nil {
			return err
		}
		markReplayed(w, replayed)
		if n := len(t.History); n > 0 && t.History[n-1].From != nil && !replayed {
			s.metrics.Transition(*t.History[n-1].From, tr.To)
		}
		s.writeTask(w, r, http.StatusOK, t)
		return nil
	})
}
