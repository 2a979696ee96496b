package loadtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// traceRec is one message of a conformance trace: direction, the S1AP
// message, the plain NAS message it carried (after deciphering) and the
// key IE values the expected sequences check.
type traceRec struct {
	Dir  string            `json:"dir"`
	S1AP string            `json:"s1ap,omitempty"`
	NAS  string            `json:"nas,omitempty"`
	IEs  map[string]string `json:"ies,omitempty"`
}

func (r traceRec) String() string {
	var b strings.Builder
	b.WriteString(r.Dir + " " + r.S1AP)
	if r.NAS != "" {
		b.WriteString("/" + r.NAS)
	}
	if len(r.IEs) > 0 {
		fmt.Fprintf(&b, " %v", r.IEs)
	}
	return b.String()
}

// traceLog is the message sequence of one UE or one S1 association.
type traceLog struct {
	mu   sync.Mutex
	recs []traceRec
}

// maxTrace bounds one trace (a conformance scenario is a few dozen).
const maxTrace = 512

func (t *traceLog) add(r traceRec) {
	t.mu.Lock()
	if len(t.recs) < maxTrace {
		t.recs = append(t.recs, r)
	}
	t.mu.Unlock()
}

func (t *traceLog) records() []traceRec {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]traceRec(nil), t.recs...)
}

// traceFromS1AP records a message with the key IEs of the non-UE and
// UE-associated S1AP messages (cause, RRC establishment cause, handover
// type).
func traceFromS1AP(dir string, m s1ap.Message) traceRec {
	r := traceRec{Dir: dir, S1AP: m.MessageName()}
	set := func(k, v string) {
		if r.IEs == nil {
			r.IEs = map[string]string{}
		}
		r.IEs[k] = v
	}
	switch v := m.(type) {
	case *s1ap.S1SetupFailure:
		set("cause", causeString(v.Cause))
	case *s1ap.S1SetupResponse:
		set("relative_mme_capacity", strconv.Itoa(int(v.RelativeMMECapacity)))
	case *s1ap.Reset:
		set("cause", causeString(v.Cause))
	case *s1ap.ErrorIndication:
		if c, ok := v.Cause.Get(); ok {
			set("cause", causeString(c))
		}
	case *s1ap.UEContextReleaseCommand:
		set("cause", causeString(v.Cause))
	case *s1ap.UEContextReleaseRequest:
		set("cause", causeString(v.Cause))
	case *s1ap.InitialContextSetupFailure:
		set("cause", causeString(v.Cause))
	case *s1ap.PathSwitchRequestFailure:
		set("cause", causeString(v.Cause))
	case *s1ap.HandoverPreparationFailure:
		set("cause", causeString(v.Cause))
	case *s1ap.InitialUEMessage:
		set("rrc_cause", v.RRCEstablishmentCause.String())
		if _, ok := v.STMSI.Get(); ok {
			set("s_tmsi", "present")
		}
	case *s1ap.PathSwitchRequestAcknowledge:
		set("ncc", strconv.Itoa(int(v.SecurityContext.NextHopChainingCount)))
	case *s1ap.HandoverRequest:
		set("ncc", strconv.Itoa(int(v.SecurityContext.NextHopChainingCount)))
	}
	return r
}

// withNAS adds the plain NAS message m and its key IEs to r.
func (r traceRec) withNAS(m nas.Message) traceRec {
	if m == nil {
		return r
	}
	r.NAS = nasName(m)
	set := func(k, v string) {
		if r.IEs == nil {
			r.IEs = map[string]string{}
		}
		r.IEs[k] = v
	}
	cause := func(c nas.EMMCause) string { return "#" + strconv.Itoa(int(c)) }
	switch v := m.(type) {
	case *nas.AttachRequest:
		set("identity", identityName(v.EPSMobileIdentity.Type))
		set("ksi", strconv.Itoa(int(v.NASKeySetIdentifier.KSI)))
	case *nas.AttachReject:
		set("emm_cause", cause(v.EMMCause))
	case *nas.AttachAccept:
		set("attach_result", strconv.Itoa(int(v.EPSAttachResult)))
		if v.GUTI != nil {
			set("guti", "present")
		}
		f := v.EPSNetworkFeatureSupport
		set("emc_bs", boolDigit(f.EMCBS()))
		set("ims_vops", boolDigit(f.IMSVoPS()))
	case *nas.AuthenticationFailure:
		set("emm_cause", cause(v.EMMCause))
		if v.AuthenticationFailureParameter != nil {
			set("auts", "present")
		}
	case *nas.SecurityModeCommand:
		set("eea", strconv.Itoa(int(v.SelectedNASSecurityAlgorithms.Ciphering)))
		set("eia", strconv.Itoa(int(v.SelectedNASSecurityAlgorithms.Integrity)))
	case *nas.SecurityModeReject:
		set("emm_cause", cause(v.EMMCause))
	case *nas.IdentityRequest:
		set("identity_type", strconv.Itoa(int(v.IdentityType)))
	case *nas.TrackingAreaUpdateRequest:
		set("update_type", strconv.Itoa(int(v.EPSUpdateType.Value)))
		set("active", boolDigit(v.EPSUpdateType.Active))
	case *nas.TrackingAreaUpdateReject:
		set("emm_cause", cause(v.EMMCause))
	case *nas.TrackingAreaUpdateAccept:
		if v.GUTI != nil {
			set("guti", "present")
		}
	case *nas.ServiceReject:
		set("emm_cause", cause(v.EMMCause))
	case *nas.DetachRequestUEOriginating:
		set("switch_off", boolDigit(v.DetachType.SwitchOff))
	case *nas.DetachRequestUETerminated:
		set("detach_type", strconv.Itoa(int(v.DetachType.Type)))
	case *nas.PDNConnectivityReject:
		set("esm_cause", "#"+strconv.Itoa(int(v.ESMCause)))
	case *nas.PDNDisconnectReject:
		set("esm_cause", "#"+strconv.Itoa(int(v.ESMCause)))
	case *nas.ActivateDedicatedEPSBearerContextReject:
		set("esm_cause", "#"+strconv.Itoa(int(v.ESMCause)))
	}
	return r
}

func nasName(m nas.Message) string {
	s := fmt.Sprintf("%T", m)
	return s[strings.LastIndexByte(s, '.')+1:]
}

func identityName(t nas.EPSIdentityType) string {
	switch t {
	case nas.EPSIdentityIMSI:
		return "imsi"
	case nas.EPSIdentityGUTI:
		return "guti"
	}
	return strconv.Itoa(int(t))
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// ueAssociated reports whether m belongs to a UE-associated logical S1
// connection (traced per UE, not per association).
func ueAssociated(m s1ap.Message) bool {
	switch m.(type) {
	case *s1ap.S1SetupRequest, *s1ap.S1SetupResponse, *s1ap.S1SetupFailure, *s1ap.Reset, *s1ap.ResetAcknowledge,
		*s1ap.Paging, *s1ap.MMEConfigurationUpdate, *s1ap.MMEConfigurationUpdateAcknowledge, *s1ap.OverloadStart,
		*s1ap.OverloadStop, *s1ap.ENBConfigurationUpdate, *s1ap.ENBConfigurationUpdateAcknowledge:
		return false
	case *s1ap.ErrorIndication:
		v := m.(*s1ap.ErrorIndication)
		return v.ENBUES1APID.Present || v.MMEUES1APID.Present
	}
	return true
}

// enbUEID returns the eNB-UE-S1AP-ID of a UE-associated downlink message.
func enbUEID(m s1ap.Message) (uint32, bool) {
	switch v := m.(type) {
	case *s1ap.DownlinkNASTransport:
		return uint32(v.ENBUES1APID), true
	case *s1ap.InitialContextSetupRequest:
		return uint32(v.ENBUES1APID), true
	case *s1ap.ERABSetupRequest:
		return uint32(v.ENBUES1APID), true
	case *s1ap.ERABModifyRequest:
		return uint32(v.ENBUES1APID), true
	case *s1ap.ERABReleaseCommand:
		return uint32(v.ENBUES1APID), true
	case *s1ap.UEContextModificationRequest:
		return uint32(v.ENBUES1APID), true
	case *s1ap.PathSwitchRequestAcknowledge:
		return uint32(v.ENBUES1APID), true
	case *s1ap.PathSwitchRequestFailure:
		return uint32(v.ENBUES1APID), true
	case *s1ap.HandoverCommand:
		return uint32(v.ENBUES1APID), true
	case *s1ap.HandoverPreparationFailure:
		return uint32(v.ENBUES1APID), true
	case *s1ap.HandoverCancelAcknowledge:
		return uint32(v.ENBUES1APID), true
	case *s1ap.MMEStatusTransfer:
		return uint32(v.ENBUES1APID), true
	case *s1ap.DownlinkNonUEAssociatedLPPaTransport:
		return 0, false
	}
	return 0, false
}
