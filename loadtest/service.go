package loadtest

import (
	"context"
	"errors"
	"strconv"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// startServiceRequest runs the UE side of the service request procedure
// (TS 24.301 §5.6.1.2) from ECM-IDLE: SERVICE REQUEST (short, with KSI,
// sequence number and short MAC, §9.9.3.28) or EXTENDED SERVICE REQUEST
// (packet services via S1) in INITIAL UE MESSAGE with the S-TMSI; T3417
// guards it and the initial context setup completes it.
func (w *worker) startServiceRequest(ue uint32, p Procedure, cause s1ap.RRCEstablishmentCause) {
	w.begin(ue, p)
	w.sendServiceRequest(ue, p == ProcExtendedServiceRequest, cause)
}

func (w *worker) sendServiceRequest(ue uint32, extended bool, cause s1ap.RRCEstablishmentCause) {
	u := &w.sim.ues[ue]
	if u.conn >= 0 {
		w.fail(ue, "already_connected")
		return
	}
	u.emm = EMMServiceRequestInitiated
	c := w.connect(ue, true, cause)
	if c == nil {
		u.emm = EMMRegistered
		return
	}
	if !w.loadSecurity(u, c) {
		w.fail(ue, "no_security_context")
		w.releaseLocal(ue)
		return
	}
	var pdu []byte
	var m nas.Message
	if extended {
		esr := &nas.ExtendedServiceRequest{ServiceType: nas.PacketServicesViaS1, NASKeySetIdentifier: w.ksi(c),
			MTMSI: nas.MobileIdentity{Type: nas.MobileIdentityTMSI, TMSI: u.mtmsi}}
		pdu, m = w.initialNAS(c, esr), esr
	} else {
		b, count, err := c.sec.ProtectServiceRequest(make([]byte, 0, nas.ServiceRequestLen))
		if err != nil {
			w.fail(ue, "protect_service_request")
			return
		}
		c.trigger, c.ulFirst = count, count
		pdu = b
		sr, _ := nas.ParseServiceRequest(b)
		m = &sr
	}
	w.sendInitialUE(ue, c, pdu, m, cause, true)
	w.startTimer(ue, slotGuard, tT3417, w.sim.timer(tT3417))
}

// onServiceReject: TS 24.301 §5.6.1.5. #9 and #10 leave the UE
// deregistered (it attaches again); the procedure fails either way.
func (w *worker) onServiceReject(ue uint32, m *nas.ServiceReject) {
	u := &w.sim.ues[ue]
	if u.emm != EMMServiceRequestInitiated {
		w.sim.countError("nas: SERVICE REJECT outside a service request")
		return
	}
	w.stopTimer(u, slotGuard)
	u.emm = EMMRegistered
	switch m.EMMCause {
	case nas.EMMCauseUEIdentityCannotBeDerived, nas.EMMCauseImplicitlyDetached:
		w.forgetRegistration(ue, m.EMMCause == nas.EMMCauseUEIdentityCannotBeDerived)
		u.emm = EMMDeregistered
	}
	w.fail(ue, "service_reject:#"+itoa(int(m.EMMCause)))
}

// onT3417: TS 24.301 §5.6.1.6: abort the service request.
func (w *worker) onT3417(ue uint32) {
	u := &w.sim.ues[ue]
	u.emm = EMMRegistered
	w.fail(ue, "T3417_expiry")
	w.abortConnection(ue)
}

// onPaging answers a paging of an idle UE camped on the eNodeB with a
// service request, RRC cause mt-Access (TS 24.301 §5.6.2.2.1, TS 36.331).
func (w *worker) onPaging(ue uint32, enbIdx uint16) {
	u := &w.sim.ues[ue]
	if u.conn >= 0 || u.emm != EMMRegistered || u.enb != enbIdx || u.flags&hasSecurity == 0 {
		return // not camped here, or busy: another eNodeB's paging reaches it
	}
	switch u.proc {
	case 0:
		w.begin(ue, ProcPaging) // paging the tester did not ask for
	case ProcPaging, ProcDedicatedBearer:
	default:
		return
	}
	w.sendServiceRequest(ue, false, s1ap.RRCEstablishmentCauseMtAccess)
}

// startNetworkTriggered asks the network to start a procedure towards the
// UE (downlink data for paging, a dedicated bearer); the UE's side of it
// completes or fails the procedure, tProcGuard bounds it.
func (w *worker) startNetworkTriggered(ue uint32, p Procedure) {
	u := &w.sim.ues[ue]
	w.begin(ue, p)
	if w.sim.cfg.Trigger == nil || w.sim.triggers == nil {
		w.fail(ue, "no_network_trigger")
		return
	}
	w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
	req := triggerReq{ue: ue, proc: p, imsi: u.IMSI(), lbi: u.defEBI}
	select {
	case w.sim.triggers <- req:
	default:
		w.fail(ue, "network_trigger_queue_full")
	}
}

// runTriggers serves network triggers on a few goroutines (the admin API
// answers only when the MME has answered the SGW, so calls block).
func (s *Sim) runTriggers(ctx context.Context, n int) {
	s.triggers = make(chan triggerReq, 1024)
	for i := 0; i < n; i++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case r := <-s.triggers:
					var err error
					switch r.proc {
					case ProcPaging:
						err = s.cfg.Trigger.DownlinkData(ctx, r.imsi)
					case ProcDedicatedBearer:
						err = s.cfg.Trigger.CreateBearer(ctx, r.imsi, r.lbi)
					}
					if err != nil && ctx.Err() == nil {
						s.log.Warn("loadtest: network trigger failed", "imsi", r.imsi, "procedure", r.proc.String(), "err", err)
						s.post(r.ue, event{kind: evTrigger, ue: r.ue, cause: triggerCause(err)})
					}
				}
			}
		}()
	}
}

// triggerCause is a failure cause for a network trigger's error, without
// the subscriber's identity (one report row per kind, not per UE): the
// admin API's status and, when it says so, the GTPv2 cause the MME
// answered with (TS 29.274 §8.4).
func triggerCause(err error) string {
	var ae *AdminError
	if errors.As(err, &ae) {
		if ae.GTPCause != 0 {
			return "network_trigger:gtp_cause_" + strconv.Itoa(ae.GTPCause)
		}
		return "network_trigger:http_" + strconv.Itoa(ae.Status)
	}
	return "network_trigger:error"
}
