package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"inframap/internal/inspection"
	"inframap/internal/maint"
	"inframap/internal/postgres"
)

// cmdPlans runs the inspection rounds' generator now:
// `inframap plans generate [-date YYYY-MM-DD]` makes the inspections of the
// period containing the date (default today in the district) for every
// active plan, and marks missed what ended unrecorded. Safe to run any
// number of times, beside running servers.
func cmdPlans(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("plans: the subcommand is generate")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("plans generate", &cfg, getenv, stderr)
	date := fs.String("date", "", "the day whose periods to generate (YYYY-MM-DD; default today, Asia/Shanghai)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	day := inspection.Today(time.Now())
	if *date != "" {
		if day, err = time.Parse(time.DateOnly, *date); err != nil {
			return fmt.Errorf("plans generate: -date %q is not YYYY-MM-DD", *date)
		}
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	start := time.Now()
	n, err := db.Generate(ctx, day)
	if err != nil {
		return err
	}
	missed, err := db.MarkMissed(ctx, inspection.Today(time.Now()))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "plans: %d inspections made for %s in %s; %d marked missed\n", n, day.Format(time.DateOnly),
		time.Since(start).Round(time.Millisecond), missed)
	return nil
}

// watchInspections makes each period's inspections and marks missed the
// ones whose period ended unrecorded, at start and every ten minutes. Every
// copy of serve runs it; the generator makes nothing twice.
func watchInspections(ctx context.Context, db *postgres.DB, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		today := inspection.Today(time.Now())
		if n, err := db.Generate(ctx, today); err != nil && ctx.Err() == nil {
			log.Warn("inspections: generate", "err", err)
		} else if n > 0 {
			log.Info("inspections: generated", "inspections", n)
		}
		if n, err := db.MarkMissed(ctx, today); err != nil && ctx.Err() == nil {
			log.Warn("inspections: mark missed", "err", err)
		} else if n > 0 {
			log.Info("inspections: missed", "inspections", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// arterials are the district's main roads (大路, ring roads, highway).
var arterials = []string{"景阳大路", "西安大路", "皓月大路", "西环城路", "西四环路", "长白公路"}

// ensureDemoPlans stores the demo's rounds when there are none: covers on
// arterials every 14 days, other covers monthly, each road section weekly;
// and the crews of the cover owners, so that covers' cases go to them.
func ensureDemoPlans(ctx context.Context, db *postgres.DB) error {
	if _, err := db.EnsureOwnerCrews(ctx); err != nil {
		return err
	}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday
	_, err := db.SeedPlans(ctx, cliActor, []inspection.Plan{
		{Name: "主干道井盖巡查（每14天）", NameEn: "Covers on arterials, every 14 days", Kind: maint.KindManhole,
			Filter: inspection.Filter{Roads: arterials}, Frequency: inspection.Days, EveryDays: 14, StartsOn: start, Active: true},
		{Name: "其他井盖巡查（每月）", NameEn: "Other covers, monthly", Kind: maint.KindManhole,
			Filter: inspection.Filter{NotRoads: arterials}, Frequency: inspection.Monthly, StartsOn: start, Active: true},
		{Name: "道路路段巡查（每周）", NameEn: "Road sections, weekly", Kind: maint.KindRoadRepair,
			Frequency: inspection.Weekly, StartsOn: start, Active: true},
	})
	return err
}
