package sgw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
)

// Config configures an Emulator.
type Config struct {
	// Listen is the S11 address (default ":2123").
	Listen string
	// MME, when valid, is where network-initiated requests go; otherwise
	// the emulator sends them to the address each UE's Create Session
	// Request came from.
	MME netip.AddrPort
	// UserPlane is the address in the S1-U SGW and S5/S8-U PGW F-TEIDs
	// (default: the listen address, or 127.0.0.1 when it is unspecified).
	UserPlane netip.Addr
	// UEPoolV4 and UEPoolV6 are the UE address pools (IPv6: one /64 per
	// PDN connection). At least one is needed.
	UEPoolV4 netip.Prefix
	UEPoolV6 netip.Prefix
	// DefaultAMBR is the APN-AMBR authorised when the request has none.
	DefaultAMBR gtp.AMBR
	// DDNRate sends that many Downlink Data Notifications per second to
	// idle UEs, round robin (0: only on request).
	DDNRate float64
	// S11 configures the endpoint (restart counter, T3, N3, echo...);
	// its Handler and Logger are the emulator's.
	S11 s11.Config
	// LogIMSI logs IMSIs in clear; by default only their first 5 digits.
	LogIMSI bool
	Logger  *slog.Logger
}

// Emulator is an SGW-C and PGW-C in one, on S11: what the MME needs from
// an SGW to attach, page and bear UEs in a lab. State is in memory.
type Emulator struct {
	cfg Config
	ep  *s11.Endpoint
	log *slog.Logger
	up  netip.Addr

	mu       sync.Mutex
	ues      map[s11.SessionKey]*UE
	byIMSI   map[string]*UE
	nextKey  s11.SessionKey
	nextTEID uint32 // user-plane TEIDs (not in the S11 table)
	nextCID  uint32 // charging IDs
	v4       *v4Pool
	v6       *v6Pool
	ddnNext  int
	counts   map[string]int
	// noForwarding: Create Indirect Data Forwarding Tunnel Requests are
	// answered "Data forwarding not supported" (SetDataForwarding).
	noForwarding bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// UE is the emulator's context of one UE: its S11 tunnel and PDN
// connections.
type UE struct {
	Key     s11.SessionKey
	IMSI    string
	MSISDN  string
	MME     netip.AddrPort // where network-initiated requests go
	MMETEID uint32         // the MME's S11 TEID (sender F-TEID of the CSR)
	SGWTEID uint32         // ours
	PDNs    map[uint8]*PDN // by linked (default) EBI
	// Idle: the bearers have no eNodeB F-TEID (after Release Access
	// Bearers, TS 23.401 §5.3.5), so downlink data triggers a DDN.
	Idle       bool
	DDNPending bool
	// Forwarding are the indirect data forwarding tunnels of an S1
	// handover (TS 23.401 §5.5.1.2.2 step 8a), by EBI, until the MME
	// deletes them (step 19b).
	Forwarding map[uint8]ForwardingTunnel
}

// ForwardingTunnel is one bearer's indirect data forwarding tunnel: the
// SGW's DL (and UL) forwarding F-TEIDs and the target eNodeB's they
// forward to (TS 29.274 §7.2.18, §7.2.19).
type ForwardingTunnel struct {
	EBI          uint8
	SGWDL, SGWUL gtp.FTEID
	ENBDL, ENBUL gtp.FTEID
}

// PDN is one PDN connection.
type PDN struct {
	APN     string
	LBI     uint8
	PAA     gtp.PAA
	AMBR    gtp.AMBR
	PGWTEID uint32 // S5/S8 PGW GTP-C TEID
	Bearers map[uint8]*Bearer
}

// Bearer is one EPS bearer.
type Bearer struct {
	EBI        uint8
	QoS        gtp.BearerQoS
	TFT        []byte
	S1USGW     gtp.FTEID
	S5S8UPGW   gtp.FTEID
	ENodeB     gtp.FTEID // zero while idle
	ChargingID uint32
}

// New starts an emulator on cfg.Listen.
func New(cfg Config) (*Emulator, error) {
	if cfg.Listen == "" {
		cfg.Listen = fmt.Sprintf(":%d", s11.DefaultPort)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DefaultAMBR == (gtp.AMBR{}) {
		cfg.DefaultAMBR = gtp.AMBR{Uplink: 50_000, Downlink: 100_000}
	}
	e := &Emulator{cfg: cfg, log: cfg.Logger, ues: map[s11.SessionKey]*UE{}, byIMSI: map[string]*UE{},
		counts: map[string]int{}, stop: make(chan struct{})}
	var err error
	if cfg.UEPoolV4.IsValid() {
		if e.v4, err = newV4Pool(cfg.UEPoolV4); err != nil {
			return nil, err
		}
	}
	if cfg.UEPoolV6.IsValid() {
		if e.v6, err = newV6Pool(cfg.UEPoolV6); err != nil {
			return nil, err
		}
	}
	if e.v4 == nil && e.v6 == nil {
		return nil, errors.New("sgw: no UE address pool")
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sgw: listen %s: %w", cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("sgw: listen %s: %w", cfg.Listen, err)
	}
	// Everything the handler reads is set before the endpoint starts it;
	// the handler reaches the endpoint through Incoming.Endpoint.
	e.up = cfg.UserPlane
	if !e.up.IsValid() {
		e.up = conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		if e.up.IsUnspecified() {
			e.up = netip.MustParseAddr("127.0.0.1")
		}
	}
	sc := cfg.S11
	sc.Handler = e.handle
	sc.Logger = cfg.Logger
	if e.ep, err = s11.New(conn, sc); err != nil {
		conn.Close()
		return nil, err
	}
	if cfg.DDNRate > 0 {
		e.wg.Add(1)
		go e.ddnLoop(time.Duration(float64(time.Second) / cfg.DDNRate))
	}
	e.log.Info("sgw-emu: S11 up", "addr", e.ep.LocalAddr(), "user_plane", e.up,
		"restart_counter", e.ep.RestartCounter(), "pool_v4", cfg.UEPoolV4, "pool_v6", cfg.UEPoolV6)
	return e, nil
}

// Addr returns the S11 address.
func (e *Emulator) Addr() netip.AddrPort { return e.ep.LocalAddr() }

// Endpoint returns the emulator's S11 endpoint.
func (e *Emulator) Endpoint() *s11.Endpoint { return e.ep }

// Close stops the DDN generator and the endpoint.
func (e *Emulator) Close() error {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	e.wg.Wait()
	return e.ep.Close()
}

func (e *Emulator) imsi(s string) string {
	if e.cfg.LogIMSI || len(s) <= 5 {
		return s
	}
	return s[:5] + "**********"[:len(s)-5]
}

func (e *Emulator) count(what string) {
	e.counts[what]++
}

// handle is the endpoint's Handler (reader goroutine): quick, no blocking.
func (e *Emulator) handle(in *s11.Incoming) {
	switch m := in.Msg.(type) {
	case *gtp.CreateSessionRequest:
		e.createSession(in, m)
	case *gtp.ModifyBearerRequest:
		e.modifyBearer(in, m)
	case *gtp.ReleaseAccessBearersRequest:
		e.releaseAccessBearers(in)
	case *gtp.DeleteSessionRequest:
		e.deleteSession(in, m)
	case *gtp.DeleteBearerCommand:
		e.deleteBearerCommand(in, m)
	case *gtp.CreateIndirectDataForwardingTunnelRequest:
		e.createIndirectForwarding(in, m)
	case *gtp.DeleteIndirectDataForwardingTunnelRequest:
		e.deleteIndirectForwarding(in)
	case *gtp.DownlinkDataNotificationFailureIndication:
		e.mu.Lock()
		if ue := e.ues[in.Session]; ue != nil {
			ue.DDNPending = false
			e.log.Info("sgw-emu: paging failed", "imsi", e.imsi(ue.IMSI), "cause", m.Cause.Value)
		}
		e.count("ddn_failure_indication")
		e.mu.Unlock()
	default:
		if resp, ok := gtp.ErrorResponse(in.Header.Type, gtp.Cause{Value: gtp.CauseServiceNotSupported}); ok {
			in.Respond(0, resp)
		}
	}
}

func accepted() gtp.Cause { return gtp.Cause{Value: gtp.CauseRequestAccepted} }

// createSession: TS 23.401 §5.3.2.1 steps 12-16, the SGW and PGW parts.
func (e *Emulator) createSession(in *s11.Incoming, m *gtp.CreateSessionRequest) {
	reject := func(c gtp.CauseValue) {
		e.mu.Lock()
		e.count("create_session_rejected")
		e.mu.Unlock()
		in.Respond(m.SenderFTEID.TEID, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: c}})
	}
	// S11 conditions (TS 29.274 Table 7.2.1-1) the codec cannot check.
	if m.SenderFTEID.Interface != gtp.IfS11MMEGTPC {
		reject(gtp.CauseMandatoryIEIncorrect)
		return
	}
	if m.IMSI == "" {
		reject(gtp.CauseIMSIIMEINotKnown) // no emergency support in the lab
		return
	}
	pdnType := m.PDNType
	if pdnType == 0 {
		pdnType = m.PAA.Type
	}
	if pdnType == 0 {
		pdnType = gtp.PDNTypeIPv4
	}
	e.mu.Lock()
	defer e.mu.Unlock()

	ue := e.ues[in.Session]
	if in.HasSession && ue == nil {
		in.Respond(m.SenderFTEID.TEID, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	if ue == nil {
		if old := e.byIMSI[m.IMSI]; old != nil {
			// A new attach of a UE we still hold (TS 23.401 §5.3.2.1:
			// the old context is gone): drop it.
			e.log.Info("sgw-emu: replacing the context of a re-attaching UE", "imsi", e.imsi(m.IMSI))
			e.dropUELocked(in.Endpoint(), old)
		}
		e.nextKey++
		ue = &UE{Key: e.nextKey, IMSI: m.IMSI, MSISDN: m.MSISDN, PDNs: map[uint8]*PDN{}}
		mme := in.Peer
		if e.cfg.MME.IsValid() {
			mme = e.cfg.MME
		}
		teid, err := in.Endpoint().AllocTEID(ue.Key, mme)
		if err != nil {
			e.count("create_session_rejected")
			in.Respond(m.SenderFTEID.TEID, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseNoResourcesAvailable}})
			return
		}
		ue.SGWTEID, ue.MME = teid, mme
	}
	ue.MMETEID = m.SenderFTEID.TEID
	for _, p := range ue.PDNs {
		if p.APN == m.APN {
			e.count("create_session_rejected")
			in.Respond(ue.MMETEID, &gtp.CreateSessionResponse{
				Cause: gtp.Cause{Value: gtp.CauseMultiplePDNConnectionsNotAllowed}})
			return
		}
	}
	if len(m.BearerContextsToBeCreated) == 0 {
		in.Respond(ue.MMETEID, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseMandatoryIEMissing}})
		return
	}
	paa, cause := e.allocPAALocked(pdnType)
	if !cause.Accepted() {
		if len(ue.PDNs) == 0 {
			e.dropUELocked(in.Endpoint(), ue)
		}
		e.count("create_session_rejected")
		in.Respond(m.SenderFTEID.TEID, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: cause}})
		return
	}
	def := m.BearerContextsToBeCreated[0]
	pdn := &PDN{APN: m.APN, LBI: def.EBI, PAA: paa, AMBR: e.cfg.DefaultAMBR, Bearers: map[uint8]*Bearer{}}
	if m.AMBR != nil {
		pdn.AMBR = *m.AMBR // the PGW authorises what the MME sends (subscribed APN-AMBR)
	}
	e.nextTEID++
	pdn.PGWTEID = e.nextTEID
	resp := &gtp.CreateSessionResponse{
		Cause:          gtp.Cause{Value: cause},
		SenderFTEID:    gtp.FTEID{Interface: gtp.IfS11S4SGWGTPC, TEID: ue.SGWTEID, IPv4: e.ctrlAddr4(), IPv6: e.ctrlAddr6()},
		PGWS5S8FTEID:   gtp.FTEID{Interface: gtp.IfS5S8PGWGTPC, TEID: pdn.PGWTEID, IPv4: e.upAddr4(), IPv6: e.upAddr6()},
		PAA:            paa,
		APNRestriction: new(uint8),
		AMBR:           &pdn.AMBR,
		LinkedEBI:      def.EBI,
	}
	for _, bc := range m.BearerContextsToBeCreated {
		b := e.newBearerLocked(bc.EBI, bc.BearerQoS, bc.TFT)
		pdn.Bearers[b.EBI] = b
		resp.BearerContextsCreated = append(resp.BearerContextsCreated, gtp.BearerContext{
			EBI: b.EBI, Cause: accepted(), S1USGWFTEID: b.S1USGW, S5S8UPGWFTEID: b.S5S8UPGW,
			BearerQoS: b.QoS, ChargingID: b.ChargingID,
		})
	}
	ue.PDNs[pdn.LBI] = pdn
	ue.Idle = false
	e.ues[ue.Key] = ue
	e.byIMSI[ue.IMSI] = ue
	e.count("create_session")
	if err := in.Respond(ue.MMETEID, resp); err != nil {
		e.log.Error("sgw-emu: cannot answer Create Session Request", "err", err)
		return
	}
	e.log.Info("sgw-emu: session created", "imsi", e.imsi(ue.IMSI), "apn", pdn.APN, "paa_v4", paa.IPv4,
		"paa_v6", paa.IPv6, "sgw_teid", ue.SGWTEID, "mme_teid", ue.MMETEID)
}

// allocPAALocked allocates UE addresses for the requested PDN type: the
// PGW may downgrade IPv4v6 to one family (cause #18, TS 29.274 §8.4) or
// refuse a family it has no pool for (#83).
func (e *Emulator) allocPAALocked(t gtp.PDNType) (gtp.PAA, gtp.CauseValue) {
	wantV4 := t == gtp.PDNTypeIPv4 || t == gtp.PDNTypeIPv4v6
	wantV6 := t == gtp.PDNTypeIPv6 || t == gtp.PDNTypeIPv4v6
	if t == gtp.PDNTypeNonIP || (!wantV4 && !wantV6) {
		return gtp.PAA{}, gtp.CausePreferredPDNTypeNotSupported
	}
	cause := gtp.CauseRequestAccepted
	if t == gtp.PDNTypeIPv4v6 && (e.v4 == nil || e.v6 == nil) {
		cause = gtp.CauseNewPDNTypeDueToNetworkPreference
	}
	paa := gtp.PAA{}
	if wantV4 && e.v4 != nil {
		a, err := e.v4.alloc()
		if err != nil {
			return gtp.PAA{}, gtp.CauseAllDynamicAddressesAreOccupied
		}
		paa.IPv4, paa.Type = a, gtp.PDNTypeIPv4
	}
	if wantV6 && e.v6 != nil {
		p, err := e.v6.alloc()
		if err != nil {
			if paa.IPv4.IsValid() {
				e.v4.release(paa.IPv4)
			}
			return gtp.PAA{}, gtp.CauseAllDynamicAddressesAreOccupied
		}
		paa.IPv6 = p
		if paa.Type == gtp.PDNTypeIPv4 {
			paa.Type = gtp.PDNTypeIPv4v6
		} else {
			paa.Type = gtp.PDNTypeIPv6
		}
	}
	if paa.Type == 0 {
		return gtp.PAA{}, gtp.CausePreferredPDNTypeNotSupported
	}
	return paa, cause
}

func (e *Emulator) newBearerLocked(ebi uint8, qos gtp.BearerQoS, tft []byte) *Bearer {
	e.nextTEID++
	s1u := gtp.FTEID{Interface: gtp.IfS1USGW, TEID: e.nextTEID, IPv4: e.upAddr4(), IPv6: e.upAddr6()}
	e.nextTEID++
	s5u := gtp.FTEID{Interface: gtp.IfS5S8PGWGTPU, TEID: e.nextTEID, IPv4: e.upAddr4(), IPv6: e.upAddr6()}
	e.nextCID++
	return &Bearer{EBI: ebi, QoS: qos, TFT: tft, S1USGW: s1u, S5S8UPGW: s5u, ChargingID: e.nextCID}
}

func (e *Emulator) upAddr4() netip.Addr {
	if e.up.Is4() {
		return e.up
	}
	return netip.Addr{}
}

func (e *Emulator) upAddr6() netip.Addr {
	if e.up.Is6() {
		return e.up
	}
	return netip.Addr{}
}

func (e *Emulator) ctrlAddr4() netip.Addr { return e.upAddr4() }
func (e *Emulator) ctrlAddr6() netip.Addr { return e.upAddr6() }

// dropUELocked releases a UE's addresses and TEID.
func (e *Emulator) dropUELocked(ep *s11.Endpoint, ue *UE) {
	for _, p := range ue.PDNs {
		e.releasePAALocked(p.PAA)
	}
	ep.ReleaseTEID(ue.SGWTEID)
	delete(e.ues, ue.Key)
	if e.byIMSI[ue.IMSI] == ue {
		delete(e.byIMSI, ue.IMSI)
	}
}

func (e *Emulator) releasePAALocked(p gtp.PAA) {
	if e.v4 != nil && p.IPv4.IsValid() {
		e.v4.release(p.IPv4)
	}
	if e.v6 != nil && p.IPv6.IsValid() {
		e.v6.release(p.IPv6)
	}
}

func (ue *UE) bearer(ebi uint8) (*PDN, *Bearer) {
	for _, p := range ue.PDNs {
		if b := p.Bearers[ebi]; b != nil {
			return p, b
		}
	}
	return nil, nil
}

// modifyBearer: eNodeB F-TEIDs after attach, service request or handover
// (TS 23.401 §5.3.2.1 step 23, §5.3.4.1 step 8).
func (e *Emulator) modifyBearer(in *s11.Incoming, m *gtp.ModifyBearerRequest) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ue := e.ues[in.Session]
	if ue == nil {
		in.Respond(0, &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	if !m.SenderFTEID.IsZero() {
		ue.MMETEID = m.SenderFTEID.TEID
	}
	resp := &gtp.ModifyBearerResponse{Cause: accepted(), MSISDN: ue.MSISDN}
	found := 0
	for _, bc := range m.BearerContextsToBeModified {
		_, b := ue.bearer(bc.EBI)
		if b == nil {
			resp.BearerContextsModified = append(resp.BearerContextsModified,
				gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
			continue
		}
		found++
		if !bc.S1UENodeBFTEID.IsZero() {
			b.ENodeB = bc.S1UENodeBFTEID
		}
		resp.BearerContextsModified = append(resp.BearerContextsModified,
			gtp.BearerContext{EBI: b.EBI, Cause: accepted(), S1USGWFTEID: b.S1USGW, ChargingID: b.ChargingID})
	}
	for _, bc := range m.BearerContextsToBeRemoved {
		if p, b := ue.bearer(bc.EBI); b != nil && b.EBI != p.LBI {
			delete(p.Bearers, b.EBI)
			resp.BearerContextsMarkedForRemoval = append(resp.BearerContextsMarkedForRemoval,
				gtp.BearerContext{EBI: bc.EBI, Cause: accepted()})
		}
	}
	switch {
	case len(m.BearerContextsToBeModified) > 0 && found == 0:
		resp = &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}}
	case found < len(m.BearerContextsToBeModified):
		resp.Cause.Value = gtp.CauseRequestAcceptedPartially
	}
	if found > 0 {
		ue.Idle, ue.DDNPending = false, false
	}
	e.count("modify_bearer")
	in.Respond(ue.MMETEID, resp)
}

// SetDataForwarding says whether the emulator supports indirect data
// forwarding (the default); without it a Create Indirect Data Forwarding
// Tunnel Request is answered "Data forwarding not supported" (#106,
// TS 29.274 §8.4), as an SGW without forwarding resources does.
func (e *Emulator) SetDataForwarding(supported bool) {
	e.mu.Lock()
	e.noForwarding = !supported
	e.mu.Unlock()
}

// createIndirectForwarding: TS 23.401 §5.5.1.2.2 step 8a, TS 29.274
// §7.2.18-19: per bearer context naming a bearer of the UE and a target
// eNodeB DL (UL) forwarding F-TEID, a fresh SGW forwarding F-TEID; unknown
// bearers get "Context not found"; none accepted: the message is refused.
func (e *Emulator) createIndirectForwarding(in *s11.Incoming, m *gtp.CreateIndirectDataForwardingTunnelRequest) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count("create_indirect_forwarding")
	ue := e.ues[in.Session]
	if ue == nil {
		in.Respond(0, &gtp.CreateIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	if e.noForwarding {
		in.Respond(ue.MMETEID, &gtp.CreateIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: gtp.CauseDataForwardingNotSupported}})
		return
	}
	resp := &gtp.CreateIndirectDataForwardingTunnelResponse{Cause: accepted()}
	tunnels := map[uint8]ForwardingTunnel{}
	for _, bc := range m.BearerContexts {
		_, b := ue.bearer(bc.EBI)
		if b == nil || bc.ENBDLForwardingFTEID.IsZero() && bc.ENBULForwardingFTEID.IsZero() {
			resp.BearerContexts = append(resp.BearerContexts, gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
			continue
		}
		ft := ForwardingTunnel{EBI: bc.EBI, ENBDL: bc.ENBDLForwardingFTEID, ENBUL: bc.ENBULForwardingFTEID}
		rb := gtp.BearerContext{EBI: bc.EBI, Cause: accepted()}
		if !ft.ENBDL.IsZero() {
			e.nextTEID++
			ft.SGWDL = gtp.FTEID{Interface: gtp.IfSGWDLForwarding, TEID: e.nextTEID, IPv4: e.upAddr4(), IPv6: e.upAddr6()}
			rb.SGWDLForwardingFTEID = ft.SGWDL
		}
		if !ft.ENBUL.IsZero() {
			e.nextTEID++
			ft.SGWUL = gtp.FTEID{Interface: gtp.IfSGWULForwarding, TEID: e.nextTEID, IPv4: e.upAddr4(), IPv6: e.upAddr6()}
			rb.SGWULForwardingFTEID = ft.SGWUL
		}
		tunnels[bc.EBI] = ft
		resp.BearerContexts = append(resp.BearerContexts, rb)
	}
	switch {
	case len(tunnels) == 0:
		resp = &gtp.CreateIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}}
	case len(tunnels) < len(m.BearerContexts):
		resp.Cause.Value = gtp.CauseRequestAcceptedPartially
	}
	if len(tunnels) > 0 {
		// A new request replaces the tunnels of an earlier handover.
		ue.Forwarding = tunnels
	}
	in.Respond(ue.MMETEID, resp)
}

// deleteIndirectForwarding: TS 23.401 §5.5.1.2.2 step 19b, TS 29.274
// §7.2.22-23: the UE's forwarding tunnels are released; a UE without any
// gets "Context not found".
func (e *Emulator) deleteIndirectForwarding(in *s11.Incoming) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count("delete_indirect_forwarding")
	ue := e.ues[in.Session]
	if ue == nil || len(ue.Forwarding) == 0 {
		teid := uint32(0)
		if ue != nil {
			teid = ue.MMETEID
		}
		in.Respond(teid, &gtp.DeleteIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	ue.Forwarding = nil
	in.Respond(ue.MMETEID, &gtp.DeleteIndirectDataForwardingTunnelResponse{Cause: accepted()})
}

// releaseAccessBearers: S1 release, the UE goes ECM-IDLE (TS 23.401
// §5.3.5 step 2): the eNodeB F-TEIDs are dropped.
func (e *Emulator) releaseAccessBearers(in *s11.Incoming) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ue := e.ues[in.Session]
	if ue == nil {
		in.Respond(0, &gtp.ReleaseAccessBearersResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	for _, p := range ue.PDNs {
		for _, b := range p.Bearers {
			b.ENodeB = gtp.FTEID{}
		}
	}
	ue.Idle = true
	e.count("release_access_bearers")
	in.Respond(ue.MMETEID, &gtp.ReleaseAccessBearersResponse{Cause: accepted()})
	e.log.Info("sgw-emu: UE idle", "imsi", e.imsi(ue.IMSI))
}

// deleteSession: detach or PDN disconnection (TS 23.401 §5.3.8.2, §5.10.3).
func (e *Emulator) deleteSession(in *s11.Incoming, m *gtp.DeleteSessionRequest) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ue := e.ues[in.Session]
	if ue == nil {
		in.Respond(0, &gtp.DeleteSessionResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	lbi := m.LinkedEBI
	if lbi == 0 && len(ue.PDNs) == 1 {
		for l := range ue.PDNs {
			lbi = l
		}
	}
	pdn := ue.PDNs[lbi]
	if pdn == nil {
		c := gtp.Cause{Value: gtp.CauseContextNotFound}
		if lbi == 0 {
			// TS 29.274 Table 7.2.9.1-1: the Linked EBI tells which PDN
			// connection; with several, it is needed.
			c = gtp.Cause{Value: gtp.CauseConditionalIEMissing, Offending: gtp.IEID{Type: gtp.IEEBI}, HasOffending: true}
		}
		in.Respond(ue.MMETEID, &gtp.DeleteSessionResponse{Cause: c})
		return
	}
	mmeTEID := ue.MMETEID
	e.releasePAALocked(pdn.PAA)
	delete(ue.PDNs, lbi)
	if len(ue.PDNs) == 0 {
		e.dropUELocked(in.Endpoint(), ue)
	}
	e.count("delete_session")
	in.Respond(mmeTEID, &gtp.DeleteSessionResponse{Cause: accepted()})
	e.log.Info("sgw-emu: session deleted", "imsi", e.imsi(ue.IMSI), "lbi", lbi)
}

// deleteBearerCommand: MME-initiated bearer deactivation (TS 23.401
// §5.4.4.2): answered by a Delete Bearer Request with the command's
// sequence number, or a Failure Indication.
func (e *Emulator) deleteBearerCommand(in *s11.Incoming, m *gtp.DeleteBearerCommand) {
	e.mu.Lock()
	ue := e.ues[in.Session]
	if ue == nil {
		e.mu.Unlock()
		in.Respond(0, &gtp.DeleteBearerFailureIndication{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		return
	}
	var ebis []uint8
	var failed []gtp.BearerContext
	for _, bc := range m.BearerContexts {
		if _, b := ue.bearer(bc.EBI); b != nil {
			ebis = append(ebis, bc.EBI)
		} else {
			failed = append(failed, gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
		}
	}
	mmeTEID, key := ue.MMETEID, ue.Key
	e.mu.Unlock()
	if len(ebis) == 0 {
		in.Respond(mmeTEID, &gtp.DeleteBearerFailureIndication{Cause: gtp.Cause{Value: gtp.CauseContextNotFound},
			BearerContexts: failed})
		return
	}
	req := &gtp.DeleteBearerRequest{EBIs: ebis, FailedBearerContexts: failed}
	ep := in.Endpoint()
	err := in.TriggerRequest(mmeTEID, req, func(resp gtp.Message, err error) {
		e.deleteBearersAnswered(ep, key, ebis, resp, err)
	})
	if err != nil {
		e.log.Error("sgw-emu: cannot send Delete Bearer Request", "err", err)
	}
}

// deleteBearersAnswered removes the bearers the MME confirmed deleted.
func (e *Emulator) deleteBearersAnswered(ep *s11.Endpoint, key s11.SessionKey, ebis []uint8, resp gtp.Message, err error) gtp.CauseValue {
	if err != nil {
		e.log.Warn("sgw-emu: Delete Bearer Request failed", "err", err)
		return 0
	}
	r, ok := resp.(*gtp.DeleteBearerResponse)
	if !ok {
		return 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count("delete_bearer")
	ue := e.ues[key]
	if ue == nil || (!r.Cause.Accepted() && r.Cause.Value != gtp.CauseContextNotFound) {
		return r.Cause.Value
	}
	perBearer := map[uint8]gtp.Cause{}
	for _, bc := range r.BearerContexts {
		perBearer[bc.EBI] = bc.Cause
	}
	for _, ebi := range ebis {
		if c, ok := perBearer[ebi]; ok && !c.Accepted() && c.Value != gtp.CauseContextNotFound {
			continue
		}
		if p := ue.PDNs[ebi]; p != nil { // the default bearer: the whole PDN connection
			e.releasePAALocked(p.PAA)
			delete(ue.PDNs, ebi)
			continue
		}
		if p, b := ue.bearer(ebi); b != nil {
			delete(p.Bearers, ebi)
		}
	}
	if len(ue.PDNs) == 0 {
		e.dropUELocked(ep, ue)
	}
	return r.Cause.Value
}

// ---- network-initiated procedures (admin API and DDN generator) ----

// ErrNoUE: no UE with that IMSI.
var ErrNoUE = errors.New("sgw: no such UE")

// ErrNotIdle: a Downlink Data Notification is only for an idle UE.
var ErrNotIdle = errors.New("sgw: UE is not idle")

// ErrNoBearer: no bearer with that EBI.
var ErrNoBearer = errors.New("sgw: no such bearer")

// RejectedError is an MME's rejection of a network-initiated request.
type RejectedError struct {
	Procedure gtp.MessageType
	Cause     gtp.CauseValue
}

func (r *RejectedError) Error() string {
	return fmt.Sprintf("sgw: %v rejected by the MME: %v", r.Procedure, r.Cause)
}

// request sends m to the UE's MME and waits for the answer or ctx.
func (e *Emulator) request(ctx context.Context, to netip.AddrPort, teid uint32, m gtp.Message) (gtp.Message, error) {
	return e.ep.RequestSync(ctx, to, teid, m)
}

// DownlinkData makes the SGW behave as on downlink data for an idle UE: it
// sends a Downlink Data Notification for the default bearer (TS 23.401
// §5.3.4.3 step 2a) and returns the MME's acknowledgement cause.
func (e *Emulator) DownlinkData(ctx context.Context, imsi string) (gtp.CauseValue, error) {
	e.mu.Lock()
	ue := e.byIMSI[imsi]
	if ue == nil {
		e.mu.Unlock()
		return 0, ErrNoUE
	}
	if !ue.Idle {
		e.mu.Unlock()
		return 0, ErrNotIdle
	}
	ddn, to, teid, key := e.ddnLocked(ue)
	e.mu.Unlock()
	resp, err := e.request(ctx, to, teid, ddn)
	return e.ddnAnswered(key, resp, err)
}

func (e *Emulator) ddnLocked(ue *UE) (*gtp.DownlinkDataNotification, netip.AddrPort, uint32, s11.SessionKey) {
	var lbi uint8 = 255
	for l := range ue.PDNs {
		lbi = min(lbi, l)
	}
	m := &gtp.DownlinkDataNotification{EBI: lbi, IMSI: ue.IMSI}
	if p := ue.PDNs[lbi]; p != nil {
		if b := p.Bearers[lbi]; b != nil {
			arp := b.QoS.ARP
			m.ARP = &arp
		}
	}
	ue.DDNPending = true
	e.count("downlink_data_notification")
	return m, ue.MME, ue.MMETEID, ue.Key
}

func (e *Emulator) ddnAnswered(key s11.SessionKey, resp gtp.Message, err error) (gtp.CauseValue, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ue := e.ues[key]
	if err != nil {
		if ue != nil {
			ue.DDNPending = false
		}
		return 0, err
	}
	ack := resp.(*gtp.DownlinkDataNotificationAcknowledge)
	e.count("ddn_ack")
	if !ack.Cause.Accepted() {
		if ue != nil {
			ue.DDNPending = false
		}
		return ack.Cause.Value, &RejectedError{gtp.TypeDownlinkDataNotification, ack.Cause.Value}
	}
	return ack.Cause.Value, nil
}

// ddnLoop sends DDNs to idle UEs at the configured rate (round robin).
func (e *Emulator) ddnLoop(every time.Duration) {
	defer e.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		e.mu.Lock()
		keys := make([]s11.SessionKey, 0, len(e.ues))
		for k, ue := range e.ues {
			if ue.Idle && !ue.DDNPending {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			e.mu.Unlock()
			continue
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		e.ddnNext++
		ue := e.ues[keys[e.ddnNext%len(keys)]]
		ddn, to, teid, key := e.ddnLocked(ue)
		e.mu.Unlock()
		err := e.ep.Request(to, teid, ddn, func(resp gtp.Message, err error) { e.ddnAnswered(key, resp, err) })
		if err != nil {
			e.log.Warn("sgw-emu: cannot send DDN", "err", err)
		}
	}
}

// BearerRequest describes a dedicated bearer to create.
type BearerRequest struct {
	LBI uint8 // PDN connection (default bearer); 0: the UE's first
	QoS gtp.BearerQoS
	// TFT is the EPS bearer level TFT value (TS 24.008 §10.5.6.12);
	// nil: one bidirectional packet filter matching UDP.
	TFT []byte
}

// defaultTFT: "create new TFT", one bidirectional packet filter, id 1,
// precedence 0, protocol identifier UDP (TS 24.008 §10.5.6.12).
var defaultTFT = []byte{0x21, 0x31, 0x00, 0x02, 0x30, 0x11}

// MobilityRetries and MobilityRetryDelay bound how a Create Bearer Request
// the MME refused with cause #110 "Temporarily rejected due to handover/
// TAU/RAU procedure in progress" is sent again (TS 23.401 §5.4.1 NOTE 2):
// up to MobilityRetries attempts in all, MobilityRetryDelay apart.
const (
	MobilityRetries    = 5
	MobilityRetryDelay = 200 * time.Millisecond
)

// CreateBearer starts a network-initiated dedicated bearer activation
// (TS 23.401 §5.4.1): Create Bearer Request to the MME; on acceptance the
// bearer is kept with the EBI the MME assigned, which is returned. A
// refusal with cause #110 (a handover, TAU or release in progress) is
// re-attempted, as a PGW does (MobilityRetries).
func (e *Emulator) CreateBearer(ctx context.Context, imsi string, br BearerRequest) (uint8, error) {
	if br.QoS.QCI == 0 {
		br.QoS = gtp.BearerQoS{QCI: 1, ARP: gtp.ARP{PL: 2, PVI: true}, MBRUplink: 128, MBRDownlink: 128, GBRUplink: 64, GBRDownlink: 64}
	}
	if br.TFT == nil {
		br.TFT = defaultTFT
	}
	e.mu.Lock()
	ue := e.byIMSI[imsi]
	if ue == nil {
		e.mu.Unlock()
		return 0, ErrNoUE
	}
	if br.LBI == 0 {
		br.LBI = 255
		for l := range ue.PDNs {
			br.LBI = min(br.LBI, l)
		}
	}
	pdn := ue.PDNs[br.LBI]
	if pdn == nil {
		e.mu.Unlock()
		return 0, ErrNoBearer
	}
	b := e.newBearerLocked(0, br.QoS, br.TFT)
	to, teid, key := ue.MME, ue.MMETEID, ue.Key
	e.count("create_bearer")
	e.mu.Unlock()
	req := &gtp.CreateBearerRequest{LinkedEBI: br.LBI, BearerContexts: []gtp.BearerContext{{
		EBI: 0, TFT: b.TFT, S1USGWFTEID: b.S1USGW, S5S8UPGWFTEID: b.S5S8UPGW, BearerQoS: b.QoS, ChargingID: b.ChargingID,
	}}}
	var r *gtp.CreateBearerResponse
	for attempt := 1; ; attempt++ {
		resp, err := e.request(ctx, to, teid, req)
		if err != nil {
			return 0, err
		}
		r = resp.(*gtp.CreateBearerResponse)
		if r.Cause.Value != gtp.CauseTemporarilyRejectedDueToMobility || attempt == MobilityRetries {
			break
		}
		// TS 23.401 §5.4.1 NOTE 2, TS 29.274 §8.4: the MME is in a
		// mobility (or release) procedure; the PGW re-attempts once it
		// is over.
		e.mu.Lock()
		e.count("create_bearer_reattempt")
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(MobilityRetryDelay):
		}
	}
	if !r.Cause.Accepted() || len(r.BearerContexts) == 0 || !r.BearerContexts[0].Cause.Accepted() {
		c := r.Cause.Value
		if c.Accepted() && len(r.BearerContexts) > 0 {
			c = r.BearerContexts[0].Cause.Value
		}
		return 0, &RejectedError{gtp.TypeCreateBearerRequest, c}
	}
	bc := r.BearerContexts[0]
	e.mu.Lock()
	defer e.mu.Unlock()
	ue = e.ues[key]
	if ue == nil || ue.PDNs[br.LBI] == nil {
		return 0, ErrNoUE
	}
	b.EBI, b.ENodeB = bc.EBI, bc.S1UENodeBFTEID
	ue.PDNs[br.LBI].Bearers[b.EBI] = b
	return b.EBI, nil
}

// UpdateBearer starts a network-initiated bearer modification (TS 23.401
// §5.4.2): Update Bearer Request with the new QoS (if QCI is set) and
// APN-AMBR (if set).
func (e *Emulator) UpdateBearer(ctx context.Context, imsi string, ebi uint8, qos gtp.BearerQoS, ambr *gtp.AMBR) error {
	e.mu.Lock()
	ue := e.byIMSI[imsi]
	if ue == nil {
		e.mu.Unlock()
		return ErrNoUE
	}
	pdn, b := ue.bearer(ebi)
	if b == nil {
		e.mu.Unlock()
		return ErrNoBearer
	}
	newAMBR := pdn.AMBR
	if ambr != nil {
		newAMBR = *ambr
	}
	to, teid, key := ue.MME, ue.MMETEID, ue.Key
	e.count("update_bearer")
	e.mu.Unlock()
	bc := gtp.BearerContext{EBI: ebi, BearerQoS: qos}
	resp, err := e.request(ctx, to, teid, &gtp.UpdateBearerRequest{BearerContexts: []gtp.BearerContext{bc}, AMBR: newAMBR})
	if err != nil {
		return err
	}
	r := resp.(*gtp.UpdateBearerResponse)
	if !r.Cause.Accepted() {
		return &RejectedError{gtp.TypeUpdateBearerRequest, r.Cause.Value}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ue = e.ues[key]; ue != nil {
		if pdn, b := ue.bearer(ebi); b != nil {
			pdn.AMBR = newAMBR
			if !qos.IsZero() {
				b.QoS = qos
			}
		}
	}
	return nil
}

// BearerUpdate is one bearer context of UpdateBearers: the EBI and its new
// QoS (zero: unchanged).
type BearerUpdate struct {
	EBI uint8
	QoS gtp.BearerQoS
}

// UpdateBearers starts a network-initiated modification of several bearers
// of one PDN connection (TS 23.401 §5.4.2.1): one Update Bearer Request
// with a bearer context per update (TS 29.274 §7.2.15) and the APN-AMBR
// (ambr, or unchanged). It returns the MME's answer: the message cause and
// each bearer's cause (TS 29.274 §7.2.16); the accepted bearers take their
// new QoS. An EBI the emulator does not know is sent all the same (the MME
// answers it "Context not found").
func (e *Emulator) UpdateBearers(ctx context.Context, imsi string, ups []BearerUpdate, ambr *gtp.AMBR) (*gtp.UpdateBearerResponse, error) {
	e.mu.Lock()
	ue := e.byIMSI[imsi]
	if ue == nil || len(ups) == 0 {
		e.mu.Unlock()
		return nil, ErrNoUE
	}
	var pdn *PDN
	for _, u := range ups {
		if p, _ := ue.bearer(u.EBI); p != nil && pdn == nil {
			pdn = p
		}
	}
	if pdn == nil {
		e.mu.Unlock()
		return nil, ErrNoBearer
	}
	newAMBR := pdn.AMBR
	if ambr != nil {
		newAMBR = *ambr
	}
	to, teid, key := ue.MME, ue.MMETEID, ue.Key
	e.count("update_bearer")
	e.mu.Unlock()
	req := &gtp.UpdateBearerRequest{AMBR: newAMBR}
	for _, u := range ups {
		req.BearerContexts = append(req.BearerContexts, gtp.BearerContext{EBI: u.EBI, BearerQoS: u.QoS})
	}
	resp, err := e.request(ctx, to, teid, req)
	if err != nil {
		return nil, err
	}
	r := resp.(*gtp.UpdateBearerResponse)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ue = e.ues[key]; ue != nil && r.Cause.Accepted() {
		for _, bc := range r.BearerContexts {
			if !bc.Cause.Accepted() {
				continue
			}
			for _, u := range ups {
				if p, b := ue.bearer(bc.EBI); b != nil && u.EBI == bc.EBI {
					p.AMBR = newAMBR
					if !u.QoS.IsZero() {
						b.QoS = u.QoS
					}
				}
			}
		}
	}
	return r, nil
}

// DeleteBearer starts a network-initiated bearer deactivation (TS 23.401
// §5.4.4.1): a dedicated bearer by EBI, or the whole PDN connection when
// ebi is its default bearer (Linked EBI).
func (e *Emulator) DeleteBearer(ctx context.Context, imsi string, ebi uint8) error {
	e.mu.Lock()
	ue := e.byIMSI[imsi]
	if ue == nil {
		e.mu.Unlock()
		return ErrNoUE
	}
	_, b := ue.bearer(ebi)
	if b == nil {
		e.mu.Unlock()
		return ErrNoBearer
	}
	req := &gtp.DeleteBearerRequest{EBIs: []uint8{ebi}}
	if ue.PDNs[ebi] != nil {
		req = &gtp.DeleteBearerRequest{LinkedEBI: ebi}
	}
	to, teid, key := ue.MME, ue.MMETEID, ue.Key
	e.mu.Unlock()
	resp, err := e.request(ctx, to, teid, req)
	c := e.deleteBearersAnswered(e.ep, key, []uint8{ebi}, resp, err)
	if err != nil {
		return err
	}
	if !c.Accepted() {
		return &RejectedError{gtp.TypeDeleteBearerRequest, c}
	}
	return nil
}

// UEs returns a snapshot of the UE contexts, by IMSI.
func (e *Emulator) UEs() []UE {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]UE, 0, len(e.byIMSI))
	for _, ue := range e.byIMSI {
		out = append(out, ue.copy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IMSI < out[j].IMSI })
	return out
}

// UE returns a snapshot of the UE context of imsi.
func (e *Emulator) UE(imsi string) (UE, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ue := e.byIMSI[imsi]
	if ue == nil {
		return UE{}, false
	}
	return ue.copy(), true
}

func (ue *UE) copy() UE {
	c := *ue
	c.PDNs = make(map[uint8]*PDN, len(ue.PDNs))
	for l, p := range ue.PDNs {
		pc := *p
		pc.Bearers = make(map[uint8]*Bearer, len(p.Bearers))
		for k, b := range p.Bearers {
			bc := *b
			pc.Bearers[k] = &bc
		}
		c.PDNs[l] = &pc
	}
	c.Forwarding = maps.Clone(ue.Forwarding)
	return c
}

// Counts returns how many of each procedure the emulator handled.
func (e *Emulator) Counts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.counts))
	for k, v := range e.counts {
		out[k] = v
	}
	return out
}
