package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// serviceCodes finds, in the service's source, every code a person may be
// told: the code of each maint.InvalidAs and the reason of each Because.
func serviceCodes(t *testing.T) map[string][]string {
	t.Helper()
	codes := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("../internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			arg := -1
			switch name {
			case "InvalidAs":
				arg = 1
			case "Because":
				arg = 0
			}
			if arg < 0 || len(call.Args) <= arg {
				return true
			}
			lit, ok := call.Args[arg].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: the code of %s is not a literal: the pages cannot know it", fset.Position(call.Pos()), name)
				return true
			}
			code, _ := strconv.Unquote(lit.Value)
			codes[code] = append(codes[code], fset.Position(call.Pos()).String())
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// messageKeys reads the keys of each language's table in messages.js.
func messageKeys(t *testing.T) map[string]map[string]bool {
	t.Helper()
	b, err := os.ReadFile("public/js/messages.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	en := strings.Index(src, "\n  en: {")
	if en < 0 {
		t.Fatal("messages.js: no en table")
	}
	key := regexp.MustCompile(`(?m)^\s+'([a-zA-Z0-9_.]+)':`)
	read := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, k := range key.FindAllStringSubmatch(s, -1) {
			m[k[1]] = true
		}
		return m
	}
	return map[string]map[string]bool{"zh-CN": read(src[:en]), "en": read(src[en:])}
}

// TestEveryCodeIsTranslated: each code the service can send with a bad
// field or a refusal has its message, err.<code>, in Chinese and English.
func TestEveryCodeIsTranslated(t *testing.T) {
	codes := serviceCodes(t)
	if len(codes) < 50 {
		t.Fatalf("found %d codes: the search is broken", len(codes))
	}
	tables := messageKeys(t)
	for _, lang := range []string{"zh-CN", "en"} {
		var missing []string
		for code, where := range codes {
			if !tables[lang]["err."+code] {
				missing = append(missing, code+" ("+where[0]+")")
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("%s has no message for %d codes the service sends:\n  %s", lang, len(missing), strings.Join(missing, "\n  "))
		}
	}
	// And the tables say the same things.
	for k := range tables["zh-CN"] {
		if strings.HasPrefix(k, "err.") && !tables["en"][k] {
			t.Errorf("%s is in Chinese only", k)
		}
	}
	for k := range tables["en"] {
		if strings.HasPrefix(k, "err.") && !tables["zh-CN"][k] {
			t.Errorf("%s is in English only", k)
		}
	}
}

// webhookEvents reads the event kinds an endpoint may ask for: eventKinds
// in internal/httpapi/notify.go, which GET /api/v1/webhooks lists and the
// console's form offers.
func webhookEvents(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../internal/httpapi/notify.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "eventKinds" || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			t.Fatal("eventKinds is not a literal list")
		}
		for _, e := range lit.Elts {
			b, ok := e.(*ast.BasicLit)
			if !ok || b.Kind != token.STRING {
				t.Fatalf("eventKinds holds %T, not a string literal: the console cannot name it", e)
			}
			s, _ := strconv.Unquote(b.Value)
			kinds = append(kinds, s)
		}
		return false
	})
	return kinds
}

// TestWebhookEventsAreNamed: every event kind the API accepts has its name,
// webhooks.event.<kind> ("*": webhooks.event.all), in Chinese and English,
// so the console's webhooks section never shows a code.
func TestWebhookEventsAreNamed(t *testing.T) {
	kinds := webhookEvents(t)
	if !slices.Contains(kinds, "*") || !slices.Contains(kinds, "task.changed") {
		t.Fatalf("eventKinds = %v: the search is broken", kinds)
	}
	tables := messageKeys(t)
	for _, k := range kinds {
		key := "webhooks.event." + k
		if k == "*" {
			key = "webhooks.event.all"
		}
		for _, lang := range []string{"zh-CN", "en"} {
			if !tables[lang][key] {
				t.Errorf("%s has no name for the webhook event %q (%s)", lang, k, key)
			}
		}
	}
}
