package inspection

// PlanPatch is a change of a plan (PATCH /api/v1/inspection-plans/{id}):
// paused or resumed, renamed. What is not given stays as it is.
type PlanPatch struct {
	Active *bool   `json:"active"`
	Name   *string `json:"name"`
	NameEn *string `json:"name_en"`
}
