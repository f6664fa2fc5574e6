package maint

import (
	"time"

	"inframap/gis"
)

// Service is a kind of problem residents can report (an Open311 service).
type Service struct {
	Code        string
	Name        string
	NameEn      string
	Description string
	Group       string
	// Kind is the kind of asset the problem is found on; a report is linked
	// to the nearest such asset close by.
	Kind       Kind
	Attributes []ServiceAttribute
}

// ServiceAttribute is an extra question of a service's form.
type ServiceAttribute struct {
	Code        string
	Datatype    string // string, number, text, singlevaluelist, …
	Required    bool
	Description string
	Values      []Named
}

var severity = ServiceAttribute{Code: "hazard", Datatype: "singlevaluelist", Required: false,
	Description: "是否影响安全通行 Does it endanger people or traffic?",
	Values:      []Named{{"yes", "有危险，需尽快处理", "Dangerous, needs urgent attention"}, {"no", "暂无危险", "Not dangerous"}}}

// Services are the problems residents can report.
var Services = []Service{
	{"manhole_missing", "井盖缺失", "Missing manhole cover", "井盖丢失，井口敞开 A manhole is open, its cover missing.", "窨井 Manholes", KindManhole, nil},
	{"manhole_broken", "井盖破损", "Broken manhole cover", "井盖或井框破裂 A manhole cover or frame is broken.", "窨井 Manholes", KindManhole, []ServiceAttribute{severity}},
	{"manhole_sunken", "井盖沉陷或凸起", "Sunken or raised manhole cover", "井盖与路面有高差、松动或有响声 A cover sits below or above the road, rocks or rattles.", "窨井 Manholes", KindManhole, []ServiceAttribute{severity}},
	{"pothole", "路面坑槽", "Pothole", "道路上的坑洞 A hole in the road surface.", "道路 Roads", KindRoadRepair, []ServiceAttribute{severity,
		{Code: "size", Datatype: "singlevaluelist", Description: "大小 Size", Values: []Named{{"small", "小于30厘米", "Under 30 cm"}, {"medium", "30厘米至1米", "30 cm to 1 m"}, {"large", "大于1米", "Over 1 m"}}}}},
	{"road_surface", "路面破损", "Damaged road surface", "裂缝、沉陷、拥包等 Cracks, subsidence, shoving.", "道路 Roads", KindRoadRepair, []ServiceAttribute{severity}},
	{"drain_blocked", "雨水口堵塞", "Blocked drain", "雨水箅子或雨水口堵塞 A gully grate or storm drain is blocked.", "排水 Drainage", KindManhole, nil},
	{"flooding", "道路积水", "Flooding", "路面积水、排水不畅 Standing water on the road.", "排水 Drainage", KindSewerSeparation, []ServiceAttribute{severity}},
	{"sewage_overflow", "污水外溢", "Sewage overflow", "污水从检查井或管道溢出 Sewage spilling from a manhole or pipe.", "排水 Drainage", KindManhole, nil},
	{"parking_damage", "停车场设施损坏", "Parking facility damage", "停车场标线、照明、道闸或充电桩损坏 Markings, lighting, barrier or charger damaged.", "停车 Parking", KindParkingLot, nil},
}

// LookupService returns the service with the given code.
func LookupService(code string) (Service, bool) {
	for _, s := range Services {
		if s.Code == code {
			return s, true
		}
	}
	return Service{}, false
}

// Open311Status maps a task's state to Open311's two: open or closed.
func (s Status) Open311Status() string {
	if s.Open() {
		return "open"
	}
	return "closed"
}

// NewRequest is a resident's report filed as a service request.
type NewRequest struct {
	ServiceCode string
	Lon, Lat    float64
	Address     string
	Description string
	Reporter    string // name, private
	Contact     string // e-mail and phone, private
	// Email, when given, makes the reporter a follower of the case
	// (confirmed: they gave it with the report), told in Lang (zh, en);
	// IP is recorded with that consent.
	Email, Lang, IP string
	Attributes      map[string]string
	Source          Source
}

// ServiceRequest is a task seen as an Open311 service request.
type ServiceRequest struct {
	ID          int64
	Ref         string // service_request_id
	Token       string
	ServiceCode string
	Status      Status
	StatusNotes string
	Description string
	Agency      string
	RequestedAt time.Time
	UpdatedAt   time.Time
	ExpectedAt  *time.Time
	Address     string
	Lon, Lat    float64
	AssetID     *int64
	DuplicateOf string // ref of the open request this one repeats
	// PhotoID is the request's first photo the public may see (filed and
	// not hidden); nil when none.
	PhotoID *int64
	// Supports is how many people said 我也遇到.
	Supports int
	// Answered says the reporter has answered "is it fixed?" for the
	// latest closing.
	Answered bool
	// Moderated is the reason staff gave when they last changed what the
	// reporter wrote ("" when they have not), and when.
	Moderated   string
	ModeratedAt *time.Time
	// HiddenPhotos are the reasons the request's photos are kept from the
	// public, one per hidden photo.
	HiddenPhotos []string
}

// RequestFilter selects service requests.
type RequestFilter struct {
	Refs        []string
	ServiceCode []string
	From, To    *time.Time
	// UpdatedAfter and UpdatedBefore select by the last change (a partner
	// system polling for what changed since it last asked).
	UpdatedAfter, UpdatedBefore *time.Time
	Status                      string // open or closed
	// Filed keeps the requests an engineer has filed (立案): what the
	// public map shows; a fresh report waits for that.
	Filed bool
	// BBox keeps the requests whose place lies in it.
	BBox  *gis.BBox
	Limit int
}

// FeedFilter selects the public changes of cases for a feed.
type FeedFilter struct {
	Subdistrict string   // a sub-district's name; "" for all
	Services    []string // service codes or work types; nil for all
	BBox        *gis.BBox
	Ref         string // one case
	Limit       int
}

// FeedEvent is a public change of a case: a state change, or a public note.
// Internal notes and who made the change are not in it.
type FeedEvent struct {
	ID          int64
	At          time.Time
	From, To    *Status
	Note        string
	TaskID      int64
	Ref         string
	Title       string
	Description string
	Service     string // the service code, else the work type
	Status      Status // the case's state now
	AssetID     *int64
	Lon, Lat    float64
	Subdistrict string
}

// Satisfaction is a reporter's answer to "how satisfied are you?" after 结案.
type Satisfaction string

const (
	Satisfied          Satisfaction = "satisfied"           // 满意
	BasicallySatisfied Satisfaction = "basically_satisfied" // 基本满意
	Dissatisfied       Satisfaction = "dissatisfied"        // 不满意
)

// Valid says whether s is one of the answers.
func (s Satisfaction) Valid() bool {
	return s == Satisfied || s == BasicallySatisfied || s == Dissatisfied
}

// Feedback is what the reporter of a closed case says of it: fixed or not,
// how satisfied, a note.
type Feedback struct {
	Fixed        bool
	Satisfaction Satisfaction // "" when not answered
	Note         string
}
