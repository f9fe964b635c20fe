package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/ingest"
	"cityvitals/model"
)

// DefaultBrokerAddr is where the embedded broker listens unless configured
// otherwise. It is not 1883 so that it can run beside a system broker.
const DefaultBrokerAddr = "127.0.0.1:1884"

// Ingester is the ingest service as the MQTT transports use it. Ingest
// returns only when the accepted items are durable. A *model.Error with
// code EOVERLOADED means back off; EINVALID and ETOOLARGE mean the payload
// as a whole is bad.
type Ingester interface {
	Ingest(ctx context.Context, src ingest.Source, body []byte) (ingest.Result, error)
}

// Authenticator checks a device's credentials. It returns an error for an
// unknown device or a wrong secret.
type Authenticator interface {
	AuthenticateDevice(ctx context.Context, device, secret string) (ingest.Source, error)
}

// BrokerConfig configures the embedded broker. Zero fields take the
// defaults documented on each.
type BrokerConfig struct {
	// Addr is the TCP listen address; default DefaultBrokerAddr. Port 0
	// picks a free port, which Broker.Addr reports.
	Addr string
	// MaxPacketSize bounds one MQTT packet in bytes; larger packets close
	// the connection. Default 1 MiB.
	MaxPacketSize uint32
	// ReceiveMaximum is how many QoS 1/2 publishes a client may have
	// unacknowledged (MQTT 5 Receive Maximum). Default 64.
	ReceiveMaximum uint16
	// MaxInflight is how many QoS 1/2 messages the broker keeps unacknowledged
	// per client on the way out (the rejection reports). Default 256.
	MaxInflight uint16
	// MaxClients bounds concurrent connections. Default 10000.
	MaxClients int64
	// IngestTimeout bounds one Ingest or authentication call, so a stuck store
	// does not hold a connection past the client's keepalive. Default 10s.
	IngestTimeout time.Duration
	// SessionExpiry is how long the session of a disconnected persistent
	// client (subscriptions, queued reports) is kept. Default 24h.
	SessionExpiry time.Duration
}

func (c BrokerConfig) withDefaults() BrokerConfig {
	if c.Addr == "" {
		c.Addr = DefaultBrokerAddr
	}
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = 1 << 20
	}
	if c.ReceiveMaximum == 0 {
		c.ReceiveMaximum = 64
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = 256
	}
	if c.MaxClients == 0 {
		c.MaxClients = 10000
	}
	if c.IngestTimeout == 0 {
		c.IngestTimeout = 10 * time.Second
	}
	if c.SessionExpiry == 0 {
		c.SessionExpiry = 24 * time.Hour
	}
	return c
}

func (c BrokerConfig) validate() error {
	switch {
	case c.MaxClients < 0:
		return model.Errorf(model.EINVALID, "mqtt broker config: MaxClients %d is negative", c.MaxClients)
	case c.IngestTimeout < 0:
		return model.Errorf(model.EINVALID, "mqtt broker config: IngestTimeout %s is negative", c.IngestTimeout)
	case c.SessionExpiry < time.Second || c.SessionExpiry.Seconds() > math.MaxUint32:
		return model.Errorf(model.EINVALID, "mqtt broker config: SessionExpiry %s is out of range", c.SessionExpiry)
	case c.MaxPacketSize < 64:
		return model.Errorf(model.EINVALID, "mqtt broker config: MaxPacketSize %d is too small", c.MaxPacketSize)
	}
	return nil
}

// Broker is the embedded MQTT broker: devices connect with their device
// token, publish observations, and get rejection reports back. It is a
// transport only; the Ingester decides what is accepted.
type Broker struct {
	server   *mochi.Server
	listener *tcpListener
	logger   *slog.Logger
	cancel   context.CancelFunc // aborts Ingest calls in flight at shutdown

	started   atomic.Bool
	closeOnce sync.Once
}

// NewBroker binds cfg.Addr and prepares the broker; Run serves it. Metrics
// are registered on reg unless it is nil. It returns EINVALID for a bad
// config and an error when the address cannot be bound.
func NewBroker(cfg BrokerConfig, ing Ingester, auth Authenticator, logger *slog.Logger, reg prometheus.Registerer) (*Broker, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if ing == nil || auth == nil {
		return nil, errors.New("mqtt broker: Ingester and Authenticator are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "mqtt-broker")

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mqtt broker: listen on %s: %w", cfg.Addr, err)
	}
	server := mochi.New(&mochi.Options{
		Capabilities:           capabilities(cfg),
		InlineClient:           true, // publishes the rejection reports
		Logger:                 logger,
		SysTopicResendInterval: 3600, // $SYS is refused to devices; keep its upkeep rare
	})
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{server: server, listener: &tcpListener{id: "tcp", ln: ln}, logger: logger, cancel: cancel}

	metrics, collectors := newBrokerMetrics(func() float64 {
		return float64(atomic.LoadInt64(&server.Info.ClientsConnected))
	})
	hook := &ingestHook{
		server: server, ing: ing, auth: auth, logger: logger, metrics: metrics,
		ctx: ctx, timeout: cfg.IngestTimeout, now: time.Now,
	}
	if err := b.setup(hook, reg, collectors); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Broker) setup(hook *ingestHook, reg prometheus.Registerer, collectors []prometheus.Collector) error {
	if err := b.server.AddHook(hook, nil); err != nil {
		return fmt.Errorf("mqtt broker: add hook: %w", err)
	}
	if err := b.server.AddListener(b.listener); err != nil {
		return fmt.Errorf("mqtt broker: add listener: %w", err)
	}
	return register(reg, collectors)
}

// capabilities maps the config onto mochi's. Retained messages are off:
// nothing a device publishes is meant for other clients.
func capabilities(cfg BrokerConfig) *mochi.Capabilities {
	c := mochi.NewDefaultServerCapabilities()
	c.MaximumPacketSize = cfg.MaxPacketSize
	c.ReceiveMaximum = cfg.ReceiveMaximum
	c.MaximumInflight = cfg.MaxInflight
	c.MaximumClients = cfg.MaxClients
	c.MaximumSessionExpiryInterval = uint32(cfg.SessionExpiry.Seconds())
	c.RetainAvailable = 0
	c.SharedSubAvailable = 0
	return c
}

// Addr is the address the broker listens on, with the real port when the
// configured one was 0.
func (b *Broker) Addr() net.Addr { return b.listener.ln.Addr() }

// Run serves clients until ctx is cancelled, then disconnects them and
// returns nil once every connection has ended. Ingest calls still running
// at that point are cancelled and their messages left unacknowledged, so
// clients send them again to the next broker. Run may be called once.
func (b *Broker) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("mqtt broker: Run called twice")
	}
	if err := b.server.Serve(); err != nil {
		b.Close()
		return fmt.Errorf("mqtt broker: serve: %w", err)
	}
	b.logger.Info("mqtt broker listening", "addr", b.Addr().String())
	<-ctx.Done()
	b.Close()
	return nil
}

// Close stops the broker: it cancels Ingest calls in flight, disconnects
// every client and releases the listener, waiting for connections to end.
// It is safe to call more than once and needed only when Run is not used.
func (b *Broker) Close() {
	b.closeOnce.Do(func() {
		b.started.Store(true) // a closed broker cannot Run
		b.cancel()
		_ = b.server.Close()      // always nil
		_ = b.listener.ln.Close() // in case setup failed before the listener was added
		b.logger.Info("mqtt broker stopped")
	})
}

// tcpListener serves a listener bound by NewBroker, so that bind errors
// surface there and Addr is known before Run. It keeps its connections so
// that Close can end them itself (see Close).
type tcpListener struct {
	id        string
	ln        net.Listener
	log       *slog.Logger
	closeOnce sync.Once

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}
	serving sync.WaitGroup // one per connection, until establish returns
}

var _ listeners.Listener = (*tcpListener)(nil)

func (l *tcpListener) ID() string                  { return l.id }
func (l *tcpListener) Address() string             { return l.ln.Addr().String() }
func (l *tcpListener) Protocol() string            { return "tcp" }
func (l *tcpListener) Init(log *slog.Logger) error { l.log = log; return nil }

// Serve accepts connections until the listener is closed.
func (l *tcpListener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return
		}
		if !l.track(conn) {
			_ = conn.Close()
			return
		}
		go func() {
			defer l.untrack(conn)
			if err := establish(l.id, conn); err != nil {
				l.log.Debug("mqtt connection ended", "remote", conn.RemoteAddr().String(), "reason", err)
			}
		}()
	}
}

// track registers a new connection; false once the listener is closed.
func (l *tcpListener) track(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.conns == nil {
		l.conns = map[net.Conn]struct{}{}
	}
	l.conns[conn] = struct{}{}
	l.serving.Add(1)
	return true
}

func (l *tcpListener) untrack(conn net.Conn) {
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
	l.serving.Done()
}

// Close stops accepting, ends every connection and waits until each has
// left the server, and only then asks the server to close its clients of
// this listener (none should be left). The order matters: mochi-mqtt
// v2.7.9's Clients.GetByListener takes its read lock twice, so a client
// leaving (Clients.Delete, a write lock) while the server closes the
// listener's clients deadlocks both.
func (l *tcpListener) Close(closeClients listeners.CloseFn) {
	l.closeOnce.Do(func() {
		_ = l.ln.Close()
		l.mu.Lock()
		l.closed = true
		for conn := range l.conns {
			_ = conn.Close()
		}
		l.mu.Unlock()
		l.serving.Wait()
		closeClients(l.id)
	})
}
