// Package nas is the EPS NAS codec of the MME: the EMM and ESM messages of
// TS 24.301 (Release 17) §8, their information elements (§9.9) and the
// security header forms (§9.1, §9.3.1), turned from bytes into typed values
// and back, with the error handling of TS 24.301 §7.
//
// The package is pure: no I/O, goroutines, clocks, logging or package-level
// mutable state. Integrity protection and ciphering live in nas/security,
// which uses this package's SecurityProtected header.
package nas

//go:generate go run ./internal/nasgen
