package maint

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"

	"inframap/gis"
)

// NewAsset is an asset to create.
type NewAsset struct {
	Kind     Kind
	Code     string
	Name     string
	NameEn   string
	ParentID *int64
	Attrs    map[string]any
	// Geometry is in WGS84; the store encodes it for PostGIS.
	Geometry gis.Geometry
}

// AssetPatch changes an asset; only the fields set change. Attrs are merged:
// a key set to null is removed.
type AssetPatch struct {
	Name     Opt[string]
	NameEn   Opt[string]
	Code     Opt[string]
	Attrs    map[string]any
	Geometry gis.Geometry // nil leaves the geometry as it is
}

// reservedAttrs are the fixed properties of an asset; attributes may not
// shadow them.
var reservedAttrs = []string{"id", "kind", "code", "name", "name_en", "subdistrict", "status", "status_at",
	"parent_id", "version", "updated_at", "created_at", "tasks", "geometry", "type",
	"completed_at", "pci", "condition_grade", "condition_at", "condition_score",
	ColOwnerUnit, ColAntiFallNet, ColLastInspectedOn}

var (
	codePattern        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	manholeCodePattern = regexp.MustCompile(`^[0-9]{16}$`)
)

// CheckAssetFields checks an asset's kind, code and name.
func CheckAssetFields(kind Kind, code, name string) error {
	if !kind.Valid() {
		return InvalidAs("kind", "unknown_kind", Params{"kind": kind}, "unknown kind %q", kind)
	}
	if kind == KindManhole && !manholeCodePattern.MatchString(code) {
		return InvalidAs("code", "manhole_code_format", Params{"got": code}, "a manhole's code is its 16-digit component code (county 6 + class 2 + subclass 2 + serial 6), got %q", code)
	}
	if !codePattern.MatchString(code) {
		return InvalidAs("code", "code_format", Params{"got": code}, "a code has 1–64 letters, digits, '.', '_' or '-', got %q", code)
	}
	if name == "" || len([]rune(name)) > 200 {
		return InvalidAs("name", "name_required", nil, "a name of 1–200 characters is required")
	}
	return nil
}

// CheckAttrs checks the attributes of an asset of the given kind: no
// reserved names, the kind's required attributes with sane values, and a
// bounded size. code is the asset's code (a manhole's code carries its cover
// category).
func CheckAttrs(kind Kind, code string, attrs map[string]any) error {
	for k := range attrs {
		if slices.Contains(reservedAttrs, k) {
			return InvalidAs("properties."+k, "attr_fixed", Params{"key": k}, "%q is a fixed property of an asset, not an attribute", k)
		}
		if len(k) == 0 || len(k) > 64 {
			return InvalidAs("properties", "attr_name_length", nil, "attribute names have 1–64 characters")
		}
	}
	if b, _ := json.Marshal(attrs); len(b) > 16<<10 {
		return InvalidAs("properties", "attrs_too_large", nil, "attributes are limited to 16 KiB")
	}
	num := func(key string, required bool, min, max float64, integer bool) error {
		v, ok := attrs[key]
		if !ok || v == nil {
			if required {
				return InvalidAs("properties."+key, "attr_required", Params{"kind": string(kind), "key": key}, "%s needs %q", kind, key)
			}
			return nil
		}
		f, ok := v.(float64)
		if !ok {
			if i, isInt := v.(int); isInt {
				f, ok = float64(i), true
			}
		}
		if !ok || math.IsNaN(f) || f < min || f > max || integer && f != math.Trunc(f) {
			kindOf := "a number"
			if integer {
				kindOf = "an integer"
			}
			return InvalidAs("properties."+key, "attr_range", Params{"key": key, "min": min, "max": max, "integer": integer}, "%q must be %s from %g to %g", key, kindOf, min, max)
		}
		return nil
	}
	inTable := func(key string, required bool, table []Named) error {
		v, ok := attrs[key]
		if !ok || v == nil {
			if required {
				return InvalidAs("properties."+key, "attr_required", Params{"kind": string(kind), "key": key}, "%s needs %q", kind, key)
			}
			return nil
		}
		s, _ := v.(string)
		if _, ok := Lookup(table, s); !ok {
			return InvalidAs("properties."+key, "attr_unknown_value", Params{"key": key, "value": fmt.Sprint(v)}, "%q is not a known %s", fmt.Sprint(v), key)
		}
		return nil
	}
	var errs []error
	switch kind {
	case KindRoadRepair:
		errs = append(errs, num("area_m2", true, 0, 1e7, false), num("length_m", false, 0, 1e6, false))
	case KindParkingLot:
		errs = append(errs, num("spaces", true, 0, 100000, true))
	case KindParkingSpace:
		errs = append(errs, inTable("space_type", true, SpaceTypes))
	case KindManhole:
		errs = append(errs, inTable("cover_category", true, CoverCategories), inTable("defect_type", false, ManholeDefects),
			num("defect_grade", false, 1, 4, true), inTable("load_class", false, LoadClasses))
		if cat, _ := attrs["cover_category"].(string); len(code) == 16 && len(cat) == 4 && code[6:10] != cat {
			errs = append(errs, InvalidAs("code", "code_class_mismatch", Params{"class": code[6:10], "category": cat}, "the code's class and subclass (%s) do not match cover_category %s", code[6:10], cat))
		}
	case KindCapitalProject:
		errs = append(errs, num("investment_yuan", false, 0, 1e13, true), num("area_m2", false, 0, 1e9, false))
	case KindSewerSeparation:
		errs = append(errs, num("households", false, 0, 1e6, true))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
