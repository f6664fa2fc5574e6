package photo

import (
	"bytes"
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// photo12MP is a 4000×3000 JPEG made once per test binary: making it takes
// a second, and it is too big to commit.
var photo12MP = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	encodeTestJPEGTo(&b, photoLike(4000, 3000))
	return b.Bytes()
})

// heapPeak samples the bytes of live and not yet swept heap objects every
// millisecond until stopped, and reports the peak above where it started.
type heapPeak struct {
	base, peak uint64
	stop       chan struct{}
	done       sync.WaitGroup
}

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{base: heapInUse(), stop: make(chan struct{})}
	h.peak = h.base
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.peak = max(h.peak, heapInUse())
			}
		}
	}()
	return h
}

// report stops sampling and reports the peak in MB.
func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	h.done.Wait()
	h.peak = max(h.peak, heapInUse())
	b.ReportMetric(float64(h.peak-h.base)/(1<<20), "peak-heap-MB")
}

// BenchmarkProcess12MP processes one 12 MP phone-sized JPEG per op.
func BenchmarkProcess12MP(b *testing.B) {
	data := photo12MP()
	p := newProcessor(b, Options{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	h := startHeapPeak()
	b.ResetTimer()
	for b.Loop() {
		res, err := p.Process(context.Background(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		res.Close()
	}
	b.StopTimer()
	h.report(b)
}

// BenchmarkProcess12MPTenAtOnce processes ten 12 MP JPEGs concurrently per
// op, as when a crew uploads together, under the default decode limit
// (one per CPU): the peak heap shows the limit at work.
func BenchmarkProcess12MPTenAtOnce(b *testing.B) {
	data := photo12MP()
	p := newProcessor(b, Options{})
	b.SetBytes(10 * int64(len(data)))
	b.ReportAllocs()
	h := startHeapPeak()
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Go(func() {
				res, err := p.Process(context.Background(), bytes.NewReader(data))
				if err != nil {
					errs <- err
					return
				}
				res.Close()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	h.report(b)
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/10, "ms/photo")
}
