// Package node is the MME node (issue #7): the S1-MME front end on
// s1ap/transport, routing of UE-associated messages to the subscribers'
// actors, the supervision.Handler that runs session.Machine steps and
// executes their effects after the record is stored, the S11 (gtp/s11) and
// S6a (s6a/peer) adapters whose callbacks become events, configuration,
// metrics and the operations endpoint (/metrics, /healthz, /readyz, admin
// API). docs/design/node.md is the design note; docs/conformance.md maps
// procedures to tests.
//
// Specifications (Release 17): TS 36.413 §8.7 (non-UE-associated S1AP
// procedures), §10 (error handling), TS 36.412 §7 (streams), TS 23.401
// §5.3.2, §5.3.5, §5.3.8 (attach, S1 release, detach), TS 24.301 (NAS; in
// package session), TS 29.274 (S11), TS 29.272 (S6a), TS 23.007 §16, §18,
// §20 (restoration), TS 32.426 (measurement names).
//
// # The loop
//
// Every goroutine belongs to the supervisor tree built by New and run by
// Run (docs/design/node.md "Restart and supervision"):
//
//	S1 stream reader ─┐                                   ┌─ S11 reader (answers, SGW requests)
//	                  ├─ route → supervision.Actors.Send ─┤─ S6a reader (answers, CLR)
//	timer wheel ──────┘          (bounded mailboxes)      └─ admin API
//	worker: machine (cache or store) → Step → encode → store.PutAsync
//	store writer: write durable → effects in order (S1AP, S11, S6a, timers)
//
// A subscriber's events are serial on one worker; an idle subscriber is
// only its stored record. New binds every socket and restores the stored
// subscribers; Run serves until its context ends, then shuts down in the
// reverse order and closes the store.
package node
