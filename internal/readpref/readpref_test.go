package readpref

import (
	"context"
	"testing"
	"time"
)

func TestLSN(t *testing.T) {
	for _, s := range []string{"0/0", "0/16B3748", "16/B374D848", "FFFFFFFF/FFFFFFFF"} {
		l, err := ParseLSN(s)
		if err != nil {
			t.Fatalf("ParseLSN(%q): %v", s, err)
		}
		if l.String() != s {
			t.Errorf("ParseLSN(%q).String() = %q", s, l.String())
		}
	}
	a, _ := ParseLSN("0/FFFFFFFF")
	b, _ := ParseLSN("1/0")
	if !(a < b) {
		t.Errorf("0/FFFFFFFF is not before 1/0")
	}
	for _, bad := range []string{"", "16", "x/1", "1/", "/1", "100000000/0", "1/1/1"} {
		if _, err := ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
}

func TestPrefAndNote(t *testing.T) {
	ctx := context.Background()
	if p := From(ctx); p.Replica {
		t.Error("a bare context allows a replica")
	}
	ctx, note := With(ctx, Pref{After: 42})
	ctx = AllowReplica(ctx)
	if p := From(ctx); !p.Replica || p.After != 42 {
		t.Errorf("AllowReplica: %+v", p)
	}
	kept, _ := With(context.Background(), Pref{PrimaryOnly: true})
	if From(AllowReplica(kept)).Replica {
		t.Error("AllowReplica overrode PrimaryOnly")
	}
	note.Served("primary", 0, false)
	note.Served("replica-1", 2*time.Second, true)
	note.Served("primary", 0, false)
	src, st, behind := NoteFrom(ctx).Source()
	if src != "replica-1" || st != 2*time.Second || !behind {
		t.Errorf("note: %q %v %v, want the replica's read to stay noted", src, st, behind)
	}
	var none *Note
	none.Served("replica-1", 0, true) // no note: nothing to record, no panic
}
