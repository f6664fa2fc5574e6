package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// admin admits admins only.
func admin(v maint.Viewer) error { return maint.Require(v, maint.PermAdmin) }

// listUsers serves GET /api/v1/users (admin).
func (s *Server) listUsers() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := allowed(r, admin); err != nil {
			return err
		}
		users, err := s.store.Users(r.Context())
		if err != nil {
			return err
		}
		out := make([]userJSON, len(users))
		for i := range users {
			out[i] = userView(&users[i])
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"users": out})
		return nil
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
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := allowed(r, admin)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[newUserJSON](r)
		if err != nil {
			return err
		}
		email, err := maint.NormalizeEmail("email", in.Email)
		if err == nil && !in.Role.Valid() {
			err = maint.Invalid("role", "role is one of %v", maint.Roles)
		}
		if err == nil {
			err = httpx.CheckText("name", in.Name, false, 100)
		}
		if err == nil {
			err = maint.CheckPassword("password", in.Password)
		}
		if err != nil {
			return err
		}
		hash, err := s.passwords.Hash(r.Context(), in.Password)
		if err != nil {
			return err
		}
		u, err := s.store.CreateUser(r.Context(), v, s.clientIP(r), maint.User{Email: email, Name: strings.TrimSpace(in.Name), Role: in.Role}, hash)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
		httpx.WriteJSON(w, r, http.StatusCreated, userView(u))
		return nil
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
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := allowed(r, admin)
		if err != nil {
			return err
		}
		id, err := pathID(r)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[userPatchJSON](r)
		if err != nil {
			return err
		}
		p, err := s.userPatch(r, v, id, in)
		if err != nil {
			return err
		}
		u, err := s.store.UpdateUser(r.Context(), v, s.clientIP(r), id, p)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusOK, userView(u))
		return nil
	})
}

// userPatch checks what admin v changes of user id, and hashes a new
// password.
func (s *Server) userPatch(r *http.Request, v maint.Viewer, id int64, in userPatchJSON) (maint.UserPatch, error) {
	var p maint.UserPatch
	if in.Name != nil {
		if err := httpx.CheckText("name", *in.Name, false, 100); err != nil {
			return p, err
		}
		p.Name = maint.Opt[string]{Set: true, V: strings.TrimSpace(*in.Name)}
	}
	if in.Role != nil {
		if !in.Role.Valid() {
			return p, maint.Invalid("role", "role is one of %v", maint.Roles)
		}
		p.Role = maint.Opt[maint.Role]{Set: true, V: *in.Role}
	}
	if in.Active != nil {
		p.Active = maint.Opt[bool]{Set: true, V: *in.Active}
	}
	if id == v.UserID && (in.Active != nil && !*in.Active || in.Role != nil && *in.Role != maint.RoleAdmin) {
		return p, maint.Errorf(maint.CodeConflict, "admins cannot demote or deactivate themselves; ask another admin")
	}
	if in.Password != nil {
		if err := maint.CheckPassword("password", *in.Password); err != nil {
			return p, err
		}
		hash, err := s.passwords.Hash(r.Context(), *in.Password)
		if err != nil {
			return p, err
		}
		p.PasswordHash = maint.Opt[string]{Set: true, V: hash}
	}
	return p, nil
}

// listCrews serves GET /api/v1/crews (staff).
func (s *Server) listCrews() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := allowed(r, can(maint.PermListCrews)); err != nil {
			return err
		}
		crews, err := s.store.Crews(r.Context())
		if err != nil {
			return err
		}
		if crews == nil {
			crews = []maint.Crew{}
		}
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"crews": crews})
		return nil
	})
}

// saveCrew serves POST /api/v1/crews {name, active} (admin) and
// PATCH /api/v1/crews/{name} {active}.
func (s *Server) saveCrew() http.Handler {
	type crewJSON struct {
		Name   string `json:"name"`
		Active *bool  `json:"active"`
	}
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := allowed(r, admin)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[crewJSON](r)
		if err != nil {
			return err
		}
		if name := mux.Vars(r)["name"]; name != "" {
			if in.Name != "" && in.Name != name {
				return maint.Invalid("name", "a crew cannot be renamed; add the new name and deactivate the old")
			}
			in.Name = name
		}
		c := maint.Crew{Name: strings.TrimSpace(in.Name), Active: in.Active == nil || *in.Active}
		if err := httpx.CheckText("name", c.Name, true, 100); err != nil {
			return err
		}
		if err := s.store.SaveCrew(r.Context(), v, s.clientIP(r), c); err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusOK, c)
		return nil
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
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := allowed(r, admin); err != nil {
			return err
		}
		f, cursor, err := auditFilter(r)
		if err != nil {
			return err
		}
		evs, more, err := s.store.AuditLog(r.Context(), f)
		if err != nil {
			return err
		}
		out := make([]auditJSON, len(evs))
		for i, e := range evs {
			out[i] = auditJSON{ID: e.ID, Source: e.Source, At: e.At, ActorID: e.ActorID, Actor: e.Actor, Action: e.Action,
				SubjectType: e.SubjectType, SubjectID: e.SubjectID, IP: e.IP}
			httpx.UnmarshalObject(e.Details, &out[i].Details)
		}
		links := s.pageLinks(r, cursor, more && len(evs) > 0, func() string { return httpx.EncodeAuditCursor(evs[len(evs)-1]) })
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"events": out, "numberReturned": len(out), "links": links})
		return nil
	})
}

// auditFilter reads the query of GET /api/v1/audit, and the cursor it was
// given.
func auditFilter(r *http.Request) (f maint.AuditFilter, cursor string, err error) {
	p, err := httpx.ReadParams(r, "actor", "task", "action", "from", "to", "limit", "cursor")
	if err != nil {
		return f, "", err
	}
	if a := p.Str("actor"); a != "" {
		if id, err := strconv.ParseInt(a, 10, 64); err == nil {
			f.ActorID = &id
		} else {
			f.Actor = a
		}
	}
	if t := p.Str("task"); t != "" {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return f, "", maint.Invalid("task", "task must be a task id")
		}
		f.TaskID = &id
	}
	f.Action = p.Str("action")
	for _, b := range []struct {
		name string
		dst  **time.Time
		end  bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		if s := p.Str(b.name); s != "" {
			t, err := httpx.ParseInstant(b.name, s, b.end)
			if err != nil {
				return f, "", err
			}
			*b.dst = &t
		}
	}
	if f.Limit, err = p.Limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
		return f, "", err
	}
	cursor = p.Str("cursor")
	if cursor != "" {
		if f.After, err = httpx.DecodeAuditCursor(cursor); err != nil {
			return f, "", maint.Invalid("cursor", "cursor is not one this service issued")
		}
	}
	return f, cursor, nil
}
