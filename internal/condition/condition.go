// Package condition owns the condition of assets: the pavement condition
// index (PCI) of a road section computed from its recorded distresses by the
// CJJ 36-2016 formula, the grade A–D of a PCI by road class, and the grade of
// a manhole from its inspection checklist. It is pure Go: no SQL, no HTTP.
//
// The formula (DOMAIN.md §5):
//
//	PCI = 100 − Σ DP_i·w_i,  w_i = 3.0u_i³ − 5.5u_i² + 3.5u_i,  u_i = DP_i / Σ DP
//
// where DP_i is the deduct value of distress i, read from a table by its kind,
// severity and density (its extent as a share of the section's area, in %).
// The deduct tables here are estimates shaped after CJJ 36 (see deduct.go and
// docs/condition.md), pending the official tables.
package condition

import (
	"fmt"
	"math"
	"slices"
)

// Severity of a distress: CJJ 36 rates most distresses light, moderate or heavy.
type Severity string

const (
	Light    Severity = "light"
	Moderate Severity = "moderate"
	Heavy    Severity = "heavy"
)

// Severities in order, for validation and the pages.
var Severities = []Severity{Light, Moderate, Heavy}

// RoadClass decides the grade boundaries of a road section.
type RoadClass string

const (
	Expressway RoadClass = "expressway"
	Arterial   RoadClass = "arterial"
	Local      RoadClass = "local"
)

// RoadClasses in order, for validation and the pages.
var RoadClasses = []RoadClass{Expressway, Arterial, Local}

// Grades A (good) to D (poor).
var Grades = []string{"A", "B", "C", "D"}

// Distress is one present distress on a road section.
type Distress struct {
	Kind     string
	Severity Severity
	ExtentM2 float64
}

// Valid reports whether kind and severity are known, and the extent positive.
func (d Distress) Valid() error {
	if _, ok := deduct[d.Kind]; !ok {
		return fmt.Errorf("distress kind %q unknown", d.Kind)
	}
	if !slices.Contains(Severities, d.Severity) {
		return fmt.Errorf("severity %q unknown", d.Severity)
	}
	if !(d.ExtentM2 > 0) || math.IsInf(d.ExtentM2, 0) {
		return fmt.Errorf("extent %v m² must be a positive number", d.ExtentM2)
	}
	return nil
}

// Weight is the CJJ 36 weight of a deduct value that is the share u of the
// sum of all deduct values: w = 3.0u³ − 5.5u² + 3.5u (w(1) = 1).
func Weight(u float64) float64 {
	return 3.0*u*u*u - 5.5*u*u + 3.5*u
}

// Combine turns deduct values into a PCI, unrounded, between 0 and 100.
// No deduct values (or only zeros) give 100.
func Combine(dps []float64) float64 {
	sum := 0.0
	for _, dp := range dps {
		sum += dp
	}
	if sum <= 0 {
		return 100
	}
	total := 0.0
	for _, dp := range dps {
		total += dp * Weight(dp/sum)
	}
	return math.Max(0, math.Min(100, 100-total))
}

// PCI computes the pavement condition index of a section of areaM2 square
// metres from its present distresses, rounded to one decimal (as stored).
// Each distress's density is its extent over the area, in %, capped at 100.
func PCI(areaM2 float64, ds []Distress) (float64, error) {
	if len(ds) == 0 {
		return 100, nil
	}
	if !(areaM2 > 0) || math.IsInf(areaM2, 0) {
		return 0, fmt.Errorf("section area %v m² must be positive", areaM2)
	}
	dps := make([]float64, len(ds))
	for i, d := range ds {
		if err := d.Valid(); err != nil {
			return 0, err
		}
		dps[i] = DeductValue(d.Kind, d.Severity, 100*d.ExtentM2/areaM2)
	}
	return Round(Combine(dps)), nil
}

// Round rounds a PCI to one decimal, the precision stored and graded.
func Round(pci float64) float64 {
	return math.Round(pci*10) / 10
}

// bounds are the lowest PCI of grades A, B and C per road class; the
// boundaries are inclusive (DOMAIN.md §5: arterials ≥85 A, 70–85 B, 60–70 C, <60 D).
var bounds = map[RoadClass][3]float64{
	Expressway: {90, 75, 65},
	Arterial:   {85, 70, 60},
	Local:      {80, 65, 60},
}

// Grade returns the grade of a PCI for the road class: the PCI is rounded to
// one decimal first, so 84.96 on an arterial is 85.0 and grade A. An unknown
// class is graded as local.
func Grade(class RoadClass, pci float64) string {
	b, ok := bounds[class]
	if !ok {
		b = bounds[Local]
	}
	p := Round(pci)
	switch {
	case p >= b[0]:
		return "A"
	case p >= b[1]:
		return "B"
	case p >= b[2]:
		return "C"
	}
	return "D"
}

// ValidGrade reports whether g is one of A, B, C, D.
func ValidGrade(g string) bool { return slices.Contains(Grades, g) }

// ValidRoadClass reports whether c is a known road class.
func ValidRoadClass(c string) bool { return slices.Contains(RoadClasses, RoadClass(c)) }

// ManholeCheck is the result of a cover's inspection checklist, each field
// true when the item failed. The zero value is a cover with nothing wrong.
type ManholeCheck struct {
	Missing     bool `json:"missing"`      // 井盖缺失 cover missing
	Broken      bool `json:"broken"`       // 井盖破损 cover broken
	FrameBroken bool `json:"frame_broken"` // 井框破损 frame broken
	Gap         bool `json:"gap"`          // 盖框间隙 cover–frame gap
	HeightDiff  bool `json:"height_diff"`  // 盖框高差 height difference
	Rocking     bool `json:"rocking"`      // 跳动和声响 rocking or noise
	NetMissing  bool `json:"net_missing"`  // 防坠网缺失 anti-fall net missing
	// Walkway says people walk over the cover (footway, square, compound,
	// load class A15–C250), where a missing net is a danger to life.
	Walkway bool `json:"walkway"`
}

// ManholeGrade grades a cover from its checklist:
//
//	D  the cover is missing, or the anti-fall net is missing where people walk
//	   (someone can fall in: make safe at once);
//	C  the cover or the frame is broken, or the net is missing elsewhere
//	   (structural: replace);
//	B  a gap, height difference or rocking/noise (adjust or reseat);
//	A  nothing wrong.
func ManholeGrade(c ManholeCheck) string {
	switch {
	case c.Missing || (c.NetMissing && c.Walkway):
		return "D"
	case c.Broken || c.FrameBroken || c.NetMissing:
		return "C"
	case c.Gap || c.HeightDiff || c.Rocking:
		return "B"
	}
	return "A"
}
