package open311

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"inframap/internal/maint"
)

func FuzzOpen311Form(f *testing.F) {
	for _, q := range []string{
		"service_code=pothole&lat=43.88&long=125.25&description=%E5%9D%91&attribute%5Bsize%5D=large",
		"service_code=pothole&lat=NaN&long=125.25", "lat=43.88&long=125.25", "service_code=manhole_missing&lat=91&long=0",
		"service_code=pothole&lat=43.88&long=125.25&email=a%40b&phone=%2B86+139", "service_code=flooding&lat=43&long=125&attribute%5Bzzz%5D=1",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		r := httptest.NewRequest("POST", "/open311/v2/requests.json", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			return
		}
		in, svc, err := ParseRequest(r.PostForm)
		if err != nil {
			if maint.ErrorCode(err) != maint.CodeInvalid {
				t.Fatalf("parse(%q): code %s", q, maint.ErrorCode(err))
			}
			return
		}
		if svc.Code == "" || in.Lat < -90 || in.Lat > 90 || in.Lon < -180 || in.Lon > 180 || in.Lat != in.Lat || len([]rune(in.Description)) > 4000 {
			t.Fatalf("parse(%q) accepted %+v", q, in)
		}
		for k := range in.Attributes {
			found := false
			for _, a := range svc.Attributes {
				found = found || a.Code == k
			}
			if !found {
				t.Fatalf("parse(%q) accepted attribute %q", q, k)
			}
		}
	})
}
