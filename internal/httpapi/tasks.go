package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inframap/internal/maint"
)

// etag is the entity tag of a versioned resource.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads the version a write is based on. Writes to versioned
// resources require it: without it two offices could overwrite each other.
func ifMatch(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, maint.Errorf(maint.CodePreconditionRequired, "send If-Match with the ETag you read, so that no one's change is silently overwritten")
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.Atoi(strings.Trim(h, `"`))
	if err != nil || v <= 0 || strings.Contains(h, ",") {
		return 0, maint.Errorf(maint.CodePreconditionRequired, "If-Match must be the single ETag of the version you read (e.g. \"3\"), not %q", r.Header.Get("If-Match"))
	}
	return v, nil
}

func parseDay(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, maint.Invalid(field, "%s must be a date as YYYY-MM-DD, got %q", field, s)
	}
	return t, nil
}

// writeTask answers a task with its ETag.
func (s *Server) writeTask(w http.ResponseWriter, r *http.Request, status int, t *maint.Task) {
	w.Header().Set("ETag", etag(t.Version))
	w.Header().Set("Cache-Control", "no-cache")
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/tasks/"+strconv.FormatInt(t.ID, 10))
	}
	writeJSON(w, r, status, taskView(t, viewerFrom(r.Context())))
}

// listTasks serves GET /api/v1/tasks.
func (s *Server) listTasks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r, "status", "kind", "assignee", "overdue", "bbox", "asset", "programme", "source", "q", "order", "limit", "cursor")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var f maint.TaskFilter
		if f.Statuses, err = maint.ParseStatuses("status", p.str("status")); err != nil {
			writeError(w, r, err)
			return
		}
		if f.Kinds, err = maint.ParseKinds("kind", p.str("kind")); err != nil {
			writeError(w, r, err)
			return
		}
		f.Assignee = p.str("assignee")
		if o := p.str("overdue"); o != "" {
			b, err := strconv.ParseBool(o)
			if err != nil {
				writeError(w, r, maint.Invalid("overdue", "overdue must be true or false, got %q", o))
				return
			}
			f.Overdue = &b
		}
		if f.BBox, err = p.bbox(); err != nil {
			writeError(w, r, err)
			return
		}
		if a := p.str("asset"); a != "" {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil || id <= 0 {
				writeError(w, r, maint.Invalid("asset", "asset must be an asset id, got %q", a))
				return
			}
			f.AssetID = &id
		}
		if pr := maint.Programme(p.str("programme")); pr != "" {
			if !pr.Valid() {
				writeError(w, r, maint.Invalid("programme", "programme is %q or %q", maint.ProgrammePublished, maint.ProgrammeRoutine))
				return
			}
			f.Programme = pr
		}
		if src := maint.Source(p.str("source")); src != "" {
			if !src.Valid() {
				writeError(w, r, maint.Invalid("source", "unknown source %q", src))
				return
			}
			f.Source = src
		}
		if f.Q = p.str("q"); len(f.Q) > 100 {
			writeError(w, r, maint.Invalid("q", "q is limited to 100 characters"))
			return
		}
		switch p.str("order") {
		case "", "oldest":
		case "newest":
			f.Newest = true
		default:
			writeError(w, r, maint.Invalid("order", "order is newest or oldest, got %q", p.str("order")))
			return
		}
		if f.Limit, err = p.limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
			writeError(w, r, err)
			return
		}
		if f.After, err = p.cursor(); err != nil {
			writeError(w, r, err)
			return
		}
		v := viewerFrom(r.Context())
		tasks := []taskJSON{}
		var last int64
		more, err := s.store.ListTasks(r.Context(), f, v, func(t *maint.Task) error {
			tasks = append(tasks, taskView(t, v))
			last = t.ID
			return nil
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		links := []map[string]string{{"rel": "self", "href": s.pageURL(r, p.str("cursor"))}}
		if more {
			links = append(links, map[string]string{"rel": "next", "href": s.pageURL(r, encodeCursor(last))})
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, map[string]any{"tasks": tasks, "numberReturned": len(tasks), "links": links})
	})
}

// getTask serves GET /api/v1/tasks/{id}.
func (s *Server) getTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err == nil {
			_, err = readParams(r)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, err := s.store.Task(r.Context(), id, viewerFrom(r.Context()))
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.writeTask(w, r, http.StatusOK, t)
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

// checkText bounds a free-text field.
func checkText(field, s string, required bool, max int) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return maint.Invalid(field, "%s is required", field)
	case len([]rune(s)) > max:
		return maint.Invalid(field, "%s is limited to %d characters", field, max)
	}
	return nil
}

// createTask serves POST /api/v1/tasks: engineers and inspectors open a
// case, which starts reported.
func (s *Server) createTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		if err := maint.Require(v, maint.PermCreateTask); err != nil {
			writeError(w, r, err)
			return
		}
		var in newTaskJSON
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		nt := maint.NewTask{AssetID: in.AssetID, Title: strings.TrimSpace(in.Title), Description: in.Description,
			WorkType: in.WorkType, Priority: in.Priority, Programme: maint.ProgrammeRoutine, Source: maint.SourceEngineer}
		if v.Role == maint.RoleInspector {
			nt.Source = maint.SourceInspector
		}
		err := checkText("title", nt.Title, true, 200)
		if err == nil {
			err = checkText("description", nt.Description, false, 4000)
		}
		if err == nil && nt.Priority != "" && !nt.Priority.Valid() {
			err = maint.Invalid("priority", "priority is one of %v", maint.Priorities)
		}
		if err == nil && in.DueDate != "" {
			var d time.Time
			d, err = parseDay("due_date", in.DueDate)
			nt.DueDate = &d
		}
		if err == nil && len(in.Location) > 0 && string(in.Location) != "null" {
			nt.Location, err = parsePoint("location", in.Location)
		}
		if err == nil && nt.AssetID == nil && nt.Location == nil {
			err = maint.Invalid("asset_id", "say where: an asset_id or a location (GeoJSON Point)")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		raw, _ := json.Marshal(in)
		idem, err := idempotency(r, "user:"+strconv.FormatInt(v.UserID, 10), string(raw))
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, replayed, err := s.store.CreateTask(r.Context(), v, nt, idem)
		if err != nil {
			writeError(w, r, err)
			return
		}
		markReplayed(w, replayed)
		s.writeTask(w, r, http.StatusCreated, t)
	})
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
	if err := decodeJSON(r, &fields); err != nil {
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
		return p, maint.Invalid("title", "a title of 1–200 characters is required")
	case p.Description.Set && len([]rune(p.Description.V)) > 4000:
		return p, maint.Invalid("description", "description is limited to 4000 characters")
	case p.Priority.Set && !p.Priority.V.Valid():
		return p, maint.Invalid("priority", "priority is one of %v", maint.Priorities)
	case p.Phase.Set && !p.Phase.Null && !p.Phase.V.Valid():
		return p, maint.Invalid("phase", "phase is one of %v", maint.Phases)
	case p.Percent.Set && !p.Percent.Null && (p.Percent.V < 0 || p.Percent.V > 100):
		return p, maint.Invalid("percent", "percent is from 0 to 100")
	case p.QtyPlanned.Set && !p.QtyPlanned.Null && p.QtyPlanned.V < 0:
		return p, maint.Invalid("qty_planned", "quantities are not negative")
	case p.QtyDone.Set && !p.QtyDone.Null && p.QtyDone.V < 0:
		return p, maint.Invalid("qty_done", "quantities are not negative")
	case len([]rune(p.Note)) > 4000:
		return p, maint.Invalid("note", "note is limited to 4000 characters")
	}
	if due.Set {
		p.DueDate.Set, p.DueDate.Null = true, due.Null
		if !due.Null {
			d, err := parseDay("due_date", due.V)
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		id, err := pathID(r)
		if err == nil {
			err = maint.Require(v, maint.PermEditTask)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		version, err := ifMatch(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		p, err := parsePatch(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, err := s.store.PatchTask(r.Context(), v, id, version, p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.writeTask(w, r, http.StatusOK, t)
	})
}

type transitionJSON struct {
	To       maint.Status `json:"to"`
	Note     string       `json:"note"`
	Internal bool         `json:"internal"`
	Assignee string       `json:"assignee"`
	DueDate  string       `json:"due_date"`
}

// transitionTask serves POST /api/v1/tasks/{id}/transitions (If-Match
// required): If-Match is checked first, then the workflow.
func (s *Server) transitionTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		id, err := pathID(r)
		if err == nil && !v.Staff() {
			err = maint.Errorf(maint.CodeUnauthorized, "sign in first")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		version, err := ifMatch(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in transitionJSON
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		tr := maint.Transition{To: in.To, Note: strings.TrimSpace(in.Note), Internal: in.Internal, Assignee: strings.TrimSpace(in.Assignee)}
		err = checkText("note", tr.Note, false, 4000)
		if err == nil && in.DueDate != "" {
			var d time.Time
			d, err = parseDay("due_date", in.DueDate)
			tr.DueDate = &d
		}
		if err == nil && !tr.To.Valid() {
			err = maint.Invalid("to", "unknown status %q", in.To)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		raw, _ := json.Marshal(in)
		idem, err := idempotency(r, "user:"+strconv.FormatInt(v.UserID, 10), strconv.Itoa(version), string(raw))
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, replayed, err := s.store.TransitionTask(r.Context(), v, id, version, tr, idem)
		if err != nil {
			writeError(w, r, err)
			return
		}
		markReplayed(w, replayed)
		if n := len(t.History); n > 0 && t.History[n-1].From != nil && !replayed {
			s.metrics.Transition(*t.History[n-1].From, tr.To)
		}
		s.writeTask(w, r, http.StatusOK, t)
	})
}
