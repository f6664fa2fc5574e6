package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"inframap/internal/condition"
	"inframap/internal/maint"
)

// roadClass is the road class of a seeded road (docs/condition.md): a 大路,
// 环路 or 公路 at least 20 m wide is an arterial, any other road local. The
// district has no expressway.
func roadClass(name string, width float64) condition.RoadClass {
	if (strings.HasSuffix(name, "大路") || strings.HasSuffix(name, "环路") || strings.HasSuffix(name, "公路")) && width >= 20 {
		return condition.Arterial
	}
	return condition.Local
}

// roadCondition records the distresses of every road section of the
// programme and computes its PCI from them, never typing one in. Before the
// repair, the section carries the distresses its report listed (1–3 of them,
// moderate or heavy, together 15–35 % of the repaired area, as a minor
// repair cuts a patch around each) and one light crack the repair left
// alone; the repair (the day its case was reported done) fixes the listed
// ones. pci_before is the PCI of the whole set, pci_after of what remains;
// both are graded and recorded in the history at the report and at the
// repair. Its own random stream keeps the rest of the district unchanged.
func (g *generator) roadCondition(rng *rand.Rand) error {
	type span struct{ reported, done maint.EventRecord }
	spans := map[string]span{}
	for _, t := range g.ds.Tasks {
		if t.Programme != maint.ProgrammePublished || len(t.Events) == 0 {
			continue
		}
		s := span{reported: t.Events[0]}
		for _, e := range t.Events {
			if e.To == maint.StatusDone {
				s.done = e
			}
		}
		spans[t.AssetCode] = s
	}
	for _, a := range g.ds.Assets {
		if a.Kind != maint.KindRoadRepair {
			continue
		}
		s, ok := spans[a.Code]
		if !ok || s.done.At.IsZero() {
			return fmt.Errorf("road section %s has no finished case of the programme", a.Code)
		}
		repaired := s.done.At
		area := float64(a.Attrs["area_m2"].(int))
		section := a.Attrs["length_m"].(float64) * a.Attrs["width_m"].(float64)
		listed := a.Attrs["distresses"].([]string)
		share := 0.15 + 0.2*rng.Float64()
		parts := make([]float64, len(listed))
		sum := 0.0
		for i := range parts {
			parts[i] = 0.5 + rng.Float64()
			sum += parts[i]
		}
		var before, after []condition.Distress
		for i, kind := range listed {
			sev := condition.Moderate
			if rng.IntN(3) == 0 {
				sev = condition.Heavy
			}
			extent := math.Round(area*share*parts[i]/sum*10) / 10
			d := condition.Distress{Kind: kind, Severity: sev, ExtentM2: max(extent, 0.1)}
			before = append(before, d)
			g.ds.Distresses = append(g.ds.Distresses, maint.DistressRecord{AssetCode: a.Code, Kind: d.Kind,
				Severity: string(d.Severity), ExtentM2: d.ExtentM2, ObservedAt: s.reported.At, RepairedAt: &repaired,
				Note: "道路巡查上报"})
		}
		left := condition.Distress{Kind: []string{"longitudinal_crack", "block_crack"}[rng.IntN(2)], Severity: condition.Light,
			ExtentM2: math.Round(section*(0.002+0.013*rng.Float64())*10) / 10}
		before = append(before, left)
		after = append(after, left)
		g.ds.Distresses = append(g.ds.Distresses, maint.DistressRecord{AssetCode: a.Code, Kind: left.Kind,
			Severity: string(left.Severity), ExtentM2: left.ExtentM2, ObservedAt: s.reported.At, Note: "轻微裂缝，未列入本次修复"})
		pciBefore, err := condition.PCI(section, before)
		if err != nil {
			return fmt.Errorf("road section %s: %w", a.Code, err)
		}
		pciAfter, err := condition.PCI(section, after)
		if err != nil {
			return fmt.Errorf("road section %s: %w", a.Code, err)
		}
		class := condition.RoadClass(a.Attrs["road_class"].(string))
		a.Attrs["pci_before"], a.Attrs["pci_after"] = pciBefore, pciAfter
		g.ds.Conditions = append(g.ds.Conditions,
			maint.ConditionRecord{AssetCode: a.Code, At: s.reported.At, PCI: &pciBefore, Grade: condition.Grade(class, pciBefore), Source: maint.ConditionSeed},
			maint.ConditionRecord{AssetCode: a.Code, At: repaired, PCI: &pciAfter, Grade: condition.Grade(class, pciAfter), Source: maint.ConditionSeed})
	}
	return nil
}
