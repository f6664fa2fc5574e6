package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/ogcapi"
	"inframap/internal/open311"
)

// routes is every route of the service, in one place. A route wrapped in
// s.cached (or built with cachedRoute) is answered from the response cache
// under the policy it is given here: its key, the kinds and area whose
// changes make it stale, and whether it waits for a render slot. A route
// wrapped in replicaOK reads data that tolerates lag (the public map, tiles,
// OGC API, exports, the report card): with DATABASE_READ_URL its reads may
// go to a replica that has replayed the caller's last write.
func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.Use(recordRoute)
	r.NotFoundHandler = httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return httpx.NotFound(r)
	})
	r.MethodNotAllowedHandler = httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return &maint.Error{Code: maint.CodeMethodNotAllowed, Message: r.Method + " is not allowed here"}
	})

	r.Handle("/healthz", s.healthz()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", s.readyz()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", s.metricsHandler()).Methods(http.MethodGet)
	r.PathPrefix("/debug/pprof/").Handler(profiler())
	r.HandleFunc("/problems/{code}", httpx.ProblemTypes).Methods(http.MethodGet)

	api := r.PathPrefix("/api/v1").Subrouter()
	// Accounts: /auth/… (sessions, tokens), /users, /crews, /audit. Their
	// paths share no template with the routes below, so mounting them
	// together here matches every request as before.
	s.accounts.Mount(api)
	s.mountNotify(api)
	s.mountSubscriptions(r, api)
	// Inspection rounds and the cover register (docs/inspections.md).
	s.mountInspections(api)
	// Pausing and resuming inspection plans (docs/inspections.md).
	s.mountPlans(api)
	s.mountCondition(api)

	api.Handle("/assets", replicaOK(s.responses.Wrap(assetPages(queryKey), s.listAssets()))).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/assets", s.createAsset()).Methods(http.MethodPost)
	api.Handle("/assets/{id:[0-9]+}", s.getAsset()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/assets/{id:[0-9]+}", s.patchAsset()).Methods(http.MethodPatch)

	api.Handle("/tasks", s.listTasks()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/tasks", s.createTask()).Methods(http.MethodPost)
	api.Handle("/tasks/{id:[0-9]+}", s.getTask()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/tasks/{id:[0-9]+}", s.patchTask()).Methods(http.MethodPatch)
	api.Handle("/tasks/{id:[0-9]+}/transitions", s.transitionTask()).Methods(http.MethodPost)
	api.Handle("/tasks/{id:[0-9]+}/clock", s.clockAction()).Methods(http.MethodPost)
	api.Handle("/tasks/{id:[0-9]+}/support", s.supportTask()).Methods(http.MethodPost)
	api.Handle("/calendar", s.getCalendar()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/calendar/{date}", s.calendarDay()).Methods(http.MethodPut, http.MethodDelete)
	api.Handle("/time-limits", s.getTimeLimits()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/time-limits/{case_type}/{step}", s.timeLimit()).Methods(http.MethodPut, http.MethodDelete)
	api.Handle("/tasks/{id:[0-9]+}/photos", s.uploadPhoto(true)).Methods(http.MethodPost)
	api.Handle("/tasks/{id:[0-9]+}/photos", s.listPhotos(true)).Methods(http.MethodGet)
	api.Handle("/assets/{id:[0-9]+}/photos", s.uploadPhoto(false)).Methods(http.MethodPost)
	api.Handle("/assets/{id:[0-9]+}/photos", s.listPhotos(false)).Methods(http.MethodGet)
	api.Handle("/photos/{id:[0-9]+}", s.getPhoto()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/photos/{id:[0-9]+}", s.patchPhoto()).Methods(http.MethodPatch)
	api.Handle("/photos/{id:[0-9]+}/thumb", s.photoFile("thumb")).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/photos/{id:[0-9]+}/display", s.photoFile("display")).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/photos/{id:[0-9]+}/original", s.photoFile("original")).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/reports", s.createReport()).Methods(http.MethodPost)
	api.Handle("/reports", s.listReports()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/reports/{ref:[A-Za-z0-9-]+}", s.getReport()).Methods(http.MethodGet)
	api.Handle("/reports/{ref:[A-Za-z0-9-]+}/feedback", s.reportFeedback()).Methods(http.MethodPost)

	api.Handle("/stats", replicaOK(s.responses.Wrap(reportCard, s.getStats()))).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/areas", replicaOK(s.responses.Wrap(areaList, s.listAreas()))).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/clusters/{kind}/{z}/{x}/{y}", replicaOK(s.tiles.Clusters())).Methods(http.MethodGet, http.MethodHead)
	// The evaluation (staff; the weights admin to change). Cached, so the
	// staff check happens before the cache, in the parse.
	api.Handle("/evaluation", s.getEvaluation()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/evaluation/lights", s.getLights()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/evaluation/weights", s.getWeights()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/evaluation/weights", s.putWeights()).Methods(http.MethodPut)
	// Costs (docs/costs.md): a task's cost lines (engineers write them
	// with If-Match), the roll-ups against the budgets, the budgets (admins
	// set them).
	api.Handle("/tasks/{id:[0-9]+}/costs", s.getTaskCosts()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/tasks/{id:[0-9]+}/costs", s.putTaskCosts()).Methods(http.MethodPut)
	api.Handle("/costs", s.getCosts()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/costs/budgets", s.getBudgets()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/costs/budgets/{key:[A-Za-z0-9._-]+}", s.putBudget()).Methods(http.MethodPut)
	api.Handle("/meta", s.getMeta()).Methods(http.MethodGet, http.MethodHead)

	// Open311 GeoReport v2.
	open311.New(s.store, open311.Config{PublicURL: s.cfg.PublicURL, ClientIP: s.clientIP,
		Residents: s.residentPosts, Partners: s.partnerPosts}).Mount(r.PathPrefix("/open311/v2").Subrouter())

	// Standards: OGC API – Features, vector tiles, exports, API descriptions.
	api.Handle("/export", replicaOK(s.responses.Wrap(assetPages(queryKey), s.export()))).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/import", s.importAssets()).Methods(http.MethodPost)
	r.Handle("/api/openapi.json", httpx.OpenData(serveOpenAPI(false, "application/vnd.oai.openapi+json;version=3.1"))).Methods(http.MethodGet, http.MethodHead)
	// OGC API reads tolerate lag; its writes (and their own reads) stay on
	// the primary.
	ogc := r.PathPrefix("/ogc").Subrouter()
	ogc.Use(replicaOK)
	ogcapi.New(s.store, ogcapi.Config{PublicURL: s.cfg.PublicURL, Description: serveOpenAPI(true, ogcapi.MediaOAS30),
		Assets: s.store, ClientIP: s.clientIP, Tile: s.tiles.OGCTiles(),
		Cache: func(resource string, h http.Handler) http.Handler {
			if resource == "items" {
				return s.responses.Wrap(assetPages(negotiatedKey), h)
			}
			return s.responses.Wrap(everyAsset(negotiatedKey), h)
		}}).Mount(ogc)
	r.Handle("/feeds/cases.atom", httpx.OpenData(replicaOK(s.responses.Wrap(caseFeedPolicy, s.areaFeed())))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/feeds/cases/{ref:[A-Za-z0-9-]+}.atom", httpx.OpenData(replicaOK(s.responses.Wrap(caseFeedPolicy, s.caseFeed())))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/tiles/{layer}.json", httpx.OpenData(replicaOK(s.responses.Wrap(everyAsset(queryKey), s.tiles.TileJSON())))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/tiles/{layer}/{z}/{x}/{y}.mvt", httpx.OpenData(replicaOK(s.tiles.Tiles()))).Methods(http.MethodGet, http.MethodHead)

	r.PathPrefix("/").Handler(s.pages()).Methods(http.MethodGet, http.MethodHead)
	return r
}
