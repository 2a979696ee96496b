// Package session is the per-subscriber state machine of the MME: EMM, ECM
// and ESM states (TS 24.301 §5.1.3, §6.1.3.3; TS 23.401 §4.6), the attach
// and detach procedures (TS 23.401 §5.3.2.1, §5.3.8; TS 24.301 §5.4, §5.5)
// with their common procedures (identification, EPS-AKA, NAS security mode
// control), the S1 release of TS 23.401 §5.3.5, the NAS timers of
// TS 24.301 §10.2, and the subscriber record with its schema versions.
// Release 17 of the 3GPP series throughout.
//
// # The driving loop
//
// The package is pure (layer "session", internal/layering): no I/O, no
// goroutine, no clock. Time arrives in events; identifiers (M-TMSI, S11
// TEID) come from an injected Allocator. The node drives a Machine as etcd
// raft's Node is driven:
//
//	m, err := session.Load(cfg, alloc, key, record)   // or session.New for a new subscriber
//	m.Step(&session.InitialUEMessage{Now: now, Conn: id, NAS: pdu, Location: loc})
//	if m.HasReady() {
//		rd := m.Ready()
//		if rd.Persist { store m.AppendRecord(buf) with the m.Indexes() }
//		// write before speak: only after the write is durable
//		for _, e := range rd.Effects { execute e }   // SendS1, SendS11, SendS6a, StartTimer, ...
//		m.Advance()
//	}
//
// Every state has one method (deregistered, commonProcedureInitiated,
// registered, deregisteredInitiated) that switches on the typed event;
// every event it does not expect gets the specification's answer (EMM
// STATUS #98, a discard per TS 24.301 §4.4.4.3, a stale-transaction drop)
// and is reported in Ready.Anomalies, never ignored silently.
//
// # Files
//
// attach.go (TS 24.301 §5.5.1), auth.go (EPS-AKA, §5.4.2), identity.go
// (§5.4.4), smc.go (§5.4.3), esm.go (PDN connections at the SGW, TS 23.007
// §16), detach.go (§5.5.2, implicit detach §5.3.5), s1.go (S1 release,
// connection loss, timers' expiry actions), timers.go (the timer table),
// nas.go (TS 24.301 §4.4.4.3 and §7 on uplink, protection on downlink),
// record.go and codec.go (the versioned record), tau.go and service.go
// (explicit answers until the procedures of issue #9 arrive).
package session
