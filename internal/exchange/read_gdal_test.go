package exchange

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func zipReader(t *testing.T, names ...string) *zip.Reader {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestCheckArchive(t *testing.T) {
	cases := []struct {
		names []string
		lim   ArchiveLimits
		want  string // in the problem; "" for none
	}{
		{[]string{"a.shp", "a.dbf", "x.gdb/a00000001.gdbtable", "./b/c.shp"}, ArchiveLimits{}, ""},
		{[]string{"../evil.shp"}, ArchiveLimits{}, "outside"},
		{[]string{"a/../../evil.shp"}, ArchiveLimits{}, "outside"},
		{[]string{`..\evil.shp`}, ArchiveLimits{}, "outside"},
		{[]string{"/etc/passwd"}, ArchiveLimits{}, "outside"},
		{[]string{"C:/evil.shp"}, ArchiveLimits{}, "outside"},
		{[]string{"a", "b", "c"}, ArchiveLimits{MaxEntries: 2}, "3 entries"},
		{[]string{"a", "b", "c"}, ArchiveLimits{MaxBytes: 2}, "unpacks to more"},
	}
	for _, c := range cases {
		err := CheckArchive(zipReader(t, c.names...), c.lim)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if c.want == "" && err != nil || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("CheckArchive(%q, %+v) = %v, want %q", c.names, c.lim, err, c.want)
		}
	}
}

func TestIsUTF8(t *testing.T) {
	long := strings.Repeat("井盖类型", 40000) // runes cut at the 64 KiB buffer's edges
	gbk := []byte{0xbe, 0xae, 0xb8, 0xc7} // 井盖 in GBK
	for _, c := range []struct {
		in   []byte
		want bool
	}{{[]byte("plain"), true}, {[]byte(long), true}, {append([]byte(long), gbk...), false}, {gbk, false}, {[]byte(long[:len(long)-1]), false}} {
		if got, err := isUTF8(bytes.NewReader(c.in)); err != nil || got != c.want {
			t.Errorf("isUTF8(%d bytes) = %v, %v; want %v", len(c.in), got, err, c.want)
		}
	}
}

func TestFixProps(t *testing.T) {
	props := map[string]any{
		"cover_cate": "0103", "parent_cod": "TCC-01", "space_type": "standard", "space_ty_1": "普通",
		"distresses": "(2:ravelling,pothole)", "space_types": `{"standard":40}`, "road": nil, "OBJECTID": 3.0,
	}
	gdalLayer{}.fixProps(props)
	want := map[string]any{
		"cover_category": "0103", "parent_code": "TCC-01", "space_type": "standard", "space_type_name": "普通",
		"distresses": []any{"ravelling", "pothole"}, "space_types": map[string]any{"standard": 40.0}, "OBJECTID": 3.0,
	}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("fixProps mismatch (-want +got):\n%s", diff)
	}
}

func TestParseSourceCRS(t *testing.T) {
	for in, want := range map[string]SourceCRS{
		"": {}, "EPSG:4551": {EPSG: 4551}, "epsg:4490": {EPSG: 4490}, "4530": {EPSG: 4530}, "cgcs2000": {EPSG: 4490},
		"GCJ-02": {Offset: "gcj02"}, "bd09": {Offset: "bd09"}, "wgs84": {EPSG: 4326},
	} {
		if got, err := ParseSourceCRS("crs", in); err != nil || got != want {
			t.Errorf("ParseSourceCRS(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"EPSG:abc", "mars", "EPSG:12", "EPSG:4551; rm -rf /"} {
		if _, err := ParseSourceCRS("crs", in); err == nil {
			t.Errorf("ParseSourceCRS(%q) accepted", in)
		}
	}
}

// TestGDALTimeLimit: a GDAL run past its time limit is a problem of the
// file, and the temporary folder goes.
func TestGDALTimeLimit(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a.geojson")
	os.WriteFile(src, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[125.27,43.88]}}]}`), 0o600)
	gpkg := filepath.Join(dir, "a.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", gpkg, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr (apt-get install gdal-bin): %v %s", err, out)
	}
	f, _ := os.Open(gpkg)
	defer f.Close()
	tmp := t.TempDir()
	_, err := NewGDALReader(t.Context(), "gpkg", f, GDALOptions{Timeout: time.Nanosecond, TempDir: tmp})
	if err == nil || !strings.Contains(err.Error(), "took longer") {
		t.Errorf("NewGDALReader with a 1 ns limit: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
