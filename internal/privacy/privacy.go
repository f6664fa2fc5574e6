// Package privacy masks personal data in text shown to people who may not
// see it: anonymous visitors read case titles, descriptions and notes that
// staff and residents typed, and these often carry a phone number ("请联系
// 13800000000"). China's Personal Information Protection Law does not allow
// showing it; the stored text stays whole for staff.
package privacy

import (
	"regexp"
	"strings"
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

// mayHold is a cheap first look: text with fewer than seven digits, no @
// and no capital letter holds nothing to mask.
func mayHold(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits++; digits >= 7 {
				return true
			}
		case c == '@' || c >= 'A' && c <= 'Z':
			return true
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
