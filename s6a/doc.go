// Package s6a holds the typed messages of the S6a interface between an
// MME and an HSS (3GPP TS 29.272 Release 17, §5 procedures, §7 protocol)
// and the Diameter base protocol messages the two peers exchange
// (IETF RFC 6733 §5.3 capabilities exchange, §5.4 disconnect, §5.5
// watchdog), on github.com/fiorix/go-diameter/v4's message and AVP types.
//
// Each message is a plain Go struct (AIR/AIA, ULR/ULA with
// Subscription-Data, PUR/PUA, CLR/CLA, IDR/IDA, DSR/DSA, CER/CEA, DWR/DWA,
// DPR/DPA) with an Encode method that builds a *diam.Message and a
// DecodeXXX function that reads one. Parse turns wire octets into a
// *diam.Message after checking the framing go-diameter does not check
// (AVP lengths, grouped nesting, fixed-size values), so bad input gets a
// *ProtocolError naming the Result-Code to answer with and never a panic.
// Decoders return *AVPError for missing or malformed AVPs.
//
// The dictionary (dictionary.xml, Dictionary) is ours: go-diameter v4.3.0
// ships an S6a dictionary, but it lacks IDA-Flags and gives
// Service-Selection and MIP6-Agent-Info the 3GPP vendor id.
//
// EMMCauseFor maps failed results to EMM causes per TS 29.272 Annex A.
//
// The package is a pure codec: no sockets, goroutines, clocks or logging.
// The peer that carries these messages over TCP is s6a/peer.
package s6a
