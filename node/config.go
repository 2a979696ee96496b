package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/session"
)

// Config is the node's configuration, read from YAML (mme serve --config).
// Zero fields take the defaults of DefaultConfig, which run on loopback
// with the lab peers' defaults: S1 over SCTP-over-UDP on 127.0.0.1:9899
// (kernel SCTP where the kernel has it), SGW 127.0.0.1:2123, HSS
// 127.0.0.1:3868, the store in ./data, HTTP on 127.0.0.1:8080.
type Config struct {
	// Name is the node name in crash reports and the S1 Setup Response
	// MME name (TS 36.413 §9.2.3.21).
	Name string `yaml:"name"`
	// PLMN ("00101"), MME group ID and MME code make the GUMMEI
	// (TS 23.003 §2.8).
	PLMN  string `yaml:"plmn"`
	MMEGI uint16 `yaml:"mmegi"`
	MMEC  uint8  `yaml:"mmec"`
	// RelativeCapacity is the relative MME capacity of S1 Setup
	// (TS 36.413 §9.2.3.17, 0-255).
	RelativeCapacity *int `yaml:"relative_capacity"`
	// TAIs are the served tracking areas.
	TAIs []TAIConfig `yaml:"tais"`

	S1       S1Config       `yaml:"s1"`
	S11      S11Config      `yaml:"s11"`
	S6a      S6aConfig      `yaml:"s6a"`
	Security SecurityConfig `yaml:"security"`
	NAS      NASConfig      `yaml:"nas"`
	Store    StoreConfig    `yaml:"store"`
	HTTP     HTTPConfig     `yaml:"http"`
	Log      LogConfig      `yaml:"log"`
	Actors   ActorsConfig   `yaml:"actors"`
	Runtime  RuntimeConfig  `yaml:"runtime"`
	// Faults is the fault-injection switch (issue #8), off by default.
	Faults FaultsConfig `yaml:"faults"`
}

// RuntimeConfig tunes the Go runtime of the process (applied by `mme
// serve`, not by New).
type RuntimeConfig struct {
	// GCPercent is GOGC (debug.SetGCPercent). Default 400: measured, the
	// S1 transport reaches ~200k messages/s only with it (docs/performance.md);
	// the heap may grow to five times the live data. -1 disables the GC.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimitMB is the soft memory limit (debug.SetMemoryLimit) that
	// bounds what GCPercent lets the heap grow to; 0: none.
	MemoryLimitMB int `yaml:"memory_limit_mb"`
}

// TAIConfig is one served tracking area: PLMN and TAC (TS 23.003 §19.4.2.3).
type TAIConfig struct {
	PLMN string `yaml:"plmn"` // default: the node's PLMN
	TAC  uint16 `yaml:"tac"`
}

// S1Config is the S1-MME endpoint (TS 36.412 §7).
type S1Config struct {
	// Listen are the local addresses (multi-homing in kernel mode; UDP mode
	// binds the first).
	Listen []string `yaml:"listen"`
	// Transport is auto, kernel or udp (SCTP over UDP, RFC 6951).
	Transport string `yaml:"transport"`
	Port      uint16 `yaml:"port"`     // SCTP port, default 36412
	UDPPort   *int   `yaml:"udp_port"` // UDP encapsulation port, default 9899 (0: ephemeral)
	// Streams is the number of SCTP streams each way (default 32).
	Streams uint16 `yaml:"streams"`
}

// S11Config is the S11 GTPv2-C endpoint and the SGW (TS 29.274).
type S11Config struct {
	// Local is this MME's S11 address:port. Default 127.0.0.1:2124: the lab
	// SGW takes 2123 on the same loopback address; the SGW answers to the
	// source of each request (TS 29.274 §4.2).
	Local string `yaml:"local"`
	// SGW is the SGW's S11 address:port.
	SGW string `yaml:"sgw"`
	// PGW is the PDN GW S5/S8 address given in Create Session (default: the SGW's).
	PGW          string        `yaml:"pgw"`
	T3           time.Duration `yaml:"t3"`
	N3           int           `yaml:"n3"`
	EchoInterval time.Duration `yaml:"echo_interval"`
	// RestartCounterFile keeps the GTP restart counter (TS 23.007 §18);
	// default: the store's meta data.
	RestartCounterFile string `yaml:"restart_counter_file"`
}

// S6aConfig is the Diameter S6a client (TS 29.272, RFC 6733).
type S6aConfig struct {
	Peers            []string      `yaml:"peers"`
	OriginHost       string        `yaml:"origin_host"`
	OriginRealm      string        `yaml:"origin_realm"`
	DestinationRealm string        `yaml:"destination_realm"`
	Watchdog         time.Duration `yaml:"watchdog"`
	RequestTimeout   time.Duration `yaml:"request_timeout"`
}

// SecurityConfig is the NAS security policy (TS 33.401 §7.2.4.3).
type SecurityConfig struct {
	// Integrity and Ciphering are priority lists ("EIA2", "EEA0", ...).
	Integrity []string `yaml:"integrity"`
	Ciphering []string `yaml:"ciphering"`
	// RequestIMEISV asks for the IMEISV in SECURITY MODE COMMAND.
	RequestIMEISV *bool `yaml:"request_imeisv"`
	// AuthenticateAlways runs EPS-AKA at every attach.
	AuthenticateAlways bool `yaml:"authenticate_always"`
	// Vectors per Authentication-Information-Request (1-5).
	Vectors uint32 `yaml:"vectors"`
}

// NASConfig holds the NAS timers and policies (TS 24.301 §10.2).
type NASConfig struct {
	T3412 time.Duration `yaml:"t3412"`
	T3346 time.Duration `yaml:"t3346"`
	T3450 time.Duration `yaml:"t3450"`
	T3460 time.Duration `yaml:"t3460"`
	T3470 time.Duration `yaml:"t3470"`
	T3422 time.Duration `yaml:"t3422"`
	T3489 time.Duration `yaml:"t3489"`
	// T3485, T3486, T3495 guard the network's ESM requests (TS 24.301
	// table 10.3.1; default 8 s).
	T3485           time.Duration `yaml:"t3485"`
	T3486           time.Duration `yaml:"t3486"`
	T3495           time.Duration `yaml:"t3495"`
	MobileReachable time.Duration `yaml:"mobile_reachable"`
	ImplicitDetach  time.Duration `yaml:"implicit_detach"`
	S1Guard         time.Duration `yaml:"s1_guard"`
	// TS1RelocPrep and TS1RelocOverall guard an S1 handover (TS 36.413
	// §8.4.1.2); 0: 5 s and 10 s.
	TS1RelocPrep    time.Duration `yaml:"ts1relocprep"`
	TS1RelocOverall time.Duration `yaml:"ts1relocoverall"`
	// TAIList is the TAI list policy: "served" (default: the UE's TAI then
	// the other served TAIs of its PLMN) or "current" (the UE's TAI only:
	// a UE leaving its TA runs a TAU, TS 23.401 §4.3.5.3, §5.5.1.1.2).
	TAIList string `yaml:"tai_list"`
	// EmergencyBearerServices and IMSVoPS go in EPS network feature
	// support (TS 24.301 §9.9.3.12A).
	EmergencyBearerServices bool `yaml:"emergency_bearer_services"`
	IMSVoPS                 bool `yaml:"ims_vops"`
	// PurgeUE sends Purge-UE after a detach (TS 29.272 §5.2.1.3).
	PurgeUE bool `yaml:"purge_ue"`
	// FullName and ShortName go in EMM INFORMATION (TS 24.301 §5.4.5).
	FullName  string `yaml:"full_name"`
	ShortName string `yaml:"short_name"`
	// v2 (issue #9, idle mode)
	// T3413 guards one paging attempt; PagingAttempts is how many
	// PAGINGs are sent for one Downlink Data Notification (TS 24.301
	// §5.6.2.2; 0: 3). GUTIReallocation runs a GUTI reallocation after
	// every that many service requests (TS 24.301 §5.4.1; 0: never).
	T3413            time.Duration `yaml:"t3413"`
	PagingAttempts   uint8         `yaml:"paging_attempts"`
	GUTIReallocation uint32        `yaml:"guti_reallocation"`
	// Reauthentication re-authenticates a UE (EPS-AKA and security mode
	// control) in every that many-th TAU or service request since its
	// last authentication (TS 24.301 §5.4.2.1; 0: only when a request
	// fails its integrity check).
	Reauthentication uint32 `yaml:"reauthentication"`
}

// StoreConfig is the subscriber store (docs/design/store.md).
type StoreConfig struct {
	// Dir is the badger directory (default ./data); "memory" keeps it in
	// memory (nothing survives a restart).
	Dir        string `yaml:"dir"`
	SyncWrites bool   `yaml:"sync_writes"`
	// MemTableMB and CacheMB size badger's memtables and block cache.
	MemTableMB int `yaml:"memtable_mb"`
	CacheMB    int `yaml:"cache_mb"`
	// CrashReports is how many crash reports the store keeps, the oldest
	// rotated out (default 1000; `mme demo --chaos` keeps every one).
	CrashReports int `yaml:"crash_reports"`
	// Persist false turns persistence off: subscriber records live in Go
	// maps only, with no badger write at all (metadata and crash reports
	// go to an in-memory badger); nothing survives a restart. For
	// measuring what the store costs (docs/performance.md); unlike dir
	// "memory", which runs badger's whole write path in RAM. Default true.
	Persist *bool `yaml:"persist"`
}

// Persistent reports whether subscriber records go to the store.
func (s StoreConfig) Persistent() bool { return s.Persist == nil || *s.Persist }

// HTTPConfig is the operations endpoint: /metrics, /healthz, /readyz and
// the admin API.
type HTTPConfig struct {
	Listen string `yaml:"listen"` // "" disables; default 127.0.0.1:8080
}

// LogConfig controls logging.
type LogConfig struct {
	Level string `yaml:"level"` // debug, info, warn, error
	// IMSI shows IMSIs in logs and crash reports in clear (default:
	// redacted to their PLMN part).
	IMSI bool `yaml:"imsi"`
}

// ActorsConfig sizes the session workers (supervision.Actors).
type ActorsConfig struct {
	Workers int `yaml:"workers"` // default GOMAXPROCS
	Mailbox int `yaml:"mailbox"` // per worker, default 4096
}

// DefaultConfig returns the configuration `mme serve` runs with when no file
// is given.
func DefaultConfig() Config {
	capacity := 255
	udp := transport.UDPEncapsulationPort
	imeisv := true
	return Config{
		Name: "mme1", PLMN: "00101", MMEGI: 0x8001, MMEC: 1, RelativeCapacity: &capacity,
		TAIs: []TAIConfig{{TAC: 1}, {TAC: 2}, {TAC: 3}, {TAC: 4}},
		S1:   S1Config{Listen: []string{"127.0.0.1"}, Transport: "auto", Port: transport.S1APPort, UDPPort: &udp, Streams: 32},
		S11:  S11Config{Local: "127.0.0.1:2124", SGW: "127.0.0.1:2123", T3: 3 * time.Second, N3: 3, EchoInterval: 60 * time.Second},
		S6a: S6aConfig{Peers: []string{"127.0.0.1:3868"}, OriginHost: "mme1.epc.mnc001.mcc001.3gppnetwork.org",
			OriginRealm: "epc.mnc001.mcc001.3gppnetwork.org", DestinationRealm: "epc.mnc001.mcc001.3gppnetwork.org",
			Watchdog: 30 * time.Second, RequestTimeout: 5 * time.Second},
		Security: SecurityConfig{Integrity: []string{"EIA2", "EIA1"}, Ciphering: []string{"EEA2", "EEA0"},
			RequestIMEISV: &imeisv, Vectors: 1},
		NAS: NASConfig{T3412: 54 * time.Minute, T3346: 30 * time.Minute, T3450: 6 * time.Second, T3460: 6 * time.Second,
			T3470: 6 * time.Second, T3422: 6 * time.Second, T3489: 4 * time.Second, ImplicitDetach: 4 * time.Minute,
			S1Guard: 5 * time.Second},
		Store:   StoreConfig{Dir: "./data"},
		HTTP:    HTTPConfig{Listen: "127.0.0.1:8080"},
		Log:     LogConfig{Level: "info"},
		Runtime: RuntimeConfig{GCPercent: 400},
	}
}

// LoadConfig reads a YAML file over the defaults. Unknown keys are errors.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(b)
}

// ParseConfig reads YAML over the defaults and validates the result.
func ParseConfig(b []byte) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// fieldError names the offending field: "config: s1.listen[1]: ...".
func fieldError(field, format string, a ...any) error {
	return fmt.Errorf("config: %s: "+format, append([]any{field}, a...)...)
}

// Validate checks the configuration; errors name the field.
func (c *Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is the validated, parsed configuration.
type resolved struct {
	plmn       nas.PLMNID
	tais       []nas.TAI
	s1Addrs    []netip.Addr
	s1Mode     transport.Mode
	s11Local   netip.AddrPort
	sgw        netip.AddrPort
	pgw        netip.Addr
	eia        []security.EIA
	eea        []security.EEA
	timers     session.TimerValues
	capacity   uint8
	storeInMem bool
}

func (c *Config) resolve() (*resolved, error) {
	r := &resolved{}
	var err error
	if r.plmn, err = nas.ParsePLMNID(c.PLMN); err != nil {
		return nil, fieldError("plmn", "%q: %v", c.PLMN, err)
	}
	if c.Name == "" {
		return nil, fieldError("name", "empty")
	}
	if c.RelativeCapacity != nil {
		if *c.RelativeCapacity < 0 || *c.RelativeCapacity > 255 {
			return nil, fieldError("relative_capacity", "%d outside 0..255 (TS 36.413 §9.2.3.17)", *c.RelativeCapacity)
		}
		r.capacity = uint8(*c.RelativeCapacity)
	}
	if len(c.TAIs) == 0 {
		return nil, fieldError("tais", "no served tracking area")
	}
	seen := map[nas.TAI]bool{}
	for i, t := range c.TAIs {
		p := r.plmn
		if t.PLMN != "" {
			if p, err = nas.ParsePLMNID(t.PLMN); err != nil {
				return nil, fieldError(fmt.Sprintf("tais[%d].plmn", i), "%q: %v", t.PLMN, err)
			}
		}
		tai := nas.TAI{PLMN: p, TAC: t.TAC}
		if seen[tai] {
			return nil, fieldError(fmt.Sprintf("tais[%d]", i), "duplicate TAI %v", tai)
		}
		seen[tai] = true
		r.tais = append(r.tais, tai)
	}
	if len(c.S1.Listen) == 0 {
		return nil, fieldError("s1.listen", "no address")
	}
	for i, a := range c.S1.Listen {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fieldError(fmt.Sprintf("s1.listen[%d]", i), "%q is not an IP address", a)
		}
		r.s1Addrs = append(r.s1Addrs, ip)
	}
	if r.s1Mode, err = transport.ParseMode(c.S1.Transport); err != nil {
		return nil, fieldError("s1.transport", "%v", err)
	}
	if c.S1.UDPPort != nil && (*c.S1.UDPPort < 0 || *c.S1.UDPPort > 65535) {
		return nil, fieldError("s1.udp_port", "%d outside 0..65535", *c.S1.UDPPort)
	}
	if c.S1.Streams < 2 {
		return nil, fieldError("s1.streams", "%d: at least 2 (stream 0 for non-UE signalling, TS 36.412 §7)", c.S1.Streams)
	}
	if r.s11Local, err = netip.ParseAddrPort(c.S11.Local); err != nil {
		return nil, fieldError("s11.local", "%q: %v", c.S11.Local, err)
	}
	if r.sgw, err = netip.ParseAddrPort(c.S11.SGW); err != nil {
		return nil, fieldError("s11.sgw", "%q: %v", c.S11.SGW, err)
	}
	if r.s11Local.Addr().IsUnspecified() {
		return nil, fieldError("s11.local", "needs a concrete address: it goes in the MME's F-TEID (TS 29.274 §8.22)")
	}
	if c.S11.PGW != "" {
		if r.pgw, err = netip.ParseAddr(c.S11.PGW); err != nil {
			return nil, fieldError("s11.pgw", "%q: %v", c.S11.PGW, err)
		}
	}
	if c.S11.T3 <= 0 || c.S11.N3 <= 0 {
		return nil, fieldError("s11.t3", "T3 %v and N3 %d must be positive (TS 29.274 §7.6)", c.S11.T3, c.S11.N3)
	}
	if len(c.S6a.Peers) == 0 {
		return nil, fieldError("s6a.peers", "no HSS")
	}
	for i, p := range c.S6a.Peers {
		if _, err := netip.ParseAddrPort(p); err != nil && !strings.Contains(p, ":") {
			return nil, fieldError(fmt.Sprintf("s6a.peers[%d]", i), "%q is not host:port", p)
		}
	}
	for _, f := range []struct{ name, v string }{{"s6a.origin_host", c.S6a.OriginHost}, {"s6a.origin_realm", c.S6a.OriginRealm},
		{"s6a.destination_realm", c.S6a.DestinationRealm}} {
		if f.v == "" {
			return nil, fieldError(f.name, "empty (RFC 6733 §6.3-6.4)")
		}
	}
	for i, s := range c.Security.Integrity {
		a, err := parseAlgorithm(s, "EIA")
		if err != nil {
			return nil, fieldError(fmt.Sprintf("security.integrity[%d]", i), "%v", err)
		}
		if a == 0 {
			return nil, fieldError(fmt.Sprintf("security.integrity[%d]", i), "EIA0 is only for unauthenticated emergency calls (TS 33.401 §5.1.4.1)")
		}
		r.eia = append(r.eia, security.EIA(a))
	}
	for i, s := range c.Security.Ciphering {
		a, err := parseAlgorithm(s, "EEA")
		if err != nil {
			return nil, fieldError(fmt.Sprintf("security.ciphering[%d]", i), "%v", err)
		}
		r.eea = append(r.eea, security.EEA(a))
	}
	if len(r.eia) == 0 {
		return nil, fieldError("security.integrity", "empty")
	}
	if len(r.eea) == 0 {
		return nil, fieldError("security.ciphering", "empty")
	}
	if c.Security.Vectors < 1 || c.Security.Vectors > 5 {
		return nil, fieldError("security.vectors", "%d outside 1..5 (TS 29.272 §7.3.14)", c.Security.Vectors)
	}
	n := c.NAS
	if n.T3412 <= 0 {
		return nil, fieldError("nas.t3412", "must be positive")
	}
	if n.TAIList != "" && n.TAIList != "served" && n.TAIList != "current" {
		return nil, fieldError("nas.tai_list", "%q: want served or current", n.TAIList)
	}
	r.timers = session.DefaultTimerValues(n.T3412)
	for _, t := range []struct {
		name string
		v    time.Duration
		dst  *time.Duration
	}{{"nas.t3450", n.T3450, &r.timers.T3450}, {"nas.t3460", n.T3460, &r.timers.T3460}, {"nas.t3470", n.T3470, &r.timers.T3470},
		{"nas.t3422", n.T3422, &r.timers.T3422}, {"nas.t3489", n.T3489, &r.timers.T3489},
		{"nas.mobile_reachable", n.MobileReachable, &r.timers.MobileReachable}, {"nas.implicit_detach", n.ImplicitDetach, &r.timers.ImplicitDetach},
		{"nas.s1_guard", n.S1Guard, &r.timers.S1Guard}, {"nas.t3413", n.T3413, &r.timers.T3413},
		{"nas.ts1relocprep", n.TS1RelocPrep, &r.timers.S1RelocPrep}, {"nas.ts1relocoverall", n.TS1RelocOverall, &r.timers.S1RelocOverall},
		{"nas.t3485", n.T3485, &r.timers.T3485},
		{"nas.t3486", n.T3486, &r.timers.T3486}, {"nas.t3495", n.T3495, &r.timers.T3495}} {
		if t.v < 0 {
			return nil, fieldError(t.name, "negative")
		}
		if t.v > 0 {
			*t.dst = t.v
		}
	}
	for _, name := range []string{n.FullName, n.ShortName} {
		if name != "" {
			if _, err := nas.NewNetworkName(name, false); err != nil {
				return nil, fieldError("nas.full_name", "%q: %v", name, err)
			}
		}
	}
	switch c.Store.Dir {
	case "":
		return nil, fieldError("store.dir", "empty (a directory, or \"memory\")")
	case "memory":
		r.storeInMem = true
	}
	if c.Store.MemTableMB < 0 || c.Store.CacheMB < 0 {
		return nil, fieldError("store", "negative size")
	}
	if c.Store.CrashReports < 0 || c.Store.CrashReports > 1_000_000 {
		return nil, fieldError("store.crash_reports", "%d outside 0..1000000 (0: the default, 1000)", c.Store.CrashReports)
	}
	if c.HTTP.Listen != "" {
		if _, err := netip.ParseAddrPort(c.HTTP.Listen); err != nil {
			return nil, fieldError("http.listen", "%q: %v", c.HTTP.Listen, err)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "", "debug", "info", "warn", "error":
	default:
		return nil, fieldError("log.level", "%q (debug, info, warn or error)", c.Log.Level)
	}
	if c.Runtime.GCPercent < -1 || c.Runtime.GCPercent == 0 {
		return nil, fieldError("runtime.gc_percent", "%d: -1 (off) or positive", c.Runtime.GCPercent)
	}
	if c.Runtime.MemoryLimitMB < 0 {
		return nil, fieldError("runtime.memory_limit_mb", "negative")
	}
	if c.Actors.Workers < 0 || c.Actors.Mailbox < 0 {
		return nil, fieldError("actors", "negative size")
	}
	if err := c.Faults.validate("faults"); err != nil {
		return nil, err
	}
	return r, nil
}

// parseAlgorithm reads "EIA2" / "EEA0" (or a bare digit) for a prefix.
func parseAlgorithm(s, prefix string) (uint8, error) {
	v := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), prefix)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 3 {
		return 0, fmt.Errorf("%q is not %s0-%s3", s, prefix, prefix)
	}
	return uint8(n), nil
}

// sessionConfig derives the session's configuration.
func (c *Config) sessionConfig(r *resolved) *session.Config {
	imeisv := c.Security.RequestIMEISV == nil || *c.Security.RequestIMEISV
	return &session.Config{
		PLMN: r.plmn, MMEGroupID: c.MMEGI, MMECode: c.MMEC, TAIs: r.tais,
		EIA: r.eia, EEA: r.eea,
		EmergencyBearerServices: c.NAS.EmergencyBearerServices, IMSVoPS: c.NAS.IMSVoPS,
		RequestIMEISV: imeisv, AuthenticateAlways: c.Security.AuthenticateAlways, AuthVectors: c.Security.Vectors,
		T3412: c.NAS.T3412, T3346: c.NAS.T3346, Timers: r.timers, PurgeUE: c.NAS.PurgeUE,
		NetworkFullName: c.NAS.FullName, NetworkShortName: c.NAS.ShortName,
		MMES11: r.s11Local.Addr(), SGW: r.sgw, PGW: r.pgw,
		PagingAttempts: c.NAS.PagingAttempts, GUTIReallocation: c.NAS.GUTIReallocation,
		Reauthentication: c.NAS.Reauthentication,
		TAIListCurrent:   c.NAS.TAIList == "current",
	}
}

// WriteConfig writes cfg as YAML (mme serve --print-config).
func WriteConfig(w io.Writer, cfg Config) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return enc.Close()
}
