package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/privacy"
)

// Atom feeds of the public changes of cases (RFC 4287): any feed reader,
// or the district's 12345 hotline system, polls them instead of the API.
// What they show is what anonymous visitors see: state changes and public
// notes, personal data masked, no internal note and no staff name.

// feedParams reads a feed's filters: a sub-district, services, a box.
func feedParams(r *http.Request) (maint.FeedFilter, error) {
	p, err := httpx.ReadParams(r, "subdistrict", "service", "bbox")
	if err != nil {
		return maint.FeedFilter{}, err
	}
	f := maint.FeedFilter{Subdistrict: p.Str("subdistrict")}
	if s := p.Str("service"); s != "" {
		for _, code := range strings.Split(s, ",") {
			code = strings.TrimSpace(code)
			if _, ok := maint.LookupService(code); !ok {
				return f, maint.Invalid("service", "unknown service %q", code)
			}
			f.Services = append(f.Services, code)
		}
	}
	f.BBox, err = p.BBox()
	return f, err
}

// areaFeed serves GET /feeds/cases.atom?subdistrict=&service=&bbox=.
func (s *Server) areaFeed() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f, err := feedParams(r)
		if err != nil {
			return err
		}
		title := "绿园区城市维护案件动态 · Lüyuan District case updates"
		if f.Subdistrict != "" {
			title = f.Subdistrict + " · " + title
		}
		if len(f.Services) > 0 {
			var names []string
			for _, code := range f.Services {
				svc, _ := maint.LookupService(code)
				names = append(names, svc.Name)
			}
			title = strings.Join(names, "、") + " · " + title
		}
		return s.writeFeed(w, r, f, title)
	})
}

// caseFeed serves GET /feeds/cases/{ref}.atom: the public changes of one case.
func (s *Server) caseFeed() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		ref := strings.ToUpper(mux.Vars(r)["ref"])
		f := maint.FeedFilter{Ref: ref}
		evs, err := s.store.PublicEvents(r.Context(), f)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return maint.Errorf(maint.CodeNotFound, "no case %q", ref)
		}
		return s.writeFeed(w, r, f, ref+" · 案件动态 Case updates")
	})
}

// writeFeed writes the Atom document of f's events.
func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, f maint.FeedFilter, title string) error {
	evs, err := s.store.PublicEvents(r.Context(), f)
	if err != nil {
		return err
	}
	u := httpx.BaseURL(r, s.cfg.PublicURL)
	base := strings.TrimRight(u.String(), "/")
	self := base + r.URL.RequestURI()
	feed := &feeds.Feed{
		Title:   title,
		Link:    &feeds.Link{Href: base + "/", Rel: "alternate"},
		Id:      self,
		Author:  &feeds.Author{Name: "绿园区城市管理局 Lüyuan District"},
		Updated: time.Date(2023, 1, 1, 0, 0, 0, 0, maint.Zone),
	}
	host := u.Hostname()
	for _, e := range evs {
		if e.At.After(feed.Updated) {
			feed.Updated = e.At
		}
		feed.Add(feedItem(e, base, host))
	}
	atom, err := (&feeds.Atom{Feed: feed}).ToAtom()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, err = w.Write([]byte(atom))
	return err
}

// feedItem is one change: its id is stable (a receiver drops repeats), its
// link opens the case's place on the public map.
func feedItem(e maint.FeedEvent, base, host string) *feeds.Item {
	what := "更新 Update"
	if e.To != nil {
		what = e.To.Name() + " " + e.To.NameEn()
	}
	link := fmt.Sprintf("%s/?lat=%.5f&lon=%.5f&z=18", base, e.Lat, e.Lon)
	if e.AssetID != nil {
		link += fmt.Sprintf("&id=%d", *e.AssetID)
	}
	var text []string
	if e.From == nil && e.To != nil && e.Description != "" {
		text = append(text, privacy.Mask(e.Description))
	}
	if e.Note != "" {
		text = append(text, privacy.Mask(e.Note))
	}
	if e.Subdistrict != "" {
		text = append(text, e.Subdistrict)
	}
	return &feeds.Item{
		Id:          fmt.Sprintf("tag:%s,2023:case-event/%d", host, e.ID),
		Title:       fmt.Sprintf("%s %s：%s", e.Ref, privacy.Mask(e.Title), what),
		Link:        &feeds.Link{Href: link, Rel: "alternate"},
		Description: strings.Join(text, " · "),
		Updated:     e.At,
		Created:     e.At,
	}
}
