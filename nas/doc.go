// Package nas is the EPS NAS codec of the MME: the EMM and ESM messages of
// TS 24.301 (Release 17) §8, their information elements (§9.9, with the
// TS 24.008 §10.5 IEs they reference) and the security header forms (§9.1,
// §9.3.1), turned from bytes into typed values and back, with the error
// handling of TS 24.301 §7.
//
// # Decoding
//
// Decode, DecodeUplink and DecodeDownlink (or a Decoder for options) return
// one Message: a pointer to a message type named after the spec
// (*AttachRequest, *SecurityModeCommand, *ActivateDefaultEPSBearerContextRequest,
// ...), a *ServiceRequest (the short form with security header type 12) or a
// *SecurityProtected envelope (header types 1-5). The envelope is not
// unprotected here: nas/security checks the MAC and deciphers, using this
// package's SecurityProtected and ParseSecurityProtected; when the message
// part is known to be plain, SecurityProtected.Inner decodes it. An ESM
// message carried in an ESM message container is kept as bytes
// (ESMMessageContainer) and decoded with its Decode method.
//
// Mandatory IEs are fields of their type, optional IEs pointers or nil-able
// slices that are nil when absent. Decoding allocates the message once (with
// its optional values) and copies the input once; Decoder.NoCopy makes byte
// fields alias the input instead.
//
// # Errors
//
// Every error is an *Error naming the message and the IE and carrying the
// cause to answer with, wrapping a sentinel: #96 invalid mandatory
// information (ErrInvalidMandatoryInformation, ErrTooShort), #97
// (ErrMessageTypeNonExistent), #98 (ErrMessageTypeNotCompatible), #100
// (ErrConditionalIE), or cause 0 for messages TS 24.301 §7.2 says to ignore.
// Unknown, repeated and syntactically incorrect optional IEs are skipped as
// §7.6 and §7.7.1 require and reported through Decoder.Irregular (an unknown
// IE with cause #99 in mind). No input makes a decoder panic; the fuzz
// targets FuzzDecode, FuzzParseSecurityProtected and FuzzIEValues check it.
//
// # Encoding
//
// Encode and AppendEncode write any Message; AppendEncode into a caller's
// buffer without allocating. Values that do not fit their IE give an *Error
// wrapping ErrInvalidValue.
//
// # Generated code
//
// The message structs, decoders and encoders in messages_gen.go are
// generated from the message tables in internal/nasgen/spec.go (go generate);
// IE value types are hand-written. The package is pure: no I/O, goroutines,
// clocks, logging or package-level mutable state.
package nas

//go:generate go run ./internal/nasgen
