package session

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// RecordVersion is the schema version this code writes. Older versions are
// migrated when loaded (migrate); a newer one is refused with
// ErrRecordVersion. Version history:
//
//	1  attach/detach (issue #7): identities, GUTI, location, UE
//	   capabilities, NAS security context, vectors, subscription, PDN
//	   connections and bearers, EMM/ECM state, procedure and retransmission
//	   state, timer deadlines, S1 connection and S11 tunnel.
//	2  idle mode (issue #9): paging state, the service request count of
//	   the GUTI reallocation policy, the TAU's active flag; timer T3413.
//	   A version 1 record loads with these zero (no paging, no TAU).
//	   (handover) the handover in progress (Subscriber.HO).
//	3  bearers for an ECM-IDLE UE (issue #9): Subscriber.PagingDDN (the
//	   paging was asked for by a Downlink Data Notification) and the
//	   handover's DirectForwarding. A version 2 record loads with
//	   DirectForwarding false and PagingDDN true if it was paging
//	   (version 2 paged only for a Downlink Data Notification).
//	4  S1 handover with indirect data forwarding (issue #9): the
//	   handover's Container (kept while the SGW creates the forwarding
//	   tunnels, Wait WaitHOForwarding) and IndirectForwarding (the SGW
//	   holds tunnels to delete at the end). A version 3 record loads with
//	   both zero: its handover used no indirect forwarding. (bearers)
//	   ESMTransaction.Modified, the further bearers of an Update Bearer
//	   Request with several; a version 3 record loads with none (version 3
//	   modified one bearer per request).
//	5  GUTI reallocation not yet confirmed (issue #9): Subscriber.OldGUTI,
//	   the GUTI the UE held before the last one sent, valid beside it until
//	   the UE confirms or uses one of them. A version 4 record loads
//	   without one (version 4 forgot the old GUTI when it sent the new).
//	6  re-authentication policy (issue #9): Subscriber.SinceAuth, the TAUs
//	   and service requests since the last EPS-AKA. A version 5 record
//	   loads with 0 (its count starts then).
const RecordVersion = 6

// Subscriber is the record of one subscriber: everything the MME keeps
// about a UE between events, stored at every step that changes it (docs/
// design/session.md "Record"). The eNodeB side of the S1 connection
// (association, eNB-UE-S1AP-ID) is not here: only Conn.
type Subscriber struct {
	// Identities (TS 23.003 §2).
	IMSI   string // digits, "" until known
	MSISDN string // from the subscription (TS 29.272 §7.3.2)
	IMEISV string // from SECURITY MODE COMPLETE (TS 24.301 §5.4.3.3)
	// GUTI is the one allocated by this MME (TS 23.003 §2.8).
	GUTI    nas.GUTI
	HasGUTI bool

	// TAIList is the TAI list given in ATTACH ACCEPT; LastLocation the
	// last TAI and ECGI the eNodeB reported.
	TAIList      []nas.TAI
	LastLocation Location

	// UE capabilities: UE network capability as received (replayed in SMC,
	// TS 24.301 §5.4.3.2), MS network capability (GEA bits), DRX parameter
	// (TS 24.301 §9.9.3.8; nil: none), UE radio capability (TS 36.413
	// §9.2.1.27, from UE CAPABILITY INFO INDICATION).
	UENetworkCapability []byte
	MSNetworkCapability []byte
	DRX                 []byte
	UERadioCapability   []byte

	// Security is the current EPS NAS security context in the
	// nas/security MarshalBinary form (nil: none, TS 24.301 §4.4.2).
	Security []byte
	// NH and NCC are the next hop parameter and its chaining counter
	// (TS 33.401 §7.2.8); NH starts as K_eNB with NCC 0 at the initial
	// context setup.
	NH  [32]byte
	NCC uint8
	// Vectors are unused E-UTRAN authentication vectors from the HSS
	// (TS 33.401 §6.1.2), oldest first.
	Vectors []Vector

	// Subscription is what Update-Location-Answer gave (TS 29.272 §7.3.2).
	Subscription Subscription

	// PDNs are the PDN connections (TS 23.401 §5.7.2).
	PDNs []PDN

	EMM EMMState
	ECM ECMState

	// Proc is the EMM specific procedure in progress, Wait what it waits
	// for, ProcStart when it began.
	Proc      Procedure
	Wait      Wait
	ProcStart time.Time
	// Attach holds the parameters of the attach in progress.
	Attach AttachState
	// Retx is the NAS message a running NAS timer guards.
	Retx Retransmission
	// Deadlines hold when each running timer expires (zero: stopped),
	// indexed by TimerID; a TimerExpired older than the deadline is stale.
	Deadlines [numTimers + 1]time.Time

	// Conn is the current UE-associated logical S1 connection (valid when
	// ECM is ECMConnected, or while its release is pending: Releasing).
	Conn      ConnID
	Releasing bool
	// Secure says the secure exchange of NAS messages is established on
	// Conn (TS 24.301 §4.4.4.3).
	Secure bool
	// KeNBCount is the uplink NAS COUNT K_eNB is derived from for Conn
	// (TS 33.401 §7.2.6.2, A.3).
	KeNBCount uint32

	// S11 tunnel: this MME's TEID and the SGW's (TS 29.274 §5.5.2).
	S11TEID uint32
	SGW     netip.AddrPort
	SGWTEID uint32

	// NextTxn numbers S6a/S11 transactions; Pending is the one awaited
	// (Wait says which); Outstanding counts Delete Session Requests in
	// flight.
	NextTxn     Txn
	Pending     Txn
	Outstanding uint8

	// Pending authentication: the vector in use and its KSI; NewSecurity
	// the context the SECURITY MODE COMMAND in flight proposes.
	AuthVector  Vector
	AuthKSI     uint8
	NewSecurity []byte
	// Resynced: one re-synchronisation was done in this attach.
	Resynced bool
	// DetachSwitchOff: the UE's DETACH REQUEST said switch off (no DETACH
	// ACCEPT, TS 24.301 §5.5.2.2.2); DetachPurge: Purge-UE follows the
	// network-initiated detach in progress.
	DetachSwitchOff, DetachPurge bool
	// ReleaseCause is the cause of the eNodeB's UE CONTEXT RELEASE REQUEST,
	// echoed in the command once the SGW released the bearers
	// (TS 23.401 §5.3.5 step 4).
	ReleaseCause s1ap.Cause

	// v2 (issue #9, idle mode)

	// PagingAttempts is how many S1AP PAGINGs were sent for the
	// downlink data being notified (0: not paging); PagingStart when the
	// first went (TS 23.401 §5.3.4.3).
	PagingAttempts uint8
	PagingStart    time.Time
	// ServiceRequests counts the service requests since the GUTI was
	// allocated (Config.GUTIReallocation, TS 24.301 §5.4.1.1).
	ServiceRequests uint32
	// TAUActive: the TAU in progress sets the user plane up after TAU
	// ACCEPT (active flag, or downlink data waiting, TS 24.301 §5.5.3.2.4;
	// TS 23.401 §5.3.3.1 step 23); TAURelease: the MME releases the NAS
	// signalling connection when the TAU ends (it came from ECM-IDLE
	// without the active flag).
	TAUActive, TAURelease bool

	// v2 (issue #9, handover)
	// HO is the handover in progress (Proc ProcX2Handover or ProcS1Handover).
	HO Handover

	// v2 (issue #9, bearers): the ESM procedure in progress, beside the
	// EMM procedure of Proc (docs/design/session.md "Bearers and PDNs").
	ESM ESMTransaction

	// v2 (issue #9, network-initiated bearers for an idle UE)
	// PagingDDN: a Downlink Data Notification asked for the paging in
	// progress, so its failure is indicated to the SGW (TS 23.401
	// §5.3.4.3); a paging asked for by a Create Bearer Request alone is
	// answered in the Create Bearer Response instead.
	PagingDDN bool

	// v5 (issue #9, GUTI reallocation not yet confirmed)
	// OldGUTI is the GUTI the UE held before GUTI, the one last sent in
	// ATTACH ACCEPT, TRACKING AREA UPDATE ACCEPT or GUTI REALLOCATION
	// COMMAND (HasOldGUTI: such a GUTI is pending). Both are valid until
	// the UE confirms the new one (COMPLETE) or names one of them in a
	// message that passes its integrity check; the other is then invalid
	// (TS 24.301 §5.4.1.4, §5.4.1.6, §5.5.1.2.4, §5.5.1.2.7 c,
	// §5.5.3.2.4, §5.5.3.2.7 c; docs/design/session.md "Old and new
	// GUTI"). The store indexes both M-TMSIs meanwhile.
	OldGUTI    nas.GUTI
	HasOldGUTI bool

	// SinceAuth counts the TAUs and service requests since the UE's last
	// EPS-AKA (SECURITY MODE COMPLETE of the context it established): the
	// re-authentication policy (Config.Reauthentication) runs EPS-AKA when
	// it reaches the configured number.
	SinceAuth uint32
}

// Vector is one E-UTRAN authentication vector (TS 33.401 §6.1.2).
type Vector struct {
	RAND  [16]byte
	XRES  []byte
	AUTN  [16]byte
	KASME [32]byte
}

// Subscription is the subscription data the MME uses (TS 29.272 §7.3.2).
type Subscription struct {
	Present bool
	// UE-AMBR in bit/s (TS 29.272 §7.3.41).
	AMBRUplink, AMBRDownlink uint32
	// AccessRestriction is Access-Restriction-Data (§7.3.31).
	AccessRestriction uint32
	// DefaultContext names the default APN configuration (§7.3.27).
	DefaultContext uint32
	APNs           []APNConfig
	// PeriodicTAU is Subscribed-Periodic-RAU-TAU-Timer in seconds (0: none).
	PeriodicTAU uint32
}

// APNConfig is one APN-Configuration (TS 29.272 §7.3.35).
type APNConfig struct {
	ContextID uint32
	APN       string
	PDNType   uint32 // TS 29.272 §7.3.62 (0 IPv4, 1 IPv6, 2 IPv4v6, 3 IPv4_OR_IPv6)
	QCI       uint8
	ARP       ARP
	// APN-AMBR in bit/s.
	AMBRUplink, AMBRDownlink uint32
}

// ARP is an allocation and retention priority (TS 23.401 §4.7.3): level 1
// (highest) to 15, and whether the bearer may pre-empt and may be
// pre-empted.
type ARP struct {
	Level       uint8
	MayPreempt  bool
	Preemptable bool
}

// FTEID is a tunnel endpoint: address and TEID (TS 29.274 §8.22).
type FTEID struct {
	Addr netip.Addr
	TEID uint32
}

// PDN is one PDN connection (TS 23.401 §5.7.2).
type PDN struct {
	APN     string
	PDNType nas.PDNType
	IPv4    netip.Addr   // PAA IPv4 (TS 29.274 §8.14)
	IPv6    netip.Prefix // PAA IPv6 prefix and interface identifier
	PGW     FTEID        // S5/S8 PGW GTP-C
	LBI     uint8        // EBI of the default bearer
	// APN-AMBR in kbit/s (TS 29.274 §8.7).
	AMBRUplink, AMBRDownlink uint32
	Bearers                  []Bearer
}

// Bearer is one EPS bearer (TS 23.401 §4.7.2).
type Bearer struct {
	EBI   uint8
	State BearerState
	QCI   uint8
	ARP   ARP
	SGWU  FTEID // S1-U SGW
	ENBU  FTEID // S1-U eNodeB (zero while ECM-IDLE)

	// v2 (issue #9, bearers): the GBR bearer's bit rates in kbit/s
	// (TS 29.274 §8.15; zero for a non-GBR bearer) and the EPS bearer
	// level TFT of a dedicated bearer (TS 24.008 §10.5.6.12 value part).
	MBRUplink, MBRDownlink, GBRUplink, GBRDownlink uint64
	TFT                                            []byte
}

// AttachState holds what the attach in progress learnt from its ATTACH
// REQUEST (TS 24.301 §8.2.4) and PDN CONNECTIVITY REQUEST (§8.3.20).
type AttachState struct {
	Type nas.EPSAttachType // the effective type (§9.9.3.11)
	PTI  uint8
	// PDNType and APN requested ("" for the subscribed default).
	PDNType nas.PDNType
	APN     string
	// ESMInfo: the ESM information transfer flag was set (§9.9.4.5).
	ESMInfo bool
	// ByGUTI: the UE identified itself with a GUTI.
	ByGUTI bool
	// Request is the plain ATTACH REQUEST, to compare with a repeated one
	// (§5.5.1.2.7 d, e) and to hand the attach over (AttachTransferred).
	Request []byte
	// Reattach: the UE was attached when this attach started; its old
	// PDN connections are being deleted (TS 23.401 §5.3.2.1 step 12).
	Reattach bool
	// ICSDone: INITIAL CONTEXT SETUP RESPONSE received; Complete: ATTACH
	// COMPLETE received (they may come in either order).
	ICSDone, Complete bool
}

// RetxKind says how a guarded NAS message is sent again.
type RetxKind uint8

// Retransmission kinds.
const (
	RetxNone      RetxKind = iota + 1
	RetxPlain              // plain NAS in DOWNLINK NAS TRANSPORT
	RetxProtected          // integrity protected and ciphered with the current context
	RetxSMC                // SECURITY MODE COMMAND: integrity protected with the new context
)

// Retransmission is the NAS message a running NAS timer guards
// (TS 24.301 §4.4.3.1: a retransmission is protected with a new COUNT, so
// the plain message is kept).
type Retransmission struct {
	Timer TimerID
	Kind  RetxKind
	Count uint8 // retransmissions done
	Msg   []byte
}

// MarshalBinary returns the record in its compact versioned encoding.
func (s *Subscriber) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil), nil }

// AppendBinary appends the record (version RecordVersion) to b.
func (s *Subscriber) AppendBinary(b []byte) []byte {
	e := enc{b: b}
	e.u8(RecordVersion)
	e.str(s.IMSI)
	e.str(s.MSISDN)
	e.str(s.IMEISV)
	e.flag(s.HasGUTI)
	if s.HasGUTI {
		appendGUTI(&e, s.GUTI)
	}
	e.uv(uint64(len(s.TAIList)))
	for _, t := range s.TAIList {
		e.b = append(e.b, t.PLMN[:]...)
		e.u16(t.TAC)
	}
	e.b = append(e.b, s.LastLocation.TAI.PLMN[:]...)
	e.u16(s.LastLocation.TAI.TAC)
	e.b = append(e.b, s.LastLocation.ECGI.PLMN[:]...)
	e.u32(s.LastLocation.ECGI.CellID)
	e.bytes(s.UENetworkCapability)
	e.bytes(s.MSNetworkCapability)
	e.bytes(s.DRX)
	e.bytes(s.UERadioCapability)
	e.bytes(s.Security)
	e.b = append(e.b, s.NH[:]...)
	e.u8(s.NCC)
	e.uv(uint64(len(s.Vectors)))
	for i := range s.Vectors {
		appendVector(&e, &s.Vectors[i])
	}
	appendSubscription(&e, &s.Subscription)
	e.uv(uint64(len(s.PDNs)))
	for i := range s.PDNs {
		appendPDN(&e, &s.PDNs[i])
	}
	e.u8(uint8(s.EMM))
	e.u8(uint8(s.ECM))
	e.u8(uint8(s.Proc))
	e.u8(uint8(s.Wait))
	e.time(s.ProcStart)
	a := &s.Attach
	e.u8(uint8(a.Type))
	e.u8(a.PTI)
	e.u8(uint8(a.PDNType))
	e.str(a.APN)
	var af uint8
	for i, f := range []bool{a.ESMInfo, a.ByGUTI, a.Reattach, a.ICSDone, a.Complete} {
		if f {
			af |= 1 << i
		}
	}
	e.u8(af)
	e.bytes(a.Request)
	e.u8(uint8(s.Retx.Timer))
	e.u8(uint8(s.Retx.Kind))
	e.u8(s.Retx.Count)
	e.bytes(s.Retx.Msg)
	var running uint16
	for id := TimerID(1); id <= numTimers; id++ {
		if !s.Deadlines[id].IsZero() {
			running |= 1 << id
		}
	}
	e.u16(running)
	for id := TimerID(1); id <= numTimers; id++ {
		if running&(1<<id) != 0 {
			e.time(s.Deadlines[id])
		}
	}
	e.u32(uint32(s.Conn))
	e.flag(s.Releasing)
	e.flag(s.Secure)
	e.u32(s.KeNBCount)
	e.u32(s.S11TEID)
	e.addr(s.SGW.Addr())
	e.u16(s.SGW.Port())
	e.u32(s.SGWTEID)
	e.u32(uint32(s.NextTxn))
	e.u32(uint32(s.Pending))
	e.u8(s.Outstanding)
	appendVector(&e, &s.AuthVector)
	e.u8(s.AuthKSI)
	e.bytes(s.NewSecurity)
	e.flag(s.Resynced)
	e.flag(s.DetachSwitchOff)
	e.flag(s.DetachPurge)
	appendCause(&e, s.ReleaseCause)
	// v2 (issue #9, idle mode)
	e.u8(s.PagingAttempts)
	e.time(s.PagingStart)
	e.u32(s.ServiceRequests)
	e.flag(s.TAUActive)
	e.flag(s.TAURelease)
	// v2 (issue #9, handover)
	appendHandover(&e, &s.HO)
	// v2 (issue #9, bearers)
	appendBearersV2(&e, s)
	// v3 (issue #9, bearers for an idle UE)
	e.flag(s.PagingDDN)
	// v4 (issue #9, Update Bearer Request with several bearers)
	appendESMV4(&e, &s.ESM)
	// v5 (issue #9, GUTI reallocation not yet confirmed)
	e.flag(s.HasOldGUTI)
	if s.HasOldGUTI {
		appendGUTI(&e, s.OldGUTI)
	}
	// v6 (issue #9, re-authentication policy)
	e.uv(uint64(s.SinceAuth))
	return e.b
}

func appendGUTI(e *enc, g nas.GUTI) {
	e.b = append(e.b, g.PLMN[:]...)
	e.u16(g.MMEGroupID)
	e.u8(g.MMECode)
	e.u32(g.MTMSI)
}

func decodeGUTI(d *dec) nas.GUTI {
	var g nas.GUTI
	copy(g.PLMN[:], d.take(3, "GUTI PLMN"))
	g.MMEGroupID = d.u16("MMEGI")
	g.MMECode = d.u8("MMEC")
	g.MTMSI = d.u32("M-TMSI")
	return g
}

func appendVector(e *enc, v *Vector) {
	e.b = append(e.b, v.RAND[:]...)
	e.bytes(v.XRES)
	e.b = append(e.b, v.AUTN[:]...)
	e.b = append(e.b, v.KASME[:]...)
}

func appendARP(e *enc, a ARP) {
	v := a.Level & 0x0f
	if a.MayPreempt {
		v |= 0x40
	}
	if a.Preemptable {
		v |= 0x20
	}
	e.u8(v)
}

func appendSubscription(e *enc, s *Subscription) {
	e.flag(s.Present)
	if !s.Present {
		return
	}
	e.u32(s.AMBRUplink)
	e.u32(s.AMBRDownlink)
	e.u32(s.AccessRestriction)
	e.u32(s.DefaultContext)
	e.u32(s.PeriodicTAU)
	e.uv(uint64(len(s.APNs)))
	for _, a := range s.APNs {
		e.u32(a.ContextID)
		e.str(a.APN)
		e.u8(uint8(a.PDNType))
		e.u8(a.QCI)
		appendARP(e, a.ARP)
		e.u32(a.AMBRUplink)
		e.u32(a.AMBRDownlink)
	}
}

func appendFTEID(e *enc, f FTEID) {
	e.addr(f.Addr)
	e.u32(f.TEID)
}

func appendPDN(e *enc, p *PDN) {
	e.str(p.APN)
	e.u8(uint8(p.PDNType))
	e.addr(p.IPv4)
	e.prefix(p.IPv6)
	appendFTEID(e, p.PGW)
	e.u8(p.LBI)
	e.u32(p.AMBRUplink)
	e.u32(p.AMBRDownlink)
	e.uv(uint64(len(p.Bearers)))
	for _, b := range p.Bearers {
		e.u8(b.EBI)
		e.u8(uint8(b.State))
		e.u8(b.QCI)
		appendARP(e, b.ARP)
		appendFTEID(e, b.SGWU)
		appendFTEID(e, b.ENBU)
	}
}

// UnmarshalRecord decodes a stored record of any known version, migrating
// older versions to the current schema (migrate).
func UnmarshalRecord(b []byte) (*Subscriber, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCorruptRecord)
	}
	return migrate(b[0], b[1:])
}

// migrate decodes version v of the record body and returns it in the
// current schema: the OTP code_change idea (DESIGN.md "State"). Each
// version keeps its decoder forever; a later version adds a decoder and a
// step that fills the new fields.
func migrate(v uint8, body []byte) (*Subscriber, error) {
	switch v {
	case 1:
		// v1 -> v6: the idle mode fields start zero (not paging, no TAU).
		return decodeV1(body, 1)
	case 2:
		// v2 -> v6: a paging in progress was DDN-triggered (the only kind
		// version 2 pages for); a handover has no direct forwarding.
		s, err := decodeV1(body, 2)
		if err == nil && s.PagingAttempts > 0 {
			s.PagingDDN = true
		}
		return s, err
	case 3:
		// v3 -> v6: a handover in progress has no indirect forwarding.
		return decodeV1(body, 3)
	case 4:
		// v4 -> v6: no old GUTI pending (version 4 replaced it when it
		// sent the new one).
		return decodeV1(body, 4)
	case 5:
		// v5 -> v6: the re-authentication policy counts from now.
		return decodeV1(body, 5)
	case 6:
		return decodeV1(body, 6)
	}
	return nil, fmt.Errorf("%w: %d (this node reads up to %d)", ErrRecordVersion, v, RecordVersion)
}

// maxList bounds list lengths in a record (TAIs, vectors, APNs, PDNs,
// bearers): far above what a UE has, small enough that a corrupt length
// cannot make the decoder allocate much.
const maxList = 64

// decodeV1 decodes the version 1 fields and, for version v ≥ 2, the
// fields each later version appended after them.
func decodeV1(body []byte, v uint8) (*Subscriber, error) {
	v2 := v >= 2
	d := &dec{b: body}
	s := &Subscriber{}
	s.IMSI = d.str("IMSI")
	s.MSISDN = d.str("MSISDN")
	s.IMEISV = d.str("IMEISV")
	if s.HasGUTI = d.flag("GUTI"); s.HasGUTI {
		s.GUTI = decodeGUTI(d)
	}
	n := d.list("TAI list")
	for i := 0; i < n; i++ {
		var t nas.TAI
		copy(t.PLMN[:], d.take(3, "TAI"))
		t.TAC = d.u16("TAC")
		s.TAIList = append(s.TAIList, t)
	}
	copy(s.LastLocation.TAI.PLMN[:], d.take(3, "last TAI"))
	s.LastLocation.TAI.TAC = d.u16("last TAC")
	copy(s.LastLocation.ECGI.PLMN[:], d.take(3, "last ECGI"))
	s.LastLocation.ECGI.CellID = d.u32("cell")
	s.UENetworkCapability = d.bytes("UE network capability")
	s.MSNetworkCapability = d.bytes("MS network capability")
	s.DRX = d.bytes("DRX")
	s.UERadioCapability = d.bytes("UE radio capability")
	s.Security = d.bytes("security context")
	copy(s.NH[:], d.take(32, "NH"))
	s.NCC = d.u8("NCC")
	n = d.list("vectors")
	for i := 0; i < n; i++ {
		s.Vectors = append(s.Vectors, decodeVector(d))
	}
	decodeSubscription(d, &s.Subscription)
	n = d.list("PDNs")
	for i := 0; i < n; i++ {
		s.PDNs = append(s.PDNs, decodePDN(d))
	}
	s.EMM = EMMState(d.u8("EMM"))
	s.ECM = ECMState(d.u8("ECM"))
	s.Proc = Procedure(d.u8("procedure"))
	s.Wait = Wait(d.u8("wait"))
	s.ProcStart = d.time("procedure start")
	a := &s.Attach
	a.Type = nas.EPSAttachType(d.u8("attach type"))
	a.PTI = d.u8("PTI")
	a.PDNType = nas.PDNType(d.u8("PDN type"))
	a.APN = d.str("APN")
	af := d.u8("attach flags")
	a.ESMInfo, a.ByGUTI, a.Reattach, a.ICSDone, a.Complete = af&1 != 0, af&2 != 0, af&4 != 0, af&8 != 0, af&16 != 0
	a.Request = d.bytes("attach request")
	s.Retx.Timer = TimerID(d.u8("retx timer"))
	s.Retx.Kind = RetxKind(d.u8("retx kind"))
	s.Retx.Count = d.u8("retx count")
	s.Retx.Msg = d.bytes("retx message")
	running := d.u16("timers")
	for id := TimerID(1); id <= numTimers; id++ {
		if running&(1<<id) != 0 {
			s.Deadlines[id] = d.time("deadline")
		}
	}
	if running>>(numTimers+1) != 0 || running&1 != 0 || (!v2 && running&(1<<T3413) != 0) {
		d.fail("unknown timer bits")
	}
	s.Conn = ConnID(d.u32("conn"))
	s.Releasing = d.flag("releasing")
	s.Secure = d.flag("secure")
	s.KeNBCount = d.u32("K_eNB count")
	s.S11TEID = d.u32("S11 TEID")
	sgw := d.addr("SGW")
	port := d.u16("SGW port")
	if sgw.IsValid() {
		s.SGW = netip.AddrPortFrom(sgw, port)
	}
	s.SGWTEID = d.u32("SGW TEID")
	s.NextTxn = Txn(d.u32("txn"))
	s.Pending = Txn(d.u32("pending txn"))
	s.Outstanding = d.u8("outstanding")
	s.AuthVector = decodeVector(d)
	s.AuthKSI = d.u8("auth KSI")
	s.NewSecurity = d.bytes("new security context")
	s.Resynced = d.flag("resynced")
	s.DetachSwitchOff = d.flag("switch off")
	s.DetachPurge = d.flag("purge")
	s.ReleaseCause = decodeCause(d)
	if v2 {
		s.PagingAttempts = d.u8("paging attempts")
		s.PagingStart = d.time("paging start")
		s.ServiceRequests = d.u32("service requests")
		s.TAUActive = d.flag("TAU active")
		s.TAURelease = d.flag("TAU release")
		// v2 (issue #9, handover)
		decodeHandover(d, &s.HO, v)
		// v2 (issue #9, bearers)
		decodeBearersV2(d, s)
	}
	if v >= 3 {
		// v3 (issue #9, bearers for an idle UE)
		s.PagingDDN = d.flag("paging for downlink data")
	}
	if v >= 4 {
		// v4 (issue #9, Update Bearer Request with several bearers)
		decodeESMV4(d, &s.ESM)
	}
	if v >= 5 {
		// v5 (issue #9, GUTI reallocation not yet confirmed)
		if s.HasOldGUTI = d.flag("old GUTI"); s.HasOldGUTI {
			s.OldGUTI = decodeGUTI(d)
		}
	}
	if v >= 6 {
		// v6 (issue #9, re-authentication policy)
		n := d.uv("TAUs and service requests since EPS-AKA")
		if n > math.MaxUint32 {
			d.fail("TAUs and service requests since EPS-AKA too large")
		}
		s.SinceAuth = uint32(n)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d octets after the record", len(d.b)))
	}
	if d.err == nil {
		d.err = s.check()
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

func (d *dec) list(what string) int {
	n := d.uv(what)
	if n > maxList {
		d.fail(what + " too long")
		return 0
	}
	return int(n)
}

func decodeVector(d *dec) Vector {
	var v Vector
	copy(v.RAND[:], d.take(16, "RAND"))
	v.XRES = d.bytes("XRES")
	copy(v.AUTN[:], d.take(16, "AUTN"))
	copy(v.KASME[:], d.take(32, "K_ASME"))
	return v
}

func decodeARP(d *dec) ARP {
	v := d.u8("ARP")
	return ARP{Level: v & 0x0f, MayPreempt: v&0x40 != 0, Preemptable: v&0x20 != 0}
}

func decodeSubscription(d *dec, s *Subscription) {
	if s.Present = d.flag("subscription"); !s.Present {
		return
	}
	s.AMBRUplink = d.u32("UE-AMBR UL")
	s.AMBRDownlink = d.u32("UE-AMBR DL")
	s.AccessRestriction = d.u32("access restriction")
	s.DefaultContext = d.u32("default context")
	s.PeriodicTAU = d.u32("periodic TAU")
	n := d.list("APN configurations")
	for i := 0; i < n; i++ {
		var a APNConfig
		a.ContextID = d.u32("context id")
		a.APN = d.str("APN")
		a.PDNType = uint32(d.u8("PDN type"))
		a.QCI = d.u8("QCI")
		a.ARP = decodeARP(d)
		a.AMBRUplink = d.u32("APN-AMBR UL")
		a.AMBRDownlink = d.u32("APN-AMBR DL")
		s.APNs = append(s.APNs, a)
	}
}

func decodeFTEID(d *dec) FTEID {
	return FTEID{Addr: d.addr("F-TEID"), TEID: d.u32("TEID")}
}

func decodePDN(d *dec) PDN {
	var p PDN
	p.APN = d.str("APN")
	p.PDNType = nas.PDNType(d.u8("PDN type"))
	p.IPv4 = d.addr("PAA v4")
	p.IPv6 = d.prefix("PAA v6")
	p.PGW = decodeFTEID(d)
	p.LBI = d.u8("LBI")
	p.AMBRUplink = d.u32("APN-AMBR UL")
	p.AMBRDownlink = d.u32("APN-AMBR DL")
	n := d.list("bearers")
	for i := 0; i < n; i++ {
		var b Bearer
		b.EBI = d.u8("EBI")
		b.State = BearerState(d.u8("bearer state"))
		b.QCI = d.u8("QCI")
		b.ARP = decodeARP(d)
		b.SGWU = decodeFTEID(d)
		b.ENBU = decodeFTEID(d)
		p.Bearers = append(p.Bearers, b)
	}
	return p
}

// check validates the enumerations of a decoded record.
func (s *Subscriber) check() error {
	bad := func(what string, v uint8) error {
		return fmt.Errorf("%w: %s %d", ErrCorruptRecord, what, v)
	}
	switch {
	case s.EMM < EMMDeregistered || s.EMM > EMMDeregisteredInitiated:
		return bad("EMM state", uint8(s.EMM))
	case s.ECM < ECMIdle || s.ECM > ECMConnected:
		return bad("ECM state", uint8(s.ECM))
	case s.Proc < ProcNone || s.Proc > lastProcedure:
		return bad("procedure", uint8(s.Proc))
	case s.ESM.Proc > lastProcedure || s.ESM.Timer > numTimers:
		return bad("ESM procedure", uint8(s.ESM.Proc))
	case s.Wait < WaitNone || s.Wait > lastWait:
		return bad("wait", uint8(s.Wait))
	case s.Retx.Kind > RetxSMC || s.Retx.Timer > numTimers:
		return bad("retransmission", uint8(s.Retx.Kind))
	}
	for _, p := range s.PDNs {
		for _, b := range p.Bearers {
			if b.State < BearerInactive || b.State > BearerModifyPending || b.EBI > 15 {
				return bad("bearer", b.EBI)
			}
		}
	}
	return nil
}

// appendCause stores an S1AP cause as its choice and value octets.
func appendCause(e *enc, c s1ap.Cause) {
	e.u8(c.Choice)
	var v uint8
	switch c.Choice {
	case s1ap.CauseChoiceRadioNetwork:
		v = uint8(c.RadioNetwork)
	case s1ap.CauseChoiceTransport:
		v = uint8(c.Transport)
	case s1ap.CauseChoiceNas:
		v = uint8(c.Nas)
	case s1ap.CauseChoiceProtocol:
		v = uint8(c.Protocol)
	case s1ap.CauseChoiceMisc:
		v = uint8(c.Misc)
	}
	e.u8(v)
}

func decodeCause(d *dec) s1ap.Cause {
	c := s1ap.Cause{Choice: d.u8("cause choice")}
	v := d.u8("cause value")
	switch c.Choice {
	case 0:
	case s1ap.CauseChoiceRadioNetwork:
		c.RadioNetwork = s1ap.CauseRadioNetwork(v)
	case s1ap.CauseChoiceTransport:
		c.Transport = s1ap.CauseTransport(v)
	case s1ap.CauseChoiceNas:
		c.Nas = s1ap.CauseNas(v)
	case s1ap.CauseChoiceProtocol:
		c.Protocol = s1ap.CauseProtocol(v)
	case s1ap.CauseChoiceMisc:
		c.Misc = s1ap.CauseMisc(v)
	default:
		d.fail("bad cause choice")
	}
	return c
}
