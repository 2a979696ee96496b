package hss

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/lte-mme/mme/s6a"
)

// ErrNotRegistered: the subscriber has no serving MME to tell.
var ErrNotRegistered = errors.New("hss: subscriber not registered in an MME")

// ChangeAMBR stores a new UE-AMBR (bit/s) for the subscriber and sends the
// serving MME an Insert-Subscriber-Data-Request with it (TS 29.272
// §5.2.2.1.1; TS 23.401 §5.3.9.2 HSS-initiated subscribed QoS
// modification). It returns once the MME answered; an answer other than
// DIAMETER_SUCCESS is an error naming its result.
func (h *HSS) ChangeAMBR(ctx context.Context, imsi string, ul, dl uint32) error {
	if ul == 0 || dl == 0 {
		return fmt.Errorf("%w: UE-AMBR must be positive", ErrInvalidSubscriber)
	}
	var loc location
	var registered bool
	err := h.st.update(func(txn *badger.Txn) error {
		sub, err := getSubscriber(txn, imsi)
		if err != nil {
			return err
		}
		sub.AMBRUL, sub.AMBRDL = ul, dl
		if err := txn.Set(subKey(imsi), sub.marshal()); err != nil {
			return err
		}
		loc, registered, err = getLocation(txn, imsi)
		return err
	})
	if err != nil {
		return err
	}
	if !registered || loc.Purged {
		return ErrNotRegistered
	}
	idr := &s6a.IDR{RequestHeader: s6a.RequestHeader{
		SessionID:  fmt.Sprintf("%s;idr;%d", h.cfg.OriginHost, h.session.Add(1)),
		OriginHost: h.cfg.OriginHost, OriginRealm: h.cfg.OriginRealm,
		DestinationHost: loc.Host, DestinationRealm: loc.Realm,
	}, IMSI: imsi, SubscriptionData: &s6a.SubscriptionData{AMBR: &s6a.AMBR{MaxRequestedBandwidthUL: ul, MaxRequestedBandwidthDL: dl}}}
	done := make(chan error, 1)
	h.srv.Send(loc.Host, idr.Encode(), func(ans *diam.Message, err error) {
		if err == nil {
			var ida *s6a.IDA
			if ida, err = s6a.DecodeIDA(ans); err == nil && !ida.Result.IsSuccess() {
				err = fmt.Errorf("hss: IDA %v", ida.Result)
			}
		}
		done <- err
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
