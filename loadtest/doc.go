// Package loadtest is the load tester of the MME: simulated eNodeBs and UEs
// that speak real S1AP (TS 36.413), EPS NAS (TS 24.301) and NAS security
// (TS 33.401: EPS-AKA with Milenage, EEA0-3/EIA0-3) over real S1
// associations (s1ap/transport: kernel SCTP or SCTP over UDP), to push one
// MME or a pool with open-loop signalling at a million-UE scale and to
// check it against named conformance scenarios.
//
// Specifications: TS 23.401 (Rel-17) §4.3.7.2 (NAS node selection for
// pools), §5.3 (attach, detach, TAU, service request, S1 release), §5.5.1
// (X2 and S1 handover); TS 24.301 §4.4 (NAS security), §5.4 (EMM common
// procedures), §5.5 (attach, detach, TAU), §5.6 (service request,
// paging), §6 (ESM), §10.2 (UE timers); TS 36.413 §8 (the eNodeB's side of
// every procedure the MME uses); TS 33.401 §7.2.8 and Annex A (K_eNB,
// NH/NCC); TS 33.102 §6.3 and Annex C (the USIM).
//
// # Model
//
// A UE is a compact value (UE, no pointers) in one slice per run; an idle
// UE keeps only its USIM, GUTI, stored NAS security context (44 octets),
// registration and timers. A connected UE also has an entry in its
// worker's connection table: the live security context and the eNodeB's
// UE-associated logical S1 connection (MME-UE-S1AP-ID, E-RABs, K_eNB, NH
// chain). The eNB-UE-S1AP-ID of a UE is its index.
//
// # The driving loop
//
// Run builds the UEs and eNodeBs, associates every eNodeB with every MME of
// the pool and runs S1 Setup, then runs the scenario's phases. Each worker
// goroutine owns the UEs whose index is its number modulo the worker count
// and loops: take a mailbox event (a UE-associated downlink message decoded
// by the transport's reader, a paging, a release), or on a 1 ms tick fire
// the UE timers due in its timing wheel and start the arrivals due (Poisson
// or fixed, open loop). A UE's events are therefore serial and lock-free.
// Procedures are measured from the UE's or eNodeB's first message to its
// completion in HDR histograms per worker, merged in the Report.
//
// Scenarios are YAML (Scenario, ParseScenario, LoadScenario; the named
// library is embedded from scenarios/); subscribers are the HSS's CSV
// (GenerateSubscribersCSV, ReadSubscribersCSV).
package loadtest
