package session

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// The handover commands of the scenario tests (testdata/scenarios/handover_*):
//
//	x2 conn=N [ebis=5,6] [caps=mismatch]   PATH SWITCH REQUEST from a target, new connection N
//	s1-required target=N [type=utran]      HANDOVER REQUIRED on the current connection (N=0: unknown target)
//	s1-ack [ebis=5]                        HANDOVER REQUEST ACKNOWLEDGE from the target (the admitted E-RABs)
//	s1-failure                             HANDOVER FAILURE from the target
//	s1-cancel                              HANDOVER CANCEL from the source
//	s1-status                              eNB STATUS TRANSFER from the source
//	s1-notify                              HANDOVER NOTIFY from the target
//	ho-mbr [reject] [error]                the SGW's answer to the handover's Modify Bearer Request
//
// The UE side of the key chain is checked on every NH/NCC the machine sends:
// NH(0) is the K_eNB of the connection, NH(n+1) = KDF(K_ASME, NH(n))
// (TS 33.401 §7.2.8.4, A.4); a mismatch prints NH-MISMATCH.

type hoChain struct {
	nh     [32]byte
	ncc    uint8
	target ConnID
	init   bool
}

var (
	hoMu     sync.Mutex
	hoChains = map[*world]*hoChain{}
)

func (w *world) hoChain() *hoChain {
	hoMu.Lock()
	defer hoMu.Unlock()
	c := hoChains[w]
	if c == nil {
		c = &hoChain{}
		hoChains[w] = c
	}
	if !c.init && w.ue != nil && w.ue.sec != nil {
		c.nh, c.init = w.ue.sec.KENB(w.ue.kenbCount()), true
	}
	return c
}

// checkNH moves the UE's chain to NCC ncc and compares NH.
func (w *world) checkNH(sc s1ap.SecurityContext) string {
	c := w.hoChain()
	if w.ue == nil || w.ue.sec == nil {
		return " (no UE context)"
	}
	for i := 0; i < 8 && c.ncc != uint8(sc.NextHopChainingCount); i++ {
		c.nh = security.DeriveNH(w.ue.sec.KASME(), c.nh)
		c.ncc = (c.ncc + 1) & 7
	}
	if c.nh != [32]byte(sc.NextHopParameter) {
		return " NH-MISMATCH"
	}
	return " nh=ok"
}

func hoEBIs(a map[string]string, def []uint8) []uint8 {
	v, ok := a["ebis"]
	if !ok {
		return def
	}
	var out []uint8
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, uint8(n))
		}
	}
	return out
}

func hoSetup(ebis []uint8, base uint32) []ERABSetup {
	var l []ERABSetup
	for _, ebi := range ebis {
		l = append(l, ERABSetup{EBI: ebi, Addr: netip.MustParseAddr("127.0.0.4"), TEID: base + uint32(ebi)})
	}
	return l
}

// runHandover runs a handover command; false if cmd is not one.
func (w *world) runHandover(cmd string, a map[string]string, out *strings.Builder) bool {
	c := w.hoChain()
	switch cmd {
	case "x2":
		n, _ := strconv.Atoi(a["conn"])
		c.target = ConnID(n)
		caps := ueSecurityCapabilities(w.m.s.UENetworkCapability)
		if a["caps"] == "mismatch" {
			caps.EncryptionAlgorithms.Bytes = []byte{0x40, 0}
		}
		w.step(&PathSwitchRequest{Now: w.now, Conn: w.conn, NewConn: c.target, TargetENB: ENBID{PLMN: testPLMN, Kind: 1, ID: 2},
			Switched: hoSetup(hoEBIs(a, w.icsEBIs), 0xa000), SecurityCapabilities: caps, Location: w.loc(a)}, out)
	case "s1-required":
		n, _ := strconv.Atoi(a["target"])
		c.target = ConnID(n)
		typ := s1ap.HandoverTypeIntralte
		if a["type"] == "utran" {
			typ = s1ap.HandoverTypeLtetoutran
		}
		w.step(&HandoverRequired{Now: w.now, Conn: w.conn, TargetConn: c.target, TargetENB: ENBID{PLMN: testPLMN, Kind: 1, ID: 2},
			SelectedTAI: w.loc(a).TAI, Type: typ, Cause: radioCause(s1ap.CauseRadioNetworkHandoverDesirableForRadioReason),
			Container: []byte{1, 2, 3}, DirectForwarding: hasKey(a, "direct")}, out)
	case "s1-ack":
		// fwd: the target offers DL and UL forwarding tunnels per E-RAB.
		ack := &HandoverRequestAcknowledge{Now: w.now, Conn: c.target, Admitted: hoSetup(hoEBIs(a, w.icsEBIs), 0xb000),
			Container: []byte{4, 5}}
		if hasKey(a, "fwd") {
			for _, s := range ack.Admitted {
				ack.Forwarding = append(ack.Forwarding, ERABForwarding{EBI: s.EBI,
					DL: FTEID{Addr: s.Addr, TEID: 0xc000 + uint32(s.EBI)}, UL: FTEID{Addr: s.Addr, TEID: 0xd000 + uint32(s.EBI)}})
			}
		}
		w.step(ack, out)
	case "ho-fwd":
		// The SGW's answer to Create Indirect Data Forwarding Tunnel: SGW
		// DL/UL forwarding F-TEIDs per bearer (0xe0.. / 0xf0..); reject:
		// #106; error: no answer; refuse=EBI: that bearer "Context not
		// found"; del: answer the Delete that follows instead.
		if hasKey(a, "del") {
			req := w.popS11("DeleteIndirectDataForwardingTunnelRequest")
			c := gtp.CauseRequestAccepted
			if hasKey(a, "reject") {
				c = gtp.CauseSystemFailure
			}
			w.step(&S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.DeleteIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: c}}}, out)
			break
		}
		req := w.popS11("CreateIndirectDataForwardingTunnelRequest")
		cr := req.Msg.(*gtp.CreateIndirectDataForwardingTunnelRequest)
		resp := &gtp.CreateIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}
		sgwAddr := netip.MustParseAddr("127.0.0.1")
		for _, bc := range cr.BearerContexts {
			if a["refuse"] == strconv.Itoa(int(bc.EBI)) {
				resp.Cause.Value = gtp.CauseRequestAcceptedPartially
				resp.BearerContexts = append(resp.BearerContexts, gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
				continue
			}
			rb := gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
				SGWDLForwardingFTEID: gtp.FTEID{Interface: gtp.IfSGWDLForwarding, TEID: 0xe000 + uint32(bc.EBI), IPv4: sgwAddr}}
			if !bc.ENBULForwardingFTEID.IsZero() {
				rb.SGWULForwardingFTEID = gtp.FTEID{Interface: gtp.IfSGWULForwarding, TEID: 0xf000 + uint32(bc.EBI), IPv4: sgwAddr}
			}
			resp.BearerContexts = append(resp.BearerContexts, rb)
		}
		ev := &S11Response{Now: w.now, Txn: req.Txn, Msg: resp}
		if hasKey(a, "reject") {
			ev.Msg = &gtp.CreateIndirectDataForwardingTunnelResponse{Cause: gtp.Cause{Value: gtp.CauseDataForwardingNotSupported}}
		}
		if hasKey(a, "error") {
			ev.Msg, ev.Err = nil, fmt.Errorf("s11: no response from peer")
		}
		w.step(ev, out)
	case "s1-failure":
		w.step(&HandoverFailure{Now: w.now, Conn: c.target, Cause: radioCause(s1ap.CauseRadioNetworkNoRadioResourcesAvailableInTargetCell)}, out)
	case "s1-cancel":
		w.step(&HandoverCancel{Now: w.now, Conn: w.conn, Cause: radioCause(s1ap.CauseRadioNetworkHandoverCancelled)}, out)
	case "s1-status":
		w.step(&ENBStatusTransfer{Now: w.now, Conn: w.conn, Container: s1ap.ENBStatusTransferTransparentContainer{
			BearersSubjectToStatusTransferList: s1ap.BearersSubjectToStatusTransferList{{ERABID: 5,
				ULCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 7}, DLCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 9}}}}}, out)
	case "s1-notify":
		w.step(&HandoverNotify{Now: w.now, Conn: c.target, Location: w.loc(a)}, out)
	case "ho-mbr":
		req := w.popS11("ModifyBearerRequest")
		ev := &S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}
		if _, ok := a["reject"]; ok {
			ev.Msg = &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}}
		}
		if _, ok := a["error"]; ok {
			ev.Msg, ev.Err = nil, fmt.Errorf("s11: no response from peer")
		}
		w.step(ev, out)
	default:
		return false
	}
	// The UE's connection is wherever the machine says (it moves at the
	// switch).
	if s := w.m.Subscriber(); s.ECM == ECMConnected {
		w.conn = s.Conn
	}
	return true
}

// s1Handover prints the handover messages the machine sends.
func (w *world) s1Handover(m s1ap.Message) (string, bool) {
	var b strings.Builder
	switch m := m.(type) {
	case *s1ap.PathSwitchRequestAcknowledge:
		fmt.Fprintf(&b, "PathSwitchRequestAcknowledge ncc=%d", m.SecurityContext.NextHopChainingCount)
		b.WriteString(w.checkNH(m.SecurityContext))
		if l, ok := m.ERABToBeReleasedList.Get(); ok {
			for _, it := range l {
				fmt.Fprintf(&b, " release=%d", it.ERABID)
			}
		}
		if c, ok := m.UESecurityCapabilities.Get(); ok {
			fmt.Fprintf(&b, " caps=%x/%x", c.EncryptionAlgorithms.Bytes, c.IntegrityProtectionAlgorithms.Bytes)
		}
	case *s1ap.PathSwitchRequestFailure:
		fmt.Fprintf(&b, "PathSwitchRequestFailure mme=%d cause=%s", m.MMEUES1APID, causeString(m.Cause))
	case *s1ap.HandoverRequest:
		fmt.Fprintf(&b, "HandoverRequest ncc=%d", m.SecurityContext.NextHopChainingCount)
		b.WriteString(w.checkNH(m.SecurityContext))
		for _, e := range m.ERABToBeSetupListHOReq {
			fmt.Fprintf(&b, " erab=%d qci=%d sgw=%x/%x", e.ERABID, e.ERABlevelQosParameters.QCI, e.TransportLayerAddress.Bytes, e.GTPTEID)
		}
		fmt.Fprintf(&b, " eea=%x eia=%x container=%x", m.UESecurityCapabilities.EncryptionAlgorithms.Bytes,
			m.UESecurityCapabilities.IntegrityProtectionAlgorithms.Bytes, m.SourceToTargetTransparentContainer)
	case *s1ap.HandoverCommand:
		fmt.Fprintf(&b, "HandoverCommand container=%x", m.TargetToSourceTransparentContainer)
		if l, ok := m.ERABSubjecttoDataForwardingList.Get(); ok {
			for _, it := range l {
				fmt.Fprintf(&b, " forward=%d", it.ERABID)
				if v, ok := it.DLGTPTEID.Get(); ok {
					fmt.Fprintf(&b, " dl=%x/%x", it.DLTransportLayerAddress.Value.Bytes, v)
				}
				if v, ok := it.ULGTPTEID.Get(); ok {
					fmt.Fprintf(&b, " ul=%x/%x", it.ULTransportLayerAddress.Value.Bytes, v)
				}
			}
		}
		if l, ok := m.ERABtoReleaseListHOCmd.Get(); ok {
			for _, it := range l {
				fmt.Fprintf(&b, " release=%d", it.ERABID)
			}
		}
	case *s1ap.HandoverPreparationFailure:
		fmt.Fprintf(&b, "HandoverPreparationFailure cause=%s", causeString(m.Cause))
	case *s1ap.MMEStatusTransfer:
		fmt.Fprintf(&b, "MMEStatusTransfer bearers=%d", len(m.ENBStatusTransferTransparentContainer.BearersSubjectToStatusTransferList))
	case *s1ap.HandoverCancelAcknowledge:
		b.WriteString("HandoverCancelAcknowledge")
	default:
		return "", false
	}
	return b.String(), true
}

// hasKey reports whether a scenario command has argument k (with or
// without a value).
func hasKey(a map[string]string, k string) bool { _, ok := a[k]; return ok }
