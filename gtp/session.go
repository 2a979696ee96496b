package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// CreateSessionRequest is sent by the MME to the SGW on S11 to create a PDN
// connection: E-UTRAN initial attach, UE-requested PDN connectivity, TAU or
// handover with SGW change (TS 29.274 §7.2.1, Table 7.2.1-1; TS 23.401
// §5.3.2.1). Zero values are absent IEs unless noted.
type CreateSessionRequest struct {
	IMSI           string // digits; conditional: absent only for an emergency attach without UICC
	MSISDN         string // digits
	MEI            string // IMEI or IMEISV digits
	ULI            ULI
	ServingNetwork PLMN
	RATType        RATType // mandatory
	Indication     []byte  // Indication flags octets (TS 29.274 §8.12), nil: absent
	SenderFTEID    FTEID   // mandatory: S11 MME GTP-C F-TEID (instance 0)
	PGWS5S8FTEID   FTEID   // S5/S8 PGW GTP-C F-TEID (instance 1)
	APN            string  // mandatory, dotted labels
	// SelectionMode is always encoded (S11 carries it for every attach and
	// PDN connectivity request); an absent IE decodes as 0.
	SelectionMode  SelectionMode
	PDNType        PDNType
	PAA            PAA
	APNRestriction *uint8 // maximum APN restriction (TS 29.274 §8.57)
	AMBR           *AMBR  // APN-AMBR
	LinkedEBI      uint8  // 0: absent
	PCO            []byte
	// BearerContextsToBeCreated is mandatory: at least one (the default
	// bearer) with EBI and Bearer QoS (Table 7.2.1-2).
	BearerContextsToBeCreated []BearerContext
	Recovery                  *uint8
	UETimeZone                *UETimeZone
	ChargingCharacteristics   *uint16
}

// MessageType implements Message.
func (*CreateSessionRequest) MessageType() MessageType { return TypeCreateSessionRequest }

func (m *CreateSessionRequest) encode(e *encoder) {
	e.digits(IEIMSI, m.IMSI, 15)
	e.digits(IEMSISDN, m.MSISDN, 15)
	e.digits(IEMEI, m.MEI, 16)
	e.uli(m.ULI)
	e.servingNetwork(m.ServingNetwork)
	if m.RATType == 0 {
		e.fail(IERATType, errEmptyMandatory)
	}
	e.u8(IERATType, uint8(m.RATType), 0)
	e.octets(IEIndication, m.Indication)
	e.mandatoryFTEID(m.SenderFTEID, 0)
	e.fteid(m.PGWS5S8FTEID, 1)
	e.apn(m.APN)
	e.u8(IESelectionMode, uint8(m.SelectionMode)&0x03, 0)
	if m.PDNType != 0 {
		e.u8(IEPDNType, uint8(m.PDNType), 0)
	}
	e.paa(m.PAA)
	e.u8p(IEAPNRestriction, m.APNRestriction)
	e.ambr(m.AMBR)
	if m.LinkedEBI != 0 {
		e.ebi(m.LinkedEBI, 0)
	}
	e.octets(IEPCO, m.PCO)
	encodeBearerContexts(e, 0, mandatory, bcCSRToBeCreated, m.BearerContextsToBeCreated)
	e.recovery(m.Recovery)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
	if m.ChargingCharacteristics != nil {
		e.add(ie.NewChargingCharacteristics(*m.ChargingCharacteristics), 0)
	}
}

var csrFields = []field[CreateSessionRequest]{
	{t: IEIMSI, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.IMSI, err = readDigits(i, 15); return }},
	{t: IEMSISDN, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.MSISDN, err = readDigits(i, 15); return }},
	{t: IEMEI, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.MEI, err = readDigits(i, 16); return }},
	{t: IEULI, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
	{t: IEServingNetwork, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) {
		m.ServingNetwork, err = readServingNetwork(i)
		return
	}},
	{t: IERATType, p: mandatory, set: func(m *CreateSessionRequest, i *ie.IE) error {
		v, err := readRATType(i)
		m.RATType = v
		return err
	}},
	{t: IEIndication, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.Indication, err = readOctets(i); return }},
	{t: IEFTEID, inst: 0, p: mandatory, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.SenderFTEID, err = readFTEID(i); return }},
	{t: IEFTEID, inst: 1, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.PGWS5S8FTEID, err = readFTEID(i); return }},
	{t: IEAPN, p: mandatory, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.APN, err = readAPN(i); return }},
	{t: IESelectionMode, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error {
		v, err := readUint8(i)
		m.SelectionMode = SelectionMode(v & 0x03)
		return err
	}},
	{t: IEPDNType, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error {
		v, err := readUint8(i)
		m.PDNType = PDNType(v & 0x07)
		return err
	}},
	{t: IEPAA, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.PAA, err = readPAA(i); return }},
	{t: IEAPNRestriction, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error { return setU8p(&m.APNRestriction, i) }},
	{t: IEAMBR, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error { return setAMBR(&m.AMBR, i) }},
	{t: IEEBI, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	{t: IEPCO, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	bearerContexts(0, mandatory, bcCSRToBeCreated, func(m *CreateSessionRequest) *[]BearerContext { return &m.BearerContextsToBeCreated }),
	{t: IERecovery, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
	{t: IEUETimeZone, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
	{t: IEChargingCharacteristics, p: conditional, set: func(m *CreateSessionRequest, i *ie.IE) error {
		v, err := readUint16(i)
		if err == nil {
			m.ChargingCharacteristics = &v
		}
		return err
	}},
}

func (m *CreateSessionRequest) decode(ies []*ie.IE) *ieProblem {
	if p := decodeFields(m, ies, csrFields, nil); p != nil {
		return p
	}
	// Table 7.2.1-1: the IMSI is included unless the UE is in limited
	// service state without UICC, in which case the MEI is.
	if m.IMSI == "" && m.MEI == "" {
		return conditionalMissing(IEIMSI, 0, "neither IMSI nor MEI")
	}
	return nil
}

// CreateSessionResponse answers a Create Session Request (TS 29.274 §7.2.2,
// Table 7.2.2-1).
type CreateSessionResponse struct {
	Cause        Cause // mandatory
	SenderFTEID  FTEID // S11/S4 SGW GTP-C F-TEID (instance 0)
	PGWS5S8FTEID FTEID // S5/S8 PGW GTP-C F-TEID (instance 1)
	PAA          PAA
	// APNRestriction is the APN restriction of the PDN connection.
	APNRestriction *uint8
	AMBR           *AMBR
	LinkedEBI      uint8
	PCO            []byte
	// BearerContextsCreated: one per bearer of the request when accepted.
	BearerContextsCreated          []BearerContext
	BearerContextsMarkedForRemoval []BearerContext
	Recovery                       *uint8
}

// MessageType implements Message.
func (*CreateSessionResponse) MessageType() MessageType { return TypeCreateSessionResponse }

func (m *CreateSessionResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.fteid(m.SenderFTEID, 0)
	e.fteid(m.PGWS5S8FTEID, 1)
	e.paa(m.PAA)
	e.u8p(IEAPNRestriction, m.APNRestriction)
	e.ambr(m.AMBR)
	if m.LinkedEBI != 0 {
		e.ebi(m.LinkedEBI, 0)
	}
	e.octets(IEPCO, m.PCO)
	encodeBearerContexts(e, 0, conditional, bcCSRespCreated, m.BearerContextsCreated)
	encodeBearerContexts(e, 1, conditional, bcMarkedForRemoval, m.BearerContextsMarkedForRemoval)
	e.recovery(m.Recovery)
}

var csRespFields = []field[CreateSessionResponse]{
	{t: IECause, p: mandatory, set: func(m *CreateSessionResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IEFTEID, inst: 0, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) (err error) { m.SenderFTEID, err = readFTEID(i); return }},
	{t: IEFTEID, inst: 1, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) (err error) { m.PGWS5S8FTEID, err = readFTEID(i); return }},
	{t: IEPAA, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) (err error) { m.PAA, err = readPAA(i); return }},
	{t: IEAPNRestriction, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) error { return setU8p(&m.APNRestriction, i) }},
	{t: IEAMBR, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) error { return setAMBR(&m.AMBR, i) }},
	{t: IEEBI, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	{t: IEPCO, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	bearerContexts(0, conditional, bcCSRespCreated, func(m *CreateSessionResponse) *[]BearerContext { return &m.BearerContextsCreated }),
	bearerContexts(1, conditional, bcMarkedForRemoval, func(m *CreateSessionResponse) *[]BearerContext {
		return &m.BearerContextsMarkedForRemoval
	}),
	{t: IERecovery, p: conditional, set: func(m *CreateSessionResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
}

func (m *CreateSessionResponse) decode(ies []*ie.IE) *ieProblem {
	if p := decodeFields(m, ies, csRespFields, nil); p != nil {
		return p
	}
	// Table 7.2.2-1: the created bearer contexts are present when the
	// request is accepted.
	if m.Cause.Accepted() && len(m.BearerContextsCreated) == 0 {
		return conditionalMissing(IEBearerContext, 0, "accepted without Bearer Contexts created")
	}
	return nil
}

// DeleteSessionRequest is sent by the MME to delete a PDN connection
// (TS 29.274 §7.2.9.1, Table 7.2.9.1-1; TS 23.401 §5.3.8.2).
type DeleteSessionRequest struct {
	Cause       Cause
	LinkedEBI   uint8 // default bearer of the PDN connection; 0: absent
	ULI         ULI
	Indication  []byte // e.g. the Operation Indication flag (TS 29.274 §8.12)
	PCO         []byte
	SenderFTEID FTEID // instance 0
	UETimeZone  *UETimeZone
}

// MessageType implements Message.
func (*DeleteSessionRequest) MessageType() MessageType { return TypeDeleteSessionRequest }

func (m *DeleteSessionRequest) encode(e *encoder) {
	e.cause(m.Cause)
	if m.LinkedEBI != 0 {
		e.ebi(m.LinkedEBI, 0)
	}
	e.uli(m.ULI)
	e.octets(IEIndication, m.Indication)
	e.octets(IEPCO, m.PCO)
	e.fteid(m.SenderFTEID, 0)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
}

var dsrFields = []field[DeleteSessionRequest]{
	{t: IECause, p: conditional, set: func(m *DeleteSessionRequest, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IEEBI, p: conditional, set: func(m *DeleteSessionRequest, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	{t: IEULI, p: conditional, set: func(m *DeleteSessionRequest, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
	{t: IEIndication, p: conditional, set: func(m *DeleteSessionRequest, i *ie.IE) (err error) { m.Indication, err = readOctets(i); return }},
	{t: IEPCO, p: conditional, set: func(m *DeleteSessionRequest, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	{t: IEFTEID, p: optional, set: func(m *DeleteSessionRequest, i *ie.IE) (err error) { m.SenderFTEID, err = readFTEID(i); return }},
	{t: IEUETimeZone, p: optional, set: func(m *DeleteSessionRequest, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
}

func (m *DeleteSessionRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, dsrFields, nil)
}

// DeleteSessionResponse answers a Delete Session Request (TS 29.274
// §7.2.10.1, Table 7.2.10.1-1).
type DeleteSessionResponse struct {
	Cause    Cause // mandatory
	Recovery *uint8
	PCO      []byte
}

// MessageType implements Message.
func (*DeleteSessionResponse) MessageType() MessageType { return TypeDeleteSessionResponse }

func (m *DeleteSessionResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.recovery(m.Recovery)
	e.octets(IEPCO, m.PCO)
}

var dsRespFields = []field[DeleteSessionResponse]{
	{t: IECause, p: mandatory, set: func(m *DeleteSessionResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IERecovery, p: conditional, set: func(m *DeleteSessionResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
	{t: IEPCO, p: conditional, set: func(m *DeleteSessionResponse, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
}

func (m *DeleteSessionResponse) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, dsRespFields, nil)
}

// ---- small setters shared by the tables ----

func setU8p(dst **uint8, i *ie.IE) error {
	v, err := readUint8(i)
	if err == nil {
		*dst = &v
	}
	return err
}

func setAMBR(dst **AMBR, i *ie.IE) error {
	v, err := readAMBR(i)
	if err == nil {
		*dst = &v
	}
	return err
}

func setTZ(dst **UETimeZone, i *ie.IE) error {
	v, err := readUETimeZone(i)
	if err == nil {
		*dst = &v
	}
	return err
}

func setEBIs(dst *[]uint8, i *ie.IE) error {
	v, err := readEBI(i)
	if err == nil {
		*dst = append(*dst, v)
	}
	return err
}
