package s6a

import "github.com/fiorix/go-diameter/v4/diam"

// Cancellation-Type values (TS 29.272 §7.3.24).
const (
	CancelMMEUpdateProcedure     uint32 = 0
	CancelSGSNUpdateProcedure    uint32 = 1
	CancelSubscriptionWithdrawal uint32 = 2
	CancelUpdateProcedureIWF     uint32 = 3
	CancelInitialAttachProcedure uint32 = 4
)

// CLR-Flags bits (TS 29.272 §7.3.152).
const (
	CLRS6aS6dIndicator  uint32 = 1 << 0
	CLRReattachRequired uint32 = 1 << 1
)

// CLR is a Cancel-Location-Request (TS 29.272 §5.2.1.2, §7.2.7): the HSS
// tells the MME to delete a UE's subscription data (another MME took the
// UE, or the subscription was withdrawn).
type CLR struct {
	RequestHeader
	IMSI             string
	CancellationType uint32 // §7.3.24
	CLRFlags         uint32 // §7.3.152; absent when 0
}

// CLA is a Cancel-Location-Answer (TS 29.272 §7.2.8).
type CLA struct {
	AnswerHeader
}

// Encode builds the request.
func (r *CLR) Encode() *diam.Message {
	avps := r.RequestHeader.avps(r.IMSI)
	avps = append(avps, tgppEnum(codeCancellationType, flagMV, r.CancellationType))
	if r.CLRFlags != 0 {
		avps = append(avps, tgppU32(codeCLRFlags, flagV, r.CLRFlags))
	}
	return newMessage(CmdCancelLocation, diam.RequestFlag|diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeCLR decodes a Cancel-Location-Request.
func DecodeCLR(m *diam.Message) (*CLR, error) {
	if err := checkCommand(m, CmdCancelLocation, true); err != nil {
		return nil, err
	}
	r := &CLR{}
	haveType := false
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.RequestHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeUserName, 0):
			r.IMSI, err = asString(a)
		case isAVP(a, codeCancellationType, Vendor3GPP):
			r.CancellationType, err = asU32(a)
			haveType = true
		case isAVP(a, codeCLRFlags, Vendor3GPP):
			r.CLRFlags, err = asU32(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := r.RequestHeader.check(true); err != nil {
		return nil, err
	}
	if r.IMSI == "" {
		return nil, missing(codeUserName)
	}
	if !haveType {
		return nil, missing(codeCancellationType)
	}
	return r, nil
}

// Encode builds the answer.
func (r *CLA) Encode() *diam.Message {
	return newMessage(CmdCancelLocation, diam.ProxiableFlag, ApplicationID, r.AnswerHeader.avps())
}

// DecodeCLA decodes a Cancel-Location-Answer.
func DecodeCLA(m *diam.Message) (*CLA, error) {
	if err := checkCommand(m, CmdCancelLocation, false); err != nil {
		return nil, err
	}
	r := &CLA{}
	err := forEach(m.AVP, func(a *diam.AVP) error {
		_, err := r.AnswerHeader.take(a)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, r.AnswerHeader.check()
}
