package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/ingest"
	"cityvitals/model"
)

// PayloadFormat says how the payload of a bridged topic is read.
type PayloadFormat string

const (
	// FormatBatch is a JSON array or NDJSON of items, as on the HTTP API
	// and the observations topic; items name their datastream.
	FormatBatch PayloadFormat = "batch"
	// FormatStream is one reading of one datastream, as on the datastreams
	// topic: a bare number or one item object without "datastream". The
	// key is built from the topic with BridgeSubscription.KeyTemplate.
	FormatStream PayloadFormat = "stream"
)

// BridgeSubscription is one topic filter on the external broker and how
// to ingest what arrives on it. Filters of one bridge must not overlap: a
// message matching two filters would be ingested twice.
type BridgeSubscription struct {
	Filter string // MQTT topic filter, wildcards allowed
	// Device is the device the messages are attributed to; its rights
	// (Provision: may create unknown datastreams) are the bridge's rights
	// on this filter.
	Device    string
	Provision bool
	Format    PayloadFormat
	// KeyTemplate builds the datastream key from topic levels, counted
	// from 0: with Filter "sensors/+/pm25", "{1}/pm25" maps the topic
	// "sensors/dev7/pm25" to the key "dev7/pm25". FormatStream only.
	KeyTemplate string
}

// BridgeConfig configures a bridge. Zero durations take the defaults
// documented on each.
type BridgeConfig struct {
	BrokerURL string // tcp://host:port (also ssl://, ws://, wss://)
	// ClientID names the persistent session on the external broker. Keep it
	// stable: the broker queues QoS 1 messages for this id while the bridge
	// is down, and a different id starts from nothing.
	ClientID      string
	Username      string
	Password      string // never logged
	Subscriptions []BridgeSubscription

	IngestTimeout  time.Duration // bound on one Ingest call; default 10s
	ConnectTimeout time.Duration // bound on CONNECT and SUBSCRIBE; default 10s
	KeepAlive      time.Duration // MQTT keepalive; default 30s
	MinBackoff     time.Duration // first reconnect delay; default 500ms
	MaxBackoff     time.Duration // longest reconnect delay; default 30s
}

// LogValue keeps the password (and any in the URL) out of logs.
func (c BridgeConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("broker", redactURL(c.BrokerURL)),
		slog.String("client_id", c.ClientID),
		slog.String("username", c.Username),
		slog.Int("subscriptions", len(c.Subscriptions)),
	)
}

func (c BridgeConfig) withDefaults() BridgeConfig {
	defaults := []struct {
		d   *time.Duration
		def time.Duration
	}{
		{&c.IngestTimeout, 10 * time.Second},
		{&c.ConnectTimeout, 10 * time.Second},
		{&c.KeepAlive, 30 * time.Second},
		{&c.MinBackoff, 500 * time.Millisecond},
		{&c.MaxBackoff, 30 * time.Second},
	}
	for _, x := range defaults {
		if *x.d == 0 {
			*x.d = x.def
		}
	}
	return c
}

// Bridge subscribes to an external MQTT broker and ingests what arrives.
// Messages are acknowledged only after Ingest made them durable, on a
// persistent session, so nothing the external broker considers delivered
// is lost. Delivery is at least once: a message whose ack was lost with
// the connection arrives again.
type Bridge struct {
	cfg     BridgeConfig
	routes  []bridgeRoute
	ing     Ingester
	logger  *slog.Logger
	metrics *bridgeMetrics
	running atomic.Bool
	now     func() time.Time
}

// bridgeRoute is a validated subscription.
type bridgeRoute struct {
	sub BridgeSubscription
	src ingest.Source
	key keyTemplate // FormatStream only
}

// NewBridge validates cfg and registers the bridge's metrics on reg unless
// it is nil. It returns EINVALID naming the bad field.
func NewBridge(cfg BridgeConfig, ing Ingester, logger *slog.Logger, reg prometheus.Registerer) (*Bridge, error) {
	cfg = cfg.withDefaults()
	routes, err := validateBridgeConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ing == nil {
		return nil, errors.New("mqtt bridge: Ingester is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	metrics, collectors := newBridgeMetrics(cfg.ClientID)
	if err := register(reg, collectors); err != nil {
		return nil, fmt.Errorf("mqtt bridge %s: %w", cfg.ClientID, err)
	}
	return &Bridge{
		cfg: cfg, routes: routes, ing: ing, metrics: metrics, now: time.Now,
		logger: logger.With("component", "mqtt-bridge", "client_id", cfg.ClientID),
	}, nil
}

func validateBridgeConfig(cfg BridgeConfig) ([]bridgeRoute, error) {
	u, err := url.Parse(cfg.BrokerURL)
	if err != nil || u.Host == "" {
		return nil, model.Errorf(model.EINVALID, "mqtt bridge config: broker_url %q is not scheme://host:port", redactURL(cfg.BrokerURL))
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return nil, model.Errorf(model.EINVALID, "mqtt bridge config: broker_url scheme %q is not supported", u.Scheme)
	}
	if cfg.ClientID == "" {
		return nil, model.Errorf(model.EINVALID, "mqtt bridge config: client_id is required for a persistent session")
	}
	if len(cfg.Subscriptions) == 0 {
		return nil, model.Errorf(model.EINVALID, "mqtt bridge config: subscriptions is empty")
	}
	if cfg.MinBackoff < 0 || cfg.MaxBackoff < cfg.MinBackoff {
		return nil, model.Errorf(model.EINVALID, "mqtt bridge config: backoff %s..%s is not a range", cfg.MinBackoff, cfg.MaxBackoff)
	}
	routes := make([]bridgeRoute, 0, len(cfg.Subscriptions))
	seen := make(map[string]bool)
	for i, sub := range cfg.Subscriptions {
		r, err := newBridgeRoute(sub)
		if err != nil {
			return nil, model.Errorf(model.EINVALID, "mqtt bridge config: subscriptions[%d]: %s", i, model.ErrorMessage(err))
		}
		if seen[sub.Filter] {
			return nil, model.Errorf(model.EINVALID, "mqtt bridge config: subscriptions[%d]: filter %q is listed twice", i, sub.Filter)
		}
		seen[sub.Filter] = true
		routes = append(routes, r)
	}
	return routes, nil
}

func newBridgeRoute(sub BridgeSubscription) (bridgeRoute, error) {
	levels, err := filterLevels(sub.Filter)
	if err != nil {
		return bridgeRoute{}, err
	}
	if sub.Device == "" {
		return bridgeRoute{}, model.Errorf(model.EINVALID, "device is required")
	}
	r := bridgeRoute{sub: sub, src: ingest.Source{
		Transport: "bridge", Device: sub.Device, Provision: sub.Provision, Actor: "device:" + sub.Device,
	}}
	switch sub.Format {
	case FormatBatch:
		if sub.KeyTemplate != "" {
			return bridgeRoute{}, model.Errorf(model.EINVALID, "key_template is only for format %q", FormatStream)
		}
	case FormatStream:
		if r.key, err = parseKeyTemplate(sub.KeyTemplate, levels); err != nil {
			return bridgeRoute{}, err
		}
	default:
		return bridgeRoute{}, model.Errorf(model.EINVALID, "format %q is not %q or %q", sub.Format, FormatBatch, FormatStream)
	}
	return r, nil
}

// filterLevels checks an MQTT topic filter and returns its number of
// levels, or 0 when it ends in # and so matches topics of any depth.
func filterLevels(filter string) (int, error) {
	if filter == "" {
		return 0, model.Errorf(model.EINVALID, "filter is empty")
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		switch {
		case l == "#" && i == len(levels)-1:
			return 0, nil
		case strings.Contains(l, "#"), strings.Contains(l, "+") && l != "+":
			return 0, model.Errorf(model.EINVALID, "filter %q: wildcard %q must be a whole level (# only the last)", filter, l)
		}
	}
	return len(levels), nil
}

// Run connects, subscribes and ingests until ctx is cancelled, then
// disconnects and returns nil. When the connection drops, a SUBSCRIBE is
// refused or Ingest fails, it reconnects after an exponential backoff;
// the external broker then redelivers every unacknowledged message. Run
// may be called again after it returned, but not concurrently.
func (b *Bridge) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("mqtt bridge: already running")
	}
	defer b.running.Store(false)
	backoff := b.cfg.MinBackoff
	for {
		began := time.Now()
		err := b.runSession(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(began) >= b.cfg.MaxBackoff { // it was healthy for a while
			backoff = b.cfg.MinBackoff
		}
		b.logger.Warn("mqtt bridge disconnected", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, b.cfg.MaxBackoff)
	}
}

// bridgeSession is one connection. Once an Ingest fails the session halts:
// later messages are left unacknowledged too, and the connection is
// dropped, so the broker redelivers them in order after the reconnect.
type bridgeSession struct {
	bridge *Bridge
	ctx    context.Context
	done   chan error // first reason the session must end

	mu     sync.Mutex // held while a message is handled
	halted bool
}

func (s *bridgeSession) end(err error) {
	select {
	case s.done <- err:
	default:
	}
}

// halt stops handling messages and waits for the one being handled, so
// that its ack is queued before the bridge disconnects.
func (s *bridgeSession) halt() {
	s.mu.Lock()
	s.halted = true
	s.mu.Unlock()
}

// runSession connects once and serves until the connection is lost, the
// session halts or ctx is cancelled.
func (b *Bridge) runSession(ctx context.Context) error {
	s := &bridgeSession{bridge: b, ctx: ctx, done: make(chan error, 1)}
	client := paho.NewClient(b.clientOptions(s))
	// Routes go in before CONNECT: the broker sends queued messages right
	// after CONNACK, and paho leaves messages without a route unacked.
	for _, r := range b.routes {
		client.AddRoute(r.sub.Filter, s.handler(r))
	}
	if err := b.wait(ctx, client.Connect()); err != nil {
		return fmt.Errorf("connect to %s: %w", redactURL(b.cfg.BrokerURL), err)
	}
	b.metrics.connects.Inc()
	defer client.Disconnect(250)
	defer s.halt() // runs before Disconnect
	if err := b.subscribe(ctx, client); err != nil {
		return err
	}
	b.metrics.connected.Set(1)
	defer b.metrics.connected.Set(0)
	b.logger.Info("mqtt bridge connected", "broker", redactURL(b.cfg.BrokerURL), "filters", len(b.routes))
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.done:
		return err
	}
}

func (b *Bridge) clientOptions(s *bridgeSession) *paho.ClientOptions {
	opts := paho.NewClientOptions().
		AddBroker(b.cfg.BrokerURL).
		SetClientID(b.cfg.ClientID).
		SetUsername(b.cfg.Username).
		SetPassword(b.cfg.Password).
		SetCleanSession(false).   // the broker queues for us while we are away
		SetAutoAckDisabled(true). // ack only once Ingest made the message durable
		SetAutoReconnect(false).  // Run reconnects, with its own backoff
		SetConnectRetry(false).
		SetOrderMatters(true). // one message at a time, in the order sent
		SetKeepAlive(b.cfg.KeepAlive).
		SetConnectTimeout(b.cfg.ConnectTimeout).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			s.end(fmt.Errorf("connection lost: %w", err))
		})
	opts.SetDefaultPublishHandler(s.unrouted)
	return opts
}

func (b *Bridge) subscribe(ctx context.Context, client paho.Client) error {
	filters := make(map[string]byte, len(b.routes))
	for _, r := range b.routes {
		filters[r.sub.Filter] = 1
	}
	tok := client.SubscribeMultiple(filters, nil) // nil: the routes added before CONNECT handle them
	if err := b.wait(ctx, tok); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	for filter, qos := range tok.(*paho.SubscribeToken).Result() {
		if qos > 2 { // 0x80: refused
			return fmt.Errorf("subscribe: broker refused filter %q", filter)
		}
	}
	return nil
}

// wait waits for tok within the connect timeout or until ctx ends.
func (b *Bridge) wait(ctx context.Context, tok paho.Token) error {
	timer := time.NewTimer(b.cfg.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-timer.C:
		return fmt.Errorf("no answer within %s", b.cfg.ConnectTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// handler ingests the messages of one route.
func (s *bridgeSession) handler(r bridgeRoute) paho.MessageHandler {
	return func(_ paho.Client, msg paho.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.halted {
			return // left unacked: redelivered after the reconnect
		}
		b := s.bridge
		res, err := b.ingest(s.ctx, r, msg)
		switch code := model.ErrorCode(err); code {
		case "":
			b.metrics.messages.WithLabelValues(outcomeIngested).Inc()
			b.metrics.itemsRejected.Add(float64(len(res.Rejected)))
			if len(res.Rejected) > 0 {
				b.logger.Info("mqtt bridge: items rejected", "topic", msg.Topic(), "accepted", res.Accepted,
					"rejected", len(res.Rejected), "first_reason", res.Rejected[0].Reason)
			}
			msg.Ack()
		case model.EOVERLOADED, model.EINTERNAL:
			b.metrics.messages.WithLabelValues(outcomeFailed).Inc()
			s.halted = true
			s.end(fmt.Errorf("ingest %s: %w", msg.Topic(), err))
		default: // bad as a whole: redelivery cannot help
			b.metrics.messages.WithLabelValues(outcomeInvalid).Inc()
			b.logger.Warn("mqtt bridge: message dropped", "topic", msg.Topic(), "code", code, "err", err)
			msg.Ack()
		}
	}
}

// ingest hands one message to the ingest service in batch form.
func (b *Bridge) ingest(ctx context.Context, r bridgeRoute, msg paho.Message) (ingest.Result, error) {
	body := msg.Payload()
	if r.sub.Format == FormatStream {
		key, err := r.key.expand(msg.Topic())
		if err != nil {
			return ingest.Result{}, err
		}
		if body, err = streamItemBody(key, body, b.now()); err != nil {
			return ingest.Result{}, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.IngestTimeout)
	defer cancel()
	return b.ing.Ingest(ctx, r.src, body)
}

// unrouted acknowledges a message that matches none of the routes, which
// happens when a filter was removed from the config but the persistent
// session still holds the subscription. Nothing here can ingest it.
func (s *bridgeSession) unrouted(_ paho.Client, msg paho.Message) {
	s.bridge.metrics.messages.WithLabelValues(outcomeUnrouted).Inc()
	s.bridge.logger.Warn("mqtt bridge: message matches no configured filter", "topic", msg.Topic())
	msg.Ack()
}

// redactURL hides a password given in the URL's user info.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
