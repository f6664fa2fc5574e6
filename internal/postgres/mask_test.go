package postgres_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"inframap/internal/postgres/pgtest"
	"inframap/internal/privacy"
)

// TestMaskPersonalMatchesGo holds the SQL mask_personal (the names in
// vector tiles) to internal/privacy.Mask: the same answer for the privacy
// package's cases, each raw value in any surroundings, and thousands of
// random strings built from the characters the patterns turn on.
func TestMaskPersonalMatchesGo(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	inputs := []string{
		"请联系13800000000处理", "电话：138 0000 1234，或 +86 139-1234-5678", "座机0431-85551234转分机", "043185551234",
		"身份证220106199001011234，", "ID 22010619900101123X end", "邮箱 zhang.san@example.org 收", "车牌吉A·12345停在井旁",
		"吉AD12345 新能源", "两个号码13800000000、13900000001", "LY-2024-000123", "井盖编码2201060103000001",
		"2024-08-14 修复 1200 平方米", "DL-001 景阳大路", "010-12345678", "01012345678", "04318555123", "上水井（景阳大路）", "",
	}
	raw := []string{"13800000000", "0431-85551234", "220106199001011234", "zhang.san@example.org", "吉A·12345", "+86 139-1234-5678"}
	for _, pre := range []string{"", "a", "联系", " ", "（", "1", "A"} {
		for _, post := range []string{"", "b", "处理", " ", "）", "9", "Z"} {
			for _, r := range raw {
				inputs = append(inputs, pre+r+post)
			}
		}
	}
	alphabet := []string{"0", "1", "3", "8", "9", "2", "4", "-", " ", "+", "@", ".", "a", "Z", "A", "X", "吉", "京", "·", "井", "号", "e", "o"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for range 6 + rng.IntN(24) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	// Runs of digits near the patterns' lengths, with separators: phone,
	// landline and ID shapes and their near misses.
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	lead := []string{"0", "1", "13", "15", "19", "2201", "0431", "010", "+86", "+86 ", "86-"}
	seps := []string{"", "", " ", "-", "·"}
	ends := []string{"", "号", " ", "a", "X", "x", "。"}
	for range 3000 {
		inputs = append(inputs, ends[rng.IntN(len(ends))]+lead[rng.IntN(len(lead))]+digits(1+rng.IntN(8))+
			seps[rng.IntN(len(seps))]+digits(rng.IntN(12))+ends[rng.IntN(len(ends))])
	}
	rows, err := sql.Query(t.Context(), `SELECT s, mask_personal(s) FROM unnest($1::text[]) s`, inputs)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, bad, masked := 0, 0, 0
	for rows.Next() {
		var in, got string
		if err := rows.Scan(&in, &got); err != nil {
			t.Fatal(err)
		}
		n++
		if got != in {
			masked++
		}
		if want := privacy.Mask(in); got != want && bad < 20 {
			bad++
			t.Errorf("mask_personal(%q) = %q, Go says %q", in, got, want)
		}
	}
	// The cases must exercise the patterns, not only pass through.
	if masked < 400 {
		t.Errorf("only %d of %d inputs were masked at all", masked, n)
	}
	t.Logf("%d inputs, %d masked", n, masked)
	if n != len(inputs) {
		t.Errorf("%d answers for %d inputs", n, len(inputs))
	}
}
