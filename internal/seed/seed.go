// Package seed generates the district dataset: the published 2023–2024
// programme of Lüyuan District (DOMAIN.md §1–§6) laid out along the
// district's roads, with a dated case history for every programme asset and a
// handful of open routine tasks. The output is deterministic: the same
// dataset on every run.
package seed

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"inframap/gis"
	"inframap/internal/maint"
)

//go:embed data/lvyuan-boundary.geojson
var boundaryJSON []byte

// BoundaryGeoJSON returns the district boundary as published with the
// dataset (a GeoJSON FeatureCollection; approximate, ±150 m).
func BoundaryGeoJSON() []byte { return boundaryJSON }

// Boundary returns the district boundary polygon (WGS84).
func Boundary() (orb.Polygon, error) {
	fc, err := geojson.UnmarshalFeatureCollection(boundaryJSON)
	if err != nil {
		return nil, fmt.Errorf("district boundary: %w", err)
	}
	for _, f := range fc.Features {
		if p, ok := f.Geometry.(orb.Polygon); ok {
			return p, nil
		}
	}
	return nil, fmt.Errorf("district boundary: no polygon")
}

// The published figures the dataset reproduces exactly.
const (
	RoadCount         = 140
	RoadAreaM2        = 511200
	SewerSites        = 51
	ParkingLots       = 9
	ParkingSpaces     = 944
	Manholes          = 1300
	ProjectInvestYuan = 92487800
	ProjectAreaM2     = 58000
)

// The programme window: every imported history runs inside it.
var (
	WindowStart = time.Date(2023, 1, 1, 0, 0, 0, 0, maint.Zone)
	WindowEnd   = time.Date(2024, 8, 31, 23, 59, 59, 0, maint.Zone)
)

// The dataset's records are the domain's bulk-load records.
type (
	Asset = maint.AssetRecord
	Task  = maint.TaskRecord
	Event = maint.EventRecord
	Zone  = maint.ZoneCentre
)

// Dataset is the whole district.
type Dataset = maint.Bulk

// Zones of the district: 9 sub-districts and 3 towns, centres approximate.
var zones = []Zone{
	{Name: "正阳街道", NameEn: "Zhengyang Subdistrict", Centre: orb.Point{125.272, 43.897}},
	{Name: "春城街道", NameEn: "Chuncheng Subdistrict", Centre: orb.Point{125.262, 43.884}},
	{Name: "普阳街道", NameEn: "Puyang Subdistrict", Centre: orb.Point{125.258, 43.868}},
	{Name: "林园街道", NameEn: "Linyuan Subdistrict", Centre: orb.Point{125.286, 43.906}},
	{Name: "同心街道", NameEn: "Tongxin Subdistrict", Centre: orb.Point{125.286, 43.884}},
	{Name: "青年路街道", NameEn: "Qingnianlu Subdistrict", Centre: orb.Point{125.285, 43.866}},
	{Name: "铁西街道", NameEn: "Tiexi Subdistrict", Centre: orb.Point{125.248, 43.906}},
	{Name: "迎宾街道", NameEn: "Yingbin Subdistrict", Centre: orb.Point{125.226, 43.878}},
	{Name: "自立街道", NameEn: "Zili Subdistrict", Centre: orb.Point{125.258, 43.925}},
	{Name: "城西镇", NameEn: "Chengxi Town", Centre: orb.Point{125.195, 43.900}},
	{Name: "合心镇", NameEn: "Hexin Town", Centre: orb.Point{125.120, 43.950}},
	{Name: "西新镇", NameEn: "Xixin Town", Centre: orb.Point{125.150, 43.830}},
}

// Crews are the maintenance crews and units tasks are dispatched to.
var crews = []string{
	"绿园区市政养护一队", "绿园区市政养护二队", "绿园区排水管理所", "绿园区停车管理中心",
	"长春市政工程有限公司（施工）", "井盖专项整治组",
}

// generator carries the state shared by the steps of District.
type generator struct {
	frame     gis.Frame
	boundary  orb.Ring // local metres
	roads     []*road
	placed    [][]orb.Point    // local convex polygons already placed (lots, sites, project)
	corridors []orb.LineString // lines to keep clear that are not road pieces
	ds        *Dataset
}

// RoutineAnchor is when District places the open routine work: its current
// steps started shortly before. The demo server loads DistrictAt the time it
// loads, so that the work's time limits read as they would in a running
// district.
var RoutineAnchor = time.Date(2024, 12, 2, 16, 0, 0, 0, maint.Zone)

// District generates the district dataset, its routine work placed before
// RoutineAnchor.
func District() (*Dataset, error) { return DistrictAt(RoutineAnchor) }

// DistrictAt generates the district dataset with its open routine work
// placed before now. The same now gives the same dataset.
func DistrictAt(now time.Time) (*Dataset, error) {
	b, err := Boundary()
	if err != nil {
		return nil, err
	}
	g := &generator{
		frame: gis.NewFrame(orb.Point{125.20, 43.89}),
		ds: &Dataset{
			District:       b,
			DistrictName:   "绿园区",
			DistrictNameEn: "Lüyuan District",
			Zones:          zones,
			Crews:          crews,
			AssetsCreated:  time.Date(2023, 1, 1, 9, 0, 0, 0, maint.Zone),
		},
	}
	g.boundary = g.frame.RingToLocal(b[0])
	if err := g.buildRoads(); err != nil {
		return nil, err
	}
	steps := []func(*rand.Rand) error{g.roadRepairs, g.project, g.corridor, g.parking, g.sewerSites, g.manholes}
	for i, step := range steps {
		if err := step(rand.New(rand.NewPCG(2023, uint64(i+1)))); err != nil {
			return nil, err
		}
	}
	g.programmeTasks(rand.New(rand.NewPCG(2024, 1)))
	if err := g.roadCondition(rand.New(rand.NewPCG(2024, 36))); err != nil {
		return nil, err
	}
	g.routineTasks(rand.New(rand.NewPCG(2024, 2)), now.Truncate(time.Minute))
	g.closedRoutineTasks(rand.New(rand.NewPCG(2024, 3)), now.Truncate(time.Minute))
	return g.ds, nil
}

func (g *generator) add(a Asset) {
	a.Geometry = orb.Round(a.Geometry, 1e7)
	g.ds.Assets = append(g.ds.Assets, a)
}
