package loadtest

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lte-mme/mme/nas"
)

// Scenario is a load or conformance test as written in YAML (see
// docs/design/loadtest.md "Scenario reference"). Zero fields take the
// defaults of Defaults.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Source maps a conformance scenario to the third-party test it mirrors.
	Source *Source `yaml:"source"`
	// Requires lists the MME procedures the scenario needs; Pending says
	// why our MME cannot run it yet (e.g. "issue #9: X2 handover"), and the
	// conformance runner reports it by name instead of running it.
	Requires []string `yaml:"requires"`
	Pending  string   `yaml:"pending"`
	// Triggers lists network-side triggers the scenario needs ("sgw-admin"
	// for paging and dedicated bearers).
	Triggers []string `yaml:"triggers"`

	Network Network `yaml:"network"`
	// Timers override UE timer values of TS 24.301 §10.2 (e.g. T3410:
	// 100ms for a fast retry test): T3402, T3410, T3411, T3417, T3418,
	// T3420, T3421, T3430, guard.
	Timers   map[string]Duration `yaml:"timers"`
	UEs      int                 `yaml:"ues"`
	Profiles []Profile           `yaml:"profiles"`
	Phases   []Phase             `yaml:"phases"`
	Expect   Expect              `yaml:"expect"`

	file string // where it was read from, for errors
}

// Source names the third-party test a conformance scenario mirrors.
type Source struct {
	Suite string `yaml:"suite"` // "osmo-ttcn3-hacks" or "open5gs"
	Test  string `yaml:"test"`  // e.g. "TC_s1ap_setup_wrong_tac", "tests/attach/simple-test.c"
	Path  string `yaml:"path"`  // file in the suite's repository
}

// Network is the radio side: PLMN, TACs, eNodeBs and cells.
type Network struct {
	PLMN string `yaml:"plmn"` // "00101": MCC and MNC (default 00101)
	TACs []int  `yaml:"tacs"` // tracking area codes; cells are spread over them (default [1])
	ENBs int    `yaml:"enbs"` // simulated eNodeBs (default 1)
	// CellsPerENB is the number of cells of each eNodeB (default 2): its
	// TAIs are those of its cells.
	CellsPerENB int `yaml:"cells_per_enb"`
	// ENBIDStart is the first macro eNB ID (20 bits; default 1).
	ENBIDStart int `yaml:"enb_id_start"`
	// GlobalENBPLMN overrides the PLMN of the Global eNB ID (a foreign PLMN
	// with valid TAs must still be accepted, TS 36.413 §8.7.3.2).
	GlobalENBPLMN string `yaml:"global_enb_plmn"`
	// BroadcastPLMN overrides the broadcast PLMN of every supported TA (an
	// unknown one must be rejected with unknown-PLMN, TS 36.413 §8.7.3.3).
	BroadcastPLMN string `yaml:"broadcast_plmn"`
	// PagingDRX is the default paging DRX in radio frames: 32, 64, 128 or
	// 256 (default 128).
	PagingDRX int `yaml:"paging_drx"`
}

// Profile is a kind of UE: identity, security capabilities and behaviour.
type Profile struct {
	Name   string  `yaml:"name"`
	Weight float64 `yaml:"weight"` // share of the UEs (default 1)
	// Identity in ATTACH REQUEST: "imsi" (default), "guti" (the stored GUTI
	// when there is one, else the IMSI) or "unknown_guti" (a GUTI the MME
	// never allocated: it must ask with IDENTITY REQUEST).
	Identity string `yaml:"identity"`
	// EEA and EIA list the algorithms the UE supports (defaults 0-3 and
	// 1-3; EIA0 only matters for emergency).
	EEA []int `yaml:"eea"`
	EIA []int `yaml:"eia"`
	// ESMInfoTransfer sets the ESM information transfer flag in the PDN
	// CONNECTIVITY REQUEST of the attach: the APN then goes in ESM
	// INFORMATION RESPONSE (TS 24.301 §6.6.1.2).
	ESMInfoTransfer bool `yaml:"esm_info_transfer"`
	// APN requested ("" lets the network choose the default APN).
	APN string `yaml:"apn"`
	// SecondAPN is the APN of an additional PDN connection (default
	// "ims").
	SecondAPN string `yaml:"second_apn"`
	// Auth: "ok" (default), "mac_failure" (the USIM's K differs from the
	// HSS's by one bit: AUTHENTICATION FAILURE #20) or "sync_failure" (the
	// USIM's SQN is ahead of the HSS's: #21 with AUTS, then success).
	Auth string `yaml:"auth"`
	// ICS: "ok" (default) or "failure": the eNodeB answers INITIAL
	// CONTEXT SETUP FAILURE (TS 36.413 §8.3.1.3).
	ICS string `yaml:"ics"`
	// Detach: "normal" (default) or "switch_off".
	Detach string `yaml:"detach"`
	// DedicatedBearer: "accept" (default) or "reject" (ESM cause #31).
	DedicatedBearer string `yaml:"dedicated_bearer"`
	// Inactivity: the eNodeB releases a connected UE after this much
	// silence (UE CONTEXT RELEASE REQUEST, user-inactivity); 0 never.
	Inactivity Duration `yaml:"inactivity"`
	// Registered starts the UE in EMM-REGISTERED, idle, with a GUTI the
	// MME never allocated and no security context (for "TAU with an
	// unknown GUTI").
	Registered bool `yaml:"registered"`
	// Retry re-attaches after T3411/T3402 as TS 24.301 §5.5.1.2.6 says
	// (default true); false leaves a UE whose attach failed deregistered.
	Retry *bool `yaml:"retry"`
	// IMEISV sent when the network asks (16 digits; default derived).
	IMEISV string `yaml:"imeisv"`
}

// Phase is one step of a scenario: arrivals of one procedure or of a
// weighted mix, at an open-loop rate, or a pause.
type Phase struct {
	Name string `yaml:"name"`
	// Procedure or Mix (weights by procedure name) says what arrives.
	Procedure string             `yaml:"procedure"`
	Mix       map[string]float64 `yaml:"mix"`
	// Count bounds the procedures started: a number, or "all" for one per
	// UE (default "all" for a single procedure, unbounded for a mix).
	Count string `yaml:"count"`
	// Rate is arrivals per second (default 100), Poisson or fixed
	// intervals (Arrival "poisson", the default, or "fixed").
	Rate    float64 `yaml:"rate"`
	Arrival string  `yaml:"arrival"`
	// Ramp raises the rate linearly from 0 over this time.
	Ramp Duration `yaml:"ramp"`
	// Duration bounds the arrivals (default: until Count is reached; a
	// mix needs one).
	Duration Duration `yaml:"duration"`
	// Wait pauses the scenario (a phase with only Wait).
	Wait Duration `yaml:"wait"`
	// Settle bounds the wait for procedures still in progress after the
	// arrivals end (default 20 s; they then count as in progress).
	Settle Duration `yaml:"settle"`
	// Reattach lets an attach start from EMM-REGISTERED (the UE forgets
	// its registration, as after losing power).
	Reattach bool `yaml:"reattach"`
	// Redial, with procedure s1_setup, makes every eNodeB drop its S1
	// associations, dial the MMEs again (retrying while one restarts) and
	// run S1 Setup: the eNodeBs re-establishing S1 after an MME restart,
	// the UEs keeping their registrations and security contexts.
	Redial bool `yaml:"redial"`
	// Cancel makes an S1 handover end with HANDOVER CANCEL instead of
	// executing (TS 36.413 §8.4.5).
	Cancel bool `yaml:"cancel"`
}

// Expect is what must hold for the run to pass (exit status 0). With no
// Procedures entry, every procedure the run attempted must have succeeded
// every time.
type Expect struct {
	Procedures map[string]ProcedureExpect `yaml:"procedures"`
	// UESequence is the message sequence every UE must show;
	// ENBSequence the one every eNodeB's first S1 association must.
	UESequence  []Step `yaml:"ue_sequence"`
	ENBSequence []Step `yaml:"enb_sequence"`
	// Ignore lists messages allowed anywhere in a sequence (e.g.
	// "EMMInformation", "UECapabilityInfoIndication").
	Ignore []string `yaml:"ignore"`
	// States requires UE counts per state at the end ("EMM-REGISTERED": N
	// or "all").
	States map[string]string `yaml:"states"`
}

// ProcedureExpect bounds one procedure's outcome.
type ProcedureExpect struct {
	// Successes and Failures: exact counts ("all" = one per UE); empty
	// means Successes = attempts and Failures = 0.
	Successes string `yaml:"successes"`
	Failures  string `yaml:"failures"`
	// MinSuccessRatio instead of exact counts (0-1).
	MinSuccessRatio float64 `yaml:"min_success_ratio"`
	// Causes: the failure causes allowed (any of them); empty: any.
	Causes []string `yaml:"causes"`
	// P99MS bounds the 99th percentile latency in milliseconds.
	P99MS float64 `yaml:"p99_ms"`
}

// Step is one message of an expected sequence.
type Step struct {
	// Dir is "ul" (sent by the eNodeB/UE) or "dl" (sent by the MME).
	Dir string `yaml:"dir"`
	// S1AP is the S1AP message name (TS 36.413 §9, ASN.1 name), NAS the
	// NAS message carried (Go type name of package nas: AttachRequest).
	S1AP string `yaml:"s1ap"`
	NAS  string `yaml:"nas"`
	// IEs are key IE values the message must carry (see docs).
	IEs map[string]string `yaml:"ies"`
	// Optional steps may be absent.
	Optional bool `yaml:"optional"`
}

// Duration is a time.Duration written as "15s", "500ms" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string (or a number of seconds).
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		*d = Duration(v * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ErrScenario wraps every scenario error; the message names the file and
// the field.
var ErrScenario = errors.New("loadtest: bad scenario")

//go:embed scenarios/*.yaml
var library embed.FS

// NamedScenarios returns the names of the embedded scenario library,
// sorted.
func NamedScenarios() []string {
	ents, _ := fs.ReadDir(library, "scenarios")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// LoadScenario returns the named scenario of the library, or reads a YAML
// file when nameOrFile names one (a path with a slash or a .yaml/.yml
// suffix, or an existing file).
func LoadScenario(nameOrFile string) (*Scenario, error) {
	if b, err := fs.ReadFile(library, path.Join("scenarios", nameOrFile+".yaml")); err == nil {
		return ParseScenario(b, "library:"+nameOrFile)
	}
	b, err := os.ReadFile(nameOrFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrFile, "/.") {
			return nil, fmt.Errorf("%w: no scenario %q in the library (%s) and no such file", ErrScenario, nameOrFile,
				strings.Join(NamedScenarios(), ", "))
		}
		return nil, fmt.Errorf("%w: %w", ErrScenario, err)
	}
	return ParseScenario(b, nameOrFile)
}

// ParseScenario parses and validates a YAML scenario; unknown fields are
// errors (a typo must not silently change a test).
func ParseScenario(b []byte, file string) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	s := new(Scenario)
	if err := dec.Decode(s); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrScenario, file, err)
	}
	s.file = file
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate fills defaults and checks every field, naming the first bad one.
func (s *Scenario) Validate() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s: %s", ErrScenario, s.file, field, fmt.Sprintf(format, a...))
	}
	n := &s.Network
	if n.PLMN == "" {
		n.PLMN = "00101"
	}
	if _, err := nas.ParsePLMNID(n.PLMN); err != nil {
		return bad("network.plmn", "%v", err)
	}
	for _, f := range []struct{ name, v string }{{"network.global_enb_plmn", n.GlobalENBPLMN}, {"network.broadcast_plmn", n.BroadcastPLMN}} {
		if f.v != "" {
			if _, err := nas.ParsePLMNID(f.v); err != nil {
				return bad(f.name, "%v", err)
			}
		}
	}
	if len(n.TACs) == 0 {
		n.TACs = []int{1}
	}
	for _, t := range n.TACs {
		if t < 0 || t > 0xffff {
			return bad("network.tacs", "TAC %d outside 0-65535", t)
		}
	}
	if len(n.TACs) > 64 {
		return bad("network.tacs", "at most 64 TACs")
	}
	if n.ENBs == 0 {
		n.ENBs = 1
	}
	if n.ENBs < 0 || n.ENBs > 4096 {
		return bad("network.enbs", "%d outside 1-4096", n.ENBs)
	}
	if n.CellsPerENB == 0 {
		n.CellsPerENB = 2
	}
	if n.CellsPerENB < 1 || n.CellsPerENB > 16 {
		return bad("network.cells_per_enb", "%d outside 1-16", n.CellsPerENB)
	}
	if n.ENBIDStart == 0 {
		n.ENBIDStart = 1
	}
	if n.ENBIDStart < 0 || n.ENBIDStart+n.ENBs > 1<<20 {
		return bad("network.enb_id_start", "macro eNB IDs must fit 20 bits")
	}
	switch n.PagingDRX {
	case 0:
		n.PagingDRX = 128
	case 32, 64, 128, 256:
	default:
		return bad("network.paging_drx", "%d: want 32, 64, 128 or 256", n.PagingDRX)
	}
	if s.UEs < 0 || s.UEs > maxUEs {
		return bad("ues", "%d outside 0-%d", s.UEs, maxUEs)
	}
	if len(s.Profiles) == 0 {
		s.Profiles = []Profile{{Name: "default"}}
	}
	if len(s.Profiles) > 255 {
		return bad("profiles", "at most 255")
	}
	for i := range s.Profiles {
		p := &s.Profiles[i]
		f := func(name string) string { return fmt.Sprintf("profiles[%d].%s", i, name) }
		if p.Weight == 0 {
			p.Weight = 1
		}
		if p.Weight < 0 {
			return bad(f("weight"), "negative")
		}
		if err := oneOf(&p.Identity, "imsi", "guti", "unknown_guti"); err != nil {
			return bad(f("identity"), "%v", err)
		}
		if err := oneOf(&p.Auth, "ok", "mac_failure", "sync_failure"); err != nil {
			return bad(f("auth"), "%v", err)
		}
		if err := oneOf(&p.ICS, "ok", "failure"); err != nil {
			return bad(f("ics"), "%v", err)
		}
		if err := oneOf(&p.Detach, "normal", "switch_off"); err != nil {
			return bad(f("detach"), "%v", err)
		}
		if err := oneOf(&p.DedicatedBearer, "accept", "reject"); err != nil {
			return bad(f("dedicated_bearer"), "%v", err)
		}
		if p.SecondAPN == "" {
			p.SecondAPN = "ims"
		}
		if p.EEA == nil {
			p.EEA = []int{0, 1, 2, 3}
		}
		if p.EIA == nil {
			p.EIA = []int{1, 2, 3}
		}
		for _, a := range append(append([]int(nil), p.EEA...), p.EIA...) {
			if a < 0 || a > 7 {
				return bad(f("eea/eia"), "algorithm %d outside 0-7", a)
			}
		}
		if len(p.EIA) == 0 {
			return bad(f("eia"), "a UE supports at least one integrity algorithm (TS 33.401 §5.1.4.1)")
		}
		if p.IMEISV != "" && (len(p.IMEISV) != 16 || strings.Trim(p.IMEISV, "0123456789") != "") {
			return bad(f("imeisv"), "want 16 digits")
		}
		if p.Retry == nil {
			t := true
			p.Retry = &t
		}
	}
	for i := range s.Phases {
		ph := &s.Phases[i]
		f := func(name string) string { return fmt.Sprintf("phases[%d].%s", i, name) }
		if ph.Name == "" {
			ph.Name = fmt.Sprintf("phase%d", i+1)
		}
		switch {
		case ph.Procedure != "" && ph.Mix != nil:
			return bad(f("procedure"), "give a procedure or a mix, not both")
		case ph.Procedure == "" && ph.Mix == nil:
			if ph.Wait <= 0 {
				return bad(f("procedure"), "a phase needs a procedure, a mix or a wait")
			}
			continue
		}
		if ph.Procedure != "" {
			if _, err := ParseProcedure(ph.Procedure); err != nil {
				return bad(f("procedure"), "%v", err)
			}
			if ph.Count == "" {
				ph.Count = "all"
			}
		}
		for name, w := range ph.Mix {
			if _, err := ParseProcedure(name); err != nil {
				return bad(f("mix"), "%v", err)
			}
			if w < 0 {
				return bad(f("mix"), "negative weight for %s", name)
			}
		}
		if ph.Mix != nil && ph.Duration <= 0 && ph.Count == "" {
			return bad(f("duration"), "a mix needs a duration or a count")
		}
		if ph.Count != "" && ph.Count != "all" {
			if c, err := strconv.Atoi(ph.Count); err != nil || c < 0 {
				return bad(f("count"), "%q: want a number or \"all\"", ph.Count)
			}
		}
		if ph.Rate == 0 {
			ph.Rate = 100
		}
		if ph.Rate < 0 {
			return bad(f("rate"), "negative")
		}
		if err := oneOf(&ph.Arrival, "poisson", "fixed"); err != nil {
			return bad(f("arrival"), "%v", err)
		}
		if ph.Settle == 0 {
			ph.Settle = Duration(20 * time.Second)
		}
	}
	for name, e := range s.Expect.Procedures {
		if _, err := ParseProcedure(name); err != nil {
			return bad("expect.procedures", "%v", err)
		}
		for _, v := range []string{e.Successes, e.Failures} {
			if v != "" && v != "all" {
				if _, err := strconv.Atoi(v); err != nil {
					return bad("expect.procedures."+name, "%q: want a number or \"all\"", v)
				}
			}
		}
	}
	for i, st := range append(append([]Step(nil), s.Expect.UESequence...), s.Expect.ENBSequence...) {
		if st.Dir != "ul" && st.Dir != "dl" {
			return bad("expect sequence", "step %d: dir %q: want ul or dl", i, st.Dir)
		}
		if st.S1AP == "" && st.NAS == "" {
			return bad("expect sequence", "step %d: needs s1ap or nas", i)
		}
	}
	for st, v := range s.Expect.States {
		if v != "all" {
			if _, err := strconv.Atoi(v); err != nil {
				return bad("expect.states."+st, "%q: want a number or \"all\"", v)
			}
		}
	}
	for name, d := range s.Timers {
		if timerByName(name) == tNone || d <= 0 {
			return bad("timers."+name, "unknown timer or non-positive value")
		}
	}
	for _, tr := range s.Triggers {
		if tr != "sgw-admin" {
			return bad("triggers", "%q: the only trigger is sgw-admin", tr)
		}
	}
	return nil
}

// maxUEs bounds a run: the eNB-UE-S1AP-ID of a UE is its index (24 bits,
// TS 36.413 §9.2.3.4).
const maxUEs = 1 << 24

func oneOf(v *string, allowed ...string) error {
	if *v == "" {
		*v = allowed[0]
		return nil
	}
	for _, a := range allowed {
		if *v == a {
			return nil
		}
	}
	return fmt.Errorf("%q: want one of %s", *v, strings.Join(allowed, ", "))
}

// Overrides are the command line's changes to a scenario (`mme loadtest
// --ues --enbs --rate --duration --plmn --tac`); zero values change
// nothing.
type Overrides struct {
	UEs  int
	ENBs int
	Rate float64
	// MixRate is the arrival rate of the mix phases (`mme loadtest
	// --mix-rate`); when set, Rate changes only the single-procedure
	// phases.
	MixRate  float64
	Duration time.Duration
	// Hold is the length of every wait phase (how long `demo` keeps its
	// UEs attached).
	Hold time.Duration
	PLMN string
	TACs []int
}

// Apply changes s by o: UEs and eNodeBs, the rate of every phase with
// arrivals (of the mix phases apart with MixRate), the duration of every timed phase, the length of every wait
// phase, the PLMN and TACs. It
// validates the result.
func (s *Scenario) Apply(o Overrides) error {
	if o.UEs > 0 {
		s.UEs = o.UEs
	}
	if o.ENBs > 0 {
		s.Network.ENBs = o.ENBs
	}
	for i := range s.Phases {
		ph := &s.Phases[i]
		if o.Rate > 0 && (ph.Procedure != "" || ph.Mix != nil && o.MixRate <= 0) {
			ph.Rate = o.Rate
		}
		if o.MixRate > 0 && ph.Mix != nil {
			ph.Rate = o.MixRate
		}
		if o.Duration > 0 && ph.Duration > 0 {
			ph.Duration = Duration(o.Duration)
		}
		if o.Hold > 0 && ph.Procedure == "" && ph.Mix == nil && ph.Wait > 0 {
			ph.Wait = Duration(o.Hold)
		}
	}
	if o.PLMN != "" {
		s.Network.PLMN = o.PLMN
	}
	if len(o.TACs) > 0 {
		s.Network.TACs = o.TACs
	}
	return s.Validate()
}
