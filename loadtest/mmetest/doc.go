// Package mmetest is a minimal MME for tests and benchmarks of the load
// tester (loadtest and cmd/mme): it answers the simulated eNodeBs and UEs over real S1
// associations (or in process) with real S1AP, NAS and NAS security (the
// MME role of nas/security: Milenage vectors, SMC, MAC checks both ways,
// K_eNB, NH/NCC), so that the tester can be tested while the product's MME
// (node/, session/) is built elsewhere. A test helper that fakes a peer:
// nothing in the product uses it.
//
// It covers S1 Setup (with the unknown-PLMN check of TS 36.413 §8.7.3.3),
// Reset, attach (IMSI, known and unknown GUTI, AKA with MAC and synch
// failures, SMC, ESM information, initial context setup), detach, S1
// release, TAU (with GUTI reallocation and the active flag), service
// request and extended service request, paging, X2 (path switch) and S1
// handover (with cancel), PDN connectivity and disconnect, and dedicated
// bearers. State is guarded by one mutex: throughput is not its purpose.
package mmetest
