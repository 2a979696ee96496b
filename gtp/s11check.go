package gtp

// CheckS11 applies the conditions of TS 29.274 that hold on the S11
// interface and that Decode, which also reads S5/S8 captures, leaves to the
// receiver. It returns nil or a *DecodeError wrapping
// ErrConditionalIEMissing (cause #103) or ErrMandatoryIEIncorrect (#69):
//
//   - an accepted Create Session Response carries the S11/S4 SGW GTP-C
//     F-TEID (Table 7.2.2-1: "shall be included on the S11/S4 interface")
//     and, per accepted bearer, the S1-U SGW F-TEID (Table 7.2.2-2);
//   - a Create Bearer Request carries, per bearer, the S1-U SGW F-TEID
//     (Table 7.2.3-2: sent on S11 when S1-U is used, as in E-UTRAN);
//   - a Create Session Request's sender F-TEID is an S11 MME GTP-C one.
//
// Other messages pass.
func CheckS11(m Message) error {
	switch m := m.(type) {
	case *CreateSessionResponse:
		if !m.Cause.Accepted() {
			return nil
		}
		if m.SenderFTEID.IsZero() {
			return conditionalMissing(IEFTEID, 0, "accepted on S11 without the SGW S11 F-TEID").toDecodeError(m.MessageType())
		}
		if m.SenderFTEID.Interface != IfS11S4SGWGTPC {
			return problem(ErrMandatoryIEIncorrect, IEID{IEFTEID, 0}, nil,
				"sender F-TEID of interface "+m.SenderFTEID.Interface.String()).toDecodeError(m.MessageType())
		}
		for _, bc := range m.BearerContextsCreated {
			if bc.Cause.Accepted() && bc.S1USGWFTEID.IsZero() {
				within := IEID{IEBearerContext, 0}
				return problem(ErrConditionalIEMissing, IEID{IEFTEID, 0}, &within,
					"accepted bearer without the S1-U SGW F-TEID").toDecodeError(m.MessageType())
			}
		}
	case *CreateBearerRequest:
		for _, bc := range m.BearerContexts {
			if bc.S1USGWFTEID.IsZero() {
				within := IEID{IEBearerContext, 0}
				return problem(ErrConditionalIEMissing, IEID{IEFTEID, 0}, &within,
					"bearer without the S1-U SGW F-TEID").toDecodeError(m.MessageType())
			}
		}
	case *CreateSessionRequest:
		if m.SenderFTEID.Interface != IfS11MMEGTPC {
			return problem(ErrMandatoryIEIncorrect, IEID{IEFTEID, 0}, nil,
				"sender F-TEID of interface "+m.SenderFTEID.Interface.String()).toDecodeError(m.MessageType())
		}
	}
	return nil
}
