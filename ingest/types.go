package ingest

// Source says who sent a batch of observations. Transports fill it in
// after authenticating the sender; the ingest service decides what the
// sender may do (e.g. auto-provision unknown streams).
type Source struct {
	Transport string // "http", "mqtt", "bridge", "file": for metrics and logs
	Device    string // device id from a device token; "" for users
	Provision bool   // the token allows creating unknown datastreams
	Actor     string // user name or "device:<id>", for the audit trail
}

// Rejection names one item of a batch that was not accepted, and why.
// Index is the item's 0-based position in the batch (array element or
// NDJSON line).
type Rejection struct {
	Index  int    `json:"index"`
	Stream string `json:"stream,omitempty"`
	Reason string `json:"reason"`
}

// Result is the outcome of one batch. Accepted items are durable when
// Ingest returns a nil error; rejected items are listed with their reasons.
type Result struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected"`
}
