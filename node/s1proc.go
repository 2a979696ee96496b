package node

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/session"
)

// The non-UE-associated S1AP procedures (TS 36.413 §8.7) and the §10
// error answers. They run on the transport's goroutine of stream 0 and
// answer on stream 0 (TS 36.412 §7).

// s1Setup runs S1 SETUP (TS 36.413 §8.7.3). The eNodeB is accepted when at
// least one broadcast PLMN of its supported TAs is one this MME serves
// (§8.7.3.3: otherwise S1 SETUP FAILURE with cause unknown-PLMN). The
// PLMN of the Global eNB ID is not checked: an eNodeB of another PLMN
// broadcasting ours (network sharing, TS 23.251 §4.2) is accepted.
func (n *Node) s1Setup(e *enb, m *s1ap.S1SetupRequest) {
	if !n.servesAnyPLMN(m.SupportedTAs) {
		n.log.Info("s1: S1 SETUP refused: no served PLMN among the supported TAs", "enb", globalENBName(m.GlobalENBID))
		// No Time to wait (§9.1.8.6: optional): a PLMN mismatch is a
		// configuration error that a retry does not cure.
		n.sendNonUE(e, &s1ap.S1SetupFailure{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscUnknownPLMN}})
		return
	}
	if !n.servesAnyTAI(m.SupportedTAs) {
		// Not a reason to refuse (§8.7.3.3 names only the PLMN); UEs in
		// those TAs get ATTACH REJECT #12 (TS 24.301 §5.5.1.2.5).
		n.log.Warn("s1: eNodeB serves none of the configured TAIs", "enb", globalENBName(m.GlobalENBID))
	}
	n.waitRecovered() // restore.go: Recovered before this run's UE messages
	e.mu.Lock()
	again := e.setup
	e.globalID = m.GlobalENBID
	e.name = string(m.ENBname.Value)
	e.tacs = tacsOf(m.SupportedTAs)
	e.pagingDRX = m.DefaultPagingDRX
	e.setup = true
	e.mu.Unlock()
	if again {
		// A second S1 SETUP on the association re-initialises it
		// (§8.7.3.2 "erase any existing application level configuration
		// data"): its UE connections are gone, the UEs go ECM-IDLE.
		n.connectionsLost(e, "s1 setup repeated")
	} else {
		n.m.enbs.Inc()
	}
	n.sendNonUE(e, n.s1SetupResponse())
	n.log.Info("s1: S1 SETUP accepted", "enb", enbName(e), "tacs", len(e.tacs))
}

func (n *Node) s1SetupResponse() *s1ap.S1SetupResponse {
	n.cfgMu.Lock()
	defer n.cfgMu.Unlock()
	r := &s1ap.S1SetupResponse{ServedGUMMEIs: n.servedGUMMEIs(), RelativeMMECapacity: s1ap.RelativeMMECapacity(n.res.capacity)}
	if n.cfg.Name != "" {
		r.MMEname = s1ap.Some(s1ap.MMEname(n.cfg.Name))
	}
	return r
}

// servedGUMMEIs is the Served GUMMEIs IE of S1 SETUP RESPONSE (TS 36.413
// §9.1.8.5): the PLMNs of the served TAIs (the node's first), the
// MME group and the MME code.
func (n *Node) servedGUMMEIs() s1ap.ServedGUMMEIs {
	plmns := s1ap.ServedPLMNs{s1ap.PLMNidentity(n.res.plmn)}
	for _, t := range n.res.tais {
		p := s1ap.PLMNidentity(t.PLMN)
		if !slices.Contains(plmns, p) {
			plmns = append(plmns, p)
		}
	}
	return s1ap.ServedGUMMEIs{{
		ServedPLMNs:    plmns,
		ServedGroupIDs: s1ap.ServedGroupIDs{{byte(n.cfg.MMEGI >> 8), byte(n.cfg.MMEGI)}},
		ServedMMECs:    s1ap.ServedMMECs{{n.cfg.MMEC}},
	}}
}

// servesAnyPLMN reports whether a broadcast PLMN of tas is served.
func (n *Node) servesAnyPLMN(tas s1ap.SupportedTAs) bool {
	cfg := n.scfg.Load()
	for _, ta := range tas {
		for _, p := range ta.BroadcastPLMNs {
			if nas.PLMNID(p) == cfg.PLMN {
				return true
			}
			for _, t := range cfg.TAIs {
				if nas.PLMNID(p) == t.PLMN {
					return true
				}
			}
		}
	}
	return false
}

// servesAnyTAI reports whether a (broadcast PLMN, TAC) of tas is served.
func (n *Node) servesAnyTAI(tas s1ap.SupportedTAs) bool {
	cfg := n.scfg.Load()
	for _, ta := range tas {
		tac := uint16(ta.TAC[0])<<8 | uint16(ta.TAC[1])
		for _, p := range ta.BroadcastPLMNs {
			if slices.Contains(cfg.TAIs, nas.TAI{PLMN: nas.PLMNID(p), TAC: tac}) {
				return true
			}
		}
	}
	return false
}

func tacsOf(tas s1ap.SupportedTAs) map[[2]byte][][3]byte {
	out := make(map[[2]byte][][3]byte, len(tas))
	for _, ta := range tas {
		for _, p := range ta.BroadcastPLMNs {
			out[ta.TAC] = append(out[ta.TAC], p)
		}
	}
	return out
}

// enbConfigurationUpdate runs ENB CONFIGURATION UPDATE (TS 36.413
// §8.7.4): the new supported TAs are checked like S1 SETUP's and kept;
// refused with ENB CONFIGURATION UPDATE FAILURE (unknown-PLMN) otherwise,
// keeping the old configuration (§8.7.4.3).
func (n *Node) enbConfigurationUpdate(e *enb, m *s1ap.ENBConfigurationUpdate) {
	if tas, ok := m.SupportedTAs.Get(); ok && !n.servesAnyPLMN(tas) {
		n.sendNonUE(e, &s1ap.ENBConfigurationUpdateFailure{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscUnknownPLMN}})
		return
	}
	e.mu.Lock()
	if tas, ok := m.SupportedTAs.Get(); ok {
		e.tacs = tacsOf(tas)
	}
	if name, ok := m.ENBname.Get(); ok {
		e.name = string(name)
	}
	if drx, ok := m.DefaultPagingDRX.Get(); ok {
		e.pagingDRX = drx
	}
	e.mu.Unlock()
	n.sendNonUE(e, &s1ap.ENBConfigurationUpdateAcknowledge{})
}

// reset runs an eNodeB-initiated RESET (TS 36.413 §8.7.1.2.1): all the
// association's UE connections, or the listed ones, are released (the UEs
// go ECM-IDLE, TS 23.401 §5.3.5; they stay attached) and RESET
// ACKNOWLEDGE is returned, with the listed connections in the same order.
func (n *Node) reset(e *enb, m *s1ap.Reset) {
	switch m.ResetType.Choice {
	case s1ap.ResetTypeChoiceS1Interface:
		n.connectionsLost(e, "s1 reset")
		n.sendNonUE(e, &s1ap.ResetAcknowledge{})
	case s1ap.ResetTypeChoicePartOfS1Interface:
		now := time.Now()
		for _, it := range m.ResetType.PartOfS1Interface {
			c := n.findConn(e, it)
			if c == nil {
				continue
			}
			n.dropConn(c)
			if c.owner() != 0 {
				n.post(c.owner(), &session.S1ConnectionLost{Now: now, Conn: session.ConnID(c.mmeID), Reason: "s1 reset"}, "connection lost")
			}
		}
		n.sendNonUE(e, &s1ap.ResetAcknowledge{UEAssociatedLogicalS1ConnectionListResAck: s1ap.Some(
			s1ap.UEAssociatedLogicalS1ConnectionListResAck(m.ResetType.PartOfS1Interface))})
	}
}

// findConn finds the connection of a RESET item: by MME-UE-S1AP-ID when
// present (checked against the eNodeB), else by eNB-UE-S1AP-ID on e.
func (n *Node) findConn(e *enb, it s1ap.UEAssociatedLogicalS1ConnectionItem) *ueConn {
	if id, ok := it.MMEUES1APID.Get(); ok {
		c := n.conns.get(uint32(id))
		if c == nil || c.enb != e {
			return nil
		}
		if eid, ok := it.ENBUES1APID.Get(); ok && eid != c.enbID {
			return nil
		}
		return c
	}
	if eid, ok := it.ENBUES1APID.Get(); ok {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, c := range e.conns {
			if c.enbID == eid {
				return c
			}
		}
	}
	return nil
}

// errorIndicationReceived handles an ERROR INDICATION from the eNodeB
// (TS 36.413 §8.7.2): logged and counted by cause; a UE-associated one
// naming a known connection is also reported to its subscriber as lost
// when its cause says the eNodeB does not know the UE.
func (n *Node) errorIndicationReceived(e *enb, m *s1ap.ErrorIndication) {
	cause := "none"
	if c, ok := m.Cause.Get(); ok {
		cause = causeName(c)
	}
	n.m.dropped.WithLabelValues("s1_error_indication_received").Inc()
	n.log.Warn("s1: ERROR INDICATION received", "enb", enbName(e), "cause", cause)
	c, ok := m.Cause.Get()
	if !ok || c.Choice != s1ap.CauseChoiceRadioNetwork {
		return
	}
	switch c.RadioNetwork {
	case s1ap.CauseRadioNetworkUnknownMmeUeS1apId, s1ap.CauseRadioNetworkUnknownEnbUeS1apId, s1ap.CauseRadioNetworkUnknownPairUeS1apId:
	default:
		return
	}
	id, ok := m.MMEUES1APID.Get()
	if !ok {
		return
	}
	if conn := n.conns.get(uint32(id)); conn != nil && conn.enb == e {
		n.dropConn(conn)
		if conn.owner() != 0 {
			n.post(conn.owner(), &session.S1ConnectionLost{Now: time.Now(), Conn: session.ConnID(conn.mmeID), Reason: "error indication: " + cause}, "connection lost")
		}
	}
}

// mmeConfigurationUpdate tells every set-up eNodeB the node's new served
// GUMMEIs and relative capacity (TS 36.413 §8.7.5).
func (n *Node) mmeConfigurationUpdate() {
	m := &s1ap.MMEConfigurationUpdate{ServedGUMMEIs: s1ap.Some(n.servedGUMMEIs()),
		RelativeMMECapacity: s1ap.Some(s1ap.RelativeMMECapacity(n.res.capacity))}
	if n.cfg.Name != "" {
		m.MMEname = s1ap.Some(s1ap.MMEname(n.cfg.Name))
	}
	n.broadcast(m)
}

// ueIDs are the UE S1AP IDs an ERROR INDICATION carries.
type ueIDs struct {
	mme            s1ap.MMEUES1APID
	enb            s1ap.ENBUES1APID
	hasMME, hasENB bool
}

var (
	mmeIDType = reflect.TypeFor[s1ap.MMEUES1APID]()
	enbIDType = reflect.TypeFor[s1ap.ENBUES1APID]()
)

// ueIDsOf reads the MME-UE-S1AP-ID and eNB-UE-S1AP-ID of a UE-associated
// message (nil for a non-UE one), for the ERROR INDICATION answering it
// (TS 36.413 §10.6). Reflection: error paths only.
func ueIDsOf(m s1ap.Message) *ueIDs {
	if m == nil {
		return nil
	}
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	v = v.Elem()
	var ids ueIDs
	if f := v.FieldByName("MMEUES1APID"); f.IsValid() && f.Type() == mmeIDType {
		ids.mme, ids.hasMME = f.Interface().(s1ap.MMEUES1APID), true
	}
	if f := v.FieldByName("ENBUES1APID"); f.IsValid() && f.Type() == enbIDType {
		ids.enb, ids.hasENB = f.Interface().(s1ap.ENBUES1APID), true
	}
	if !ids.hasMME && !ids.hasENB {
		return nil
	}
	return &ids
}

// errorIndication sends ERROR INDICATION (TS 36.413 §8.7.2, §10) with a
// cause, optional criticality diagnostics and the UE's S1AP IDs if the
// erroneous message was UE-associated.
func (n *Node) errorIndication(e *enb, cause s1ap.Cause, cd *s1ap.CriticalityDiagnostics, ids *ueIDs) {
	m := &s1ap.ErrorIndication{Cause: s1ap.Some(cause)}
	if cd != nil {
		m.CriticalityDiagnostics = s1ap.Some(*cd)
	}
	if ids != nil {
		if ids.hasMME {
			m.MMEUES1APID = s1ap.Some(ids.mme)
		}
		if ids.hasENB {
			m.ENBUES1APID = s1ap.Some(ids.enb)
		}
	}
	n.sendNonUE(e, m)
}

// rejectProcedure answers a message whose abstract syntax error asks to
// reject the procedure (TS 36.413 §10.3.4.1-2): with the procedure's
// failure message when it has one (S1 SETUP FAILURE, ENB CONFIGURATION
// UPDATE FAILURE), else with ERROR INDICATION; both with Criticality
// Diagnostics.
func (n *Node) rejectProcedure(e *enb, pdu *s1ap.PDU, pe *s1ap.ProtocolError) {
	cd := pe.CriticalityDiagnostics()
	var msg s1ap.Message
	if pdu != nil {
		msg = pdu.Message
	}
	switch msg.(type) {
	case *s1ap.S1SetupRequest:
		n.sendNonUE(e, &s1ap.S1SetupFailure{Cause: pe.Cause(), CriticalityDiagnostics: s1ap.Some(cd)})
	case *s1ap.ENBConfigurationUpdate:
		n.sendNonUE(e, &s1ap.ENBConfigurationUpdateFailure{Cause: pe.Cause(), CriticalityDiagnostics: s1ap.Some(cd)})
	default:
		n.errorIndication(e, pe.Cause(), &cd, ueIDsOf(msg))
	}
}

// syntaxDiagnostics builds Criticality Diagnostics for a transfer syntax
// error whose PDU header decoded (TS 36.413 §10.2); nil otherwise.
func syntaxDiagnostics(se *s1ap.SyntaxError) *s1ap.CriticalityDiagnostics {
	if !se.HeaderKnown {
		return nil
	}
	return &s1ap.CriticalityDiagnostics{ProcedureCode: s1ap.Some(se.ProcedureCode),
		TriggeringMessage: s1ap.Some(se.TriggeringMessage), ProcedureCriticality: s1ap.Some(se.ProcedureCriticality)}
}

// procedureDiagnostics names the procedure of a PDU (TS 36.413 §9.2.1.21).
func procedureDiagnostics(pdu *s1ap.PDU) s1ap.CriticalityDiagnostics {
	return s1ap.CriticalityDiagnostics{ProcedureCode: s1ap.Some(pdu.ProcedureCode),
		TriggeringMessage: s1ap.Some(pdu.Type.TriggeringMessage()), ProcedureCriticality: s1ap.Some(pdu.Criticality)}
}

func protocolCause(c s1ap.CauseProtocol) s1ap.Cause {
	return s1ap.Cause{Choice: s1ap.CauseChoiceProtocol, Protocol: c}
}

// causeName prints a cause as "group:value" ("misc:unknown-PLMN").
func causeName(c s1ap.Cause) string {
	if n := c.Name(); n != "" {
		return n
	}
	return fmt.Sprintf("cause(%d)", c.Choice)
}

// enbName names an eNodeB in logs: its name, or its Global eNB ID.
func enbName(e *enb) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.name != "" {
		return e.name
	}
	if !e.setup {
		return fmt.Sprintf("assoc-%d", e.assoc.ID())
	}
	return globalENBName(e.globalID)
}

func globalENBName(g s1ap.GlobalENBID) string {
	var id string
	switch g.ENBID.Choice {
	case s1ap.ENBIDChoiceMacroENBID:
		id = fmt.Sprintf("macro-%x", g.ENBID.MacroENBID)
	case s1ap.ENBIDChoiceHomeENBID:
		id = fmt.Sprintf("home-%x", g.ENBID.HomeENBID)
	case s1ap.ENBIDChoiceShortMacroENBID:
		id = fmt.Sprintf("short-%x", g.ENBID.ShortMacroENBID)
	case s1ap.ENBIDChoiceLongMacroENBID:
		id = fmt.Sprintf("long-%x", g.ENBID.LongMacroENBID)
	}
	return nas.PLMNID(g.PLMNidentity).String() + "/" + id
}
