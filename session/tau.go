package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// trackingAreaUpdateRequest is TRACKING AREA UPDATE REQUEST (TS 24.301
// §5.5.3). The tracking area updating procedure is issue #9; until then the
// MME answers as a network that lost the UE's EPS context would
// (§5.5.3.2.5 #10 "implicitly detached"): it detaches the UE locally and
// rejects, so that the UE re-attaches. Never a silent drop.
func (m *Machine) trackingAreaUpdateRequest(ev *nasEvent, _ *nas.TrackingAreaUpdateRequest) {
	m.anomaly(ev, "tracking area update not offered yet (issue #9): rejected with #10")
	cause := nas.EMMCauseImplicitlyDetached
	if m.s.IMSI == "" {
		// §5.5.3.2.5 #9: a GUTI this MME cannot map to a UE.
		cause = nas.EMMCauseUEIdentityCannotBeDerived
	}
	if m.s.Proc == ProcAttach {
		// A UE that sends TAU before its attach completed: the attach
		// is aborted (its PDN connection deleted) and the UE told to
		// attach again.
		m.abortAttach("tau_during_attach", false)
	} else if m.s.EMM == EMMRegistered {
		m.localDetach("tau_not_offered")
		m.s.Releasing = false // the reject below goes first; then the release
	}
	m.sendNAS(&nas.TrackingAreaUpdateReject{EMMCause: cause}, false)
	m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
}
