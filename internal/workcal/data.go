package workcal

import "time"

// Notice is one year's 国务院办公厅关于20XX年部分节假日安排的通知: the holidays it
// announces and the Saturdays and Sundays it turns into working days (调休上班).
type Notice struct {
	Year     int    // the year the notice arranges
	Title    string // 国务院办公厅关于2024年部分节假日安排的通知
	Number   string // 国办发明电〔2023〕7号
	Issued   Date   // the date the notice bears
	Holidays []Arrangement
	// Note says what is uncertain about this entry; empty when every field was
	// checked against the published text.
	Note string
}

// Arrangement is one item of a notice: the days off, inclusive, as the notice
// gives them, and the make-up working days it arranges for them.
type Arrangement struct {
	Name   string // 元旦, 春节, … as the notice names the item
	NameEn string
	From   Date
	To     Date
	// Days is the notice's own count (共N天, or the days it names when it
	// gives no count); the tests hold From..To to it.
	Days   int
	MakeUp []Date // 调休上班: Saturdays or Sundays worked for this holiday
}

func d(y int, m time.Month, day int) Date { return Date{y, m, day} }

// notices are the published arrangements, entered from the text of each
// notice (the Xinhua release reproduced by gov.cn and the 国务院公报).
//
// Where a notice says a day is off "与周末连休" (joined to the weekend) without
// naming the weekend days, only the day it names is entered: the Saturday and
// Sunday around it are weekend by the weekly rule anyway.
var notices = []Notice{
	{
		Year:   2023,
		Title:  "国务院办公厅关于2023年部分节假日安排的通知",
		Number: "国办发明电〔2022〕16号",
		Issued: d(2022, 12, 8),
		Holidays: []Arrangement{
			// 2022-12-31 (Sat) to 2023-01-02 (Mon), 共3天; no make-up day.
			{Name: "元旦", NameEn: "New Year's Day", From: d(2022, 12, 31), To: d(2023, 1, 2), Days: 3},
			{Name: "春节", NameEn: "Spring Festival", From: d(2023, 1, 21), To: d(2023, 1, 27), Days: 7,
				MakeUp: []Date{d(2023, 1, 28), d(2023, 1, 29)}},
			{Name: "清明节", NameEn: "Qingming Festival", From: d(2023, 4, 5), To: d(2023, 4, 5), Days: 1},
			{Name: "劳动节", NameEn: "Labour Day", From: d(2023, 4, 29), To: d(2023, 5, 3), Days: 5,
				MakeUp: []Date{d(2023, 4, 23), d(2023, 5, 6)}},
			{Name: "端午节", NameEn: "Dragon Boat Festival", From: d(2023, 6, 22), To: d(2023, 6, 24), Days: 3,
				MakeUp: []Date{d(2023, 6, 25)}},
			{Name: "中秋节、国庆节", NameEn: "Mid-Autumn Festival and National Day", From: d(2023, 9, 29), To: d(2023, 10, 6), Days: 8,
				MakeUp: []Date{d(2023, 10, 7), d(2023, 10, 8)}},
		},
	},
	{
		Year:   2024,
		Title:  "国务院办公厅关于2024年部分节假日安排的通知",
		Number: "国办发明电〔2023〕7号",
		Issued: d(2023, 10, 25),
		Holidays: []Arrangement{
			// "1月1日放假，与周末连休" (Mon).
			{Name: "元旦", NameEn: "New Year's Day", From: d(2024, 1, 1), To: d(2024, 1, 1), Days: 1},
			// 除夕 (Feb 9, Fri) is a working day: the notice only encourages
			// employers to let staff take it as annual leave.
			{Name: "春节", NameEn: "Spring Festival", From: d(2024, 2, 10), To: d(2024, 2, 17), Days: 8,
				MakeUp: []Date{d(2024, 2, 4), d(2024, 2, 18)}},
			{Name: "清明节", NameEn: "Qingming Festival", From: d(2024, 4, 4), To: d(2024, 4, 6), Days: 3,
				MakeUp: []Date{d(2024, 4, 7)}},
			{Name: "劳动节", NameEn: "Labour Day", From: d(2024, 5, 1), To: d(2024, 5, 5), Days: 5,
				MakeUp: []Date{d(2024, 4, 28), d(2024, 5, 11)}},
			// "6月10日放假，与周末连休" (Mon).
			{Name: "端午节", NameEn: "Dragon Boat Festival", From: d(2024, 6, 10), To: d(2024, 6, 10), Days: 1},
			{Name: "中秋节", NameEn: "Mid-Autumn Festival", From: d(2024, 9, 15), To: d(2024, 9, 17), Days: 3,
				MakeUp: []Date{d(2024, 9, 14)}},
			{Name: "国庆节", NameEn: "National Day", From: d(2024, 10, 1), To: d(2024, 10, 7), Days: 7,
				MakeUp: []Date{d(2024, 9, 29), d(2024, 10, 12)}},
		},
	},
	{
		// The first year under the November 2024 revision of 全国年节及纪念日放假办法:
		// 13 days instead of 11, one more for 春节 (除夕 is now off) and one
		// more for 劳动节.
		Year:   2025,
		Title:  "国务院办公厅关于2025年部分节假日安排的通知",
		Number: "国办发明电〔2024〕12号",
		Issued: d(2024, 11, 12),
		Holidays: []Arrangement{
			// "1月1日（周三）放假1天，不调休".
			{Name: "元旦", NameEn: "New Year's Day", From: d(2025, 1, 1), To: d(2025, 1, 1), Days: 1},
			{Name: "春节", NameEn: "Spring Festival", From: d(2025, 1, 28), To: d(2025, 2, 4), Days: 8,
				MakeUp: []Date{d(2025, 1, 26), d(2025, 2, 8)}},
			{Name: "清明节", NameEn: "Qingming Festival", From: d(2025, 4, 4), To: d(2025, 4, 6), Days: 3},
			{Name: "劳动节", NameEn: "Labour Day", From: d(2025, 5, 1), To: d(2025, 5, 5), Days: 5,
				MakeUp: []Date{d(2025, 4, 27)}},
			{Name: "端午节", NameEn: "Dragon Boat Festival", From: d(2025, 5, 31), To: d(2025, 6, 2), Days: 3},
			{Name: "国庆节、中秋节", NameEn: "National Day and Mid-Autumn Festival", From: d(2025, 10, 1), To: d(2025, 10, 8), Days: 8,
				MakeUp: []Date{d(2025, 9, 28), d(2025, 10, 11)}},
		},
	},
	{
		Year:   2026,
		Title:  "国务院办公厅关于2026年部分节假日安排的通知",
		Number: "国办发明电〔2025〕7号",
		Issued: d(2025, 11, 4),
		Note: "The dates are those of the Xinhua release of 2025-11-04 as reprinted by several outlets " +
			"(gmw.cn among them); the document number 国办发明电〔2025〕7号 is as secondary sources quote it " +
			"and was not checked against gov.cn or the 国务院公报. Confirm both against the official text.",
		Holidays: []Arrangement{
			{Name: "元旦", NameEn: "New Year's Day", From: d(2026, 1, 1), To: d(2026, 1, 3), Days: 3,
				MakeUp: []Date{d(2026, 1, 4)}},
			// 腊月二十八 (Sun) to 正月初七 (Mon), 共9天.
			{Name: "春节", NameEn: "Spring Festival", From: d(2026, 2, 15), To: d(2026, 2, 23), Days: 9,
				MakeUp: []Date{d(2026, 2, 14), d(2026, 2, 28)}},
			{Name: "清明节", NameEn: "Qingming Festival", From: d(2026, 4, 4), To: d(2026, 4, 6), Days: 3},
			{Name: "劳动节", NameEn: "Labour Day", From: d(2026, 5, 1), To: d(2026, 5, 5), Days: 5,
				MakeUp: []Date{d(2026, 5, 9)}},
			{Name: "端午节", NameEn: "Dragon Boat Festival", From: d(2026, 6, 19), To: d(2026, 6, 21), Days: 3},
			{Name: "中秋节", NameEn: "Mid-Autumn Festival", From: d(2026, 9, 25), To: d(2026, 9, 27), Days: 3},
			// 9月20日 (Sun) is listed under 国庆节, not 中秋节.
			{Name: "国庆节", NameEn: "National Day", From: d(2026, 10, 1), To: d(2026, 10, 7), Days: 7,
				MakeUp: []Date{d(2026, 9, 20), d(2026, 10, 10)}},
		},
	},
}

// Notices returns the published notices the package carries, oldest first.
func Notices() []Notice {
	out := make([]Notice, len(notices))
	for i, n := range notices {
		n.Holidays = append([]Arrangement(nil), n.Holidays...)
		for j := range n.Holidays {
			n.Holidays[j].MakeUp = append([]Date(nil), n.Holidays[j].MakeUp...)
		}
		out[i] = n
	}
	return out
}

// Published returns the days the notices set apart from the weekly rule, one
// Day per date, ordered by notice and item: every day off of a holiday
// (weekend days inside the stated range included, so they carry the
// holiday's name) and every make-up working day. It is what Default loads and
// what a store seeds its editable table from.
func Published() []Day {
	var out []Day
	for _, n := range notices {
		out = append(out, n.Days()...)
	}
	return out
}

// Days expands the notice into Day overrides.
func (n Notice) Days() []Day {
	var out []Day
	for _, h := range n.Holidays {
		for x := h.From; x.Compare(h.To) <= 0; x = x.AddDays(1) {
			out = append(out, Day{Date: x, Kind: Holiday, Holiday: h.Name, HolidayEn: h.NameEn, Reason: h.Name, ReasonEn: h.NameEn})
		}
		for _, m := range h.MakeUp {
			out = append(out, Day{Date: m, Kind: Working, Holiday: h.Name, HolidayEn: h.NameEn,
				Reason: h.Name + "调休上班", ReasonEn: "make-up working day for " + h.NameEn})
		}
	}
	return out
}
