package s1ap

// Name renders the cause as "group:value" with the ASN.1 names of
// TS 36.413 §9.2.1.3 ("radioNetwork:unspecified", "misc:unknown-PLMN"),
// for logs, metrics labels and outcomes. It returns "" when no
// alternative of the CHOICE is set.
func (v Cause) Name() string {
	switch v.Choice {
	case CauseChoiceRadioNetwork:
		return "radioNetwork:" + v.RadioNetwork.String()
	case CauseChoiceTransport:
		return "transport:" + v.Transport.String()
	case CauseChoiceNas:
		return "nas:" + v.Nas.String()
	case CauseChoiceProtocol:
		return "protocol:" + v.Protocol.String()
	case CauseChoiceMisc:
		return "misc:" + v.Misc.String()
	}
	return ""
}
