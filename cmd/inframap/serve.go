package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"inframap/internal/httpapi"
	"inframap/internal/postgres"
	"inframap/internal/seed"
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
	}

	srv := httpapi.NewServer(httpapi.Config{TrustedProxies: cfg.proxies, PublicURL: cfg.publicURL, BcryptCost: cfg.bcryptCost}, db, web.FS(), log)
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
	log.Info("stopped")
	return nil
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
	return loadDistrict(ctx, db, progress)
}

// loadDistrict generates and loads the district dataset.
func loadDistrict(ctx context.Context, db *postgres.DB, progress io.Writer) error {
	start := time.Now()
	fmt.Fprintln(progress, "seed: generating the Lüyuan district dataset…")
	ds, err := seed.District()
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	return loadDistrict(ctx, db, stderr)
}
