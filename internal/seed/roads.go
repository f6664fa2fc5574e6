package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"

	"inframap/gis"
	"inframap/internal/maint"
)

// roadDef is a road of DOMAIN.md §2: approximate polyline, carriageway width.
type roadDef struct {
	name, nameEn string
	width        float64 // carriageway, metres
	line         orb.LineString
}

var roadDefs = []roadDef{
	{"景阳大路", "Jingyang Avenue", 24, orb.LineString{{125.185, 43.868}, {125.2325, 43.8816}, {125.2643, 43.8818}, {125.281, 43.876}}},
	{"西安大路", "Xi'an Avenue", 24, orb.LineString{{125.240, 43.900}, {125.274, 43.900}, {125.294, 43.893}}},
	{"皓月大路", "Haoyue Avenue", 20, orb.LineString{{125.15, 43.890}, {125.231, 43.888}}},
	{"西环城路", "West Ring Road", 22, orb.LineString{{125.236, 43.860}, {125.231, 43.888}, {125.252, 43.916}, {125.288, 43.944}}},
	{"西四环路", "West Fourth Ring Road", 22, orb.LineString{{125.175, 43.861}, {125.199, 43.888}, {125.223, 43.907}, {125.228, 43.925}}},
	{"长白公路", "Changbai Highway", 16, orb.LineString{{125.251, 43.914}, {125.228, 43.929}}},
	{"飞跃路", "Feiyue Road", 14, orb.LineString{{125.201, 43.875}, {125.224, 43.847}}},
	// The three streets run north–south; DOMAIN.md gives their longitudes,
	// the extents here are approximate.
	{"正阳街", "Zhengyang Street", 14, orb.LineString{{125.270, 43.866}, {125.270, 43.908}}},
	{"普阳街", "Puyang Street", 12, orb.LineString{{125.260, 43.858}, {125.260, 43.879}}},
	{"春城大街", "Chuncheng Street", 14, orb.LineString{{125.262, 43.884}, {125.262, 43.912}}},
}

// road is a clipped piece of a road in local metres.
type road struct {
	def    roadDef
	line   orb.LineString // local metres
	length float64
}

// boundaryClearance keeps generated geometry this far (metres) inside the
// district boundary, more than the offsets of things placed beside roads.
const boundaryClearance = 30.0

// buildRoads clips the road polylines to the district: densified to 10 m,
// only vertices at least boundaryClearance inside the boundary are kept, and
// each run of such vertices longer than 200 m becomes a road piece.
func (g *generator) buildRoads() error {
	edge := orb.LineString(g.boundary)
	for _, def := range roadDefs {
		dense := gis.Densify(g.frame.LineToLocal(def.line), 10)
		var run orb.LineString
		flush := func() {
			if len(run) >= 2 && gis.Length(run) >= 200 {
				line := simplify.DouglasPeucker(0.2).Simplify(slices.Clone(run)).(orb.LineString)
				g.roads = append(g.roads, &road{def: def, line: line, length: gis.Length(line)})
			}
			run = nil
		}
		for _, p := range dense {
			if planar.RingContains(g.boundary, p) && planar.DistanceFrom(edge, p) >= boundaryClearance {
				run = append(run, p)
			} else {
				flush()
			}
		}
		flush()
	}
	if len(g.roads) == 0 {
		return fmt.Errorf("no road lies inside the district boundary")
	}
	return nil
}

func (g *generator) totalRoadLength() float64 {
	t := 0.0
	for _, r := range g.roads {
		t += r.length
	}
	return t
}

// allocate splits total into integer parts proportional to weights (largest
// remainder), so the parts sum to total exactly.
func allocate(total int, weights []float64) []int {
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]float64, len(weights))
	used := 0
	for i, w := range weights {
		exact := float64(total) * w / sum
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		used += out[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for k := 0; used < total; k++ {
		out[order[k%len(order)]]++
		used++
	}
	return out
}

// roadRepairs cuts the road pieces into RoadCount sections and gives them
// repaired areas that sum to exactly RoadAreaM2.
func (g *generator) roadRepairs(rng *rand.Rand) error {
	lengths := make([]float64, len(g.roads))
	for i, r := range g.roads {
		lengths[i] = r.length
	}
	counts := allocate(RoadCount, lengths)
	type section struct {
		r      *road
		n, of  int
		line   orb.LineString
		length float64
		weight float64
	}
	var secs []section
	for i, r := range g.roads {
		n := counts[i]
		if n == 0 {
			continue
		}
		step := r.length / float64(n)
		for k := 0; k < n; k++ {
			// Sections leave a short gap at each end (junctions, joints).
			from, to := float64(k)*step+6, float64(k+1)*step-6
			line := gis.SubLine(r.line, from, to)
			l := gis.Length(line)
			// Minor repair covers part of the carriageway: 40–90 %.
			cover := 0.4 + 0.5*rng.Float64()
			secs = append(secs, section{r: r, n: k + 1, of: n, line: line, length: l, weight: l * r.def.width * cover})
		}
	}
	weights := make([]float64, len(secs))
	for i, s := range secs {
		weights[i] = s.weight
	}
	areas := allocate(RoadAreaM2, weights)
	perRoad := map[string]int{}
	for i, s := range secs {
		perRoad[s.r.def.name]++
		k := perRoad[s.r.def.name]
		distresses := pick(rng, maint.RoadDistresses[:11], 1+rng.IntN(3))
		// Two draws once typed in PCIs; kept so that the rest of the district
		// stays as it was. The PCIs come from distress records (roadCondition).
		_, _ = rng.IntN(24), rng.IntN(10)
		g.add(Asset{
			Kind:   maint.KindRoadRepair,
			Code:   fmt.Sprintf("DL-%03d", i+1),
			Name:   fmt.Sprintf("%s 第%d段", s.r.def.name, k),
			NameEn: fmt.Sprintf("%s, section %d", s.r.def.nameEn, k),
			Attrs: map[string]any{
				"road":       s.r.def.name,
				"road_en":    s.r.def.nameEn,
				"section":    k,
				"area_m2":    areas[i],
				"length_m":   math.Round(s.length*10) / 10,
				"width_m":    s.r.def.width,
				"work_type":  "minor_repair",
				"distresses": distresses,
				"road_class": string(roadClass(s.r.def.name, s.r.def.width)),
			},
			Geometry: g.frame.LineToLonLat(s.line),
		})
	}
	return nil
}

// pick returns n distinct codes from table.
func pick(rng *rand.Rand, table []maint.Named, n int) []string {
	idx := rng.Perm(len(table))[:n]
	slices.Sort(idx)
	out := make([]string, n)
	for i, j := range idx {
		out[i] = table[j].Code
	}
	return out
}

// pointOnRoads returns the point at distance d along all road pieces taken
// end to end, with the road and its direction there.
func (g *generator) pointOnRoads(d float64) (orb.Point, orb.Point, *road) {
	for _, r := range g.roads {
		if d <= r.length {
			p, dir := gis.Along(r.line, d)
			return p, dir, r
		}
		d -= r.length
	}
	r := g.roads[len(g.roads)-1]
	p, dir := gis.Along(r.line, r.length)
	return p, dir, r
}

// weighted picks an index with probability proportional to w.
func weighted(rng *rand.Rand, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	v := rng.Float64() * sum
	for i, x := range w {
		if v < x {
			return i
		}
		v -= x
	}
	return len(w) - 1
}

// manholes places the defective manholes along the roads, 2–14 m from the
// centre line, each with its cover category and component code, load class,
// defect and grade.
func (g *generator) manholes(rng *rand.Rand) error {
	cats := []struct {
		code   string
		weight float64
	}{
		{"0102", 22}, {"0103", 20}, {"0104", 14}, {"0101", 10}, {"0110", 9}, {"0107", 7},
		{"0111", 5}, {"0105", 5}, {"0106", 3}, {"0108", 1.5}, {"0109", 1.5}, {"0114", 1},
		{"0112", 0.5}, {"0127", 0.3}, {"0130", 0.3}, {"0129", 0.2},
	}
	catW := make([]float64, len(cats))
	for i, c := range cats {
		catW[i] = c.weight
	}
	defects := []struct {
		code   string
		weight float64
	}{
		{"broken_cover", 18}, {"height_difference", 15}, {"surrounding_pavement", 15}, {"raised_sunk", 12},
		{"cover_frame_gap", 10}, {"broken_frame", 8}, {"rocking_noise", 8}, {"missing_anti_fall_net", 5},
		{"missing_cover", 4}, {"buried", 3}, {"wrong_marking", 2},
	}
	defW := make([]float64, len(defects))
	for i, d := range defects {
		defW[i] = d.weight
	}
	serial := map[string]int{}
	total := g.totalRoadLength()
	spacing := total / Manholes
	for i := 0; i < Manholes; i++ {
		d := (float64(i) + 0.5 + 0.8*(rng.Float64()-0.5)) * spacing
		p, dir, r := g.pointOnRoads(d)
		offset := 2 + 12*rng.Float64()
		if rng.IntN(2) == 0 {
			offset = -offset
		}
		p = orb.Point{p[0] - dir[1]*offset, p[1] + dir[0]*offset}
		cat := cats[weighted(rng, catW)].code
		serial[cat]++
		code := fmt.Sprintf("220106%s%06d", cat, serial[cat])
		catName, _ := maint.Lookup(maint.CoverCategories, cat)
		load := "D400"
		if math.Abs(offset) > r.def.width/2-1 || cat == "0104" {
			load = "C250"
		}
		defect := defects[weighted(rng, defW)].code
		grade := 1 + weighted(rng, []float64{30, 40, 22, 8})
		if defect == "missing_cover" || defect == "missing_anti_fall_net" {
			grade = 4
		}
		g.add(Asset{
			Kind:   maint.KindManhole,
			Code:   code,
			Name:   fmt.Sprintf("%s井（%s）", catName.Name, r.def.name),
			NameEn: fmt.Sprintf("%s manhole, %s", catName.NameEn, r.def.nameEn),
			Attrs: map[string]any{
				"cover_category": cat,
				"load_class":     load,
				"defect_type":    defect,
				"defect_grade":   grade,
				"road":           r.def.name,
			},
			Geometry: g.frame.ToLonLat(p),
		})
	}
	return nil
}

// RoadLinesWKT returns the road polylines of DOMAIN.md §2 the repairs are laid
// along, as WKT, for checks.
func RoadLinesWKT() []string {
	out := make([]string, len(roadDefs))
	for i, d := range roadDefs {
		out[i] = wkt.MarshalString(d.line)
	}
	return out
}
