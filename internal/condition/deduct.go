package condition

import (
	"maps"
	"slices"
)

// Deduct values (DP) by density, in the shape of the CJJ 36-2016 tables for
// asphalt pavement: for each severity a curve through fixed density points
// (0, 0.1, 1, 10, 50 and 100 % of the section's area), read between points by
// linear interpolation, scaled per kind by how much that distress harms the
// ride and the structure. Every curve rises with density and with severity.
//
// These numbers are ESTIMATES, not the official tables: the curves follow the
// shape of the published ones (steep up to ~10 % density, flattening above)
// and the kind factors the order CJJ 36 gives the distresses (potholes, frost
// boiling and subsidence worst; line cracks, edge break and bleeding least).
// Replace them with the official values when the standard's tables are at
// hand; the formula and the grades do not change. docs/condition.md says the same.

// densities are the density points of every curve, in % of the section's area.
var densities = [...]float64{0, 0.1, 1, 10, 50, 100}

// curves are the deduct values at the density points, per severity, for a
// distress of kind factor 1.0 (e.g. alligator cracking).
var curves = map[Severity][len(densities)]float64{
	Light:    {0, 5, 10, 20, 35, 45},
	Moderate: {0, 8, 16, 30, 50, 60},
	Heavy:    {0, 12, 24, 40, 65, 75},
}

// deduct holds the kind factor of each asphalt distress of CJJ 36 (the codes
// of maint.RoadDistresses).
var deduct = map[string]float64{
	"longitudinal_crack": 0.6, // 线裂
	"block_crack":        0.8, // 网裂
	"alligator_crack":    1.0, // 龟裂
	"shoving":            0.9, // 拥包
	"rutting":            0.9, // 车辙
	"subsidence":         1.0, // 沉陷
	"frost_boiling":      1.2, // 翻浆
	"ravelling":          0.7, // 剥落
	"pothole":            1.2, // 坑槽
	"edge_break":         0.6, // 啃边
	"frame_step":         0.8, // 路框差
	"pumping":            0.8, // 唧浆
	"bleeding":           0.5, // 泛油
}

// Kinds are the distress codes with a deduct table, sorted.
func Kinds() []string {
	return slices.Sorted(maps.Keys(deduct))
}

// ValidKind reports whether kind has a deduct table.
func ValidKind(kind string) bool {
	_, ok := deduct[kind]
	return ok
}

// DeductValue is the deduct value of a distress of the kind and severity
// covering density % of its section (capped at 100 %), between 0 and 100.
// An unknown kind or severity deducts nothing (Distress.Valid refuses them).
func DeductValue(kind string, sev Severity, density float64) float64 {
	f, ok := deduct[kind]
	c, ok2 := curves[sev]
	if !ok || !ok2 || !(density > 0) {
		return 0
	}
	density = min(density, 100)
	v := c[len(c)-1]
	for i := 1; i < len(densities); i++ {
		if density <= densities[i] {
			lo, hi := densities[i-1], densities[i]
			v = c[i-1] + (c[i]-c[i-1])*(density-lo)/(hi-lo)
			break
		}
	}
	return min(100, v*f)
}
