// Command mme is the MME node (TS 23.401) and its lab peers, as one binary.
//
// Subcommands:
//
//	mme decode s1ap|nas   decode hex PDUs to JSON (codec debugging and conformance)
//
// Later subcommands (serve, demo, hss, sgw-emu, loadtest, ctl) arrive with
// their issues; see README.md.
//
// This package only wires: flags and config into the packages that do the work.
package main
