package s6a

import (
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
)

// RequestHeader holds the AVPs every S6a request carries besides its
// User-Name (TS 29.272 §7.2.3 ff.; RFC 6733 §6.1, §8.8): the session,
// the originator and the destination. Auth-Session-State is always
// NO_STATE_MAINTAINED (TS 29.272 §7.1.3) and Vendor-Specific-Application-Id
// names S6a; the encoders add both.
type RequestHeader struct {
	SessionID         string
	OriginHost        string
	OriginRealm       string
	DestinationHost   string // optional in AIR, ULR, PUR; mandatory in CLR, IDR, DSR
	DestinationRealm  string
	SupportedFeatures []SupportedFeatures
}

// AnswerHeader holds the AVPs every S6a answer carries (TS 29.272 §7.2.4
// ff.): the session, the answering node and the result.
type AnswerHeader struct {
	SessionID         string
	OriginHost        string
	OriginRealm       string
	Result            Result
	SupportedFeatures []SupportedFeatures
}

// SupportedFeatures is one Supported-Features AVP (TS 29.229 §6.3.29;
// feature lists of S6a in TS 29.272 §7.3.10).
type SupportedFeatures struct {
	VendorID      uint32
	FeatureListID uint32
	FeatureList   uint32
}

// AuthSessionState values (RFC 6733 §8.11).
const noStateMaintained = 1

func (h *RequestHeader) avps(imsi string) []*diam.AVP {
	avps := make([]*diam.AVP, 0, 16)
	// RFC 6733 §8.8: Session-Id comes first, right after the header.
	avps = append(avps,
		utf8(codeSessionID, h.SessionID),
		vendorSpecificAppID(),
		base(codeAuthSessionState, enum(noStateMaintained)),
		ident(codeOriginHost, h.OriginHost),
		ident(codeOriginRealm, h.OriginRealm))
	if h.DestinationHost != "" {
		avps = append(avps, ident(codeDestinationHost, h.DestinationHost))
	}
	avps = append(avps, ident(codeDestinationRealm, h.DestinationRealm), utf8(codeUserName, imsi))
	for _, f := range h.SupportedFeatures {
		avps = append(avps, f.avp())
	}
	return avps
}

func (h *AnswerHeader) avps() []*diam.AVP {
	avps := make([]*diam.AVP, 0, 12)
	avps = append(avps, utf8(codeSessionID, h.SessionID), vendorSpecificAppID())
	avps = append(avps, h.Result.avp(),
		base(codeAuthSessionState, enum(noStateMaintained)),
		ident(codeOriginHost, h.OriginHost),
		ident(codeOriginRealm, h.OriginRealm))
	for _, f := range h.SupportedFeatures {
		avps = append(avps, f.avp())
	}
	return avps
}

func (r Result) avp() *diam.AVP {
	if r.VendorID != 0 {
		// RFC 6733 §7.6: Experimental-Result = Vendor-Id + Experimental-Result-Code.
		return group(codeExperimentalResult, flagM, 0,
			u32(codeVendorID, r.VendorID),
			u32(codeExperimentalResultCode, r.Code))
	}
	return u32(codeResultCode, r.Code)
}

func (f SupportedFeatures) avp() *diam.AVP {
	return group(codeSupportedFeatures, flagV, Vendor3GPP,
		u32(codeVendorID, f.VendorID),
		tgppU32(codeFeatureListID, flagV, f.FeatureListID),
		tgppU32(codeFeatureList, flagV, f.FeatureList))
}

// take consumes a, if it is a request header AVP.
func (h *RequestHeader) take(a *diam.AVP) (bool, error) {
	var err error
	switch {
	case isAVP(a, codeSessionID, 0):
		h.SessionID, err = asString(a)
	case isAVP(a, codeOriginHost, 0):
		h.OriginHost, err = asString(a)
	case isAVP(a, codeOriginRealm, 0):
		h.OriginRealm, err = asString(a)
	case isAVP(a, codeDestinationHost, 0):
		h.DestinationHost, err = asString(a)
	case isAVP(a, codeDestinationRealm, 0):
		h.DestinationRealm, err = asString(a)
	case isAVP(a, codeSupportedFeatures, Vendor3GPP):
		var f SupportedFeatures
		f, err = decodeSupportedFeatures(a)
		h.SupportedFeatures = append(h.SupportedFeatures, f)
	case isAVP(a, codeAuthSessionState, 0), isAVP(a, codeVendorSpecificApplicationID, 0),
		isAVP(a, codeRouteRecord, 0), isAVP(a, codeProxyInfo, 0):
		// Fixed for S6a, or relay information an end point does not use.
	default:
		return false, nil
	}
	return true, err
}

// check reports the first missing mandatory header AVP.
func (h *RequestHeader) check(needDestHost bool) error {
	switch {
	case h.SessionID == "":
		return missing(codeSessionID)
	case h.OriginHost == "":
		return missing(codeOriginHost)
	case h.OriginRealm == "":
		return missing(codeOriginRealm)
	case h.DestinationRealm == "":
		return missing(codeDestinationRealm)
	case needDestHost && h.DestinationHost == "":
		return missing(codeDestinationHost)
	}
	return nil
}

func (h *AnswerHeader) take(a *diam.AVP) (bool, error) {
	var err error
	switch {
	case isAVP(a, codeSessionID, 0):
		h.SessionID, err = asString(a)
	case isAVP(a, codeOriginHost, 0):
		h.OriginHost, err = asString(a)
	case isAVP(a, codeOriginRealm, 0):
		h.OriginRealm, err = asString(a)
	case isAVP(a, codeResultCode, 0):
		h.Result.Code, err = asU32(a)
		h.Result.VendorID = 0
	case isAVP(a, codeExperimentalResult, 0):
		h.Result, err = decodeExperimentalResult(a)
	case isAVP(a, codeSupportedFeatures, Vendor3GPP):
		var f SupportedFeatures
		f, err = decodeSupportedFeatures(a)
		h.SupportedFeatures = append(h.SupportedFeatures, f)
	case isAVP(a, codeAuthSessionState, 0), isAVP(a, codeVendorSpecificApplicationID, 0),
		isAVP(a, codeRouteRecord, 0), isAVP(a, codeProxyInfo, 0), isAVP(a, codeFailedAVP, 0),
		isAVP(a, codeErrorMessage, 0), isAVP(a, codeErrorReportingHost, 0):
	default:
		return false, nil
	}
	return true, err
}

func (h *AnswerHeader) check() error {
	switch {
	case h.SessionID == "":
		return missing(codeSessionID)
	case h.OriginHost == "":
		return missing(codeOriginHost)
	case h.OriginRealm == "":
		return missing(codeOriginRealm)
	case h.Result.Code == 0:
		return missing(codeResultCode)
	}
	return nil
}

func decodeExperimentalResult(a *diam.AVP) (Result, error) {
	g, err := asGroup(a)
	if err != nil {
		return Result{}, err
	}
	var r Result
	for _, x := range g {
		switch {
		case isAVP(x, codeVendorID, 0):
			r.VendorID, err = asU32(x)
		case isAVP(x, codeExperimentalResultCode, 0):
			r.Code, err = asU32(x)
		}
		if err != nil {
			return Result{}, err
		}
	}
	if r.Code == 0 {
		return Result{}, missing(codeExperimentalResultCode)
	}
	if r.VendorID == 0 {
		return Result{}, missing(codeVendorID)
	}
	return r, nil
}

func decodeSupportedFeatures(a *diam.AVP) (SupportedFeatures, error) {
	g, err := asGroup(a)
	if err != nil {
		return SupportedFeatures{}, err
	}
	var f SupportedFeatures
	for _, x := range g {
		switch {
		case isAVP(x, codeVendorID, 0):
			f.VendorID, err = asU32(x)
		case isAVP(x, codeFeatureListID, Vendor3GPP):
			f.FeatureListID, err = asU32(x)
		case isAVP(x, codeFeatureList, Vendor3GPP):
			f.FeatureList, err = asU32(x)
		}
		if err != nil {
			return SupportedFeatures{}, err
		}
	}
	return f, nil
}

// checkCommand verifies that m is the request (or answer) of command cmd.
func checkCommand(m *diam.Message, cmd uint32, request bool) error {
	if m == nil || m.Header == nil {
		return fmt.Errorf("%w: no message", ErrWrongCommand)
	}
	isReq := m.Header.CommandFlags&diam.RequestFlag != 0
	if m.Header.CommandCode != cmd || isReq != request {
		return fmt.Errorf("%w: have command %d (request %t), want %d (request %t)",
			ErrWrongCommand, m.Header.CommandCode, isReq, cmd, request)
	}
	return nil
}

// forEach runs take on every top-level AVP of m, stopping at the first error.
func forEach(avps []*diam.AVP, take func(a *diam.AVP) error) error {
	for _, a := range avps {
		if a == nil || a.Data == nil {
			continue
		}
		if err := take(a); err != nil {
			return err
		}
	}
	return nil
}
