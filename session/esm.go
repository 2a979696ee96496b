package session

import (
	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// gtpNoCause leaves the Cause IE out of a Delete Session Request.
var gtpNoCause = gtp.Cause{}

func dlNASTransport(pdu []byte) *s1ap.DownlinkNASTransport {
	return &s1ap.DownlinkNASTransport{NASPDU: pdu}
}

// deleteSessions deletes every PDN connection: Delete Session Request per
// PDN connection to the SGW (TS 23.401 §5.3.8.2.1 step 2, TS 29.274
// §7.2.9.1) unless local (the SGW lost them, TS 23.007 §16.1.1), and the
// bearers go to BEARER CONTEXT INACTIVE locally (TS 24.301 §6.4.4.6: at
// detach no ESM signalling). The answers are counted in Outstanding.
func (m *Machine) deleteSessions(cause gtp.Cause, local bool) {
	m.esmAbort("pdn_connections_deleted")
	if !local {
		for _, p := range m.s.PDNs {
			dsr := &gtp.DeleteSessionRequest{LinkedEBI: p.LBI, ULI: m.uli(), Cause: cause}
			if cause.Value == 0 {
				// TS 29.274 §8.12: the Operation Indication flag tells the SGW
				// to forward the deletion to the PGW (detach, TS 23.401 §5.3.8).
				dsr.Indication = []byte{0, 0x08}
			}
			m.effect(SendS11{Txn: m.nextTxn(), Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: dsr})
			m.s.Outstanding++
		}
	}
	m.s.PDNs = nil
	m.touch()
}

// s11Response dispatches an S11 answer by message type: the procedure in
// progress waits for Create Session; Delete Session answers are counted
// down; Modify Bearer and Release Access Bearers are checked against the
// transaction awaited.
func (m *Machine) s11Response(e *S11Response) {
	if t := &m.s.ESM; t.Active() && t.Txn != 0 && e.Txn == t.Txn {
		m.esmS11Response(e) // bearer.go, pdn.go
		return
	}
	if m.handoverS11Response(e) {
		return
	}
	switch resp := e.Msg.(type) {
	case *gtp.DeleteSessionResponse:
		m.deleteSessionResponse(e, resp)
		return
	case *gtp.CreateSessionResponse:
		if !m.expected(e, WaitCSR, e.Txn) {
			return
		}
		m.createSessionResponse(e, resp)
		return
	case *gtp.ModifyBearerResponse:
		if m.s.Wait == WaitServiceMBR && m.s.Pending == e.Txn && e.Txn != 0 {
			m.serviceMBRResponse(e, resp)
			return
		}
		if m.s.Pending != e.Txn || e.Txn == 0 {
			m.anomaly(e, "stale Modify Bearer Response")
			return
		}
		m.s.Pending = 0
		m.touch()
		if !resp.Cause.Accepted() {
			// TS 23.401 §5.3.2.1 step 23: the user plane is not set up; the
			// UE keeps its EPS bearer, the operator sees the failure.
			m.anomaly(e, "Modify Bearer rejected with cause "+resp.Cause.Value.String())
		}
		return
	case *gtp.ReleaseAccessBearersResponse:
		m.releaseAccessBearersResponse(e, resp)
		return
	case *gtp.DeleteIndirectDataForwardingTunnelResponse:
		// TS 29.274 §7.2.23: nothing waits for it (handover.go
		// deleteIndirectForwarding); Context Not Found means the SGW had
		// no tunnels left (a creation that never happened).
		if !resp.Cause.Accepted() && resp.Cause.Value != gtp.CauseContextNotFound {
			m.anomaly(e, "Delete Indirect Data Forwarding Tunnel rejected with cause "+resp.Cause.Value.String())
		}
		return
	case *gtp.CreateIndirectDataForwardingTunnelResponse:
		// The handover ended before the SGW answered: its tunnels were
		// deleted by handoverDone.
		m.anomaly(e, "Create Indirect Data Forwarding Tunnel Response after the handover ended")
		return
	}
	if e.Err == nil {
		m.anomaly(e, "unexpected S11 message")
		return
	}
	// An error without a message: which request failed is told by the
	// transaction.
	switch {
	case m.s.Wait == WaitCSR && m.s.Pending == e.Txn:
		// TS 29.274 §7.6: no answer after N3 retransmissions. The SGW may
		// hold the session: nothing to delete that it acknowledged.
		m.rejectAttach(nas.EMMCauseNetworkFailure, "s11:no_response",
			&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: nas.ESMCauseNetworkFailure})
	case m.s.Wait == WaitRAB && m.s.Pending == e.Txn:
		m.releaseAccessBearersResponse(e, nil)
	case m.s.Wait == WaitServiceMBR && m.s.Pending == e.Txn && e.Txn != 0:
		m.serviceMBRResponse(e, nil)
	case m.s.Pending == e.Txn && e.Txn != 0:
		m.s.Pending = 0
		m.touch()
		m.anomaly(e, "Modify Bearer got no answer: "+e.Err.Error())
	case m.s.Outstanding > 0:
		// A Delete Session Request without answer: the session is deleted
		// here all the same (TS 23.007 §20 leaves the SGW to clean up).
		m.deleteSessionResponse(e, nil)
	default:
		m.anomaly(e, "stale S11 error: "+e.Err.Error())
	}
}

// deleteSessionResponse counts a Delete Session answer (or its absence)
// and continues the procedure that waited for all of them.
func (m *Machine) deleteSessionResponse(e *S11Response, resp *gtp.DeleteSessionResponse) {
	if m.s.Outstanding == 0 {
		m.anomaly(e, "Delete Session Response not awaited")
		return
	}
	if resp != nil && !resp.Cause.Accepted() && resp.Cause.Value != gtp.CauseContextNotFound {
		m.anomaly(e, "Delete Session rejected with cause "+resp.Cause.Value.String())
	}
	m.s.Outstanding--
	m.touch()
	if m.s.Outstanding > 0 {
		return
	}
	switch {
	case m.s.Proc == ProcAttach && m.s.Wait == WaitOldSessions:
		m.createSession()
	case m.s.Proc == ProcDetachUE && m.s.Wait == WaitDSR:
		m.detachUEDone()
	case m.s.Proc == ProcDetachNetwork && m.s.Wait == WaitDSR:
		m.detachNetworkDone(true)
	case m.s.Proc == ProcDetachImplicit && m.s.Wait == WaitDSR:
		m.detachImplicitDone()
	}
}

// sgwLost: TS 23.007 §16.1.1 (SGW restart) and §20 (path failure): the
// PDN connections through that SGW are deleted locally; a UE left without
// any is detached: explicitly with "re-attach required" when
// ECM-CONNECTED, implicitly when ECM-IDLE.
func (m *Machine) sgwLost(e *SGWLost) {
	if m.s.SGW != e.SGW || (len(m.s.PDNs) == 0 && m.s.Wait != WaitCSR) {
		m.anomaly(e, "no PDN connection through that SGW")
		return
	}
	why := "s11:sgw_path_failure"
	if e.Restarted {
		why = "s11:sgw_restart"
	}
	m.deleteSessions(gtpNoCause, true)
	if m.s.Proc == ProcAttach {
		m.rejectAttach(nas.EMMCauseNetworkFailure, why, nil)
		return
	}
	if m.s.EMM != EMMRegistered {
		return
	}
	if m.s.Proc != ProcNone {
		m.outcome(m.s.Proc, false, why)
		m.end()
	}
	m.begin(ProcDetachNetwork, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcDetachNetwork)
	if m.s.ECM == ECMConnected && !m.s.Releasing {
		m.detachRequestNetwork(true)
		return
	}
	m.detachNetworkDone(false)
}
