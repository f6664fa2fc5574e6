package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

var (
	entryScript  = regexp.MustCompile(`<script src="/js/([^"]+)" type="module"></script>`)
	preloadLink  = regexp.MustCompile(`<link rel="modulepreload" href="/js/([^"]+)">`)
	staticImport = regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^'"]*?from\s*['"]\./([^'"]+)['"]|^\s*import\s*['"]\./([^'"]+)['"]`)
)

// TestModulePreloads: each page preloads exactly its entry module and what
// that imports statically, so that the browser fetches every module at once
// (node web/scripts/preload.mjs, run by make web, writes the lists).
func TestModulePreloads(t *testing.T) {
	for _, page := range []string{"index.html", "manage.html", "field.html"} {
		html, err := os.ReadFile(filepath.Join("public", page))
		if err != nil {
			t.Fatal(err)
		}
		m := entryScript.FindSubmatch(html)
		if m == nil {
			t.Fatalf("%s: no module script", page)
		}
		var want []string
		var visit func(string)
		visit = func(f string) {
			if slices.Contains(want, f) {
				return
			}
			want = append(want, f)
			src, err := os.ReadFile(filepath.Join("public", "js", f))
			if err != nil {
				t.Fatalf("%s imports %s: %v", page, f, err)
			}
			for _, im := range staticImport.FindAllSubmatch(src, -1) {
				visit(string(append(im[1], im[2]...)))
			}
		}
		visit(string(m[1]))
		var got []string
		for _, l := range preloadLink.FindAllSubmatch(html, -1) {
			got = append(got, string(l[1]))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s preloads %v;\nits modules are %v: run node web/scripts/preload.mjs", page, got, want)
		}
	}
}
