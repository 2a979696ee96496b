package s6a

import (
	"net/netip"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

// Disconnect-Cause values (RFC 6733 §5.4.3).
const (
	DisconnectRebooting            uint32 = 0
	DisconnectBusy                 uint32 = 1
	DisconnectDoNotWantToTalkToYou uint32 = 2
)

// RelayApplicationID is the relay application (RFC 6733 §2.4): a peer
// advertising it relays every application.
const RelayApplicationID uint32 = 0xffffffff

// Capabilities is the content of a CER or CEA (RFC 6733 §5.3.1, §5.3.2):
// who the peer is and what it supports.
type Capabilities struct {
	OriginHost         string
	OriginRealm        string
	HostIPAddresses    []netip.Addr
	VendorID           uint32
	ProductName        string
	OriginStateID      uint32 // 0 when absent
	SupportedVendorIDs []uint32
	AuthApplicationIDs []uint32
	VendorSpecificApps []VendorSpecificApp
	FirmwareRevision   uint32 // 0 when absent
}

// VendorSpecificApp is one Vendor-Specific-Application-Id (RFC 6733 §6.11).
type VendorSpecificApp struct {
	VendorID          uint32
	AuthApplicationID uint32
	AcctApplicationID uint32
}

// SupportsS6a reports whether the capabilities include S6a, plainly or as
// a vendor-specific application of 3GPP, or the relay application
// (RFC 6733 §5.3; TS 29.272 §7.1.8).
func (c *Capabilities) SupportsS6a() bool {
	for _, id := range c.AuthApplicationIDs {
		if id == ApplicationID || id == RelayApplicationID {
			return true
		}
	}
	for _, v := range c.VendorSpecificApps {
		if v.AuthApplicationID == ApplicationID || v.AuthApplicationID == RelayApplicationID {
			return true
		}
	}
	return false
}

// CER is a Capabilities-Exchange-Request (RFC 6733 §5.3.1).
type CER struct{ Capabilities }

// CEA is a Capabilities-Exchange-Answer (RFC 6733 §5.3.2).
type CEA struct {
	Capabilities
	Result       Result
	ErrorMessage string
}

func (c *Capabilities) avps() []*diam.AVP {
	avps := []*diam.AVP{ident(codeOriginHost, c.OriginHost), ident(codeOriginRealm, c.OriginRealm)}
	for _, ip := range c.HostIPAddresses {
		avps = append(avps, address(codeHostIPAddress, flagM, 0, ip))
	}
	avps = append(avps,
		u32(codeVendorID, c.VendorID),
		diam.NewAVP(codeProductName, 0, 0, datatype.UTF8String(c.ProductName)))
	if c.OriginStateID != 0 {
		avps = append(avps, u32(codeOriginStateID, c.OriginStateID))
	}
	for _, v := range c.SupportedVendorIDs {
		avps = append(avps, u32(codeSupportedVendorID, v))
	}
	for _, id := range c.AuthApplicationIDs {
		avps = append(avps, u32(codeAuthApplicationID, id))
	}
	for _, v := range c.VendorSpecificApps {
		in := []*diam.AVP{u32(codeVendorID, v.VendorID)}
		if v.AuthApplicationID != 0 {
			in = append(in, u32(codeAuthApplicationID, v.AuthApplicationID))
		}
		if v.AcctApplicationID != 0 {
			in = append(in, u32(codeAcctApplicationID, v.AcctApplicationID))
		}
		avps = append(avps, group(codeVendorSpecificApplicationID, flagM, 0, in...))
	}
	if c.FirmwareRevision != 0 {
		avps = append(avps, diam.NewAVP(codeFirmwareRevision, 0, 0, datatype.Unsigned32(c.FirmwareRevision)))
	}
	return avps
}

func (c *Capabilities) take(a *diam.AVP) (bool, error) {
	if a.VendorID != 0 {
		return false, nil
	}
	var err error
	var v uint32
	switch a.Code {
	case codeOriginHost:
		c.OriginHost, err = asString(a)
	case codeOriginRealm:
		c.OriginRealm, err = asString(a)
	case codeHostIPAddress:
		var ip netip.Addr
		if ip, err = asAddress(a); err == nil {
			c.HostIPAddresses = append(c.HostIPAddresses, ip)
		}
	case codeVendorID:
		c.VendorID, err = asU32(a)
	case codeProductName:
		c.ProductName, err = asString(a)
	case codeOriginStateID:
		c.OriginStateID, err = asU32(a)
	case codeSupportedVendorID:
		v, err = asU32(a)
		c.SupportedVendorIDs = append(c.SupportedVendorIDs, v)
	case codeAuthApplicationID:
		v, err = asU32(a)
		c.AuthApplicationIDs = append(c.AuthApplicationIDs, v)
	case codeVendorSpecificApplicationID:
		var g []*diam.AVP
		if g, err = asGroup(a); err != nil {
			return true, err
		}
		var app VendorSpecificApp
		err = forEach(g, func(x *diam.AVP) (err error) {
			switch {
			case isAVP(x, codeVendorID, 0):
				app.VendorID, err = asU32(x)
			case isAVP(x, codeAuthApplicationID, 0):
				app.AuthApplicationID, err = asU32(x)
			case isAVP(x, codeAcctApplicationID, 0):
				app.AcctApplicationID, err = asU32(x)
			}
			return err
		})
		c.VendorSpecificApps = append(c.VendorSpecificApps, app)
	case codeFirmwareRevision:
		c.FirmwareRevision, err = asU32(a)
	default:
		return false, nil
	}
	return true, err
}

func (c *Capabilities) check() error {
	switch {
	case c.OriginHost == "":
		return missing(codeOriginHost)
	case c.OriginRealm == "":
		return missing(codeOriginRealm)
	}
	return nil
}

// Encode builds the request.
func (r *CER) Encode() *diam.Message {
	return newMessage(CmdCapabilitiesExchange, diam.RequestFlag, 0, r.Capabilities.avps())
}

// DecodeCER decodes a Capabilities-Exchange-Request.
func DecodeCER(m *diam.Message) (*CER, error) {
	if err := checkCommand(m, CmdCapabilitiesExchange, true); err != nil {
		return nil, err
	}
	r := &CER{}
	err := forEach(m.AVP, func(a *diam.AVP) error {
		_, err := r.take(a)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, r.check()
}

// Encode builds the answer.
func (r *CEA) Encode() *diam.Message {
	avps := append([]*diam.AVP{r.Result.avp()}, r.Capabilities.avps()...)
	if r.ErrorMessage != "" {
		avps = append(avps, diam.NewAVP(codeErrorMessage, 0, 0, datatype.UTF8String(r.ErrorMessage)))
	}
	flags := uint8(0)
	if r.Result.Code >= 3000 && r.Result.Code < 4000 {
		flags = diam.ErrorFlag
	}
	return newMessage(CmdCapabilitiesExchange, flags, 0, avps)
}

// DecodeCEA decodes a Capabilities-Exchange-Answer.
func DecodeCEA(m *diam.Message) (*CEA, error) {
	if err := checkCommand(m, CmdCapabilitiesExchange, false); err != nil {
		return nil, err
	}
	r := &CEA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		if ok, err := r.take(a); ok {
			return err
		}
		switch {
		case isAVP(a, codeResultCode, 0):
			r.Result.Code, err = asU32(a)
		case isAVP(a, codeErrorMessage, 0):
			r.ErrorMessage, err = asString(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Result.Code == 0 {
		return nil, missing(codeResultCode)
	}
	return r, r.check()
}

// DWR is a Device-Watchdog-Request (RFC 6733 §5.5.1).
type DWR struct {
	OriginHost    string
	OriginRealm   string
	OriginStateID uint32 // 0 when absent
}

// DWA is a Device-Watchdog-Answer (RFC 6733 §5.5.2).
type DWA struct {
	Result        Result
	OriginHost    string
	OriginRealm   string
	OriginStateID uint32
}

// Encode builds the request.
func (r *DWR) Encode() *diam.Message {
	avps := []*diam.AVP{ident(codeOriginHost, r.OriginHost), ident(codeOriginRealm, r.OriginRealm)}
	if r.OriginStateID != 0 {
		avps = append(avps, u32(codeOriginStateID, r.OriginStateID))
	}
	return newMessage(CmdDeviceWatchdog, diam.RequestFlag, 0, avps)
}

// DecodeDWR decodes a Device-Watchdog-Request.
func DecodeDWR(m *diam.Message) (*DWR, error) {
	if err := checkCommand(m, CmdDeviceWatchdog, true); err != nil {
		return nil, err
	}
	r := &DWR{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		switch {
		case isAVP(a, codeOriginHost, 0):
			r.OriginHost, err = asString(a)
		case isAVP(a, codeOriginRealm, 0):
			r.OriginRealm, err = asString(a)
		case isAVP(a, codeOriginStateID, 0):
			r.OriginStateID, err = asU32(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.OriginHost == "" {
		return nil, missing(codeOriginHost)
	}
	return r, nil
}

// Encode builds the answer.
func (r *DWA) Encode() *diam.Message {
	avps := []*diam.AVP{r.Result.avp(), ident(codeOriginHost, r.OriginHost), ident(codeOriginRealm, r.OriginRealm)}
	if r.OriginStateID != 0 {
		avps = append(avps, u32(codeOriginStateID, r.OriginStateID))
	}
	return newMessage(CmdDeviceWatchdog, 0, 0, avps)
}

// DecodeDWA decodes a Device-Watchdog-Answer.
func DecodeDWA(m *diam.Message) (*DWA, error) {
	if err := checkCommand(m, CmdDeviceWatchdog, false); err != nil {
		return nil, err
	}
	r := &DWA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		switch {
		case isAVP(a, codeResultCode, 0):
			r.Result.Code, err = asU32(a)
		case isAVP(a, codeOriginHost, 0):
			r.OriginHost, err = asString(a)
		case isAVP(a, codeOriginRealm, 0):
			r.OriginRealm, err = asString(a)
		case isAVP(a, codeOriginStateID, 0):
			r.OriginStateID, err = asU32(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Result.Code == 0 {
		return nil, missing(codeResultCode)
	}
	return r, nil
}

// DPR is a Disconnect-Peer-Request (RFC 6733 §5.4.1).
type DPR struct {
	OriginHost      string
	OriginRealm     string
	DisconnectCause uint32
}

// DPA is a Disconnect-Peer-Answer (RFC 6733 §5.4.2).
type DPA struct {
	Result      Result
	OriginHost  string
	OriginRealm string
}

// Encode builds the request.
func (r *DPR) Encode() *diam.Message {
	return newMessage(CmdDisconnectPeer, diam.RequestFlag, 0, []*diam.AVP{
		ident(codeOriginHost, r.OriginHost), ident(codeOriginRealm, r.OriginRealm),
		base(codeDisconnectCause, enum(int32(r.DisconnectCause)))})
}

// DecodeDPR decodes a Disconnect-Peer-Request.
func DecodeDPR(m *diam.Message) (*DPR, error) {
	if err := checkCommand(m, CmdDisconnectPeer, true); err != nil {
		return nil, err
	}
	r := &DPR{}
	haveCause := false
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		switch {
		case isAVP(a, codeOriginHost, 0):
			r.OriginHost, err = asString(a)
		case isAVP(a, codeOriginRealm, 0):
			r.OriginRealm, err = asString(a)
		case isAVP(a, codeDisconnectCause, 0):
			r.DisconnectCause, err = asU32(a)
			haveCause = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !haveCause {
		return nil, missing(codeDisconnectCause)
	}
	return r, nil
}

// Encode builds the answer.
func (r *DPA) Encode() *diam.Message {
	return newMessage(CmdDisconnectPeer, 0, 0, []*diam.AVP{
		r.Result.avp(), ident(codeOriginHost, r.OriginHost), ident(codeOriginRealm, r.OriginRealm)})
}

// DecodeDPA decodes a Disconnect-Peer-Answer.
func DecodeDPA(m *diam.Message) (*DPA, error) {
	if err := checkCommand(m, CmdDisconnectPeer, false); err != nil {
		return nil, err
	}
	r := &DPA{}
	err := forEach(m.AVP, func(a *diam.AVP) (err error) {
		switch {
		case isAVP(a, codeResultCode, 0):
			r.Result.Code, err = asU32(a)
		case isAVP(a, codeOriginHost, 0):
			r.OriginHost, err = asString(a)
		case isAVP(a, codeOriginRealm, 0):
			r.OriginRealm, err = asString(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Result.Code == 0 {
		return nil, missing(codeResultCode)
	}
	return r, nil
}

// ErrorAnswer is an answer that reports a failure for any request
// (RFC 6733 §7.2): the E bit is set for protocol errors (3xxx).
type ErrorAnswer struct {
	SessionID    string // "" for base protocol requests
	OriginHost   string
	OriginRealm  string
	Result       Result
	ErrorMessage string
	FailedAVP    *diam.AVP // RFC 6733 §7.5: the offending AVP, if known
}

// Encode builds the answer to the request whose header is req, with its
// command, application and ids.
func (e *ErrorAnswer) Encode(req *diam.Header) *diam.Message {
	var avps []*diam.AVP
	if e.SessionID != "" {
		avps = append(avps, utf8(codeSessionID, e.SessionID))
	}
	avps = append(avps, e.Result.avp(), ident(codeOriginHost, e.OriginHost), ident(codeOriginRealm, e.OriginRealm))
	if req.ApplicationID == ApplicationID {
		avps = append(avps, base(codeAuthSessionState, enum(noStateMaintained)))
	}
	if e.ErrorMessage != "" {
		avps = append(avps, diam.NewAVP(codeErrorMessage, 0, 0, datatype.UTF8String(e.ErrorMessage)))
	}
	if e.FailedAVP != nil {
		avps = append(avps, group(codeFailedAVP, flagM, 0, e.FailedAVP))
	}
	flags := req.CommandFlags & diam.ProxiableFlag
	if e.Result.VendorID == 0 && e.Result.Code >= 3000 && e.Result.Code < 4000 {
		flags |= diam.ErrorFlag
	}
	m := newMessage(req.CommandCode, flags, req.ApplicationID, avps)
	m.Header.HopByHopID, m.Header.EndToEndID = req.HopByHopID, req.EndToEndID
	return m
}
