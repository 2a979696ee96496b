package s6a

import "github.com/fiorix/go-diameter/v4/diam"

// DSR-Flags bits (TS 29.272 §7.3.25), the ones an MME acts on.
const (
	DSRRegionalSubscriptionWithdrawal       uint32 = 1 << 0
	DSRCompleteAPNConfigurationWithdrawal   uint32 = 1 << 1
	DSRChargingCharacteristicsWithdrawal    uint32 = 1 << 2
	DSRPDNSubscriptionContextsWithdrawal    uint32 = 1 << 3
	DSRSTNSRWithdrawal                      uint32 = 1 << 4
	DSRAPNOIReplacementWithdrawal           uint32 = 1 << 10
	DSRSubscribedPeriodicTAUTimerWithdrawal uint32 = 1 << 14
)

// DSA-Flags bits (TS 29.272 §7.3.26).
const DSANetworkNodeAreaRestricted uint32 = 1 << 0

// DSR is a Delete-Subscriber-Data-Request (TS 29.272 §5.2.2.2, §7.2.11):
// the HSS removes parts of a registered UE's subscription data.
type DSR struct {
	RequestHeader
	IMSI     string
	DSRFlags uint32 // §7.3.25, mandatory
	// ContextIdentifiers lists the APN configurations to delete, with
	// DSRPDNSubscriptionContextsWithdrawal (§7.3.27).
	ContextIdentifiers []uint32
}

// DSA is a Delete-Subscriber-Data-Answer (TS 29.272 §7.2.12).
type DSA struct {
	AnswerHeader
	DSAFlags uint32 // §7.3.26
}

// Encode builds the request.
func (r *DSR) Encode() *diam.Message {
	avps := r.RequestHeader.avps(r.IMSI)
	avps = append(avps, tgppU32(codeDSRFlags, flagMV, r.DSRFlags))
	for _, c := range r.ContextIdentifiers {
		avps = append(avps, tgppU32(codeContextIdentifier, flagMV, c))
	}
	return newMessage(CmdDeleteSubscriberData, diam.RequestFlag|diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeDSR decodes a Delete-Subscriber-Data-Request.
func DecodeDSR(m *diam.Message) (*DSR, error) {
	if err := checkCommand(m, CmdDeleteSubscriberData, true); err != nil {
		return nil, err
	}
	r := &DSR{}
	haveFlags := false
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.RequestHeader.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeUserName, 0):
			r.IMSI, err = asString(a)
		case isAVP(a, codeDSRFlags, Vendor3GPP):
			r.DSRFlags, err = asU32(a)
			haveFlags = true
		case isAVP(a, codeContextIdentifier, Vendor3GPP):
			var c uint32
			c, err = asU32(a)
			r.ContextIdentifiers = append(r.ContextIdentifiers, c)
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
	if !haveFlags {
		return nil, missing(codeDSRFlags)
	}
	return r, nil
}

// Encode builds the answer.
func (r *DSA) Encode() *diam.Message {
	avps := r.AnswerHeader.avps()
	if r.DSAFlags != 0 {
		avps = append(avps, tgppU32(codeDSAFlags, flagMV, r.DSAFlags))
	}
	return newMessage(CmdDeleteSubscriberData, diam.ProxiableFlag, ApplicationID, avps)
}

// DecodeDSA decodes a Delete-Subscriber-Data-Answer.
func DecodeDSA(m *diam.Message) (*DSA, error) {
	if err := checkCommand(m, CmdDeleteSubscriberData, false); err != nil {
		return nil, err
	}
	r := &DSA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.AnswerHeader.take(a); ok {
			return err
		}
		if isAVP(a, codeDSAFlags, Vendor3GPP) {
			r.DSAFlags, err = asU32(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, r.AnswerHeader.check()
}
