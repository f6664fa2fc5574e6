package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"inframap/internal/cache"
	"inframap/internal/postgres"
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
