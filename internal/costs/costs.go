// Package costs is what a task's work costs (docs/costs.md): its estimated
// and actual cost lines — labour as hours × a rate, materials and equipment
// as a quantity × a unit price or a lump amount — and the roll-ups of them
// per programme, sub-district or unit against the programmes' budgets.
//
// Money is integer fen (分) from the request body to the database and back:
// nothing here passes through a float. Quantities (hours, tonnes, m³) are
// exact decimals held as thousandths; an amount is quantity × price rounded
// half up to the fen, computed in 128-bit integers.
package costs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"inframap/internal/maint"
)

// Kind says whether a line is an estimate (before the work) or an actual
// (what it cost).
type Kind string

const (
	Estimate Kind = "estimate"
	Actual   Kind = "actual"
)

// Kinds in the order they are shown.
var Kinds = []Kind{Estimate, Actual}

// Category is what a line pays for.
type Category string

const (
	Labour    Category = "labour"
	Materials Category = "materials"
	Equipment Category = "equipment"
)

// Categories in the order they are shown.
var Categories = []Category{Labour, Materials, Equipment}

func (k Kind) valid() bool     { return k == Estimate || k == Actual }
func (c Category) valid() bool { return c == Labour || c == Materials || c == Equipment }

// Bounds of one line: enough for a capital project (a line of 100亿元),
// small enough that sums of millions of lines stay inside int64.
const (
	MaxLines       = 200
	MaxAmountFen   = 1_000_000_000_000 // 100亿元
	MaxPriceFen    = 1_000_000_000_000
	MaxBudgetFen   = 100_000_000_000_000 // 1万亿元
	MaxQuantity    = 100_000_000         // whole units (hours, tonnes, …)
	MaxDescription = 200
	MaxUnit        = 20
)

// Line is one stored cost line.
type Line struct {
	ID          int64    `json:"id"`
	Kind        Kind     `json:"kind"`
	Category    Category `json:"category"`
	Description string   `json:"description"`
	// QuantityMilli is the quantity in thousandths (hours for labour);
	// nil for a lump amount.
	QuantityMilli *int64 `json:"-"`
	Unit          string `json:"-"`
	// UnitPriceFen is the price of one unit (the hourly rate for labour);
	// nil for a lump amount.
	UnitPriceFen *int64    `json:"-"`
	AmountFen    int64     `json:"amount_fen"`
	RecordedAt   time.Time `json:"recorded_at"`
	RecordedBy   string    `json:"recorded_by,omitempty"`
}

// MarshalJSON writes a line as the API sends it: labour with hours and
// rate_fen, other quantities with quantity, unit and unit_price_fen, a lump
// with amount_fen alone; quantities as exact decimal numbers.
func (l Line) MarshalJSON() ([]byte, error) {
	m := map[string]any{"id": l.ID, "kind": l.Kind, "category": l.Category, "description": l.Description,
		"amount_fen": l.AmountFen, "recorded_at": l.RecordedAt}
	if l.RecordedBy != "" {
		m["recorded_by"] = l.RecordedBy
	}
	if l.QuantityMilli != nil {
		q := json.Number(FormatMilli(*l.QuantityMilli))
		if l.Category == Labour {
			m["hours"], m["rate_fen"] = q, *l.UnitPriceFen
		} else {
			m["quantity"], m["unit"], m["unit_price_fen"] = q, l.Unit, *l.UnitPriceFen
		}
	}
	return json.Marshal(m)
}

// NewLine is a line as a writer gives it, checked.
type NewLine struct {
	Kind          Kind
	Category      Category
	Description   string
	QuantityMilli *int64
	Unit          string
	UnitPriceFen  *int64
	AmountFen     int64
}

// Amount is quantity (in thousandths) × unit price, rounded half up to the
// fen, in 128-bit integers; ok is false past MaxAmountFen.
func Amount(quantityMilli, priceFen int64) (fen int64, ok bool) {
	if quantityMilli < 0 || priceFen < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(quantityMilli), uint64(priceFen))
	lo, carry := bits.Add64(lo, 500, 0)
	hi += carry
	if hi >= 1000 {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, 1000)
	if q > MaxAmountFen {
		return 0, false
	}
	return int64(q), true
}

// FormatMilli writes thousandths as an exact decimal: 2500 → "2.5".
func FormatMilli(m int64) string {
	s := strconv.FormatInt(m/1000, 10)
	if f := m % 1000; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", f), "0")
	}
	return s
}

// FormatYuan writes fen as yuan with thousands separators and two places,
// for the columns of files people read: 123456 → "1,234.56".
func FormatYuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	whole := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	fmt.Fprintf(&b, ".%02d", fen%100)
	return b.String()
}

// lineJSON is a line as sent: numbers are kept raw so that a fraction of a
// fen or a number sent as a string is refused, never rounded.
type lineJSON struct {
	Kind         json.RawMessage `json:"kind"`
	Category     json.RawMessage `json:"category"`
	Description  json.RawMessage `json:"description"`
	Hours        json.RawMessage `json:"hours"`
	RateFen      json.RawMessage `json:"rate_fen"`
	Quantity     json.RawMessage `json:"quantity"`
	Unit         json.RawMessage `json:"unit"`
	UnitPriceFen json.RawMessage `json:"unit_price_fen"`
	AmountFen    json.RawMessage `json:"amount_fen"`
}

// Body is the body of PUT /api/v1/tasks/{id}/costs: every line of the task,
// estimates and actuals, replacing those it had.
type Body struct {
	Lines []json.RawMessage `json:"lines"`
}

func given(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// unprocessable is a refused line field, a 422 the pages say in words.
func unprocessable(e *maint.Error) *maint.Error { return e.WithCode(maint.CodeUnprocessable) }

// Fen reads a whole number of fen: a JSON integer, not negative, at most
// max. A fraction, an exponent or a string is refused.
func Fen(field string, raw json.RawMessage, max int64) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s[0] == '"' || strings.ContainsAny(s, ".eE") || !isNumber(s) {
		return 0, unprocessable(maint.InvalidAs(field, "cost_fen_integer", nil, "%s is a whole number of fen (分) as a JSON integer, got %s", field, s))
	}
	if s[0] == '-' {
		return 0, unprocessable(maint.InvalidAs(field, "cost_negative", nil, "%s is not negative", field))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > max {
		return 0, unprocessable(maint.InvalidAs(field, "cost_too_large", maint.Params{"max": max}, "%s is at most %d", field, max))
	}
	return n, nil
}

// decimal reads a quantity as an exact decimal number with at most places
// decimals (a JSON number, not a string), in thousandths.
func decimal(field string, raw json.RawMessage, places int) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s[0] == '"' || strings.ContainsAny(s, "eE") || !isNumber(s) {
		return 0, unprocessable(maint.InvalidAs(field, "cost_quantity_number", maint.Params{"places": places},
			"%s is a number with at most %d decimals, got %s", field, places, s))
	}
	if s[0] == '-' {
		return 0, unprocessable(maint.InvalidAs(field, "cost_negative", nil, "%s is not negative", field))
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > places {
		return 0, unprocessable(maint.InvalidAs(field, "cost_quantity_places", maint.Params{"places": places},
			"%s has at most %d decimals, got %s", field, places, s))
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > MaxQuantity {
		return 0, unprocessable(maint.InvalidAs(field, "cost_too_large", maint.Params{"max": MaxQuantity}, "%s is at most %d", field, MaxQuantity))
	}
	frac += strings.Repeat("0", 3-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*1000 + f, nil
}

// isNumber says whether s is a JSON number.
func isNumber(s string) bool {
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

// text reads an optional JSON string of at most max characters.
func text(field string, raw json.RawMessage, max int) (string, error) {
	if !given(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", unprocessable(maint.InvalidAs(field, "cost_text", nil, "%s is text", field))
	}
	s = strings.TrimSpace(s)
	if len([]rune(s)) > max {
		return "", unprocessable(maint.InvalidAs(field, "cost_text_too_long", maint.Params{"max": max}, "%s is at most %d characters", field, max))
	}
	return s, nil
}

// ParseLines checks every line of a body; the first bad field is the error
// (its name says which line: lines[2].rate_fen), and then none is written.
func ParseLines(b Body) ([]NewLine, error) {
	if b.Lines == nil {
		return nil, maint.InvalidAs("lines", "cost_lines_required", nil, "send {\"lines\": [...]}, an empty list to remove every line")
	}
	if len(b.Lines) > MaxLines {
		return nil, unprocessable(maint.InvalidAs("lines", "cost_too_many_lines", maint.Params{"max": MaxLines}, "a task has at most %d cost lines", MaxLines))
	}
	out := make([]NewLine, 0, len(b.Lines))
	for i, raw := range b.Lines {
		l, err := parseLine(fmt.Sprintf("lines[%d]", i), raw)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func parseLine(at string, raw json.RawMessage) (NewLine, error) {
	var in lineJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return NewLine{}, unprocessable(maint.InvalidAs(at, "cost_line_shape", nil,
			"%s is an object of kind, category, description and hours + rate_fen, quantity + unit + unit_price_fen, or amount_fen: %v", at, err))
	}
	var l NewLine
	var kind, cat string
	var err error
	if kind, err = text(at+".kind", in.Kind, 20); err == nil && !Kind(kind).valid() {
		err = unprocessable(maint.InvalidAs(at+".kind", "cost_kind_unknown", nil, "kind is estimate or actual, got %q", kind))
	}
	if err != nil {
		return l, err
	}
	if cat, err = text(at+".category", in.Category, 20); err == nil && !Category(cat).valid() {
		err = unprocessable(maint.InvalidAs(at+".category", "cost_category_unknown", nil, "category is labour, materials or equipment, got %q", cat))
	}
	if err != nil {
		return l, err
	}
	l.Kind, l.Category = Kind(kind), Category(cat)
	if l.Description, err = text(at+".description", in.Description, MaxDescription); err != nil {
		return l, err
	}
	if l.Category == Labour {
		if given(in.Quantity) || given(in.Unit) || given(in.UnitPriceFen) || given(in.AmountFen) || !given(in.Hours) || !given(in.RateFen) {
			return l, unprocessable(maint.InvalidAs(at, "cost_labour_fields", nil, "%s: labour is hours × rate_fen (fen per hour), and nothing else", at))
		}
		q, err := decimal(at+".hours", in.Hours, 2)
		if err != nil {
			return l, err
		}
		p, err := Fen(at+".rate_fen", in.RateFen, MaxPriceFen)
		if err != nil {
			return l, err
		}
		l.QuantityMilli, l.UnitPriceFen, l.Unit = &q, &p, "h"
	} else {
		switch {
		case given(in.Hours) || given(in.RateFen):
			return l, unprocessable(maint.InvalidAs(at, "cost_priced_fields", nil, "%s: hours and rate_fen are for labour; %s is quantity × unit_price_fen or amount_fen", at, cat))
		case given(in.AmountFen) && !given(in.Quantity) && !given(in.UnitPriceFen) && !given(in.Unit):
			a, err := Fen(at+".amount_fen", in.AmountFen, MaxAmountFen)
			if err != nil {
				return l, err
			}
			l.AmountFen = a
			return l, nil
		case given(in.AmountFen) || !given(in.Quantity) || !given(in.UnitPriceFen):
			return l, unprocessable(maint.InvalidAs(at, "cost_priced_fields", nil, "%s: %s is quantity × unit_price_fen (with its unit) or a lump amount_fen, not both", at, cat))
		}
		q, err := decimal(at+".quantity", in.Quantity, 3)
		if err != nil {
			return l, err
		}
		p, err := Fen(at+".unit_price_fen", in.UnitPriceFen, MaxPriceFen)
		if err != nil {
			return l, err
		}
		if l.Unit, err = text(at+".unit", in.Unit, MaxUnit); err != nil {
			return l, err
		}
		l.QuantityMilli, l.UnitPriceFen = &q, &p
	}
	a, ok := Amount(*l.QuantityMilli, *l.UnitPriceFen)
	if !ok {
		return l, unprocessable(maint.InvalidAs(at, "cost_too_large", maint.Params{"max": MaxAmountFen}, "%s: the amount is at most %d fen", at, int64(MaxAmountFen)))
	}
	l.AmountFen = a
	return l, nil
}

// Sum is what lines of one kind add up to, by category.
type Sum struct {
	Labour    int64 `json:"labour_fen"`
	Materials int64 `json:"materials_fen"`
	Equipment int64 `json:"equipment_fen"`
	Total     int64 `json:"total_fen"`
}

func (s *Sum) add(c Category, fen int64) {
	switch c {
	case Labour:
		s.Labour += fen
	case Materials:
		s.Materials += fen
	case Equipment:
		s.Equipment += fen
	}
	s.Total += fen
}

// Totals are a task's estimate and actual sums.
type Totals struct {
	Estimate Sum `json:"estimate"`
	Actual   Sum `json:"actual"`
}

// TotalsOf adds lines up.
func TotalsOf(lines []Line) Totals {
	var t Totals
	for _, l := range lines {
		if l.Kind == Estimate {
			t.Estimate.add(l.Category, l.AmountFen)
		} else {
			t.Actual.add(l.Category, l.AmountFen)
		}
	}
	return t
}

// TaskCosts are a task's current lines (or those in force at AsOf).
type TaskCosts struct {
	TaskID  int64      `json:"task_id"`
	Ref     string     `json:"ref"`
	Version int        `json:"version"`
	AsOf    *time.Time `json:"as_of,omitempty"`
	Lines   []Line     `json:"lines"`
	Totals  Totals     `json:"totals"`
}

// By is how a roll-up groups tasks.
type By string

const (
	ByProgramme   By = "programme"
	BySubdistrict By = "subdistrict"
	ByUnit        By = "unit"
)

// ParseBy reads a grouping; the default is by programme.
func ParseBy(s string) (By, error) {
	switch By(s) {
	case "":
		return ByProgramme, nil
	case ByProgramme, BySubdistrict, ByUnit:
		return By(s), nil
	}
	return "", maint.InvalidAs("by", "cost_by_unknown", maint.Params{"value": s}, "by is programme, subdistrict or unit, got %q", s)
}

// Query asks for a roll-up: grouped by By, counting the lines in force at
// AsOf (an instant: the end of an as_of day, or now).
type Query struct {
	By   By
	AsOf time.Time
}

// Row is one group of a roll-up. Budget, Remaining and ShareSpent are nil
// where the group has no budget (sub-districts, units, a programme whose
// budget is not set).
type Row struct {
	Key        string       `json:"key"`
	Name       string       `json:"name"`
	NameEn     string       `json:"name_en"`
	Scope      string       `json:"scope,omitempty"` // programme or project, by programme
	PeriodFrom string       `json:"period_from,omitempty"`
	PeriodTo   string       `json:"period_to,omitempty"`
	Estimated  int64        `json:"estimated_fen"`
	Actual     int64        `json:"actual_fen"`
	Budget     *int64       `json:"budget_fen"`
	Remaining  *int64       `json:"remaining_fen"`
	ShareSpent *json.Number `json:"share_spent"`
	Tasks      int          `json:"tasks"`
}

// Finish sets what follows from the sums and the budget: remaining =
// budget − actual, and the share spent = actual / budget as an exact
// decimal string of four places, rounded half up ("0.1234"; null without a
// budget or with a budget of 0).
func (r *Row) Finish() {
	r.Remaining, r.ShareSpent = nil, nil
	if r.Budget == nil {
		return
	}
	rem := *r.Budget - r.Actual
	r.Remaining = &rem
	if *r.Budget == 0 {
		return
	}
	s := Share(r.Actual, *r.Budget)
	r.ShareSpent = &s
}

// Share is num / den to four decimal places, half up, as an exact decimal
// number (big integers: no float, no overflow).
func Share(num, den int64) json.Number {
	n := new(big.Int).Mul(big.NewInt(num), big.NewInt(10000))
	n.Add(n, big.NewInt(den/2))
	n.Quo(n, big.NewInt(den))
	q, r := new(big.Int).QuoRem(n, big.NewInt(10000), new(big.Int))
	return json.Number(q.String() + "." + fmt.Sprintf("%04d", r.Int64()))
}

// RollUp is the answer of GET /api/v1/costs.
type RollUp struct {
	By    By        `json:"by"`
	AsOf  time.Time `json:"as_of"`
	Rows  []Row     `json:"rows"`
	Total Row       `json:"total"`
	// Note says, by programme, that project rows lie within their
	// programme and are not added again into the total.
	Note string `json:"note,omitempty"`
}

// Budget is a programme's or a project's budget.
type Budget struct {
	Key        string `json:"key"`
	Scope      string `json:"scope"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	BudgetFen  *int64 `json:"budget_fen"`
	PeriodFrom string `json:"period_from,omitempty"`
	PeriodTo   string `json:"period_to,omitempty"`
	Source     string `json:"source,omitempty"`
}

// Store is what costs read and write in the database.
type Store interface {
	// TaskCosts returns a task's lines in force now, or at asOf.
	TaskCosts(ctx context.Context, id int64, v maint.Viewer, asOf *time.Time) (*TaskCosts, error)
	// SetTaskCosts replaces a task's lines if the task is still at version
	// (If-Match): the old lines are superseded, the new recorded, the
	// task's version raised and a history row written, in one transaction.
	SetTaskCosts(ctx context.Context, v maint.Viewer, id int64, version int, lines []NewLine) (*TaskCosts, error)
	// CostRollUp sums the lines in force at q.AsOf per group.
	CostRollUp(ctx context.Context, q Query) (*RollUp, error)
	// Budgets lists the budgets; SetBudget changes one's amount, audited.
	Budgets(ctx context.Context) ([]Budget, error)
	SetBudget(ctx context.Context, v maint.Viewer, ip, key string, budgetFen *int64) (*Budget, error)
}
