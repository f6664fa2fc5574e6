// Package notify puts the messages of docs/notifications.md into words and
// sends them: e-mail over SMTP (wneessen/go-mail) with a one-click
// unsubscribe (RFC 8058), and web push (RFC 8030/8291 with VAPID, RFC
// 8292, by SherClockHolmes/webpush-go). The outbox decides who gets what;
// this package only says it, in Chinese or English, and hands it over.
package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"inframap/internal/maint"
)

// Changchun keeps China Standard Time all year.
var cst = time.FixedZone("CST", 8*3600)

// Links are the addresses a message points to, under the service's public
// URL.
type Links struct {
	Case        string // the case's page, when the message is about one case
	Manage      string // the subscription's page: confirm, see, end
	Unsubscribe string // the one-click endpoint (RFC 8058)
	Map         string
}

// LinksFor builds m's links under base (the public URL, no trailing slash).
func LinksFor(base string, m *maint.Message) Links {
	l := Links{
		Manage:      base + "/subscription/" + m.Token,
		Unsubscribe: base + "/unsubscribe/" + m.Token,
		Map:         base + "/",
	}
	if len(m.Items) == 1 {
		l.Case = base + "/?tab=problem&follow=" + m.Items[0].Ref
	} else if m.Ref != "" {
		l.Case = base + "/?tab=problem&follow=" + m.Ref
	}
	return l
}

// Words is a message put into words.
type Words struct {
	Subject string
	Text    string
	HTML    string
	// Push is the short form: a title and a line.
	PushTitle, PushBody string
}

//go:embed templates
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap(funcs)).ParseFS(templateFS, "templates/*.html"))
)

var funcs = texttemplate.FuncMap{
	"when": func(lang string, t time.Time) string {
		t = t.In(cst)
		if lang == "en" {
			return t.Format("2 Jan 2006 15:04")
		}
		return t.Format("2006年1月2日 15:04")
	},
	"step": func(lang, step string) string {
		if n, ok := stepNames[step]; ok {
			if lang == "en" {
				return n[1]
			}
			return n[0]
		}
		if lang == "en" {
			return "this step"
		}
		return "本环节"
	},
	"status": func(lang string, s maint.Status) string {
		if lang == "en" {
			return s.NameEn()
		}
		return s.Name()
	},
}

// item is an item as the templates read it.
type item struct {
	maint.MessageItem
	Name string // the service in the reader's language
}

type data struct {
	Lang     string
	Kind     string
	Ref      string
	AreaName string
	Items    []item
	Links    Links
	Notice   string             // Kind staff: the notice's kind
	Staff    *maint.StaffNotice // Kind staff
	What     string             // Kind staff: what happened, in a sentence
}

// stepNames are the timed steps' names (the console's clockstep.*).
var stepNames = map[string][2]string{
	"file":     {"立案", "filing"},
	"dispatch": {"派遣", "dispatch"},
	"handle":   {"处置", "handling"},
	"verify":   {"核查", "verification"},
}

// StaffLinks are the links of a staff notice by e-mail: the case in the
// console and the console's notice settings.
func StaffLinks(base string, m *maint.Message) Links {
	l := Links{Map: base + "/manage", Manage: base + "/manage?notices=settings"}
	if m.Staff != nil && m.Staff.TaskID != 0 {
		l.Case = base + "/manage?task=" + strconv.FormatInt(m.Staff.TaskID, 10)
	}
	return l
}

// noticeTitles say a staff notice on a device (the console says the same
// from its own message table).
var noticeTitles = map[string][2]string{
	"task.handed_back":        {"案件被回退：%s", "Handed back: %s"},
	"task.rework":             {"核查未通过，退回处置：%s", "Failed verification, back in hand: %s"},
	"task.not_fixed":          {"居民反馈未解决：%s", "Resident says not fixed: %s"},
	"task.dispatched_to_unit": {"派遣给您的单位：%s", "Dispatched to your unit: %s"},
	"task.new_in_area":        {"您负责的街道有新上报：%s", "New report in your sub-district: %s"},
	"task.due_soon":           {"时限快到：%s", "Due soon: %s"},
	"task.overdue":            {"已超时：%s", "Overdue: %s"},
}

// Render puts m into words in its subscriber's language.
func Render(m *maint.Message, l Links) (Words, error) {
	lang := m.Lang
	if lang != "en" {
		lang = "zh"
	}
	if m.Kind == "notice" {
		var w Words
		f, ok := noticeTitles[m.Notice]
		if !ok {
			f = [2]string{"通知：%s", "Notice: %s"}
		}
		i := 0
		if lang == "en" {
			i = 1
		}
		if len(m.Items) > 0 {
			it := m.Items[0]
			name := it.Service
			if lang == "en" && it.ServiceEn != "" {
				name = it.ServiceEn
			}
			w.PushTitle = fmt.Sprintf(f[i], it.Ref)
			w.PushBody = name
			if it.Note != "" {
				w.PushBody += " · " + it.Note
			}
		}
		return w, nil
	}
	d := data{Lang: lang, Kind: m.Kind, Ref: m.Ref, AreaName: m.AreaName, Links: l, Notice: m.Notice, Staff: m.Staff}
	if m.Kind == "staff" {
		if m.Staff == nil {
			return Words{}, fmt.Errorf("notify: a staff notice without its content")
		}
		var b bytes.Buffer
		if err := textTemplates.ExecuteTemplate(&b, "staffwhat."+lang, d); err != nil {
			return Words{}, err
		}
		d.What = b.String()
	}
	if lang == "en" && m.AreaNameEn != "" {
		d.AreaName = m.AreaNameEn
	}
	for _, it := range m.Items {
		name := it.Service
		if lang == "en" && it.ServiceEn != "" {
			name = it.ServiceEn
		}
		d.Items = append(d.Items, item{it, name})
	}
	var w Words
	var b bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&b, m.Kind+"."+lang+".txt", d); err != nil {
		return w, err
	}
	// The text template's first line is the subject.
	subject, text, _ := strings.Cut(b.String(), "\n")
	w.Subject, w.Text = strings.TrimSpace(subject), strings.TrimLeft(text, "\n")
	b.Reset()
	if err := htmlTemplates.ExecuteTemplate(&b, "message.html", d); err != nil {
		return w, err
	}
	w.HTML = b.String()
	w.PushTitle = w.Subject
	if len(d.Items) > 0 && m.Kind != "confirm" {
		last := d.Items[len(d.Items)-1]
		w.PushBody = funcs["status"].(func(string, maint.Status) string)(lang, last.Status)
		if last.Note != "" {
			w.PushBody += " · " + last.Note
		}
	}
	return w, nil
}
