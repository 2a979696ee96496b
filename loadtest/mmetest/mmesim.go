package mmetest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
)

// Subscriber is what the HSS would hold for one IMSI.
type Subscriber struct {
	IMSI   string
	K, OPc [16]byte
	SQN    uint64 // next SQN to issue (SEQ || 5-bit IND)
}

// Config configures the simulated MME.
type Config struct {
	PLMN     nas.PLMNID
	TACs     []uint16
	MMEGI    uint16
	MMEC     uint8
	Capacity uint8
	Name     string
	// T3412 is the periodic TAU timer given to UEs (GPRS timer).
	T3412 nas.GPRSTimer
	// ReallocateGUTIOnTAU sends a new GUTI in TAU ACCEPT.
	ReallocateGUTIOnTAU bool
	// EMMInformation sends EMM INFORMATION after the attach.
	EMMInformation bool
	// FixedRAND makes vectors reproducible (benchmarks); zero: random.
	FixedRAND [16]byte
	// FirstMMEUEID is the first MME-UE-S1AP-ID allocated.
	FirstMMEUEID uint32
	// SingleTAIList gives each UE a TAI list of its current TAI only, so
	// a move to another TA (handover, cell change) needs a TAU.
	SingleTAIList bool
	// IgnoreAttach drops every ATTACH REQUEST (the UE's T3410 runs out).
	IgnoreAttach bool
}

// Peer is one eNodeB association as the MME sends on it.
type Peer interface {
	Send(stream uint16, ppid uint32, data []byte) error
}

// MME is the simulated MME.
type MME struct {
	cfg Config

	mu       sync.Mutex
	subs     map[string]*Subscriber
	enbs     map[Peer]*enbCtx
	byMME    map[uint32]*ueCtx
	byTMSI   map[uint32]*ueCtx
	byIMSI   map[string]*ueCtx
	nextID   uint32
	nextTMSI uint32
	nextTEID uint32

	// Counts are procedure completions seen by the MME (for tests).
	Counts sync.Map // string → *atomic.Int64

	// Errors are protocol errors the MME saw (for tests to assert none).
	errMu  sync.Mutex
	Errors []string
}

type enbCtx struct {
	peer  Peer
	id    uint32
	plmn  [3]byte
	tacs  []uint16
	setup bool
}

// ueCtx is the MME's subscriber context plus its S1 connection.
type ueCtx struct {
	sub  *Subscriber
	imsi string

	// S1 connection (nil enb: idle)
	enb     *enbCtx
	enbID   uint32
	mmeID   uint32
	connKey uint32 // the mmeID indexing this connection

	sec        *security.Context
	pending    security.EUTRANVector
	pendKSI    uint8
	ksi        uint8
	caps       nas.UENetworkCapability
	registered bool
	mtmsi      uint32
	hasGUTI    bool
	attachPTI  uint8
	esmInfo    bool
	apn        string
	kenb, nh   [32]byte
	ncc        uint8
	lastUL     security.Count
	tac        uint16 // TAC of the UE's cell (last S1 message)

	erabs   []erabCtx
	nextEBI uint8

	ho               *hoCtx
	detaching        bool
	pendingDedicated bool
	// pagePending: downlink data came while the MME still had the UE
	// connected (its UE CONTEXT RELEASE COMPLETE in flight): page once
	// the release completes, as the SGW's buffered data would.
	pagePending bool
	// released: the MME-UE-S1AP-ID of the connection a UE CONTEXT
	// RELEASE COMMAND went out for (0: none); a bearer request for it
	// waits for the release and pages.
	released uint32
}

type erabCtx struct {
	ebi     uint8
	sgwTEID uint32
	enbTEID [4]byte
	enbAddr []byte
	def     bool
}

type hoCtx struct {
	target      *enbCtx
	targetID    uint32 // MME-UE-S1AP-ID at the target
	targetENBID uint32
	erabs       []erabCtx
}

// New returns a simulated MME with the given subscribers.
func New(cfg Config, subs []Subscriber) *MME {
	if cfg.Capacity == 0 {
		cfg.Capacity = 127
	}
	if cfg.Name == "" {
		cfg.Name = "mmesim"
	}
	if cfg.T3412 == (nas.GPRSTimer{}) {
		cfg.T3412 = nas.GPRSTimer{Unit: nas.TimerUnitDecihour, Value: 9} // 54 min
	}
	m := &MME{cfg: cfg, subs: map[string]*Subscriber{}, enbs: map[Peer]*enbCtx{}, byMME: map[uint32]*ueCtx{},
		byTMSI: map[uint32]*ueCtx{}, byIMSI: map[string]*ueCtx{}, nextID: cfg.FirstMMEUEID + 1, nextTMSI: 0x10000001, nextTEID: 1}
	for i := range subs {
		s := subs[i]
		m.subs[s.IMSI] = &s
	}
	return m
}

func (m *MME) count(name string) {
	v, _ := m.Counts.LoadOrStore(name, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Count returns how many times the MME completed name.
func (m *MME) Count(name string) int64 {
	if v, ok := m.Counts.Load(name); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (m *MME) errorf(format string, a ...any) {
	m.errMu.Lock()
	m.Errors = append(m.Errors, fmt.Sprintf(format, a...))
	m.errMu.Unlock()
}

// ErrorList returns the protocol errors seen so far.
func (m *MME) ErrorList() []string {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	return append([]string(nil), m.Errors...)
}

// --- transport adapter ---

// HandleEvent implements transport.Handler.
func (m *MME) HandleEvent(ev transport.Event) {
	if ev.Kind == transport.EventDown {
		m.mu.Lock()
		delete(m.enbs, Peer(ev.Assoc))
		m.mu.Unlock()
	}
}

// HandleMessage implements transport.Handler.
func (m *MME) HandleMessage(a *transport.Association, msg transport.Message) {
	m.Handle(a, msg.Data)
}

// Handle processes one uplink S1AP message from peer (any goroutine).
func (m *MME) Handle(peer Peer, data []byte) {
	pdu, err := s1ap.Decode(data)
	if err != nil {
		m.errorf("decode uplink S1AP: %v", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.enbs[peer]
	if e == nil {
		e = &enbCtx{peer: peer}
		m.enbs[peer] = e
	}
	switch v := pdu.Message.(type) {
	case *s1ap.S1SetupRequest:
		m.onS1Setup(e, v)
	case *s1ap.Reset:
		m.onReset(e, v)
	case *s1ap.ResetAcknowledge, *s1ap.MMEConfigurationUpdateAcknowledge:
		m.count(pdu.Message.MessageName())
	case *s1ap.InitialUEMessage:
		m.onInitialUE(e, v)
	case *s1ap.UplinkNASTransport:
		if u := m.ue(uint32(v.MMEUES1APID)); u != nil {
			u.tac = uint16(v.TAI.TAC[0])<<8 | uint16(v.TAI.TAC[1])
			m.onUplinkNAS(u, v.NASPDU)
		}
	case *s1ap.InitialContextSetupResponse:
		if u := m.ue(uint32(v.MMEUES1APID)); u != nil {
			for _, it := range v.ERABSetupListCtxtSURes {
				u.setENBTEID(uint8(it.ERABID), it.GTPTEID, it.TransportLayerAddress.Bytes)
			}
			m.count("InitialContextSetupResponse")
			m.afterICS(u)
		}
	case *s1ap.InitialContextSetupFailure:
		if u := m.ue(uint32(v.MMEUES1APID)); u != nil {
			m.count("InitialContextSetupFailure")
			m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasUnspecified})
		}
	case *s1ap.UECapabilityInfoIndication:
		m.count("UECapabilityInfoIndication")
	case *s1ap.UEContextReleaseRequest:
		if u := m.ue(uint32(v.MMEUES1APID)); u != nil {
			m.release(u, v.Cause)
		}
	case *s1ap.UEContextReleaseComplete:
		if u := m.ue(uint32(v.MMEUES1APID)); u != nil && u.mmeID == uint32(v.MMEUES1APID) {
			m.dropConn(u) // not the source's half of a finished handover
			if u.pagePending && u.registered && u.hasGUTI {
				u.pagePending = false
				m.page(u)
			}
		}
		delete(m.byMME, uint32(v.MMEUES1APID))
		m.count("UEContextReleaseComplete")
	case *s1ap.ERABSetupResponse:
		if u := m.ue(uint32(v.MMEUES1APID)); u != nil {
			if l, ok := v.ERABSetupListBearerSURes.Get(); ok {
				for _, it := range l {
					u.setENBTEID(uint8(it.ERABID), it.GTPTEID, it.TransportLayerAddress.Bytes)
				}
			}
		}
	case *s1ap.ERABReleaseResponse, *s1ap.ERABModifyResponse, *s1ap.UEContextModificationResponse:
	case *s1ap.PathSwitchRequest:
		m.onPathSwitch(e, v)
	case *s1ap.HandoverRequired:
		m.onHandoverRequired(e, v)
	case *s1ap.HandoverRequestAcknowledge:
		m.onHandoverRequestAck(e, v)
	case *s1ap.HandoverFailure:
		m.onHandoverFailure(v)
	case *s1ap.ENBStatusTransfer:
		m.onENBStatusTransfer(v)
	case *s1ap.HandoverNotify:
		m.onHandoverNotify(e, v)
	case *s1ap.HandoverCancel:
		m.onHandoverCancel(v)
	case *s1ap.ErrorIndication:
		m.errorf("ErrorIndication from eNB: %+v", v.Cause)
	default:
		m.errorf("unexpected uplink %s", pdu.Message.MessageName())
	}
}

func (m *MME) ue(id uint32) *ueCtx {
	u := m.byMME[id]
	if u == nil {
		m.errorf("unknown MME-UE-S1AP-ID %d", id)
	}
	return u
}

func (m *MME) send(e *enbCtx, stream uint16, msg s1ap.Message) {
	b, err := s1ap.Encode(msg)
	if err != nil {
		m.errorf("encode %s: %v", msg.MessageName(), err)
		return
	}
	if err := e.peer.Send(stream, transport.S1APPPID, b); err != nil && !errors.Is(err, transport.ErrAssociationDown) {
		// (An association the tester shut down at the end of its run is
		// not a protocol error.)
		m.errorf("send %s: %v", msg.MessageName(), err)
	}
}

func (m *MME) sendUE(u *ueCtx, msg s1ap.Message) {
	if u.enb == nil {
		m.errorf("send %s to an idle UE", msg.MessageName())
		return
	}
	m.send(u.enb, 1+uint16(u.enbID%7), msg)
}

// --- non-UE procedures ---

func (m *MME) onS1Setup(e *enbCtx, v *s1ap.S1SetupRequest) {
	e.id = uint32(v.GlobalENBID.ENBID.MacroENBID)
	e.plmn = [3]byte(v.GlobalENBID.PLMNidentity)
	e.tacs = nil
	ok := false
	for _, ta := range v.SupportedTAs {
		tac := uint16(ta.TAC[0])<<8 | uint16(ta.TAC[1])
		e.tacs = append(e.tacs, tac)
		for _, p := range ta.BroadcastPLMNs {
			if [3]byte(p) == m.cfg.PLMN && m.serves(tac) {
				ok = true
			}
		}
	}
	if !ok {
		// TS 36.413 §8.7.3.3: no served PLMN among the broadcast ones.
		m.send(e, 0, &s1ap.S1SetupFailure{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscUnknownPLMN}})
		m.count("S1SetupFailure")
		return
	}
	e.setup = true
	g := uint16(m.cfg.MMEGI)
	m.send(e, 0, &s1ap.S1SetupResponse{MMEname: s1ap.Some(s1ap.MMEname(m.cfg.Name)),
		ServedGUMMEIs: s1ap.ServedGUMMEIs{{ServedPLMNs: s1ap.ServedPLMNs{s1ap.PLMNidentity(m.cfg.PLMN)},
			ServedGroupIDs: s1ap.ServedGroupIDs{s1ap.MMEGroupID{byte(g >> 8), byte(g)}},
			ServedMMECs:    s1ap.ServedMMECs{s1ap.MMECode{m.cfg.MMEC}}}},
		RelativeMMECapacity: s1ap.RelativeMMECapacity(m.cfg.Capacity)})
	m.count("S1SetupResponse")
}

func (m *MME) serves(tac uint16) bool {
	for _, t := range m.cfg.TACs {
		if t == tac {
			return true
		}
	}
	return false
}

func (m *MME) onReset(e *enbCtx, v *s1ap.Reset) {
	for id, u := range m.byMME {
		if u.enb == e {
			delete(m.byMME, id)
			m.dropConn(u)
		}
	}
	m.send(e, 0, &s1ap.ResetAcknowledge{})
	m.count("Reset")
}

// ResetAll sends an MME-initiated RESET of the whole interface to every
// eNodeB and forgets their UE connections.
func (m *MME) ResetAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.enbs {
		for id, u := range m.byMME {
			if u.enb == e {
				delete(m.byMME, id)
				m.dropConn(u)
			}
		}
		m.send(e, 0, &s1ap.Reset{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscOmIntervention},
			ResetType: s1ap.ResetType{Choice: s1ap.ResetTypeChoiceS1Interface, S1Interface: s1ap.ResetAllResetAll}})
	}
}

// ConfigurationUpdate sends MME CONFIGURATION UPDATE with a new capacity.
func (m *MME) ConfigurationUpdate(capacity uint8) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.enbs {
		m.send(e, 0, &s1ap.MMEConfigurationUpdate{RelativeMMECapacity: s1ap.Some(s1ap.RelativeMMECapacity(capacity))})
	}
}

func (m *MME) dropConn(u *ueCtx) {
	u.enb = nil
	u.ho = nil
}

// release sends UE CONTEXT RELEASE COMMAND.
func (m *MME) release(u *ueCtx, cause s1ap.Cause) {
	if u.enb == nil {
		return
	}
	m.sendUE(u, &s1ap.UEContextReleaseCommand{UES1APIDs: s1ap.UES1APIDs{Choice: s1ap.UES1APIDsChoiceUES1APIDPair,
		UES1APIDPair: s1ap.UES1APIDPair{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID)}},
		Cause: cause})
	u.released = u.mmeID
}

func (u *ueCtx) setENBTEID(ebi uint8, teid s1ap.GTPTEID, addr []byte) {
	for i := range u.erabs {
		if u.erabs[i].ebi == ebi {
			u.erabs[i].enbTEID = [4]byte(teid)
			u.erabs[i].enbAddr = append([]byte(nil), addr...)
		}
	}
}

func (m *MME) allocID() uint32 {
	id := m.nextID
	m.nextID++
	return id
}

func (m *MME) randomRAND() [16]byte {
	if m.cfg.FixedRAND != ([16]byte{}) {
		return m.cfg.FixedRAND
	}
	var r [16]byte
	_, _ = rand.Read(r[:])
	return r
}

var errUnknown = errors.New("mmesim: unknown subscriber")

var sgwAddr = netip.MustParseAddr("127.0.0.2").AsSlice()
