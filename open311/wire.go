package open311

import (
	"encoding/xml"
	"strconv"
	"time"

	"cityvitals/citizen"
	"cityvitals/model"
)

// The documents of GeoReport v2. Each type serves both formats: JSON
// (the "Spark convention" mapping of the XML, top-level arrays) and XML
// (the root element wraps the items). Optional fields are pointers: null
// in JSON, absent in XML, as the spec allows ("may not be returned").

type serviceDoc struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description *string  `json:"description" xml:"description,omitempty"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    *string  `json:"keywords" xml:"keywords,omitempty"`
	Group       *string  `json:"group" xml:"group,omitempty"`
}

type servicesXML struct {
	XMLName  xml.Name     `xml:"services"`
	Services []serviceDoc `xml:"service"`
}

type definitionDoc struct {
	XMLName     xml.Name       `json:"-" xml:"service_definition"`
	ServiceCode string         `json:"service_code" xml:"service_code"`
	Attributes  []attributeDoc `json:"attributes" xml:"attributes>attribute"`
}

type attributeDoc struct {
	Variable            bool       `json:"variable" xml:"variable"`
	Code                string     `json:"code" xml:"code"`
	Datatype            string     `json:"datatype" xml:"datatype"`
	Required            bool       `json:"required" xml:"required"`
	DatatypeDescription *string    `json:"datatype_description" xml:"datatype_description,omitempty"`
	Order               int        `json:"order" xml:"order"`
	Description         string     `json:"description" xml:"description"`
	Values              []valueDoc `json:"values,omitempty" xml:"values>value,omitempty"`
}

type valueDoc struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// requestDoc is a service request as GET requests returns it.
type requestDoc struct {
	XMLName           xml.Name     `json:"-" xml:"request"`
	ServiceRequestID  string       `json:"service_request_id" xml:"service_request_id"`
	Status            string       `json:"status" xml:"status"`
	StatusNotes       *string      `json:"status_notes" xml:"status_notes,omitempty"`
	ServiceName       *string      `json:"service_name" xml:"service_name,omitempty"`
	ServiceCode       string       `json:"service_code" xml:"service_code"`
	Description       *string      `json:"description" xml:"description,omitempty"`
	AgencyResponsible *string      `json:"agency_responsible" xml:"agency_responsible,omitempty"`
	ServiceNotice     *string      `json:"service_notice" xml:"service_notice,omitempty"`
	RequestedDatetime string       `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   *string      `json:"updated_datetime" xml:"updated_datetime,omitempty"`
	ExpectedDatetime  *string      `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           *string      `json:"address" xml:"address,omitempty"`
	AddressID         *string      `json:"address_id" xml:"address_id,omitempty"`
	Zipcode           *string      `json:"zipcode" xml:"zipcode,omitempty"`
	Lat               *float64     `json:"lat" xml:"lat,omitempty"`
	Long              *float64     `json:"long" xml:"long,omitempty"`
	MediaURL          *string      `json:"media_url" xml:"media_url,omitempty"`
	Extended          *extendedDoc `json:"extended_attributes,omitempty" xml:"extended_attributes,omitempty"`
}

// extendedDoc carries what GeoReport v2 has no field for, returned only
// with extensions=true (the "Extended Attributes" extension).
type extendedDoc struct {
	Channel        string        `json:"channel,omitempty" xml:"channel,omitempty"`
	InternalStatus string        `json:"internal_status" xml:"internal_status"`
	Unit           string        `json:"unit,omitempty" xml:"unit,omitempty"`
	IncidentID     string        `json:"incident_id,omitempty" xml:"incident_id,omitempty"`
	DuplicateOf    string        `json:"duplicate_of,omitempty" xml:"duplicate_of,omitempty"`
	Token          string        `json:"token" xml:"token"`
	Attributes     []answerDoc   `json:"attributes,omitempty" xml:"attributes>attribute,omitempty"`
	Reporter       *reporterDoc  `json:"reporter,omitempty" xml:"reporter,omitempty"`
	EventCode      *eventCodeDoc `json:"event_code,omitempty" xml:"event_code,omitempty"`
}

type answerDoc struct {
	Code   string   `json:"code" xml:"code"`
	Values []string `json:"values" xml:"values>value"`
}

type eventCodeDoc struct {
	Standard string `json:"standard" xml:"standard"`
	Code     string `json:"code" xml:"code"`
}

type reporterDoc struct {
	Masked    bool   `json:"masked" xml:"masked"`
	Name      string `json:"name,omitempty" xml:"name,omitempty"`
	FirstName string `json:"first_name,omitempty" xml:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty" xml:"last_name,omitempty"`
	Email     string `json:"email,omitempty" xml:"email,omitempty"`
	Phone     string `json:"phone,omitempty" xml:"phone,omitempty"`
	DeviceID  string `json:"device_id,omitempty" xml:"device_id,omitempty"`
	AccountID string `json:"account_id,omitempty" xml:"account_id,omitempty"`
}

type requestsXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []requestDoc `xml:"request"`
}

// createdDoc answers POST requests.
type createdDoc struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    *string  `json:"service_notice" xml:"service_notice,omitempty"`
	AccountID        *string  `json:"account_id" xml:"account_id,omitempty"`
}

type createdXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []createdDoc `xml:"request"`
}

// tokenDoc answers GET tokens/{token}.
type tokenDoc struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

type tokensXML struct {
	XMLName  xml.Name   `xml:"service_requests"`
	Requests []tokenDoc `xml:"request"`
}

type errorDoc struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type errorsXML struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []errorDoc `xml:"error"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// w3cTime is the spec's date-time: ISO 8601 with a zone, here UTC.
func w3cTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := w3cTime(t)
	return &s
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func serviceDocOf(s citizen.ServiceType, lang citizen.Lang) serviceDoc {
	return serviceDoc{
		ServiceCode: s.Code, ServiceName: s.Name.In(lang), Description: optional(s.Description.In(lang)),
		Metadata: s.HasMetadata(), Type: "realtime", Keywords: optional(s.Keywords.In(lang)), Group: optional(s.Group),
	}
}

func definitionDocOf(s citizen.ServiceType, lang citizen.Lang) definitionDoc {
	d := definitionDoc{ServiceCode: s.Code, Attributes: []attributeDoc{}}
	for _, a := range s.Attributes {
		ad := attributeDoc{
			Variable: a.Variable, Code: a.Code, Datatype: string(a.Datatype), Required: a.Required,
			DatatypeDescription: optional(a.DatatypeDescription), Order: a.Order, Description: a.Description.In(lang),
		}
		for _, v := range a.Values {
			ad.Values = append(ad.Values, valueDoc{Key: v.Key, Name: v.Name.In(lang)})
		}
		d.Attributes = append(d.Attributes, ad)
	}
	return d
}

// requestDocOf renders a report. svc is its service (zero if the catalog
// no longer has it); extended adds extended_attributes.
func requestDocOf(v citizen.ReportView, svc citizen.ServiceType, lang citizen.Lang, extended bool) requestDoc {
	r := v.Report
	d := requestDoc{
		ServiceRequestID: idString(r.ID), Status: r.Status.Open311Status(), StatusNotes: optional(r.StatusNotes),
		ServiceName: optional(svc.Name.In(lang)), ServiceCode: r.ServiceCode, Description: optional(r.Description),
		AgencyResponsible: optional(r.AgencyResponsible), ServiceNotice: optional(notice(r, svc, lang)),
		RequestedDatetime: w3cTime(r.RequestedAt), UpdatedDatetime: optionalTime(r.UpdatedAt),
		ExpectedDatetime: optionalTime(r.ExpectedAt), Address: optional(r.Address), AddressID: optional(r.AddressID),
		Zipcode: optional(r.Zipcode), MediaURL: optional(r.MediaURL),
	}
	if r.HasPoint {
		d.Lat, d.Long = &r.Lat, &r.Lon
	}
	if extended {
		d.Extended = extendedDocOf(v, svc)
	}
	return d
}

// notice prefers the catalog's notice in the caller's language to the
// one stored with the report.
func notice(r model.Report, svc citizen.ServiceType, lang citizen.Lang) string {
	if n := svc.Notice.In(lang); n != "" {
		return n
	}
	return r.ServiceNotice
}

func extendedDocOf(v citizen.ReportView, svc citizen.ServiceType) *extendedDoc {
	r := v.Report
	e := &extendedDoc{Channel: r.Channel, InternalStatus: string(r.Status), Unit: r.Unit, Token: r.Token}
	if r.IncidentID != 0 {
		e.IncidentID = idString(r.IncidentID)
	}
	if r.DuplicateOf != 0 {
		e.DuplicateOf = idString(r.DuplicateOf)
	}
	for _, code := range sortedCodes(r.Attributes) {
		e.Attributes = append(e.Attributes, answerDoc{Code: code, Values: r.Attributes[code]})
	}
	if svc.EventCode.Code != "" {
		e.EventCode = &eventCodeDoc{Standard: svc.EventCode.Standard, Code: svc.EventCode.Code}
	}
	if who := v.Reporter; who != nil {
		e.Reporter = &reporterDoc{Masked: who.Masked, Name: who.Name, FirstName: who.FirstName, LastName: who.LastName,
			Email: who.Email, Phone: who.Phone, DeviceID: who.DeviceID, AccountID: who.AccountID}
	}
	return e
}
