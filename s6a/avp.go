package s6a

import (
	"encoding/binary"
	"net/netip"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

// Flags of the AVP header (RFC 6733 §4.1).
const (
	flagM  = avp.Mbit
	flagV  = avp.Vbit
	flagMV = avp.Mbit | avp.Vbit
)

// Encoding helpers. The flags follow TS 29.272 Table 7.3.1/1 (and the
// tables of the specs the AVPs come from): an AVP with the 3GPP vendor id
// carries V, and M where its table says "must".

func base(code uint32, d datatype.Type) *diam.AVP { return diam.NewAVP(code, flagM, 0, d) }

func tgpp(code uint32, flags uint8, d datatype.Type) *diam.AVP {
	return diam.NewAVP(code, flags, Vendor3GPP, d)
}

func u32(code uint32, v uint32) *diam.AVP { return base(code, datatype.Unsigned32(v)) }

func ident(code uint32, s string) *diam.AVP { return base(code, datatype.DiameterIdentity(s)) }

func utf8(code uint32, s string) *diam.AVP { return base(code, datatype.UTF8String(s)) }

func tgppU32(code uint32, flags uint8, v uint32) *diam.AVP {
	return tgpp(code, flags, datatype.Unsigned32(v))
}

func tgppEnum(code uint32, flags uint8, v uint32) *diam.AVP {
	return tgpp(code, flags, datatype.Enumerated(int32(v)))
}

func tgppOctets(code uint32, b []byte) *diam.AVP {
	return tgpp(code, flagMV, datatype.OctetString(b))
}

func group(code uint32, flags uint8, vendor uint32, avps ...*diam.AVP) *diam.AVP {
	return diam.NewAVP(code, flags, vendor, &diam.GroupedAVP{AVP: avps})
}

func address(code uint32, flags uint8, vendor uint32, a netip.Addr) *diam.AVP {
	return diam.NewAVP(code, flags, vendor, datatype.Address(a.AsSlice()))
}

// newMessage builds a message of the S6a application (or the base protocol
// for appID 0) with its length computed.
//
// The ids are left zero for the sending peer. (Non-zero placeholders go to
// diam.NewMessage, which would otherwise draw random ids from the locked
// global source of math/rand for nothing.) The message takes avps as its
// AVP slice, without copying.
func newMessage(cmd uint32, flags uint8, appID uint32, avps []*diam.AVP) *diam.Message {
	m := diam.NewMessage(cmd, flags, appID, 1, 1, Dictionary())
	m.Header.HopByHopID, m.Header.EndToEndID = 0, 0
	n := 0
	for _, a := range avps {
		if a != nil {
			avps[n] = a
			n++
			m.Header.MessageLength += uint32(a.Len())
		}
	}
	m.AVP = avps[:n]
	return m
}

// vendorSpecificAppID is the Vendor-Specific-Application-Id of S6a
// (TS 29.272 §7.1.8, RFC 6733 §6.11).
func vendorSpecificAppID() *diam.AVP {
	return group(codeVendorSpecificApplicationID, flagM, 0,
		u32(codeVendorID, Vendor3GPP),
		u32(codeAuthApplicationID, ApplicationID))
}

// Decoding helpers. They read values whatever datatype go-diameter chose
// for the AVP (an AVP it did not know arrives as raw bytes), so a peer's
// dictionary quirks cannot turn a value into zero unnoticed.

func rawString(a *diam.AVP) (string, bool) {
	switch d := a.Data.(type) {
	case datatype.OctetString:
		return string(d), true
	case datatype.UTF8String:
		return string(d), true
	case datatype.DiameterIdentity:
		return string(d), true
	case datatype.DiameterURI:
		return string(d), true
	case datatype.Unknown:
		return string(d), true
	}
	return "", false
}

func asU32(a *diam.AVP) (uint32, error) {
	switch d := a.Data.(type) {
	case datatype.Unsigned32:
		return uint32(d), nil
	case datatype.Enumerated:
		return uint32(d), nil
	case datatype.Integer32:
		return uint32(d), nil
	case datatype.Unknown:
		if len(d) == 4 {
			return binary.BigEndian.Uint32(d), nil
		}
	}
	return 0, avpError(a.Code, ResultInvalidAVPLength, "not a 32-bit value")
}

func asBytes(a *diam.AVP) ([]byte, error) {
	s, err := asString(a)
	return []byte(s), err
}

func asString(a *diam.AVP) (string, error) {
	if s, ok := rawString(a); ok {
		return s, nil
	}
	return "", avpError(a.Code, ResultInvalidAVPValue, "not an octet string")
}

func asGroup(a *diam.AVP) ([]*diam.AVP, error) {
	if g, ok := a.Data.(*diam.GroupedAVP); ok {
		return g.AVP, nil
	}
	return nil, avpError(a.Code, ResultInvalidAVPValue, "not a grouped AVP")
}

func asAddress(a *diam.AVP) (netip.Addr, error) {
	switch d := a.Data.(type) {
	case datatype.Address:
		// go-diameter strips the address family of IPv4 and IPv6 values.
		switch len(d) {
		case 4:
			return netip.AddrFrom4([4]byte(d)), nil
		case 16:
			return netip.AddrFrom16([16]byte(d)), nil
		}
	case datatype.Unknown:
		// RFC 6733 §4.3.1 Address: 2-octet address family, then the address.
		if len(d) == 6 && d[0] == 0 && d[1] == 1 {
			return netip.AddrFrom4([4]byte(d[2:6])), nil
		}
		if len(d) == 18 && d[0] == 0 && d[1] == 2 {
			return netip.AddrFrom16([16]byte(d[2:18])), nil
		}
	}
	return netip.Addr{}, avpError(a.Code, ResultInvalidAVPValue, "not an IPv4 or IPv6 address")
}

// isAVP says whether a is the AVP code of vendor vendor (0 for IETF AVPs).
func isAVP(a *diam.AVP, code, vendor uint32) bool {
	return a.Code == code && a.VendorID == vendor
}

func enum(v int32) datatype.Enumerated { return datatype.Enumerated(v) }

func utf8Value(s string) datatype.UTF8String { return datatype.UTF8String(s) }
