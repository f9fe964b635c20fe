// Package api is the HTTP transport: it translates requests under /api/v1
// into calls on the domain services and their results into JSON.
//
// It owns routing, authentication of bearer tokens, the permission each
// route needs, request limits, and the one mapping from domain error codes
// to HTTP status (RFC 7807 problem details). It decides nothing else:
// validation, placement and durability belong to the domain packages.
package api
