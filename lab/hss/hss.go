package hss

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
)

// Profile is the subscription data the HSS gives a subscriber whose record
// leaves a value zero (TS 29.272 §7.3.2, §7.3.35, §7.3.37).
type Profile struct {
	APN               string // default APN name
	PDNType           uint32 // s6a.PDNTypeIPv4 ...
	AMBRUL, AMBRDL    uint32 // bit/s, UE-AMBR and APN-AMBR
	QCI               uint32
	ARPPriority       uint32
	PeriodicTAUTimer  uint32 // Subscribed-Periodic-RAU-TAU-Timer, seconds; 0 leaves it out
	ChargingCharacter string // 3GPP-Charging-Characteristics, "" leaves it out
	// ExtraAPNs are APN configurations every subscriber has besides its
	// default one (context identifiers 2, 3, ...; the profile's PDN type,
	// QCI, ARP and AMBR), e.g. "ims" for additional PDN connectivity
	// (TS 23.401 §5.10.2).
	ExtraAPNs []string
}

// DefaultProfile is a best-effort internet subscription.
var DefaultProfile = Profile{APN: "internet", PDNType: s6a.PDNTypeIPv4v6, AMBRUL: 100_000_000, AMBRDL: 200_000_000,
	QCI: 9, ARPPriority: 8, PeriodicTAUTimer: 3240}

// Config configures the HSS.
type Config struct {
	peer.Identity
	Timers  peer.Timers
	DataDir string  // badger directory
	Profile Profile // defaults; zero fields take DefaultProfile's
	// FixedRAND, if set, is used as RAND in every vector instead of a
	// random one: for replaying captured flows in tests only.
	FixedRAND *[16]byte
	// Workers run the S6a requests (default GOMAXPROCS); their queue holds
	// QueueDepth requests (default 4096) and beyond it the HSS answers
	// DIAMETER_TOO_BUSY (RFC 6733 §7.1.3).
	Workers, QueueDepth int
	Logger              *slog.Logger
}

// HSS is a Home Subscriber Server for S6a (TS 29.272 §5, §7) backed by
// badger: EPS-AKA vectors with SQN management and re-synchronisation
// (TS 33.102 §6.3, Annex C), location management with Cancel-Location,
// Purge-UE, and the subscriber administration of the REST API.
//
// Goroutines: the Diameter server's (see peer.Server) and Workers request
// workers; Close ends them.
type HSS struct {
	cfg   Config
	st    *store
	srv   *peer.Server
	log   *slog.Logger
	jobs  chan job
	wg    sync.WaitGroup
	stats Stats

	closeOnce sync.Once
	session   atomic.Uint64
}

// Stats are the HSS's counters.
type Stats struct {
	AIR, ULR, PUR, Resync, ResyncMACSFailure, Vectors, CLRSent, CLRFailed, TooBusy atomic.Uint64
}

type job struct {
	req    *peer.Request
	answer func(*diam.Message)
}

// Open opens the store and starts the Diameter server (call Serve).
func Open(cfg Config) (*HSS, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("hss: no data directory")
	}
	p := &cfg.Profile
	d := DefaultProfile
	if p.APN == "" {
		p.APN = d.APN
	}
	if p.AMBRUL == 0 {
		p.AMBRUL, p.AMBRDL = d.AMBRUL, d.AMBRDL
	}
	if p.QCI == 0 {
		p.QCI = d.QCI
	}
	if p.ARPPriority == 0 {
		p.ARPPriority = d.ARPPriority
	}
	if p.PDNType == 0 && p.APN == d.APN {
		p.PDNType = d.PDNType
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueDepth <= 0 {
		cfg.QueueDepth = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	h := &HSS{cfg: cfg, st: st, log: cfg.Logger, jobs: make(chan job, cfg.QueueDepth)}
	h.srv, err = peer.NewServer(peer.ServerConfig{Identity: cfg.Identity, Timers: cfg.Timers, Handler: h.enqueue, Logger: cfg.Logger})
	if err != nil {
		st.close()
		return nil, err
	}
	for range cfg.Workers {
		h.wg.Add(1)
		go h.work()
	}
	return h, nil
}

// Serve answers S6a on l until Close.
func (h *HSS) Serve(l net.Listener) error { return h.srv.Serve(l) }

// Server is the Diameter server (for its peers and counters).
func (h *HSS) Server() *peer.Server { return h.srv }

// Stats returns the HSS's counters.
func (h *HSS) Stats() *Stats { return &h.stats }

// Close stops the server and the workers and closes the store.
func (h *HSS) Close() error {
	var err error
	h.closeOnce.Do(func() {
		h.srv.Close()
		close(h.jobs)
		h.wg.Wait()
		err = h.st.close()
	})
	return err
}

// enqueue is the peer handler: it hands the request to a worker, or
// answers DIAMETER_TOO_BUSY when the queue is full.
func (h *HSS) enqueue(r *peer.Request, answer func(*diam.Message)) {
	select {
	case h.jobs <- job{r, answer}:
	default:
		h.stats.TooBusy.Add(1)
		answer(h.errorAnswer(r.Message, s6a.BaseResult(s6a.ResultTooBusy), "request queue full"))
	}
}

func (h *HSS) work() {
	defer h.wg.Done()
	for j := range h.jobs {
		j.answer(h.serve(j.req))
	}
}

// serve answers one S6a request.
func (h *HSS) serve(r *peer.Request) *diam.Message {
	m := r.Message
	var ans *diam.Message
	var err error
	switch m.Header.CommandCode {
	case s6a.CmdAuthenticationInformation:
		ans, err = h.authenticationInformation(m)
	case s6a.CmdUpdateLocation:
		ans, err = h.updateLocation(m)
	case s6a.CmdPurgeUE:
		ans, err = h.purgeUE(m)
	default:
		return h.errorAnswer(m, s6a.BaseResult(s6a.ResultCommandUnsupported), "not served by this HSS")
	}
	if err != nil {
		var ae *s6a.AVPError
		if errors.As(err, &ae) {
			return h.errorAnswer(m, s6a.BaseResult(ae.ResultCode), ae.Error(), s6a.FailedAVP(ae.Code))
		}
		h.log.Error("s6a request failed", "command", m.Header.CommandCode, "err", err)
		return h.errorAnswer(m, s6a.BaseResult(s6a.ResultUnableToComply), err.Error())
	}
	return ans
}

func (h *HSS) errorAnswer(req *diam.Message, r s6a.Result, msg string, failed ...*diam.AVP) *diam.Message {
	e := &s6a.ErrorAnswer{OriginHost: h.cfg.OriginHost, OriginRealm: h.cfg.OriginRealm, Result: r, ErrorMessage: msg}
	if len(failed) > 0 {
		// RFC 6733 §7.5: Failed-AVP names the AVP at fault.
		e.FailedAVP = failed[0]
	}
	if a, err := req.FindAVP(uint32(263), 0); err == nil && a.Data != nil {
		e.SessionID = string(a.Data.Serialize())
	}
	return e.Encode(req.Header)
}

func (h *HSS) answerHeader(sessionID string, r s6a.Result) s6a.AnswerHeader {
	return s6a.AnswerHeader{SessionID: sessionID, OriginHost: h.cfg.OriginHost, OriginRealm: h.cfg.OriginRealm, Result: r}
}

// MaxVectors is the most vectors the HSS returns per AIR (TS 29.272
// §7.3.14: Number-Of-Requested-Vectors up to 5).
const MaxVectors = 5

// authenticationInformation serves an AIR (TS 29.272 §5.2.3.1.3): n fresh
// E-UTRAN vectors, SQN advanced and stored in the same transaction, after
// re-synchronisation when the request carries RAND || AUTS (TS 33.102
// §6.3.5).
func (h *HSS) authenticationInformation(m *diam.Message) (*diam.Message, error) {
	h.stats.AIR.Add(1)
	air, err := s6a.DecodeAIR(m)
	if err != nil {
		return nil, err
	}
	if air.EUTRAN == nil {
		// Only E-UTRAN vectors are served: an MME always asks for them.
		return nil, &s6a.AVPError{Code: 1408, ResultCode: s6a.ResultMissingAVP, Reason: "missing"} // Requested-EUTRAN-Authentication-Info
	}
	n := int(min(max(air.EUTRAN.NumberOfRequestedVectors, 1), MaxVectors))
	var rands [MaxVectors][16]byte
	for i := range n {
		if h.cfg.FixedRAND != nil {
			rands[i] = *h.cfg.FixedRAND
		} else if _, err := rand.Read(rands[i][:]); err != nil {
			return nil, fmt.Errorf("hss: random: %w", err)
		}
	}
	var vectors []s6a.EUTRANVector
	result := s6a.Success
	err = h.st.update(func(txn *badger.Txn) error {
		vectors, result = vectors[:0], s6a.Success
		sub, err := getSubscriber(txn, air.IMSI)
		if errors.Is(err, ErrUnknownSubscriber) {
			// TS 29.272 §5.2.3.1.3: unknown IMSI.
			result = s6a.ExperimentalResult(s6a.ExpErrorUserUnknown)
			return nil
		}
		if err != nil {
			return err
		}
		if rs := air.EUTRAN.ResynchronizationInfo; rs != nil {
			h.resynchronize(&sub, rs)
		}
		// TS 33.401 §6.1.1: the separation bit is set in E-UTRAN vectors.
		amf := sub.AMF
		amf[0] |= security.AMFSeparationBit
		for i := range n {
			v, err := security.GenerateEUTRANVector(sub.K, sub.OPc, amf, sub.SQN, rands[i], air.VisitedPLMNID)
			if err != nil {
				return err
			}
			vectors = append(vectors, s6a.EUTRANVector{ItemNumber: uint32(i + 1), RAND: v.RAND, XRES: v.XRES, AUTN: v.AUTN, KASME: v.KASME})
			sub.SQN = NextSQN(sub.SQN)
		}
		return txn.Set(subKey(sub.IMSI), sub.marshal())
	})
	if err != nil {
		return nil, err
	}
	h.stats.Vectors.Add(uint64(len(vectors)))
	return (&s6a.AIA{AnswerHeader: h.answerHeader(air.SessionID, result), Vectors: vectors}).Encode(), nil
}

// resynchronize applies Re-Synchronization-Info (TS 33.102 §6.3.5): when
// MAC-S verifies and the next SQN would not be accepted by the USIM
// (its SEQ not above SEQ_MS, C.2.2), SEQ restarts above SEQ_MS. When
// MAC-S fails the SQN is kept and new vectors are sent all the same
// (§6.3.5).
func (h *HSS) resynchronize(sub *Subscriber, rs []byte) {
	h.stats.Resync.Add(1)
	sqnMS, err := security.ResynchronizeSQN(sub.K, sub.OPc, [16]byte(rs[:16]), [14]byte(rs[16:30]))
	if err != nil {
		h.stats.ResyncMACSFailure.Add(1)
		h.log.Warn("re-synchronisation refused", "imsi", sub.IMSI, "err", err)
		return
	}
	if sub.SQN>>INDBits <= sqnMS>>INDBits {
		sub.SQN = (sqnMS>>INDBits+1)<<INDBits | sub.SQN&(1<<INDBits-1)
	}
}

// updateLocation serves a ULR (TS 29.272 §5.2.1.1.3): the subscription
// data, the new serving MME stored, and a Cancel-Location to the previous
// MME when another one registers the UE.
func (h *HSS) updateLocation(m *diam.Message) (*diam.Message, error) {
	h.stats.ULR.Add(1)
	ulr, err := s6a.DecodeULR(m)
	if err != nil {
		return nil, err
	}
	var sub Subscriber
	var old location
	var hadOld bool
	result := s6a.Success
	err = h.st.update(func(txn *badger.Txn) error {
		var err error
		result, hadOld = s6a.Success, false
		sub, err = getSubscriber(txn, ulr.IMSI)
		if errors.Is(err, ErrUnknownSubscriber) {
			result = s6a.ExperimentalResult(s6a.ExpErrorUserUnknown)
			return nil
		}
		if err != nil {
			return err
		}
		if ulr.RATType != s6a.RATTypeEUTRAN {
			// TS 29.272 §5.2.1.1.3: a RAT the subscription does not allow.
			result = s6a.ExperimentalResult(s6a.ExpErrorRATNotAllowed)
			return nil
		}
		if old, hadOld, err = getLocation(txn, ulr.IMSI); err != nil {
			return err
		}
		l := location{Host: ulr.OriginHost, Realm: ulr.OriginRealm}
		return txn.Set(locKey(ulr.IMSI), l.marshal())
	})
	if err != nil {
		return nil, err
	}
	ula := &s6a.ULA{AnswerHeader: h.answerHeader(ulr.SessionID, result)}
	if !result.IsSuccess() {
		return ula.Encode(), nil
	}
	// TS 29.272 §5.2.1.1.3: a new MME replaces the old: cancel it there.
	if hadOld && !old.Purged && old.Host != ulr.OriginHost {
		ct := s6a.CancelMMEUpdateProcedure
		if ulr.ULRFlags&s6a.ULRInitialAttachIndicator != 0 {
			ct = s6a.CancelInitialAttachProcedure
		}
		h.cancelLocation(ulr.IMSI, old, ct)
	}
	if ulr.ULRFlags&s6a.ULRSkipSubscriberData == 0 {
		ula.SubscriptionData = h.subscriptionData(&sub)
	}
	return ula.Encode(), nil
}

// subscriptionData builds Subscription-Data (TS 29.272 §7.3.2) with the
// default APN configuration (context identifier 1) and the profile's extra
// APNs.
func (h *HSS) subscriptionData(sub *Subscriber) *s6a.SubscriptionData {
	p := h.cfg.Profile
	ul, dl := p.AMBRUL, p.AMBRDL
	if sub.AMBRUL != 0 {
		ul, dl = sub.AMBRUL, sub.AMBRDL
	}
	qci, arp := p.QCI, p.ARPPriority
	if sub.QCI != 0 {
		qci = uint32(sub.QCI)
	}
	if sub.ARPPriority != 0 {
		arp = uint32(sub.ARPPriority)
	}
	granted, packet, ard := s6a.ServiceGranted, s6a.OnlyPacket, sub.AccessRestrictionData
	sd := &s6a.SubscriptionData{
		SubscriberStatus:        &granted,
		MSISDN:                  sub.MSISDN,
		NetworkAccessMode:       &packet,
		AccessRestrictionData:   &ard,
		ChargingCharacteristics: p.ChargingCharacter,
		AMBR:                    &s6a.AMBR{MaxRequestedBandwidthUL: ul, MaxRequestedBandwidthDL: dl},
		APNConfigurationProfile: &s6a.APNConfigurationProfile{
			ContextIdentifier: 1, AllAPNConfigurationsIncluded: true,
			APNConfigurations: []s6a.APNConfiguration{{
				ContextIdentifier: 1, PDNType: p.PDNType, ServiceSelection: sub.APN,
				EPSSubscribedQoS: &s6a.EPSSubscribedQoSProfile{QCI: qci, PriorityLevel: arp,
					PreemptionCapability: s6a.PreemptionCapabilityDisabled, PreemptionVulnerability: s6a.PreemptionVulnerabilityEnabled},
				AMBR: &s6a.AMBR{MaxRequestedBandwidthUL: ul, MaxRequestedBandwidthDL: dl},
			}},
		},
		SubscribedPeriodicTAUTimer: p.PeriodicTAUTimer,
	}
	prof := sd.APNConfigurationProfile
	for i, apn := range p.ExtraAPNs {
		if apn == "" || apn == sub.APN {
			continue
		}
		c := prof.APNConfigurations[0]
		c.ContextIdentifier, c.ServiceSelection = uint32(i+2), apn
		prof.APNConfigurations = append(prof.APNConfigurations, c)
	}
	return sd
}

// purgeUE serves a PUR (TS 29.272 §5.2.1.3.3): when the purging MME is
// the registered one, the HSS marks the UE purged in the MME.
func (h *HSS) purgeUE(m *diam.Message) (*diam.Message, error) {
	h.stats.PUR.Add(1)
	pur, err := s6a.DecodePUR(m)
	if err != nil {
		return nil, err
	}
	result := s6a.Success
	err = h.st.update(func(txn *badger.Txn) error {
		result = s6a.Success
		if _, err := getSubscriber(txn, pur.IMSI); errors.Is(err, ErrUnknownSubscriber) {
			result = s6a.ExperimentalResult(s6a.ExpErrorUserUnknown)
			return nil
		} else if err != nil {
			return err
		}
		l, ok, err := getLocation(txn, pur.IMSI)
		if err != nil || !ok || l.Host != pur.OriginHost {
			return err
		}
		l.Purged = true
		return txn.Set(locKey(pur.IMSI), l.marshal())
	})
	if err != nil {
		return nil, err
	}
	return (&s6a.PUA{AnswerHeader: h.answerHeader(pur.SessionID, result)}).Encode(), nil
}

// cancelLocation sends a CLR (TS 29.272 §5.2.1.2) to the MME at l; the
// answer is only counted (the HSS does not retry).
func (h *HSS) cancelLocation(imsi string, l location, cancellationType uint32) {
	clr := &s6a.CLR{RequestHeader: s6a.RequestHeader{
		SessionID:  fmt.Sprintf("%s;clr;%d", h.cfg.OriginHost, h.session.Add(1)),
		OriginHost: h.cfg.OriginHost, OriginRealm: h.cfg.OriginRealm,
		DestinationHost: l.Host, DestinationRealm: l.Realm,
	}, IMSI: imsi, CancellationType: cancellationType, CLRFlags: s6a.CLRS6aS6dIndicator}
	h.srv.Send(l.Host, clr.Encode(), func(ans *diam.Message, err error) {
		if err == nil {
			var cla *s6a.CLA
			if cla, err = s6a.DecodeCLA(ans); err == nil && !cla.Result.IsSuccess() {
				err = fmt.Errorf("hss: CLA %v", cla.Result)
			}
		}
		if err != nil {
			h.stats.CLRFailed.Add(1)
			h.log.Warn("cancel location failed", "imsi", imsi, "mme", l.Host, "err", err)
			return
		}
		h.stats.CLRSent.Add(1)
	})
}

// Put stores (or replaces) subscribers.
func (h *HSS) Put(subs ...Subscriber) error {
	for i := range subs {
		if err := subs[i].validate(); err != nil {
			return err
		}
	}
	return h.st.put(subs)
}

// Get returns a subscriber with its serving MME.
func (h *HSS) Get(imsi string) (SubscriberView, error) {
	s, l, ok, err := h.st.get(imsi)
	if err != nil {
		return SubscriberView{}, err
	}
	v := SubscriberView{IMSI: s.IMSI, K: fmt.Sprintf("%x", s.K), OPc: fmt.Sprintf("%x", s.OPc), AMF: fmt.Sprintf("%x", s.AMF),
		SQN: s.SQN, MSISDN: s.MSISDN, APN: s.APN, AMBRUL: s.AMBRUL, AMBRDL: s.AMBRDL, QCI: s.QCI, ARPPriority: s.ARPPriority,
		AccessRestrictionData: s.AccessRestrictionData}
	if ok {
		v.ServingMME, v.ServingMMERealm, v.Purged = l.Host, l.Realm, l.Purged
	}
	return v, nil
}

// Delete removes a subscriber; if an MME serves it, that MME gets a
// Cancel-Location with SUBSCRIPTION_WITHDRAWAL (TS 29.272 §5.2.1.2.1).
func (h *HSS) Delete(imsi string) error {
	l, ok, err := h.st.remove(imsi)
	if err != nil {
		return err
	}
	if ok && !l.Purged {
		h.cancelLocation(imsi, l, s6a.CancelSubscriptionWithdrawal)
	}
	return nil
}

// Count returns the number of subscribers.
func (h *HSS) Count() (int, error) { return h.st.count() }
