package node

import (
	"strconv"
	"sync"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// Paging (TS 23.401 §5.3.4.3): the SGW's Downlink Data Notification goes
// to the subscriber's actor, which answers it (AnswerDDN) and pages
// (Page); T3413 and the Failure Indication are the session's.

// ddnTable holds the Downlink Data Notifications whose subscriber has not
// answered yet, by a node-local ID (the session names it in AnswerDDN).
type ddnTable struct {
	mu   sync.Mutex
	next uint64
	m    map[uint64]*s11.Incoming
}

func (t *ddnTable) put(in *s11.Incoming) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[uint64]*s11.Incoming)
	}
	t.next++
	t.m[t.next] = in
	return t.next
}

func (t *ddnTable) take(id uint64) *s11.Incoming {
	t.mu.Lock()
	defer t.mu.Unlock()
	in := t.m[id]
	delete(t.m, id)
	return in
}

// downlinkDataNotification routes a DDN by the session of its header
// TEID (TS 29.274 §7.2.11.1). One for no session of ours is answered
// "Context not found" at once (TS 29.274 §7.2.11.2); one the subscriber's
// mailbox cannot take, "No resources available" (the SGW retries).
func (n *Node) downlinkDataNotification(in *s11.Incoming, m *gtp.DownlinkDataNotification) {
	if !in.HasSession {
		n.m.dropped.WithLabelValues("s11_ddn_unknown_teid").Inc()
		n.respondDDN(in, m.SenderFTEID.TEID, gtp.CauseContextNotFound)
		return
	}
	id := n.ddns.put(in)
	ev := &session.DownlinkDataNotification{Now: time.Now(), ID: id, EBI: m.EBI}
	if !n.post(supervision.Key(in.Session), ev, "downlink data notification") {
		if in := n.ddns.take(id); in != nil {
			n.respondDDN(in, m.SenderFTEID.TEID, gtp.CauseNoResourcesAvailable)
		}
	}
}

// answerDDN executes AnswerDDN: DOWNLINK DATA NOTIFICATION ACKNOWLEDGE.
func (n *Node) answerDDN(e session.AnswerDDN) {
	in := n.ddns.take(e.ID)
	if in == nil {
		n.m.dropped.WithLabelValues("s11_ddn_answered_twice").Inc()
		return
	}
	n.respondDDN(in, e.TEID, e.Cause)
}

func (n *Node) respondDDN(in *s11.Incoming, teid uint32, c gtp.CauseValue) {
	ack := &gtp.DownlinkDataNotificationAcknowledge{Cause: gtp.Cause{Value: c}}
	if err := in.Respond(teid, ack); err != nil {
		n.log.Debug("s11: DDN not answered", "err", err)
		return
	}
	n.m.s11.WithLabelValues("out", ack.MessageType().String()).Inc()
}

// notifyS11 executes NotifyS11 (a Downlink Data Notification Failure
// Indication, TS 29.274 §7.2.11.3).
func (n *Node) notifyS11(e session.NotifyS11) {
	if err := n.s11.Notify(e.Peer, e.TEID, e.Msg); err != nil {
		n.m.dropped.WithLabelValues("s11_not_sent").Inc()
		n.log.Warn("s11: notification not sent", "message", e.Msg.MessageType().String(), "err", err)
		return
	}
	n.m.s11.WithLabelValues("out", e.Msg.MessageType().String()).Inc()
}

// page executes Page: S1AP PAGING (TS 36.413 §8.5.2) to every set-up
// eNodeB that serves a TAI of the UE's list, on the non-UE-associated
// stream. The eNodeBs page the S-TMSI in their cells (TS 36.304 §7.1:
// paging occasion from UE_ID = IMSI mod 1024).
func (n *Node) page(e session.Page) {
	msg := &s1ap.Paging{
		UEIdentityIndexValue: s1ap.UEIdentityIndexValue(imsiMod1024(e.IMSI)),
		UEPagingID: s1ap.UEPagingID{Choice: s1ap.UEPagingIDChoiceSTMSI, STMSI: s1ap.STMSI{MMEC: s1ap.MMECode{e.MMEC},
			MTMSI: s1ap.MTMSI{byte(e.MTMSI >> 24), byte(e.MTMSI >> 16), byte(e.MTMSI >> 8), byte(e.MTMSI)}}},
		CNDomain: s1ap.CNDomainPs,
	}
	for _, t := range e.TAIs {
		msg.TAIList = append(msg.TAIList, s1ap.TAIItem{TAI: s1ap.TAI{PLMNidentity: s1ap.PLMNidentity(t.PLMN), TAC: s1ap.TAC{byte(t.TAC >> 8), byte(t.TAC)}}})
	}
	sent := 0
	for _, enb := range n.enbs.all() {
		if enb.servesAny(msg.TAIList) {
			n.sendNonUE(enb, msg)
			sent++
		}
	}
	if sent == 0 {
		n.m.dropped.WithLabelValues("paging_no_enb").Inc()
	}
}

// servesAny reports whether the eNodeB is set up and broadcasts one of
// the TAIs (S1 SETUP or ENB CONFIGURATION UPDATE supported TAs).
func (e *enb) servesAny(tais s1ap.TAIList) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.setup {
		return false
	}
	for _, t := range tais {
		for _, p := range e.tacs[t.TAI.TAC] {
			if p == [3]byte(t.TAI.PLMNidentity) {
				return true
			}
		}
	}
	return false
}

// imsiMod1024 is UE_ID of TS 36.304 §7.1 (IMSI mod 1024); 0 for an
// IMSI that does not parse (the eNodeB still pages, in another occasion).
func imsiMod1024(imsi string) uint16 {
	if len(imsi) > 18 {
		imsi = imsi[len(imsi)-18:]
	}
	v, err := strconv.ParseUint(imsi, 10, 64)
	if err != nil {
		return 0
	}
	return uint16(v % 1024)
}
