package maint

import (
	"strconv"
	"strings"
	"time"
)

// The register columns of a cover (一井一档案) that travel with its row in
// exchange files besides its attributes: its anti-fall net and last
// inspection, kept in cover_register (migration 020), and its responsible
// unit, read from cover_owners by its category. An import reads the first
// two into the register; the unit is derived and an import passes it by.
const (
	ColAntiFallNet     = "anti_fall_net"
	ColLastInspectedOn = "last_inspected_on"
	ColOwnerUnit       = "owner_unit"
)

// RegisterColumns are the register columns in the order exports write them.
var RegisterColumns = []string{ColOwnerUnit, ColAntiFallNet, ColLastInspectedOn}

// RegisterValues are a cover's register values read from a file; nil is
// absent (the stored value stays).
type RegisterValues struct {
	AntiFallNet *bool
	// LastInspectedOn is a day (midnight UTC).
	LastInspectedOn *time.Time
}

// Empty reports whether no value was given.
func (r RegisterValues) Empty() bool { return r.AntiFallNet == nil && r.LastInspectedOn == nil }

// ParseAntiFallNet reads a cell or property of anti_fall_net: a boolean,
// 1 or 0, or the text true/false, 1/0, 是/否, 有/无, yes/no (any case).
func ParseAntiFallNet(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case float64:
		if x == 1 || x == 0 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "是", "有", "yes", "y":
			return true, nil
		case "false", "0", "否", "无", "no", "n":
			return false, nil
		}
	}
	return false, InvalidAs("properties."+ColAntiFallNet, "register_net_value", Params{"value": cellText(v)},
		"anti_fall_net must be true or false (1/0, 是/否, 有/无, yes/no), got %s", cellText(v))
}

// ParseLastInspectedOn reads a cell or property of last_inspected_on: a
// day YYYY-MM-DD, not after today in the district's zone.
func ParseLastInspectedOn(v any, now time.Time) (time.Time, error) {
	s, _ := v.(string)
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, InvalidAs("properties."+ColLastInspectedOn, "register_date_format", Params{"value": cellText(v)},
			"last_inspected_on must be a day as YYYY-MM-DD, got %s", cellText(v))
	}
	today := now.In(Zone).Format(time.DateOnly)
	if d.Format(time.DateOnly) > today {
		return time.Time{}, InvalidAs("properties."+ColLastInspectedOn, "register_date_future", Params{"value": d.Format(time.DateOnly)},
			"last_inspected_on %s is in the future", d.Format(time.DateOnly))
	}
	return d, nil
}

// RegisterOnlyCovers is the problem of a register column on another kind.
func RegisterOnlyCovers(kind Kind, col string) error {
	return InvalidAs("properties."+col, "register_only_covers", Params{"key": col, "kind": string(kind)},
		"only covers (manhole) have %s; leave it empty for a %s", col, kind)
}

func cellText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	return "a value that is not text"
}
