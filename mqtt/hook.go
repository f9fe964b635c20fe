package mqtt

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"cityvitals/ingest"
	"cityvitals/model"
)

// RejectionReport is what the broker publishes on a device's rejections
// topic for every message with rejected items or refused as a whole. It is
// an ingest.Result plus the topic the message came in on and, when the
// whole message was refused, the error.
type RejectionReport struct {
	Topic string `json:"topic"`
	ingest.Result
	Error *ReportError `json:"error,omitempty"`
}

// ReportError is a whole-message error: a model error code and its message.
type ReportError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ingestHook is the mochi hook that makes the broker a CityVitals
// transport: it authenticates devices, confines them to their own topics
// and turns their publishes into Ingest calls.
//
// mochi calls OnPublish on the client's read goroutine before it writes the
// PUBACK (server.go, processPublish), so a blocking Ingest delays the ack
// and returning packets.ErrRejectPacket suppresses it. The read goroutine
// is also where the client's next packet would be read, which makes a slow
// store push back on exactly the client that is sending.
type ingestHook struct {
	mochi.HookBase

	server  *mochi.Server
	ing     Ingester
	auth    Authenticator
	logger  *slog.Logger
	metrics *brokerMetrics
	ctx     context.Context // the broker's lifetime; cancelled at shutdown
	timeout time.Duration
	now     func() time.Time

	sources sync.Map // *mochi.Client -> ingest.Source, while connected
}

func (h *ingestHook) ID() string { return "cityvitals-ingest" }

func (h *ingestHook) Provides(b byte) bool {
	switch b {
	case mochi.OnConnectAuthenticate, mochi.OnACLCheck, mochi.OnPublish, mochi.OnDisconnect:
		return true
	}
	return false
}

// OnConnectAuthenticate accepts a client whose username is a device id and
// whose password is that device's token secret.
func (h *ingestHook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	device := string(pk.Connect.Username)
	src, reason := h.authenticate(cl, pk, device)
	if reason != "" {
		h.metrics.authFailures.Inc()
		h.logger.Info("mqtt connect refused", "device", device, "client", cl.ID, "remote", cl.Net.Remote, "reason", reason)
		return false
	}
	h.sources.Store(cl, src)
	return true
}

// authenticate returns the device's Source, or the reason it is refused.
func (h *ingestHook) authenticate(cl *mochi.Client, pk packets.Packet, device string) (ingest.Source, string) {
	if device == "" || !pk.Connect.PasswordFlag {
		return ingest.Source{}, "anonymous connect"
	}
	if pk.Connect.WillFlag && !mayPublish(device, pk.Connect.WillTopic) {
		return ingest.Source{}, "will topic is not one of the device's topics"
	}
	// Taking over a session means inheriting its subscriptions, so a client
	// id may only be reused by the device that created the session.
	if old, ok := h.server.Clients.Get(cl.ID); ok && string(old.Properties.Username) != device {
		return ingest.Source{}, "client id belongs to another device's session"
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	src, err := h.auth.AuthenticateDevice(ctx, device, string(pk.Connect.Password))
	if err != nil {
		return ingest.Source{}, "bad credentials: " + err.Error()
	}
	if src.Device != "" && src.Device != device {
		return ingest.Source{}, "token belongs to device " + src.Device
	}
	src.Transport, src.Device = "mqtt", device
	if src.Actor == "" {
		src.Actor = "device:" + device
	}
	return src, ""
}

// OnDisconnect forgets the client's Source.
func (h *ingestHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	h.sources.Delete(cl)
}

// OnACLCheck confines a device to its own topics: it publishes to its
// ingest topics and subscribes to its rejections topic, nothing else.
func (h *ingestHook) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	src, ok := h.source(cl)
	if write {
		ok = ok && mayPublish(src.Device, topic)
		if !ok {
			h.metrics.aclDenials.WithLabelValues("publish").Inc()
		}
		return ok
	}
	ok = ok && maySubscribe(src.Device, topic)
	if !ok {
		h.metrics.aclDenials.WithLabelValues("subscribe").Inc()
	}
	return ok
}

func (h *ingestHook) source(cl *mochi.Client) (ingest.Source, bool) {
	v, ok := h.sources.Load(cl)
	if !ok {
		return ingest.Source{}, false
	}
	return v.(ingest.Source), true
}

// OnPublish ingests a device's message before mochi acknowledges it. The
// returned packet is marked Ignore so it is neither retained nor forwarded:
// ingest topics have no subscribers by design. Returning ErrRejectPacket
// suppresses the PUBACK; see handleFailure.
func (h *ingestHook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // our own rejection reports
	}
	pk.Ignore = true
	src, ok := h.source(cl)
	topic, parsed := parseDeviceTopic(pk.TopicName)
	if !ok || !parsed { // unreachable after OnACLCheck; refuse rather than guess
		return pk, packets.ErrRejectPacket
	}
	h.metrics.received.WithLabelValues(topic.kind).Inc()

	res, err := h.ingest(src, topic, pk.Payload)
	switch code := model.ErrorCode(err); code {
	case "":
		h.reportRejections(src.Device, pk.TopicName, res)
		return pk, nil
	case model.EOVERLOADED, model.EINTERNAL:
		return pk, h.handleFailure(cl, pk, src.Device, err)
	default: // the message itself is bad: sending it again cannot help
		h.metrics.failed.WithLabelValues(code).Inc()
		h.report(src.Device, RejectionReport{Topic: pk.TopicName, Error: &ReportError{Code: code, Message: model.ErrorMessage(err)}})
		return pk, nil
	}
}

// ingest hands the message to the ingest service in batch form.
func (h *ingestHook) ingest(src ingest.Source, topic deviceTopic, payload []byte) (ingest.Result, error) {
	body := payload
	if topic.kind == kindDatastreams {
		var err error
		if body, err = streamItemBody(topic.key, payload, h.now()); err != nil {
			return ingest.Result{}, err
		}
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	return h.ing.Ingest(ctx, src, body)
}

// handleFailure deals with a message that could not be made durable
// (overload, store failure, timeout, shutdown). A QoS 0 message is dropped:
// best effort is all QoS 0 promises. For QoS 1 and 2 the broker withholds
// the acknowledgement and disconnects the client, because MQTT clients
// resend unacknowledged messages only when they reconnect; a client with a
// persistent session (clean session false) then sends the message again
// after its reconnect backoff, which is also the pause an overloaded
// store needs.
func (h *ingestHook) handleFailure(cl *mochi.Client, pk packets.Packet, device string, err error) error {
	code := model.ErrorCode(err)
	h.metrics.failed.WithLabelValues(code).Inc()
	h.logger.Warn("mqtt message not ingested", "device", device, "topic", pk.TopicName,
		"qos", pk.FixedHeader.Qos, "code", code, "err", err)
	if pk.FixedHeader.Qos == 0 {
		return packets.ErrRejectPacket
	}
	_ = h.server.DisconnectClient(cl, packets.ErrServerBusy) // the error is the reason code we passed
	return packets.ErrRejectPacket
}

// reportRejections tells the device which items of its message were
// rejected; a fully accepted message gets no report.
func (h *ingestHook) reportRejections(device, topic string, res ingest.Result) {
	if len(res.Rejected) == 0 {
		return
	}
	h.metrics.itemsRejected.Add(float64(len(res.Rejected)))
	h.report(device, RejectionReport{Topic: topic, Result: res})
}

// report publishes r at QoS 1 on the device's rejections topic. Delivery
// goes through the ACL like any other, so only that device receives it.
func (h *ingestHook) report(device string, r RejectionReport) {
	if r.Rejected == nil {
		r.Rejected = []ingest.Rejection{}
	}
	payload, err := json.Marshal(r)
	if err != nil { // unreachable: plain strings and ints
		h.logger.Error("encode rejection report", "err", err)
		return
	}
	if err := h.server.Publish(RejectionsTopic(device), payload, false, 1); err != nil {
		h.logger.Warn("publish rejection report", "device", device, "err", err)
	}
}
