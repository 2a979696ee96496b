// Package aper holds the bit-level primitives of ASN.1 ALIGNED PER
// (ITU-T X.691 (02/2021), the ALIGNED variant) used by the generated S1AP
// codec: constrained, semi-constrained and unconstrained whole numbers
// (§10.5-10.8), normally small numbers (§10.6), length determinants with
// fragmentation (§10.9), and open types (§11.2).
//
// The Encoder appends to a caller's slice and never allocates beyond growing
// it; the Decoder reads a byte slice and returns octet strings that alias
// it. Neither panics on any input. Type-level rules (SEQUENCE preambles,
// CHOICE indexes, SIZE constraints) live in the generated code of package
// s1ap, which calls these primitives in straight-line order.
package aper
