package httpapi_test

import (
	"testing"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// BenchmarkImport posts the whole district export (2,446 assets) to
// /api/v1/import: into an emptied database (every asset created), and again
// over itself (every asset unchanged).
func BenchmarkImport(b *testing.B) {
	src := newEnv(b, pgtest.District)
	for _, format := range []string{"geojson", "csv"} {
		_, file := src.fetch("/api/v1/export?format=" + format)
		dst := newEnv(b, pgtest.Empty)
		copyAreas(b, src, dst)
		tok := dst.staff()[maint.RoleEngineer]
		b.Run(format+"/created", func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				b.StopTimer()
				if _, err := dst.sql.Exec(b.Context(), "DELETE FROM assets"); err != nil {
					b.Fatal(err)
				}
				if _, err := dst.sql.Exec(b.Context(), "VACUUM ANALYZE assets"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if ans := dst.importOK(tok, "", format, file); ans.Created != 2446 {
					b.Fatalf("%+v", ans)
				}
			}
		})
		b.Run(format+"/unchanged", func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				if ans := dst.importOK(tok, "", format, file); ans.Unchanged != 2446 {
					b.Fatalf("%+v", ans)
				}
			}
		})
	}
}
