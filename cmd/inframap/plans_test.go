package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// TestPlansGenerate runs `inframap plans generate` twice on the district
// with the demo's rounds: the first makes the period's inspections, the
// second nothing; a bad date is refused.
func TestPlansGenerate(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.District)
	db := pgtest.Open(t, url, postgres.Config{})
	if err := ensureDemoPlans(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	var first, second strings.Builder
	if err := run(context.Background(), []string{"inframap", "plans", "generate", "-date", "2026-03-10"}, getenv, nil, &first, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"inframap", "plans", "generate", "-date", "2026-03-10"}, getenv, nil, &second, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(first.String(), "plans: 0 ") || !strings.HasPrefix(second.String(), "plans: 0 inspections made for 2026-03-10") {
		t.Errorf("generate twice: %q then %q; want some, then none", first.String(), second.String())
	}
	if err := run(context.Background(), []string{"inframap", "plans", "generate", "-date", "March"}, getenv, nil, io.Discard, io.Discard); err == nil {
		t.Error("a bad date was accepted")
	}
}
