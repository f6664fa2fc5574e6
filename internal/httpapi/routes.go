package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
)

// routes is every route of the service, in one place.
func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, maint.Errorf(maint.CodeNotFound, "no resource at %s", r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &maint.Error{Code: maint.CodeMethodNotAllowed, Message: r.Method + " is not allowed here"})
	})

	r.Handle("/healthz", s.healthz()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", s.readyz()).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/problems/{code}", problemTypes).Methods(http.MethodGet)

	api := r.PathPrefix("/api/v1").Subrouter()
	api.Handle("/assets", s.listAssets()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/assets/{id:[0-9]+}", s.getAsset()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/stats", s.getStats()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/areas", s.listAreas()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/meta", s.getMeta()).Methods(http.MethodGet, http.MethodHead)

	// Standards: OGC API – Features, vector tiles, exports, API descriptions.
	api.Handle("/export", s.export()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/api/openapi.json", openData(serveOpenAPI(false, "application/vnd.oai.openapi+json;version=3.1"))).Methods(http.MethodGet, http.MethodHead)
	ogc := r.PathPrefix("/ogc").Subrouter()
	ogc.Handle("", openData(s.ogcLanding())).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/", openData(s.ogcLanding())).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/api", openData(serveOpenAPI(true, mediaOAS30))).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/conformance", openData(s.ogcConformancePage())).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/collections", openData(s.ogcCollections())).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/collections/{collectionId}", openData(s.ogcCollectionPage())).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/collections/{collectionId}/items", openData(s.ogcItems())).Methods(http.MethodGet, http.MethodHead)
	ogc.Handle("/collections/{collectionId}/items/{featureId}", openData(s.ogcItem())).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/tiles/{layer}.json", openData(s.tileJSON())).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/tiles/{layer}/{z}/{x}/{y}.mvt", openData(s.getTile(storeTiles{s.store}))).Methods(http.MethodGet, http.MethodHead)

	r.PathPrefix("/").Handler(s.pages()).Methods(http.MethodGet, http.MethodHead)
	return r
}
