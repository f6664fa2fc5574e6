package main

import (
	"fmt"
	"strings"
)

// peerServer is what pg_tileserv's own server reached on a tile request,
// measured side by side with inframap on one PostGIS database (the same
// assets table, wrk with 16 connections, three interleaved rounds, medians;
// issue 19 and shared/PERF-FACTS.md, 2026-12-04, this machine class). The
// peer is not installed here, so the report sets our cold figures of this
// run beside those.
type peerServer struct {
	row            string // the name of our row, as benchScale names it
	district, city float64
}

var peerServers = []peerServer{
	{"tile z12, one hot tile", 126, 1.8},
	{"tile z14, one hot tile", 417, 52},
	{"tile z16, one hot tile", 668, 402},
	{"tile z16, 400 tiles over the district", 2044, 669},
}

// peerServerTable sets this run's cold tiles beside pg_tileserv's server:
// req/s, the ratio to the peer (the target is 2×) and our p99.
func peerServerTable(r scaleReport) string {
	var b strings.Builder
	b.WriteString("\nCold tiles (cache off) beside pg_tileserv's own server as measured side by side on this machine " +
		"class (issue 19; the peer is not run here): the target is twice its req/s.\n\n" +
		"| tiles | pg_tileserv req/s | ours cold req/s | ours ÷ pg_tileserv | ours p99 |\n|---|---|---|---|---|\n")
	n := 0
	for _, p := range peerServers {
		peer := p.district
		if r.scale == "city" {
			peer = p.city
		}
		for _, row := range r.rows {
			if row.name != p.row || row.cache != "off" {
				continue
			}
			mark := ""
			if row.r.RPS >= 2*peer {
				mark = " ✓"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f×%s | %s |\n", p.row, num(peer), num(row.r.RPS), row.r.RPS/peer, mark, row.r.P99)
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return b.String()
}

// num formats a rate: whole numbers from 10 up, one decimal below.
func num(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}
