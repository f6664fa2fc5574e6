package exchange

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/maint"
)

// TestCellRoundTrip checks that every attribute value survives a CSV or KML
// cell, strings that look like other JSON values above all.
func TestCellRoundTrip(t *testing.T) {
	cases := []struct {
		value string // JSON
		cell  string
	}{
		{`"景阳大路"`, `景阳大路`},
		{`"0101"`, `0101`}, // not a JSON number: leading zero
		{`"12"`, `"12"`},
		{`"true"`, `"true"`},
		{`"null"`, `"null"`},
		{`""`, `""`},
		{`" 7"`, `" 7"`},
		{`"abc "`, `abc `},
		{`"\"quoted\""`, `"\"quoted\""`},
		{`"[1]"`, `"[1]"`},
		{`"a, b; \"c\"\n"`, "a, b; \"c\"\n"},
		{`12`, `12`},
		{`3.25`, `3.25`},
		{`true`, `true`},
		{`null`, `null`},
		{`[ "ravelling", "pothole" ]`, `["ravelling","pothole"]`},
		{`{"large": 2, "standard": 40}`, `{"large":2,"standard":40}`},
	}
	for _, c := range cases {
		cell, err := EncodeCell(json.RawMessage(c.value))
		if err != nil {
			t.Fatalf("EncodeCell(%s): %v", c.value, err)
		}
		if cell != c.cell {
			t.Errorf("EncodeCell(%s) = %q, want %q", c.value, cell, c.cell)
		}
		back, ok := DecodeCell(cell)
		if !ok {
			t.Fatalf("DecodeCell(%q): absent", cell)
		}
		var want, got any
		json.Unmarshal([]byte(c.value), &want)
		if err := json.Unmarshal(back, &got); err != nil {
			t.Fatalf("DecodeCell(%q) = %s: %v", cell, back, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip of %s mismatch (-want +got):\n%s", c.value, diff)
		}
	}
	if _, ok := DecodeCell(""); ok {
		t.Error(`DecodeCell("") is present, want absent`)
	}
}

func TestFileName(t *testing.T) {
	at := time.Date(2024, 8, 31, 17, 0, 0, 0, time.UTC) // 1 September in Changchun
	cases := []struct {
		f     Format
		kinds []maint.Kind
		want  string
	}{
		{CSV, nil, "lvyuan-all-20240901.csv"},
		{KML, []maint.Kind{maint.KindManhole}, "lvyuan-manhole-20240901.kml"},
		{GeoJSON, []maint.Kind{maint.KindParkingLot, maint.KindParkingSpace}, "lvyuan-parking_lot+parking_space-20240901.geojson"},
	}
	for _, c := range cases {
		if got := FileName(c.f, c.kinds, at); got != c.want {
			t.Errorf("FileName(%s, %v) = %q, want %q", c.f, c.kinds, got, c.want)
		}
	}
}

func TestReservedAttribute(t *testing.T) {
	for _, f := range Formats {
		if err := NewWriter(f, new(discard)).Begin([]string{"area_m2", "name"}); err == nil {
			t.Errorf("%s: an attribute named like a column was accepted", f)
		}
	}
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }
