package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"inframap/gis"
	"inframap/internal/maint"
)

// frameRect is an oriented rectangle in local metres: origin corner o, unit
// axes u (along the road) and v (away from it), sizes w × h.
type frameRect struct {
	o, u, v orb.Point
	w, h    float64
}

// at returns the point (a, b) of the rectangle's own frame in local metres.
func (r frameRect) at(a, b float64) orb.Point {
	return orb.Point{r.o[0] + r.u[0]*a + r.v[0]*b, r.o[1] + r.u[1]*a + r.v[1]*b}
}

// box returns the corners of the sub-rectangle [a0,a1]×[b0,b1], counter-
// clockwise when (u, v) is a right-handed frame.
func (r frameRect) box(a0, b0, a1, b1 float64) []orb.Point {
	return []orb.Point{r.at(a0, b0), r.at(a1, b0), r.at(a1, b1), r.at(a0, b1)}
}

func (r frameRect) corners() []orb.Point { return r.box(0, 0, r.w, r.h) }

// grow returns the corners of the rectangle enlarged by m on every side.
func (r frameRect) grow(m float64) []orb.Point { return r.box(-m, -m, r.w+m, r.h+m) }

// ring closes a convex polygon's corners into a counter-clockwise ring.
func ring(ps []orb.Point) orb.Ring {
	rg := append(orb.Ring{}, ps...)
	rg = append(rg, ps[0])
	if planar.Area(rg) < 0 {
		for i, j := 0, len(rg)-1; i < j; i, j = i+1, j-1 {
			rg[i], rg[j] = rg[j], rg[i]
		}
	}
	return rg
}

// overlap reports whether two convex polygons (corner lists) intersect,
// by the separating axis theorem. A segment is a degenerate polygon.
func overlap(a, b []orb.Point) bool {
	for _, poly := range [][]orb.Point{a, b} {
		for i := range poly {
			p, q := poly[i], poly[(i+1)%len(poly)]
			axis := orb.Point{-(q[1] - p[1]), q[0] - p[0]}
			if axis[0] == 0 && axis[1] == 0 {
				continue
			}
			amin, amax := project(a, axis)
			bmin, bmax := project(b, axis)
			if amax < bmin || bmax < amin {
				return false
			}
		}
	}
	return true
}

func project(ps []orb.Point, axis orb.Point) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		d := p[0]*axis[0] + p[1]*axis[1]
		lo, hi = math.Min(lo, d), math.Max(hi, d)
	}
	return lo, hi
}

// fits reports whether a convex polygon lies inside the district with
// clearance, overlaps nothing placed so far (by margin metres) and keeps
// roadMargin metres from every road's centre line.
func (g *generator) fits(corners []orb.Point, grown []orb.Point, roadGrown []orb.Point) bool {
	edge := orb.LineString(g.boundary)
	for _, p := range gis.Densify(orb.LineString(ring(corners)), 10) {
		if !planar.RingContains(g.boundary, p) || planar.DistanceFrom(edge, p) < boundaryClearance {
			return false
		}
	}
	for _, other := range g.placed {
		if overlap(grown, other) {
			return false
		}
	}
	lines := slices.Clone(g.corridors)
	for _, r := range g.roads {
		lines = append(lines, r.line)
	}
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			if overlap(roadGrown, []orb.Point{l[i-1], l[i]}) {
				return false
			}
		}
	}
	return true
}

// besideRoad returns the rectangle w × h beside the road point at distance d
// along road r, its near edge gap metres from the centre line, on side ±1.
func besideRoad(r *road, d, w, h, gap float64, side float64) frameRect {
	p, dir := gis.Along(r.line, d)
	normal := orb.Point{-dir[1] * side, dir[0] * side}
	u := dir
	if side < 0 {
		// Keep (u, v) right-handed so corners run counter-clockwise.
		u = orb.Point{-dir[0], -dir[1]}
	}
	centre := orb.Point{p[0] + normal[0]*gap, p[1] + normal[1]*gap}
	o := orb.Point{centre[0] - u[0]*w/2, centre[1] - u[1]*w/2}
	return frameRect{o: o, u: u, v: normal, w: w, h: h}
}

// nearestOnRoads returns the road and distance along it of the road point
// nearest to p (local metres).
func (g *generator) nearestOnRoads(p orb.Point) (*road, float64) {
	var best *road
	bestD, bestAlong := math.Inf(1), 0.0
	for _, r := range g.roads {
		along := 0.0
		for i := 1; i < len(r.line); i++ {
			a, b := r.line[i-1], r.line[i]
			seg := planar.Distance(a, b)
			t := 0.0
			if seg > 0 {
				t = ((p[0]-a[0])*(b[0]-a[0]) + (p[1]-a[1])*(b[1]-a[1])) / (seg * seg)
				t = math.Max(0, math.Min(1, t))
			}
			q := orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
			if d := planar.Distance(p, q); d < bestD {
				best, bestD, bestAlong = r, d, along+t*seg
			}
			along += seg
		}
	}
	return best, bestAlong
}

// project places the Xihu North plot project (capital_project): a block of
// the published 58,000 m² within the plot's extent.
func (g *generator) project(rng *rand.Rand) error {
	c := g.frame.ToLocal(orb.Point{125.170, 43.8735})
	w, h := 290.0, float64(ProjectAreaM2)/290.0
	r := frameRect{o: orb.Point{c[0] - w/2, c[1] - h/2}, u: orb.Point{1, 0}, v: orb.Point{0, 1}, w: w, h: h}
	g.placed = append(g.placed, r.grow(15))
	g.add(Asset{
		Kind:   maint.KindCapitalProject,
		Code:   "XHB-1-1",
		Name:   "西湖北一地块城市市政道路及给排水管网配套工程(一期)",
		NameEn: "Xihu North Plot 1 municipal roads, water supply and drainage works (phase 1)",
		Attrs: map[string]any{
			"investment_yuan": ProjectInvestYuan,
			"area_m2":         ProjectAreaM2,
			"completed":       true,
			"handed_over":     true,
			"purpose":         "服务回迁居民出行：道路、给水、排水配套",
			"purpose_en":      "Access for resettled residents: roads, water supply and drainage",
		},
		Geometry: orb.Polygon{g.frame.RingToLonLat(ring(r.corners()))},
	})
	return nil
}

// lotDef is a public parking lot: its anchor place and its spaces by type.
type lotDef struct {
	name, nameEn string
	anchor       orb.Point
	spaces       int
	large        int
	extraEV      int
}

var lotDefs = []lotDef{
	{"长春西站公共停车场", "Changchun West Station public car park", orb.Point{125.196, 43.871}, 212, 8, 6},
	{"景阳广场公共停车场", "Jingyang Square public car park", orb.Point{125.270, 43.880}, 156, 0, 4},
	{"西湖公园停车场", "Xihu Park car park", orb.Point{125.186, 43.864}, 138, 4, 0},
	{"绿园区政务中心停车场", "Lüyuan government centre car park", orb.Point{125.266, 43.890}, 120, 0, 2},
	{"西安大路公共停车场", "Xi'an Avenue public car park", orb.Point{125.252, 43.900}, 96, 0, 0},
	{"经济开发区公共停车场", "Economic Development Zone public car park", orb.Point{125.226, 43.912}, 80, 6, 0},
	{"皓月大路公共停车场", "Haoyue Avenue public car park", orb.Point{125.200, 43.889}, 64, 0, 0},
	{"普阳街公共停车场", "Puyang Street public car park", orb.Point{125.260, 43.866}, 48, 0, 2},
	{"飞跃路公共停车场", "Feiyue Road public car park", orb.Point{125.212, 43.862}, 30, 0, 0},
}

// Bay sizes in metres (width along the row, depth across it).
const (
	bayW, bayD     = 2.5, 5.3
	accW           = 3.6 // accessible bay with its access aisle
	largeW, largeD = 4.0, 13.0
	aisle          = 6.0
	lotMargin      = 4.0
)

type bay struct {
	kind       string
	a0, b0, a1 float64
	b1         float64
}

// layoutLot lays out a lot's bays in double rows along the road with aisles
// between them, accessible bays nearest the entrance, then EV charging bays,
// then standard ones, and large-vehicle bays in a deep row at the back.
func layoutLot(def lotDef) (bays []bay, w, h float64) {
	acc := 1
	if def.spaces > 100 {
		acc = int(math.Ceil(float64(def.spaces) / 100))
	}
	ev := int(math.Ceil(float64(def.spaces)*0.1)) + def.extraEV
	cars := def.spaces - def.large
	rows := max(2, int(math.Round(math.Sqrt(float64(cars)/3.5))))
	perRow := int(math.Ceil(float64(cars) / float64(rows)))
	kinds := make([]string, 0, cars)
	for i := 0; i < cars; i++ {
		switch {
		case i < acc:
			kinds = append(kinds, "accessible")
		case i < acc+ev:
			kinds = append(kinds, "ev_charging")
		default:
			kinds = append(kinds, "standard")
		}
	}
	// Rows start after an entrance aisle along the road side.
	b := lotMargin + aisle
	i := 0
	for row := 0; row < rows && i < cars; row++ {
		a := lotMargin
		for k := 0; k < perRow && i < cars; k++ {
			bw := bayW
			if kinds[i] == "accessible" {
				bw = accW
			}
			bays = append(bays, bay{kinds[i], a, b, a + bw, b + bayD})
			a += bw
			w = math.Max(w, a)
			i++
		}
		// A 20 cm strip between back-to-back rows keeps bays of rows whose
		// edges do not line up from overlapping once coordinates are rounded.
		b += bayD + 0.2
		if row%2 == 1 {
			b += aisle // an aisle after each back-to-back pair
		}
	}
	if rows%2 == 1 {
		b += aisle
	}
	if def.large > 0 {
		a := lotMargin
		for k := 0; k < def.large; k++ {
			bays = append(bays, bay{"large", a, b, a + largeW, b + largeD})
			a += largeW
			w = math.Max(w, a)
		}
		b += largeD
	}
	return bays, w + lotMargin, b + lotMargin
}

// parking places the lots beside the road nearest to each anchor place and
// lays out their bays.
func (g *generator) parking(rng *rand.Rand) error {
	total := 0
	for _, d := range lotDefs {
		total += d.spaces
	}
	if total != ParkingSpaces || len(lotDefs) != ParkingLots {
		return fmt.Errorf("parking lots: %d lots with %d spaces, want %d with %d", len(lotDefs), total, ParkingLots, ParkingSpaces)
	}
	for li, def := range lotDefs {
		bays, w, h := layoutLot(def)
		r, along := g.nearestOnRoads(g.frame.ToLocal(def.anchor))
		var rect frameRect
		placed := false
		for try := 0; try < 400 && !placed; try++ {
			// Search outwards along the road from the anchor, both sides.
			shift := float64((try/2+1)/2) * 25
			if (try/2)%2 == 1 {
				shift = -shift
			}
			side := 1.0
			if try%2 == 1 {
				side = -1
			}
			d := along + shift
			if d < w/2 || d > r.length-w/2 {
				continue
			}
			gap := r.def.width/2 + 8 + 10*rng.Float64()
			rect = besideRoad(r, d, w, h, gap, side)
			placed = g.fits(rect.corners(), rect.grow(10), rect.grow(r.def.width/2))
		}
		if !placed {
			return fmt.Errorf("parking lot %s: no room beside %s", def.name, r.def.name)
		}
		g.placed = append(g.placed, rect.grow(10))
		code := fmt.Sprintf("TCC-%02d", li+1)
		byType := map[string]int{"standard": 0, "accessible": 0, "ev_charging": 0, "large": 0}
		for _, b := range bays {
			byType[b.kind]++
		}
		g.add(Asset{
			Kind:   maint.KindParkingLot,
			Code:   code,
			Name:   def.name,
			NameEn: def.nameEn,
			Attrs: map[string]any{
				"spaces":            def.spaces,
				"space_types":       byType,
				"accessible_spaces": byType["accessible"],
				"chargers":          byType["ev_charging"],
				"tariff":            "首小时免费，之后每小时2元，24小时封顶20元",
				"tariff_en":         "First hour free, then 2 yuan an hour, at most 20 yuan a day",
				"opening_hours":     "00:00-24:00",
				"address":           "绿园区" + r.def.name,
				"road":              r.def.name,
			},
			Geometry: orb.Polygon{g.frame.RingToLonLat(ring(rect.corners()))},
		})
		for k, b := range bays {
			st, _ := maint.Lookup(maint.SpaceTypes, b.kind)
			g.add(Asset{
				Kind:       maint.KindParkingSpace,
				Code:       fmt.Sprintf("%s-%03d", code, k+1),
				Name:       fmt.Sprintf("%s %d号泊位", def.name, k+1),
				NameEn:     fmt.Sprintf("%s, bay %d", def.nameEn, k+1),
				ParentCode: code,
				Attrs:      map[string]any{"space_type": b.kind, "space_type_name": st.Name, "number": k + 1, "lot": code},
				Geometry:   orb.Polygon{g.frame.RingToLonLat(ring(rect.box(b.a0, b.b0, b.a1, b.b1)))},
			})
		}
	}
	return nil
}

// Names of the sewer separation sites (illustrative, not official).
var (
	compoundStems = []string{
		"林园", "同心", "春城", "普阳", "青年", "铁西", "正阳", "迎宾", "自立", "绿园", "西湖", "景阳", "皓月", "西安",
		"富民", "和平", "兴华", "长青", "锦绣", "康乐", "安居", "幸福", "银河", "光明", "朝晖", "红旗", "新风", "丰和",
		"惠民", "民安", "华光", "东升", "嘉和", "瑞景", "明珠", "怡园", "松涛", "翠柏", "金桥", "育才", "铁路", "轨道",
		"汽配", "电力", "邮电", "春光", "秋实",
	}
	compoundSuffixes = []struct{ zh, en string }{{"小区", "Compound"}, {"花园", "Garden"}, {"家园", "Homes"}, {"新村", "New Village"}, {"嘉园", "Residence"}}
	enterprises      = []struct{ zh, en string }{
		{"绿园区第一实验小学", "Lüyuan No. 1 Experimental Primary School"},
		{"绿园区中心医院", "Lüyuan Central Hospital"},
		{"长春轨道装备配件厂", "Changchun rail equipment parts works"},
		{"绿园区市场监督管理局", "Lüyuan Market Supervision Bureau"},
		{"西新物流园", "Xixin logistics park"},
		{"皓月食品加工厂", "Haoyue food processing plant"},
		{"绿园区职业技术学校", "Lüyuan vocational school"},
		{"城西供热站", "Chengxi heating plant"},
	}
)

// corridor adds Yingbin Road's rain/sewage separation corridor. 迎宾路 was not
// located precisely: its line is a placeholder an engineer can redraw.
func (g *generator) corridor(rng *rand.Rand) error {
	ybl := orb.LineString{g.frame.ToLocal(orb.Point{125.2095, 43.8722}), g.frame.ToLocal(orb.Point{125.2285, 43.8742})}
	g.corridors = append(g.corridors, ybl)
	g.add(Asset{
		Kind:   maint.KindSewerSeparation,
		Code:   "YWFL-YBL",
		Name:   "迎宾路雨污分流改造",
		NameEn: "Yingbin Road rain/sewage separation",
		Attrs: map[string]any{
			"site_type":     "road",
			"road":          "迎宾路",
			"corridor":      true,
			"placeholder":   true,
			"length_m":      math.Round(gis.Length(ybl)),
			"pipe_length_m": math.Round(gis.Length(ybl) * 2),
		},
		Geometry: g.frame.LineToLonLat(ybl),
	})
	return nil
}

// sewerSites places the 51 compounds and enterprise units beside the roads,
// none overlapping another or anything placed before.
func (g *generator) sewerSites(rng *rand.Rand) error {
	roads := g.roads
	total := g.totalRoadLength()
	stems := rng.Perm(len(compoundStems))
	for i := 0; i < SewerSites; i++ {
		enterprise := i%6 == 5 && i/6 < len(enterprises)
		var name, nameEn string
		if enterprise {
			e := enterprises[i/6]
			name, nameEn = e.zh, e.en
		} else {
			s := compoundSuffixes[rng.IntN(len(compoundSuffixes))]
			stem := compoundStems[stems[i%len(stems)]]
			name, nameEn = stem+s.zh, fmt.Sprintf("%s %s", pinyin[stem], s.en)
		}
		var rect frameRect
		placed := false
		for try := 0; try < 2000 && !placed; try++ {
			d := rng.Float64() * total
			var r *road
			for _, rr := range roads {
				if d <= rr.length {
					r = rr
					break
				}
				d -= rr.length
			}
			if r == nil {
				continue
			}
			w, h := 110+150*rng.Float64(), 90+110*rng.Float64()
			if d < w/2 || d > r.length-w/2 {
				continue
			}
			side := 1.0
			if rng.IntN(2) == 0 {
				side = -1
			}
			gap := r.def.width/2 + 15 + 100*rng.Float64()
			rect = besideRoad(r, d, w, h, gap, side)
			placed = g.fits(rect.corners(), rect.grow(15), rect.grow(12))
		}
		if !placed {
			return fmt.Errorf("sewer site %d (%s): no room found", i+1, name)
		}
		g.placed = append(g.placed, rect.grow(15))
		corners := rect.corners()
		area := math.Abs(planar.Area(ring(corners)))
		attrs := map[string]any{
			"site_type":     "compound",
			"area_m2":       math.Round(area),
			"pipe_length_m": math.Round((rect.w + rect.h) * (2.2 + rng.Float64())),
		}
		if enterprise {
			attrs["site_type"] = "enterprise"
		} else {
			attrs["households"] = 120 + 10*rng.IntN(120)
		}
		g.add(Asset{
			Kind:     maint.KindSewerSeparation,
			Code:     fmt.Sprintf("YWFL-%02d", i+1),
			Name:     name,
			NameEn:   nameEn,
			Attrs:    attrs,
			Geometry: orb.Polygon{g.frame.RingToLonLat(ring(corners))},
		})
	}
	return nil
}

var pinyin = map[string]string{
	"林园": "Linyuan", "同心": "Tongxin", "春城": "Chuncheng", "普阳": "Puyang", "青年": "Qingnian", "铁西": "Tiexi",
	"正阳": "Zhengyang", "迎宾": "Yingbin", "自立": "Zili", "绿园": "Lüyuan", "西湖": "Xihu", "景阳": "Jingyang",
	"皓月": "Haoyue", "西安": "Xi'an", "富民": "Fumin", "和平": "Heping", "兴华": "Xinghua", "长青": "Changqing",
	"锦绣": "Jinxiu", "康乐": "Kangle", "安居": "Anju", "幸福": "Xingfu", "银河": "Yinhe", "光明": "Guangming",
	"朝晖": "Zhaohui", "红旗": "Hongqi", "新风": "Xinfeng", "丰和": "Fenghe", "惠民": "Huimin", "民安": "Min'an",
	"华光": "Huaguang", "东升": "Dongsheng", "嘉和": "Jiahe", "瑞景": "Ruijing", "明珠": "Mingzhu", "怡园": "Yiyuan",
	"松涛": "Songtao", "翠柏": "Cuibai", "金桥": "Jinqiao", "育才": "Yucai", "铁路": "Tielu", "轨道": "Guidao",
	"汽配": "Qipei", "电力": "Dianli", "邮电": "Youdian", "春光": "Chunguang", "秋实": "Qiushi",
}
