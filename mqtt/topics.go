package mqtt

import "strings"

// topicRoot is the first part of every device topic. The version segment
// lets a later, incompatible topic layout live beside this one.
const topicRoot = "cityvitals/v1/devices/"

// Topic kinds below a device's root.
const (
	kindObservations = "observations"
	kindDatastreams  = "datastreams"
	kindRejections   = "rejections"
)

// ObservationsTopic is where device publishes batches: a JSON array or
// NDJSON of items in the same format as the HTTP batch API.
func ObservationsTopic(device string) string {
	return topicRoot + device + "/" + kindObservations
}

// DatastreamTopic is where device publishes single readings of the
// datastream with the given key: a bare number or one JSON item object.
func DatastreamTopic(device, key string) string {
	return topicRoot + device + "/" + kindDatastreams + "/" + key
}

// RejectionsTopic is where the broker tells device which items of its
// messages were rejected and why. It is the only topic a device may
// subscribe to.
func RejectionsTopic(device string) string {
	return topicRoot + device + "/" + kindRejections
}

// deviceTopic is a parsed device topic.
type deviceTopic struct {
	device string
	kind   string // kindObservations, kindDatastreams or kindRejections
	key    string // datastream key, only for kindDatastreams
}

// parseDeviceTopic splits a topic name into its parts. It reports false for
// anything that is not exactly one of the documented topics, including
// filters with wildcards.
func parseDeviceTopic(topic string) (deviceTopic, bool) {
	rest, ok := strings.CutPrefix(topic, topicRoot)
	if !ok {
		return deviceTopic{}, false
	}
	levels := strings.Split(rest, "/")
	for _, l := range levels {
		if l == "" || strings.ContainsAny(l, "+#") {
			return deviceTopic{}, false
		}
	}
	t := deviceTopic{device: levels[0]}
	switch {
	case len(levels) == 2 && (levels[1] == kindObservations || levels[1] == kindRejections):
		t.kind = levels[1]
	case len(levels) >= 3 && levels[1] == kindDatastreams:
		// Keys may contain '/' ("beijing/Dongsi/pm25"): the key is the
		// rest of the topic.
		t.kind, t.key = kindDatastreams, strings.Join(levels[2:], "/")
	default:
		return deviceTopic{}, false
	}
	return t, true
}

// mayPublish reports whether device may publish to topic: only to its own
// ingest topics, never to its reply topic or anyone else's.
func mayPublish(device, topic string) bool {
	t, ok := parseDeviceTopic(topic)
	return ok && device != "" && t.device == device && t.kind != kindRejections
}

// maySubscribe reports whether device may subscribe to filter: only to its
// own reply topic, spelled out without wildcards.
func maySubscribe(device, filter string) bool {
	return device != "" && filter == RejectionsTopic(device)
}
