package nas

import (
	"encoding/json"
	"fmt"
)

// ProtocolConfigurationOptions is the value part of the protocol
// configuration options IE (TS 24.301 §9.9.4.11, TS 24.008 §10.5.6.3) or of
// the extended protocol configuration options IE (§9.9.4.26, same coding in
// a TLV-E), kept as received. Parse gives a view of its containers;
// NewProtocolConfigurationOptions builds one.
//
// Octet 1: bit 8 extension (1), bits 3-1 configuration protocol (0: PPP
// for use with IP PDP type or IP PDN type). Then containers: identifier (2
// octets), length (1 octet), contents.
type ProtocolConfigurationOptions []byte

// PCO container identifiers, TS 24.008 §10.5.6.3 (the direction decides the
// meaning: UE to network is the request, network to UE the answer).
const (
	PCOPCSCFIPv6Address           uint16 = 0x0001
	PCOIMCNSubsystemSignalingFlag uint16 = 0x0002
	PCODNSServerIPv6Address       uint16 = 0x0003
	PCOBearerControlMode          uint16 = 0x0005 // MS support of network requested bearer control indicator / selected bearer control mode
	PCOIPAddressAllocationViaNAS  uint16 = 0x000a
	PCOPCSCFIPv4Address           uint16 = 0x000c
	PCODNSServerIPv4Address       uint16 = 0x000d
	PCOIPv4LinkMTU                uint16 = 0x0010
	PCOLCP                        uint16 = 0xc021
	PCOPAP                        uint16 = 0xc023
	PCOCHAP                       uint16 = 0xc223
	PCOIPCP                       uint16 = 0x8021
)

// PCOContainer is one protocol or container of a PCO (TS 24.008 §10.5.6.3):
// its identifier and contents (at most 253 octets).
type PCOContainer struct {
	ID       uint16
	Contents Octets
}

// PCO is the parsed view of ProtocolConfigurationOptions.
type PCO struct {
	ConfigurationProtocol uint8
	Containers            []PCOContainer
}

// Parse splits the PCO into containers. Contents alias p. It fails when a
// container's length runs past the end (TS 24.008 §10.5.6.3).
func (p ProtocolConfigurationOptions) Parse() (PCO, error) {
	if len(p) < 1 {
		return PCO{}, fmt.Errorf("%w: empty protocol configuration options", ErrInvalidValue)
	}
	out := PCO{ConfigurationProtocol: p[0] & 7}
	for i := 1; i < len(p); {
		if i+3 > len(p) {
			return out, fmt.Errorf("%w: PCO container header at octet %d truncated", ErrInvalidValue, i+3)
		}
		id, n := uint16(p[i])<<8|uint16(p[i+1]), int(p[i+2])
		if i+3+n > len(p) {
			return out, fmt.Errorf("%w: PCO container 0x%04x of %d octets truncated", ErrInvalidValue, id, n)
		}
		out.Containers = append(out.Containers, PCOContainer{ID: id, Contents: Octets(p[i+3 : i+3+n])})
		i += 3 + n
	}
	return out, nil
}

// NewProtocolConfigurationOptions encodes containers with configuration
// protocol PPP (0). It returns ErrInvalidValue for contents over 255 octets.
func NewProtocolConfigurationOptions(containers ...PCOContainer) (ProtocolConfigurationOptions, error) {
	n := 1
	for _, c := range containers {
		n += 3 + len(c.Contents)
	}
	b := make([]byte, 0, n)
	b = append(b, 0x80)
	for _, c := range containers {
		if len(c.Contents) > 255 {
			return nil, fmt.Errorf("%w: PCO container 0x%04x of %d octets", ErrInvalidValue, c.ID, len(c.Contents))
		}
		b = append(b, byte(c.ID>>8), byte(c.ID), byte(len(c.Contents)))
		b = append(b, c.Contents...)
	}
	return b, nil
}

// MarshalJSON shows the parsed containers, or the hex octets when they do
// not parse.
func (p ProtocolConfigurationOptions) MarshalJSON() ([]byte, error) {
	v, err := p.Parse()
	if err != nil {
		return json.Marshal(Octets(p))
	}
	return json.Marshal(v)
}

func (p *ProtocolConfigurationOptions) decode(v []byte) error {
	if len(v) < 1 {
		return lengthError(0, 1, 253)
	}
	*p = v
	return nil
}

func (p ProtocolConfigurationOptions) appendTo(dst []byte) ([]byte, error) {
	return append(dst, p...), nil
}

// TrafficFlowTemplate is the value part of the traffic flow template IE (TS
// 24.301 §9.9.4.16, TS 24.008 §10.5.6.12), also used for the traffic flow
// aggregate description. It is kept as received: its semantic and syntactic
// errors are answered by the ESM procedures with causes #41 to #45 (TS 24.301
// §6.4.2.4), not by the codec. Parse gives a view.
type TrafficFlowTemplate []byte

// TFTOperationCode is the TFT operation code (TS 24.008 table 10.5.162).
type TFTOperationCode uint8

// TFT operation codes, TS 24.008 table 10.5.162.
const (
	TFTIgnore               TFTOperationCode = 0 // "ignore this IE" (Rel-11 and later)
	TFTCreateNew            TFTOperationCode = 1
	TFTDeleteExisting       TFTOperationCode = 2
	TFTAddPacketFilters     TFTOperationCode = 3
	TFTReplacePacketFilters TFTOperationCode = 4
	TFTDeletePacketFilters  TFTOperationCode = 5
	TFTNoOperation          TFTOperationCode = 6
)

// PacketFilter is one packet filter of a TFT (TS 24.008 §10.5.6.12).
// For TFTDeletePacketFilters only Identifier is set.
type PacketFilter struct {
	// Direction: 0 pre-Rel-7, 1 downlink only, 2 uplink only, 3 bidirectional.
	Direction  uint8
	Identifier uint8 // 0-15
	Precedence uint8
	// Components are the packet filter contents (component type identifier
	// and value pairs), unparsed.
	Components Octets `json:",omitempty"`
}

// TFTParameter is one parameter of the TFT parameters list (E bit set).
type TFTParameter struct {
	ID       uint8
	Contents Octets
}

// TFT is the parsed view of a TrafficFlowTemplate.
type TFT struct {
	Operation     TFTOperationCode
	PacketFilters []PacketFilter `json:",omitempty"`
	Parameters    []TFTParameter `json:",omitempty"`
}

// Parse reads the TFT structure (TS 24.008 §10.5.6.12). It returns
// ErrInvalidValue when the filters or parameters overrun the IE; the ESM
// layer maps that to #42 or #45.
func (t TrafficFlowTemplate) Parse() (TFT, error) {
	if len(t) < 1 {
		return TFT{}, fmt.Errorf("%w: empty traffic flow template", ErrInvalidValue)
	}
	out := TFT{Operation: TFTOperationCode(t[0] >> 5)}
	e := t[0]&0x10 != 0
	n := int(t[0] & 0x0f)
	i := 1
	for f := 0; f < n; f++ {
		if out.Operation == TFTDeletePacketFilters {
			if i >= len(t) {
				return out, fmt.Errorf("%w: TFT packet filter identifier %d of %d missing", ErrInvalidValue, f+1, n)
			}
			out.PacketFilters = append(out.PacketFilters, PacketFilter{Identifier: t[i] & 0x0f})
			i++
			continue
		}
		if i+3 > len(t) {
			return out, fmt.Errorf("%w: TFT packet filter %d of %d truncated", ErrInvalidValue, f+1, n)
		}
		l := int(t[i+2])
		if i+3+l > len(t) {
			return out, fmt.Errorf("%w: TFT packet filter %d contents of %d octets truncated", ErrInvalidValue, f+1, l)
		}
		out.PacketFilters = append(out.PacketFilters, PacketFilter{
			Direction: t[i] >> 4 & 3, Identifier: t[i] & 0x0f, Precedence: t[i+1], Components: Octets(t[i+3 : i+3+l]),
		})
		i += 3 + l
	}
	if e {
		for i < len(t) {
			if i+2 > len(t) || i+2+int(t[i+1]) > len(t) {
				return out, fmt.Errorf("%w: TFT parameter at octet %d truncated", ErrInvalidValue, i)
			}
			l := int(t[i+1])
			out.Parameters = append(out.Parameters, TFTParameter{ID: t[i], Contents: Octets(t[i+2 : i+2+l])})
			i += 2 + l
		}
	}
	return out, nil
}

// MarshalJSON shows the parsed TFT, or hex when it does not parse.
func (t TrafficFlowTemplate) MarshalJSON() ([]byte, error) {
	v, err := t.Parse()
	if err != nil {
		return json.Marshal(Octets(t))
	}
	return json.Marshal(v)
}

func (t *TrafficFlowTemplate) decode(v []byte) error {
	if len(v) < 1 {
		return lengthError(0, 1, 255)
	}
	*t = v
	return nil
}

func (t TrafficFlowTemplate) appendTo(dst []byte) ([]byte, error) { return append(dst, t...), nil }
