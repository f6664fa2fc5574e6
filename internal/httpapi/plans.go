package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// mountPlans adds the routes that change an inspection plan once made
// (docs/inspections.md): pausing, resuming, renaming.
func (s *Server) mountPlans(api *mux.Router) {
	api.Handle("/inspection-plans/{id:[0-9]+}", s.patchPlan()).Methods(http.MethodPatch)
}

// patchPlan serves PATCH /api/v1/inspection-plans/{id} (engineers and
// admins; If-Match with the plan's version).
func (s *Server) patchPlan() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, p, err := editWith(r, httpx.Can(maint.PermEditAsset), httpx.Decode[inspection.PlanPatch])
		if err != nil {
			return err
		}
		out, err := s.store.PatchPlan(r.Context(), e.v, e.id, e.version, p)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(out.Version))
		httpx.WriteJSON(w, r, http.StatusOK, planView(*out))
		return nil
	})
}
