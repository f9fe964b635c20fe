// Package open311 is the HTTP transport of citizen reports in Open311
// GeoReport v2: GET services, GET services/{code} (service definitions),
// POST requests, GET requests (filtered), GET requests/{id} and GET
// tokens/{token}, each as .json or .xml, errors in the GeoReport error
// format. It translates between the wire and citizen.Service and decides
// nothing about reports itself.
//
// Every endpoint requires an api_key (query or form parameter; a bearer
// token is accepted too) resolved by the injected authenticate function:
// POST needs auth.ReportSubmit, GETs need auth.ReportRead. Reporters'
// personal data is accepted on POST, stored apart, and returned only with
// extensions=true to principals holding auth.PersonalRead: in clear for
// one request, masked in listings. See docs/open311.md.
package open311
