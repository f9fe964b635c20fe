package citizen_test

import (
	"strings"
	"testing"

	"cityvitals/citizen"
	"cityvitals/model"
)

func TestMasks(t *testing.T) {
	tests := []struct {
		name string
		mask func(string) string
		in   string
		want string
	}{
		{"mobile", citizen.MaskPhone, "13812345678", "138****5678"},
		{"mobile with separators", citizen.MaskPhone, "138-1234-5678", "138-****-5678"},
		{"mobile with +86", citizen.MaskPhone, "+86 138 1234 5678", "+86 138 **** 5678"},
		{"mobile with 0086", citizen.MaskPhone, "008613812345678", "0086138****5678"},
		{"landline with area code", citizen.MaskPhone, "021-62345678", "021-****5678"},
		{"8 digits", citizen.MaskPhone, "62345678", "62****78"},
		{"short", citizen.MaskPhone, "12345", "***45"},
		{"tiny", citizen.MaskPhone, "110", "***"},
		{"empty phone", citizen.MaskPhone, "", ""},
		{"two-character name", citizen.MaskName, "张三", "张*"},
		{"three-character name", citizen.MaskName, "张三丰", "张*丰"},
		{"four-character name", citizen.MaskName, "欧阳娜娜", "欧**娜"},
		{"one character", citizen.MaskName, "李", "*"},
		{"western name", citizen.MaskName, "John Smith", "J*** S****"},
		{"one western word", citizen.MaskName, "John", "J***"},
		{"extra spaces", citizen.MaskName, "  Mary   Ann  Lee ", "M*** A** L**"},
		{"empty name", citizen.MaskName, "", ""},
		{"email", citizen.MaskEmail, "john@example.com", "j***@example.com"},
		{"one-letter mailbox", citizen.MaskEmail, "j@example.com", "j***@example.com"},
		{"chinese mailbox", citizen.MaskEmail, "张三@例子.中国", "张***@例子.中国"},
		{"not an email", citizen.MaskEmail, "johnexample.com", "****.com"},
		{"device id", citizen.MaskID, "tt222111", "****2111"},
		{"short device id", citizen.MaskID, "abc", "****"},
		{"uuid", citizen.MaskID, "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "****3301"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.mask(tc.in); got != tc.want {
				t.Errorf("mask(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskPhoneHidesTheMiddleDigits(t *testing.T) {
	// Whatever the formatting, no more than seven digits of an 11-digit
	// number survive.
	for _, phone := range []string{"13912345678", "139 1234 5678", "(139)1234-5678", "+8613912345678"} {
		masked := citizen.MaskPhone(phone)
		digits := 0
		for _, r := range strings.TrimPrefix(masked, "+86") {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits > 7 || strings.Contains(masked, "1234") {
			t.Errorf("MaskPhone(%q) = %q keeps too much", phone, masked)
		}
	}
}

func TestReporterViews(t *testing.T) {
	who := model.Reporter{ReportID: 7, FirstName: "三", LastName: "张", Email: "zhang@example.com",
		Phone: "13812345678", DeviceID: "tt222111", AccountID: "acct-0001234"}
	m := citizen.MaskReporter(who)
	want := citizen.ReporterView{Masked: true, Name: "张*", Email: "z***@example.com", Phone: "138****5678",
		DeviceID: "****2111", AccountID: "****1234"}
	if m != want {
		t.Errorf("masked view %+v, want %+v", m, want)
	}
	c := citizen.ClearReporter(who)
	if c.Masked || c.Name != "张三" || c.Phone != who.Phone || c.FirstName != "三" || c.LastName != "张" {
		t.Errorf("clear view %+v", c)
	}
	western := citizen.MaskReporter(model.Reporter{FirstName: "John", LastName: "Smith"})
	if western.Name != "J*** S****" || western.FirstName != "" || western.LastName != "" {
		t.Errorf("western masked view %+v", western)
	}
}
