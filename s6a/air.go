package s6a

import (
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
)

// AIR is an Authentication-Information-Request (TS 29.272 §5.2.3.1.2,
// §7.2.5): the MME asks the HSS for E-UTRAN authentication vectors.
type AIR struct {
	RequestHeader
	IMSI          string  // User-Name: the IMSI as digits (TS 29.272 §7.3.1 ref. User-Name)
	VisitedPLMNID [3]byte // Visited-PLMN-Id: MCC/MNC as in TS 24.008 §10.5.1.13 (§7.3.9)
	// EUTRAN is Requested-EUTRAN-Authentication-Info (§7.3.11); nil asks
	// for no E-UTRAN vectors.
	EUTRAN *RequestedEUTRANAuthInfo
}

// RequestedEUTRANAuthInfo is Requested-EUTRAN-Authentication-Info
// (TS 29.272 §7.3.11).
type RequestedEUTRANAuthInfo struct {
	NumberOfRequestedVectors   uint32 // 1..5 (§7.3.14; the HSS may return fewer)
	ImmediateResponsePreferred bool   // §7.3.16: the vectors are for immediate use
	// ResynchronizationInfo is RAND || AUTS, 16 + 14 octets (§7.3.15,
	// TS 33.102 §6.3.5), or nil.
	ResynchronizationInfo []byte
}

// ResynchronizationInfoLength is the length of Re-Synchronization-Info:
// RAND (16 octets) then AUTS (14 octets) (TS 29.272 §7.3.15).
const ResynchronizationInfoLength = 30

// AIA is an Authentication-Information-Answer (TS 29.272 §5.2.3.1.3,
// §7.2.6).
type AIA struct {
	AnswerHeader
	ErrorDiagnostic *uint32        // Error-Diagnostic (§7.3.145), when the HSS sends one
	Vectors         []EUTRANVector // Authentication-Info / E-UTRAN-Vector (§7.3.17, §7.3.18)
}

// EUTRANVector is one E-UTRAN-Vector (TS 29.272 §7.3.18): an EPS
// authentication vector of TS 33.401 §6.1.2.
type EUTRANVector struct {
	ItemNumber uint32   // Item-Number (§7.3.23): order of use, 0 when absent
	RAND       [16]byte // §7.3.53
	XRES       []byte   // §7.3.54: 4 to 16 octets
	AUTN       [16]byte // §7.3.55
	KASME      [32]byte // §7.3.56
}

// Encode builds the Diameter request (hop-by-hop and end-to-end ids are
// left zero for the sending peer to set).
func (r *AIR) Encode() *diam.Message {
	avps := r.RequestHeader.avps(r.IMSI)
	if e := r.EUTRAN; e != nil {
		inner := []*diam.AVP{tgppU32(codeNumberOfRequestedVectors, flagMV, e.NumberOfRequestedVectors)}
		if e.ImmediateResponsePreferred {
			inner = append(inner, tgppU32(codeImmediateResponsePreferred, flagMV, 1))
		}
		if e.ResynchronizationInfo != nil {
			inner = append(inner, tgppOctets(codeResynchronizationInfo, e.ResynchronizationInfo))
		}
		avps = append(avps, group(codeRequestedEUTRANAuthInfo, flagMV, Vendor3GPP, inner...))
	}
	avps = append(avps, tgppOctets(codeVisitedPLMNID, r.VisitedPLMNID[:]))
	return newMessage(CmdAuthenticationInformation, diam.RequestFlag|diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeAIR decodes an Authentication-Information-Request. Errors are
// *AVPError (wrapping ErrMissingAVP or ErrInvalidAVP) or ErrWrongCommand.
func DecodeAIR(m *diam.Message) (*AIR, error) {
	if err := checkCommand(m, CmdAuthenticationInformation, true); err != nil {
		return nil, err
	}
	r := &AIR{}
	havePLMN := false
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.RequestHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeUserName, 0):
			r.IMSI, err = asString(a)
		case isAVP(a, codeVisitedPLMNID, Vendor3GPP):
			r.VisitedPLMNID, err = plmnID(a)
			havePLMN = true
		case isAVP(a, codeRequestedEUTRANAuthInfo, Vendor3GPP):
			r.EUTRAN, err = decodeRequestedEUTRAN(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := r.RequestHeader.check(false); err != nil {
		return nil, err
	}
	if r.IMSI == "" {
		return nil, missing(codeUserName)
	}
	if !havePLMN {
		return nil, missing(codeVisitedPLMNID)
	}
	return r, nil
}

func decodeRequestedEUTRAN(a *diam.AVP) (*RequestedEUTRANAuthInfo, error) {
	g, err := asGroup(a)
	if err != nil {
		return nil, err
	}
	e := &RequestedEUTRANAuthInfo{}
	err = forEach(g, func(x *diam.AVP) (err error) {
		switch {
		case isAVP(x, codeNumberOfRequestedVectors, Vendor3GPP):
			e.NumberOfRequestedVectors, err = asU32(x)
		case isAVP(x, codeImmediateResponsePreferred, Vendor3GPP):
			var v uint32
			v, err = asU32(x)
			e.ImmediateResponsePreferred = v != 0
		case isAVP(x, codeResynchronizationInfo, Vendor3GPP):
			e.ResynchronizationInfo, err = asBytes(x)
			if err == nil && len(e.ResynchronizationInfo) != ResynchronizationInfoLength {
				err = avpError(x.Code, ResultInvalidAVPLength, fmt.Sprintf("%d octets, want %d", len(e.ResynchronizationInfo), ResynchronizationInfoLength))
			}
		}
		return err
	})
	return e, err
}

// Encode builds the Diameter answer; the sending peer copies the ids of
// the request.
func (r *AIA) Encode() *diam.Message {
	avps := r.AnswerHeader.avps()
	if r.ErrorDiagnostic != nil {
		avps = append(avps, tgppEnum(codeErrorDiagnostic, flagV, *r.ErrorDiagnostic))
	}
	if len(r.Vectors) > 0 {
		vs := make([]*diam.AVP, 0, len(r.Vectors))
		for i := range r.Vectors {
			v := &r.Vectors[i]
			inner := make([]*diam.AVP, 0, 5)
			if v.ItemNumber != 0 {
				inner = append(inner, tgppU32(codeItemNumber, flagMV, v.ItemNumber))
			}
			inner = append(inner,
				tgppOctets(codeRAND, v.RAND[:]),
				tgppOctets(codeXRES, v.XRES),
				tgppOctets(codeAUTN, v.AUTN[:]),
				tgppOctets(codeKASME, v.KASME[:]))
			vs = append(vs, group(codeEUTRANVector, flagMV, Vendor3GPP, inner...))
		}
		avps = append(avps, group(codeAuthenticationInfo, flagMV, Vendor3GPP, vs...))
	}
	return newMessage(CmdAuthenticationInformation, diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeAIA decodes an Authentication-Information-Answer.
func DecodeAIA(m *diam.Message) (*AIA, error) {
	if err := checkCommand(m, CmdAuthenticationInformation, false); err != nil {
		return nil, err
	}
	r := &AIA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.AnswerHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeErrorDiagnostic, Vendor3GPP):
			var v uint32
			v, err = asU32(a)
			r.ErrorDiagnostic = &v
		case isAVP(a, codeAuthenticationInfo, Vendor3GPP):
			var g []*diam.AVP
			if g, err = asGroup(a); err != nil {
				return err
			}
			return forEach(g, func(x *diam.AVP) error {
				if !isAVP(x, codeEUTRANVector, Vendor3GPP) {
					return nil // UTRAN and GERAN vectors are not for an MME
				}
				v, err := decodeEUTRANVector(x)
				if err == nil {
					r.Vectors = append(r.Vectors, v)
				}
				return err
			})
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

func decodeEUTRANVector(a *diam.AVP) (EUTRANVector, error) {
	var v EUTRANVector
	g, err := asGroup(a)
	if err != nil {
		return v, err
	}
	var have [4]bool
	err = forEach(g, func(x *diam.AVP) (err error) {
		switch {
		case isAVP(x, codeItemNumber, Vendor3GPP):
			v.ItemNumber, err = asU32(x)
		case isAVP(x, codeRAND, Vendor3GPP):
			err = fixed(x, v.RAND[:])
			have[0] = true
		case isAVP(x, codeXRES, Vendor3GPP):
			v.XRES, err = asBytes(x)
			// TS 33.102 §6.3.2: RES/XRES are 4 to 16 octets.
			if err == nil && (len(v.XRES) < 4 || len(v.XRES) > 16) {
				err = avpError(x.Code, ResultInvalidAVPLength, fmt.Sprintf("%d octets, want 4 to 16", len(v.XRES)))
			}
			have[1] = true
		case isAVP(x, codeAUTN, Vendor3GPP):
			err = fixed(x, v.AUTN[:])
			have[2] = true
		case isAVP(x, codeKASME, Vendor3GPP):
			err = fixed(x, v.KASME[:])
			have[3] = true
		}
		return err
	})
	if err != nil {
		return v, err
	}
	for i, c := range [4]uint32{codeRAND, codeXRES, codeAUTN, codeKASME} {
		if !have[i] {
			return v, missing(c)
		}
	}
	return v, nil
}

// fixed copies an OctetString AVP of exactly len(dst) octets into dst.
func fixed(a *diam.AVP, dst []byte) error {
	s, err := asString(a)
	if err != nil {
		return err
	}
	if len(s) != len(dst) {
		return avpError(a.Code, ResultInvalidAVPLength, fmt.Sprintf("%d octets, want %d", len(s), len(dst)))
	}
	copy(dst, s)
	return nil
}

func plmnID(a *diam.AVP) ([3]byte, error) {
	var p [3]byte
	return p, fixed(a, p[:])
}
