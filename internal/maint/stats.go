package maint

// Stats is the report card: per programme the published figures and the
// progress, and the state of the task queue.
type Stats struct {
	// AsOf is the day the figures replay (YYYY-MM-DD), or empty for now.
	AsOf       string           `json:"as_of,omitempty"`
	Programmes []ProgrammeStats `json:"programmes"`
	Tasks      TaskStats        `json:"tasks"`
}

// ProgrammeStats are one programme's figures.
type ProgrammeStats struct {
	Kind   Kind   `json:"kind"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// Count is the number of assets; Quantity the programme's measure in
	// Unit (m² of road, sites, spaces, manholes).
	Count             int     `json:"count"`
	Quantity          float64 `json:"quantity"`
	Unit              string  `json:"unit"`
	Completed         int     `json:"completed"`
	CompletedQuantity float64 `json:"completed_quantity"`
	PercentComplete   float64 `json:"percent_complete"`
	// ByStatus counts assets by the status of their latest task; "none" for
	// assets without one.
	ByStatus map[string]int `json:"by_status"`
	// ByMonth counts completions of the published programme by calendar
	// month in the district's zone.
	ByMonth []MonthStats `json:"by_month"`
	// Sewer separation reports its sites and the road corridor apart.
	Sites              *int     `json:"sites,omitempty"`
	Corridors          *int     `json:"corridors,omitempty"`
	CorridorNames      []string `json:"corridor_names,omitempty"`
	CompletedSites     *int     `json:"completed_sites,omitempty"`
	CompletedCorridors *int     `json:"completed_corridors,omitempty"`
	// Capital projects report their investment.
	InvestmentYuan *int64 `json:"investment_yuan,omitempty"`
}

// MonthStats counts the completions of one month.
type MonthStats struct {
	Month     string  `json:"month"` // YYYY-MM
	Completed int     `json:"completed"`
	Quantity  float64 `json:"quantity"`
}

// TaskStats describe the task queue.
type TaskStats struct {
	Total    int            `json:"total"`
	Open     int            `json:"open"`
	Overdue  int            `json:"overdue"`
	ByStatus map[string]int `json:"by_status"`
	// Lights counts the open cases by the light of their running step
	// (red, yellow, green, paused, none); absent from a replay.
	Lights map[string]int `json:"lights,omitempty"`
}

// Units of the programmes' quantities.
var programmeUnits = map[Kind]string{
	KindRoadRepair:      "m2",
	KindSewerSeparation: "sites",
	KindParkingLot:      "spaces",
	KindManhole:         "manholes",
	KindCapitalProject:  "m2",
}

// Unit returns the unit a programme's quantity is counted in.
func (k Kind) Unit() string { return programmeUnits[k] }
