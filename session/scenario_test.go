package session

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// TestScenarios runs the scenario files of testdata/scenarios: input
// events (from test peers speaking real NAS with real keys) and the
// expected Ready of each step (decoded messages, transitions, timers,
// outcomes, anomalies). Rewrite with: go test ./session -run TestScenarios -rewrite
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		w := newWorld(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			w.t = t
			return w.run(d)
		})
	})
}

func args(d *datadriven.TestData) map[string]string {
	m := map[string]string{}
	for _, a := range d.CmdArgs {
		m[a.Key] = strings.Join(a.Vals, ",")
	}
	return m
}

func (w *world) run(d *datadriven.TestData) string {
	var out strings.Builder
	a := args(d)
	w.tick()
	switch d.Cmd {
	case "config":
		for _, k := range sortedKeys(a) {
			w.configure(k, a[k])
		}
		if err := w.cfg.Validate(); err != nil {
			return "invalid: " + err.Error()
		}
		return "ok"
	case "ue":
		k := testK
		if _, ok := a["wrong-k"]; ok {
			k[15] ^= 1 // MAC failure: the USIM's K differs from the HSS's
		}
		netCap := nas.UENetworkCapability{0xe0, 0xe0}
		if v, ok := a["netcap"]; ok {
			netCap = hexBytes(v)
		}
		w.newUE(a["imsi"], k, netCap)
		if v, ok := a["sqn-ms"]; ok {
			n, _ := strconv.ParseUint(v, 0, 64)
			if err := w.ue.usim.SetSQNMS(n); err != nil {
				return err.Error()
			}
		}
		w.ue.apn = a["apn"]
		return "ok"
	case "attach":
		w.attach(a, &out)
	case "ue-auth":
		w.ueAuth(&out)
	case "ue-smc":
		w.ueSMC(a, &out)
	case "ue-esm-info":
		req, ok := last[*nas.ESMInformationRequest](w.ue)
		if !ok {
			return "no ESM INFORMATION REQUEST"
		}
		rsp := &nas.ESMInformationResponse{PTI: req.PTI}
		if v, ok := a["pti"]; ok {
			n, _ := strconv.Atoi(v)
			rsp.PTI = uint8(n)
		}
		if w.ue.apn != "" {
			apn := nas.APN(w.ue.apn)
			rsp.AccessPointName = &apn
		}
		w.uplink(rsp, nas.IntegrityProtectedCiphered, &out)
	case "ue-attach-complete":
		acc, ok := last[*nas.AttachAccept](w.ue)
		if !ok {
			return "no ATTACH ACCEPT"
		}
		w.ue.guti = acc.GUTI
		act, _ := acc.ESMMessageContainer.Decode()
		ebi := act.(*nas.ActivateDefaultEPSBearerContextRequest).EBI
		var esm []byte
		if _, ok := a["reject"]; ok {
			esm, _ = nas.Encode(&nas.ActivateDefaultEPSBearerContextReject{EBI: ebi, ESMCause: nas.ESMCauseProtocolErrorUnspecified})
		} else {
			esm, _ = nas.Encode(&nas.ActivateDefaultEPSBearerContextAccept{EBI: ebi})
		}
		if _, ok := a["lost"]; ok {
			// Sent, but the MME never gets it (it dies first): the UE's
			// uplink COUNT moves on all the same.
			w.ue.uplink(&nas.AttachComplete{ESMMessageContainer: esm}, nas.IntegrityProtectedCiphered)
			return "ue: ATTACH COMPLETE sent and lost"
		}
		w.uplink(&nas.AttachComplete{ESMMessageContainer: esm}, nas.IntegrityProtectedCiphered, &out)
	case "ue-detach":
		_, off := a["switch-off"]
		typ := nas.EPSDetach
		if _, ok := a["imsi-detach"]; ok {
			typ = nas.IMSIDetach
		}
		msg := &nas.DetachRequestUEOriginating{DetachType: nas.DetachType{SwitchOff: off, Type: typ},
			NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: w.ue.ksi}, EPSMobileIdentity: w.ueIdentity()}
		if _, ok := a["initial"]; ok {
			w.conn++
			w.ue.firstUL = w.ue.sec.ULCount()
			w.step(&InitialUEMessage{Now: w.now, Conn: w.conn, NAS: w.ue.uplink(msg, nas.IntegrityProtected), Location: w.loc(a)}, &out)
			break
		}
		w.uplink(msg, nas.IntegrityProtectedCiphered, &out)
	case "ue-service-request":
		// SERVICE REQUEST in INITIAL UE MESSAGE (TS 24.301 §8.2.25).
		u := w.ue
		w.conn++
		pdu, count, err := u.sec.ProtectServiceRequest(nil)
		if err != nil {
			return err.Error()
		}
		u.firstUL = count
		// A new connection starts a new NH chain from its K_eNB (TS
		// 33.401 §7.2.8.4.1): the handover harness's chain restarts.
		hoMu.Lock()
		delete(hoChains, w)
		hoMu.Unlock()
		if _, ok := a["bad-mac"]; ok {
			pdu[3] ^= 0xff
		}
		if v, ok := a["ksi"]; ok {
			n, _ := strconv.Atoi(v)
			pdu[1] = pdu[1]&0x1f | uint8(n)<<5
		}
		w.step(w.initialBySTMSI(pdu, a), &out)
	case "ue-esr":
		// EXTENDED SERVICE REQUEST in INITIAL UE MESSAGE, integrity protected.
		u := w.ue
		typ := nas.PacketServicesViaS1
		if v, ok := a["type"]; ok {
			n, _ := strconv.Atoi(v)
			typ = nas.ServiceType(n)
		}
		msg := &nas.ExtendedServiceRequest{ServiceType: typ, NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: u.ksi},
			MTMSI: nas.MobileIdentity{Type: nas.MobileIdentityTMSI, TMSI: u.guti.MTMSI}}
		w.conn++
		sht := nas.IntegrityProtected
		if _, ok := a["plain"]; ok {
			sht = nas.Plain
		} else {
			u.firstUL = u.sec.ULCount()
		}
		w.step(w.initialBySTMSI(u.uplink(msg, sht), a), &out)
	case "ue-tau":
		// TRACKING AREA UPDATE REQUEST: from ECM-IDLE in INITIAL UE MESSAGE
		// (integrity protected), or on the connection with "on-conn".
		u := w.ue
		typ := nas.PeriodicUpdating
		if _, ok := a["normal"]; ok {
			typ = nas.TAUpdating
		}
		_, active := a["active"]
		g := nas.GUTI{PLMN: testPLMN, MMEGroupID: 0x8001, MMECode: 1, MTMSI: 0xdeadbeef}
		if u.guti != nil && a["guti"] != "unknown" {
			g = *u.guti
		}
		ksi := uint8(nas.NoKeyAvailable)
		if u.sec != nil {
			ksi = u.ksi
		}
		msg := &nas.TrackingAreaUpdateRequest{EPSUpdateType: nas.EPSUpdateType{Active: active, Value: typ},
			NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: ksi}, OldGUTI: g, UENetworkCapability: u.netCap}
		if _, ok := a["on-conn"]; ok {
			w.step(&UplinkNASTransport{Now: w.now, Conn: w.conn, NAS: u.uplink(msg, nas.IntegrityProtectedCiphered), Location: w.loc(a)}, &out)
			break
		}
		sht := nas.IntegrityProtected
		if _, ok := a["plain"]; ok || u.sec == nil {
			sht = nas.Plain
		} else {
			u.firstUL = u.sec.ULCount()
		}
		w.conn++
		w.step(&InitialUEMessage{Now: w.now, Conn: w.conn, NAS: u.uplink(msg, sht), Location: w.loc(a)}, &out)
	case "ue-tau-complete":
		acc, ok := last[*nas.TrackingAreaUpdateAccept](w.ue)
		if !ok {
			return "no TRACKING AREA UPDATE ACCEPT"
		}
		w.ue.guti = acc.GUTI
		if _, ok := a["lost"]; ok {
			// The UE took the new GUTI; its COMPLETE never reaches the MME.
			return "ue: guti=" + acc.GUTI.String() + " (TRACKING AREA UPDATE COMPLETE lost)"
		}
		w.uplink(&nas.TrackingAreaUpdateComplete{}, nas.IntegrityProtectedCiphered, &out)
	case "ue-guti-complete":
		cmd, ok := last[*nas.GUTIReallocationCommand](w.ue)
		if !ok {
			return "no GUTI REALLOCATION COMMAND"
		}
		w.ue.guti = &cmd.GUTI
		if _, ok := a["lost"]; ok {
			return "ue: guti=" + cmd.GUTI.String() + " (GUTI REALLOCATION COMPLETE lost)"
		}
		w.uplink(&nas.GUTIReallocationComplete{}, nas.IntegrityProtectedCiphered, &out)
	case "sgw-ddn":
		w.ddn++
		w.step(&DownlinkDataNotification{Now: w.now, ID: w.ddn, EBI: 5}, &out)
	case "ue-detach-accept":
		w.uplink(&nas.DetachAccept{}, nas.IntegrityProtectedCiphered, &out)
	case "ue-send":
		// A message as given: "plain" or protected.
		msg := w.namedMessage(a["msg"])
		sht := nas.IntegrityProtectedCiphered
		if _, ok := a["plain"]; ok {
			sht = nas.Plain
		}
		w.uplink(msg, sht, &out)
	case "ue-raw":
		w.step(&UplinkNASTransport{Now: w.now, Conn: w.conn, NAS: hexBytes(a["hex"]), Location: w.loc(a)}, &out)
	case "hss-aia":
		if v, ok := a["txn"]; ok {
			n, _ := strconv.Atoi(v)
			w.step(&AuthInfoAnswer{Now: w.now, Txn: Txn(n), Err: errors.New("late")}, &out)
			break
		}
		req, ok := w.popS6a()
		if !ok {
			return "no S6a request pending"
		}
		ev := &AuthInfoAnswer{Now: w.now, Txn: req.Txn}
		air := req.Msg.(*s6a.AIR)
		switch {
		case a["result"] != "":
			ev.AIA = &s6a.AIA{AnswerHeader: s6a.AnswerHeader{Result: resultOf(a["result"])}}
		case a["error"] != "":
			ev.Err = errors.New("peer: no answer before the request timeout")
		default:
			if rs := air.EUTRAN.ResynchronizationInfo; rs != nil {
				sqnMS, err := security.ResynchronizeSQN(w.hssK, testOPc, [16]byte(rs[:16]), [14]byte(rs[16:]))
				if err != nil {
					return "resync: " + err.Error()
				}
				w.hssSQN = sqnMS + 32
				fmt.Fprintf(&out, "hss: SQN re-synchronised to %d\n", w.hssSQN)
			}
			ev.AIA = &s6a.AIA{AnswerHeader: s6a.AnswerHeader{Result: s6a.Success}}
			for i := uint32(0); i < air.EUTRAN.NumberOfRequestedVectors; i++ {
				ev.AIA.Vectors = append(ev.AIA.Vectors, w.vector())
			}
		}
		w.step(ev, &out)
	case "hss-ula":
		req, ok := w.popS6a()
		if !ok {
			return "no S6a request pending"
		}
		ev := &UpdateLocationAnswer{Now: w.now, Txn: req.Txn}
		switch {
		case a["result"] != "":
			ev.ULA = &s6a.ULA{AnswerHeader: s6a.AnswerHeader{Result: resultOf(a["result"])}}
		case a["error"] != "":
			ev.Err = errors.New("peer: no answer before the request timeout")
		default:
			apn, pdn := "internet", s6a.PDNTypeIPv4v6
			if v, ok := a["apn"]; ok {
				apn = v
			}
			if a["pdn"] == "ipv4" {
				pdn = s6a.PDNTypeIPv4
			}
			ev.ULA = &s6a.ULA{AnswerHeader: s6a.AnswerHeader{Result: s6a.Success}, SubscriptionData: subscription(apn, pdn)}
		}
		w.step(ev, &out)
	case "hss-pua":
		req, ok := w.popS6a()
		if !ok {
			return "no S6a request pending"
		}
		w.step(&PurgeUEAnswer{Now: w.now, Txn: req.Txn, PUA: &s6a.PUA{AnswerHeader: s6a.AnswerHeader{Result: s6a.Success}}}, &out)
	case "hss-clr":
		typ := s6a.CancelSubscriptionWithdrawal
		if a["type"] == "mme-update" {
			typ = s6a.CancelMMEUpdateProcedure
		}
		w.step(&CancelLocation{Now: w.now, Type: typ}, &out)
	case "sgw-csr":
		req := w.popS11("CreateSessionRequest")
		ev := &S11Response{Now: w.now, Txn: req.Txn}
		csr := req.Msg.(*gtp.CreateSessionRequest)
		switch {
		case a["cause"] != "":
			n, _ := strconv.Atoi(a["cause"])
			ev.Msg = &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseValue(n)}}
		case a["error"] != "":
			ev.Err = errors.New("s11: no response from peer")
		default:
			paa := gtp.PAA{Type: csr.PDNType, IPv4: netip.MustParseAddr("10.45.0.2")}
			if csr.PDNType == gtp.PDNTypeIPv4v6 {
				paa.IPv6 = netip.MustParsePrefix("2001:db8:45::2/64")
			}
			ev.Msg = &gtp.CreateSessionResponse{
				Cause:        gtp.Cause{Value: gtp.CauseRequestAccepted},
				SenderFTEID:  gtp.FTEID{Interface: gtp.IfS11S4SGWGTPC, TEID: 0x5001, IPv4: netip.MustParseAddr("127.0.0.1")},
				PGWS5S8FTEID: gtp.FTEID{Interface: gtp.IfS5S8PGWGTPC, TEID: 0x6001, IPv4: netip.MustParseAddr("127.0.0.1")},
				PAA:          paa,
				BearerContextsCreated: []gtp.BearerContext{{EBI: csr.BearerContextsToBeCreated[0].EBI,
					Cause:       gtp.Cause{Value: gtp.CauseRequestAccepted},
					S1USGWFTEID: gtp.FTEID{Interface: gtp.IfS1USGW, TEID: 0x7001, IPv4: netip.MustParseAddr("127.0.0.1")},
					BearerQoS:   csr.BearerContextsToBeCreated[0].BearerQoS}},
			}
		}
		w.step(ev, &out)
	case "sgw-dsr":
		req := w.popS11("DeleteSessionRequest")
		ev := &S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.DeleteSessionResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}
		if a["error"] != "" {
			ev.Msg, ev.Err = nil, errors.New("s11: no response from peer")
		}
		w.step(ev, &out)
	case "sgw-mbr":
		req := w.popS11("ModifyBearerRequest")
		ev := &S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}
		if v, ok := a["cause"]; ok {
			n, _ := strconv.Atoi(v)
			ev.Msg = &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseValue(n)}}
		}
		w.step(ev, &out)
	case "sgw-rab":
		req := w.popS11("ReleaseAccessBearersRequest")
		w.step(&S11Response{Now: w.now, Txn: req.Txn, Msg: &gtp.ReleaseAccessBearersResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}, &out)
	case "sgw-lost":
		_, restarted := a["restarted"]
		w.step(&SGWLost{Now: w.now, SGW: testSGW, Restarted: restarted}, &out)
	case "enb-ics":
		if a["failure"] != "" {
			w.step(&InitialContextSetupFailure{Now: w.now, Conn: w.conn, Cause: radioCause(s1ap.CauseRadioNetworkRadioResourcesNotAvailable)}, &out)
			break
		}
		var setup []ERABSetup
		for _, ebi := range w.icsEBIs {
			setup = append(setup, ERABSetup{EBI: ebi, Addr: netip.MustParseAddr("127.0.0.3"), TEID: 0x9000 + uint32(ebi)})
		}
		w.step(&InitialContextSetupResponse{Now: w.now, Conn: w.conn, Setup: setup}, &out)
	case "enb-capability":
		w.step(&UECapabilityInfoIndication{Now: w.now, Conn: w.conn, RadioCapability: []byte{1, 2, 3, 4}}, &out)
	case "enb-release-request":
		w.step(&UEContextReleaseRequest{Now: w.now, Conn: w.conn, Cause: radioCause(s1ap.CauseRadioNetworkUserInactivity)}, &out)
	case "enb-release-complete":
		conn := w.conn
		if v, ok := a["conn"]; ok {
			n, _ := strconv.Atoi(v)
			conn = ConnID(n)
		}
		w.step(&UEContextReleaseComplete{Now: w.now, Conn: conn}, &out)
	case "enb-lost":
		w.step(&S1ConnectionLost{Now: w.now, Conn: w.conn, Reason: "reset"}, &out)
	case "admin-detach":
		w.step(&DetachRequested{Now: w.now, Reason: "test"}, &out)
	case "resolved":
		ev := &IMSIResolved{Now: w.now, IMSI: w.ue.imsi}
		if v, ok := a["key"]; ok {
			n, _ := strconv.Atoi(v)
			ev.Key, ev.Found = uint64(n), true
		}
		w.step(ev, &out)
	case "timer":
		id := timerByName(a["id"])
		s := w.m.Subscriber()
		due := s.Deadlines[id]
		if due.IsZero() {
			due = w.now
			fmt.Fprintf(&out, "(timer %v not running: stale expiry)\n", id)
		}
		if due.After(w.now) {
			w.now = due
		}
		w.step(&TimerExpired{Now: w.now, ID: id, Due: due}, &out)
	case "crash":
		// The step panicked: the node reloads the last stored record.
		m, err := Load(&w.cfg, w.alloc, w.key, w.persisted)
		if err != nil {
			return "reload: " + err.Error()
		}
		w.m = m
		w.step(&Restarted{Now: w.now, Reason: "test"}, &out)
	case "node-restart":
		m, err := Load(&w.cfg, w.alloc, w.key, w.persisted)
		if err != nil {
			return "reload: " + err.Error()
		}
		w.m = m
		w.step(&Recovered{Now: w.now}, &out)
	case "transfer-to-new-key":
		// The node hands the transferred attach to the key holding the
		// IMSI: here a machine loaded from the record saved as "other".
		if w.transfer == nil {
			return "no transfer"
		}
		w.key = w.transfer.To
		m, err := Load(&w.cfg, w.alloc, w.key, w.saved)
		if err != nil {
			return "load: " + err.Error()
		}
		w.m, w.deleted = m, false
		w.step(w.transfer.Event, &out)
	case "save":
		w.saved = w.persisted
		return "saved"
	case "reset-key":
		// A fresh key (the node found no record for the identity).
		w.key++
		w.m = New(&w.cfg, w.alloc, w.key)
		return fmt.Sprintf("key %d", w.key)
	case "state":
		w.state(&out)
	case "gutis":
		// The GUTIs the record holds and the M-TMSIs the store would index
		// (guti.go: old and new GUTI), beside the one the test UE holds.
		s := w.m.Subscriber()
		fmt.Fprintf(&out, "record guti=%v", s.GUTI)
		if s.HasOldGUTI {
			fmt.Fprintf(&out, " old=%v", s.OldGUTI)
		}
		_, mtmsi, _, _, _ := w.m.Indexes()
		fmt.Fprintf(&out, "\nindexed m-tmsi=%08x", mtmsi)
		if old, ok := w.m.OldMTMSI(); ok {
			fmt.Fprintf(&out, ",%08x", old)
		}
		if w.ue.guti != nil {
			fmt.Fprintf(&out, "\nue guti=%v", w.ue.guti)
		}
		out.WriteString("\n")
	default:
		if !w.runHandover(d.Cmd, a, &out) && !w.runBearer(d.Cmd, a, &out) { // scenario_bearer_test.go
			d.Fatalf(w.t, "unknown command %s", d.Cmd)
		}
	}
	return out.String()
}

func (w *world) configure(k, v string) {
	c := &w.cfg
	switch k {
	case "eia":
		c.EIA = nil
		for _, s := range strings.Split(v, ",") {
			n, _ := strconv.Atoi(s)
			c.EIA = append(c.EIA, security.EIA(n))
		}
	case "eea":
		c.EEA = nil
		for _, s := range strings.Split(v, ",") {
			n, _ := strconv.Atoi(s)
			c.EEA = append(c.EEA, security.EEA(n))
		}
	case "imeisv":
		c.RequestIMEISV = true
	case "purge":
		c.PurgeUE = true
	case "names":
		c.NetworkFullName, c.NetworkShortName = "Test Network", "Test"
	case "emergency":
		c.EmergencyBearerServices = true
	case "vectors":
		n, _ := strconv.Atoi(v)
		c.AuthVectors = uint32(n)
	case "auth-always":
		c.AuthenticateAlways = true
	case "guti-reallocation":
		n, _ := strconv.Atoi(v)
		c.GUTIReallocation = uint32(n)
	case "paging-attempts":
		n, _ := strconv.Atoi(v)
		c.PagingAttempts = uint8(n)
	case "reauthentication":
		n, _ := strconv.Atoi(v)
		c.Reauthentication = uint32(n)
	}
}

func timerByName(s string) TimerID {
	for id := TimerID(1); id <= numTimers; id++ {
		if strings.EqualFold(id.String(), s) {
			return id
		}
	}
	panic("unknown timer " + s)
}

func (w *world) loc(a map[string]string) Location {
	tac := uint16(1)
	if v, ok := a["tac"]; ok {
		n, _ := strconv.Atoi(v)
		tac = uint16(n)
	}
	plmn := testPLMN
	if v, ok := a["plmn"]; ok {
		plmn, _ = nas.ParsePLMNID(v)
	}
	return Location{TAI: nas.TAI{PLMN: plmn, TAC: tac}, ECGI: ECGI{PLMN: plmn, CellID: 0x19b01}}
}

func (w *world) ueIdentity() nas.EPSMobileIdentity {
	if w.ue.guti != nil {
		return nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: *w.ue.guti}
	}
	return nas.EPSMobileIdentity{Type: nas.EPSIdentityIMSI, Digits: w.ue.imsi}
}

// attach sends ATTACH REQUEST in INITIAL UE MESSAGE on a new connection.
func (w *world) attach(a map[string]string, out *strings.Builder) {
	u := w.ue
	u.pti++
	pdnType := nas.PDNTypeIPv4v6
	if a["pdn"] == "ipv4" {
		pdnType = nas.PDNTypeIPv4
	}
	pdn := &nas.PDNConnectivityRequest{PTI: u.pti, RequestType: nas.InitialRequest, PDNType: pdnType}
	if _, ok := a["esm-info"]; ok {
		f := nas.ESMInformationTransferFlag(1)
		pdn.ESMInformationTransferFlag = &f
	} else if v, ok := a["apn"]; ok {
		apn := nas.APN(v)
		pdn.AccessPointName = &apn
	}
	if _, ok := a["emergency"]; ok {
		pdn.RequestType = nas.Emergency
	}
	esm, _ := nas.Encode(pdn)
	typ := nas.EPSAttach
	if _, ok := a["combined"]; ok {
		typ = nas.CombinedEPSIMSIAttach
	}
	req := &nas.AttachRequest{EPSAttachType: typ, NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: nas.NoKeyAvailable},
		EPSMobileIdentity:   nas.EPSMobileIdentity{Type: nas.EPSIdentityIMSI, Digits: u.imsi},
		UENetworkCapability: u.netCap, ESMMessageContainer: esm}
	sht := nas.Plain
	switch a["id"] {
	case "guti":
		req.EPSMobileIdentity = nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: *u.guti}
		if u.sec != nil {
			req.NASKeySetIdentifier.KSI = u.sec.KSI().Value
			sht = nas.IntegrityProtected
			u.firstUL = u.sec.ULCount()
		}
	case "unknown-guti":
		req.EPSMobileIdentity = nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI,
			GUTI: nas.GUTI{PLMN: testPLMN, MMEGroupID: 0x8001, MMECode: 1, MTMSI: 0xdeadbeef}}
	}
	w.conn++
	if v, ok := a["conn"]; ok {
		n, _ := strconv.Atoi(v)
		w.conn = ConnID(n)
	}
	pduBytes := u.uplink(req, sht)
	if _, ok := a["bad-mac"]; ok {
		pduBytes[2] ^= 0xff
	}
	w.step(&InitialUEMessage{Now: w.now, Conn: w.conn, NAS: pduBytes, Location: w.loc(a)}, out)
}

// uplink sends a NAS message in UPLINK NAS TRANSPORT on the current
// connection, protected when the UE has a context.
func (w *world) uplink(msg nas.Message, sht nas.SecurityHeaderType, out *strings.Builder) {
	w.step(&UplinkNASTransport{Now: w.now, Conn: w.conn, NAS: w.ue.uplink(msg, sht), Location: w.loc(nil)}, out)
}

// ueAuth runs the USIM on the last AUTHENTICATION REQUEST.
func (w *world) ueAuth(out *strings.Builder) {
	u := w.ue
	req, ok := last[*nas.AuthenticationRequest](u)
	if !ok {
		fmt.Fprintf(out, "no AUTHENTICATION REQUEST\n")
		return
	}
	res, err := u.usim.Authenticate(req.RAND, req.AUTN, testPLMN)
	var sf *security.SynchFailureError
	switch {
	case err == nil:
		u.kasme, u.ksi, u.haveAKA = res.KASME, req.NASKeySetIdentifierASME.KSI, true
		fmt.Fprintf(out, "ue: AKA ok\n")
		// An AUTHENTICATION REQUEST protected with the current context (a
		// re-authentication on a connection whose secure exchange is
		// established) is answered protected with it (TS 24.301 §4.4.4.2).
		sht := nas.Plain
		if u.dlProtected && u.sec != nil {
			sht = nas.IntegrityProtectedCiphered
		}
		w.uplink(&nas.AuthenticationResponse{RES: res.RES}, sht, out)
	case errors.Is(err, security.ErrMACFailure):
		fmt.Fprintf(out, "ue: MAC failure\n")
		w.uplink(&nas.AuthenticationFailure{EMMCause: nas.EMMCauseMACFailure}, nas.Plain, out)
	case errors.As(err, &sf):
		fmt.Fprintf(out, "ue: synch failure\n")
		auts := sf.AUTS
		w.uplink(&nas.AuthenticationFailure{EMMCause: nas.EMMCauseSynchFailure, AuthenticationFailureParameter: &auts}, nas.Plain, out)
	default:
		w.t.Fatalf("USIM: %v", err)
	}
}

// ueSMC verifies SECURITY MODE COMMAND with the new context and answers
// SECURITY MODE COMPLETE (header type 4), or SECURITY MODE REJECT.
func (w *world) ueSMC(a map[string]string, out *strings.Builder) {
	u := w.ue
	smc, ok := last[*nas.SecurityModeCommand](u)
	if !ok {
		fmt.Fprintf(out, "no SECURITY MODE COMMAND\n")
		return
	}
	if _, ok := a["reject"]; ok {
		w.uplink(&nas.SecurityModeReject{EMMCause: nas.EMMCauseSecurityModeRejectedUnspecified}, nas.Plain, out)
		return
	}
	ctx, err := security.NewContext(security.Params{Role: security.RoleUE, KSI: security.KSI{Value: smc.NASKeySetIdentifier.KSI},
		KASME: u.kasme, EEA: security.EEA(smc.SelectedNASSecurityAlgorithms.Ciphering), EIA: security.EIA(smc.SelectedNASSecurityAlgorithms.Integrity)})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, _, err := ctx.Unprotect(nil, u.smcPDU); err != nil {
		fmt.Fprintf(out, "ue: SMC MAC does not verify: %v\n", err)
		return
	}
	u.sec = ctx
	u.firstUL = ctx.ULCount()
	cmp := &nas.SecurityModeComplete{}
	if smc.IMEISVRequest != nil {
		cmp.IMEISV = &nas.MobileIdentity{Type: nas.MobileIdentityIMEISV, Digits: "3534490000000101"}
	}
	w.uplink(cmp, nas.IntegrityProtectedCipheredNewContext, out)
}

// namedMessage builds a message for "ue-send".
func (w *world) namedMessage(name string) nas.Message {
	switch name {
	case "attach-complete":
		esm, _ := nas.Encode(&nas.ActivateDefaultEPSBearerContextAccept{EBI: 5})
		return &nas.AttachComplete{ESMMessageContainer: esm}
	case "identity-response":
		return &nas.IdentityResponse{MobileIdentity: nas.MobileIdentity{Type: nas.MobileIdentityIMSI, Digits: w.ue.imsi}}
	case "auth-response":
		return &nas.AuthenticationResponse{RES: nas.Octets{1, 2, 3, 4, 5, 6, 7, 8}}
	case "tau-request":
		g := nas.GUTI{PLMN: testPLMN, MMEGroupID: 0x8001, MMECode: 1, MTMSI: 1}
		if w.ue.guti != nil {
			g = *w.ue.guti
		}
		return &nas.TrackingAreaUpdateRequest{EPSUpdateType: nas.EPSUpdateType{Value: nas.PeriodicUpdating}, OldGUTI: g}
	}
	panic("unknown message " + name)
}

var _ = time.Second

// initialBySTMSI is INITIAL UE MESSAGE with the S-TMSI IE of the test
// UE's GUTI (TS 36.413 §9.2.3.6), as an eNodeB sends a SERVICE REQUEST or
// EXTENDED SERVICE REQUEST; "no-stmsi" leaves it out.
func (w *world) initialBySTMSI(pdu []byte, a map[string]string) *InitialUEMessage {
	ev := &InitialUEMessage{Now: w.now, Conn: w.conn, NAS: pdu, Location: w.loc(a)}
	if _, ok := a["no-stmsi"]; !ok && w.ue.guti != nil {
		ev.MTMSI, ev.HasSTMSI = w.ue.guti.MTMSI, true
	}
	return ev
}
