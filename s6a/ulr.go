package s6a

import (
	"github.com/fiorix/go-diameter/v4/diam"
)

// RAT-Type values (TS 29.212 §5.3.31).
const (
	RATTypeUTRAN  uint32 = 1000
	RATTypeGERAN  uint32 = 1001
	RATTypeEUTRAN uint32 = 1004
)

// ULR-Flags bits (TS 29.272 §7.3.7).
const (
	ULRSingleRegistrationIndication  uint32 = 1 << 0
	ULRS6aS6dIndicator               uint32 = 1 << 1 // set: the request comes from an MME (S6a)
	ULRSkipSubscriberData            uint32 = 1 << 2
	ULRGPRSSubscriptionDataIndicator uint32 = 1 << 3
	ULRNodeTypeIndicator             uint32 = 1 << 4
	ULRInitialAttachIndicator        uint32 = 1 << 5
	ULRPSLCSNotSupportedByUE         uint32 = 1 << 6
)

// ULA-Flags bits (TS 29.272 §7.3.8).
const (
	ULASeparationIndication uint32 = 1 << 0
	ULAMMERegisteredForSMS  uint32 = 1 << 1
)

// ULR is an Update-Location-Request (TS 29.272 §5.2.1.1.2, §7.2.3): the
// MME registers itself as the UE's serving node and asks for its
// subscription data.
type ULR struct {
	RequestHeader
	IMSI              string
	RATType           uint32  // RAT-Type (§7.3.13 ref. TS 29.212): RATTypeEUTRAN for an MME
	ULRFlags          uint32  // ULR-Flags (§7.3.7)
	VisitedPLMNID     [3]byte // Visited-PLMN-Id (§7.3.9)
	IMEI              string  // Terminal-Information/IMEI (§7.3.4), "" when absent
	SoftwareVersion   string  // Terminal-Information/Software-Version (§7.3.5)
	UESRVCCCapability *uint32 // UE-SRVCC-Capability (§7.3.130)
}

// ULA is an Update-Location-Answer (TS 29.272 §5.2.1.1.3, §7.2.4).
type ULA struct {
	AnswerHeader
	ErrorDiagnostic  *uint32
	ULAFlags         uint32            // §7.3.8; 0 when absent
	SubscriptionData *SubscriptionData // absent with ULRSkipSubscriberData or on failure
}

// Encode builds the request.
func (r *ULR) Encode() *diam.Message {
	avps := r.RequestHeader.avps(r.IMSI)
	if r.IMEI != "" || r.SoftwareVersion != "" {
		var in []*diam.AVP
		if r.IMEI != "" {
			in = append(in, tgpp(codeIMEI, flagMV, utf8Value(r.IMEI)))
		}
		if r.SoftwareVersion != "" {
			in = append(in, tgpp(codeSoftwareVersion, flagMV, utf8Value(r.SoftwareVersion)))
		}
		avps = append(avps, group(codeTerminalInformation, flagMV, Vendor3GPP, in...))
	}
	avps = append(avps,
		tgppEnum(codeRATType, flagV, r.RATType),
		tgppU32(codeULRFlags, flagMV, r.ULRFlags))
	if r.UESRVCCCapability != nil {
		avps = append(avps, tgppEnum(codeUESRVCCCapability, flagV, *r.UESRVCCCapability))
	}
	avps = append(avps, tgppOctets(codeVisitedPLMNID, r.VisitedPLMNID[:]))
	return newMessage(CmdUpdateLocation, diam.RequestFlag|diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeULR decodes an Update-Location-Request.
func DecodeULR(m *diam.Message) (*ULR, error) {
	if err := checkCommand(m, CmdUpdateLocation, true); err != nil {
		return nil, err
	}
	r := &ULR{}
	var haveRAT, haveFlags, havePLMN bool
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.RequestHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeUserName, 0):
			r.IMSI, err = asString(a)
		case isAVP(a, codeRATType, Vendor3GPP):
			r.RATType, err = asU32(a)
			haveRAT = true
		case isAVP(a, codeULRFlags, Vendor3GPP):
			r.ULRFlags, err = asU32(a)
			haveFlags = true
		case isAVP(a, codeVisitedPLMNID, Vendor3GPP):
			r.VisitedPLMNID, err = plmnID(a)
			havePLMN = true
		case isAVP(a, codeUESRVCCCapability, Vendor3GPP):
			r.UESRVCCCapability, err = optU32(a)
		case isAVP(a, codeTerminalInformation, Vendor3GPP):
			var g []*diam.AVP
			if g, err = asGroup(a); err != nil {
				return err
			}
			return forEach(g, func(x *diam.AVP) (err error) {
				switch {
				case isAVP(x, codeIMEI, Vendor3GPP):
					r.IMEI, err = asString(x)
				case isAVP(x, codeSoftwareVersion, Vendor3GPP):
					r.SoftwareVersion, err = asString(x)
				}
				return err
			})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := r.RequestHeader.check(false); err != nil {
		return nil, err
	}
	switch {
	case r.IMSI == "":
		return nil, missing(codeUserName)
	case !haveRAT:
		return nil, missing(codeRATType)
	case !haveFlags:
		return nil, missing(codeULRFlags)
	case !havePLMN:
		return nil, missing(codeVisitedPLMNID)
	}
	return r, nil
}

// Encode builds the answer.
func (r *ULA) Encode() *diam.Message {
	avps := r.AnswerHeader.avps()
	if r.ErrorDiagnostic != nil {
		avps = append(avps, tgppEnum(codeErrorDiagnostic, flagV, *r.ErrorDiagnostic))
	}
	if r.Result.IsSuccess() {
		// TS 29.272 §7.2.4: ULA-Flags is present on success.
		avps = append(avps, tgppU32(codeULAFlags, flagMV, r.ULAFlags))
	}
	if r.SubscriptionData != nil {
		avps = append(avps, r.SubscriptionData.avp())
	}
	return newMessage(CmdUpdateLocation, diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeULA decodes an Update-Location-Answer.
func DecodeULA(m *diam.Message) (*ULA, error) {
	if err := checkCommand(m, CmdUpdateLocation, false); err != nil {
		return nil, err
	}
	r := &ULA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.AnswerHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeErrorDiagnostic, Vendor3GPP):
			r.ErrorDiagnostic, err = optU32(a)
		case isAVP(a, codeULAFlags, Vendor3GPP):
			r.ULAFlags, err = asU32(a)
		case isAVP(a, codeSubscriptionData, Vendor3GPP):
			r.SubscriptionData, err = decodeSubscriptionData(a)
		case isAVP(a, codeSubscribedPeriodicTAUTimer, Vendor3GPP):
			// Some HSSs (the nextepc row of diameter.tsv) send it at the
			// top level instead of inside Subscription-Data.
			if r.SubscriptionData == nil {
				r.SubscriptionData = &SubscriptionData{}
			}
			if r.SubscriptionData.SubscribedPeriodicTAUTimer == 0 {
				r.SubscriptionData.SubscribedPeriodicTAUTimer, err = asU32(a)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := r.AnswerHeader.check(); err != nil {
		return nil, err
	}
	return r, nil
}
