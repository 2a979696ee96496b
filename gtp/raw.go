package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// RawIE is one IE as found on the wire (TS 29.274 §8.2): type, instance,
// value octets and, for grouped IEs, the IEs inside. Value aliases the
// buffer given to DecodeRaw.
type RawIE struct {
	Type     IEType
	Instance uint8
	Value    []byte
	Children []RawIE
}

// DecodeRaw checks the header of the GTPv2-C message in b and splits its
// IEs without interpreting them: what a tool or a test needs for a message
// type this package has no struct for. Errors are those of DecodeHeader, or
// a *DecodeError wrapping ErrInvalidMessageFormat when the IEs do not tile
// the message.
func DecodeRaw(b []byte) (Header, []RawIE, error) {
	setupGoGTP()
	h, payload, err := DecodeHeader(b)
	if err != nil {
		return h, nil, err
	}
	ies, err := ie.ParseMultiIEs(payload)
	if err != nil {
		return h, nil, newDecodeError(h.Type, ErrInvalidMessageFormat, err.Error())
	}
	return h, rawIEs(ies), nil
}

func rawIEs(ies []*ie.IE) []RawIE {
	if len(ies) == 0 {
		return nil
	}
	out := make([]RawIE, 0, len(ies))
	for _, i := range ies {
		r := RawIE{Type: IEType(i.Type), Instance: i.Instance(), Value: i.Payload}
		if i.IsGrouped() {
			r.Children = rawIEs(i.ChildIEs)
		}
		out = append(out, r)
	}
	return out
}
