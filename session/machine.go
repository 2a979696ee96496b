package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
)

// ErrNilEvent is returned by Step for a nil event.
var ErrNilEvent = errors.New("session: nil event")

// Machine is the state machine of one subscriber: the record plus the live
// NAS security context decoded from it. It does no I/O, starts no
// goroutine and reads no clock: Step takes an event, Ready hands out what
// to store and what to do, Advance clears it (etcd raft's pattern). A
// Machine is not safe for concurrent use; the subscriber's actor owns it.
type Machine struct {
	cfg   *Config
	alloc Allocator
	key   uint64
	s     Subscriber

	// sec is the current NAS security context (s.Security decoded), nil
	// without one. It changes with every protected message (COUNTs); the
	// record's copy is refreshed when the record is encoded.
	sec *security.Context

	rd    Ready
	dirty bool
	now   time.Time
	buf   []byte // scratch for NAS encoding
}

// New returns the machine of a subscriber the node has never seen:
// EMM-DEREGISTERED, ECM-IDLE, no procedure.
func New(cfg *Config, alloc Allocator, key uint64) *Machine {
	m := &Machine{cfg: cfg, alloc: alloc, key: key}
	m.s.EMM, m.s.ECM, m.s.Proc, m.s.Wait = EMMDeregistered, ECMIdle, ProcNone, WaitNone
	return m
}

// Load returns the machine of a stored record, migrated to the current
// schema. Errors wrap ErrCorruptRecord or ErrRecordVersion.
func Load(cfg *Config, alloc Allocator, key uint64, rec []byte) (*Machine, error) {
	s, err := UnmarshalRecord(rec)
	if err != nil {
		return nil, err
	}
	m := &Machine{cfg: cfg, alloc: alloc, key: key, s: *s}
	if len(s.Security) > 0 {
		m.sec = new(security.Context)
		if err := m.sec.UnmarshalBinary(s.Security); err != nil {
			return nil, fmt.Errorf("%w: security context: %w", ErrCorruptRecord, err)
		}
	}
	return m, nil
}

// Key returns the subscriber key the machine was made for.
func (m *Machine) Key() uint64 { return m.key }

// Subscriber returns the record as of the last step. The caller must not
// modify it; it is valid until the next Step.
func (m *Machine) Subscriber() *Subscriber {
	m.syncSecurity()
	return &m.s
}

// State returns the EMM and ECM states and the procedure in progress.
func (m *Machine) State() (EMMState, ECMState, Procedure) { return m.s.EMM, m.s.ECM, m.s.Proc }

// AppendRecord appends the encoded record (RecordVersion) to b.
func (m *Machine) AppendRecord(b []byte) []byte {
	m.syncSecurity()
	return m.s.AppendBinary(b)
}

// Indexes returns what the store indexes the record by (docs/design/
// node.md): the IMSI (if known), the M-TMSI of the GUTI (if allocated) and
// the MME-UE-S1AP-ID of the current connection (if connected).
//
// An IMSI learnt by identification is not indexed while the node resolves
// it (WaitIMSIResolution): the index must still name the key that holds
// the subscriber, if another one does (docs/design/node.md "Unknown GUTI").
func (m *Machine) Indexes() (imsi string, mtmsi uint32, hasGUTI bool, conn ConnID, connected bool) {
	imsi = m.s.IMSI
	if m.s.Wait == WaitIMSIResolution {
		imsi = ""
	}
	return imsi, m.s.GUTI.MTMSI, m.s.HasGUTI, m.s.Conn, m.s.ECM == ECMConnected
}

// OldMTMSI returns the M-TMSI of the old GUTI while a new one is not yet
// confirmed (ok): the store indexes it beside the new one, so a UE that
// missed TRACKING AREA UPDATE ACCEPT or GUTI REALLOCATION COMMAND is still
// found by its S-TMSI (TS 24.301 §5.4.1.6, §5.5.3.2.7 c; guti.go). The
// entry goes with the first write after the old GUTI became invalid.
func (m *Machine) OldMTMSI() (mtmsi uint32, ok bool) {
	return m.s.OldGUTI.MTMSI, m.s.HasOldGUTI
}

// RunningTimers calls fn for every running timer with its deadline: the
// node re-arms them after loading a record at start-up.
func (m *Machine) RunningTimers(fn func(id TimerID, deadline time.Time)) {
	for id := TimerID(1); id <= numTimers; id++ {
		if d := m.s.Deadlines[id]; !d.IsZero() {
			fn(id, d)
		}
	}
}

// syncSecurity refreshes the record's copy of the security context.
func (m *Machine) syncSecurity() {
	if m.sec == nil {
		m.s.Security = nil
		return
	}
	b, err := m.sec.AppendBinary(m.s.Security[:0])
	if err != nil {
		// AppendBinary fails only on a context it could not have built.
		panic("session: security context does not marshal: " + err.Error())
	}
	m.s.Security = b
}

// HasReady reports whether the last steps produced anything.
func (m *Machine) HasReady() bool {
	return m.dirty || len(m.rd.Effects) > 0 || len(m.rd.Started) > 0 || len(m.rd.Outcomes) > 0 || len(m.rd.Anomalies) > 0 || m.rd.Delete
}

// Ready returns what the steps since the last Advance produced: whether to
// store the record, and the effects to execute after it is stored.
func (m *Machine) Ready() Ready {
	rd := m.rd
	rd.Persist = m.dirty && !rd.Delete
	return rd
}

// Advance acknowledges the last Ready: its record was stored and its
// effects handed to the node.
func (m *Machine) Advance() {
	// The slices were handed out: the node may still be executing them
	// (effects run after the write is durable), so they are not reused.
	m.rd = Ready{}
	m.dirty = false
}

// Step runs one event. It returns an error only for a nil event; whatever
// the event, the machine answers per the specification and reports
// anomalies in Ready.
func (m *Machine) Step(ev Event) error {
	if ev == nil {
		return ErrNilEvent
	}
	m.now = ev.At()
	switch e := ev.(type) {
	case *InitialUEMessage:
		m.initialUEMessage(e)
		return nil
	case *UplinkNASTransport:
		m.uplinkNASTransport(e)
		return nil
	case *TimerExpired:
		if !m.timerCurrent(e) {
			return nil
		}
	case *AttachTransferred:
		m.attachTransferred(e)
		return nil
	case *Restarted:
		m.restarted(e)
		return nil
	case *Recovered:
		m.recovered(e)
		return nil
	case hoEvent:
		m.handoverEvent(e)
		return nil
	}
	m.dispatch(ev)
	return nil
}

// dispatch hands an event to the method of the current EMM state
// (STYLE.md: one method per state switching on a typed event).
func (m *Machine) dispatch(ev Event) {
	switch m.s.EMM {
	case EMMDeregistered:
		m.deregistered(ev)
	case EMMCommonProcedureInitiated:
		m.commonProcedureInitiated(ev)
	case EMMRegistered:
		m.registered(ev)
	case EMMDeregisteredInitiated:
		m.deregisteredInitiated(ev)
	default:
		m.anomaly(ev, "no EMM state")
	}
}

// deregistered is EMM-DEREGISTERED (TS 24.301 §5.1.3.4.1): only ATTACH
// REQUEST and DETACH REQUEST start something; the attach in progress
// (after its common procedures) waits here for the ESM information, the
// HSS and the SGW.
func (m *Machine) deregistered(ev Event) {
	switch e := ev.(type) {
	case *nasEvent:
		switch msg := e.msg.(type) {
		case *nas.AttachRequest:
			m.attachRequest(e, msg)
		case *nas.DetachRequestUEOriginating:
			m.detachRequestUE(e, msg)
		case *nas.ESMInformationResponse:
			m.esmInformationResponse(e, msg)
		case *nas.EMMStatus:
			m.emmStatus(e, msg)
		case *nas.ESMStatus:
			m.esmStatus(e, msg)
		case *nas.TrackingAreaUpdateRequest:
			m.trackingAreaUpdateRequest(e, msg)
		case *nas.ExtendedServiceRequest:
			m.extendedServiceRequest(e, msg)
		case *nas.DetachAccept:
			// TS 24.301 §5.5.2.3.2: only expected in
			// EMM-DEREGISTERED-INITIATED; a late one after T3422 gave up.
			m.anomaly(e, "DETACH ACCEPT without a detach in progress")
		default:
			m.notCompatible(e)
		}
	case *IMSIResolved:
		m.imsiResolved(e)
	case *CancelLocation:
		m.cancelLocation(e)
	case *DetachRequested:
		m.detachRequested(e)
	default:
		m.common(ev)
	}
}

// commonProcedureInitiated is EMM-COMMON-PROCEDURE-INITIATED (TS 24.301
// §5.1.3.4.2): the answer to IDENTITY REQUEST, AUTHENTICATION REQUEST,
// SECURITY MODE COMMAND or (GUTI allocation) ATTACH ACCEPT is awaited.
func (m *Machine) commonProcedureInitiated(ev Event) {
	switch e := ev.(type) {
	case *nasEvent:
		switch msg := e.msg.(type) {
		case *nas.IdentityResponse:
			m.identityResponse(e, msg)
		case *nas.AuthenticationResponse:
			m.authenticationResponse(e, msg)
		case *nas.AuthenticationFailure:
			m.authenticationFailure(e, msg)
		case *nas.SecurityModeComplete:
			m.securityModeComplete(e, msg)
		case *nas.SecurityModeReject:
			m.securityModeReject(e, msg)
		case *nas.AttachComplete:
			m.attachComplete(e, msg)
		case *nas.AttachRequest:
			m.attachRequest(e, msg)
		case *nas.DetachRequestUEOriginating:
			// TS 24.301 §5.4.2.7 f, §5.4.3.7 e, §5.5.1.2.7 h: a detach
			// during a common procedure or the attach aborts them and is
			// progressed.
			m.detachRequestUE(e, msg)
		case *nas.EMMStatus:
			m.emmStatus(e, msg)
		case *nas.ESMStatus:
			m.esmStatus(e, msg)
		default:
			m.notCompatible(e)
		}
	case *CancelLocation:
		m.cancelLocation(e)
	case *DetachRequested:
		m.detachRequested(e)
	default:
		m.common(ev)
	}
}

// registered is EMM-REGISTERED (TS 24.301 §5.1.3.4.3).
func (m *Machine) registered(ev Event) {
	switch e := ev.(type) {
	case *nasEvent:
		switch msg := e.msg.(type) {
		case *nas.AttachRequest:
			// TS 24.301 §5.5.1.2.7 k: the old EMM and EPS bearer contexts
			// are deleted and the new ATTACH REQUEST progressed.
			m.attachRequest(e, msg)
		case *nas.DetachRequestUEOriginating:
			m.detachRequestUE(e, msg)
		case *nas.AttachComplete:
			// TS 24.301 §5.5.1.2.4: ATTACH COMPLETE is only expected after
			// ATTACH ACCEPT (a retransmission after the attach completed).
			m.anomaly(e, "ATTACH COMPLETE in EMM-REGISTERED")
		case *nas.EMMStatus:
			m.emmStatus(e, msg)
		case *nas.ESMStatus:
			m.esmStatus(e, msg)
		case *nas.TrackingAreaUpdateRequest:
			m.trackingAreaUpdateRequest(e, msg)
		case *nas.ExtendedServiceRequest:
			m.extendedServiceRequest(e, msg)
		case *nas.TrackingAreaUpdateComplete:
			m.tauComplete(e)
		case *nas.GUTIReallocationComplete:
			m.gutiReallocationComplete(e)
		case *nas.PDNConnectivityRequest:
			m.pdnConnectivityRequest(e, msg)
		case *nas.PDNDisconnectRequest:
			m.pdnDisconnectRequest(e, msg)
		case *nas.ActivateDefaultEPSBearerContextAccept, *nas.ActivateDefaultEPSBearerContextReject,
			*nas.ActivateDedicatedEPSBearerContextAccept, *nas.ActivateDedicatedEPSBearerContextReject,
			*nas.ModifyEPSBearerContextAccept, *nas.ModifyEPSBearerContextReject,
			*nas.DeactivateEPSBearerContextAccept:
			m.esmAnswer(e)
		default:
			m.notCompatible(e)
		}
	case *UEContextReleaseRequest:
		m.ueContextReleaseRequest(e)
	case *CancelLocation:
		m.cancelLocation(e)
	case *DetachRequested:
		m.detachRequested(e)
	default:
		m.common(ev)
	}
}

// deregisteredInitiated is EMM-DEREGISTERED-INITIATED (TS 24.301
// §5.1.3.4.4): DETACH REQUEST sent, DETACH ACCEPT awaited.
func (m *Machine) deregisteredInitiated(ev Event) {
	switch e := ev.(type) {
	case *nasEvent:
		switch msg := e.msg.(type) {
		case *nas.DetachAccept:
			m.detachAccept(e, msg)
		case *nas.DetachRequestUEOriginating:
			// TS 24.301 §5.5.2.3.4 e: detach procedure collision: the MME
			// answers the UE's DETACH REQUEST (unless switch off) and
			// completes its own detach.
			m.detachCollision(e, msg)
		case *nas.AttachRequest:
			// TS 24.301 §5.5.2.3.4 c: the detach is aborted and the attach
			// progressed (after the local detach).
			m.attachRequest(e, msg)
		case *nas.EMMStatus:
			m.emmStatus(e, msg)
		case *nas.ESMStatus:
			m.esmStatus(e, msg)
		default:
			m.notCompatible(e)
		}
	case *CancelLocation:
		// Already detaching: the HSS no longer needs to be told anything.
		m.anomaly(e, "Cancel-Location while detaching")
	case *DetachRequested:
		m.anomaly(e, "detach requested while detaching")
	default:
		m.common(ev)
	}
}

// common handles the events whose handling does not depend on the EMM
// state: answers of the procedure in progress (matched by Wait and Txn),
// timers, and S1 connection events.
func (m *Machine) common(ev Event) {
	switch e := ev.(type) {
	case *AuthInfoAnswer:
		m.authInfoAnswer(e)
	case *UpdateLocationAnswer:
		m.updateLocationAnswer(e)
	case *PurgeUEAnswer:
		m.purgeUEAnswer(e)
	case *S11Response:
		m.s11Response(e)
	case *SGWLost:
		m.sgwLost(e)
	case *TimerExpired:
		m.timerExpired(e)
	case *InitialContextSetupResponse:
		m.initialContextSetupResponse(e)
	case *InitialContextSetupFailure:
		m.initialContextSetupFailure(e)
	case *UECapabilityInfoIndication:
		m.ueCapabilityInfoIndication(e)
	case *UEContextReleaseRequest:
		m.ueContextReleaseRequest(e)
	case *UEContextReleaseComplete:
		m.ueContextReleaseComplete(e)
	case *S1ConnectionLost:
		m.s1ConnectionLost(e)
	case *NASNonDeliveryIndication:
		m.nasNonDelivery(e)
	case *IMSIResolved:
		m.anomaly(e, "IMSI resolution not awaited")
	case *DownlinkDataNotification:
		m.downlinkDataNotification(e)
	case *S11Request:
		m.s11Request(e)
	case *ERABSetupResponse:
		m.erabSetupResponse(e)
	case *ERABModifyResponse:
		m.erabModifyResponse(e)
	case *ERABReleaseResponse:
		m.erabReleaseResponse(e)
	case *ERABReleaseIndication:
		m.erabReleaseIndication(e)
	case *SubscriptionChanged:
		m.subscriptionChanged(e) // uectxmod.go
	case *UEContextModificationResponse:
		m.ueContextModificationAnswer(e, e.Conn, nil)
	case *UEContextModificationFailure:
		m.ueContextModificationAnswer(e, e.Conn, &e.Cause)
	case *nasEvent:
		m.notCompatible(e)
	default:
		m.anomaly(ev, "event not handled in this state")
	}
}

// ---- small helpers shared by the procedures ----

func (m *Machine) touch() { m.dirty = true }

func (m *Machine) effect(e Effect) { m.rd.Effects = append(m.rd.Effects, e) }

// anomaly records an unexpected event (Ready.Anomalies); the caller has
// given (or deliberately not given) the spec's answer.
func (m *Machine) anomaly(ev Event, what string) {
	name := eventName(ev)
	if n, ok := ev.(*nasEvent); ok && n.msg != nil {
		name = "NAS " + n.msg.MessageType().String()
	}
	m.rd.Anomalies = append(m.rd.Anomalies, Anomaly{State: m.s.EMM, Event: name, What: what})
}

// outcome ends the procedure in progress with a result.
func (m *Machine) outcome(p Procedure, ok bool, cause string) {
	m.rd.Outcomes = append(m.rd.Outcomes, Outcome{Proc: p, OK: ok, Cause: cause, Start: m.s.ProcStart, End: m.now})
}

// begin starts procedure p now.
func (m *Machine) begin(p Procedure, w Wait) {
	m.s.Proc, m.s.Wait, m.s.ProcStart = p, w, m.now
	m.touch()
}

// end clears the procedure in progress.
func (m *Machine) end() {
	m.s.Proc, m.s.Wait, m.s.Pending = ProcNone, WaitNone, 0
	m.touch()
}

func (m *Machine) setEMM(s EMMState) {
	if m.s.EMM != s {
		m.s.EMM = s
		m.touch()
	}
}

// nextTxn numbers a new S6a/S11 transaction.
func (m *Machine) nextTxn() Txn {
	m.s.NextTxn++
	if m.s.NextTxn == 0 {
		m.s.NextTxn = 1
	}
	m.touch()
	return m.s.NextTxn
}

// await makes txn the answer the procedure waits for.
func (m *Machine) await(w Wait, txn Txn) {
	m.s.Wait, m.s.Pending = w, txn
	m.touch()
}

// expected reports whether an answer with txn is the one awaited in wait w;
// otherwise it is stale (a retransmission, a late answer after an abort)
// and recorded as an anomaly.
func (m *Machine) expected(ev Event, w Wait, txn Txn) bool {
	if m.s.Wait == w && m.s.Pending == txn && txn != 0 {
		return true
	}
	m.anomaly(ev, fmt.Sprintf("stale answer (transaction %d, waiting %v for %d)", txn, m.s.Wait, m.s.Pending))
	return false
}

// startTimer (re)starts a timer; its deadline goes in the record.
func (m *Machine) startTimer(id TimerID) {
	d := m.cfg.Timers.of(id)
	m.s.Deadlines[id] = m.now.Add(d)
	m.effect(StartTimer{ID: id, After: d})
	m.touch()
}

// stopTimer stops a timer if it runs.
func (m *Machine) stopTimer(id TimerID) {
	if m.s.Deadlines[id].IsZero() {
		return
	}
	m.s.Deadlines[id] = time.Time{}
	m.effect(StopTimer{ID: id})
	m.touch()
}

// stopNASTimers stops every timer guarding a NAS message and forgets the
// message.
func (m *Machine) stopNASTimers() {
	for _, id := range [...]TimerID{T3450, T3460, T3470, T3422, T3489} {
		m.stopTimer(id)
	}
	m.clearRetx()
}

func (m *Machine) clearRetx() {
	if m.s.Retx.Kind != 0 && m.s.Retx.Kind != RetxNone {
		m.s.Retx = Retransmission{Kind: RetxNone}
		m.touch()
	}
}

// timerCurrent checks an expiry against the timer's deadline: a stopped
// timer or one restarted after this expiry was scheduled makes it stale.
func (m *Machine) timerCurrent(e *TimerExpired) bool {
	if e.ID < 1 || e.ID > numTimers {
		m.anomaly(e, "unknown timer")
		return false
	}
	d := m.s.Deadlines[e.ID]
	if d.IsZero() || e.Due.Before(d) {
		m.anomaly(e, "stale expiry of "+e.ID.String())
		return false
	}
	m.s.Deadlines[e.ID] = time.Time{}
	m.touch()
	return true
}

// SetConfig replaces the configuration the machine reads (a reload of the
// node's served TAIs or policies); the record is unchanged.
func (m *Machine) SetConfig(cfg *Config) { m.cfg = cfg }

// Evictable reports whether nothing is in progress: no procedure, no
// connection, no S6a/S11 answer awaited. The node may then drop the
// machine from memory and load it from the store at the next event.
func (m *Machine) Evictable() bool {
	s := &m.s
	return s.Proc == ProcNone && s.ECM == ECMIdle && s.Pending == 0 && s.Outstanding == 0 && !m.dirty
}
