package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
)

// requireAdmin answers 401/403 unless an admin asks.
func requireAdmin(w http.ResponseWriter, r *http.Request) (maint.Viewer, bool) {
	v := viewerFrom(r.Context())
	if err := maint.Require(v, maint.PermAdmin); err != nil {
		writeError(w, r, err)
		return v, false
	}
	return v, true
}

// listUsers serves GET /api/v1/users (admin).
func (s *Server) listUsers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := requireAdmin(w, r); !ok {
			return
		}
		users, err := s.store.Users(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]userJSON, len(users))
		for i := range users {
			out[i] = userView(&users[i])
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]any{"users": out})
	})
}

type newUserJSON struct {
	Email    string     `json:"email"`
	Name     string     `json:"name"`
	Role     maint.Role `json:"role"`
	Password string     `json:"password"`
}

// createUser serves POST /api/v1/users (admin).
func (s *Server) createUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := requireAdmin(w, r)
		if !ok {
			return
		}
		var in newUserJSON
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		email, err := maint.NormalizeEmail("email", in.Email)
		if err == nil && !in.Role.Valid() {
			err = maint.Invalid("role", "role is one of %v", maint.Roles)
		}
		if err == nil {
			err = checkText("name", in.Name, false, 100)
		}
		if err == nil {
			err = maint.CheckPassword("password", in.Password)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		hash, err := s.passwords.Hash(r.Context(), in.Password)
		if err != nil {
			writeError(w, r, err)
			return
		}
		u, err := s.store.CreateUser(r.Context(), v, s.clientIP(r), maint.User{Email: email, Name: strings.TrimSpace(in.Name), Role: in.Role}, hash)
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
		writeJSON(w, r, http.StatusCreated, userView(u))
	})
}

type userPatchJSON struct {
	Name     *string     `json:"name"`
	Role     *maint.Role `json:"role"`
	Active   *bool       `json:"active"`
	Password *string     `json:"password"`
}

// patchUser serves PATCH /api/v1/users/{id} (admin): rename, change role,
// deactivate (their sessions and tokens die at once), reset the password.
func (s *Server) patchUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := requireAdmin(w, r)
		if !ok {
			return
		}
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in userPatchJSON
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		var p maint.UserPatch
		if in.Name != nil {
			if err := checkText("name", *in.Name, false, 100); err != nil {
				writeError(w, r, err)
				return
			}
			p.Name = maint.Opt[string]{Set: true, V: strings.TrimSpace(*in.Name)}
		}
		if in.Role != nil {
			if !in.Role.Valid() {
				writeError(w, r, maint.Invalid("role", "role is one of %v", maint.Roles))
				return
			}
			p.Role = maint.Opt[maint.Role]{Set: true, V: *in.Role}
		}
		if in.Active != nil {
			p.Active = maint.Opt[bool]{Set: true, V: *in.Active}
		}
		if id == v.UserID && (in.Active != nil && !*in.Active || in.Role != nil && *in.Role != maint.RoleAdmin) {
			writeError(w, r, maint.Errorf(maint.CodeConflict, "admins cannot demote or deactivate themselves; ask another admin"))
			return
		}
		if in.Password != nil {
			if err := maint.CheckPassword("password", *in.Password); err != nil {
				writeError(w, r, err)
				return
			}
			hash, err := s.passwords.Hash(r.Context(), *in.Password)
			if err != nil {
				writeError(w, r, err)
				return
			}
			p.PasswordHash = maint.Opt[string]{Set: true, V: hash}
		}
		u, err := s.store.UpdateUser(r.Context(), v, s.clientIP(r), id, p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, userView(u))
	})
}

// listCrews serves GET /api/v1/crews (staff).
func (s *Server) listCrews() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := maint.Require(viewerFrom(r.Context()), maint.PermListCrews); err != nil {
			writeError(w, r, err)
			return
		}
		crews, err := s.store.Crews(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		if crews == nil {
			crews = []maint.Crew{}
		}
		writeJSON(w, r, http.StatusOK, map[string]any{"crews": crews})
	})
}

// saveCrew serves POST /api/v1/crews {name, active} (admin) and
// PATCH /api/v1/crews/{name} {active}.
func (s *Server) saveCrew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := requireAdmin(w, r)
		if !ok {
			return
		}
		var in struct {
			Name   string `json:"name"`
			Active *bool  `json:"active"`
		}
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		if name := mux.Vars(r)["name"]; name != "" {
			if in.Name != "" && in.Name != name {
				writeError(w, r, maint.Invalid("name", "a crew cannot be renamed; add the new name and deactivate the old"))
				return
			}
			in.Name = name
		}
		c := maint.Crew{Name: strings.TrimSpace(in.Name), Active: in.Active == nil || *in.Active}
		if err := checkText("name", c.Name, true, 100); err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.store.SaveCrew(r.Context(), v, s.clientIP(r), c); err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, c)
	})
}

type auditJSON struct {
	ID          int64          `json:"id"`
	Source      string         `json:"source"`
	At          time.Time      `json:"at"`
	ActorID     *int64         `json:"actor_id"`
	Actor       string         `json:"actor"`
	Action      string         `json:"action"`
	SubjectType string         `json:"subject_type"`
	SubjectID   *int64         `json:"subject_id"`
	IP          string         `json:"ip,omitempty"`
	Details     map[string]any `json:"details"`
}

// listAudit serves GET /api/v1/audit (admin): the audit trail by actor,
// task, action and time range, oldest first, paged.
func (s *Server) listAudit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := requireAdmin(w, r); !ok {
			return
		}
		p, err := readParams(r, "actor", "task", "action", "from", "to", "limit", "cursor")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var f maint.AuditFilter
		if a := p.str("actor"); a != "" {
			if id, err := strconv.ParseInt(a, 10, 64); err == nil {
				f.ActorID = &id
			} else {
				f.Actor = a
			}
		}
		if t := p.str("task"); t != "" {
			id, err := strconv.ParseInt(t, 10, 64)
			if err != nil {
				writeError(w, r, maint.Invalid("task", "task must be a task id"))
				return
			}
			f.TaskID = &id
		}
		f.Action = p.str("action")
		for _, b := range []struct {
			name string
			dst  **time.Time
			end  bool
		}{{"from", &f.From, false}, {"to", &f.To, true}} {
			s := p.str(b.name)
			if s == "" {
				continue
			}
			t, err := parseInstant(b.name, s, b.end)
			if err != nil {
				writeError(w, r, err)
				return
			}
			*b.dst = &t
		}
		if f.Limit, err = p.limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
			writeError(w, r, err)
			return
		}
		if c := p.str("cursor"); c != "" {
			ac, err := decodeAuditCursor(c)
			if err != nil {
				writeError(w, r, maint.Invalid("cursor", "cursor is not one this service issued"))
				return
			}
			f.After = ac
		}
		evs, more, err := s.store.AuditLog(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]auditJSON, len(evs))
		for i, e := range evs {
			out[i] = auditJSON{ID: e.ID, Source: e.Source, At: e.At, ActorID: e.ActorID, Actor: e.Actor, Action: e.Action,
				SubjectType: e.SubjectType, SubjectID: e.SubjectID, IP: e.IP}
			jsonUnmarshalObject(e.Details, &out[i].Details)
		}
		links := []map[string]string{{"rel": "self", "href": s.pageURL(r, p.str("cursor"))}}
		if more && len(evs) > 0 {
			last := evs[len(evs)-1]
			links = append(links, map[string]string{"rel": "next", "href": s.pageURL(r, encodeAuditCursor(last))})
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]any{"events": out, "numberReturned": len(out), "links": links})
	})
}

// parseInstant reads a date (YYYY-MM-DD, a day in the district's zone; as
// an end it means the end of that day) or an RFC 3339 time.
func parseInstant(name, s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := maint.ParseDate(name, s)
	if err != nil {
		return d, maint.Invalid(name, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time, got %q", name, s)
	}
	if end {
		return maint.EndOfDay(d), nil
	}
	return d, nil
}
