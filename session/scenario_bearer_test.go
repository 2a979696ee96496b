package session

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// Scenario commands of the bearer and PDN procedures (issue #9):
//
//	hss-ula-apns apns=internet,ims        ULA with several APN configurations
//	sgw-cbr [lbi=5] [qci=1] [pti=N]       Create Bearer Request from the SGW
//	sgw-ubr ebi=6[,7..] [qci=N] [tft=7] [ambr=ul/dl]
//	                                      Update Bearer Request (a bearer context
//	                                      each; tft=: those get a new TFT, no QoS)
//	sgw-dbr ebi=6 | lbi=6                 Delete Bearer Request
//	sgw-dbr-triggered                     the PGW's answer to the Delete Bearer Command
//	sgw-csr-pdn [cause=N]                 answer to the ESM Create Session Request
//	sgw-dsr-pdn                           answer to a PDN disconnection's Delete Session
//	sgw-mbr-pdn                           answer to the new PDN's Modify Bearer
//	enb-erab-setup [fail]                 E-RAB SETUP RESPONSE to the last request
//	enb-erab-modify [fail[=7,..]]         E-RAB MODIFY RESPONSE (fail: all, or those)
//	enb-erab-release                      E-RAB RELEASE RESPONSE
//	enb-erab-release-indication ebi=6     E-RAB RELEASE INDICATION
//	ue-esm accept|reject [cause=N]        the UE's answer to the last ESM request
//	ue-pdn-connect [apn=ims] [pti=N]      PDN CONNECTIVITY REQUEST
//	ue-pdn-disconnect lbi=6 [pti=N]       PDN DISCONNECT REQUEST

// bearerPeers is what the test eNodeB and SGW remember of the bearer
// procedures.
type bearerPeers struct {
	nextReq   uint64
	erabSetup []uint8 // E-RABs of the last E-RAB SETUP REQUEST
	erabMod   []uint8
	erabRel   []uint8
	responses []RespondS11
}

func (w *world) runBearer(cmd string, a map[string]string, out *strings.Builder) bool {
	p := &w.bearer
	u8 := func(k string, def uint8) uint8 {
		if v, ok := a[k]; ok {
			n, _ := strconv.Atoi(v)
			return uint8(n)
		}
		return def
	}
	switch cmd {
	case "hss-ula-apns":
		req, ok := w.popS6a()
		if !ok {
			fmt.Fprintf(out, "no S6a request pending\n")
			return true
		}
		sd := subscription("internet", s6a.PDNTypeIPv4v6)
		prof := sd.APNConfigurationProfile
		for i, apn := range strings.Split(a["apns"], ",") {
			if i == 0 {
				prof.APNConfigurations[0].ServiceSelection = apn
				continue
			}
			c := prof.APNConfigurations[0]
			c.ContextIdentifier, c.ServiceSelection, c.PDNType = uint32(i+1), apn, s6a.PDNTypeIPv4
			c.EPSSubscribedQoS = &s6a.EPSSubscribedQoSProfile{QCI: 5, PriorityLevel: 1,
				PreemptionCapability: s6a.PreemptionCapabilityDisabled, PreemptionVulnerability: s6a.PreemptionVulnerabilityEnabled}
			prof.APNConfigurations = append(prof.APNConfigurations, c)
		}
		w.step(&UpdateLocationAnswer{Now: w.now, Txn: req.Txn, ULA: &s6a.ULA{AnswerHeader: s6a.AnswerHeader{Result: s6a.Success},
			SubscriptionData: sd}}, out)
	case "sgw-cbr":
		p.nextReq++
		req := &gtp.CreateBearerRequest{LinkedEBI: u8("lbi", 5)}
		for i := range int(u8("n", 1)) {
			req.BearerContexts = append(req.BearerContexts, gtp.BearerContext{
				TFT:         []byte{0x21, 0x31, 0x00, 0x02, 0x30, 0x11},
				S1USGWFTEID: gtp.FTEID{Interface: gtp.IfS1USGW, TEID: 0x7100 + 16*uint32(p.nextReq) + uint32(i), IPv4: netip.MustParseAddr("127.0.0.1")},
				BearerQoS: gtp.BearerQoS{QCI: u8("qci", 1), ARP: gtp.ARP{PL: 2, PVI: true}, MBRUplink: 128, MBRDownlink: 128,
					GBRUplink: 64, GBRDownlink: 64},
			})
		}
		if v, ok := a["pti"]; ok {
			n, _ := strconv.Atoi(v)
			pti := uint8(n)
			req.PTI = &pti
		}
		w.step(&S11Request{Now: w.now, ID: p.nextReq, Msg: req}, out)
	case "sgw-ubr":
		p.nextReq++
		req := &gtp.UpdateBearerRequest{AMBR: gtp.AMBR{Uplink: 10000, Downlink: 20000}}
		ebis := a["ebi"]
		if ebis == "" {
			ebis = "6"
		}
		tftOnly := strings.Split(a["tft"], ",")
		for _, v := range strings.Split(ebis, ",") {
			n, _ := strconv.Atoi(v)
			bc := gtp.BearerContext{EBI: uint8(n)}
			if slices.Contains(tftOnly, v) {
				bc.TFT = []byte{0x21, 0x31, 0x00, 0x03, 0x30, 0x11}
			} else if q := u8("qci", 0); q != 0 {
				bc.BearerQoS = gtp.BearerQoS{QCI: q, ARP: gtp.ARP{PL: 2, PVI: true}, MBRUplink: 256, MBRDownlink: 256, GBRUplink: 128, GBRDownlink: 128}
			}
			req.BearerContexts = append(req.BearerContexts, bc)
		}
		if v, ok := a["ambr"]; ok {
			ul, dl, _ := strings.Cut(v, "/")
			x, _ := strconv.Atoi(ul)
			y, _ := strconv.Atoi(dl)
			req.AMBR = gtp.AMBR{Uplink: uint32(x), Downlink: uint32(y)}
		}
		w.step(&S11Request{Now: w.now, ID: p.nextReq, Msg: req}, out)
	case "sgw-dbr":
		p.nextReq++
		req := &gtp.DeleteBearerRequest{}
		if v, ok := a["lbi"]; ok {
			n, _ := strconv.Atoi(v)
			req.LinkedEBI = uint8(n)
		} else {
			for _, v := range strings.Split(a["ebi"], ",") {
				n, _ := strconv.Atoi(v)
				req.EBIs = append(req.EBIs, uint8(n))
			}
		}
		w.step(&S11Request{Now: w.now, ID: p.nextReq, Msg: req}, out)
	case "sgw-dbr-triggered":
		cmd := w.popS11("DeleteBearerCommand")
		dbr := &gtp.DeleteBearerRequest{}
		for _, bc := range cmd.Msg.(*gtp.DeleteBearerCommand).BearerContexts {
			dbr.EBIs = append(dbr.EBIs, bc.EBI)
		}
		// The s11 endpoint ends the command with the triggered request
		// (TS 29.274 §7.6) and hands it to the handler as a request.
		w.step(&S11Response{Now: w.now, Txn: cmd.Txn, Msg: dbr}, out)
		p.nextReq++
		w.step(&S11Request{Now: w.now, ID: p.nextReq, Msg: dbr}, out)
	case "sgw-csr-pdn":
		req := w.popS11("CreateSessionRequest")
		csr := req.Msg.(*gtp.CreateSessionRequest)
		ev := &S11Response{Now: w.now, Txn: req.Txn}
		switch {
		case a["cause"] != "":
			n, _ := strconv.Atoi(a["cause"])
			ev.Msg = &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseValue(n)}}
		case a["error"] != "":
			ev.Err = errors.New("s11: no response from peer")
		default:
			ev.Msg = &gtp.CreateSessionResponse{
				Cause:        gtp.Cause{Value: gtp.CauseRequestAccepted},
				SenderFTEID:  gtp.FTEID{Interface: gtp.IfS11S4SGWGTPC, TEID: 0x5001, IPv4: netip.MustParseAddr("127.0.0.1")},
				PGWS5S8FTEID: gtp.FTEID{Interface: gtp.IfS5S8PGWGTPC, TEID: 0x6002, IPv4: netip.MustParseAddr("127.0.0.1")},
				PAA:          gtp.PAA{Type: gtp.PDNTypeIPv4, IPv4: netip.MustParseAddr("10.46.0.2")},
				BearerContextsCreated: []gtp.BearerContext{{EBI: csr.BearerContextsToBeCreated[0].EBI,
					Cause:       gtp.Cause{Value: gtp.CauseRequestAccepted},
					S1USGWFTEID: gtp.FTEID{Interface: gtp.IfS1USGW, TEID: 0x7002, IPv4: netip.MustParseAddr("127.0.0.1")}}},
			}
		}
		w.step(ev, out)
	case "sgw-dsr-pdn":
		req := w.popS11("DeleteSessionRequest")
		w.step(&S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.DeleteSessionResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}, out)
	case "sgw-mbr-pdn":
		req := w.popS11("ModifyBearerRequest")
		w.step(&S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}, out)
	case "enb-erab-setup":
		ev := &ERABSetupResponse{Now: w.now, Conn: w.conn}
		for _, ebi := range p.erabSetup {
			if f, fail := a["fail"]; fail && (f == "" || f == strconv.Itoa(int(ebi))) {
				ev.Failed = append(ev.Failed, ERABFailed{EBI: ebi, Cause: radioCause(s1ap.CauseRadioNetworkRadioResourcesNotAvailable)})
				continue
			}
			ev.Setup = append(ev.Setup, ERABSetup{EBI: ebi, Addr: netip.MustParseAddr("127.0.0.3"), TEID: 0x9000 + uint32(ebi)})
		}
		w.step(ev, out)
	case "enb-erab-modify":
		ev := &ERABModifyResponse{Now: w.now, Conn: w.conn}
		for _, ebi := range p.erabMod {
			if f, fail := a["fail"]; fail && (f == "" || slices.Contains(strings.Split(f, ","), strconv.Itoa(int(ebi)))) {
				ev.Failed = append(ev.Failed, ERABFailed{EBI: ebi, Cause: radioCause(s1ap.CauseRadioNetworkRadioResourcesNotAvailable)})
				continue
			}
			ev.Modified = append(ev.Modified, ebi)
		}
		w.step(ev, out)
	case "enb-erab-release":
		w.step(&ERABReleaseResponse{Now: w.now, Conn: w.conn, Released: p.erabRel}, out)
	case "enb-erab-release-indication":
		w.step(&ERABReleaseIndication{Now: w.now, Conn: w.conn, Released: []ERABFailed{{EBI: u8("ebi", 6),
			Cause: radioCause(s1ap.CauseRadioNetworkRadioConnectionWithUeLost)}}}, out)
	case "ue-esm":
		w.ueESM(a, out)
	case "ue-pdn-connect":
		w.ue.pti++
		msg := &nas.PDNConnectivityRequest{PTI: u8("pti", w.ue.pti), RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4}
		if v, ok := a["apn"]; ok {
			apn := nas.APN(v)
			msg.AccessPointName = &apn
		}
		w.uplink(msg, nas.IntegrityProtectedCiphered, out)
	case "ue-pdn-disconnect":
		w.ue.pti++
		w.uplink(&nas.PDNDisconnectRequest{PTI: u8("pti", w.ue.pti), LinkedEPSBearerIdentity: u8("lbi", 6)}, nas.IntegrityProtectedCiphered, out)
	case "bearers":
		s := w.m.Subscriber()
		for _, pdn := range s.PDNs {
			fmt.Fprintf(out, "pdn %s lbi=%d ambr=%d/%d:", pdn.APN, pdn.LBI, pdn.AMBRUplink, pdn.AMBRDownlink)
			for _, b := range pdn.Bearers {
				fmt.Fprintf(out, " [ebi=%d %v qci=%d gbr=%d/%d enb=%v/%#x]", b.EBI, b.State, b.QCI, b.GBRUplink, b.GBRDownlink, b.ENBU.Addr, b.ENBU.TEID)
			}
			fmt.Fprintln(out)
		}
		if s.ESM.Active() {
			fmt.Fprintf(out, "esm %v ebi=%d enb=%d ue=%d txn=%d", s.ESM.Proc, s.ESM.EBI, s.ESM.ENB, s.ESM.UE, s.ESM.Txn)
			for _, it := range s.ESM.Items {
				fmt.Fprintf(out, " [item ebi=%d enb=%d ue=%d cause=%d]", it.EBI, it.ENB, it.UE, it.Cause)
			}
			fmt.Fprintln(out)
		}
	default:
		return w.runUECtxMod(cmd, a, out)
	}
	return true
}

// ueESM answers the last ESM request the UE received.
func (w *world) ueESM(a map[string]string, out *strings.Builder) {
	_, reject := a["reject"]
	cause := nas.ESMCauseRequestRejectedUnspecified
	if v, ok := a["cause"]; ok {
		n, _ := strconv.Atoi(v)
		cause = nas.ESMCause(n)
	}
	u := w.ue
	want, _ := strconv.Atoi(a["ebi"])
	for i := len(u.inbox) - 1; i >= 0; i-- {
		var msg nas.Message
		switch r := u.inbox[i].(type) {
		case *nas.ActivateDedicatedEPSBearerContextRequest:
			if want != 0 && int(r.EBI) != want {
				continue
			}
			msg = &nas.ActivateDedicatedEPSBearerContextAccept{EBI: r.EBI, PTI: r.PTI}
			if reject {
				msg = &nas.ActivateDedicatedEPSBearerContextReject{EBI: r.EBI, PTI: r.PTI, ESMCause: cause}
			}
		case *nas.ActivateDefaultEPSBearerContextRequest:
			msg = &nas.ActivateDefaultEPSBearerContextAccept{EBI: r.EBI, PTI: r.PTI}
			if reject {
				msg = &nas.ActivateDefaultEPSBearerContextReject{EBI: r.EBI, PTI: r.PTI, ESMCause: cause}
			}
		case *nas.ModifyEPSBearerContextRequest:
			if want != 0 && int(r.EBI) != want {
				continue
			}
			msg = &nas.ModifyEPSBearerContextAccept{EBI: r.EBI, PTI: r.PTI}
			if reject {
				msg = &nas.ModifyEPSBearerContextReject{EBI: r.EBI, PTI: r.PTI, ESMCause: cause}
			}
		case *nas.DeactivateEPSBearerContextRequest:
			if want != 0 && int(r.EBI) != want {
				continue
			}
			msg = &nas.DeactivateEPSBearerContextAccept{EBI: r.EBI, PTI: r.PTI}
		default:
			continue
		}
		w.uplink(msg, nas.IntegrityProtectedCiphered, out)
		return
	}
	fmt.Fprintf(out, "no ESM request\n")
}

// respondS11 prints an answer to an SGW request.
func (w *world) respondS11(e RespondS11) string {
	w.bearer.responses = append(w.bearer.responses, e)
	s := fmt.Sprintf("S11 answer req=%d teid=%#x ", e.ID, e.TEID)
	bcs := func(l []gtp.BearerContext) string {
		var b strings.Builder
		for _, c := range l {
			fmt.Fprintf(&b, " [ebi=%d cause=%d", c.EBI, c.Cause.Value)
			if !c.S1UENodeBFTEID.IsZero() {
				fmt.Fprintf(&b, " enb=%v/%#x", c.S1UENodeBFTEID.IPv4, c.S1UENodeBFTEID.TEID)
			}
			b.WriteString("]")
		}
		return b.String()
	}
	switch m := e.Msg.(type) {
	case *gtp.CreateBearerResponse:
		return s + fmt.Sprintf("CreateBearerResponse cause=%d", m.Cause.Value) + bcs(m.BearerContexts)
	case *gtp.UpdateBearerResponse:
		return s + fmt.Sprintf("UpdateBearerResponse cause=%d", m.Cause.Value) + bcs(m.BearerContexts)
	case *gtp.DeleteBearerResponse:
		return s + fmt.Sprintf("DeleteBearerResponse cause=%d lbi=%d", m.Cause.Value, m.LinkedEBI) + bcs(m.BearerContexts)
	}
	return s + fmt.Sprintf("%T", e.Msg)
}

// s1Bearer prints the E-RAB requests and remembers their E-RABs.
func (w *world) s1Bearer(m s1ap.Message) (string, bool) {
	p := &w.bearer
	var b strings.Builder
	switch m := m.(type) {
	case *s1ap.ERABSetupRequest:
		p.erabSetup = p.erabSetup[:0]
		b.WriteString("ERABSetupRequest")
		for _, e := range m.ERABToBeSetupListBearerSUReq {
			p.erabSetup = append(p.erabSetup, uint8(e.ERABID))
			q := e.ERABlevelQoSParameters
			fmt.Fprintf(&b, " erab=%d qci=%d", e.ERABID, q.QCI)
			if g, ok := q.GbrQosInformation.Get(); ok {
				fmt.Fprintf(&b, " gbr=%d/%d", g.ERABGuaranteedBitrateUL, g.ERABGuaranteedBitrateDL)
			}
			fmt.Fprintf(&b, " sgw=%x/%x nas: %s", e.TransportLayerAddress.Bytes, e.GTPTEID, w.ueReceive(e.NASPDU))
		}
	case *s1ap.ERABModifyRequest:
		p.erabMod = p.erabMod[:0]
		b.WriteString("ERABModifyRequest")
		for _, e := range m.ERABToBeModifiedListBearerModReq {
			p.erabMod = append(p.erabMod, uint8(e.ERABID))
			fmt.Fprintf(&b, " erab=%d qci=%d nas: %s", e.ERABID, e.ERABLevelQoSParameters.QCI, w.ueReceive(e.NASPDU))
		}
	case *s1ap.UEContextModificationRequest:
		b.WriteString("UEContextModificationRequest")
		if a, ok := m.UEaggregateMaximumBitrate.Get(); ok {
			fmt.Fprintf(&b, " ue-ambr=%d/%d", a.UEaggregateMaximumBitRateUL, a.UEaggregateMaximumBitRateDL)
		}
	case *s1ap.ERABReleaseCommand:
		p.erabRel = p.erabRel[:0]
		b.WriteString("ERABReleaseCommand")
		for _, e := range m.ERABToBeReleasedList {
			p.erabRel = append(p.erabRel, uint8(e.ERABID))
			fmt.Fprintf(&b, " erab=%d cause=%s", e.ERABID, causeString(e.Cause))
		}
		if pdu, ok := m.NASPDU.Get(); ok {
			b.WriteString(" nas: " + w.ueReceive(pdu))
		}
	default:
		return "", false
	}
	return b.String(), true
}

// nasSummaryBearer summarises the ESM messages of the bearer procedures.
func nasSummaryBearer(m nas.Message) (string, bool) {
	switch m := m.(type) {
	case *nas.ActivateDedicatedEPSBearerContextRequest:
		return fmt.Sprintf("ActivateDedicatedEPSBearerContextRequest ebi=%d pti=%d lbi=%d qci=%d tft=%x", m.EBI, m.PTI,
			m.LinkedEPSBearerIdentity, m.EPSQoS.QCI, []byte(m.TFT)), true
	case *nas.ModifyEPSBearerContextRequest:
		s := fmt.Sprintf("ModifyEPSBearerContextRequest ebi=%d pti=%d", m.EBI, m.PTI)
		if m.NewEPSQoS != nil {
			s += fmt.Sprintf(" qci=%d", m.NewEPSQoS.QCI)
		}
		if len(m.APNAMBR) > 0 {
			s += fmt.Sprintf(" apn-ambr=%x", []byte(m.APNAMBR))
		}
		return s, true
	case *nas.DeactivateEPSBearerContextRequest:
		return fmt.Sprintf("DeactivateEPSBearerContextRequest ebi=%d pti=%d cause=%v", m.EBI, m.PTI, m.ESMCause), true
	case *nas.PDNDisconnectReject:
		return "PDNDisconnectReject cause=" + m.ESMCause.String(), true
	}
	return "", false
}

// runUECtxMod: the UE context modification commands.
//
//	hss-idr ambr=ul/dl                    Insert-Subscriber-Data with a new UE-AMBR
//	enb-uectxmod [fail]                   UE CONTEXT MODIFICATION RESPONSE / FAILURE
func (w *world) runUECtxMod(cmd string, a map[string]string, out *strings.Builder) bool {
	switch cmd {
	case "hss-idr":
		ul, dl, _ := strings.Cut(a["ambr"], "/")
		x, _ := strconv.Atoi(ul)
		y, _ := strconv.Atoi(dl)
		w.step(&SubscriptionChanged{Now: w.now, HasAMBR: true, AMBRUplink: uint32(x), AMBRDownlink: uint32(y)}, out)
	case "ue-esm-status-43":
		n, _ := strconv.Atoi(a["ebi"])
		w.uplink(&nas.ESMStatus{EBI: uint8(n), ESMCause: nas.ESMCauseInvalidEPSBearerIdentity}, nas.IntegrityProtectedCiphered, out)
	case "enb-uectxmod":
		if _, ok := a["fail"]; ok {
			w.step(&UEContextModificationFailure{Now: w.now, Conn: w.conn, Cause: radioCause(s1ap.CauseRadioNetworkUnspecified)}, out)
			break
		}
		w.step(&UEContextModificationResponse{Now: w.now, Conn: w.conn}, out)
	default:
		return false
	}
	return true
}
