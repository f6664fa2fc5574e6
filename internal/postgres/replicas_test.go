package postgres

import (
	"testing"
	"time"

	"inframap/internal/readpref"
)

// TestReplicaLag: a replica's lag is how long the primary has had WAL it
// has not replayed, from the primary's sampled positions; a replica that
// has replayed everything sampled is not behind, however long ago the last
// write was.
func TestReplicaLag(t *testing.T) {
	now := time.Now()
	rs := &replicaSet{history: []sample{
		{at: now.Add(-3 * time.Second), lsn: 100},
		{at: now.Add(-2 * time.Second), lsn: 100},
		{at: now.Add(-1 * time.Second), lsn: 200},
		{at: now, lsn: 300},
	}}
	for _, c := range []struct {
		replayed readpref.LSN
		lag      time.Duration
	}{
		{300, 0},              // caught up
		{400, 0},              // past the last sample
		{250, 0},              // behind only the newest sample: under the sampling period
		{200, 0},              // has what the primary had a second ago and now only lacks the newest
		{150, time.Second},    // lacks what the primary had a second ago
		{100, time.Second},    // idle for two samples, then behind the third
		{50, 3 * time.Second}, // behind everything sampled
	} {
		got := rs.lagOf(c.replayed)
		if got < c.lag || got > c.lag+200*time.Millisecond {
			t.Errorf("lagOf(%d) = %v, want about %v", c.replayed, got, c.lag)
		}
	}
}
