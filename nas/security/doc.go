// Package security is the EPS security around the NAS codec: EPS-AKA with
// Milenage, the TS 33.401 Annex A key derivations, the EPS encryption and
// integrity algorithms EEA0-3 and EIA0-3, and the NAS security context that
// protects and unprotects NAS messages.
//
// Specifications (Release 17 unless noted):
//   - TS 33.102 §6.3 (UMTS AKA: AUTN, AUTS, re-synchronisation) and Annex C
//     (sequence number management), used by EPS-AKA.
//   - TS 35.205/35.206 (Milenage f1-f5*), with the test data of TS 35.208.
//   - TS 33.401 §6.1 (EPS-AKA), §7.2.4 (NAS security context), Annex A (key
//     derivations), Annex B (EEA and EIA), Annex C (test data).
//   - TS 24.301 §4.4 (NAS security: COUNT, integrity, ciphering), §9.1 (the
//     security protected message), §8.2.25 and §9.9.3.28 (SERVICE REQUEST
//     and its short MAC).
//
// The package is a pure codec-layer package: no I/O, goroutines or clocks.
package security
