package seed

import (
	"bytes"
	"encoding/json"
	"testing"

	"inframap/internal/maint"
)

func TestDistrictFigures(t *testing.T) {
	ds, err := District()
	if err != nil {
		t.Fatal(err)
	}
	count := map[maint.Kind]int{}
	area, spaces, sites, corridors := 0, 0, 0, 0
	codes := map[string]bool{}
	for _, a := range ds.Assets {
		count[a.Kind]++
		if codes[a.Code] {
			t.Errorf("duplicate code %s", a.Code)
		}
		codes[a.Code] = true
		switch a.Kind {
		case maint.KindRoadRepair:
			area += a.Attrs["area_m2"].(int)
		case maint.KindParkingLot:
			spaces += a.Attrs["spaces"].(int)
		case maint.KindSewerSeparation:
			if a.Attrs["corridor"] == true {
				corridors++
			} else {
				sites++
			}
		}
	}
	want := map[maint.Kind]int{maint.KindRoadRepair: 140, maint.KindSewerSeparation: 52, maint.KindParkingLot: 9, maint.KindParkingSpace: 944, maint.KindManhole: 1300, maint.KindCapitalProject: 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d assets, want %d", k, count[k], n)
		}
	}
	if area != RoadAreaM2 || spaces != ParkingSpaces || sites != 51 || corridors != 1 {
		t.Errorf("area %d spaces %d sites %d corridors %d", area, spaces, sites, corridors)
	}
	programme, routine := 0, map[maint.Status]int{}
	for _, tk := range ds.Tasks {
		if tk.Programme == maint.ProgrammePublished {
			programme++
			if tk.Status() != maint.StatusClosed {
				t.Errorf("programme task %s not closed", tk.Ref)
			}
			for _, e := range tk.Events {
				if e.At.Before(WindowStart) || e.At.After(WindowEnd) {
					t.Errorf("task %s event at %v outside the window", tk.Ref, e.At)
				}
			}
		} else {
			routine[tk.Status()]++
		}
		for i := 1; i < len(tk.Events); i++ {
			if !tk.Events[i].At.After(tk.Events[i-1].At) {
				t.Errorf("task %s events out of order", tk.Ref)
			}
		}
	}
	if programme != 140+52+9+1300+1 {
		t.Errorf("%d programme tasks", programme)
	}
	t.Logf("routine by status: %v", routine)
}

func TestDistrictDeterministic(t *testing.T) {
	a, _ := District()
	b, _ := District()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("two runs differ")
	}
}
