package citizen

import (
	"strings"
	"unicode"

	"cityvitals/model"
)

// The masks keep just enough of a value for a person handling a report to
// tell two reporters apart or confirm a caller ("the number ending 5678"),
// never enough to contact or identify them. Each is a pure function of its
// input, so the same value always masks the same way.

// MaskPhone keeps the first three and last four digits of a mobile-length
// number and masks the rest: "13812345678" → "138****5678". Shorter
// numbers keep less (8-digit landlines: two and two; under 7 digits: the
// last two at most). Separators stay where they are, and a +86 or 0086
// country prefix is kept as formatting.
func MaskPhone(phone string) string {
	prefix, rest := splitCountryCode(strings.TrimSpace(phone))
	n := 0
	for _, r := range rest {
		if isDigit(r) {
			n++
		}
	}
	head, tail := digitsKept(n)
	var b strings.Builder
	b.WriteString(prefix)
	i := 0
	for _, r := range rest {
		if !isDigit(r) {
			b.WriteRune(r)
			continue
		}
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

func splitCountryCode(s string) (prefix, rest string) {
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(s, p) && len(s) > len(p)+6 {
			return p, s[len(p):]
		}
	}
	return "", s
}

// digitsKept is how many leading and trailing digits of an n-digit
// number stay visible.
func digitsKept(n int) (head, tail int) {
	switch {
	case n >= 11:
		return 3, 4
	case n >= 7:
		return 2, 2
	case n >= 4:
		return 0, 2
	}
	return 0, 0
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// MaskName keeps the first character of a Chinese name and the last of a
// given name longer than one character: "张三" → "张*", "张三丰" → "张*丰".
// Names written in words keep each word's first letter: "John Smith" →
// "J*** S****".
func MaskName(name string) string {
	words := strings.Fields(name)
	switch {
	case len(words) == 0:
		return ""
	case len(words) > 1 || !hasHan(words[0]):
		for i, w := range words {
			r := []rune(w)
			words[i] = string(r[0]) + strings.Repeat("*", len(r)-1)
		}
		return strings.Join(words, " ")
	}
	r := []rune(words[0])
	switch len(r) {
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// MaskEmail keeps the first character of the mailbox and the domain:
// "john@example.com" → "j***@example.com". The mask has a fixed length so
// it does not tell how long the mailbox is.
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(email), "@")
	if !ok || local == "" {
		return MaskID(email)
	}
	return string([]rune(local)[0]) + "***@" + domain
}

// MaskID masks a device or account id, keeping the last four characters
// of an id of at least eight: "tt222111" → "****2111"; shorter ids are
// masked entirely.
func MaskID(id string) string {
	r := []rune(strings.TrimSpace(id))
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 8:
		return "****"
	}
	return "****" + string(r[len(r)-4:])
}

// FullName joins a reporter's names the way they are written: family name
// first without a space for Chinese names, given name first otherwise.
func FullName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if hasHan(first) || hasHan(last) {
		return last + first
	}
	return strings.TrimSpace(first + " " + last)
}

// ReporterView is a reporter's personal data as a caller may see it.
// Masked views carry the masked full name only; clear views also the
// separate names as submitted.
type ReporterView struct {
	Masked    bool   `json:"masked"`
	Name      string `json:"name,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	DeviceID  string `json:"device_id,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// MaskReporter returns the masked view of a reporter.
func MaskReporter(r model.Reporter) ReporterView {
	return ReporterView{
		Masked:    true,
		Name:      MaskName(FullName(r.FirstName, r.LastName)),
		Email:     MaskEmail(r.Email),
		Phone:     MaskPhone(r.Phone),
		DeviceID:  MaskID(r.DeviceID),
		AccountID: MaskID(r.AccountID),
	}
}

// ClearReporter returns the unmasked view of a reporter.
func ClearReporter(r model.Reporter) ReporterView {
	return ReporterView{
		Name: FullName(r.FirstName, r.LastName), FirstName: r.FirstName, LastName: r.LastName,
		Email: r.Email, Phone: r.Phone, DeviceID: r.DeviceID, AccountID: r.AccountID,
	}
}
