package s6a

import "github.com/fiorix/go-diameter/v4/diam"

// PUR-Flags bits (TS 29.272 §7.3.149).
const (
	PURUEPurgedInMME  uint32 = 1 << 0
	PURUEPurgedInSGSN uint32 = 1 << 1
)

// PUA-Flags bits (TS 29.272 §7.3.48).
const (
	PUAFreezeMTMSI uint32 = 1 << 0
	PUAFreezePTMSI uint32 = 1 << 1
)

// PUR is a Purge-UE-Request (TS 29.272 §5.2.1.3, §7.2.13): the MME tells
// the HSS it deleted the subscription data of a detached UE.
type PUR struct {
	RequestHeader
	IMSI     string
	PURFlags uint32 // §7.3.149; absent when 0
}

// PUA is a Purge-UE-Answer (TS 29.272 §7.2.14).
type PUA struct {
	AnswerHeader
	PUAFlags uint32 // §7.3.48
}

// Encode builds the request.
func (r *PUR) Encode() *diam.Message {
	avps := r.RequestHeader.avps(r.IMSI)
	if r.PURFlags != 0 {
		avps = append(avps, tgppU32(codePURFlags, flagV, r.PURFlags))
	}
	return newMessage(CmdPurgeUE, diam.RequestFlag|diam.ProxiableFlag, ApplicationID, avps)
}

// DecodePUR decodes a Purge-UE-Request.
func DecodePUR(m *diam.Message) (*PUR, error) {
	if err := checkCommand(m, CmdPurgeUE, true); err != nil {
		return nil, err
	}
	r := &PUR{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.RequestHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeUserName, 0):
			r.IMSI, err = asString(a)
		case isAVP(a, codePURFlags, Vendor3GPP):
			r.PURFlags, err = asU32(a)
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
	return r, nil
}

// Encode builds the answer.
func (r *PUA) Encode() *diam.Message {
	avps := r.AnswerHeader.avps()
	if r.Result.IsSuccess() {
		avps = append(avps, tgppU32(codePUAFlags, flagMV, r.PUAFlags))
	}
	return newMessage(CmdPurgeUE, diam.ProxiableFlag, ApplicationID, avps)
}

// DecodePUA decodes a Purge-UE-Answer.
func DecodePUA(m *diam.Message) (*PUA, error) {
	if err := checkCommand(m, CmdPurgeUE, false); err != nil {
		return nil, err
	}
	r := &PUA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.AnswerHeader.take(a); ok {
			return err
		}
		if isAVP(a, codePUAFlags, Vendor3GPP) {
			r.PUAFlags, err = asU32(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, r.AnswerHeader.check()
}
