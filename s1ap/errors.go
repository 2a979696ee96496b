package s1ap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// IssueKind says what is wrong with one IE of a received message
// (TS 36.413 §10.3.1 lists the cases).
type IssueKind uint8

// Kinds of IE issues.
const (
	// IssueUnknownIE: the IE id is not in the message's object set
	// (§10.3.1 case 1, "not comprehended"); handled by its received
	// criticality (§10.3.4.1).
	IssueUnknownIE IssueKind = iota + 1
	// IssueNotComprehended: the IE is known but its value is not
	// understood: an unknown extension value or alternative, or a value
	// outside its logical range such as a PLMN identity with non-decimal
	// digits (§10.3.1 cases 1 and 2, strict mode for semantic checks).
	IssueNotComprehended
	// IssueMissing: a mandatory IE is absent (§10.3.1 case 3); handled by
	// the criticality this release gives the IE (§10.3.4.2).
	IssueMissing
	// IssueDuplicate: the IE occurs more than once (§10.3.1 case 4):
	// abstract syntax error (falsely constructed message), the procedure
	// is rejected (§10.3.6). Only the first occurrence is kept.
	IssueDuplicate
	// IssueWrongOrder: the IE comes after one that its object set lists
	// later (§10.3.1 case 4, §10.3.6). Strict mode only.
	IssueWrongOrder
	// IssueWrongCriticality: a known IE carries a criticality other than
	// the one TS 36.413 assigns it. The value is used; reported in strict
	// mode only, it does not by itself change the action.
	IssueWrongCriticality
)

var issueNames = [...]string{"", "unknown IE", "IE not comprehended", "missing mandatory IE", "IE repeated", "IE in wrong order", "IE with wrong criticality"}

func (k IssueKind) String() string {
	if int(k) < len(issueNames) && k > 0 {
		return issueNames[k]
	}
	return "IssueKind(" + strconv.Itoa(int(k)) + ")"
}

// IEIssue is one erroneous IE of a received message.
type IEIssue struct {
	Kind IssueKind
	ID   ProtocolIEID
	// Criticality is the received IE criticality, or for a missing IE the
	// criticality TS 36.413 gives it.
	Criticality Criticality
	// Expected is the specified criticality (IssueWrongCriticality only).
	Expected Criticality
	// Err details a value that was not comprehended.
	Err error
	// Offset is the bit offset of the IE (its id field) in the PDU; 0 for
	// a missing IE.
	Offset int
}

// TypeOfError returns the CriticalityDiagnostics type of error: missing for
// an absent IE, not-understood otherwise (TS 36.413 §9.2.1.21).
func (i IEIssue) TypeOfError() TypeOfError {
	if i.Kind == IssueMissing {
		return TypeOfErrorMissing
	}
	return TypeOfErrorNotUnderstood
}

func (i IEIssue) String() string {
	s := fmt.Sprintf("%s %d (criticality %s)", i.Kind, i.ID, i.Criticality)
	if i.Kind == IssueWrongCriticality {
		s += ", expected " + i.Expected.String()
	}
	if i.Err != nil {
		s += ": " + i.Err.Error()
	}
	return s
}

// falselyConstructed reports the issues that make the message an
// "abstract syntax error (falsely constructed message)".
func (i IEIssue) falselyConstructed() bool {
	return i.Kind == IssueDuplicate || i.Kind == IssueWrongOrder
}

// Action is what the receiver must do with a procedure per TS 36.413 §10.3.4.
type Action uint8

// Actions, from the mildest.
const (
	// ActionIgnore: process the message as if the erroneous IEs were
	// absent; nothing is reported to the sender.
	ActionIgnore Action = iota + 1
	// ActionIgnoreAndNotify: process the message as if the erroneous IEs
	// were absent and report them (Criticality Diagnostics in the response,
	// or Error Indication).
	ActionIgnoreAndNotify
	// ActionReject: reject the procedure: answer with its failure message
	// (class 1 initiating messages) or Error Indication, carrying
	// Criticality Diagnostics.
	ActionReject
)

func (a Action) String() string {
	switch a {
	case ActionIgnore:
		return "ignore"
	case ActionIgnoreAndNotify:
		return "ignore and notify sender"
	case ActionReject:
		return "reject"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// ProtocolError is an abstract syntax error of a received message
// (TS 36.413 §10.3): the transfer syntax decoded, but IEs are unknown, not
// comprehended, missing, repeated or in the wrong order, or the procedure
// itself is unknown. It carries what the MME needs to answer.
type ProtocolError struct {
	Message              string // ASN.1 name of the message, e.g. "InitialUEMessage"
	ProcedureCode        ProcedureCode
	TriggeringMessage    TriggeringMessage
	ProcedureCriticality Criticality // as received in the PDU
	// UnknownProcedure: the procedure code (or this outcome of it) is not
	// defined by TS 36.413 V17.4.0 (§10.3.4.1 for procedure codes).
	UnknownProcedure bool
	Issues           []IEIssue
	// Lenient is set by the lenient decoder: repeated IEs are then only
	// reported, not a reason to reject.
	Lenient bool
}

// Action returns the receiver's action (§10.3.4.1 for not comprehended IEs
// and procedures, §10.3.4.2 for missing IEs, §10.3.6 for falsely
// constructed messages): the strictest any issue calls for.
func (e *ProtocolError) Action() Action {
	act := ActionIgnore
	raise := func(a Action) {
		if a > act {
			act = a
		}
	}
	byCrit := func(c Criticality) {
		switch c {
		case CriticalityReject:
			raise(ActionReject)
		case CriticalityNotify:
			raise(ActionIgnoreAndNotify)
		}
	}
	if e.UnknownProcedure {
		byCrit(e.ProcedureCriticality)
	}
	for _, i := range e.Issues {
		switch {
		case i.Kind == IssueWrongCriticality:
		case i.falselyConstructed():
			if !e.Lenient {
				raise(ActionReject)
			}
		default:
			byCrit(i.Criticality)
		}
	}
	return act
}

// Cause returns the protocol cause to answer with (TS 36.413 §9.2.1.3):
// falsely constructed message, abstract syntax error (reject or ignore and
// notify), or semantic error for a value outside its logical range.
func (e *ProtocolError) Cause() Cause {
	c := CauseProtocolAbstractSyntaxErrorReject
	for _, i := range e.Issues {
		if i.falselyConstructed() && !e.Lenient {
			c = CauseProtocolAbstractSyntaxErrorFalselyConstructedMessage
		}
	}
	if c == CauseProtocolAbstractSyntaxErrorReject && e.Action() == ActionIgnoreAndNotify {
		c = CauseProtocolAbstractSyntaxErrorIgnoreAndNotify
	}
	return Cause{Choice: CauseChoiceProtocol, Protocol: c}
}

// CriticalityDiagnostics builds the Criticality Diagnostics IE
// (TS 36.413 §9.2.1.21) for the answer: procedure code, triggering message,
// procedure criticality and one item per not understood or missing IE (at
// most maxnoofErrors).
func (e *ProtocolError) CriticalityDiagnostics() CriticalityDiagnostics {
	cd := CriticalityDiagnostics{
		ProcedureCode:        Some(e.ProcedureCode),
		TriggeringMessage:    Some(e.TriggeringMessage),
		ProcedureCriticality: Some(e.ProcedureCriticality),
	}
	if !e.ProcedureCriticality.valid() {
		cd.ProcedureCriticality = Optional[Criticality]{}
	}
	var items CriticalityDiagnosticsIEList
	for _, i := range e.Issues {
		if i.Kind == IssueWrongCriticality || len(items) == MaxnoofErrors {
			continue
		}
		items = append(items, CriticalityDiagnosticsIEItem{IECriticality: i.Criticality, IEID: i.ID, TypeOfError: i.TypeOfError()})
	}
	if len(items) > 0 {
		cd.IEsCriticalityDiagnostics = Some(items)
	}
	return cd
}

func (c Criticality) valid() bool { return c >= CriticalityReject && c <= CriticalityNotify }

func (e *ProtocolError) Error() string {
	var b strings.Builder
	b.WriteString("s1ap: ")
	if e.UnknownProcedure {
		fmt.Fprintf(&b, "unknown procedure code %d (%s, criticality %s)", e.ProcedureCode, e.TriggeringMessage, e.ProcedureCriticality)
	} else {
		fmt.Fprintf(&b, "%s (procedure code %d): abstract syntax error", e.Message, e.ProcedureCode)
	}
	for i, is := range e.Issues {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(is.String())
	}
	b.WriteString(" [action: " + e.Action().String() + "]")
	return b.String()
}

// SyntaxError is a transfer syntax error (TS 36.413 §10.2): the octets are
// not a valid APER encoding of an S1AP-PDU. The header fields are set when
// the PDU header decoded, so the MME can answer with Error Indication
// (cause transfer-syntax-error) for the right procedure.
type SyntaxError struct {
	HeaderKnown          bool
	Message              string
	ProcedureCode        ProcedureCode
	TriggeringMessage    TriggeringMessage
	ProcedureCriticality Criticality
	Err                  error
}

func (e *SyntaxError) Error() string {
	if e.HeaderKnown {
		return fmt.Sprintf("s1ap: transfer syntax error in %s (procedure code %d): %v", e.Message, e.ProcedureCode, e.Err)
	}
	return "s1ap: transfer syntax error: " + e.Err.Error()
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Cause returns the protocol cause transfer-syntax-error.
func (e *SyntaxError) Cause() Cause {
	return Cause{Choice: CauseChoiceProtocol, Protocol: CauseProtocolTransferSyntaxError}
}

// IsNotComprehended reports whether err (from an encoder or a nested
// decode) is a value this release does not comprehend.
func IsNotComprehended(err error) bool { return errors.Is(err, errNotComprehended) }
