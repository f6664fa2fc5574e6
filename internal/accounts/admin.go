package accounts

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// listUsers serves GET /api/v1/users (admin).
func (a *API) listUsers() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Admin); err != nil {
			return err
		}
		users, err := a.store.Users(r.Context())
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
func (a *API) createUser() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[newUserJSON](r)
		if err != nil {
			return err
		}
		email, err := maint.NormalizeEmail("email", in.Email)
		if err == nil && !in.Role.Valid() {
			err = maint.InvalidAs("role", "role_unknown", nil, "role is one of %v", maint.Roles)
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
		hash, err := a.passwords.Hash(r.Context(), in.Password)
		if err != nil {
			return err
		}
		u, err := a.store.CreateUser(r.Context(), v, a.cfg.ClientIP(r), maint.User{Email: email, Name: strings.TrimSpace(in.Name), Role: in.Role}, hash)
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
	// The unit and the sub-district whose notices the person gets; "" for none.
	Crew        *string `json:"crew"`
	Subdistrict *string `json:"subdistrict"`
}

// patchUser serves PATCH /api/v1/users/{id} (admin): rename, change role,
// deactivate (their sessions and tokens die at once), reset the password.
func (a *API) patchUser() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[userPatchJSON](r)
		if err != nil {
			return err
		}
		p, err := a.userPatch(r, v, id, in)
		if err != nil {
			return err
		}
		u, err := a.store.UpdateUser(r.Context(), v, a.cfg.ClientIP(r), id, p)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusOK, userView(u))
		return nil
	})
}

// userPatch checks what admin v changes of user id, and hashes a new
// password.
func (a *API) userPatch(r *http.Request, v maint.Viewer, id int64, in userPatchJSON) (maint.UserPatch, error) {
	var p maint.UserPatch
	if in.Name != nil {
		if err := httpx.CheckText("name", *in.Name, false, 100); err != nil {
			return p, err
		}
		p.Name = maint.Opt[string]{Set: true, V: strings.TrimSpace(*in.Name)}
	}
	if in.Role != nil {
		if !in.Role.Valid() {
			return p, maint.InvalidAs("role", "role_unknown", nil, "role is one of %v", maint.Roles)
		}
		p.Role = maint.Opt[maint.Role]{Set: true, V: *in.Role}
	}
	if in.Active != nil {
		p.Active = maint.Opt[bool]{Set: true, V: *in.Active}
	}
	if in.Crew != nil {
		p.Crew = maint.Opt[string]{Set: true, V: strings.TrimSpace(*in.Crew)}
	}
	if in.Subdistrict != nil {
		p.Subdistrict = maint.Opt[string]{Set: true, V: strings.TrimSpace(*in.Subdistrict)}
	}
	if id == v.UserID && (in.Active != nil && !*in.Active || in.Role != nil && *in.Role != maint.RoleAdmin) {
		return p, maint.Errorf(maint.CodeConflict, "admins cannot demote or deactivate themselves; ask another admin")
	}
	if in.Password != nil {
		if err := maint.CheckPassword("password", *in.Password); err != nil {
			return p, err
		}
		hash, err := a.passwords.Hash(r.Context(), *in.Password)
		if err != nil {
			return p, err
		}
		p.PasswordHash = maint.Opt[string]{Set: true, V: hash}
	}
	return p, nil
}

// listCrews serves GET /api/v1/crews (staff).
func (a *API) listCrews() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Can(maint.PermListCrews)); err != nil {
			return err
		}
		crews, err := a.store.Crews(r.Context())
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
func (a *API) saveCrew() http.Handler {
	type crewJSON struct {
		Name   string `json:"name"`
		Active *bool  `json:"active"`
	}
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[crewJSON](r)
		if err != nil {
			return err
		}
		if name := mux.Vars(r)["name"]; name != "" {
			if in.Name != "" && in.Name != name {
				return maint.InvalidAs("name", "crew_rename", nil, "a crew cannot be renamed; add the new name and deactivate the old")
			}
			in.Name = name
		}
		c := maint.Crew{Name: strings.TrimSpace(in.Name), Active: in.Active == nil || *in.Active}
		if err := httpx.CheckText("name", c.Name, true, 100); err != nil {
			return err
		}
		if err := a.store.SaveCrew(r.Context(), v, a.cfg.ClientIP(r), c); err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusOK, c)
		return nil
	})
}
