package gtp

import (
	"sync"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// go-gtp decides whether an IE is grouped through a package-level predicate
// whose default takes a sync.RWMutex on every IE parsed or sized: with two
// endpoints busy in one process that lock was 13% of the CPU of
// BenchmarkCreateSessionModifyBearer (cache-line contention). go-gtp offers
// ie.SetIsGroupedFun to replace it; this package installs, once before any
// go-gtp call, a lock-free predicate over the same set of types (go-gtp's
// defaultGroupedIEMap: Bearer Context, PDN Connection, Overload and Load
// Control Information, Remote UE Context, SCEF PDN Connection, V2X Context,
// PC5 QoS Parameters; TS 29.274 Table 8.1-1). Nothing else in this module
// calls go-gtp.
var groupedOnce sync.Once

func setupGoGTP() {
	groupedOnce.Do(func() {
		var grouped [256]bool
		for _, t := range []uint8{ie.BearerContext, ie.PDNConnection, ie.OverloadControlInformation,
			ie.LoadControlInformation, ie.RemoteUEContext, ie.SCEFPDNConnection, ie.V2XContext, ie.PC5QoSParameters} {
			grouped[t] = true
		}
		ie.SetIsGroupedFun(func(t uint8) bool { return grouped[t] })
	})
}
