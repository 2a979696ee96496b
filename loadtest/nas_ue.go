package loadtest

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// dlDecoder decodes downlink NAS messages; the result aliases the input,
// which the handlers never keep.
var dlDecoder = nas.Decoder{Direction: nas.Downlink, NoCopy: true}

// onNAS is the UE's NAS entity receiving a downlink NAS-PDU (TS 24.301
// §4.4.4 integrity checking, §4.4.5 deciphering), then the EMM or ESM
// procedure it belongs to. carrier is the S1AP message it came in (for the
// trace).
func (w *worker) onNAS(ue uint32, c *conn, pdu []byte, carrier s1ap.Message) {
	if msg := w.receiveNAS(ue, c, pdu, carrier); msg != nil {
		w.handleNAS(ue, c, msg)
	}
}

// receiveNAS checks, deciphers and decodes a downlink NAS-PDU and traces
// it; nil when the UE discards it (or when it was a SECURITY MODE COMMAND,
// handled here). The message aliases the worker's scratch: handle it
// before the next receiveNAS.
func (w *worker) receiveNAS(ue uint32, c *conn, pdu []byte, carrier s1ap.Message) nas.Message {
	_, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		w.sim.countError("nas: undecodable downlink NAS-PDU")
		return nil
	}
	plain := pdu
	switch {
	case sht == nas.IntegrityProtectedNewContext:
		w.onSecurityModeCommand(ue, c, pdu, carrier)
		return nil
	case sht.IsProtected():
		if c.sec == nil {
			// TS 24.301 §4.4.4.2: no context to check it with.
			w.sim.countError("nas: protected downlink message without a security context")
			return nil
		}
		plain, _, err = c.sec.Unprotect(w.secBuf[:0], pdu)
		if err != nil {
			// TS 24.301 §4.4.4.2: the UE discards a message that fails the
			// integrity check.
			w.sim.countError("nas: downlink integrity check failed")
			return nil
		}
		w.secBuf = plain[:0]
		c.secure = true
	case sht != nas.Plain:
		w.sim.countError("nas: downlink security header type " + sht.String())
		return nil
	}
	msg, err := dlDecoder.Decode(plain)
	if err != nil {
		w.sim.countError("nas: " + err.Error())
		return nil
	}
	if t := w.sim.ueTrace(ue); t != nil {
		t.add(traceFromS1AP("dl", carrier).withNAS(msg))
	}
	if sht == nas.Plain && c.secure && !plainAllowed(msg) {
		// TS 24.301 §4.4.4.2: once secure exchange is established, plain
		// messages other than these are discarded.
		w.sim.countError("nas: unprotected " + nasName(msg) + " discarded")
		return nil
	}
	return msg
}

// handleNAS runs the EMM or ESM procedure of a received message.
func (w *worker) handleNAS(ue uint32, c *conn, msg nas.Message) {
	u := &w.sim.ues[ue]
	switch m := msg.(type) {
	case *nas.IdentityRequest:
		w.onIdentityRequest(ue, c, m)
	case *nas.AuthenticationRequest:
		w.onAuthenticationRequest(ue, c, m)
	case *nas.AuthenticationReject:
		w.onAuthenticationReject(ue)
	case *nas.SecurityModeCommand:
		w.sim.countError("nas: SECURITY MODE COMMAND without security header type 3")
	case *nas.AttachAccept:
		w.onAttachAccept(ue, c, m)
	case *nas.AttachReject:
		w.onAttachReject(ue, c, m)
	case *nas.ESMInformationRequest:
		w.sendNAS(ue, c, &nas.ESMInformationResponse{PTI: m.PTI, AccessPointName: w.apn(u)})
	case *nas.DetachAccept:
		w.onDetachAccept(ue)
	case *nas.DetachRequestUETerminated:
		w.onNetworkDetach(ue, c, m)
	case *nas.TrackingAreaUpdateAccept:
		w.onTAUAccept(ue, c, m)
	case *nas.TrackingAreaUpdateReject:
		w.onTAUReject(ue, m)
	case *nas.ServiceReject:
		w.onServiceReject(ue, m)
	case *nas.ServiceAccept:
		// TS 24.301 §5.6.1.4.1 (EPS services with control plane CIoT
		// only); nothing to do for user-plane service requests.
	case *nas.GUTIReallocationCommand:
		w.setGUTI(ue, m.GUTI)
		if m.TAIList != nil {
			w.setTAIList(u, m.TAIList)
		}
		w.sendNAS(ue, c, &nas.GUTIReallocationComplete{})
	case *nas.EMMInformation:
		// TS 24.301 §5.4.5: informational only.
	case *nas.EMMStatus:
		w.sim.countError("nas: EMM STATUS from the network: " + m.EMMCause.String())
	case *nas.ActivateDefaultEPSBearerContextRequest:
		w.onActivateDefaultBearer(ue, c, m)
	case *nas.ActivateDedicatedEPSBearerContextRequest:
		w.onActivateDedicatedBearer(ue, c, m)
	case *nas.ModifyEPSBearerContextRequest:
		w.sendNAS(ue, c, &nas.ModifyEPSBearerContextAccept{EBI: m.EBI, PTI: m.PTI})
	case *nas.DeactivateEPSBearerContextRequest:
		w.onDeactivateBearer(ue, c, m)
	case *nas.PDNConnectivityReject:
		if u.proc == ProcPDNConnect {
			w.fail(ue, "pdn_connectivity_reject:#"+itoa(int(m.ESMCause)))
		}
	case *nas.PDNDisconnectReject:
		if u.proc == ProcPDNDisconnect {
			w.fail(ue, "pdn_disconnect_reject:#"+itoa(int(m.ESMCause)))
		}
	case *nas.ESMStatus:
		w.sim.countError("nas: ESM STATUS from the network")
	default:
		w.sim.countError("nas: unexpected downlink " + nasName(msg))
	}
}

// plainAllowed lists the messages a UE processes without integrity
// protection (TS 24.301 §4.4.4.2).
func plainAllowed(m nas.Message) bool {
	switch m := m.(type) {
	case *nas.IdentityRequest:
		return m.IdentityType == nas.IdentityIMSI
	case *nas.AuthenticationRequest, *nas.AuthenticationReject, *nas.AttachReject, *nas.DetachAccept,
		*nas.TrackingAreaUpdateReject, *nas.ServiceReject:
		return true
	}
	return false
}

// onIdentityRequest answers IDENTITY REQUEST (TS 24.301 §5.4.4.3).
func (w *worker) onIdentityRequest(ue uint32, c *conn, m *nas.IdentityRequest) {
	u := &w.sim.ues[ue]
	id := nas.MobileIdentity{Type: nas.MobileIdentityIMSI, Digits: u.IMSI()}
	switch m.IdentityType {
	case nas.IdentityIMEI, nas.IdentityIMEISV:
		id = nas.MobileIdentity{Type: nas.MobileIdentityIMEISV, Digits: w.imeisv(u)}
	case nas.IdentityTMSI:
		if u.flags&hasGUTI != 0 {
			id = nas.MobileIdentity{Type: nas.MobileIdentityTMSI, TMSI: u.mtmsi}
		}
	}
	w.sendNAS(ue, c, &nas.IdentityResponse{MobileIdentity: id})
}

// imeisv is the profile's IMEISV or one derived from the IMSI (TAC
// 35000000, serial from the IMSI's last digits, SVN 01).
func (w *worker) imeisv(u *UE) string {
	if s := w.sim.profiles[u.profile].imeisv; s != "" {
		return s
	}
	b := []byte("3500000000000001")
	v := u.imsi
	for i := 13; i >= 8; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b)
}

func (w *worker) apn(u *UE) *nas.APN {
	if a := w.sim.profiles[u.profile].p.APN; a != "" {
		v := nas.APN(a)
		return &v
	}
	v := nas.APN(DefaultAPN)
	return &v
}

// setGUTI stores a GUTI the network allocated and indexes its M-TMSI for
// paging.
func (w *worker) setGUTI(ue uint32, g nas.GUTI) {
	u := &w.sim.ues[ue]
	if u.flags&hasGUTI != 0 {
		w.sim.tmsi.del(u.mtmsi, ue)
	}
	u.gutiPLMN, u.mmegi, u.mmec, u.mtmsi = g.PLMN, g.MMEGroupID, g.MMECode, g.MTMSI
	u.flags |= hasGUTI
	w.sim.tmsi.put(g.MTMSI, ue)
}

func (w *worker) guti(u *UE) nas.GUTI {
	return nas.GUTI{PLMN: u.gutiPLMN, MMEGroupID: u.mmegi, MMECode: u.mmec, MTMSI: u.mtmsi}
}

// setTAIList records the registered TAIs that are TAIs of this run.
func (w *worker) setTAIList(u *UE, l nas.TAIList) {
	u.taiMask = 0
	for i, t := range w.sim.tais {
		if l.Contains(t) {
			u.taiMask |= 1 << i
		}
	}
}

func (w *worker) ksi(c *conn) nas.NASKeySetIdentifier {
	if c != nil && c.sec != nil {
		k := c.sec.KSI()
		t := nas.NativeSecurityContext
		if k.Mapped {
			t = nas.MappedSecurityContext
		}
		return nas.NASKeySetIdentifier{TSC: t, KSI: k.Value}
	}
	return nas.NASKeySetIdentifier{KSI: nas.NoKeyAvailable}
}

// initialNAS builds the NAS-PDU of an initial NAS message (ATTACH, TAU,
// DETACH, EXTENDED SERVICE REQUEST): integrity protected, not ciphered,
// with the current context when there is one (TS 24.301 §4.4.4.2, §4.4.5),
// plain otherwise. It records the uplink COUNT used (the K_eNB input, TS
// 33.401 A.3).
func (w *worker) initialNAS(c *conn, m nas.Message) []byte {
	if c.sec != nil {
		c.trigger = c.sec.ULCount()
		c.ulFirst = c.trigger
	}
	return w.protectNAS(c, m, true)
}

// sendInitialUE opens the UE's S1 connection with INITIAL UE MESSAGE (TS
// 36.413 §8.6.2.1) on the MME the eNodeB's NAS node selection picks.
func (w *worker) sendInitialUE(ue uint32, c *conn, pdu []byte, m nas.Message, cause s1ap.RRCEstablishmentCause, withSTMSI bool) {
	u := &w.sim.ues[ue]
	e := w.sim.enbs[c.enb]
	w.ium = s1ap.InitialUEMessage{ENBUES1APID: s1ap.ENBUES1APID(ue), NASPDU: pdu, TAI: w.sim.tai(e, c.cell),
		EUTRANCGI: w.sim.ecgi(e, c.cell), RRCEstablishmentCause: cause}
	msg := &w.ium
	if withSTMSI && u.flags&hasGUTI != 0 {
		t := u.mtmsi
		msg.STMSI = s1ap.Some(s1ap.STMSI{MMEC: s1ap.MMECode{u.mmec}, MTMSI: s1ap.MTMSI{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}})
	}
	w.sendUE(ue, c, msg, m)
}

// connect creates the UE's connection on its serving cell towards the MME
// the eNodeB selects; nil when no MME is reachable (the procedure fails).
func (w *worker) connect(ue uint32, withSTMSI bool, cause s1ap.RRCEstablishmentCause) *conn {
	u := &w.sim.ues[ue]
	e := w.sim.enbs[u.enb]
	l := e.selectLink(withSTMSI && u.flags&hasGUTI != 0, u.mmegi, u.mmec, cause)
	if l == nil {
		if e.overloaded() {
			// TS 36.331 §5.3.3.8: RRC CONNECTION REJECT; NAS sees a lower
			// layer failure.
			w.fail(ue, "rrc_reject_mme_overload")
		} else {
			w.fail(ue, "no_mme_reachable")
		}
		return nil
	}
	c, i := w.newConn(ue, u.enb, u.cell, l.mme)
	u.conn = i
	u.ecm = ECMConnected
	w.stopTimer(u, slotIdle) // T3412 stops in ECM-CONNECTED (TS 24.301 §5.3.5)
	return c
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

var _ = security.Count(0)
