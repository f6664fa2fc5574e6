package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"inframap/internal/maint"
)

// Mapping maps the fields and values of a source that is not ours (a
// district's register, often with Chinese column names) to our columns and
// code lists. It is a step applied to each decoded row's properties, so
// every import format uses it the same way: Apply renames the fields and
// translates the values, and the reader then reads the result as it reads
// our own files. docs/exchange.md describes its file (JSON or YAML).
type Mapping struct {
	// Kind is the kind of every row that has no kind field.
	Kind maint.Kind `json:"kind,omitempty" yaml:"kind,omitempty"`
	// Fields maps a source field's name to ours; "" drops the field.
	// Fields not named keep their names.
	Fields map[string]string `json:"fields,omitempty" yaml:"fields,omitempty"`
	// Values maps, per our field, a source value (as text) to ours.
	Values map[string]map[string]string `json:"values,omitempty" yaml:"values,omitempty"`
}

// MaxMappingBytes caps a mapping file.
const MaxMappingBytes = 1 << 20

// ParseMapping reads a mapping file, JSON or YAML (JSON is YAML too, but
// JSON is read strictly so that a misspelt member is named).
func ParseMapping(b []byte) (*Mapping, error) {
	if len(b) > MaxMappingBytes {
		return nil, maint.Invalid("mapping", "a mapping file may have at most %d KiB", MaxMappingBytes>>10)
	}
	var m Mapping
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '{' {
		d := json.NewDecoder(bytes.NewReader(t))
		d.DisallowUnknownFields()
		if err := d.Decode(&m); err != nil {
			return nil, maint.Invalid("mapping", "the mapping is not valid JSON of fields, values and kind: %v", err)
		}
	} else {
		d := yaml.NewDecoder(bytes.NewReader(t))
		d.KnownFields(true)
		if err := d.Decode(&m); err != nil {
			return nil, maint.Invalid("mapping", "the mapping is not valid YAML of fields, values and kind: %v", err)
		}
	}
	if m.Kind != "" && !m.Kind.Valid() {
		return nil, maint.Invalid("mapping", "the mapping's kind %q is not a known kind: %s", m.Kind, kindList)
	}
	return &m, nil
}

// Field is our name of a source field, and false when the mapping drops it.
func (m *Mapping) Field(name string) (string, bool) {
	if m == nil {
		return name, true
	}
	if to, ok := m.Fields[name]; ok {
		return to, to != ""
	}
	return name, true
}

// Value translates a value of our field; values not listed stay.
func (m *Mapping) Value(field, v string) string {
	if m == nil {
		return v
	}
	if to, ok := m.Values[field][strings.TrimSpace(v)]; ok {
		return to
	}
	return v
}

// Apply renames the fields of props (a row's cells by name) and translates
// their values, and adds the mapping's kind when the row has none.
func (m *Mapping) Apply(props map[string]string) map[string]string {
	if m == nil {
		return props
	}
	out := make(map[string]string, len(props)+1)
	for k, v := range props {
		if to, ok := m.Field(k); ok {
			out[to] = m.Value(to, v)
		}
	}
	if m.Kind != "" && strings.TrimSpace(out["kind"]) == "" {
		out["kind"] = string(m.Kind)
	}
	return out
}

// MapProperties is Apply for a feature's decoded properties (GeoJSON, and
// the features GDAL reads): values are matched by their text (a string as
// it is, a number or boolean as its JSON) and replaced by ours as strings;
// other values stay.
func (m *Mapping) MapProperties(props map[string]any) map[string]any {
	if m == nil {
		return props
	}
	out := make(map[string]any, len(props)+1)
	for k, v := range props {
		to, ok := m.Field(k)
		if !ok {
			continue
		}
		if vals := m.Values[to]; vals != nil {
			text, isString := v.(string)
			if !isString {
				if b, err := json.Marshal(v); err == nil {
					text = string(b)
				}
			}
			if mapped, ok := vals[strings.TrimSpace(text)]; ok {
				v = mapped
			}
		}
		out[to] = v
	}
	if k, _ := out["kind"].(string); m.Kind != "" && strings.TrimSpace(k) == "" {
		out["kind"] = string(m.Kind)
	}
	return out
}

// labels are the Chinese names of our fields: the headers of an .xlsx
// export, and the first synonym an import knows them by.
var labels = map[string]string{
	"code": "编号", "kind": "资产类型", "name": "名称", "name_en": "英文名称", "parent_code": "上级编号",
	"subdistrict": "街道", "status": "状态", "status_at": "状态时间", "lon": "经度", "lat": "纬度", "wkt": "WKT",
	"cover_category": "井盖类型", "road": "道路名称", "defect_type": "病害类型", "defect_grade": "病害等级",
	"load_class": "承载等级", "area_m2": "面积(m²)", "length_m": "长度(m)", "width_m": "宽度(m)",
	"owner": "权属单位", "address": "地址", "spaces": "泊位数", "investment_yuan": "投资(元)",
	"owner_unit": "责任单位", "anti_fall_net": "防坠网", "last_inspected_on": "最近巡查日期",
}

// Label is the Chinese header of a field, or its own name.
func Label(field string) string {
	if l, ok := labels[field]; ok {
		return l
	}
	return field
}

// synonyms are other names sources give our fields, compared without case.
var synonyms = map[string][]string{
	"code":           {"代码", "资产编号", "部件编号", "部件标识码", "标识码", "bh", "objcode"},
	"kind":           {"资产种类", "图层", "类别名称", "layer"},
	"name":           {"名字", "资产名称", "部件名称", "mc"},
	"name_en":        {"英文名", "english name"},
	"parent_code":    {"所属编号", "所属停车场编号", "parent"},
	"lon":            {"lng", "long", "longitude", "x", "经度(°)", "东经"},
	"lat":            {"latitude", "y", "纬度(°)", "北纬"},
	"wkt":            {"几何", "geometry", "geom", "shape"},
	"cover_category": {"井盖类别", "井盖种类", "管线类型", "cover_type"},
	"road":           {"道路", "所在道路", "路名", "road_name"},
	"owner":          {"权属", "产权单位", "管理单位"},
	"defect_type":    {"病害", "病害种类"},
	"defect_grade":   {"病害级别"},
	"load_class":     {"荷载等级", "承载力等级"},
	"address":        {"位置", "详细地址"},
	// The cover register (一井一档案).
	"anti_fall_net":     {"防坠网", "防坠落网", "有无防坠网", "是否有防坠网", "防坠网(有/无)", "防坠设施"},
	"last_inspected_on": {"最近巡查", "巡查日期", "最近巡查时间", "最后巡查日期", "上次巡查日期", "最近巡检日期", "巡检日期"},
	"owner_unit":        {"责任单位(按类别)", "养护责任单位"},
}

// Synonym is our field a source's column name stands for, if it is known.
func Synonym(name string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for field, l := range labels {
		if n == field || n == strings.ToLower(l) {
			return field, true
		}
	}
	for field, names := range synonyms {
		if slices.Contains(names, n) {
			return field, true
		}
	}
	return "", false
}

// codeValues are the code lists a proposal translates by their Chinese and
// English names.
var codeValues = map[string][]maint.Named{
	"cover_category": maint.CoverCategories,
	"defect_type":    maint.ManholeDefects,
}

// ProposeMapping proposes a mapping for a source with the given field
// names: each name that is a known synonym of ours is mapped to it, the
// values seen of a coded field are mapped to codes by their names, and the
// rest is left as it is for the user to edit. values holds, per source
// field, some of its values (those of the first rows). It returns nil
// when every field and value is already ours.
func ProposeMapping(names []string, values map[string][]string) *Mapping {
	m := &Mapping{Fields: map[string]string{}}
	for _, n := range names {
		f, ok := Synonym(n)
		if !ok {
			continue
		}
		if f != n {
			m.Fields[n] = f
		}
		list := codeValues[f]
		for _, v := range values[n] {
			v = strings.TrimSpace(v)
			for _, c := range list {
				if v != c.Code && (v == c.Name || strings.EqualFold(v, c.NameEn) || v == c.Name+"井") {
					if m.Values == nil {
						m.Values = map[string]map[string]string{}
					}
					if m.Values[f] == nil {
						m.Values[f] = map[string]string{}
					}
					m.Values[f][v] = c.Code
				}
			}
		}
	}
	if len(m.Fields) == 0 && len(m.Values) == 0 {
		return nil
	}
	return m
}

// maxProposalValues bounds the values a reader keeps for a proposal.
const maxProposalValues = 200

// valueSampler keeps the distinct values of coded columns that are not
// codes, so that a file whose rows fail for them gets a proposal.
type valueSampler struct {
	values map[string][]string // by source column name
	n      int
}

func (v *valueSampler) see(source, field, value string) {
	list, coded := codeValues[field]
	value = strings.TrimSpace(value)
	if !coded || value == "" || v.n >= maxProposalValues {
		return
	}
	if slices.ContainsFunc(list, func(c maint.Named) bool { return c.Code == value }) || slices.Contains(v.values[source], value) {
		return
	}
	if v.values == nil {
		v.values = map[string][]string{}
	}
	v.values[source] = append(v.values[source], value)
	v.n++
}

// proposal merges what was seen into a copy of the mapping in use (nil
// when none): the proposal to return with the problems of the rows.
func (v *valueSampler) proposal(names []string, in *Mapping) *Mapping {
	if len(v.values) == 0 {
		return nil
	}
	p := ProposeMapping(names, v.values)
	if p == nil || len(p.Values) == 0 {
		return nil
	}
	if in == nil {
		return p
	}
	out := &Mapping{Kind: in.Kind, Fields: maps.Clone(in.Fields), Values: map[string]map[string]string{}}
	for f, vals := range in.Values {
		out.Values[f] = maps.Clone(vals)
	}
	for f, vals := range p.Values {
		if out.Values[f] == nil {
			out.Values[f] = map[string]string{}
		}
		for k, c := range vals {
			if _, ok := out.Values[f][k]; !ok {
				out.Values[f][k] = c
			}
		}
	}
	return out
}

// Proposer is a reader that, after reading, proposes a mapping of the
// values it saw that were not ours (nil when none).
type Proposer interface {
	Proposal() *Mapping
}

// String is the mapping as indented JSON, for messages.
func (m *Mapping) String() string {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(b)
}
