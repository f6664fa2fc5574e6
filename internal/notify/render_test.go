package notify

import (
	"strings"
	"testing"
	"time"

	"inframap/internal/maint"
)

// TestRenderStaff: a staff notice by e-mail says what happened in words, in
// the reader's language (Chinese when none), with the case's number, the
// console's link to it and the way to the notice settings; no codes.
func TestRenderStaff(t *testing.T) {
	due := time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC)
	for _, kind := range maint.NoticeKinds {
		for _, lang := range []string{"", "zh", "en"} {
			m := &maint.Message{Kind: "staff", Notice: kind, Lang: lang, Address: "a@b.example", Staff: &maint.StaffNotice{
				TaskID: 7, Ref: "LY-2026-000007", Title: "井盖破损", Note: "已到现场", Assignee: "绿园区市政养护一队",
				Step: "handle", Deadline: &due, URL: "https://hook.example/in", Failures: 50}}
			if kind == "webhook.paused" {
				m.Staff.TaskID = 0
			}
			w, err := Render(m, StaffLinks("https://map.example", m))
			if err != nil {
				t.Fatalf("%s %s: %v", kind, lang, err)
			}
			all := w.Subject + "\n" + w.Text + "\n" + w.HTML
			for _, code := range []string{"task.", "webhook.paused", "<nil>", "<no value>", "2026-12-05", "%!"} {
				if strings.Contains(all, code) {
					t.Errorf("%s %s: says %q:\n%s", kind, lang, code, all)
				}
			}
			if !strings.Contains(w.Text, "https://map.example/manage?notices=settings") || !strings.Contains(w.HTML, "https://map.example/manage?notices=settings") {
				t.Errorf("%s %s: no link to the settings:\n%s", kind, lang, w.Text)
			}
			if kind == "webhook.paused" {
				if !strings.Contains(w.Text, "https://hook.example/in") || !strings.Contains(w.Text, "50") {
					t.Errorf("%s %s: %s", kind, lang, w.Text)
				}
				continue
			}
			if !strings.Contains(w.Subject, "LY-2026-000007") || !strings.Contains(w.Text, "https://map.example/manage?task=7") ||
				!strings.Contains(w.HTML, "https://map.example/manage?task=7") || !strings.Contains(w.Text, "已到现场") {
				t.Errorf("%s %s: %q\n%s", kind, lang, w.Subject, w.Text)
			}
			zh := strings.Contains(w.Text, "您好")
			if zh != (lang != "en") {
				t.Errorf("%s %q: in the wrong language:\n%s", kind, lang, w.Text)
			}
		}
	}
	m := &maint.Message{Kind: "staff", Notice: "task.overdue", Staff: &maint.StaffNotice{TaskID: 7, Ref: "LY-1", Title: "x", Step: "handle", Deadline: &due}}
	w, _ := Render(m, StaffLinks("https://map.example", m))
	if !strings.Contains(w.Text, "处置已超时") || !strings.Contains(w.Text, "2026年12月5日 10:30") {
		t.Errorf("overdue: %s", w.Text)
	}
}
