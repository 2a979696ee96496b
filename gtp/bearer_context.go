package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// BearerContext is the Bearer Context grouped IE (TS 29.274 §8.28) with the
// members S11 uses. Each message carries a subset, with the instances of
// its table in TS 29.274 §7 ("Bearer Context within ..."); members a message
// does not define are ignored when encoding it.
type BearerContext struct {
	EBI   uint8 // EPS Bearer ID, 0-15 (0: not yet assigned, Create Bearer Request)
	Cause Cause // per-bearer cause (responses, failure indications)
	// TFT is the value part of the EPS bearer level TFT (TS 24.008
	// §10.5.6.12), carried opaquely; nil means absent.
	TFT            []byte
	S1UENodeBFTEID FTEID // S1-U eNodeB GTP-U F-TEID
	S1USGWFTEID    FTEID // S1-U SGW GTP-U F-TEID
	S5S8USGWFTEID  FTEID // S5/S8-U SGW GTP-U F-TEID
	S5S8UPGWFTEID  FTEID // S5/S8-U PGW GTP-U F-TEID
	// Indirect data forwarding tunnels (TS 29.274 Tables 7.2.18-2 and
	// 7.2.19-2): the target eNodeB's and the SGW's, downlink and uplink.
	ENBDLForwardingFTEID, ENBULForwardingFTEID FTEID
	SGWDLForwardingFTEID, SGWULForwardingFTEID FTEID
	BearerQoS                                  BearerQoS
	ChargingID                                 uint32 // 0 means absent
	// BearerFlags is the Bearer Flags octet (TS 29.274 §8.32); nil means absent.
	BearerFlags *uint8
	// PCO is the value part of the Protocol Configuration Options (TS 24.008
	// §10.5.6.3), carried opaquely; nil means absent.
	PCO []byte
}

// bcFTEIDSlot says at which instance a bearer context of one message carries
// one of the F-TEID members.
type bcFTEIDSlot struct {
	inst uint8
	p    presence
	get  func(*BearerContext) *FTEID
}

func s1uENB(b *BearerContext) *FTEID   { return &b.S1UENodeBFTEID }
func s1uSGW(b *BearerContext) *FTEID   { return &b.S1USGWFTEID }
func s5s8uSGW(b *BearerContext) *FTEID { return &b.S5S8USGWFTEID }
func s5s8uPGW(b *BearerContext) *FTEID { return &b.S5S8UPGWFTEID }
func enbDLFwd(b *BearerContext) *FTEID { return &b.ENBDLForwardingFTEID }
func enbULFwd(b *BearerContext) *FTEID { return &b.ENBULForwardingFTEID }
func sgwDLFwd(b *BearerContext) *FTEID { return &b.SGWDLForwardingFTEID }
func sgwULFwd(b *BearerContext) *FTEID { return &b.SGWULForwardingFTEID }

// bcSchema is one "Bearer Context within <message>" table (TS 29.274 §7).
type bcSchema struct {
	cause, tft, qos, chargingID, flags, pco presence // 0: not a member
	fteids                                  []bcFTEIDSlot
	fields                                  []field[BearerContext]
}

func newBCSchema(s bcSchema) *bcSchema {
	f := []field[BearerContext]{{t: IEEBI, p: mandatory, set: func(b *BearerContext, i *ie.IE) (err error) {
		b.EBI, err = readEBI(i)
		return
	}}}
	if s.cause != 0 {
		f = append(f, field[BearerContext]{t: IECause, p: s.cause, set: func(b *BearerContext, i *ie.IE) (err error) {
			b.Cause, err = readCause(i)
			return
		}})
	}
	if s.tft != 0 {
		f = append(f, field[BearerContext]{t: IEBearerTFT, p: s.tft, set: func(b *BearerContext, i *ie.IE) (err error) {
			b.TFT, err = readTFT(i)
			return
		}})
	}
	if s.qos != 0 {
		f = append(f, field[BearerContext]{t: IEBearerQoS, p: s.qos, set: func(b *BearerContext, i *ie.IE) (err error) {
			b.BearerQoS, err = readBearerQoS(i)
			return
		}})
	}
	if s.chargingID != 0 {
		f = append(f, field[BearerContext]{t: IEChargingID, p: s.chargingID, set: func(b *BearerContext, i *ie.IE) (err error) {
			b.ChargingID, err = readUint32(i)
			return
		}})
	}
	if s.flags != 0 {
		f = append(f, field[BearerContext]{t: IEBearerFlags, p: s.flags, set: func(b *BearerContext, i *ie.IE) error {
			v, err := readUint8(i)
			if err == nil {
				b.BearerFlags = &v
			}
			return err
		}})
	}
	if s.pco != 0 {
		f = append(f, field[BearerContext]{t: IEPCO, p: s.pco, set: func(b *BearerContext, i *ie.IE) (err error) {
			b.PCO, err = readOctets(i)
			return
		}})
	}
	for _, slot := range s.fteids {
		get := slot.get
		f = append(f, field[BearerContext]{t: IEFTEID, inst: slot.inst, p: slot.p, set: func(b *BearerContext, i *ie.IE) (err error) {
			*get(b), err = readFTEID(i)
			return
		}})
	}
	s.fields = f
	return &s
}

// encode writes bc's members that s defines, in the order of s's table.
func (s *bcSchema) encode(e *encoder, bc *BearerContext) {
	e.ebi(bc.EBI, 0)
	if s.cause != 0 {
		if s.cause == mandatory {
			e.mandatoryCause(bc.Cause)
		} else {
			e.cause(bc.Cause)
		}
	}
	if s.tft != 0 {
		if s.tft == mandatory && bc.TFT == nil {
			e.fail(IEBearerTFT, errEmptyMandatory)
		}
		e.octets(IEBearerTFT, bc.TFT)
	}
	for _, slot := range s.fteids {
		f := *slot.get(bc)
		if slot.p == mandatory {
			e.mandatoryFTEID(f, slot.inst)
		} else {
			e.fteid(f, slot.inst)
		}
	}
	if s.qos != 0 {
		if s.qos == mandatory {
			e.mandatoryBearerQoS(bc.BearerQoS)
		} else {
			e.bearerQoS(bc.BearerQoS)
		}
	}
	if s.chargingID != 0 && bc.ChargingID != 0 {
		e.u32(IEChargingID, bc.ChargingID)
	}
	if s.flags != 0 {
		e.u8p(IEBearerFlags, bc.BearerFlags)
	}
	if s.pco != 0 {
		e.octets(IEPCO, bc.PCO)
	}
}

// bearerContexts is the message-table row of a list of bearer contexts of
// one instance (several IEs of the same type and instance, TS 29.274 §7).
func bearerContexts[M any](inst uint8, p presence, s *bcSchema, list func(*M) *[]BearerContext) field[M] {
	return field[M]{t: IEBearerContext, inst: inst, p: p, multi: true, set: func(m *M, i *ie.IE) error {
		// Decode in place at the end of the list: no separate allocation.
		l := list(m)
		*l = append(*l, BearerContext{})
		within := IEID{IEBearerContext, inst}
		if prob := decodeFields(&(*l)[len(*l)-1], i.ChildIEs, s.fields, &within); prob != nil {
			*l = (*l)[:len(*l)-1]
			return prob
		}
		return nil
	}}
}

func encodeBearerContexts(e *encoder, inst uint8, p presence, s *bcSchema, list []BearerContext) {
	if p == mandatory && len(list) == 0 {
		e.fail(IEBearerContext, errEmptyMandatory)
		return
	}
	for k := range list {
		bc := &list[k]
		e.group(IEBearerContext, inst, func(g *encoder) { s.encode(g, bc) })
	}
}

// The "Bearer Context within ..." tables of TS 29.274 §7 that S11 uses.
var (
	// Table 7.2.1-2: Bearer Context to be created within Create Session Request.
	bcCSRToBeCreated = newBCSchema(bcSchema{tft: optional, qos: mandatory, fteids: []bcFTEIDSlot{
		{0, conditional, s1uENB}, {2, conditional, s5s8uSGW}, {3, conditional, s5s8uPGW},
	}})
	// Table 7.2.2-2: Bearer Context created within Create Session Response.
	bcCSRespCreated = newBCSchema(bcSchema{cause: mandatory, qos: conditional, chargingID: conditional, flags: optional, fteids: []bcFTEIDSlot{
		{0, conditional, s1uSGW}, {2, conditional, s5s8uPGW},
	}})
	// Table 7.2.2-3 / 7.2.8-3: Bearer Context marked for removal.
	bcMarkedForRemoval = newBCSchema(bcSchema{cause: mandatory})
	// Table 7.2.7-2: Bearer Context to be modified within Modify Bearer Request.
	bcMBRToBeModified = newBCSchema(bcSchema{fteids: []bcFTEIDSlot{
		{0, conditional, s1uENB}, {1, conditional, s5s8uSGW},
	}})
	// Table 7.2.7-3: Bearer Context to be removed within Modify Bearer Request.
	bcToBeRemoved = newBCSchema(bcSchema{})
	// Table 7.2.8-2: Bearer Context modified within Modify Bearer Response.
	bcMBRespModified = newBCSchema(bcSchema{cause: mandatory, chargingID: conditional, flags: optional, fteids: []bcFTEIDSlot{
		{0, conditional, s1uSGW},
	}})
	// Table 7.2.3-2: Bearer Context within Create Bearer Request.
	bcCBReq = newBCSchema(bcSchema{tft: mandatory, qos: mandatory, chargingID: conditional, flags: optional, pco: optional, fteids: []bcFTEIDSlot{
		{0, conditional, s1uSGW}, {1, conditional, s5s8uPGW},
	}})
	// Table 7.2.4-2: Bearer Context within Create Bearer Response.
	bcCBResp = newBCSchema(bcSchema{cause: mandatory, pco: optional, fteids: []bcFTEIDSlot{
		{0, conditional, s1uENB}, {1, conditional, s1uSGW}, {2, conditional, s5s8uSGW}, {3, conditional, s5s8uPGW},
	}})
	// Table 7.2.15-2: Bearer Context within Update Bearer Request.
	bcUBReq = newBCSchema(bcSchema{tft: conditional, qos: conditional, flags: optional, pco: optional})
	// Table 7.2.16-2: Bearer Context within Update Bearer Response.
	bcUBResp = newBCSchema(bcSchema{cause: mandatory, pco: optional})
	// Table 7.2.9.2-2: Failed Bearer Context within Delete Bearer Request;
	// Table 7.2.17.2-2: Bearer Context within Delete Bearer Failure Indication.
	bcEBICause = newBCSchema(bcSchema{cause: mandatory})
	// Table 7.2.10.2-2: Bearer Context within Delete Bearer Response.
	bcDBResp = newBCSchema(bcSchema{cause: mandatory, pco: conditional})
	// Table 7.2.18-2: Bearer Context within Create Indirect Data
	// Forwarding Tunnel Request (eNodeB DL: instance 0, SGW DL: 1, eNodeB
	// UL: 4, SGW UL: 5; the SGSN and RNC instances 2-3 are not S11's).
	bcCIDFTReq = newBCSchema(bcSchema{fteids: []bcFTEIDSlot{
		{0, conditional, enbDLFwd}, {1, conditional, sgwDLFwd}, {4, conditional, enbULFwd}, {5, conditional, sgwULFwd},
	}})
	// Table 7.2.19-2: Bearer Context within Create Indirect Data
	// Forwarding Tunnel Response (S1-U SGW F-TEID for DL data forwarding:
	// instance 0; S1-U SGW F-TEID for UL data forwarding: 4).
	bcCIDFTResp = newBCSchema(bcSchema{cause: mandatory, fteids: []bcFTEIDSlot{
		{0, conditional, sgwDLFwd}, {4, conditional, sgwULFwd},
	}})
	// Table 7.2.17.1-2: Bearer Context within Delete Bearer Command.
	bcDBCmd = newBCSchema(bcSchema{flags: conditional})
)
