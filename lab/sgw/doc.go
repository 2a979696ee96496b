// Package sgw is the SGW emulator of the lab (`mme sgw-emu`): an SGW-C and
// PGW-C in one process, on S11 (3GPP TS 29.274, TS 23.401 §5.3, §5.4), for
// the MME's tests, demo and load tests. It is not an SGW: there is no user
// plane, and state is in memory.
//
// It behaves as an SGW does towards the MME:
//
//   - Create Session: allocates its S11 TEID (in the s11 endpoint's TEID
//     table), the S5/S8 PGW control TEID, per bearer the S1-U SGW and
//     S5/S8-U PGW F-TEIDs and a charging ID, UE addresses from the IPv4
//     and/or IPv6 pools (IPv4v6 downgraded with cause #18 when one pool is
//     missing, #84 when a pool is exhausted), and authorises the bearer QoS
//     and APN-AMBR the MME sends (TS 23.401 §5.3.2.1 steps 12-16);
//   - Modify Bearer: records the eNodeB S1-U F-TEIDs, the UE is active;
//   - Release Access Bearers: drops them, the UE is idle (§5.3.5);
//   - Delete Session: releases the PDN connection, and the UE context with
//     the last one (§5.3.8);
//   - Delete Bearer Command: answered by a Delete Bearer Request with the
//     command's sequence number (§5.4.4.2);
//   - Create / Delete Indirect Data Forwarding Tunnel: allocates forwarding
//     TEIDs towards the target eNodeB's and releases them (§5.5.1.2.2 steps
//     8a, 21), or answers #106 after SetDataForwarding(false);
//   - network-initiated, on an admin call or at a configured rate: Downlink
//     Data Notification for idle UEs (§5.3.4.3), Create, Update and Delete
//     Bearer Requests (§5.4.1, §5.4.2, §5.4.4.1).
//
// The admin API is AdminHandler (HTTP/JSON). The emulator's goroutines: the
// s11 endpoint's two, the optional DDN generator (ended by Close), and the
// callers' of the admin API.
package sgw
