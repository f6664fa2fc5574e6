package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
)

// The working calendar, the time limits and the clock of a case
// (docs/time-limits.md).

type calendarJSON struct {
	Year        int           `json:"year"`
	Hours       []hoursJSON   `json:"hours"`
	WorkingDays int           `json:"working_days"`
	Notice      *noticeJSON   `json:"notice"`
	Days        []calendarDay `json:"days"`
}

type hoursJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type noticeJSON struct {
	Title  string       `json:"title"`
	Number string       `json:"number"`
	Issued workcal.Date `json:"issued"`
	Note   string       `json:"note,omitempty"`
}

type calendarDay struct {
	Date      workcal.Date `json:"date"`
	Kind      workcal.Kind `json:"kind"`
	Holiday   string       `json:"holiday"`
	HolidayEn string       `json:"holiday_en"`
	Reason    string       `json:"reason"`
	ReasonEn  string       `json:"reason_en"`
	Edited    bool         `json:"edited"`
}

func clockText(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// getCalendar serves GET /api/v1/calendar?year=: every day of the year with
// what it is and why.
func (s *Server) getCalendar() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpx.ReadParams(r, "year")
		if err != nil {
			return err
		}
		cal := s.store.Calendar(r.Context())
		year := cal.DateOf(time.Now()).Year
		if y := p.Str("year"); y != "" {
			if year, err = strconv.Atoi(y); err != nil || year < 1900 || year > 2199 {
				return maint.Invalid("year", "year is a year from 1900 to 2199, got %q", y)
			}
		}
		entries, err := s.store.CalendarEntries(r.Context())
		if err != nil {
			return err
		}
		edited := map[workcal.Date]bool{}
		for _, e := range entries {
			edited[e.Date] = true
		}
		out := calendarJSON{Year: year, Days: []calendarDay{}}
		for _, h := range cal.Hours() {
			out.Hours = append(out.Hours, hoursJSON{clockText(h.Start), clockText(h.End)})
		}
		for _, d := range cal.Year(year) {
			if d.Kind == workcal.Working {
				out.WorkingDays++
			}
			out.Days = append(out.Days, calendarDay{Date: d.Date, Kind: d.Kind, Holiday: d.Holiday, HolidayEn: d.HolidayEn,
				Reason: d.Reason, ReasonEn: d.ReasonEn, Edited: edited[d.Date]})
		}
		for _, n := range workcal.Notices() {
			if n.Year == year {
				out.Notice = &noticeJSON{Title: n.Title, Number: n.Number, Issued: n.Issued, Note: n.Note}
			}
		}
		w.Header().Set("Cache-Control", "no-cache") // an admin may have just changed a day
		httpx.WriteJSON(w, r, http.StatusOK, out)
		return nil
	})
}

type calendarDayIn struct {
	Kind      string `json:"kind"`
	Holiday   string `json:"holiday"`
	HolidayEn string `json:"holiday_en"`
	Reason    string `json:"reason"`
	ReasonEn  string `json:"reason_en"`
}

// pathDate reads the {date} of the route.
func pathDate(r *http.Request) (workcal.Date, error) {
	s := mux.Vars(r)["date"]
	d, err := workcal.ParseDate(s)
	if err != nil || d.Year < 1900 || d.Year > 2199 {
		return d, maint.InvalidAs("date", "date_range", nil, "the day is a date YYYY-MM-DD from 1900 to 2199, got %q", s)
	}
	return d, nil
}

// calendarDay serves PUT /api/v1/calendar/{date} (admin) and DELETE,
// which removes the admin's entry: the day is again as the published
// calendar says.
func (s *Server) calendarDay() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		date, err := pathDate(r)
		if err != nil {
			return err
		}
		if r.Method == http.MethodDelete {
			return noContent(w, s.store.SetCalendarDay(r.Context(), v, s.clientIP(r), date, nil))
		}
		in, err := httpx.Decode[calendarDayIn](r)
		if err != nil {
			return err
		}
		d := workcal.Day{Date: date, Holiday: strings.TrimSpace(in.Holiday), HolidayEn: strings.TrimSpace(in.HolidayEn),
			Reason: strings.TrimSpace(in.Reason), ReasonEn: strings.TrimSpace(in.ReasonEn)}
		if err := d.Kind.UnmarshalText([]byte(in.Kind)); err != nil {
			return maint.InvalidAs("kind", "day_kind", nil, "a day is working, holiday or weekend, got %q", in.Kind)
		}
		for _, f := range []struct {
			name, v string
			max     int
		}{{"holiday", d.Holiday, 100}, {"holiday_en", d.HolidayEn, 100}, {"reason", d.Reason, 200}, {"reason_en", d.ReasonEn, 200}} {
			if err := httpx.CheckText(f.name, f.v, false, f.max); err != nil {
				return err
			}
		}
		return noContent(w, s.store.SetCalendarDay(r.Context(), v, s.clientIP(r), date, &d))
	})
}

// noContent answers a write that returns nothing: 204, or err.
func noContent(w http.ResponseWriter, err error) error {
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
	}
	return err
}

type namedStep struct {
	Code   timelimit.Step `json:"code"`
	Name   string         `json:"name"`
	NameEn string         `json:"name_en"`
}

// getTimeLimits serves GET /api/v1/time-limits: the limits in force.
func (s *Server) getTimeLimits() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		limits, err := s.store.TimeLimits(r.Context())
		if err != nil {
			return err
		}
		steps := make([]namedStep, len(timelimit.Steps))
		for i, st := range timelimit.Steps {
			steps[i] = namedStep{st, st.Name(), st.NameEn()}
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"warn_share": s.store.WarnShare(), "units": timelimit.Units,
			"steps": steps, "limits": limits})
		return nil
	})
}

// limitTarget reads the {case_type} and {step} of the route.
func limitTarget(r *http.Request) (string, timelimit.Step, error) {
	vars := mux.Vars(r)
	ct, step := vars["case_type"], timelimit.Step(vars["step"])
	if err := timelimit.CheckCaseType(ct); err != nil {
		return "", "", err
	}
	if !step.Valid() {
		return "", "", maint.Invalid("step", "a step is file, dispatch, handle or verify, got %q", string(step))
	}
	return ct, step, nil
}

// timeLimit serves PUT /api/v1/time-limits/{case_type}/{step} (admin) and
// DELETE, which returns the limit to its default.
func (s *Server) timeLimit() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		ct, step, err := limitTarget(r)
		if err != nil {
			return err
		}
		if r.Method == http.MethodDelete {
			return noContent(w, s.store.SetTimeLimit(r.Context(), v, s.clientIP(r), ct, step, nil))
		}
		rule, err := httpx.Decode[timelimit.Rule](r)
		if err != nil {
			return err
		}
		if err := rule.Check(); err != nil {
			return err
		}
		return noContent(w, s.store.SetTimeLimit(r.Context(), v, s.clientIP(r), ct, step, &rule))
	})
}

type clockActionJSON struct {
	Action  string  `json:"action"`
	N       float64 `json:"n"`
	Reason  string  `json:"reason"`
	Request int64   `json:"request"`
	Note    string  `json:"note"`
}

// check reads the action and says what is missing.
func (in clockActionJSON) check() (maint.ClockAction, error) {
	a := maint.ClockAction{Action: in.Action, N: in.N, Reason: strings.TrimSpace(in.Reason), Request: in.Request, Note: strings.TrimSpace(in.Note)}
	switch a.Action {
	case "request_extension", "request_suspension":
		if err := httpx.CheckText("reason", a.Reason, true, 1000); err != nil {
			return a, err
		}
		if a.Action == "request_extension" && !(a.N > 0) {
			return a, maint.InvalidAs("n", "extension_needs_amount", nil, "say how much more time the extension asks for (n, in the step's unit)")
		}
	case "approve", "refuse":
		if a.Request <= 0 {
			return a, maint.InvalidAs("request", "request_required", nil, "name the request to decide (request: its id)")
		}
	case "resume":
	default:
		return a, maint.Invalid("action", "action is one of %s, got %q", strings.Join(maint.ClockActions, ", "), a.Action)
	}
	return a, httpx.CheckText("note", a.Note, false, 1000)
}

// clockAction serves POST /api/v1/tasks/{id}/clock (staff, If-Match).
func (s *Server) clockAction() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, in, err := editWith(r, httpx.Staff, httpx.Decode[clockActionJSON])
		if err != nil {
			return err
		}
		a, err := in.check()
		if err != nil {
			return err
		}
		t, err := s.store.ClockAction(r.Context(), e.v, e.id, e.version, a)
		if err != nil {
			return err
		}
		s.writeTask(w, r, http.StatusOK, t)
		return nil
	})
}
