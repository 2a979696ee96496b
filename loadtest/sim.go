package loadtest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
)

// Sim is one run's simulated network: the UEs, the eNodeBs with their S1
// links to the MMEs of the pool, and the workers that drive them.
type Sim struct {
	cfg  Config
	ep   *transport.Endpoint // the S1 endpoint of the run (redialLinks)
	sc   *Scenario
	log  *slog.Logger
	seed uint64

	plmn     [3]byte
	timers   [len(timerSpec)]time.Duration
	gtpAddr  s1ap.TransportLayerAddress // eNodeB S1-U address, cached
	tais     []nas.TAI
	profiles []profileRT

	ues     []UE
	enbs    []*enb
	workers []*worker

	tmsi shardedIndex // M-TMSI → UE, for paging (TS 36.413 §8.5)

	hoMu  sync.Mutex
	hoTbl map[hoKey]uint32 // S1 handovers in preparation: SGW uplink F-TEID → UE

	live [procEnd]procCounters
	drv  *recorder // procedures the driver runs (S1 Setup, Reset)

	errMu  sync.Mutex
	errors map[string]uint64

	start   time.Time
	clockFn func() int64 // ns since the run began; replaced in tests
	sync    bool         // dispatch on the caller's goroutine (tests, benchmarks)

	traces []*traceLog // per UE, when tracing

	triggers chan triggerReq
	wg       sync.WaitGroup

	stopping atomic.Bool // the phases are over: no background procedures

	phaseReports []PhaseReport // the phases run so far (run's goroutine)

	ctxMu sync.Mutex
	ctx   context.Context // the run's, for goroutines started later (resetup)
	phase string
	// phaseChanged asks the progress loop for a line now.
	phaseChanged chan struct{}
	// countEvery is how often workers publish their UEs per state (ns):
	// the progress interval, at most 1 s.
	countEvery int64
}

// profileRT is a profile compiled for the workers.
type profileRT struct {
	p          *Profile
	netCap     nas.UENetworkCapability
	s1EEA      uint16 // S1AP EncryptionAlgorithms bits (TS 36.413 §9.2.1.40)
	s1EIA      uint16
	inactivity time.Duration
	imeisv     string
	retry      bool
	// noIMEISV leaves the IMEISV out of SECURITY MODE COMPLETE even when
	// asked (the Open5GS test UE of the GOLD vectors does).
	noIMEISV bool
}

// NetworkTrigger makes the network start what only it can start: downlink
// data for an idle UE (the MME pages it) and a dedicated bearer. The
// default talks to the SGW emulator's admin API (SGWAdmin).
type NetworkTrigger interface {
	DownlinkData(ctx context.Context, imsi string) error
	CreateBearer(ctx context.Context, imsi string, lbi uint8) error
}

type triggerReq struct {
	ue   uint32
	proc Procedure
	imsi string
	lbi  uint8
}

// Config is one run of the load tester.
type Config struct {
	// Targets are the MMEs of the pool (S1-MME addresses: the SCTP port in
	// kernel mode, the UDP encapsulation port in UDP mode). Every eNodeB
	// associates with each (S1-flex).
	Targets []netip.AddrPort
	// Transport is the SCTP implementation (default ModeAuto).
	Transport transport.Mode
	// LocalAddr is the eNodeBs' address (default 127.0.0.1 for loopback
	// targets, else the wildcard).
	LocalAddr netip.Addr

	Scenario    *Scenario
	Subscribers []Subscriber

	// Workers is the number of UE workers (default GOMAXPROCS).
	Workers int
	// Trigger starts network-side procedures (nil: paging and dedicated
	// bearer phases fail with "no_network_trigger").
	Trigger NetworkTrigger
	// Trace records the per-UE and per-association message sequences
	// (default: when the scenario expects sequences).
	Trace bool
	// Progress receives a status line per ProgressInterval (default 1 s);
	// nil for none.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// Metrics, when set, registers the tester's own metrics.
	Metrics MetricsRegisterer
	Logger  *slog.Logger
	// Seed makes the run's random choices reproducible (0: random).
	Seed uint64
	// SetupTimeout bounds each S1 Setup (default 5 s).
	SetupTimeout time.Duration
}

// hoKey names an S1 handover in preparation by the SGW uplink F-TEID of
// the E-RAB with the lowest ID, which the MME repeats in HANDOVER REQUEST (TS 36.413
// §9.1.5.4) to the target eNodeB.
type hoKey struct {
	teid [4]byte
	addr [16]byte
}

// newSim builds the UEs and eNodeBs of cfg's scenario (no sockets yet).
func newSim(cfg Config) (*Sim, error) {
	sc := cfg.Scenario
	if sc == nil {
		return nil, fmt.Errorf("%w: no scenario", ErrScenario)
	}
	if sc.UEs > len(cfg.Subscribers) {
		return nil, fmt.Errorf("loadtest: scenario %s needs %d subscribers, the file has %d", sc.Name, sc.UEs, len(cfg.Subscribers))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.SetupTimeout <= 0 {
		cfg.SetupTimeout = 5 * time.Second
	}
	s := &Sim{cfg: cfg, sc: sc, log: cfg.Logger, seed: cfg.Seed, hoTbl: map[hoKey]uint32{}, errors: map[string]uint64{},
		phaseChanged: make(chan struct{}, 1), countEvery: int64(time.Second)}
	if d := cfg.ProgressInterval; d > 0 && d < time.Second {
		s.countEvery = int64(d)
	}
	if s.seed == 0 {
		s.seed = rand.Uint64()
	}
	s.start = time.Now()
	s.clockFn = func() int64 { return int64(time.Since(s.start)) }
	s.drv = newRecorder(&s.live)
	for k := range timerSpec {
		s.timers[k] = timerSpec[k].value
	}
	for name, d := range sc.Timers {
		s.timers[timerByName(name)] = time.Duration(d)
	}
	p, err := nas.ParsePLMNID(sc.Network.PLMN)
	if err != nil {
		return nil, err
	}
	s.plmn = p
	for _, t := range sc.Network.TACs {
		s.tais = append(s.tais, nas.TAI{PLMN: p, TAC: uint16(t)})
	}
	for i := range sc.Profiles {
		s.profiles = append(s.profiles, compileProfile(&sc.Profiles[i]))
	}
	s.setGTPAddress()
	if err := s.buildENBs(); err != nil {
		return nil, err
	}
	s.buildUEs(cfg.Subscribers[:sc.UEs])
	for i := 0; i < cfg.Workers; i++ {
		s.workers = append(s.workers, newWorker(s, i))
	}
	if cfg.Trace || len(sc.Expect.UESequence) > 0 || len(sc.Expect.ENBSequence) > 0 {
		n := min(sc.UEs, 64)
		s.traces = make([]*traceLog, n)
		for i := range s.traces {
			s.traces[i] = new(traceLog)
		}
		for _, e := range s.enbs {
			for _, l := range e.links {
				l.trace = new(traceLog)
			}
		}
	}
	return s, nil
}

func compileProfile(p *Profile) profileRT {
	rt := profileRT{p: p, inactivity: time.Duration(p.Inactivity), imeisv: p.IMEISV, retry: *p.Retry}
	var eea, eia uint8
	for _, a := range p.EEA {
		eea |= 0x80 >> a
		if a >= 1 && a <= 3 {
			rt.s1EEA |= 0x8000 >> (a - 1) // TS 36.413 §9.2.1.40: first bit 128-EEA1
		}
	}
	for _, a := range p.EIA {
		eia |= 0x80 >> a
		if a >= 1 && a <= 3 {
			rt.s1EIA |= 0x8000 >> (a - 1)
		}
	}
	rt.netCap = nas.UENetworkCapability{eea, eia}
	return rt
}

// buildENBs lays out the eNodeBs, their cells (spread over the TACs) and one
// link per MME.
func (s *Sim) buildENBs() error {
	n := s.sc.Network
	plmn := s.plmn
	if n.GlobalENBPLMN != "" {
		p, _ := nas.ParsePLMNID(n.GlobalENBPLMN)
		plmn = p
	}
	targets := max(len(s.cfg.Targets), 1)
	for i := 0; i < n.ENBs; i++ {
		e := &enb{idx: uint16(i), id: uint32(n.ENBIDStart + i), plmn: plmn,
			rng: rand.New(rand.NewPCG(s.seed, uint64(i)))}
		for c := 0; c < n.CellsPerENB; c++ {
			t := (i*n.CellsPerENB + c) % len(n.TACs)
			e.cells = append(e.cells, cell{eci: e.id<<8 | uint32(c), tac: uint16(n.TACs[t]), tai: uint8(t)})
		}
		for m := 0; m < targets; m++ {
			e.links = append(e.links, &link{sim: s, enb: e, mme: uint8(m), outStream: 2,
				setupDone: make(chan *s1ap.PDU, 1), resetDone: make(chan *s1ap.PDU, 1)})
		}
		s.enbs = append(s.enbs, e)
	}
	return nil
}

// buildUEs makes one UE per subscriber, assigns profiles by weight and
// camps each on an eNodeB (round robin) and cell.
func (s *Sim) buildUEs(subs []Subscriber) {
	s.ues = make([]UE, len(subs))
	var total float64
	for _, p := range s.profiles {
		total += p.p.Weight
	}
	r := rand.New(rand.NewPCG(s.seed, 7))
	for i := range subs {
		sub := &subs[i]
		u := &s.ues[i]
		v, d, _ := parseIMSI(sub.IMSI)
		u.imsi, u.imsiDigits = v, uint8(d)
		u.k, u.opc = sub.K, sub.OPc
		u.emm, u.ecm, u.conn = EMMDeregistered, ECMIdle, -1
		// Weighted profile assignment, deterministic per seed.
		x := r.Float64() * total
		for j, p := range s.profiles {
			if x < p.p.Weight || j == len(s.profiles)-1 {
				u.profile = uint8(j)
				break
			}
			x -= p.p.Weight
		}
		prof := s.profiles[u.profile].p
		switch prof.Auth {
		case "mac_failure":
			u.k[15] ^= 1 // the USIM's K is not the HSS's: MAC failure (TS 33.102 §6.3.3)
		case "sync_failure":
			u.sqnMS = sub.SQN + 1<<20 // the USIM is ahead: AUTN's SQN is not fresh
		}
		u.enb = uint16(i % len(s.enbs))
		u.cell = uint8((i / len(s.enbs)) % len(s.enbs[u.enb].cells))
		if prof.Registered {
			// A UE that believes it is registered with a GUTI the MME
			// never allocated (TC_s1ap_tau_unknown_guti).
			u.emm = EMMRegistered
			u.flags |= hasGUTI
			u.mtmsi = 0xC0000000 | r.Uint32()>>2
			u.gutiPLMN = s.plmn
		}
	}
}

// timer returns the value of a UE timer in this run.
func (s *Sim) timer(k timerKind) time.Duration { return s.timers[k] }

// clock returns ns since the run began.
func (s *Sim) clock() int64 { return s.clockFn() }

func (s *Sim) worker(ue uint32) *worker { return s.workers[int(ue)%len(s.workers)] }

func (s *Sim) post(ue uint32, ev event) {
	w := s.worker(ue)
	if s.sync {
		w.now = s.clock()
		w.handle(ev)
		return
	}
	w.mbox <- ev
}

// dispatchUE hands a UE-associated message to the UE's worker.
func (s *Sim) dispatchUE(l *link, ue uint32, pdu *s1ap.PDU) {
	if int(ue) >= len(s.ues) {
		// TS 36.413 §10.6: unknown eNB UE S1AP ID → Error Indication.
		s.countError("s1ap: message for unknown eNB-UE-S1AP-ID")
		ei := &s1ap.ErrorIndication{ENBUES1APID: s1ap.Some(s1ap.ENBUES1APID(ue)),
			Cause: s1ap.Some(radioCause(s1ap.CauseRadioNetworkUnknownEnbUeS1apId))}
		_ = l.send(0, ei)
		return
	}
	s.post(ue, event{kind: evS1AP, ue: ue, enb: l.enb.idx, link: l.mme, pdu: pdu})
}

// onPaging fans a PAGING out to the UEs it names that camp on this eNodeB
// in one of the listed TAIs (TS 36.413 §8.5.2).
func (s *Sim) onPaging(l *link, msg *s1ap.Paging) {
	if msg.UEPagingID.Choice != s1ap.UEPagingIDChoiceSTMSI {
		s.countError("s1ap: Paging by IMSI (not simulated)")
		return
	}
	id := msg.UEPagingID.STMSI.MTMSI
	ue, ok := s.tmsi.get(uint32(id[0])<<24 | uint32(id[1])<<16 | uint32(id[2])<<8 | uint32(id[3]))
	if !ok {
		return // not one of ours: another eNodeB's UE
	}
	served := false
	for _, it := range msg.TAIList {
		for _, c := range l.enb.cells {
			if s1ap.TAC(tacOctets(c.tac)) == it.TAI.TAC {
				served = true
			}
		}
	}
	if !served {
		return
	}
	s.post(ue, event{kind: evPaging, ue: ue, enb: l.enb.idx, link: l.mme})
}

// onHandoverRequest finds the UE an S1 handover prepares (target side) by
// the SGW F-TEID of its first E-RAB.
func (s *Sim) onHandoverRequest(l *link, pdu *s1ap.PDU, msg *s1ap.HandoverRequest) {
	var k hoKey
	if list := msg.ERABToBeSetupListHOReq; len(list) > 0 {
		// The E-RAB with the lowest ID names the UE (the MME's list
		// order need not be the eNodeB's).
		it := list[0]
		for _, x := range list[1:] {
			if x.ERABID < it.ERABID {
				it = x
			}
		}
		k.teid = [4]byte(it.GTPTEID)
		copy(k.addr[:], it.TransportLayerAddress.Bytes)
	}
	s.hoMu.Lock()
	ue, ok := s.hoTbl[k]
	s.hoMu.Unlock()
	if !ok {
		// TS 36.413 §8.4.2.3: the target cannot admit it.
		s.countError("s1ap: HandoverRequest for no handover in preparation")
		_ = l.send(0, &s1ap.HandoverFailure{MMEUES1APID: msg.MMEUES1APID,
			Cause: radioCause(s1ap.CauseRadioNetworkUnspecified)})
		return
	}
	s.post(ue, event{kind: evS1AP, ue: ue, enb: l.enb.idx, link: l.mme, pdu: pdu})
}

// hoKeyOf is the key of c's S1 handover: its E-RAB with the lowest ID.
func hoKeyOf(c *conn) hoKey {
	r := &c.erabs[0]
	for i := 1; i < int(c.nErabs); i++ {
		if c.erabs[i].id < r.id {
			r = &c.erabs[i]
		}
	}
	return hoKey{teid: r.sgwTEID, addr: r.sgwAddr}
}

func (s *Sim) addHandover(ue uint32, c *conn) {
	if c.nErabs == 0 {
		return
	}
	k := hoKeyOf(c)
	s.hoMu.Lock()
	s.hoTbl[k] = ue
	s.hoMu.Unlock()
}

func (s *Sim) dropHandover(ue uint32, c *conn) {
	if c.nErabs == 0 {
		return
	}
	k := hoKeyOf(c)
	s.hoMu.Lock()
	if v, ok := s.hoTbl[k]; ok && v == ue {
		delete(s.hoTbl, k)
	}
	s.hoMu.Unlock()
}

// linkLost releases every UE connection over l (association down or
// restarted, RESET of the whole interface).
func (s *Sim) linkLost(l *link, cause string) {
	for _, w := range s.workers {
		ev := event{kind: evRelease, ue: ^uint32(0), enb: l.enb.idx, link: l.mme, cause: cause}
		if s.sync {
			w.handle(ev)
		} else {
			w.mbox <- ev
		}
	}
}

// releaseUE releases one UE's connection over l.
func (s *Sim) releaseUE(l *link, ue uint32, cause string) {
	if int(ue) < len(s.ues) {
		s.post(ue, event{kind: evRelease, ue: ue, enb: l.enb.idx, link: l.mme, cause: cause})
	}
}

// countError counts an anomaly by kind (reported, never fatal by itself).
func (s *Sim) countError(kind string) {
	s.errMu.Lock()
	if len(s.errors) < 1000 || s.errors[kind] > 0 {
		s.errors[kind]++
	}
	s.errMu.Unlock()
}

func (s *Sim) errorCounts() map[string]uint64 {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	m := make(map[string]uint64, len(s.errors))
	for k, v := range s.errors {
		m[k] = v
	}
	return m
}

func (s *Sim) ueTrace(ue uint32) *traceLog {
	if int(ue) < len(s.traces) {
		return s.traces[ue]
	}
	return nil
}

func tacOctets(t uint16) [2]byte { return [2]byte{byte(t >> 8), byte(t)} }

func (s *Sim) tai(e *enb, c uint8) s1ap.TAI {
	return s1ap.TAI{PLMNidentity: s1ap.PLMNidentity(s.plmn), TAC: s1ap.TAC(tacOctets(e.cells[c].tac))}
}

func (s *Sim) ecgi(e *enb, c uint8) s1ap.EUTRANCGI {
	return s1ap.EUTRANCGI{PLMNidentity: s1ap.PLMNidentity(s.plmn), CellID: s1ap.CellIdentity(e.cells[c].eci)}
}

// s1SetupRequest builds the eNodeB's S1 SETUP REQUEST (TS 36.413 §8.7.3.2,
// §9.1.8.4): Global eNB ID (macro), name, one supported TA per distinct
// TAC of its cells with the broadcast PLMN, default paging DRX.
func (s *Sim) s1SetupRequest(e *enb) *s1ap.S1SetupRequest {
	n := s.sc.Network
	bplmn := s.plmn
	if n.BroadcastPLMN != "" {
		p, _ := nas.ParsePLMNID(n.BroadcastPLMN)
		bplmn = p
	}
	var tas s1ap.SupportedTAs
	seen := map[uint16]bool{}
	for _, c := range e.cells {
		if !seen[c.tac] {
			seen[c.tac] = true
			tas = append(tas, s1ap.SupportedTAsItem{TAC: s1ap.TAC(tacOctets(c.tac)), BroadcastPLMNs: s1ap.BPLMNs{s1ap.PLMNidentity(bplmn)}})
		}
	}
	sort.Slice(tas, func(i, j int) bool { return string(tas[i].TAC[:]) < string(tas[j].TAC[:]) })
	drx := map[int]s1ap.PagingDRX{32: s1ap.PagingDRXV32, 64: s1ap.PagingDRXV64, 128: s1ap.PagingDRXV128, 256: s1ap.PagingDRXV256}[n.PagingDRX]
	return &s1ap.S1SetupRequest{
		GlobalENBID: s1ap.GlobalENBID{PLMNidentity: s1ap.PLMNidentity(e.plmn),
			ENBID: s1ap.ENBID{Choice: s1ap.ENBIDChoiceMacroENBID, MacroENBID: s1ap.ENBIDMacroENBID(e.id)}},
		ENBname:          s1ap.Some(s1ap.ENBname(fmt.Sprintf("loadtest-enb-%d", e.id))),
		SupportedTAs:     tas,
		DefaultPagingDRX: drx,
	}
}
