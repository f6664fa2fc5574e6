package geojson_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"inframap/internal/geojson"
	"inframap/internal/maint"
)

// TestAppendString checks the string encoder against encoding/json: valid
// JSON that reads back as the same text (invalid UTF-8 as U+FFFD), with no
// raw <, > or & that could read as markup.
func TestAppendString(t *testing.T) {
	cases := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x1f", "<script>&amp;</script>",
		"迎宾路 井盖", "line\u2028sep\u2029", "bad \xff utf8", strings.Repeat("é", 100)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		out := geojson.AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: not JSON: %v", s, out, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if !utf8.ValidString(s) {
			// encoding/json replaces each invalid byte; so does the encoder.
			want = string([]rune(s))
		}
		if back != want {
			t.Errorf("AppendString(%q) reads back as %q, want %q", s, back, want)
		}
		if strings.ContainsAny(string(out), "<>&") {
			t.Errorf("AppendString(%q) = %s: raw markup characters", s, out)
		}
	}
}

// TestAppendAssetFeature checks that a feature is valid GeoJSON carrying
// the asset's fields, its geometry and attributes copied as they are.
func TestAppendAssetFeature(t *testing.T) {
	st := maint.StatusDispatched
	at := time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC)
	a := &maint.Asset{ID: 7, Kind: maint.KindManhole, Code: "2201060103000001", Name: "井<1>", Status: &st, StatusAt: &at,
		Attrs: json.RawMessage(`{"cover_category":"0103","defect_grade":2}`), Geometry: json.RawMessage(`{"type":"Point","coordinates":[125.27,43.88]}`)}
	var f struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	out := geojson.AppendAssetFeature(nil, a)
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("AppendAssetFeature = %s: %v", out, err)
	}
	p := f.Properties
	if f.Type != "Feature" || f.ID != 7 || string(f.Geometry) != string(a.Geometry) || p["kind"] != "manhole" || p["code"] != a.Code ||
		p["name"] != a.Name || p["status"] != "dispatched" || p["cover_category"] != "0103" || p["defect_grade"] != 2.0 {
		t.Errorf("AppendAssetFeature = %s", out)
	}
}
