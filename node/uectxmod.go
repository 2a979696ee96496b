package node

import (
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// insertSubscriberData serves an HSS Insert-Subscriber-Data-Request
// (TS 29.272 §5.2.2.1.2): answered DIAMETER_SUCCESS for a subscriber this
// MME holds (DIAMETER_ERROR_USER_UNKNOWN otherwise, §5.2.2.1.2), then
// given to the subscriber as SubscriptionChanged (UE-AMBR, TS 23.401
// §5.3.9.2).
func (n *Node) insertSubscriberData(req *peer.Request, answer func(*diam.Message)) {
	m := req.Message
	n.m.s6a.WithLabelValues("in", "IDR").Inc()
	idr, err := s6a.DecodeIDR(m)
	if err != nil {
		n.log.Warn("s6a: malformed IDR", "err", err)
		answer((&s6a.ErrorAnswer{OriginHost: n.cfg.S6a.OriginHost, OriginRealm: n.cfg.S6a.OriginRealm,
			Result: s6a.BaseResult(s6a.ResultMissingAVP), ErrorMessage: err.Error()}).Encode(m.Header))
		return
	}
	ida := &s6a.IDA{AnswerHeader: s6a.AnswerHeader{SessionID: idr.SessionID, OriginHost: n.cfg.S6a.OriginHost,
		OriginRealm: n.cfg.S6a.OriginRealm, Result: s6a.Success}}
	key, err := n.store.Lookup(idxIMSI, []byte(idr.IMSI))
	if err != nil {
		ida.Result = s6a.ExperimentalResult(s6a.ExpErrorUserUnknown)
		answer(ida.Encode())
		n.m.s6a.WithLabelValues("out", "IDA").Inc()
		return
	}
	answer(ida.Encode())
	n.m.s6a.WithLabelValues("out", "IDA").Inc()
	ev := &session.SubscriptionChanged{Now: time.Now()}
	if a := idr.SubscriptionData.AMBR; a != nil {
		ev.HasAMBR, ev.AMBRUplink, ev.AMBRDownlink = true, a.MaxRequestedBandwidthUL, a.MaxRequestedBandwidthDL
	}
	n.post(supervision.Key(key), ev, "insert subscriber data")
}

// ueContextModificationEvent turns UE CONTEXT MODIFICATION RESPONSE or
// FAILURE (TS 36.413 §8.3.4) into the subscriber's event; nil otherwise.
func ueContextModificationEvent(now time.Time, conn session.ConnID, msg s1ap.Message) session.Event {
	switch m := msg.(type) {
	case *s1ap.UEContextModificationResponse:
		return &session.UEContextModificationResponse{Now: now, Conn: conn}
	case *s1ap.UEContextModificationFailure:
		return &session.UEContextModificationFailure{Now: now, Conn: conn, Cause: m.Cause}
	}
	return nil
}
