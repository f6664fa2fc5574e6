package privacy

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		{"请联系13800000000处理", "请联系138****0000处理"},
		{"电话：138 0000 1234，或 +86 139-1234-5678", "电话：138****1234，或 +86 139****5678"},
		{"座机0431-85551234转分机", "座机0431-****1234转分机"},
		{"043185551234", "0431****1234"},
		{"身份证220106199001011234，", "身份证220106********1234，"},
		{"ID 22010619900101123X end", "ID 220106********123X end"},
		{"邮箱 zhang.san@example.org 收", "邮箱 z***@example.org 收"},
		{"车牌吉A·12345停在井旁", "车牌吉A·***45停在井旁"},
		{"吉AD12345 新能源", "吉A****45 新能源"},
		{"两个号码13800000000、13900000001", "两个号码138****0000、139****0001"},
		// Not personal data: case numbers, component codes, dates, areas, quantities.
		{"LY-2024-000123", "LY-2024-000123"},
		{"井盖编码2201060103000001", "井盖编码2201060103000001"},
		{"2024-08-14 修复 1200 平方米", "2024-08-14 修复 1200 平方米"},
		{"DL-001 景阳大路", "DL-001 景阳大路"},
	}
	for _, c := range cases {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The raw values never survive, whatever surrounds them.
func TestMaskLeavesNothing(t *testing.T) {
	raw := []string{"13800000000", "0431-85551234", "220106199001011234", "zhang.san@example.org", "吉A·12345"}
	for _, pre := range []string{"", "a", "联系", " ", "（"} {
		for _, post := range []string{"", "b", "处理", " ", "）"} {
			for _, r := range raw {
				if got := Mask(pre + r + post); strings.Contains(got, r) {
					t.Errorf("Mask(%q) = %q keeps it", pre+r+post, got)
				}
			}
		}
	}
}

func BenchmarkMaskPlain(b *testing.B) {
	s := strings.Repeat("井盖破损，路面沉陷，已派遣养护一队处理。", 10)
	for b.Loop() {
		Mask(s)
	}
}

func TestMaskJSON(t *testing.T) {
	in := `{"area_m2":1200,"contractor":"吉林路桥 联系人13800000000","notes":["车牌吉A·12345"],"nested":{"mail":"zhang.san@example.org"}}`
	got := string(MaskJSON([]byte(in)))
	for _, raw := range []string{"13800000000", "吉A·12345", "zhang.san@example.org"} {
		if strings.Contains(got, raw) {
			t.Errorf("MaskJSON keeps %s: %s", raw, got)
		}
	}
	if !strings.Contains(got, "138****0000") || !strings.Contains(got, `"area_m2":1200`) {
		t.Errorf("MaskJSON = %s", got)
	}
	plain := `{"area_m2":1200,"spaces":84}`
	if got := MaskJSON([]byte(plain)); string(got) != plain {
		t.Errorf("MaskJSON(%s) = %s, want it untouched", plain, got)
	}
}

// BenchmarkMaskJSONPlain is an asset's attributes with nothing to mask, as
// nearly all are: the cost every public asset pays.
func BenchmarkMaskJSONPlain(b *testing.B) {
	attrs := []byte(`{"area_m2": 5400, "cover_category": "rain", "defect_grade": 2, "defect_type": "broken", "load_class": "D400", "repaired_on": "2023-08-14", "road": "景阳大路"}`)
	for b.Loop() {
		MaskJSON(attrs)
	}
}

// BenchmarkMaskJSONCode is attributes holding a long code: decoded and
// looked at string by string, nothing masked.
func BenchmarkMaskJSONCode(b *testing.B) {
	attrs := []byte(`{"component_code": "2201060103000001", "cover_category": "rain", "road": "景阳大路"}`)
	for b.Loop() {
		MaskJSON(attrs)
	}
}
