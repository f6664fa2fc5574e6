package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/schollz/progressbar/v3"

	"inframap/internal/blob"
	"inframap/internal/cache"
	"inframap/internal/exchange"
	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/notify"
	"inframap/internal/outbox"
	"inframap/internal/postgres"
	"inframap/internal/seed"
	"inframap/internal/webhook"
	"inframap/web"
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("serve", &cfg, getenv, stderr)
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "INFRAMAP_ADDR", "127.0.0.1:8080"), "listen address")
	fs.BoolVar(&cfg.demo, "demo", false, "load the district dataset and demo accounts into an empty database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	start := time.Now()

	var respCache *cache.Cache
	if cfg.cacheBytes > 0 {
		respCache = cache.New(cfg.cacheBytes)
		cfg.changes = newChangeFeed(respCache, log)
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	if cfg.demo {
		if err := loadDemo(ctx, db, stderr); err != nil {
			return err
		}
		if err := ensureDemoUsers(ctx, db, cfg, stdout); err != nil {
			return err
		}
		if err := ensureDemoPlans(ctx, db); err != nil {
			return err
		}
	}

	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	defer blobs.Close()
	// GDAL is optional: without it imports of shapefiles, geodatabases,
	// GeoPackages, KML, DXF and GML answer 503 naming the package.
	if err := exchange.CheckGDAL(""); err != nil {
		log.Warn("import: GDAL is not installed; install the Debian package gdal-bin to import shapefiles, geodatabases, GeoPackages, KML, DXF and GML")
	}
	go db.ListenChanges(ctx, func(err error) { log.Warn("cache: change feed", "err", err) })
	go db.WatchReplicas(ctx, 250*time.Millisecond)
	metrics := httpapi.NewMetrics(append(append(poolCollectors(db), cacheCollectors(respCache)...), replicaCollectors(db)...)...)
	srv := httpapi.NewServer(httpapi.Config{TrustedProxies: cfg.proxies, PublicURL: cfg.publicURL, BcryptCost: cfg.bcryptCost,
		StaffUploadsPerMinute: cfg.uploadsPerMinute,
		Metrics:               metrics, Blobs: blobs, Cache: respCache, Replicas: db}, db, web.FS(), log)
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		// Uploads from phones on poor signal are slow: reads may take
		// minutes; the handlers bound their own work.
		ReadTimeout:    5 * time.Minute,
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "startup", elapsed(start))
	fmt.Fprintf(stdout, "inframap is serving on http://%s (ready in %s)\n", ln.Addr(), elapsed(start))

	go housekeeping(ctx, db, blobs, cfg, log)
	// The outbox's dispatcher (docs/notifications.md): every copy runs one;
	// they share the work row by row (SKIP LOCKED).
	base := "http://" + ln.Addr().String()
	if cfg.publicURL != nil {
		base = cfg.publicURL.String()
	}
	go dispatch(ctx, db, cfg, base, log)
	go watchClocks(ctx, db, log)
	go watchInspections(ctx, db, log)
	go srv.WarmClusters(ctx, 30*time.Second)
	if err := serveUntilDone(ctx, hs, ln, log); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// serveUntilDone serves until ctx ends, then lets the requests in flight
// finish (30 s at most) before it closes what is left.
func serveUntilDone(ctx context.Context, hs *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown deadline passed; closing open connections", "err", err)
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// housekeeping runs the periodic chores: now and then every hour, erase
// reporters' details past their retention and sweep orphaned photo files.
func housekeeping(ctx context.Context, db *postgres.DB, blobs *blob.Bucket, cfg config, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if st, err := collectGarbage(ctx, db, blobs, time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: photo sweep", "err", err)
		} else if st.removed > 0 {
			log.Info("housekeeping: removed orphaned photo files", "files", st.removed, "bytes", st.bytes)
		}
		if n, err := db.PruneOutbox(ctx, outboxKeep); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: prune the outbox", "err", err)
		} else if n > 0 {
			log.Info("housekeeping: pruned settled outbox rows", "rows", n)
		}
		n, err := db.ErasePersonalData(ctx, cfg.piiRetention)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("housekeeping: erase personal data", "err", err)
		case n > 0:
			log.Info("housekeeping: erased reporters' details", "tasks", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// outboxKeep is how long settled deliveries (and their webhook attempts)
// and fanned-out events are kept before housekeeping prunes them.
const outboxKeep = 30 * 24 * time.Hour

// watchClocks tells staff, every minute, of work that has turned due soon
// or overdue (postgres.WatchClocks); every copy runs it, each clock is told
// once.
func watchClocks(ctx context.Context, db *postgres.DB, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := db.WatchClocks(ctx); err != nil && ctx.Err() == nil {
			log.Warn("clocks: watch", "err", err)
		} else if n > 0 {
			log.Info("clocks: work falling due told", "cases", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// loadDemo loads the district dataset into an empty database; a database
// that already holds assets is left as it is, so restarts load nothing twice.
func loadDemo(ctx context.Context, db *postgres.DB, progress io.Writer) error {
	n, err := db.CountAssets(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(progress, "demo: the database already holds %d assets; nothing to load\n", n)
		return nil
	}
	err = loadDistrict(ctx, db, progress)
	if maint.ErrorCode(err) == maint.CodeConflict {
		// Another copy started at the same moment loaded it first.
		fmt.Fprintln(progress, "demo: another server loaded the district meanwhile; nothing to load")
		return nil
	}
	return err
}

// loadDistrict generates and loads the district dataset.
func loadDistrict(ctx context.Context, db *postgres.DB, progress io.Writer) error {
	start := time.Now()
	fmt.Fprintln(progress, "seed: generating the Lüyuan district dataset…")
	ds, err := seed.DistrictAt(time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "seed: loading %d assets and %d tasks…\n", len(ds.Assets), len(ds.Tasks))
	if err := db.Load(ctx, ds); err != nil {
		return err
	}
	fmt.Fprintf(progress, "seed: district loaded in %s\n", elapsed(start))
	return nil
}

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("seed", &cfg, getenv, stderr)
	scale := fs.String("scale", "district", "district (the published programme) or city (a million manholes over Changchun, for load work)")
	manholes := fs.Int("manholes", seed.CityDefault.Manholes, "manholes at city scale")
	roads := fs.Int("roads", seed.CityDefault.Roads, "street segments at city scale")
	polygons := fs.Int("polygons", seed.CityDefault.Polygons, "compounds and car parks at city scale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *scale != "district" && *scale != "city" {
		return fmt.Errorf("seed: -scale is district or city, not %q", *scale)
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	if *scale == "district" {
		return loadDistrict(ctx, db, stderr)
	}
	return loadCity(ctx, db, seed.CitySize{Manholes: *manholes, Roads: *roads, Polygons: *polygons}, stderr)
}

// loadCity loads the city-scale dataset with COPY, showing progress.
func loadCity(ctx context.Context, db *postgres.DB, size seed.CitySize, progress io.Writer) error {
	start := time.Now()
	total := seed.CityCount(size)
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("seed: city assets"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	n, err := db.LoadAssets(ctx, seed.City(size), func(n int) { bar.Set(n) })
	bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "seed: %d city assets loaded in %s\n", n, elapsed(start))
	t, err := db.AddCityTasks(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "seed: %d city tasks; done in %s\n", t, elapsed(start))
	return nil
}

// dispatch delivers the outbox's events to the registered webhooks and the
// staff they concern (in-app notices) until ctx
// ends. A database outage is waited out; nothing is lost (the rows stay).
func dispatch(ctx context.Context, db *postgres.DB, cfg config, base string, log *slog.Logger) {
	hooks := &webhook.Sender{Store: db}
	subscribers := &notify.Sender{Store: db, PublicURL: base}
	if cfg.mail.URL != "" {
		if m, err := notify.NewMailer(cfg.mail); err != nil {
			log.Error("mail: e-mail waits in the outbox", "err", err)
		} else {
			defer m.Close()
			subscribers.Mail = m
		}
	} else {
		log.Info("mail: INFRAMAP_SMTP_URL is not set; e-mail to subscribers waits in the outbox until it is")
	}
	pub, priv, err := db.VAPIDKeys(ctx, notify.NewVAPIDKeys)
	if err != nil {
		log.Warn("push: no VAPID keys yet; push waits", "err", err)
	} else {
		subscribers.Push = &notify.Pusher{Public: pub, Private: priv, Subject: cfg.pushSubject}
	}
	d := db.Dispatcher(func(ctx context.Context, dl outbox.Delivery) error {
		switch dl.Channel {
		case "email", "push":
			return subscribers.Send(ctx, dl)
		case "webhook":
			return hooks.Send(ctx, dl.ID, dl.EventID, dl.Kind, dl.TaskID, dl.Payload, dl.Recipient)
		case "inapp":
			return db.SendNotice(ctx, dl)
		}
		return fmt.Errorf("outbox: no sender for channel %q", dl.Channel)
	})
	if err := d.Run(ctx); err != nil {
		log.Warn("outbox: dispatcher stopped", "err", err)
	}
}
