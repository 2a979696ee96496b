package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
)

// Mode selects the SCTP implementation behind an Endpoint.
type Mode int

const (
	// ModeAuto uses kernel SCTP when the kernel supports it (probed by
	// opening an SCTP socket) and otherwise SCTP over UDP, logging one line.
	ModeAuto Mode = iota + 1
	// ModeKernel uses the operating system's SCTP (Linux, RFC 4960/9260).
	ModeKernel
	// ModeUDP uses userspace SCTP (pion/sctp) encapsulated in UDP (RFC 6951).
	ModeUDP
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeKernel:
		return "kernel"
	case ModeUDP:
		return "udp"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "auto", "kernel" or "udp" (the config and CLI spelling).
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return ModeAuto, nil
	case "kernel":
		return ModeKernel, nil
	case "udp":
		return ModeUDP, nil
	}
	return 0, fmt.Errorf("transport: unknown mode %q (want auto, kernel or udp)", s)
}

// Well-known numbers.
const (
	// S1APPort is the SCTP port of S1-MME (TS 36.412 §7).
	S1APPort = 36412
	// S1APPPID is the SCTP payload protocol identifier of S1AP
	// (TS 36.412 §7, IANA "S1 Application Protocol").
	S1APPPID = 18
	// UDPEncapsulationPort is the IANA port for SCTP over UDP (RFC 6951 §5.1).
	UDPEncapsulationPort = 9899
)

// RTO holds the retransmission timeout bounds (RFC 4960 §6.3.1 and
// §15: RTO.Initial, RTO.Min, RTO.Max).
type RTO struct {
	Initial, Min, Max time.Duration
}

// Liveness configures how a dead or silent peer is detected in UDP mode,
// where pion/sctp neither sends path heartbeats nor ever gives up
// retransmitting. See docs/design/s1-transport.md "Liveness".
type Liveness struct {
	// Timeout bounds the time from the last SCTP packet heard from the
	// peer to the association being reported down (default 5 s).
	Timeout time.Duration
	// Interval is how long the association may be silent before the
	// endpoint sends an SCTP HEARTBEAT, which the peer must answer at the
	// SCTP layer (RFC 4960 §8.3), and how often it repeats while silent
	// (default 1 s). Timeout must leave room for at least two probes.
	Interval time.Duration
}

// Config configures an Endpoint. DefaultConfig gives the production values;
// zero durations and sizes are replaced by those defaults, zero ports are
// ephemeral (for tests).
type Config struct {
	// Mode selects kernel SCTP or SCTP over UDP (default ModeAuto).
	Mode Mode

	// LocalAddrs are the addresses to bind. Kernel mode binds all of them
	// (multi-homing, RFC 4960 §6.4); UDP mode binds the first one only.
	// Empty means the IPv4 wildcard.
	LocalAddrs []netip.Addr
	// Port is the SCTP port: the listening port in kernel mode and the
	// SCTP port written in the common header of dialed associations in UDP
	// mode (pion always uses 5000; the endpoint rewrites it). Default 36412.
	Port uint16
	// UDPPort is the UDP port a UDP-mode endpoint listens on (RFC 6951 §5.1,
	// default 9899 in DefaultConfig; 0 is ephemeral).
	UDPPort uint16

	// InStreams and OutStreams bound the number of inbound and outbound
	// streams (RFC 4960 §5.1.1 MIS and OS); the negotiated counts are the
	// minimum of ours and the peer's. Default 32 each.
	InStreams, OutStreams uint16

	// RTO, HeartbeatInterval, PathMaxRetrans and AssocMaxRetrans are the
	// RFC 4960 §15 protocol parameters. Kernel mode applies all of them;
	// UDP mode applies RTO.Max (pion has no others, see the design note).
	RTO               RTO
	HeartbeatInterval time.Duration
	PathMaxRetrans    int
	AssocMaxRetrans   int
	// MaxInitAttempts bounds INIT retransmissions in kernel mode (default 4).
	MaxInitAttempts int
	// NoDelay disables Nagle-like bundling delay (SCTP_NODELAY, kernel mode;
	// pion never delays). Default true in DefaultConfig.
	NoDelay bool

	// Liveness is the UDP-mode dead-peer detection (kernel mode uses the
	// kernel's heartbeats: HeartbeatInterval, PathMaxRetrans, RTO).
	Liveness Liveness

	// MaxMessageSize bounds one user message in both directions, in bytes
	// (default 65536). A larger inbound message aborts the association.
	MaxMessageSize int
	// SendQueueBytes bounds the bytes queued or in flight per association;
	// Send beyond it fails with ErrSendQueueFull (default 1 MiB).
	SendQueueBytes int
	// ReceiveWindow is the advertised receiver window a_rwnd in bytes
	// (default 1 MiB).
	ReceiveWindow int
	// MaxAssociations bounds associations per endpoint, established and in
	// handshake together (default 1024).
	MaxAssociations int
	// MaxPendingHandshakes bounds inbound associations between INIT and
	// COOKIE ECHO (UDP mode, default 64): an INIT flood cannot hold more.
	MaxPendingHandshakes int
	// HandshakeTimeout bounds a handshake, inbound or dialed (default 3 s).
	HandshakeTimeout time.Duration
	// UDPMTU is the largest SCTP packet in UDP mode, in bytes (default
	// 1452: a 1500-byte IPv6 path less the IPv6 and UDP headers).
	UDPMTU int

	// Logger receives the endpoint's logs (default slog.Default()).
	Logger *slog.Logger

	keepInitParams bool // tests only: no INIT parameter filter
	// afterHandshake, tests only, runs on an inbound handshake's goroutine
	// between pion's handshake and the association's start (UDP mode): a
	// test holds it to let the peer act inside that window.
	afterHandshake func()
}

// DefaultConfig returns the production configuration: auto mode, S1AP port
// 36412, UDP port 9899, 32 streams each way, 5 s liveness.
func DefaultConfig() Config {
	c := Config{Mode: ModeAuto, Port: S1APPort, UDPPort: UDPEncapsulationPort, NoDelay: true}
	c.fill()
	return c
}

// fill replaces zero values with the defaults.
func (c *Config) fill() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defi := func(d *int, v int) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Mode == 0 {
		c.Mode = ModeAuto
	}
	if c.InStreams == 0 {
		c.InStreams = 32
	}
	if c.OutStreams == 0 {
		c.OutStreams = 32
	}
	def(&c.RTO.Initial, 500*time.Millisecond)
	def(&c.RTO.Min, 100*time.Millisecond)
	def(&c.RTO.Max, 1*time.Second)
	def(&c.HeartbeatInterval, 1*time.Second)
	defi(&c.PathMaxRetrans, 4)
	defi(&c.AssocMaxRetrans, 4)
	defi(&c.MaxInitAttempts, 4)
	def(&c.Liveness.Timeout, 5*time.Second)
	def(&c.Liveness.Interval, 1*time.Second)
	defi(&c.MaxMessageSize, 65536)
	defi(&c.SendQueueBytes, 1<<20)
	defi(&c.ReceiveWindow, 1<<20)
	defi(&c.MaxAssociations, 1024)
	defi(&c.MaxPendingHandshakes, 64)
	def(&c.HandshakeTimeout, 3*time.Second)
	defi(&c.UDPMTU, 1452)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("transport: invalid config")

func (c *Config) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch c.Mode {
	case ModeAuto, ModeKernel, ModeUDP:
	default:
		return bad("mode %v", c.Mode)
	}
	if c.RTO.Min > c.RTO.Max || c.RTO.Initial < c.RTO.Min || c.RTO.Initial > c.RTO.Max {
		return bad("RTO min %v <= initial %v <= max %v does not hold", c.RTO.Min, c.RTO.Initial, c.RTO.Max)
	}
	if c.Liveness.Timeout < 2*c.Liveness.Interval+2*livenessTick(c.Liveness) {
		return bad("liveness timeout %v leaves no room for two probes every %v", c.Liveness.Timeout, c.Liveness.Interval)
	}
	if c.MaxMessageSize < 1 || c.MaxMessageSize > 1<<24 {
		return bad("max message size %d", c.MaxMessageSize)
	}
	if c.SendQueueBytes < c.MaxMessageSize {
		return bad("send queue %d bytes is smaller than the max message size %d", c.SendQueueBytes, c.MaxMessageSize)
	}
	if c.ReceiveWindow < 1500 {
		return bad("receive window %d < 1500 (RFC 4960 §3.3.2)", c.ReceiveWindow)
	}
	if c.UDPMTU < 576 || c.UDPMTU > 8192 {
		return bad("UDP MTU %d outside 576..8192", c.UDPMTU)
	}
	if c.MaxAssociations < 1 || c.MaxPendingHandshakes < 1 {
		return bad("max associations %d and max pending handshakes %d must be positive", c.MaxAssociations, c.MaxPendingHandshakes)
	}
	for _, a := range c.LocalAddrs {
		if !a.IsValid() {
			return bad("local address %v", a)
		}
	}
	return nil
}
