package inspection

import (
	"math"
	"slices"

	"inframap/internal/condition"
	"inframap/internal/maint"
)

// CoverItems are a cover's checklist, each named by the defect it looks
// for (maint.ManholeDefects): present, broken cover, broken frame,
// cover–frame gap, height difference, rocking/noise, anti-fall net.
var CoverItems = []string{"missing_cover", "broken_cover", "broken_frame", "cover_frame_gap",
	"height_difference", "rocking_noise", "missing_anti_fall_net"}

// Distress is one CJJ 36 distress found on a road section: its type
// (maint.RoadDistresses), extent in m² (the damaged area, as the PCI of
// internal/condition counts it) and severity (condition.Severities:
// light, moderate, heavy).
type Distress struct {
	Type     string  `json:"type"`
	Extent   float64 `json:"extent"`
	Severity string  `json:"severity"`
}

// Result is a recorded checklist. For a cover, Checks answers every item of
// CoverItems with "ok" or "fail"; for a road section, Distresses lists what
// was found (none: a clean section), each a failed item. Position is where
// the inspector stood.
type Result struct {
	Checks     map[string]string `json:"checks,omitempty"`
	Distresses []Distress        `json:"distresses,omitempty"`
	Note       string            `json:"note,omitempty"`
	Position   *[2]float64       `json:"position,omitempty"`
	AccuracyM  *float64          `json:"accuracy_m,omitempty"`
}

// Check says what is wrong with a result for an asset of kind: every field
// it names is the JSON path of the offending part.
func (r Result) Check(kind maint.Kind) error {
	switch kind {
	case maint.KindManhole:
		if len(r.Distresses) > 0 {
			return maint.InvalidAs("distresses", "checklist_kind", maint.Params{"kind": string(kind)}, "a cover's checklist has checks, not distresses")
		}
		for _, item := range CoverItems {
			v, ok := r.Checks[item]
			if !ok {
				return maint.InvalidAs("checks."+item, "checklist_missing", maint.Params{"item": item}, "the checklist must answer %q (ok or fail)", item)
			}
			if v != "ok" && v != "fail" {
				return maint.InvalidAs("checks."+item, "checklist_answer", maint.Params{"item": item}, "%q must be ok or fail", item)
			}
		}
		for item := range r.Checks {
			if !slices.Contains(CoverItems, item) {
				return maint.InvalidAs("checks."+item, "checklist_unknown", maint.Params{"item": item}, "%q is not on a cover's checklist", item)
			}
		}
	case maint.KindRoadRepair:
		if len(r.Checks) > 0 {
			return maint.InvalidAs("checks", "checklist_kind", maint.Params{"kind": string(kind)}, "a road section's checklist has distresses, not checks")
		}
		seen := map[string]bool{}
		for i, d := range r.Distresses {
			field := "distresses." + itoa(i)
			if _, ok := maint.Lookup(maint.RoadDistresses, d.Type); !ok {
				return maint.InvalidAs(field+".type", "checklist_unknown", maint.Params{"item": d.Type}, "%q is not a CJJ 36 distress", d.Type)
			}
			if seen[d.Type] {
				return maint.InvalidAs(field+".type", "checklist_repeated", maint.Params{"item": d.Type}, "%q is listed twice; give its total extent once", d.Type)
			}
			seen[d.Type] = true
			if math.IsNaN(d.Extent) || d.Extent <= 0 || d.Extent > 1e6 {
				return maint.InvalidAs(field+".extent", "checklist_extent", nil, "extent must be a positive area in m² up to 1,000,000")
			}
			if !slices.Contains(condition.Severities, condition.Severity(d.Severity)) {
				return maint.InvalidAs(field+".severity", "checklist_severity", nil, "severity must be light, moderate or heavy")
			}
		}
	default:
		return maint.InvalidAs("kind", "plan_kind", maint.Params{"kind": string(kind)}, "%s assets have no checklist", kind)
	}
	if len([]rune(r.Note)) > 2000 {
		return maint.InvalidAs("note", "checklist_note", nil, "the note is at most 2000 characters")
	}
	if p := r.Position; p != nil && (math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
		return maint.InvalidAs("position", "checklist_position", nil, "position is [lon, lat] in degrees")
	}
	if a := r.AccuracyM; a != nil && (math.IsNaN(*a) || *a < 0) {
		return maint.InvalidAs("accuracy_m", "checklist_position", nil, "accuracy_m is a distance in metres")
	}
	return nil
}

// Failed are the failed items in checklist order: a cover's failed checks,
// a road section's distresses by type.
func (r Result) Failed(kind maint.Kind) []string {
	var out []string
	if kind == maint.KindManhole {
		for _, item := range CoverItems {
			if r.Checks[item] == "fail" {
				out = append(out, item)
			}
		}
		return out
	}
	for _, d := range r.Distresses {
		out = append(out, d.Type)
	}
	return out
}

// CoverGrade is a cover's condition grade (A–D) from its checklist, by
// condition.ManholeGrade; walkway says people walk over it (load class
// A15–C250), where a missing anti-fall net is critical.
func CoverGrade(r Result, walkway bool) string {
	f := func(item string) bool { return r.Checks[item] == "fail" }
	return condition.ManholeGrade(condition.ManholeCheck{Missing: f("missing_cover"), Broken: f("broken_cover"),
		FrameBroken: f("broken_frame"), Gap: f("cover_frame_gap"), HeightDiff: f("height_difference"),
		Rocking: f("rocking_noise"), NetMissing: f("missing_anti_fall_net"), Walkway: walkway})
}

// Walkway says whether a cover of load class lc lies where people walk
// (GB/T 23858 A15, B125, C250).
func Walkway(lc string) bool { return lc == "A15" || lc == "B125" || lc == "C250" }

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
