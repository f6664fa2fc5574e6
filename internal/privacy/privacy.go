// Package privacy masks personal data in text shown to people who may not
// see it: anonymous visitors read case titles, descriptions and notes that
// staff and residents typed, and these often carry a phone number ("请联系
// 13800000000"). China's Personal Information Protection Law does not allow
// showing it; the stored text stays whole for staff.
package privacy

import (
	"encoding/json"
	"regexp"
	"strings"

	"inframap/internal/maint"
)

// What is masked, most specific first: an 18-digit resident ID number
// holds runs of digits the phone patterns would otherwise take.
var (
	// Resident ID numbers (GB 11643): six digits of region, the birth date
	// (masked), three of sequence and a check digit (0–9 or X).
	idNumber = regexp.MustCompile(`(^|[^0-9])([1-9][0-9]{5})((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))([0-9]{3}[0-9Xx])($|[^0-9])`)
	// Mainland mobile numbers, with or without +86, spaces or dashes
	// between the groups.
	mobile = regexp.MustCompile(`(^|[^0-9])((?:\+?86[ -]?)?1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})($|[^0-9])`)
	// Landlines: an area code of 3–4 digits starting with 0, then 7–8
	// digits (0431-85551234, 043185551234).
	landline = regexp.MustCompile(`(^|[^0-9])(0[1-9][0-9]{1,2})([ -]?)([0-9]{3,4})([0-9]{4})($|[^0-9])`)
	email    = regexp.MustCompile(`([A-Za-z0-9._%+-])([A-Za-z0-9._%+-]*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})`)
	// Licence plates: a province's abbreviation, a letter, then five or six
	// letters and digits (new-energy plates have six), the dot optional.
	plate = regexp.MustCompile(`([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z])([·• ]?)([A-HJ-NP-Z0-9]{3,4})([A-HJ-NP-Z0-9]{2})([^A-HJ-NP-Z0-9]|$)`)
)

// Mask returns s with phone numbers, resident ID numbers, e-mail addresses
// and licence plates masked, enough of each kept to tell them apart
// (138****0000, 220106********123X, z***@example.org, 吉A·***45).
func Mask(s string) string {
	if !mayHold(s) {
		return s
	}
	s = replaceAll(idNumber, s, func(m []string) string { return m[1] + m[2] + strings.Repeat("*", len(m[3])) + m[4] + m[5] })
	s = replaceAll(mobile, s, func(m []string) string { return m[1] + m[2] + "****" + m[4] + m[5] })
	s = replaceAll(landline, s, func(m []string) string { return m[1] + m[2] + m[3] + strings.Repeat("*", len(m[4])) + m[5] + m[6] })
	s = email.ReplaceAllString(s, "$1***@$3")
	s = replaceAll(plate, s, func(m []string) string { return m[1] + m[2] + strings.Repeat("*", len(m[3])) + m[4] + m[5] })
	return s
}

// mayHold is a cheap first look, a condition every pattern needs: an @
// (e-mail), a capital letter right after a non-ASCII character (a plate's
// province), or a group of at least ten digits with at most one space, dash
// or plus between them (a mobile number has 11, a landline 10–12, an ID
// number 18). Text without any holds nothing to mask: most names, and
// attributes of areas and dates, are passed over in a few hundred
// nanoseconds.
func mayHold(s string) bool {
	group, gap := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if group++; group >= 10 {
				return true
			}
			gap = false
		case (c == ' ' || c == '-' || c == '+') && group > 0 && !gap:
			gap = true
		case c == '@':
			return true
		case c >= 'A' && c <= 'Z' && i > 0 && s[i-1] >= 0x80:
			return true
		default:
			group, gap = 0, false
		}
	}
	return false
}

// replaceAll replaces every match of re, again where a match's trailing
// boundary was the next one's leading boundary (the patterns consume one
// character each side, since RE2 has no look-around).
func replaceAll(re *regexp.Regexp, s string, f func([]string) string) string {
	for range 4 {
		out := re.ReplaceAllStringFunc(s, func(m string) string { return f(re.FindStringSubmatch(m)) })
		if out == s {
			return out
		}
		s = out
	}
	return s
}

// MaskJSON masks the string values of a JSON object or array (an asset's
// attributes), at any depth; it returns raw itself when nothing changes.
func MaskJSON(raw []byte) []byte {
	if !mayHold(string(raw)) {
		return raw
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	v, changed := maskValue(v)
	if !changed {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return b
}

// MaskMap masks the string values of m in place, at any depth.
func MaskMap(m map[string]any) {
	for k, v := range m {
		if w, changed := maskValue(v); changed {
			m[k] = w
		}
	}
}

func maskValue(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		m := Mask(x)
		return m, m != x
	case map[string]any:
		changed := false
		for k, e := range x {
			if w, c := maskValue(e); c {
				x[k], changed = w, true
			}
		}
		return x, changed
	case []any:
		changed := false
		for i, e := range x {
			if w, c := maskValue(e); c {
				x[i], changed = w, true
			}
		}
		return x, changed
	}
	return v, false
}

// Public returns a as anyone may read it: its names and the string values
// of its attributes masked (a copy when anything changes; a itself when
// nothing does). Staff read assets whole (the register's round trip of
// export, edit and import needs the text as stored).
func Public(a *maint.Asset) *maint.Asset {
	name, nameEn, attrs := Mask(a.Name), Mask(a.NameEn), MaskJSON(a.Attrs)
	if name == a.Name && nameEn == a.NameEn && len(attrs) == len(a.Attrs) && string(attrs) == string(a.Attrs) {
		return a
	}
	c := *a
	c.Name, c.NameEn, c.Attrs = name, nameEn, attrs
	return &c
}
