package seed

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/maint"
)

// City-scale data for load and performance work: a synthetic street grid
// over the Changchun urban area with a million manholes along its streets,
// the street segments themselves as road repairs, and blocks as compounds
// and car parks. Deterministic, and generated as a stream so a million rows
// never sit in memory.

// CitySize says how much city to generate.
type CitySize struct {
	Manholes int
	Roads    int
	Polygons int
}

// CityDefault is the size the performance targets are set at.
var CityDefault = CitySize{Manholes: 1_000_000, Roads: 100_000, Polygons: 5_000}

// The Changchun urban area the grid covers (WGS84).
var cityBounds = gis.BBox{MinLon: 125.12, MinLat: 43.76, MaxLon: 125.50, MaxLat: 44.00}

// Counties (区) of central Changchun by longitude band, for the component
// codes' county prefix.
var counties = []struct {
	code  string
	upTo  float64 // eastern edge, longitude
	label string
}{
	{"220106", 125.29, "绿园区"}, {"220102", 125.33, "南关区"}, {"220104", 125.37, "朝阳区"},
	{"220103", 125.42, "宽城区"}, {"220105", 180, "二道区"},
}

func countyAt(lon float64) string {
	for _, c := range counties {
		if lon <= c.upTo {
			return c.code
		}
	}
	return counties[len(counties)-1].code
}

// cityGrid is the street grid: a slightly rotated lattice of blocks.
type cityGrid struct {
	frame          gis.Frame
	cols, rows     int
	spacing, angle float64
	origin         orb.Point // local metres
}

func newCityGrid(size CitySize) cityGrid {
	f := gis.NewFrame(orb.Point{(cityBounds.MinLon + cityBounds.MaxLon) / 2, (cityBounds.MinLat + cityBounds.MaxLat) / 2})
	sw, ne := f.ToLocal(orb.Point{cityBounds.MinLon, cityBounds.MinLat}), f.ToLocal(orb.Point{cityBounds.MaxLon, cityBounds.MaxLat})
	w, h := ne[0]-sw[0], ne[1]-sw[1]
	// Two street segments per block: spacing so that the grid has the
	// number of segments asked for.
	spacing := math.Sqrt(2 * w * h / float64(max(size.Roads, 1)))
	return cityGrid{frame: f, cols: int(w / spacing), rows: int(h / spacing), spacing: spacing, angle: 0.12, origin: sw}
}

// node returns the street corner (i, j) in lon/lat.
func (g cityGrid) node(i, j int) orb.Point {
	x, y := float64(i)*g.spacing, float64(j)*g.spacing
	// Rotate about the grid's centre, then shift to the south-west corner.
	cx, cy := float64(g.cols)*g.spacing/2, float64(g.rows)*g.spacing/2
	dx, dy := x-cx, y-cy
	s, c := math.Sincos(g.angle)
	p := orb.Point{g.origin[0] + cx + dx*c - dy*s, g.origin[1] + cy + dx*s + dy*c}
	return g.frame.ToLonLat(p)
}

// segment returns street segment k: horizontal ones first, then vertical.
func (g cityGrid) segment(k int) (orb.LineString, bool) {
	horiz := g.cols * (g.rows + 1)
	if k < horiz {
		j, i := k/g.cols, k%g.cols
		return orb.LineString{g.node(i, j), g.node(i+1, j)}, true
	}
	k -= horiz
	if k >= (g.cols+1)*g.rows {
		return nil, false
	}
	i, j := k/g.rows, k%g.rows
	return orb.LineString{g.node(i, j), g.node(i, j+1)}, true
}

// City yields the city-scale assets in a fixed order: street segments,
// blocks, manholes. The record is reused between steps.
func City(size CitySize) iter.Seq[*maint.AssetRecord] {
	return func(yield func(*maint.AssetRecord) bool) {
		city(size, func(a *maint.AssetRecord) error {
			if !yield(a) {
				return errStop
			}
			return nil
		})
	}
}

var errStop = errors.New("stop")

func city(size CitySize, emit func(*maint.AssetRecord) error) error {
	g := newCityGrid(size)
	rng := rand.New(rand.NewPCG(2026, 7))
	var a maint.AssetRecord
	segments := min(size.Roads, g.cols*(g.rows+1)+(g.cols+1)*g.rows)
	for k := 0; k < segments; k++ {
		line, _ := g.segment(k)
		length := g.spacing
		width := 8 + float64(rng.IntN(4))*4
		a = maint.AssetRecord{Kind: maint.KindRoadRepair, Code: fmt.Sprintf("CC-RD-%06d", k+1),
			Name: fmt.Sprintf("长春市街路段 %06d", k+1), NameEn: fmt.Sprintf("Changchun street segment %06d", k+1),
			Attrs:    map[string]any{"area_m2": math.Round(length * width * (0.3 + 0.6*rng.Float64())), "length_m": math.Round(length), "city": true},
			Geometry: line}
		if err := emit(&a); err != nil {
			return err
		}
	}
	for k := 0; k < size.Polygons; k++ {
		// Blocks spread over the grid; an inset keeps them off the streets.
		cell := (k * 7919) % (g.cols * g.rows)
		i, j := cell%g.cols, cell/g.cols
		inset := 0.18
		ring := orb.Ring{}
		for _, c := range [][2]float64{{inset, inset}, {1 - inset, inset}, {1 - inset, 1 - inset}, {inset, 1 - inset}, {inset, inset}} {
			p0, p1, p3 := g.node(i, j), g.node(i+1, j), g.node(i, j+1)
			ring = append(ring, orb.Point{p0[0] + (p1[0]-p0[0])*c[0] + (p3[0]-p0[0])*c[1], p0[1] + (p1[1]-p0[1])*c[0] + (p3[1]-p0[1])*c[1]})
		}
		if k%5 == 4 {
			spaces := 40 + rng.IntN(200)
			a = maint.AssetRecord{Kind: maint.KindParkingLot, Code: fmt.Sprintf("CC-TCC-%05d", k+1), Name: fmt.Sprintf("长春市停车场 %05d", k+1),
				NameEn: fmt.Sprintf("Changchun car park %05d", k+1), Attrs: map[string]any{"spaces": spaces, "city": true}, Geometry: orb.Polygon{ring}}
		} else {
			a = maint.AssetRecord{Kind: maint.KindSewerSeparation, Code: fmt.Sprintf("CC-YW-%05d", k+1), Name: fmt.Sprintf("长春市小区 %05d", k+1),
				NameEn: fmt.Sprintf("Changchun compound %05d", k+1), Attrs: map[string]any{"site_type": "compound", "city": true}, Geometry: orb.Polygon{ring}}
		}
		if err := emit(&a); err != nil {
			return err
		}
	}
	cats := []string{"0102", "0103", "0104", "0101", "0110", "0107", "0111", "0105", "0106", "0109"}
	defects := []string{"broken_cover", "height_difference", "surrounding_pavement", "raised_sunk", "cover_frame_gap", "broken_frame", "rocking_noise", "missing_cover"}
	loads := []string{"D400", "C250"}
	serial := map[string]int{}
	perSeg := float64(size.Manholes) / float64(segments)
	for k := 0; k < size.Manholes; k++ {
		seg := int(float64(k) / perSeg)
		line, _ := g.segment(seg % segments)
		t := rng.Float64()
		p := orb.Point{line[0][0] + (line[1][0]-line[0][0])*t, line[0][1] + (line[1][1]-line[0][1])*t}
		// A few metres off the centre line.
		p[0] += (rng.Float64() - 0.5) * 0.00012
		p[1] += (rng.Float64() - 0.5) * 0.00009
		cat := cats[rng.IntN(len(cats))]
		county := countyAt(p[0])
		key := county + cat
		serial[key]++
		a = maint.AssetRecord{Kind: maint.KindManhole,
			// Serials from 500000 leave the district's own covers their codes.
			Code: fmt.Sprintf("%s01%s%06d", county, cat[2:], 500000+serial[key]),
			Name: "窨井 " + cat, NameEn: "Manhole " + cat,
			Attrs: map[string]any{"cover_category": cat, "defect_type": defects[rng.IntN(len(defects))],
				"defect_grade": 1 + rng.IntN(4), "load_class": loads[rng.IntN(2)], "city": true},
			Geometry: p}
		if err := emit(&a); err != nil {
			return err
		}
	}
	return nil
}

// CityCount is the number of assets City emits for size.
func CityCount(size CitySize) int {
	g := newCityGrid(size)
	return min(size.Roads, g.cols*(g.rows+1)+(g.cols+1)*g.rows) + size.Polygons + size.Manholes
}
