package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// serviceRequest is SERVICE REQUEST (TS 24.301 §5.6.1). The service
// request procedure is issue #9; until then a UE asking for service is
// answered with SERVICE REJECT: #9 when this MME has no context for it
// (§5.6.1.5), else #10 "implicitly detached" after a local detach, so that
// the UE re-attaches. Never a silent drop.
func (m *Machine) serviceRequest(ev *nasEvent, _ []byte) {
	cause := nas.EMMCauseUEIdentityCannotBeDerived
	if m.s.EMM == EMMRegistered {
		cause = nas.EMMCauseImplicitlyDetached
		m.localDetach("service_request_not_offered")
		m.s.Releasing = false
	}
	m.anomaly(ev, "service request not offered yet (issue #9): SERVICE REJECT #"+itoa(int(cause)))
	m.sendNAS(&nas.ServiceReject{EMMCause: cause}, false)
	m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
}
