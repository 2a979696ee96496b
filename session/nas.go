package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// nasEvent is an uplink NAS message after the security checks of TS 24.301
// §4.4.4.3: what the state methods switch on.
type nasEvent struct {
	now     time.Time
	conn    ConnID
	loc     Location
	initial bool // came in INITIAL UE MESSAGE
	msg     nas.Message
	plain   []byte // the plain message (a copy)
	// integrity: the message passed the integrity check with the current
	// context (or, for SECURITY MODE COMPLETE, the new one).
	integrity bool
	count     security.Count
	// mtmsi is the M-TMSI of INITIAL UE MESSAGE's S-TMSI (hasSTMSI).
	mtmsi    uint32
	hasSTMSI bool
}

func (e *nasEvent) At() time.Time { return e.now }

// nasUplinkDecoder decodes what the MME receives (TS 24.301 §7 verdicts).
var nasUplinkDecoder = nas.Decoder{Direction: nas.Uplink}

// initialUEMessage: a new NAS signalling connection (TS 23.401 §5.3.1,
// TS 36.413 §8.6.2.1). A connection that still exists is released first:
// the UE cannot have two (TS 36.413 §8.3.3 with cause "normal release").
func (m *Machine) initialUEMessage(e *InitialUEMessage) {
	if m.s.ECM == ECMConnected && m.s.Conn != e.Conn {
		m.releaseOldConnection()
		if m.idleProc() {
			// The procedure of the old connection cannot finish.
			m.abortIdleProc("new_connection")
		}
	}
	m.s.Conn, m.s.ECM, m.s.Releasing, m.s.Secure = e.Conn, ECMConnected, false, false
	m.s.LastLocation = e.Location
	// TS 24.301 §5.3.5: the mobile reachable and implicit detach timers stop
	// when a NAS signalling connection is established.
	m.stopTimer(TMobileReachable)
	m.stopTimer(TImplicitDetach)
	m.touch()
	m.uplinkNAS(&nasEvent{now: e.Now, conn: e.Conn, loc: e.Location, initial: true, mtmsi: e.MTMSI, hasSTMSI: e.HasSTMSI}, e.NAS)
}

// releaseOldConnection releases the current connection without waiting
// for its completion (the new one replaces it).
func (m *Machine) releaseOldConnection() {
	if !m.s.Releasing {
		m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.UEContextReleaseCommand{Cause: nasCause(s1ap.CauseNasNormalRelease)}})
	}
	m.effect(FreeConn{Conn: m.s.Conn})
	m.stopTimer(TS1Guard)
	m.s.Releasing = false
	m.touch()
}

// uplinkNASTransport: TS 36.413 §8.6.2.3. A message on a connection that is
// not the current one is stale.
func (m *Machine) uplinkNASTransport(e *UplinkNASTransport) {
	if m.s.ECM != ECMConnected || m.s.Conn != e.Conn {
		m.anomaly(e, fmt.Sprintf("UPLINK NAS TRANSPORT on connection %d, current %d (%v)", e.Conn, m.s.Conn, m.s.ECM))
		return
	}
	if m.s.LastLocation != e.Location {
		m.s.LastLocation = e.Location
		m.touch()
	}
	m.uplinkNAS(&nasEvent{now: e.Now, conn: e.Conn, loc: e.Location}, e.NAS)
}

// uplinkNAS runs the security checks of TS 24.301 §4.4.4.3 and §4.4.5 and
// dispatches the plain message to the state method.
func (m *Machine) uplinkNAS(ev *nasEvent, pdu []byte) {
	pd, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		// TS 24.301 §7.2: too short, unknown protocol discriminator,
		// reserved security header type: ignore.
		m.anomaly(ev, "NAS header: "+err.Error())
		return
	}
	var plain []byte
	switch {
	case sht == nas.ServiceRequestHeader:
		m.serviceRequest(ev, pdu)
		return
	case sht == nas.Plain || pd == nas.EPSSessionManagement:
		plain = pdu
	default:
		plain, ev.integrity, ev.count = m.unprotect(ev, sht, pdu)
		if plain == nil {
			return
		}
	}
	ev.plain = append([]byte(nil), plain...)
	msg, err := nasUplinkDecoder.Decode(ev.plain)
	if err != nil {
		m.nasDecodeError(ev, err)
		return
	}
	ev.msg = msg
	if !ev.integrity && !m.acceptUnprotected(ev) {
		return
	}
	if ev.integrity && sht != nas.IntegrityProtectedCipheredNewContext {
		// TS 24.301 §4.4.4.3: an integrity checked message establishes the
		// secure exchange on this connection; the initial message's COUNT is
		// K_eNB's input (TS 33.401 §7.2.6.2, A.3).
		if !m.s.Secure {
			m.s.Secure = true
			if ev.initial {
				m.s.KeNBCount = uint32(ev.count)
			}
			m.touch()
		}
	}
	if m.heldAttachProven(ev) { // recovery.go
		return
	}
	m.dispatch(ev)
}

// unprotect checks and deciphers a security protected message (TS 24.301
// §4.4.3.3, §4.4.5). It returns the plain message, whether it passed the
// integrity check, and its COUNT; nil when the message is discarded.
func (m *Machine) unprotect(ev *nasEvent, sht nas.SecurityHeaderType, pdu []byte) ([]byte, bool, security.Count) {
	ctx := m.sec
	if sht == nas.IntegrityProtectedCipheredNewContext {
		// TS 24.301 §9.3.1: type 4 is SECURITY MODE COMPLETE, protected with
		// the context the SECURITY MODE COMMAND proposed.
		if m.s.Wait != WaitSMComplete || len(m.s.NewSecurity) == 0 {
			m.anomaly(ev, "security header type 4 without a security mode control in progress")
			return nil, false, 0
		}
		ctx = new(security.Context)
		if err := ctx.UnmarshalBinary(m.s.NewSecurity); err != nil {
			m.anomaly(ev, "pending security context: "+err.Error())
			return nil, false, 0
		}
	}
	if ctx != nil {
		out, rcv, err := ctx.Unprotect(m.buf[:0], pdu)
		if err == nil {
			m.buf = out[:0]
			if sht == nas.IntegrityProtectedCipheredNewContext {
				m.s.NewSecurity, _ = ctx.AppendBinary(m.s.NewSecurity[:0])
			}
			m.touch()
			return out, true, rcv.Count
		}
		var ie *security.IntegrityError
		if !errors.As(err, &ie) {
			// Malformed envelope, wrong header type direction, COUNT used up.
			m.anomaly(ev, "unprotect: "+err.Error())
			return nil, false, 0
		}
	}
	// No context, or the integrity check failed. TS 24.301 §4.4.4.3: some
	// messages are still processed; their plain part is readable only when
	// not ciphered (header type 1), or ciphered with EEA0.
	p, err := nas.ParseSecurityProtected(pdu)
	if err != nil {
		m.anomaly(ev, "security protected envelope: "+err.Error())
		return nil, false, 0
	}
	if sht == nas.IntegrityProtected || (m.sec != nil && eeaOf(m.sec) == security.EEA0) || ctx == nil {
		return p.Message, false, 0
	}
	m.anomaly(ev, "ciphered message failed the integrity check: discarded (TS 24.301 §4.4.4.3)")
	return nil, false, 0
}

func eeaOf(c *security.Context) security.EEA {
	e, _ := c.Algorithms()
	return e
}

// acceptUnprotected applies TS 24.301 §4.4.4.3 to a message that is not
// (or not successfully) integrity protected: before the secure exchange is
// established only ATTACH REQUEST, IDENTITY RESPONSE (to a request for the
// IMSI), AUTHENTICATION RESPONSE, AUTHENTICATION FAILURE, SECURITY MODE
// REJECT, DETACH REQUEST, DETACH ACCEPT, TRACKING AREA UPDATE REQUEST and
// (EXTENDED) SERVICE REQUEST are processed (their handlers answer a failed
// check with a reject); once it is established, nothing unprotected is.
func (m *Machine) acceptUnprotected(ev *nasEvent) bool {
	if m.s.Secure {
		m.anomaly(ev, "not integrity protected after the secure exchange was established: discarded (TS 24.301 §4.4.4.3)")
		return false
	}
	switch msg := ev.msg.(type) {
	case *nas.AttachRequest, *nas.AuthenticationResponse, *nas.AuthenticationFailure,
		*nas.SecurityModeReject, *nas.DetachRequestUEOriginating, *nas.DetachAccept,
		*nas.TrackingAreaUpdateRequest, *nas.ExtendedServiceRequest:
		return true
	case *nas.IdentityResponse:
		if msg.MobileIdentity.Type == nas.MobileIdentityIMSI {
			return true
		}
	}
	m.anomaly(ev, "not integrity protected before the secure exchange: discarded (TS 24.301 §4.4.4.3)")
	return false
}

// nasDecodeError answers a message the codec rejected (TS 24.301 §7): an
// ATTACH REQUEST gets ATTACH REJECT with the cause (§5.5.1.2.5), other EMM
// messages EMM STATUS (§7.5, §5.7), ESM messages ESM STATUS (§7.3-7.5);
// cause 0 means ignore (§7.2).
func (m *Machine) nasDecodeError(ev *nasEvent, err error) {
	var ne *nas.Error
	if !errors.As(err, &ne) || ne.Ignore() {
		m.anomaly(ev, "NAS: "+err.Error()+" (ignored, TS 24.301 §7.2)")
		return
	}
	m.anomaly(ev, "NAS: "+err.Error())
	if ne.Protocol == nas.EPSSessionManagement {
		m.sendNAS(&nas.ESMStatus{ESMCause: nas.ESMCause(ne.Cause)}, false)
		return
	}
	if ne.MessageType == nas.TypeAttachRequest {
		// §5.5.1.2.5: the attach is rejected with the cause.
		if m.s.Proc == ProcNone || m.s.Proc == ProcAttach {
			m.begin(ProcAttach, WaitNone)
			m.rejectAttach(nas.EMMCause(ne.Cause), "emm:malformed_attach_request", nil)
			return
		}
	}
	m.sendNAS(&nas.EMMStatus{EMMCause: nas.EMMCause(ne.Cause)}, false)
}

// notCompatible answers a message not compatible with the protocol state
// (TS 24.301 §7.4): EMM STATUS #98 for EMM, ESM STATUS #98 for ESM.
func (m *Machine) notCompatible(ev *nasEvent) {
	m.anomaly(ev, "message type not compatible with the protocol state")
	if ev.msg.ProtocolDiscriminator() == nas.EPSSessionManagement {
		m.sendNAS(&nas.ESMStatus{ESMCause: nas.ESMCauseMessageTypeNotCompatible}, false)
		return
	}
	m.sendNAS(&nas.EMMStatus{EMMCause: nas.EMMCauseMessageTypeNotCompatible}, false)
}

// emmStatus: TS 24.301 §5.7: the MME logs an EMM STATUS; no state change.
func (m *Machine) emmStatus(ev *nasEvent, msg *nas.EMMStatus) {
	m.anomaly(ev, "EMM STATUS from the UE, cause "+msg.EMMCause.String())
}

// esmStatus: TS 24.301 §6.7: logged; #43 deactivates the EPS bearer
// context locally (bearer.go).
func (m *Machine) esmStatus(ev *nasEvent, msg *nas.ESMStatus) {
	m.anomaly(ev, "ESM STATUS from the UE, cause "+msg.ESMCause.String())
	if msg.ESMCause == nas.ESMCauseInvalidEPSBearerIdentity {
		m.esmStatusInvalidBearer(msg.EBI) // bearer.go
	}
}

// sendNAS sends a downlink NAS message on the current connection:
// integrity protected and ciphered (header type 2) once the secure exchange
// is established, plain before (TS 24.301 §4.4.4.2, §4.4.5). It returns
// the PDU (for INITIAL CONTEXT SETUP REQUEST when inICS), or nil when
// there is no connection to send on.
func (m *Machine) sendNAS(msg nas.Message, inICS bool) []byte {
	if m.s.ECM != ECMConnected || m.s.Releasing {
		return nil
	}
	pdu, err := m.encodeDL(msg, m.protectNow())
	if err != nil {
		m.rd.Anomalies = append(m.rd.Anomalies, Anomaly{State: m.s.EMM, Event: "encode", What: err.Error()})
		return nil
	}
	if !inICS {
		m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.DownlinkNASTransport{NASPDU: pdu}})
	}
	return pdu
}

// protectNow reports whether downlink messages are protected now.
func (m *Machine) protectNow() bool { return m.s.Secure && m.sec != nil }

// encodeDL encodes msg and, if protect, protects it with the current
// context (header type 2). The result is a new slice the effect owns.
func (m *Machine) encodeDL(msg nas.Message, protect bool) ([]byte, error) {
	plain, err := nas.AppendEncode(m.buf[:0], msg)
	if err != nil {
		return nil, fmt.Errorf("session: encode %v: %w", msg.MessageType(), err)
	}
	m.buf = plain[:0]
	if !protect {
		return append([]byte(nil), plain...), nil
	}
	out, err := m.sec.Protect(make([]byte, 0, len(plain)+nas.SecurityProtectedHeaderLen), plain, nas.IntegrityProtectedCiphered)
	if err != nil {
		return nil, fmt.Errorf("session: protect %v: %w", msg.MessageType(), err)
	}
	m.touch() // the downlink COUNT moved
	return out, nil
}

// guard sends a NAS message guarded by a NAS timer and remembers it for
// retransmission (TS 24.301 §4.4.3.1: a retransmission gets a new COUNT, so
// the plain message is kept).
func (m *Machine) guard(id TimerID, msg nas.Message, inICS bool) []byte {
	kind := RetxPlain
	if m.protectNow() {
		kind = RetxProtected
	}
	plain, err := nas.Encode(msg)
	if err != nil {
		m.rd.Anomalies = append(m.rd.Anomalies, Anomaly{State: m.s.EMM, Event: "encode", What: err.Error()})
		return nil
	}
	m.s.Retx = Retransmission{Timer: id, Kind: kind, Msg: plain}
	m.startTimer(id)
	return m.sendNAS(msg, inICS)
}

// retransmit sends the guarded message again and restarts its timer, or
// reports false on the expiry that must abort the procedure (the fifth,
// MaxRetransmissions retransmissions done).
func (m *Machine) retransmit(id TimerID) bool {
	r := &m.s.Retx
	if r.Timer != id || r.Count >= MaxRetransmissions || m.s.ECM != ECMConnected || m.s.Releasing {
		return false
	}
	r.Count++
	var pdu []byte
	switch r.Kind {
	case RetxPlain:
		pdu = append([]byte(nil), r.Msg...)
	case RetxProtected:
		if m.sec == nil {
			return false
		}
		out, err := m.sec.Protect(make([]byte, 0, len(r.Msg)+nas.SecurityProtectedHeaderLen), r.Msg, nas.IntegrityProtectedCiphered)
		if err != nil {
			return false
		}
		pdu = out
	case RetxSMC:
		ctx := new(security.Context)
		if err := ctx.UnmarshalBinary(m.s.NewSecurity); err != nil {
			return false
		}
		out, err := ctx.Protect(make([]byte, 0, len(r.Msg)+nas.SecurityProtectedHeaderLen), r.Msg, nas.IntegrityProtectedNewContext)
		if err != nil {
			return false
		}
		m.s.NewSecurity, _ = ctx.AppendBinary(m.s.NewSecurity[:0])
		pdu = out
	default:
		return false
	}
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.DownlinkNASTransport{NASPDU: pdu}})
	m.startTimer(id)
	m.touch()
	return true
}

// nasCause builds an S1AP NAS cause.
func nasCause(c s1ap.CauseNas) s1ap.Cause { return s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: c} }

// radioCause builds an S1AP radio network cause.
func radioCause(c s1ap.CauseRadioNetwork) s1ap.Cause {
	return s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: c}
}
