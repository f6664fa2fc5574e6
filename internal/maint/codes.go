package maint

// Code tables of the domain (DOMAIN.md §4–§6), each entry with its Chinese and
// English name. They are data for validation and for the pages' labels.

// Named is a coded value with its names.
type Named struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// CoverCategories are the manhole cover categories of the digital
// city-management component codes (公用设施 class 01).
var CoverCategories = []Named{
	{"0101", "上水", "Water supply"},
	{"0102", "污水", "Sewage"},
	{"0103", "雨水", "Storm water"},
	{"0104", "雨水箅子", "Gully grate"},
	{"0105", "电力", "Power"},
	{"0106", "路灯", "Street light"},
	{"0107", "通讯", "Telecom"},
	{"0108", "电视", "Cable TV"},
	{"0109", "网络", "Network"},
	{"0110", "热力", "District heating"},
	{"0111", "燃气", "Gas"},
	{"0112", "公安", "Police"},
	{"0114", "无主", "Ownerless"},
	{"0127", "中水", "Reclaimed water"},
	{"0129", "输油(气)", "Oil/gas pipeline"},
	{"0130", "特殊", "Special"},
}

// ManholeDefects are the defects found on manholes, external ones first.
var ManholeDefects = []Named{
	{"missing_cover", "井盖缺失", "Missing cover"},
	{"broken_cover", "井盖破损", "Broken cover"},
	{"broken_frame", "井框破损", "Broken frame"},
	{"cover_frame_gap", "盖框间隙", "Cover–frame gap"},
	{"height_difference", "盖框高差", "Cover–frame height difference"},
	{"raised_sunk", "突出/凹陷", "Raised or sunk"},
	{"rocking_noise", "跳动和声响", "Rocking or noise"},
	{"surrounding_pavement", "井周路面破损/沉降", "Surrounding pavement broken or settled"},
	{"buried", "井盖埋没", "Buried cover"},
	{"wrong_marking", "标示错误", "Wrong marking"},
	{"missing_anti_fall_net", "防坠网缺失", "Anti-fall net missing"},
	{"ladder", "爬梯", "Ladder"},
	{"wall_crack_leak", "井壁裂缝/渗漏", "Wall cracks or leaks"},
	{"broken_channel", "流槽破损", "Broken channel"},
	{"silt", "井底积泥", "Silt"},
	{"poor_flow", "水流不畅", "Poor flow"},
}

// DefectGrades are severity grades in the style of CJJ 181-2012.
var DefectGrades = []Named{
	{"1", "轻微", "Minor"},
	{"2", "中等", "Moderate"},
	{"3", "严重", "Serious"},
	{"4", "重大", "Critical"},
}

// LoadClasses are manhole cover load classes (GB/T 23858-2009).
var LoadClasses = []Named{
	{"A15", "绿地、人行道", "Green belts, pedestrian areas"},
	{"B125", "人行道、停车场", "Footways, car parks"},
	{"C250", "小区及路缘0.5米内", "Compounds, within 0.5 m of the kerb"},
	{"D400", "城市道路行车道", "Urban carriageways"},
	{"E600", "货运场站", "Freight yards"},
	{"F900", "机场", "Airfields"},
}

// RoadDistresses are asphalt pavement distresses (CJJ 36-2016).
var RoadDistresses = []Named{
	{"longitudinal_crack", "线裂", "Line cracking"},
	{"block_crack", "网裂", "Block cracking"},
	{"alligator_crack", "龟裂", "Alligator cracking"},
	{"shoving", "拥包", "Shoving"},
	{"rutting", "车辙", "Rutting"},
	{"subsidence", "沉陷", "Subsidence"},
	{"frost_boiling", "翻浆", "Frost boiling"},
	{"ravelling", "剥落", "Ravelling"},
	{"pothole", "坑槽", "Pothole"},
	{"edge_break", "啃边", "Edge break"},
	{"frame_step", "路框差", "Manhole frame step"},
	{"pumping", "唧浆", "Pumping"},
	{"bleeding", "泛油", "Bleeding"},
}

// SpaceTypes are the types of parking space.
var SpaceTypes = []Named{
	{"standard", "普通", "Standard car"},
	{"large", "大型", "Large vehicle"},
	{"accessible", "无障碍", "Accessible"},
	{"ev_charging", "新能源充电", "EV charging"},
}

// Lookup returns the entry with the given code, if any.
func Lookup(table []Named, code string) (Named, bool) {
	for _, n := range table {
		if n.Code == code {
			return n, true
		}
	}
	return Named{}, false
}
