package session

import (
	"time"

	"github.com/lte-mme/mme/gtp"
)

// downlinkDataNotification is the SGW's Downlink Data Notification (TS
// 23.401 §5.3.4.3 steps 2a-4, TS 29.274 §7.2.11): acknowledged at once;
// an idle registered UE is paged (S-TMSI, its TAI list, T3413). A UE
// being paged is not paged again for a second notification, a connected
// UE not at all (its service request or the procedure under way sets the
// user plane up); a UE this MME does not hold as attached gets "Context
// not found".
func (m *Machine) downlinkDataNotification(e *DownlinkDataNotification) {
	ack := func(c gtp.CauseValue) { m.effect(AnswerDDN{ID: e.ID, TEID: m.s.SGWTEID, Cause: c}) }
	switch {
	case m.s.EMM != EMMRegistered || len(m.s.PDNs) == 0 || !m.s.HasGUTI:
		m.anomaly(e, "Downlink Data Notification for a UE not attached")
		ack(gtp.CauseContextNotFound)
	case m.s.ECM == ECMConnected && !m.s.Releasing:
		ack(gtp.CauseRequestAccepted)
	case m.s.PagingAttempts > 0:
		// A paging runs (for an earlier notification or a Create Bearer
		// Request): its failure is now indicated to the SGW too.
		ack(gtp.CauseRequestAccepted)
		if !m.s.PagingDDN {
			m.s.PagingDDN = true
			m.touch()
		}
	default:
		ack(gtp.CauseRequestAccepted)
		m.startPaging(true)
	}
}

// startPaging starts paging the idle UE (TS 23.401 §5.3.4.3 step 3a) for a
// Downlink Data Notification (ddn) or a network-initiated bearer procedure.
func (m *Machine) startPaging(ddn bool) {
	m.rd.Started = append(m.rd.Started, ProcPaging)
	m.s.PagingAttempts, m.s.PagingStart, m.s.PagingDDN = 1, m.now, ddn
	m.page()
}

// page sends one paging attempt and (re)starts T3413 (TS 24.301 §5.6.2.2.1).
func (m *Machine) page() {
	m.effect(Page{IMSI: m.s.IMSI, MMEC: m.s.GUTI.MMECode, MTMSI: m.s.GUTI.MTMSI, TAIs: append(m.s.TAIList[:0:0], m.s.TAIList...)})
	m.startTimer(T3413)
	m.touch()
}

// t3413Expired: TS 24.301 §5.6.2.2.2: paging again, up to the configured
// attempts; then the SGW is told: Downlink Data Notification Failure
// Indication, cause "UE not responding" (TS 23.401 §5.3.4.3, TS 29.274
// §7.2.11.3), if a notification asked for the paging; the Create or
// Update Bearer Response "UE not responding" if such a request waits for
// it (esmPagingFailed). A paging only a bearer request asked for sends no
// failure indication.
func (m *Machine) t3413Expired() {
	if m.s.PagingAttempts == 0 {
		return
	}
	if m.s.EMM != EMMRegistered || m.s.ECM == ECMConnected && !m.s.Releasing {
		// Detached meanwhile, or reachable again: nothing to page for.
		m.s.PagingAttempts, m.s.PagingStart, m.s.PagingDDN = 0, time.Time{}, false
		m.touch()
		return
	}
	if m.s.PagingAttempts < m.cfg.pagingAttempts() {
		m.s.PagingAttempts++
		m.page()
		return
	}
	if m.s.PagingDDN {
		m.effect(NotifyS11{Peer: m.s.SGW, TEID: m.s.SGWTEID,
			Msg: &gtp.DownlinkDataNotificationFailureIndication{Cause: gtp.Cause{Value: gtp.CauseUENotResponding}}})
	}
	m.outcomeFrom(ProcPaging, false, "t3413_expiry", m.s.PagingStart)
	m.s.PagingAttempts, m.s.PagingStart, m.s.PagingDDN = 0, time.Time{}, false
	m.touch()
	m.esmPagingFailed() // dedicated.go
}

// pagingAnswered ends a paging when the UE comes back (service request or
// TAU; TS 24.301 §5.6.2.2.1: T3413 stops).
func (m *Machine) pagingAnswered() {
	if m.s.PagingAttempts == 0 {
		return
	}
	m.stopTimer(T3413)
	m.outcomeFrom(ProcPaging, true, "", m.s.PagingStart)
	m.s.PagingAttempts, m.s.PagingStart, m.s.PagingDDN = 0, time.Time{}, false
	m.touch()
}
