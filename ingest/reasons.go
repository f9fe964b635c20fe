package ingest

import "strconv"

// reasonKind classifies a rejection for the rejected_total metric. Its
// labels are a fixed set: sender-supplied text never becomes a label.
type reasonKind uint8

const (
	reasonMalformed         reasonKind = iota // not a JSON object, or broken JSON on an NDJSON line
	reasonBadDatastream                       // datastream missing or of the wrong type
	reasonUnknownDatastream                   // no such id or key, and not provisioned
	reasonProvisionFailed                     // the provisioner refused or failed
	reasonForbiddenDevice                     // the stream belongs to another device
	reasonPropertyMismatch                    // item names another property than its stream
	reasonBadTime                             // time missing or not RFC 3339 / Unix ms
	reasonTooFarFuture                        // time after clock + MaxFuture
	reasonTooOld                              // time before clock - MaxPast
	reasonBadValue                            // value missing, not a number, NaN or Inf
	reasonOutOfRange                          // value outside the property's plausible range
	reasonBadQuality                          // quality not 0..2 or good/suspect/bad
	numReasons
)

func (k reasonKind) label() string {
	switch k {
	case reasonMalformed:
		return "malformed"
	case reasonBadDatastream:
		return "bad_datastream"
	case reasonUnknownDatastream:
		return "unknown_datastream"
	case reasonProvisionFailed:
		return "provision_failed"
	case reasonForbiddenDevice:
		return "forbidden_device"
	case reasonPropertyMismatch:
		return "property_mismatch"
	case reasonBadTime:
		return "bad_time"
	case reasonTooFarFuture:
		return "too_far_future"
	case reasonTooOld:
		return "too_old"
	case reasonBadValue:
		return "bad_value"
	case reasonOutOfRange:
		return "out_of_range"
	case reasonBadQuality:
		return "bad_quality"
	}
	return "reason_" + strconv.Itoa(int(k))
}

// fault is why one item is rejected; the zero fault means the item is fine.
type fault struct {
	kind   reasonKind
	reason string
}

func (f fault) ok() bool { return f.reason == "" }

// rejections collects the rejected items of one batch and counts them by
// kind for the metrics.
type rejections struct {
	list   []Rejection
	counts [numReasons]int
}

func (r *rejections) add(index int, stream string, f fault) {
	r.list = append(r.list, Rejection{Index: index, Stream: stream, Reason: f.reason})
	r.counts[f.kind]++
}

func (r *rejections) reset() {
	r.list = r.list[:0]
	r.counts = [numReasons]int{}
}
