package maint

import (
	"slices"
	"strings"
)

// Kind is the kind of an asset. Each programme of the district's published
// report has its kind; parking spaces belong to their lot.
type Kind string

const (
	KindRoadRepair      Kind = "road_repair"
	KindSewerSeparation Kind = "sewer_separation"
	KindParkingLot      Kind = "parking_lot"
	KindParkingSpace    Kind = "parking_space"
	KindManhole         Kind = "manhole"
	KindCapitalProject  Kind = "capital_project"
)

// Kinds lists every asset kind in display order.
var Kinds = []Kind{KindRoadRepair, KindSewerSeparation, KindParkingLot, KindParkingSpace, KindManhole, KindCapitalProject}

// ProgrammeKinds are the kinds reported on the report card, one per programme.
var ProgrammeKinds = []Kind{KindRoadRepair, KindSewerSeparation, KindParkingLot, KindManhole, KindCapitalProject}

type kindInfo struct {
	zh, en string
	// geometry types (OGC names, as PostGIS's GeometryType returns them).
	geoms []string
}

var kindInfos = map[Kind]kindInfo{
	KindRoadRepair:      {"道路小修维护", "Road minor repair", []string{"LINESTRING", "MULTILINESTRING"}},
	KindSewerSeparation: {"雨污分流改造", "Rain/sewage separation", []string{"POLYGON", "MULTIPOLYGON", "LINESTRING", "MULTILINESTRING"}},
	KindParkingLot:      {"公共停车场", "Public parking lot", []string{"POLYGON", "MULTIPOLYGON"}},
	KindParkingSpace:    {"停车泊位", "Parking space", []string{"POLYGON"}},
	KindManhole:         {"窨井病害", "Manhole defect", []string{"POINT"}},
	KindCapitalProject:  {"市政配套工程", "Capital project", []string{"POLYGON", "MULTIPOLYGON"}},
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindInfos[k]; return ok }

// Name returns the Chinese name of the kind.
func (k Kind) Name() string { return kindInfos[k].zh }

// NameEn returns the English name of the kind.
func (k Kind) NameEn() string { return kindInfos[k].en }

// GeometryTypes returns the geometry types (upper case OGC names) an asset of
// this kind may have.
func (k Kind) GeometryTypes() []string { return kindInfos[k].geoms }

// AllowsGeometry reports whether an asset of kind k may have geometry type t
// (case-insensitive OGC name such as "LineString").
func (k Kind) AllowsGeometry(t string) bool {
	return slices.Contains(kindInfos[k].geoms, strings.ToUpper(t))
}

// ParseKinds parses a comma-separated list of kinds, as query parameters carry
// them. An empty string gives nil (no filter).
func ParseKinds(param, s string) ([]Kind, error) {
	if s == "" {
		return nil, nil
	}
	var out []Kind
	for _, p := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(p))
		if !k.Valid() {
			return nil, Invalid(param, "unknown kind %q; known kinds: %s", string(k), joinKinds(Kinds))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

func joinKinds(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Programme names the programme a task belongs to.
type Programme string

const (
	// ProgrammePublished is the district's published 2023–2024 programme.
	ProgrammePublished Programme = "2023-2024"
	// ProgrammeRoutine is routine maintenance outside the published figures.
	ProgrammeRoutine Programme = "routine"
)

// Valid reports whether p is a known programme.
func (p Programme) Valid() bool { return p == ProgrammePublished || p == ProgrammeRoutine }

// Source says where a task came from.
type Source string

const (
	SourceInspector Source = "inspector"
	SourceResident  Source = "resident"
	SourceEngineer  Source = "engineer"
	SourceImport    Source = "import"
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	switch s {
	case SourceInspector, SourceResident, SourceEngineer, SourceImport:
		return true
	}
	return false
}

// KindNames returns the kinds' names, as SQL arrays and cache entries take
// them.
func KindNames(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}
