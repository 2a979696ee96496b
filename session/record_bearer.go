package session

import (
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
)

// ESMAnswer is where one side of an ESM transaction stands: the eNodeB's
// E-RAB answer or the UE's ESM answer.
type ESMAnswer uint8

// ESM answers.
const (
	AnswerNone    ESMAnswer = iota // nothing was asked of that side
	AnswerPending                  // asked, no answer yet
	AnswerOK                       // accepted / set up
	AnswerFailed                   // rejected / not set up
)

// ESMTransaction is the network side of the ESM procedure in progress
// (TS 24.301 §6.4, §6.5; TS 23.401 §5.4, §5.10): at most one per UE, beside
// the EMM procedure of Subscriber.Proc. A network-initiated procedure
// answers the SGW's request S11Req once both the eNodeB (E-RAB answer)
// and the UE (ESM answer) have answered (TS 23.401 §5.4.1 steps 5-8).
type ESMTransaction struct {
	// Proc is the procedure (ProcDedicatedBearer ... ProcERABRelease);
	// zero when none runs.
	Proc  Procedure
	Start time.Time
	// PTI is the UE's procedure transaction identity (TS 24.301 §6.1.3.2;
	// 0 for a network-initiated procedure).
	PTI uint8
	// LBI is the default bearer of the PDN connection, EBI the bearer the
	// procedure activates, modifies or deactivates.
	LBI, EBI uint8
	// S11Req is the node's handle of the SGW request to answer (RespondS11;
	// 0: none).
	S11Req uint64
	// Txn is the S11 answer awaited (Create/Delete Session, Modify
	// Bearer, Delete Bearer Command); 0: none.
	Txn Txn
	// ENB and UE: where the E-RAB and the ESM answers stand; UECause is the
	// UE's ESM cause of a reject (TS 24.301 §9.9.4.4), ENBCause the GTP
	// cause an E-RAB failure maps to.
	ENB, UE  ESMAnswer
	UECause  uint8
	ENBCause gtp.CauseValue
	// Timer is the ESM timer guarding Retx (T3485, T3486, T3495; 0 none),
	// Retx the plain ESM message it retransmits, Count how many times.
	Timer TimerID
	Count uint8
	Retx  []byte
	// Bearers are the E-RABs of the procedure (a PDN disconnection
	// releases every bearer of the PDN connection).
	Bearers []uint8
	// APN and PDNType are what an additional PDN connection asks for
	// (TS 24.301 §6.5.1.2), DowngradeCause the ESM cause telling the UE it
	// got a single address family (#50, #51; 0 none).
	APN            string
	PDNType        nas.PDNType
	DowngradeCause uint8
	// Pending is the bearer as a modification makes it once accepted
	// (TS 23.401 §5.4.2.1), with the new APN-AMBR in kbit/s.
	Pending                  Bearer
	AMBRUplink, AMBRDownlink uint32
	// WholePDN: the deactivation deletes the PDN connection of LBI
	// (Delete Bearer Request with the Linked EBI, TS 29.274 §7.2.9.2).
	WholePDN bool
	// Items are the bearers of a Create Bearer Request (dedicated.go), the
	// further bearers of a deactivation, or those of an Update Bearer
	// Request after the first (EBI, Pending).
	Items []ESMItem
	// Modified (record v4): for a modification of several bearers, the
	// bearer each of Items becomes once accepted (same order as Items; an
	// item the request named but the UE does not have holds only its EBI).
	Modified []Bearer
}

// Active reports whether an ESM procedure runs.
func (t *ESMTransaction) Active() bool { return t.Proc != 0 && t.Proc != ProcNone }

// appendBearersV2 appends the fields of issue #9's bearer work after the
// v1 record: per bearer (in record order) its bit rates and TFT, then the
// ESM transaction.
func appendBearersV2(e *enc, s *Subscriber) {
	for i := range s.PDNs {
		for j := range s.PDNs[i].Bearers {
			appendBearerV2(e, &s.PDNs[i].Bearers[j])
		}
	}
	t := &s.ESM
	e.u8(uint8(t.Proc))
	if !t.Active() {
		return
	}
	e.time(t.Start)
	e.u8(t.PTI)
	e.u8(t.LBI)
	e.u8(t.EBI)
	e.u64(t.S11Req)
	e.u32(uint32(t.Txn))
	e.u8(uint8(t.ENB))
	e.u8(uint8(t.UE))
	e.u8(t.UECause)
	e.u8(uint8(t.ENBCause))
	e.u8(uint8(t.Timer))
	e.u8(t.Count)
	e.bytes(t.Retx)
	e.bytes(t.Bearers)
	e.str(t.APN)
	e.u8(uint8(t.PDNType))
	e.u8(t.DowngradeCause)
	p := &t.Pending
	e.u8(p.EBI)
	e.u8(p.QCI)
	appendARP(e, p.ARP)
	appendBearerV2(e, p)
	e.u32(t.AMBRUplink)
	e.u32(t.AMBRDownlink)
	e.flag(t.WholePDN)
	e.uv(uint64(len(t.Items)))
	for _, it := range t.Items {
		e.u8(it.EBI)
		e.u8(uint8(it.ENB))
		e.u8(uint8(it.UE))
		e.u8(uint8(it.Cause))
		e.u8(it.ESMCause)
	}
}

// appendESMV4 appends the ESM transaction's version 4 field: the pending
// values of a modification's further bearers.
func appendESMV4(e *enc, t *ESMTransaction) {
	e.uv(uint64(len(t.Modified)))
	for i := range t.Modified {
		b := &t.Modified[i]
		e.u8(b.EBI)
		e.u8(b.QCI)
		appendARP(e, b.ARP)
		appendBearerV2(e, b)
	}
}

// decodeESMV4 reads what appendESMV4 wrote.
func decodeESMV4(d *dec, t *ESMTransaction) {
	n := d.list("ESM modified bearers")
	for i := 0; i < n; i++ {
		var b Bearer
		b.EBI = d.u8("modified EBI")
		b.QCI = d.u8("modified QCI")
		b.ARP = decodeARP(d)
		decodeBearerV2(d, &b)
		t.Modified = append(t.Modified, b)
	}
	if n != 0 && n != len(t.Items) {
		d.fail("ESM modified bearers do not match the items")
	}
}

func appendBearerV2(e *enc, b *Bearer) {
	e.uv(b.MBRUplink)
	e.uv(b.MBRDownlink)
	e.uv(b.GBRUplink)
	e.uv(b.GBRDownlink)
	e.bytes(b.TFT)
}

func decodeBearerV2(d *dec, b *Bearer) {
	b.MBRUplink = d.uv("MBR UL")
	b.MBRDownlink = d.uv("MBR DL")
	b.GBRUplink = d.uv("GBR UL")
	b.GBRDownlink = d.uv("GBR DL")
	b.TFT = d.bytes("TFT")
}

// decodeBearersV2 reads what appendBearersV2 wrote.
func decodeBearersV2(d *dec, s *Subscriber) {
	for i := range s.PDNs {
		for j := range s.PDNs[i].Bearers {
			decodeBearerV2(d, &s.PDNs[i].Bearers[j])
		}
	}
	t := &s.ESM
	t.Proc = Procedure(d.u8("ESM procedure"))
	if !t.Active() {
		return
	}
	t.Start = d.time("ESM start")
	t.PTI = d.u8("ESM PTI")
	t.LBI = d.u8("ESM LBI")
	t.EBI = d.u8("ESM EBI")
	t.S11Req = d.u64("ESM S11 request")
	t.Txn = Txn(d.u32("ESM txn"))
	t.ENB = ESMAnswer(d.u8("ESM eNB answer"))
	t.UE = ESMAnswer(d.u8("ESM UE answer"))
	t.UECause = d.u8("ESM UE cause")
	t.ENBCause = gtp.CauseValue(d.u8("ESM eNB cause"))
	t.Timer = TimerID(d.u8("ESM timer"))
	t.Count = d.u8("ESM retransmissions")
	t.Retx = d.bytes("ESM message")
	t.Bearers = d.bytes("ESM bearers")
	t.APN = d.str("ESM APN")
	t.PDNType = nas.PDNType(d.u8("ESM PDN type"))
	t.DowngradeCause = d.u8("ESM downgrade cause")
	p := &t.Pending
	p.EBI = d.u8("pending EBI")
	p.QCI = d.u8("pending QCI")
	p.ARP = decodeARP(d)
	decodeBearerV2(d, p)
	t.AMBRUplink = d.u32("pending APN-AMBR UL")
	t.AMBRDownlink = d.u32("pending APN-AMBR DL")
	t.WholePDN = d.flag("whole PDN")
	n := d.list("ESM items")
	for i := 0; i < n; i++ {
		it := ESMItem{EBI: d.u8("item EBI"), ENB: ESMAnswer(d.u8("item eNB")), UE: ESMAnswer(d.u8("item UE")),
			Cause: gtp.CauseValue(d.u8("item cause")), ESMCause: d.u8("item ESM cause")}
		if it.ENB > AnswerFailed || it.UE > AnswerFailed {
			d.fail("ESM item")
		}
		t.Items = append(t.Items, it)
	}
	if len(t.Bearers) > 11 || t.ENB > AnswerFailed || t.UE > AnswerFailed {
		d.fail("ESM transaction")
	}
}
