// Package s1ap is the S1 Application Protocol codec of the MME: every
// S1AP-PDU of 3GPP TS 36.413 V17.4.0 (Release 17), §9 (message and IE
// definitions) and §9.3 (the ASN.1 module, copied in asn1/), encoded in
// ASN.1 ALIGNED PER (ITU-T X.691) as TS 36.413 §9.3.0 requires.
//
// The message and IE types, their encoders and decoders, and the
// elementary procedure table are generated from the ASN.1 module by
// internal/gen (go generate ./s1ap/...): straight-line code per type, no
// reflection. Names follow the spec: message types are the ASN.1 message
// names (InitialUEMessage, HandoverRequest), IE fields are the IE names of
// the object sets (MMEUES1APID for id-MME-UE-S1AP-ID), component fields the
// ASN.1 component names. Mandatory IEs are values; optional IEs are
// Optional[T] held inline.
//
// Decoding (Decode, Decoder) reports transfer syntax errors (§10.2) as
// *SyntaxError, and abstract syntax errors (§10.3: unknown, not
// comprehended, missing, repeated or misordered IEs, unknown procedures) as
// *ProtocolError together with the decoded PDU, with the §10.3.4 action,
// the cause and the Criticality Diagnostics to answer with. Decoding is
// strict by default; Decoder{Lenient: true} accepts what real eNodeBs get
// wrong. Encoding (PDU.AppendEncode) appends to a caller's buffer.
//
// The package is pure: no I/O, goroutines or globals beyond constant tables.
package s1ap
