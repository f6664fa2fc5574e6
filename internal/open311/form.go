package open311

import (
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"inframap/internal/maint"
)

var phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{5,20}$`)

// ParseRequest checks a posted request's form against the spec and the
// service's definition. The map's own report form is checked by it too,
// so that both ways of reporting hold to the same rules.
func ParseRequest(f url.Values) (maint.NewRequest, maint.Service, error) {
	var in maint.NewRequest
	code := strings.TrimSpace(f.Get("service_code"))
	if code == "" {
		return in, maint.Service{}, maint.InvalidAs("service_code", "service_required", nil, "service_code is required; GET services lists them")
	}
	svc, ok := maint.LookupService(code)
	if !ok {
		return in, svc, maint.InvalidAs("service_code", "service_unknown", maint.Params{"code": code}, "service_code %q is not offered; GET services lists them", code)
	}
	in.ServiceCode = code
	for _, step := range []func(url.Values, *maint.NewRequest) error{readPlace, readText, readContact} {
		if err := step(f, &in); err != nil {
			return in, svc, err
		}
	}
	if err := readAttributes(f, svc, &in); err != nil {
		return in, svc, err
	}
	in.Source = maint.SourceResident
	return in, svc, nil
}

// readPlace reads lat and long: this service does not geocode addresses.
func readPlace(f url.Values, in *maint.NewRequest) error {
	lat, long := strings.TrimSpace(f.Get("lat")), strings.TrimSpace(f.Get("long"))
	if lat == "" || long == "" {
		return maint.InvalidAs("lat", "location_required", nil, "lat and long are required: this service does not geocode address_string or address_id")
	}
	var err1, err2 error
	in.Lat, err1 = strconv.ParseFloat(lat, 64)
	in.Lon, err2 = strconv.ParseFloat(long, 64)
	if err1 != nil || err2 != nil || math.IsNaN(in.Lat) || math.IsNaN(in.Lon) || math.Abs(in.Lat) > 90 || math.Abs(in.Lon) > 180 {
		return maint.InvalidAs("lat", "location_range", nil, "lat and long must be WGS84 degrees (lat ±90, long ±180), got %q, %q", lat, long)
	}
	return nil
}

// readText reads the description and the address as the resident gives it.
func readText(f url.Values, in *maint.NewRequest) error {
	in.Description = strings.TrimSpace(f.Get("description"))
	if len([]rune(in.Description)) > 4000 {
		return maint.InvalidAs("description", "description_too_long", maint.Params{"max": 4000}, "description is limited to 4000 characters")
	}
	in.Address = strings.TrimSpace(f.Get("address_string"))
	if len([]rune(in.Address)) > 500 {
		return maint.Invalid("address_string", "address_string is limited to 500 characters")
	}
	return nil
}

// readContact reads the reporter's e-mail, phone and name.
func readContact(f url.Values, in *maint.NewRequest) error {
	var contact []string
	if e := strings.TrimSpace(f.Get("email")); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
			return maint.InvalidAs("email", "email_invalid", nil, "email is not an e-mail address")
		}
		contact = append(contact, e)
		in.Email = e
	}
	if p := strings.TrimSpace(f.Get("phone")); p != "" {
		if !phonePattern.MatchString(p) {
			return maint.InvalidAs("phone", "phone_invalid", nil, "phone is not a phone number")
		}
		contact = append(contact, p)
	}
	in.Contact = strings.Join(contact, " ")
	in.Reporter = strings.TrimSpace(f.Get("last_name") + f.Get("first_name"))
	if len([]rune(in.Reporter)) > 100 {
		return maint.Invalid("first_name", "names are limited to 100 characters")
	}
	return nil
}

// readAttributes reads attribute[code] fields against the service's
// definition: known codes, listed values, the required ones present.
func readAttributes(f url.Values, svc maint.Service, in *maint.NewRequest) error {
	in.Attributes = map[string]string{}
	for k, vals := range f {
		name, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "]")
		var def *maint.ServiceAttribute
		for i := range svc.Attributes {
			if svc.Attributes[i].Code == name {
				def = &svc.Attributes[i]
			}
		}
		if def == nil {
			return maint.Invalid(k, "service %s has no attribute %q", svc.Code, name)
		}
		v := strings.TrimSpace(vals[0])
		if def.Datatype == "singlevaluelist" {
			if _, ok := maint.Lookup(def.Values, v); !ok {
				return maint.Invalid(k, "%q is not one of the values of %s", v, name)
			}
		}
		if len([]rune(v)) > 500 {
			return maint.Invalid(k, "attribute values are limited to 500 characters")
		}
		in.Attributes[name] = v
	}
	for _, a := range svc.Attributes {
		if _, ok := in.Attributes[a.Code]; a.Required && !ok {
			return maint.Invalid("attribute["+a.Code+"]", "attribute[%s] is required", a.Code)
		}
	}
	return nil
}
