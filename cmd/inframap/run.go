package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"inframap/internal/notify"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"inframap/internal/blob"
	"inframap/internal/httpx"
	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
	"inframap/internal/workcal"
)

const usage = `inframap — the maintenance GIS of Lüyuan District

Usage:
  inframap serve [-demo] [-addr 127.0.0.1:8080] [-db URL] [-data-dir ./var]
  inframap migrate [-db URL] [-data-dir ./var]
  inframap seed [-db URL] [-data-dir ./var]
  inframap user add -email E -role admin|engineer|inspector [-name N]   (password on stdin or prompted)
  inframap user list
  inframap apikey add -name PARTNER                 (an Open311 api_key, printed once)
  inframap gc                                        (remove photo files no row refers to)
  inframap plans generate [-date YYYY-MM-DD]         (make the period's inspections of every active plan; idempotent)
  inframap backup -o DIR                             (database dump, photos, manifest with checksums)
  inframap restore -from DIR                         (into an empty database; verified against the manifest)
  inframap export [-kind manhole,…] [-format geojson|csv|kml] [-o file] [-db URL] [-data-dir ./var]
  inframap import [-dry-run] [-format geojson|csv] FILE   (all rows or none, matched on code)

Without a database URL (-db or DATABASE_URL) inframap runs its own
PostgreSQL + PostGIS cluster in the data directory.

Environment:
  DATABASE_URL            PostgreSQL URL (empty: the embedded cluster)
  DATABASE_READ_URL       streaming replicas of it, comma-separated: reads that tolerate lag (map, tiles, OGC, exports, stats)
  INFRAMAP_REPLICA_MAX_LAG  a replica lagging more leaves rotation until it catches up (default 30s)
  INFRAMAP_READ_AFTER_WRITE_WAIT  how long a read after a write waits for a replica to replay it before the primary serves it (default 250ms)
  INFRAMAP_ADDR           listen address (default 127.0.0.1:8080)
  INFRAMAP_DATA_DIR       data directory (default ./var)
  INFRAMAP_DEMO_PASSWORD  password of the demo accounts (serve -demo)
  INFRAMAP_PUBLIC_URL     external root URL for links, e.g. https://map.example.org
  INFRAMAP_TRUSTED_PROXIES comma-separated CIDRs allowed to set X-Forwarded-For
  INFRAMAP_BCRYPT_COST    password hashing cost (default 12)
  INFRAMAP_BOUNDARY_CHECK on (default): new and edited geometries must lie inside the district
  INFRAMAP_BLOB_URL       where photos are kept: file:///dir or s3://bucket?region=… (default file://<data-dir>/photos)
  INFRAMAP_CACHE_MB       size of the response cache (tiles, GeoJSON, report card); 0 turns it off (default 256)
  INFRAMAP_UPLOADS_PER_MINUTE  photo uploads each staff account may send per minute (default 60)
  INFRAMAP_PII_RETENTION_DAYS  days reporters' contact details are kept after their report closes (default 180)
  INFRAMAP_LOG_FORMAT     json (default) or text
  INFRAMAP_LOG_LEVEL      debug, info (default), warn, error
`

// config is everything read from the environment and flags, checked once.
type config struct {
	// changes, set by serve, receives the database's change notices.
	changes postgres.ChangeFeed
	addr    string
	dbURL   string
	// readURLs are streaming replicas for reads that tolerate lag;
	// replicaMaxLag and readWait tune them (postgres.Config).
	readURLs                []string
	replicaMaxLag, readWait time.Duration
	dataDir                 string
	demo                    bool
	demoPassword            string
	publicURL               *url.URL
	proxies                 []netip.Prefix
	logFormat               string
	logLevel                slog.Level
	bcryptCost              int
	outsideOK               bool
	warnShare               float64            // INFRAMAP_WARN_SHARE: the share of a time limit after which a light turns yellow
	workHours               []workcal.Interval // INFRAMAP_WORKING_HOURS: the working intervals of a working day
	// piiRetention is how long reporters' details are kept after their
	// report closes.
	piiRetention time.Duration
	// blobURL is where photo bytes live (default file://<data-dir>/photos).
	blobURL string
	// cacheBytes bounds the response cache; 0 turns it off.
	cacheBytes int
	// uploadsPerMinute bounds each staff account's photo uploads.
	uploadsPerMinute int
	// mail is the SMTP server for subscribers' e-mail (INFRAMAP_SMTP_URL,
	// INFRAMAP_MAIL_FROM); an empty URL leaves e-mail waiting.
	mail notify.MailConfig
	// pushSubject is the contact push services see (INFRAMAP_PUSH_CONTACT).
	pushSubject string
}

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("a subcommand is needed")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return cmdSeed(ctx, rest, getenv, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, getenv, stdin, stdout, stderr)
	case "apikey":
		return cmdAPIKey(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, getenv, stdout, stderr)
	case "restore":
		return cmdRestore(ctx, rest, getenv, stdout, stderr)
	case "plans":
		return cmdPlans(ctx, rest, getenv, stdout, stderr)
	case "gc":
		return cmdGC(ctx, rest, getenv, stdout, stderr)
	case "export":
		return cmdExport(ctx, rest, getenv, stdout, stderr)
	case "import":
		return cmdImport(ctx, rest, getenv, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", cmd)
}

// flags declares the flags shared by the subcommands that reach the database.
func newFlags(name string, cfg *config, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.dbURL, "db", getenv("DATABASE_URL"), "PostgreSQL URL (empty: run the embedded cluster)")
	fs.StringVar(&cfg.dataDir, "data-dir", envOr(getenv, "INFRAMAP_DATA_DIR", "./var"), "data directory (embedded cluster, photos)")
	return fs
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// loadConfig reads what every subcommand shares from the environment.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		demoPassword: getenv("INFRAMAP_DEMO_PASSWORD"),
		logFormat:    envOr(getenv, "INFRAMAP_LOG_FORMAT", "json"),
	}
	if err := cfg.logLevel.UnmarshalText([]byte(envOr(getenv, "INFRAMAP_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("INFRAMAP_LOG_LEVEL: %w", err)
	}
	if v := getenv("INFRAMAP_BCRYPT_COST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n > 16 {
			return cfg, fmt.Errorf("INFRAMAP_BCRYPT_COST must be from 4 to 16, not %q", v)
		}
		cfg.bcryptCost = n
	} else {
		cfg.bcryptCost = 12
	}
	cfg.readURLs = postgres.SplitURLs(getenv("DATABASE_READ_URL"))
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"INFRAMAP_REPLICA_MAX_LAG", &cfg.replicaMaxLag}, {"INFRAMAP_READ_AFTER_WRITE_WAIT", &cfg.readWait}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return cfg, fmt.Errorf("%s must be a duration such as 30s or 250ms, not %q", d.name, v)
			}
			*d.to = t
		}
	}
	cfg.blobURL = getenv("INFRAMAP_BLOB_URL")
	cfg.cacheBytes = 256 << 20
	if v := getenv("INFRAMAP_CACHE_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return cfg, fmt.Errorf("INFRAMAP_CACHE_MB must be a number of megabytes (0 turns the cache off), not %q", v)
		}
		cfg.cacheBytes = n << 20
	}
	cfg.uploadsPerMinute = 60
	if v := getenv("INFRAMAP_UPLOADS_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return cfg, fmt.Errorf("INFRAMAP_UPLOADS_PER_MINUTE must be a number from 1 to 1000000, not %q", v)
		}
		cfg.uploadsPerMinute = n
	}
	cfg.mail = notify.MailConfig{URL: getenv("INFRAMAP_SMTP_URL"), From: getenv("INFRAMAP_MAIL_FROM")}
	if cfg.mail.URL != "" {
		if _, err := notify.NewMailer(cfg.mail); err != nil {
			return cfg, fmt.Errorf("INFRAMAP_SMTP_URL must be smtp://user:password@host:587, smtps://… or smtp+plain://host:25: %v", err)
		}
	}
	cfg.pushSubject = envOr(getenv, "INFRAMAP_PUSH_CONTACT", "mailto:inframap@localhost")
	if !strings.HasPrefix(cfg.pushSubject, "mailto:") && !strings.HasPrefix(cfg.pushSubject, "https://") {
		return cfg, fmt.Errorf("INFRAMAP_PUSH_CONTACT must be a mailto: or https: address push services can reach you at, not %q", cfg.pushSubject)
	}
	cfg.piiRetention = 180 * 24 * time.Hour
	if v := getenv("INFRAMAP_PII_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return cfg, fmt.Errorf("INFRAMAP_PII_RETENTION_DAYS must be a number of days, not %q", v)
		}
		cfg.piiRetention = time.Duration(n) * 24 * time.Hour
	}
	if v := getenv("INFRAMAP_WORKING_HOURS"); v != "" {
		hours, err := parseWorkingHours(v)
		if err != nil {
			return cfg, fmt.Errorf("INFRAMAP_WORKING_HOURS must list the working intervals of a day in order, such as 08:30-12:00,13:00-17:30: %v", err)
		}
		cfg.workHours = hours
	}
	if v := getenv("INFRAMAP_WARN_SHARE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f < 1) {
			return cfg, fmt.Errorf("INFRAMAP_WARN_SHARE must be a share between 0 and 1 (0.8: a case turns yellow after 80%% of its time limit), not %q", v)
		}
		cfg.warnShare = f
	}
	switch v := getenv("INFRAMAP_BOUNDARY_CHECK"); v {
	case "", "on":
	case "off":
		cfg.outsideOK = true
	default:
		return cfg, fmt.Errorf("INFRAMAP_BOUNDARY_CHECK must be on or off, not %q", v)
	}
	if cfg.logFormat != "json" && cfg.logFormat != "text" {
		return cfg, fmt.Errorf("INFRAMAP_LOG_FORMAT must be json or text, not %q", cfg.logFormat)
	}
	if v := getenv("INFRAMAP_PUBLIC_URL"); v != "" {
		u, err := url.Parse(strings.TrimRight(v, "/"))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return cfg, fmt.Errorf("INFRAMAP_PUBLIC_URL must be an absolute URL such as https://map.example.org, not %q", v)
		}
		cfg.publicURL = u
	}
	for _, p := range strings.Split(getenv("INFRAMAP_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return cfg, fmt.Errorf("INFRAMAP_TRUSTED_PROXIES: %q is not an address or CIDR", p)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		cfg.proxies = append(cfg.proxies, pfx)
	}
	return cfg, nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.logFormat == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(httpx.ContextHandler{Handler: h})
}

// database opens the configured database, starting the embedded cluster
// when no URL is given, and applies the migrations. close releases both.
func database(ctx context.Context, cfg config, progress io.Writer) (db *postgres.DB, cluster *devdb.Cluster, close func(), err error) {
	db, cluster, _, close, err = openDatabase(ctx, cfg, progress, true)
	return db, cluster, close, err
}

// openDatabase is database, also returning the URL, with the migrations
// optional (a restore brings its own schema).
func openDatabase(ctx context.Context, cfg config, progress io.Writer, migrate bool) (db *postgres.DB, cluster *devdb.Cluster, url string, close func(), err error) {
	url = cfg.dbURL
	if url == "" {
		cluster, err = devdb.Start(ctx, devdb.Options{Dir: filepath.Join(cfg.dataDir, "postgres"), Log: progress})
		if err != nil {
			return nil, nil, "", nil, err
		}
		url = cluster.URL(devdb.DBName)
	}
	db, err = postgres.Open(ctx, postgres.Config{URL: url, AllowOutsideDistrict: cfg.outsideOK, Changes: cfg.changes, WarnShare: cfg.warnShare,
		WorkingHours: cfg.workHours, ReadURLs: cfg.readURLs, ReplicaMaxLag: cfg.replicaMaxLag, ReadAfterWriteWait: cfg.readWait})
	if err == nil && migrate {
		err = db.Migrate(ctx)
	}
	close = func() {
		if db != nil {
			db.Close()
		}
		if cluster != nil {
			cluster.Stop()
		}
	}
	if err != nil {
		close()
		return nil, nil, "", nil, err
	}
	return db, cluster, url, close, nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("migrate", &cfg, getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// elapsed formats a duration for progress lines.
func elapsed(since time.Time) string { return time.Since(since).Round(10 * time.Millisecond).String() }

// openBlobs opens the photo store.
func openBlobs(ctx context.Context, cfg config) (*blob.Bucket, error) {
	u := cfg.blobURL
	if u == "" {
		var err error
		if u, err = blob.DefaultURL(cfg.dataDir); err != nil {
			return nil, err
		}
	}
	return blob.Open(ctx, u)
}

// parseWorkingHours reads "08:30-12:00,13:00-17:30" (Beijing time).
func parseWorkingHours(s string) ([]workcal.Interval, error) {
	var out []workcal.Interval
	clock := func(x string) (time.Duration, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(x))
		if err != nil {
			if strings.TrimSpace(x) == "24:00" {
				return 24 * time.Hour, nil
			}
			return 0, fmt.Errorf("%q is not a time of day HH:MM", x)
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return nil, fmt.Errorf("%q is not an interval from-to", part)
		}
		a, err := clock(from)
		if err != nil {
			return nil, err
		}
		b, err := clock(to)
		if err != nil {
			return nil, err
		}
		out = append(out, workcal.Interval{Start: a, End: b})
	}
	// The calendar says what is wrong with the intervals themselves.
	if _, err := workcal.New(workcal.Config{Hours: out}); err != nil {
		return nil, err
	}
	return out, nil
}
