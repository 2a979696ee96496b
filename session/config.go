package session

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
)

// Config is what a session needs of the node's configuration. It is a
// value: the machine reads it and never changes it. The node validates its
// own configuration (node.Config) and derives this one.
type Config struct {
	// PLMN, MMEGroupID and MMECode make the node's GUMMEI (TS 23.003 §2.8):
	// the GUTIs it allocates carry them.
	PLMN       nas.PLMNID
	MMEGroupID uint16
	MMECode    uint8
	// TAIs are the served tracking areas. A UE in another TA is rejected
	// (#12, or #11 for another PLMN); ATTACH ACCEPT carries up to 16 of
	// them as the TAI list (TS 24.301 §9.9.3.33), the UE's own first.
	TAIs []nas.TAI

	// EIA and EEA are the algorithm priority lists: the first one the UE
	// supports is selected (TS 33.401 §7.2.4.3). EIA0 is never selected
	// (TS 33.401 §5.1.4.1: only for unauthenticated emergency calls, which
	// this MME does not serve). EEA0 is selected only if listed.
	EIA []security.EIA
	EEA []security.EEA

	// EmergencyBearerServices is advertised in the EPS network feature
	// support IE (TS 24.301 §9.9.3.12A, EMC BS); false here means "no
	// emergency bearer services".
	EmergencyBearerServices bool
	// IMSVoPS is the IMS voice over PS session indicator of that IE.
	IMSVoPS bool
	// RequestIMEISV asks for the IMEISV in SECURITY MODE COMMAND
	// (TS 24.301 §5.4.3.2).
	RequestIMEISV bool
	// AuthenticateAlways runs EPS-AKA at every attach, even when the
	// ATTACH REQUEST passed the integrity check with a native context
	// (TS 24.301 §5.5.1.2.3 leaves it to the network).
	AuthenticateAlways bool
	// AuthVectors is how many E-UTRAN vectors one AIR asks for (1-5,
	// TS 29.272 §7.3.14); unused ones are kept in the record.
	AuthVectors uint32

	// T3412 is the periodic TAU timer given to the UE (TS 24.301
	// §5.3.5, table 10.2.1: default 54 min).
	T3412 time.Duration
	// T3346 is the back-off timer sent with cause #22 congestion
	// (TS 24.301 §5.5.1.2.5).
	T3346 time.Duration
	// Timers are the MME's timers.
	Timers TimerValues

	// PurgeUE sends Purge-UE to the HSS when a detached UE's context is
	// deleted (TS 23.401 §5.3.9.3, TS 29.272 §5.2.1.3).
	PurgeUE bool

	// NetworkFullName and NetworkShortName, when set, go in EMM
	// INFORMATION after the attach (TS 24.301 §5.4.5).
	NetworkFullName, NetworkShortName string

	// MMES11 is the address of the MME's S11 GTP-C endpoint (its F-TEID,
	// TS 29.274 §8.22) and SGW the SGW it selects (TS 23.401 §4.3.8.2 with
	// a single configured SGW). PGW is the PDN GW S5/S8 address put in
	// Create Session Request (TS 29.274 Table 7.2.1-1); zero uses SGW's.
	MMES11 netip.Addr
	SGW    netip.AddrPort
	PGW    netip.Addr

	// v2 (issue #9, idle mode)

	// PagingAttempts is how many S1AP PAGINGs (each guarded by T3413) are
	// sent for one Downlink Data Notification before the MME gives up
	// with a Downlink Data Notification Failure Indication (TS 23.401
	// §5.3.4.3; the count is the operator's, TS 24.301 §5.6.2.2.2); 0
	// means DefaultPagingAttempts.
	PagingAttempts uint8
	// GUTIReallocation runs the GUTI reallocation procedure after every
	// that many service requests (TS 24.301 §5.4.1.1 leaves when to the
	// network; TS 33.401 §5.2.1 asks that a GUTI does not live long); 0
	// never. A TAU always allocates a new GUTI (§5.5.3.2.4).
	GUTIReallocation uint32
	// Reauthentication runs EPS-AKA and security mode control inside every
	// that many-th TAU or service request of a UE, counted together since
	// its last EPS-AKA (TS 24.301 §5.4.2.1: the network may authenticate
	// the UE at any time; TS 33.401 §6.1.1 leaves how often to the
	// operator); 0 never (only on an integrity failure, reauth.go).
	Reauthentication uint32

	// v2 (issue #9, handover)
	// TAIListCurrent makes the TAI list the UE's current TAI only (per-TA
	// lists, TS 23.401 §4.3.5.3 leaves the allocation to the MME): a UE
	// that leaves its TA, idle or by handover, runs a TAU.
	TAIListCurrent bool
}

// DefaultPagingAttempts is the PagingAttempts used when 0.
const DefaultPagingAttempts = 3

func (c *Config) pagingAttempts() uint8 {
	if c.PagingAttempts == 0 {
		return DefaultPagingAttempts
	}
	return c.PagingAttempts
}

// Validate checks the configuration. Errors name the field.
func (c *Config) Validate() error {
	switch {
	case c.PLMN == nas.PLMNID{}:
		return errors.New("session: config: PLMN missing")
	case len(c.TAIs) == 0:
		return errors.New("session: config: no served TAI")
	case len(c.EIA) == 0:
		return errors.New("session: config: empty EIA priority list")
	case len(c.EEA) == 0:
		return errors.New("session: config: empty EEA priority list")
	case c.AuthVectors < 1 || c.AuthVectors > 5:
		return fmt.Errorf("session: config: AuthVectors %d outside 1..5 (TS 29.272 §7.3.14)", c.AuthVectors)
	case !c.MMES11.IsValid():
		return errors.New("session: config: MME S11 address missing")
	case !c.SGW.IsValid():
		return errors.New("session: config: SGW address missing")
	case c.T3412 <= 0:
		return errors.New("session: config: T3412 must be positive")
	}
	for _, a := range c.EIA {
		if a == security.EIA0 || !a.Valid() {
			return fmt.Errorf("session: config: EIA priority list holds %v (EIA0 only for emergency, TS 33.401 §5.1.4.1)", a)
		}
	}
	for _, a := range c.EEA {
		if !a.Valid() {
			return fmt.Errorf("session: config: EEA priority list holds %v", a)
		}
	}
	for _, v := range []struct {
		name string
		d    time.Duration
	}{{"T3450", c.Timers.T3450}, {"T3460", c.Timers.T3460}, {"T3470", c.Timers.T3470}, {"T3422", c.Timers.T3422},
		{"T3489", c.Timers.T3489}, {"mobile reachable", c.Timers.MobileReachable}, {"implicit detach", c.Timers.ImplicitDetach},
		{"S1 guard", c.Timers.S1Guard}, {"TS1RELOCprep", c.Timers.S1RelocPrep}, {"TS1RELOCoverall", c.Timers.S1RelocOverall},
		{"T3485", c.Timers.T3485}, {"T3486", c.Timers.T3486}, {"T3495", c.Timers.T3495}} {
		if v.d <= 0 {
			return fmt.Errorf("session: config: timer %s must be positive", v.name)
		}
	}
	return nil
}

// Allocator hands out the identifiers a step needs. The node implements
// it; tests inject a deterministic one. Calls happen inside Step, on the
// subscriber's worker.
type Allocator interface {
	// MTMSI returns an M-TMSI unused by any other subscriber of this node
	// (TS 23.003 §2.8.2.1).
	MTMSI() uint32
	// S11TEID returns a local S11 control-plane TEID bound to key, with the
	// SGW as peer (TS 29.274 §5.5.2), or an error when none is free.
	S11TEID(key uint64, sgw netip.AddrPort) (uint32, error)
}
