package loadtest

import (
	"testing"

	"github.com/lte-mme/mme/s1ap"
)

// The eNodeB under OVERLOAD START refuses exactly the RRC establishment
// causes its Overload Action names (TS 36.413 §9.2.3.20): an attach
// (mo-Signalling) still reaches an MME that asked only to reject
// mobile-originated data.
func TestOverloadRefuses(t *testing.T) {
	const (
		emerg = s1ap.RRCEstablishmentCauseEmergency
		hp    = s1ap.RRCEstablishmentCauseHighPriorityAccess
		mt    = s1ap.RRCEstablishmentCauseMtAccess
		mos   = s1ap.RRCEstablishmentCauseMoSignalling
		mod   = s1ap.RRCEstablishmentCauseMoData
		dta   = s1ap.RRCEstablishmentCauseDelayTolerantAccess
	)
	all := []s1ap.RRCEstablishmentCause{emerg, hp, mt, mos, mod, dta}
	for _, tc := range []struct {
		a       s1ap.OverloadAction
		refused []s1ap.RRCEstablishmentCause
	}{
		{0, nil},
		{s1ap.OverloadActionRejectNonEmergencyMoDt, []s1ap.RRCEstablishmentCause{mod, dta}},
		{s1ap.OverloadActionRejectRrcCrSignalling, []s1ap.RRCEstablishmentCause{mos, mod, dta}},
		{s1ap.OverloadActionPermitEmergencySessionsAndMobileTerminatedServicesOnly, []s1ap.RRCEstablishmentCause{hp, mos, mod, dta}},
		{s1ap.OverloadActionPermitHighPrioritySessionsAndMobileTerminatedServicesOnly, []s1ap.RRCEstablishmentCause{emerg, mos, mod, dta}},
		{s1ap.OverloadActionRejectDelayTolerantAccess, []s1ap.RRCEstablishmentCause{dta}},
	} {
		for _, c := range all {
			want := false
			for _, r := range tc.refused {
				want = want || r == c
			}
			if got := overloadRefuses(tc.a, c); got != want {
				t.Errorf("action %v, cause %v: refused %v, want %v", tc.a, c, got, want)
			}
		}
	}
}
