package s6a

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// Result-Code values of the Diameter base protocol (RFC 6733 §7.1).
const (
	ResultSuccess                uint32 = 2001
	ResultLimitedSuccess         uint32 = 2002
	ResultCommandUnsupported     uint32 = 3001
	ResultUnableToDeliver        uint32 = 3002
	ResultRealmNotServed         uint32 = 3003
	ResultTooBusy                uint32 = 3004
	ResultLoopDetected           uint32 = 3005
	ResultRedirectIndication     uint32 = 3006
	ResultApplicationUnsupported uint32 = 3007
	ResultInvalidHdrBits         uint32 = 3008
	ResultInvalidAVPBits         uint32 = 3009
	ResultUnknownPeer            uint32 = 3010
	ResultAuthenticationRejected uint32 = 4001
	ResultOutOfSpace             uint32 = 4002
	ResultElectionLost           uint32 = 4003
	ResultAVPUnsupported         uint32 = 5001
	ResultUnknownSessionID       uint32 = 5002
	ResultAuthorizationRejected  uint32 = 5003
	ResultInvalidAVPValue        uint32 = 5004
	ResultMissingAVP             uint32 = 5005
	ResultResourcesExceeded      uint32 = 5006
	ResultContradictingAVPs      uint32 = 5007
	ResultAVPNotAllowed          uint32 = 5008
	ResultAVPOccursTooManyTimes  uint32 = 5009
	ResultNoCommonApplication    uint32 = 5010
	ResultUnsupportedVersion     uint32 = 5011
	ResultUnableToComply         uint32 = 5012
	ResultInvalidBitInHeader     uint32 = 5013
	ResultInvalidAVPLength       uint32 = 5014
	ResultInvalidMessageLength   uint32 = 5015
	ResultInvalidAVPBitCombo     uint32 = 5016
	ResultNoCommonSecurity       uint32 = 5017
)

// Experimental-Result-Code values of S6a, sent with Vendor-Id 10415
// (TS 29.272 §7.4.3 permanent failures, §7.4.4 transient failures).
const (
	ExpErrorUserUnknown              uint32 = 5001 // §7.4.3.1
	ExpErrorUnknownEPSSubscription   uint32 = 5420 // §7.4.3.2
	ExpErrorRATNotAllowed            uint32 = 5421 // §7.4.3.3
	ExpErrorRoamingNotAllowed        uint32 = 5004 // §7.4.3.4
	ExpErrorEquipmentUnknown         uint32 = 5422 // §7.4.3.5
	ExpErrorUnknownServingNode       uint32 = 5423 // §7.4.3.6
	ExpAuthenticationDataUnavailable uint32 = 4181 // §7.4.4.1
	ExpErrorCamelSubscriptionPresent uint32 = 4182 // §7.4.4.2
)

// Result is the outcome an answer carries: a Result-Code AVP (VendorID 0)
// or an Experimental-Result AVP (VendorID 10415 for the S6a codes of
// TS 29.272 §7.4). TS 29.272 §7.4.3: an S6a-specific code travels in
// Experimental-Result and then Result-Code is absent.
type Result struct {
	Code     uint32
	VendorID uint32
}

// Success is the Result of a successful answer (DIAMETER_SUCCESS).
var Success = Result{Code: ResultSuccess}

// BaseResult returns a Result carried in the Result-Code AVP.
func BaseResult(code uint32) Result { return Result{Code: code} }

// ExperimentalResult returns an S6a Result carried in Experimental-Result.
func ExperimentalResult(code uint32) Result { return Result{Code: code, VendorID: Vendor3GPP} }

// IsSuccess reports a 2xxx result (RFC 6733 §7.1.2).
func (r Result) IsSuccess() bool { return r.Code >= 2000 && r.Code < 3000 }

// IsTransient reports a 4xxx result: the request may succeed later
// (RFC 6733 §7.1.4, TS 29.272 §7.4.4).
func (r Result) IsTransient() bool { return r.Code >= 4000 && r.Code < 5000 }

func (r Result) String() string {
	if r.VendorID != 0 {
		return fmt.Sprintf("experimental %d (vendor %d)", r.Code, r.VendorID)
	}
	return fmt.Sprintf("result %d", r.Code)
}

// EMMCause is an EMM cause value (TS 24.301 §9.9.3.9) as the MME sends it
// in Attach Reject, Tracking Area Update Reject or Service Reject.
type EMMCause uint8

// The EMM causes S6a failures map to (TS 24.301 §9.9.3.9, Annex A).
const (
	EMMCauseIMSIUnknownInHSS               EMMCause = 2
	EMMCauseIllegalUE                      EMMCause = 3
	EMMCauseEPSServicesNotAllowed          EMMCause = 7
	EMMCauseEPSAndNonEPSServicesNotAllowed EMMCause = 8
	EMMCausePLMNNotAllowed                 EMMCause = 11
	EMMCauseTrackingAreaNotAllowed         EMMCause = 12
	EMMCauseRoamingNotAllowedInTA          EMMCause = 13
	EMMCauseEPSServicesNotAllowedInPLMN    EMMCause = 14
	EMMCauseNoSuitableCellsInTA            EMMCause = 15
	EMMCauseNetworkFailure                 EMMCause = 17
	EMMCauseCongestion                     EMMCause = 22
)

// EMMCauseFor maps the result of a failed Update-Location or
// Authentication-Information answer to the EMM cause of the reject the
// MME sends to the UE, per TS 29.272 Annex A Table A.1 ("Mapping from S6a
// error codes to NAS Cause Code values"). Where the table leaves the
// operator a choice, the first listed cause is used (noted per row).
// ok is false for a successful result, which maps to no reject.
//
// Answers that never arrive (timeout, no HSS reachable) are not a Result;
// the MME uses EMMCauseNetworkFailure for them (TS 29.272 Annex A, "no
// response from HSS").
func EMMCauseFor(r Result) (cause EMMCause, ok bool) {
	if r.IsSuccess() {
		return 0, false
	}
	if r.VendorID == Vendor3GPP {
		switch r.Code {
		case ExpErrorUserUnknown:
			// Annex A: #8 "EPS services and non-EPS services not allowed".
			return EMMCauseEPSAndNonEPSServicesNotAllowed, true
		case ExpErrorUnknownEPSSubscription:
			// Annex A: #15 "No suitable cells in tracking area" (or #7/#14 by policy).
			return EMMCauseNoSuitableCellsInTA, true
		case ExpErrorRATNotAllowed:
			// Annex A: #15 "No suitable cells in tracking area" (or #12/#13 by policy).
			return EMMCauseNoSuitableCellsInTA, true
		case ExpErrorRoamingNotAllowed:
			// Annex A: #11 "PLMN not allowed" (or #13/#14/#15 by policy and ODB).
			return EMMCausePLMNNotAllowed, true
		case ExpAuthenticationDataUnavailable, ExpErrorUnknownServingNode,
			ExpErrorEquipmentUnknown, ExpErrorCamelSubscriptionPresent:
			// Annex A: #17 "Network failure".
			return EMMCauseNetworkFailure, true
		}
		return EMMCauseNetworkFailure, true
	}
	switch r.Code {
	case ResultTooBusy:
		// Not in Annex A: the HSS is overloaded; TS 24.301 §5.5.1.2.5 lets
		// the MME answer #22 "Congestion" with a back-off timer T3346.
		return EMMCauseCongestion, true
	case ResultAuthorizationRejected, ResultUnableToDeliver, ResultRealmNotServed,
		ResultUnableToComply, ResultInvalidAVPValue, ResultAVPUnsupported,
		ResultMissingAVP, ResultResourcesExceeded, ResultAVPOccursTooManyTimes:
		// Annex A: #17 "Network failure".
		return EMMCauseNetworkFailure, true
	}
	return EMMCauseNetworkFailure, true
}

// Errors of the typed decoders. A decode error is an *AVPError carrying
// the Result-Code to answer with and the AVP at fault (RFC 6733 §7.5
// Failed-AVP); it wraps one of these sentinels.
var (
	ErrMissingAVP   = errors.New("s6a: missing mandatory AVP")
	ErrInvalidAVP   = errors.New("s6a: invalid AVP")
	ErrWrongCommand = errors.New("s6a: wrong command")
)

// AVPError reports an AVP that is missing or malformed: Code names the AVP,
// ResultCode is what an answer to the request must carry (5005
// DIAMETER_MISSING_AVP, 5004 DIAMETER_INVALID_AVP_VALUE, 5014
// DIAMETER_INVALID_AVP_LENGTH; RFC 6733 §7.1.5).
type AVPError struct {
	Code       uint32
	ResultCode uint32
	Reason     string
}

func avpError(code, result uint32, reason string) *AVPError {
	return &AVPError{Code: code, ResultCode: result, Reason: reason}
}

func missing(code uint32) *AVPError { return avpError(code, ResultMissingAVP, "missing") }

func (e *AVPError) Error() string {
	return fmt.Sprintf("s6a: AVP %s (%d): %s", avpName(e.Code), e.Code, e.Reason)
}

func (e *AVPError) Unwrap() error {
	if e.ResultCode == ResultMissingAVP {
		return ErrMissingAVP
	}
	return ErrInvalidAVP
}

func avpName(code uint32) string {
	if a, err := Dictionary().FindAVPByCode(ApplicationID, code, dict.UndefinedVendorID); err == nil {
		return a.Name
	}
	return "unknown"
}

// FailedAVP returns an AVP to put in Failed-AVP (RFC 6733 §7.5) for the AVP
// code: with its vendor and flags from the dictionary and a zero value of
// its type, as §7.5 asks for a missing AVP ("an example of the missing
// AVP"). Unknown codes get an empty OctetString.
func FailedAVP(code uint32) *diam.AVP {
	a, err := Dictionary().FindAVPByCode(ApplicationID, code, dict.UndefinedVendorID)
	if err != nil {
		return diam.NewAVP(code, 0, 0, datatype.OctetString(""))
	}
	flags := uint8(0)
	if strings.Contains(a.Must, "M") {
		flags |= flagM
	}
	var d datatype.Type = datatype.OctetString("")
	switch a.Data.Type {
	case datatype.Unsigned32Type:
		d = datatype.Unsigned32(0)
	case datatype.EnumeratedType:
		d = datatype.Enumerated(0)
	case datatype.Integer32Type:
		d = datatype.Integer32(0)
	case datatype.UTF8StringType:
		d = datatype.UTF8String("")
	case datatype.DiameterIdentityType:
		d = datatype.DiameterIdentity("")
	case datatype.GroupedType:
		d = &diam.GroupedAVP{}
	}
	return diam.NewAVP(code, flags, a.VendorID, d)
}
