package exchange

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/maint"
)

// TestReadCoverRegister: a cover's anti_fall_net and last_inspected_on are
// read into its register (every spelling of yes and no), not its
// attributes; owner_unit is read past; bad values and other kinds are the
// row's problems, named by line and column with their codes.
func TestReadCoverRegister(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, maint.Zone) }
	t.Cleanup(func() { now = time.Now })
	file := "code,kind,name,lon,lat,cover_category,anti_fall_net,last_inspected_on,owner_unit\n" +
		"2201060103990101,manhole,井,125.27,43.88,0103,是,2026-03-10,排水公司\n" +
		"2201060103990102,manhole,井,125.27,43.88,0103,无,,\n" +
		"2201060103990103,manhole,井,125.27,43.88,0103,YES,2025-01-01,\n" +
		"2201060103990104,manhole,井,125.27,43.88,0103,0,,\n" +
		"2201060103990105,manhole,井,125.27,43.88,0103,有的,2026-03-11,\n" +
		"P-1,parking_lot,场,125.27,43.88,,false,,\n"
	src, err := NewReader(CSV, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Net      *bool
		Day      string
		Attrs    map[string]any
		Problems []string
	}
	var rows []got
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g := got{Net: row.Register.AntiFallNet, Attrs: row.Attrs}
		if d := row.Register.LastInspectedOn; d != nil {
			g.Day = d.Format(time.DateOnly)
		}
		for _, p := range row.Problems {
			g.Problems = append(g.Problems, p.Field+" "+p.ErrorCode)
		}
		rows = append(rows, g)
	}
	yes, no := true, false
	cat := map[string]any{"cover_category": "0103"}
	want := []got{
		{Net: &yes, Day: "2026-03-10", Attrs: cat},
		{Net: &no, Attrs: cat},
		{Net: &yes, Day: "2025-01-01", Attrs: cat},
		{Net: &no, Attrs: cat},
		{Attrs: cat, Problems: []string{"line 6: anti_fall_net register_net_value", "line 6: last_inspected_on register_date_future"}},
		{Problems: []string{"line 7: spaces attr_required", "line 7: anti_fall_net register_only_covers", "line 7: lon/lat "}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	// The register's names are no attributes of a write either.
	for _, k := range maint.RegisterColumns {
		if err := maint.CheckAttrName(k); err == nil {
			t.Errorf("%s may be an attribute", k)
		}
		if !Reserved(k) {
			t.Errorf("%s is not reserved", k)
		}
	}
}

// TestRegisterSynonyms: a district's register names its columns in
// Chinese; the proposal maps them to ours.
func TestRegisterSynonyms(t *testing.T) {
	p := ProposeMapping([]string{"编号", "防坠网", "最近巡查", "巡查日期", "责任单位"}, nil)
	want := map[string]string{"编号": "code", "防坠网": "anti_fall_net", "最近巡查": "last_inspected_on", "巡查日期": "last_inspected_on", "责任单位": "owner_unit"}
	if p == nil || !cmp.Equal(want, p.Fields) {
		t.Errorf("proposal %v, want %v", p, want)
	}
}
