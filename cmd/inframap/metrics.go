package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"inframap/internal/cache"
	"inframap/internal/postgres"
	"inframap/internal/readpref"
)

// poolCollectors expose the database pool's state.
func poolCollectors(db *postgres.DB) []prometheus.Collector {
	gauge := func(name, help string, f func(postgres.PoolStat) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "inframap_db_pool_" + name, Help: help},
			func() float64 { return f(db.PoolStat()) })
	}
	counter := func(name, help string, f func(postgres.PoolStat) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "inframap_db_pool_" + name, Help: help},
			func() float64 { return f(db.PoolStat()) })
	}
	return []prometheus.Collector{
		gauge("acquired_conns", "Connections in use.", func(s postgres.PoolStat) float64 { return float64(s.Acquired) }),
		gauge("idle_conns", "Idle connections.", func(s postgres.PoolStat) float64 { return float64(s.Idle) }),
		gauge("total_conns", "Open connections.", func(s postgres.PoolStat) float64 { return float64(s.Total) }),
		gauge("max_conns", "The pool's limit.", func(s postgres.PoolStat) float64 { return float64(s.Max) }),
		counter("acquires_total", "Connections handed out.", func(s postgres.PoolStat) float64 { return float64(s.Acquires) }),
		counter("empty_acquires_total", "Acquires that had to wait for a connection.", func(s postgres.PoolStat) float64 { return float64(s.EmptyAcquires) }),
		counter("canceled_acquires_total", "Acquires cancelled while waiting (a client went away).", func(s postgres.PoolStat) float64 { return float64(s.Cancel) }),
		counter("acquire_wait_seconds_total", "Time spent waiting for connections.", func(s postgres.PoolStat) float64 { return s.AcquireWait.Seconds() }),
	}
}

// cacheCollectors expose the response cache's size.
func cacheCollectors(c *cache.Cache) []prometheus.Collector {
	if c == nil {
		return nil
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "inframap_cache_bytes", Help: "Bytes held by the response cache."},
			func() float64 { return float64(c.Stats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "inframap_cache_entries", Help: "Responses held by the response cache."},
			func() float64 { return float64(c.Stats().Entries) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "inframap_cache_invalidations_total", Help: "Change notices applied to the cache."},
			func() float64 { return float64(c.Stats().Invalidations) }),
	}
}

// replicaCollectors expose each read replica's lag and whether it serves
// reads, as the health check last saw them.
func replicaCollectors(db *postgres.DB) []prometheus.Collector {
	var out []prometheus.Collector
	for i, r := range db.Replicas() {
		labels := prometheus.Labels{"replica": r.Name}
		get := func() readpref.Database { return db.Replicas()[i] }
		out = append(out,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "inframap_db_replica_lag_seconds", ConstLabels: labels,
				Help: "How long the primary has had WAL the replica has not replayed."}, func() float64 { return get().LagSeconds }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "inframap_db_replica_in_rotation", ConstLabels: labels,
				Help: "1 when the replica serves reads (reachable, lag within the limit)."}, func() float64 {
				if get().InRotation {
					return 1
				}
				return 0
			}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "inframap_db_replica_reads_total", ConstLabels: labels,
				Help: "Reads the replica served."}, func() float64 { return float64(get().Reads) }))
	}
	if len(out) > 0 {
		out = append(out, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "inframap_db_read_after_write_fallbacks_total",
			Help: "Reads after a write that no replica had replayed in time, served by the primary."},
			func() float64 { return float64(db.ReadFallbacks()) }))
	}
	return out
}
