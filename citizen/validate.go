package citizen

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"cityvitals/model"
)

// Limits on submitted fields, in characters (runes).
const (
	MaxDescription = 4000 // GeoReport v2's limit
	maxAddress     = 500
	maxShortField  = 100 // address id, names, account id
	maxZipcode     = 20
	maxDeviceID    = 200
	maxMediaURL    = 2048
	maxEmail       = 254 // RFC 5321 path limit
	maxPhone       = 32
	maxChannel     = 32
	maxExternalID  = 200
)

// problem is one thing wrong with a submission. field is the Open311
// parameter name (service_code, lat, attribute…), so transports and the
// import can point at what to fix.
type problem struct {
	field, msg string
}

type problems []problem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, problem{field: field, msg: fmt.Sprintf(format, args...)})
}

// err is the EINVALID error listing every problem.
func (ps problems) err() error {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.String()
	}
	return model.Errorf(model.EINVALID, "%s", strings.Join(msgs, "; "))
}

func (p problem) String() string {
	if strings.HasPrefix(p.msg, p.field) { // attribute problems name attribute[code] themselves
		return p.msg
	}
	return p.field + ": " + p.msg
}

// prepareOptions relax validation for imports.
type prepareOptions struct {
	keepOutside  bool // keep points no unit holds (another city's data)
	skipRequired bool // accept missing answers to required attributes
}

// prepare validates a submission and builds the report to store. An
// unknown service is ENOTFOUND (Open311 wants 404); everything else wrong
// is listed in problems.
func (s *Service) prepare(sub Submission, opts prepareOptions) (model.Report, model.Reporter, problems, error) {
	var ps problems
	svc, err := s.service(sub.ServiceCode)
	if err != nil {
		return model.Report{}, model.Reporter{}, nil, err
	}
	var attrs map[string][]string
	if sub.ServiceCode == "" {
		ps.add("service_code", "required: one of the codes GET services lists")
	} else {
		var attrProblems []string
		attrs, attrProblems = svc.checkAttributes(sub.Attributes, !opts.skipRequired)
		for _, msg := range attrProblems {
			ps.add("attribute", "%s", msg)
		}
	}
	r := model.Report{
		ServiceCode: sub.ServiceCode, Description: sub.Description, Lon: sub.Lon, Lat: sub.Lat, HasPoint: sub.HasPoint,
		Address: strings.TrimSpace(sub.Address), AddressID: strings.TrimSpace(sub.AddressID),
		Zipcode: strings.TrimSpace(sub.Zipcode), MediaURL: strings.TrimSpace(sub.MediaURL), Attributes: attrs,
		Channel: sub.Channel, SubmittedBy: sub.SubmittedBy, ExternalID: sub.ExternalID,
		Status: model.ReportReceived, AgencyResponsible: svc.Agency, ServiceNotice: svc.Notice.ZH,
		RequestedAt: sub.RequestedAt.UTC(), Token: newToken(),
	}
	if sub.AgencyResponsible != "" {
		r.AgencyResponsible = sub.AgencyResponsible
	}
	if r.RequestedAt.IsZero() {
		r.RequestedAt = s.now().UTC()
	}
	r.RequestedAt = r.RequestedAt.Truncate(time.Millisecond) // what the store keeps
	r.UpdatedAt = r.RequestedAt
	if svc.Expected > 0 {
		r.ExpectedAt = r.RequestedAt.Add(svc.Expected)
	}
	checkTexts(&ps, r, sub)
	s.checkLocation(&ps, &r, opts.keepOutside)
	checkMediaURL(&ps, r.MediaURL)
	who := sub.Reporter
	who.ReportID = 0
	checkReporter(&ps, &who)
	return r, who, ps, nil
}

// service looks the code up; "" passes with the zero service so that the
// missing code is reported among the other problems.
func (s *Service) service(code string) (ServiceType, error) {
	if code == "" {
		return ServiceType{}, nil
	}
	svc, ok := s.catalog.Service(code)
	if !ok {
		return ServiceType{}, model.Errorf(model.ENOTFOUND, "service_code: %q is not a service; GET services lists them", clip(code))
	}
	return svc, nil
}

func checkTexts(ps *problems, r model.Report, sub Submission) {
	checkField(ps, "description", sub.Description, MaxDescription, true)
	checkField(ps, "address_string", r.Address, maxAddress, false)
	checkField(ps, "address_id", r.AddressID, maxShortField, false)
	checkField(ps, "zipcode", r.Zipcode, maxZipcode, false)
	checkField(ps, "channel", r.Channel, maxChannel, false)
	checkField(ps, "external_id", r.ExternalID, maxExternalID, false)
}

// checkField refuses text that is not clean UTF-8 or is too long.
func checkField(ps *problems, field, v string, limit int, multiline bool) {
	if msg := checkText(v, multiline); msg != "" {
		ps.add(field, "%s", msg)
		return
	}
	if n := utf8.RuneCountInString(v); n > limit {
		ps.add(field, "%d characters, at most %d", n, limit)
	}
}

func (s *Service) checkLocation(ps *problems, r *model.Report, keepOutside bool) {
	if !r.HasPoint {
		if r.Address == "" && r.AddressID == "" {
			ps.add("location", "required: give lat and long, address_string or address_id")
		}
		return
	}
	if math.IsNaN(r.Lat) || r.Lat < -90 || r.Lat > 90 {
		ps.add("lat", "%v is not a WGS84 latitude (-90 to 90)", r.Lat)
	}
	if math.IsNaN(r.Lon) || r.Lon < -180 || r.Lon > 180 {
		ps.add("long", "%v is not a WGS84 longitude (-180 to 180)", r.Lon)
	}
	if len(*ps) > 0 || s.locator == nil {
		return
	}
	unit, ok := s.locator.Locate(r.Lon, r.Lat)
	if !ok && !keepOutside {
		ps.add("lat", "the point %v, %v (lat, long) lies outside the area this service covers", r.Lat, r.Lon)
	}
	r.Unit = unit
}

func checkMediaURL(ps *problems, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxMediaURL:
		ps.add("media_url", "longer than %d bytes", maxMediaURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		ps.add("media_url", "%q is not an absolute http or https URL", clip(raw))
	}
}

// checkReporter validates personal data and trims it in place.
func checkReporter(ps *problems, who *model.Reporter) {
	for _, f := range []struct {
		field string
		v     *string
		limit int
	}{
		{"first_name", &who.FirstName, maxShortField},
		{"last_name", &who.LastName, maxShortField},
		{"device_id", &who.DeviceID, maxDeviceID},
		{"account_id", &who.AccountID, maxShortField},
		{"email", &who.Email, maxEmail},
		{"phone", &who.Phone, maxPhone},
	} {
		*f.v = strings.TrimSpace(*f.v)
		checkField(ps, f.field, *f.v, f.limit, false)
	}
	if who.Email != "" {
		if a, err := mail.ParseAddress(who.Email); err != nil || a.Name != "" || a.Address != who.Email {
			ps.add("email", "%q is not an email address", clip(who.Email))
		}
	}
	if who.Phone != "" && !validPhone(who.Phone) {
		ps.add("phone", "%q is not a phone number (digits, spaces, +, -, parentheses)", clip(who.Phone))
	}
}

func validPhone(p string) bool {
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 3
}
