// Package gen generates the S1AP codec (package s1ap) from the TS 36.413
// ASN.1 module (3GPP TS 36.413 V17.4.0 §9.3, seven files in s1ap/asn1).
//
// It parses the subset of X.680/X.681/X.683 that the module uses (types,
// constants, information object classes and sets, parameterized container
// types), resolves every type assignment to a Go type, and emits
// straight-line ALIGNED PER encoders and decoders (X.691) per type: no
// reflection on the encode/decode path. See docs/design/s1ap.md.
package gen
