// Package hss is the lab Home Subscriber Server of the project, run as
// `mme hss`: the HSS side of S6a (3GPP TS 29.272 Release 17) over TCP with
// s6a/peer, for the demo, the load tester and the end-to-end tests.
//
// It keeps subscribers (IMSI, K, OPc, AMF, SQN, MSISDN, default APN and
// QoS) in badger and serves:
//
//   - Authentication-Information (TS 29.272 §5.2.3.1): up to 5 E-UTRAN
//     vectors per request with Milenage and the TS 33.401 K_ASME from
//     nas/security; SQN = SEQ || IND with a 5-bit IND (TS 33.102 Annex
//     C.3.2 profile), SEQ +1 and IND cycling per vector, stored in the same
//     transaction; re-synchronisation from RAND || AUTS (TS 33.102 §6.3.5).
//   - Update-Location (§5.2.1.1): the subscription data with the APN
//     configuration profile, the serving MME stored, Cancel-Location to the
//     previous MME.
//   - Purge-UE (§5.2.1.3) and Cancel-Location on subscriber deletion
//     (§5.2.1.2, SUBSCRIPTION_WITHDRAWAL).
//
// Subscribers come from CSV (ImportCSV) and the REST API (Handler).
// Requests run on a bounded worker pool; a full queue is answered with
// DIAMETER_TOO_BUSY.
package hss
