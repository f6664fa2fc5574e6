package condition

import (
	"math"
	"slices"
	"testing"

	"inframap/internal/maint"
)

func TestPCI(t *testing.T) {
	// Every section is 1000 m², so an extent of 100 m² is a density of 10 %.
	tests := []struct {
		name string
		ds   []Distress
		want float64
	}{
		{"no distress", nil, 100},
		// DP = 40 (heavy curve at 10 %, factor 1.0); u = 1, w(1) = 3 − 5.5 + 3.5 = 1;
		// PCI = 100 − 40 = 60.
		{"single heavy alligator at 10 %", []Distress{{"alligator_crack", Heavy, 100}}, 60},
		// Moderate curve at 5 %: 16 + (5−1)/(10−1)·(30−16) = 22.2222; ×1.2 (pothole)
		// = 26.6667; PCI = 73.3333 → 73.3.
		{"single moderate pothole at 5 %", []Distress{{"pothole", Moderate, 50}}, 73.3},
		// Light line crack at 0.05 %: 0 + 0.05/0.1·5 = 2.5; ×0.6 = 1.5; PCI 98.5.
		{"single light line crack at 0.05 %", []Distress{{"longitudinal_crack", Light, 0.5}}, 98.5},
		// DP 40 and 20 (light at 10 %); Σ = 60, u = 2/3 and 1/3.
		// w(2/3) = 3·8/27 − 5.5·4/9 + 3.5·2/3 = (8 − 22 + 21)/9 = 7/9;
		// w(1/3) = 3/27 − 5.5/9 + 3.5/3 = (1 − 5.5 + 10.5)/9 = 2/3.
		// PCI = 100 − (40·7/9 + 20·2/3) = 100 − 44.4444 = 55.5556 → 55.6.
		{"two distresses", []Distress{{"alligator_crack", Heavy, 100}, {"subsidence", Light, 100}}, 55.6},
		// DP 40, 30 (moderate at 10 %), 10 (light at 1 %); Σ = 80, u = .5, .375, .125.
		// w(.5) = .375 − 1.375 + 1.75 = .75; w(.375) = .158203125 − .7734375 + 1.3125 = .697265625;
		// w(.125) = .005859375 − .0859375 + .4375 = .357421875.
		// Σ DP·w = 30 + 20.91796875 + 3.57421875 = 54.4921875; PCI = 45.5078 → 45.5.
		{"three distresses", []Distress{{"alligator_crack", Heavy, 100}, {"alligator_crack", Moderate, 100}, {"subsidence", Light, 10}}, 45.5},
		// Density is capped at 100 %: heavy pothole 75·1.2 = 90 → PCI 10.
		{"extent above the area", []Distress{{"pothole", Heavy, 5000}}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PCI(1000, tt.ds)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PCI(1000, %+v) = %v, want %v", tt.ds, got, tt.want)
			}
		})
	}
}

func TestPCIRefuses(t *testing.T) {
	for _, ds := range [][]Distress{
		{{"crack", Light, 1}},
		{{"pothole", "bad", 1}},
		{{"pothole", Light, 0}},
		{{"pothole", Light, math.NaN()}},
	} {
		if _, err := PCI(1000, ds); err == nil {
			t.Errorf("PCI(1000, %+v) accepted", ds)
		}
	}
	if _, err := PCI(0, []Distress{{"pothole", Light, 1}}); err == nil {
		t.Error("PCI of an area of 0 accepted")
	}
}

func TestWeight(t *testing.T) {
	for _, tt := range []struct{ u, want float64 }{{0, 0}, {1, 1}, {0.5, 0.75}, {1.0 / 3, 2.0 / 3}} {
		if got := Weight(tt.u); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Weight(%v) = %v, want %v", tt.u, got, tt.want)
		}
	}
}

func TestDeductMonotone(t *testing.T) {
	for _, k := range Kinds() {
		prevSev := -1.0
		for _, s := range Severities {
			prev := -1.0
			for d := 0.0; d <= 120; d += 0.05 {
				v := DeductValue(k, s, d)
				if v < prev || v > 100 {
					t.Fatalf("DeductValue(%s, %s, %v) = %v after %v", k, s, d, v, prev)
				}
				prev = v
			}
			at10 := DeductValue(k, s, 10)
			if at10 <= prevSev {
				t.Errorf("%s: %s deducts %v at 10 %%, not more than the lighter severity (%v)", k, s, at10, prevSev)
			}
			prevSev = at10
		}
	}
}

func TestKindsAreTheDomainsDistresses(t *testing.T) {
	var codes []string
	for _, n := range maint.RoadDistresses {
		codes = append(codes, n.Code)
	}
	slices.Sort(codes)
	if !slices.Equal(codes, Kinds()) {
		t.Errorf("deduct tables for %v, domain distresses %v", Kinds(), codes)
	}
}

func TestGrade(t *testing.T) {
	tests := []struct {
		class RoadClass
		pci   float64
		want  string
	}{
		{Arterial, 100, "A"}, {Arterial, 85, "A"}, {Arterial, 84.9, "B"}, {Arterial, 84.96, "A"},
		{Arterial, 70, "B"}, {Arterial, 69.9, "C"}, {Arterial, 60, "C"}, {Arterial, 59.9, "D"}, {Arterial, 0, "D"},
		{Local, 80, "A"}, {Local, 79.9, "B"}, {Local, 65, "B"}, {Local, 64.9, "C"}, {Local, 60, "C"}, {Local, 59.9, "D"},
		{Expressway, 90, "A"}, {Expressway, 89.9, "B"}, {Expressway, 75, "B"}, {Expressway, 74.9, "C"},
		{Expressway, 65, "C"}, {Expressway, 64.9, "D"},
		{"", 80, "A"}, // unknown class: local
	}
	for _, tt := range tests {
		if got := Grade(tt.class, tt.pci); got != tt.want {
			t.Errorf("Grade(%q, %v) = %s, want %s", tt.class, tt.pci, got, tt.want)
		}
	}
}

func TestManholeGrade(t *testing.T) {
	tests := []struct {
		c    ManholeCheck
		want string
	}{
		{ManholeCheck{}, "A"},
		{ManholeCheck{Walkway: true}, "A"},
		{ManholeCheck{Gap: true}, "B"},
		{ManholeCheck{HeightDiff: true}, "B"},
		{ManholeCheck{Rocking: true}, "B"},
		{ManholeCheck{Broken: true, Gap: true}, "C"},
		{ManholeCheck{FrameBroken: true}, "C"},
		{ManholeCheck{NetMissing: true}, "C"},
		{ManholeCheck{NetMissing: true, Walkway: true}, "D"},
		{ManholeCheck{Missing: true}, "D"},
	}
	for _, tt := range tests {
		if got := ManholeGrade(tt.c); got != tt.want {
			t.Errorf("ManholeGrade(%+v) = %s, want %s", tt.c, got, tt.want)
		}
	}
}
