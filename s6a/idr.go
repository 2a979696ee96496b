package s6a

import "github.com/fiorix/go-diameter/v4/diam"

// IDR-Flags bits (TS 29.272 §7.3.103).
const (
	IDRUEReachabilityRequest         uint32 = 1 << 0
	IDRTADSDataRequest               uint32 = 1 << 1
	IDREPSUserStateRequest           uint32 = 1 << 2
	IDREPSLocationInformationRequest uint32 = 1 << 3
	IDRCurrentLocationRequest        uint32 = 1 << 4
)

// IDA-Flags bits (TS 29.272 §7.3.47).
const IDANetworkNodeAreaRestricted uint32 = 1 << 0

// IDR is an Insert-Subscriber-Data-Request (TS 29.272 §5.2.2.1, §7.2.9):
// the HSS adds or replaces parts of a registered UE's subscription data.
type IDR struct {
	RequestHeader
	IMSI             string
	SubscriptionData *SubscriptionData // mandatory; may be empty
	IDRFlags         uint32            // §7.3.103; absent when 0
}

// IDA is an Insert-Subscriber-Data-Answer (TS 29.272 §7.2.10).
type IDA struct {
	AnswerHeader
	IDAFlags uint32 // §7.3.47
}

// Encode builds the request.
func (r *IDR) Encode() *diam.Message {
	avps := r.RequestHeader.avps(r.IMSI)
	sd := r.SubscriptionData
	if sd == nil {
		sd = &SubscriptionData{}
	}
	avps = append(avps, sd.avp())
	if r.IDRFlags != 0 {
		avps = append(avps, tgppU32(codeIDRFlags, flagV, r.IDRFlags))
	}
	return newMessage(CmdInsertSubscriberData, diam.RequestFlag|diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeIDR decodes an Insert-Subscriber-Data-Request.
func DecodeIDR(m *diam.Message) (*IDR, error) {
	if err := checkCommand(m, CmdInsertSubscriberData, true); err != nil {
		return nil, err
	}
	r := &IDR{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.RequestHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeUserName, 0):
			r.IMSI, err = asString(a)
		case isAVP(a, codeSubscriptionData, Vendor3GPP):
			r.SubscriptionData, err = decodeSubscriptionData(a)
		case isAVP(a, codeIDRFlags, Vendor3GPP):
			r.IDRFlags, err = asU32(a)
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
	if r.SubscriptionData == nil {
		return nil, missing(codeSubscriptionData)
	}
	return r, nil
}

// Encode builds the answer.
func (r *IDA) Encode() *diam.Message {
	avps := r.AnswerHeader.avps()
	if r.IDAFlags != 0 {
		avps = append(avps, tgppU32(codeIDAFlags, flagMV, r.IDAFlags))
	}
	return newMessage(CmdInsertSubscriberData, diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeIDA decodes an Insert-Subscriber-Data-Answer.
func DecodeIDA(m *diam.Message) (*IDA, error) {
	if err := checkCommand(m, CmdInsertSubscriberData, false); err != nil {
		return nil, err
	}
	r := &IDA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.AnswerHeader.take(a); ok {
			return err
		}
		if isAVP(a, codeIDAFlags, Vendor3GPP) {
			r.IDAFlags, err = asU32(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, r.AnswerHeader.check()
}
