package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"inframap/internal/postgres/pgtest"
)

// viewport1km is a 1 km × 1 km box around Jingyang Square.
const viewport1km = "125.2638,43.8755,125.2762,43.8845"

func BenchmarkViewport1km(b *testing.B) {
	e := newEnv(b, pgtest.District)
	runParallelGets(b, []string{e.srv.URL + "/api/v1/assets?bbox=" + viewport1km + "&limit=1000"})
}

// BenchmarkDistrictManholes fetches every manhole of the district: two pages
// of up to 1,000 features.
func BenchmarkDistrictManholes(b *testing.B) {
	e := newEnv(b, pgtest.District)
	first := e.srv.URL + "/api/v1/assets?kind=manhole&limit=1000"
	res, err := http.Get(first)
	if err != nil {
		b.Fatal(err)
	}
	var fc featureCollection
	err = json.NewDecoder(res.Body).Decode(&fc)
	res.Body.Close()
	if err != nil || fc.next() == "" {
		b.Fatalf("first page: %v (next %q)", err, fc.next())
	}
	runParallelGets(b, []string{first, fc.next()})
}

func BenchmarkStats(b *testing.B) {
	e := newEnv(b, pgtest.District)
	runParallelGets(b, []string{e.srv.URL + "/api/v1/stats"})
}

// runParallelGets fetches urls in turn from 8 goroutines per core and
// reports the rate of whole rounds and the bytes of a round.
func runParallelGets(b *testing.B, urls []string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var bytes atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for _, u := range urls {
				res, err := client.Get(u)
				if err != nil {
					b.Error(err)
					return
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("%s: %d", u, res.StatusCode)
					return
				}
				bytes.Add(n)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rounds/s")
	b.ReportMetric(float64(bytes.Load())/float64(b.N), "bytes/round")
}

// BenchmarkEmptyTile measures the service's own cost per request: a z16
// tile with nothing in it, rendered afresh (no cache).
func BenchmarkEmptyTile(b *testing.B) {
	e := newEnv(b, pgtest.District)
	runParallelGets(b, []string{e.srv.URL + "/tiles/all/16/53000/24000.mvt"})
}
