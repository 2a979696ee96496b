package gtp

import "strconv"

// MessageType is the GTPv2-C message type (TS 29.274 §6.1, Table 6.1-1).
type MessageType uint8

// Message types of the S11 interface and the path management messages.
// Values from TS 29.274 Table 6.1-1.
const (
	TypeEchoRequest                                MessageType = 1
	TypeEchoResponse                               MessageType = 2
	TypeVersionNotSupportedIndication              MessageType = 3
	TypeCreateSessionRequest                       MessageType = 32
	TypeCreateSessionResponse                      MessageType = 33
	TypeModifyBearerRequest                        MessageType = 34
	TypeModifyBearerResponse                       MessageType = 35
	TypeDeleteSessionRequest                       MessageType = 36
	TypeDeleteSessionResponse                      MessageType = 37
	TypeChangeNotificationRequest                  MessageType = 38
	TypeChangeNotificationResponse                 MessageType = 39
	TypeModifyBearerCommand                        MessageType = 64
	TypeModifyBearerFailureIndication              MessageType = 65
	TypeDeleteBearerCommand                        MessageType = 66
	TypeDeleteBearerFailureIndication              MessageType = 67
	TypeBearerResourceCommand                      MessageType = 68
	TypeBearerResourceFailureIndication            MessageType = 69
	TypeDownlinkDataNotificationFailureIndication  MessageType = 70
	TypeTraceSessionActivation                     MessageType = 71
	TypeTraceSessionDeactivation                   MessageType = 72
	TypeStopPagingIndication                       MessageType = 73
	TypeCreateBearerRequest                        MessageType = 95
	TypeCreateBearerResponse                       MessageType = 96
	TypeUpdateBearerRequest                        MessageType = 97
	TypeUpdateBearerResponse                       MessageType = 98
	TypeDeleteBearerRequest                        MessageType = 99
	TypeDeleteBearerResponse                       MessageType = 100
	TypeDeletePDNConnectionSetRequest              MessageType = 101
	TypeDeletePDNConnectionSetResponse             MessageType = 102
	TypeSuspendNotification                        MessageType = 162
	TypeSuspendAcknowledge                         MessageType = 163
	TypeResumeNotification                         MessageType = 164
	TypeResumeAcknowledge                          MessageType = 165
	TypeCreateIndirectDataForwardingTunnelRequest  MessageType = 166
	TypeCreateIndirectDataForwardingTunnelResponse MessageType = 167
	TypeDeleteIndirectDataForwardingTunnelRequest  MessageType = 168
	TypeDeleteIndirectDataForwardingTunnelResponse MessageType = 169
	TypeReleaseAccessBearersRequest                MessageType = 170
	TypeReleaseAccessBearersResponse               MessageType = 171
	TypeDownlinkDataNotification                   MessageType = 176
	TypeDownlinkDataNotificationAcknowledge        MessageType = 177
	TypePGWRestartNotification                     MessageType = 179
	TypePGWRestartNotificationAcknowledge          MessageType = 180
	TypeUpdatePDNConnectionSetRequest              MessageType = 200
	TypeUpdatePDNConnectionSetResponse             MessageType = 201
	TypeModifyAccessBearersRequest                 MessageType = 211
	TypeModifyAccessBearersResponse                MessageType = 212

	TypeDirectTransferRequest                 MessageType = 4
	TypeDirectTransferResponse                MessageType = 5
	TypeNotificationRequest                   MessageType = 6
	TypeNotificationResponse                  MessageType = 7
	TypeRIMInformationTransfer                MessageType = 17
	TypeSRVCCPSToCSRequest                    MessageType = 25
	TypeSRVCCPSToCSResponse                   MessageType = 26
	TypeSRVCCPSToCSCompleteNotification       MessageType = 27
	TypeSRVCCPSToCSCompleteAcknowledge        MessageType = 28
	TypeSRVCCPSToCSCancelNotification         MessageType = 29
	TypeSRVCCPSToCSCancelAcknowledge          MessageType = 30
	TypeSRVCCCSToPSRequest                    MessageType = 31
	TypeRemoteUEReportNotification            MessageType = 40
	TypeRemoteUEReportAcknowledge             MessageType = 41
	TypePGWDownlinkTriggeringNotification     MessageType = 103
	TypePGWDownlinkTriggeringAcknowledge      MessageType = 104
	TypeIdentificationRequest                 MessageType = 128
	TypeIdentificationResponse                MessageType = 129
	TypeContextRequest                        MessageType = 130
	TypeContextResponse                       MessageType = 131
	TypeContextAcknowledge                    MessageType = 132
	TypeForwardRelocationRequest              MessageType = 133
	TypeForwardRelocationResponse             MessageType = 134
	TypeForwardRelocationCompleteNotification MessageType = 135
	TypeForwardRelocationCompleteAcknowledge  MessageType = 136
	TypeForwardAccessContextNotification      MessageType = 137
	TypeForwardAccessContextAcknowledge       MessageType = 138
	TypeRelocationCancelRequest               MessageType = 139
	TypeRelocationCancelResponse              MessageType = 140
	TypeConfigurationTransferTunnel           MessageType = 141
	TypeDetachNotification                    MessageType = 149
	TypeDetachAcknowledge                     MessageType = 150
	TypeCSPagingIndication                    MessageType = 151
	TypeRANInformationRelay                   MessageType = 152
	TypeAlertMMENotification                  MessageType = 153
	TypeAlertMMEAcknowledge                   MessageType = 154
	TypeUEActivityNotification                MessageType = 155
	TypeUEActivityAcknowledge                 MessageType = 156
	TypeISRStatusIndication                   MessageType = 157
	TypeUERegistrationQueryRequest            MessageType = 158
	TypeUERegistrationQueryResponse           MessageType = 159
	TypeCreateForwardingTunnelRequest         MessageType = 160
	TypeCreateForwardingTunnelResponse        MessageType = 161
	TypeMBMSSessionStartRequest               MessageType = 231
	TypeMBMSSessionStartResponse              MessageType = 232
	TypeMBMSSessionUpdateRequest              MessageType = 233
	TypeMBMSSessionUpdateResponse             MessageType = 234
	TypeMBMSSessionStopRequest                MessageType = 235
	TypeMBMSSessionStopResponse               MessageType = 236
	TypeSRVCCCSToPSResponse                   MessageType = 240
	TypeSRVCCCSToPSCompleteNotification       MessageType = 241
	TypeSRVCCCSToPSCompleteAcknowledge        MessageType = 242
	TypeSRVCCCSToPSCancelNotification         MessageType = 243
	TypeSRVCCCSToPSCancelAcknowledge          MessageType = 244
)

var messageTypeNames = map[MessageType]string{
	TypeEchoRequest:                                "Echo Request",
	TypeEchoResponse:                               "Echo Response",
	TypeVersionNotSupportedIndication:              "Version Not Supported Indication",
	TypeCreateSessionRequest:                       "Create Session Request",
	TypeCreateSessionResponse:                      "Create Session Response",
	TypeModifyBearerRequest:                        "Modify Bearer Request",
	TypeModifyBearerResponse:                       "Modify Bearer Response",
	TypeDeleteSessionRequest:                       "Delete Session Request",
	TypeDeleteSessionResponse:                      "Delete Session Response",
	TypeChangeNotificationRequest:                  "Change Notification Request",
	TypeChangeNotificationResponse:                 "Change Notification Response",
	TypeModifyBearerCommand:                        "Modify Bearer Command",
	TypeModifyBearerFailureIndication:              "Modify Bearer Failure Indication",
	TypeDeleteBearerCommand:                        "Delete Bearer Command",
	TypeDeleteBearerFailureIndication:              "Delete Bearer Failure Indication",
	TypeBearerResourceCommand:                      "Bearer Resource Command",
	TypeBearerResourceFailureIndication:            "Bearer Resource Failure Indication",
	TypeDownlinkDataNotificationFailureIndication:  "Downlink Data Notification Failure Indication",
	TypeTraceSessionActivation:                     "Trace Session Activation",
	TypeTraceSessionDeactivation:                   "Trace Session Deactivation",
	TypeStopPagingIndication:                       "Stop Paging Indication",
	TypeCreateBearerRequest:                        "Create Bearer Request",
	TypeCreateBearerResponse:                       "Create Bearer Response",
	TypeUpdateBearerRequest:                        "Update Bearer Request",
	TypeUpdateBearerResponse:                       "Update Bearer Response",
	TypeDeleteBearerRequest:                        "Delete Bearer Request",
	TypeDeleteBearerResponse:                       "Delete Bearer Response",
	TypeDeletePDNConnectionSetRequest:              "Delete PDN Connection Set Request",
	TypeDeletePDNConnectionSetResponse:             "Delete PDN Connection Set Response",
	TypeSuspendNotification:                        "Suspend Notification",
	TypeSuspendAcknowledge:                         "Suspend Acknowledge",
	TypeResumeNotification:                         "Resume Notification",
	TypeResumeAcknowledge:                          "Resume Acknowledge",
	TypeCreateIndirectDataForwardingTunnelRequest:  "Create Indirect Data Forwarding Tunnel Request",
	TypeCreateIndirectDataForwardingTunnelResponse: "Create Indirect Data Forwarding Tunnel Response",
	TypeDeleteIndirectDataForwardingTunnelRequest:  "Delete Indirect Data Forwarding Tunnel Request",
	TypeDeleteIndirectDataForwardingTunnelResponse: "Delete Indirect Data Forwarding Tunnel Response",
	TypeReleaseAccessBearersRequest:                "Release Access Bearers Request",
	TypeReleaseAccessBearersResponse:               "Release Access Bearers Response",
	TypeDownlinkDataNotification:                   "Downlink Data Notification",
	TypeDownlinkDataNotificationAcknowledge:        "Downlink Data Notification Acknowledge",
	TypePGWRestartNotification:                     "PGW Restart Notification",
	TypePGWRestartNotificationAcknowledge:          "PGW Restart Notification Acknowledge",
	TypeUpdatePDNConnectionSetRequest:              "Update PDN Connection Set Request",
	TypeUpdatePDNConnectionSetResponse:             "Update PDN Connection Set Response",
	TypeModifyAccessBearersRequest:                 "Modify Access Bearers Request",
	TypeModifyAccessBearersResponse:                "Modify Access Bearers Response",
	TypeDirectTransferRequest:                      "Direct Transfer Request",
	TypeDirectTransferResponse:                     "Direct Transfer Response",
	TypeNotificationRequest:                        "Notification Request",
	TypeNotificationResponse:                       "Notification Response",
	TypeRIMInformationTransfer:                     "RIM Information Transfer",
	TypeSRVCCPSToCSRequest:                         "SRVCC PS to CS Request",
	TypeSRVCCPSToCSResponse:                        "SRVCC PS to CS Response",
	TypeSRVCCPSToCSCompleteNotification:            "SRVCC PS to CS Complete Notification",
	TypeSRVCCPSToCSCompleteAcknowledge:             "SRVCC PS to CS Complete Acknowledge",
	TypeSRVCCPSToCSCancelNotification:              "SRVCC PS to CS Cancel Notification",
	TypeSRVCCPSToCSCancelAcknowledge:               "SRVCC PS to CS Cancel Acknowledge",
	TypeSRVCCCSToPSRequest:                         "SRVCC CS to PS Request",
	TypeRemoteUEReportNotification:                 "Remote UE Report Notification",
	TypeRemoteUEReportAcknowledge:                  "Remote UE Report Acknowledge",
	TypePGWDownlinkTriggeringNotification:          "PGW Downlink Triggering Notification",
	TypePGWDownlinkTriggeringAcknowledge:           "PGW Downlink Triggering Acknowledge",
	TypeIdentificationRequest:                      "Identification Request",
	TypeIdentificationResponse:                     "Identification Response",
	TypeContextRequest:                             "Context Request",
	TypeContextResponse:                            "Context Response",
	TypeContextAcknowledge:                         "Context Acknowledge",
	TypeForwardRelocationRequest:                   "Forward Relocation Request",
	TypeForwardRelocationResponse:                  "Forward Relocation Response",
	TypeForwardRelocationCompleteNotification:      "Forward Relocation Complete Notification",
	TypeForwardRelocationCompleteAcknowledge:       "Forward Relocation Complete Acknowledge",
	TypeForwardAccessContextNotification:           "Forward Access Context Notification",
	TypeForwardAccessContextAcknowledge:            "Forward Access Context Acknowledge",
	TypeRelocationCancelRequest:                    "Relocation Cancel Request",
	TypeRelocationCancelResponse:                   "Relocation Cancel Response",
	TypeConfigurationTransferTunnel:                "Configuration Transfer Tunnel",
	TypeDetachNotification:                         "Detach Notification",
	TypeDetachAcknowledge:                          "Detach Acknowledge",
	TypeCSPagingIndication:                         "CS Paging Indication",
	TypeRANInformationRelay:                        "RAN Information Relay",
	TypeAlertMMENotification:                       "Alert MME Notification",
	TypeAlertMMEAcknowledge:                        "Alert MME Acknowledge",
	TypeUEActivityNotification:                     "UE Activity Notification",
	TypeUEActivityAcknowledge:                      "UE Activity Acknowledge",
	TypeISRStatusIndication:                        "ISR Status Indication",
	TypeUERegistrationQueryRequest:                 "UE Registration Query Request",
	TypeUERegistrationQueryResponse:                "UE Registration Query Response",
	TypeCreateForwardingTunnelRequest:              "Create Forwarding Tunnel Request",
	TypeCreateForwardingTunnelResponse:             "Create Forwarding Tunnel Response",
	TypeMBMSSessionStartRequest:                    "MBMS Session Start Request",
	TypeMBMSSessionStartResponse:                   "MBMS Session Start Response",
	TypeMBMSSessionUpdateRequest:                   "MBMS Session Update Request",
	TypeMBMSSessionUpdateResponse:                  "MBMS Session Update Response",
	TypeMBMSSessionStopRequest:                     "MBMS Session Stop Request",
	TypeMBMSSessionStopResponse:                    "MBMS Session Stop Response",
	TypeSRVCCCSToPSResponse:                        "SRVCC CS to PS Response",
	TypeSRVCCCSToPSCompleteNotification:            "SRVCC CS to PS Complete Notification",
	TypeSRVCCCSToPSCompleteAcknowledge:             "SRVCC CS to PS Complete Acknowledge",
	TypeSRVCCCSToPSCancelNotification:              "SRVCC CS to PS Cancel Notification",
	TypeSRVCCCSToPSCancelAcknowledge:               "SRVCC CS to PS Cancel Acknowledge",
}

// String returns the TS 29.274 name of the message type, or "message type N".
func (t MessageType) String() string {
	if n, ok := messageTypeNames[t]; ok {
		return n
	}
	return "message type " + strconv.Itoa(int(t))
}

// Kind is the role of a message type in the transaction layer (TS 29.274 §7.6).
type Kind int

const (
	// KindUnknown is a message type this codec does not know: TS 29.274 §7.7.4
	// says such a message is silently discarded.
	KindUnknown Kind = iota + 1
	// KindRequest is an Initial message that expects a Triggered response.
	KindRequest
	// KindResponse is a Triggered message answering a request or a command.
	KindResponse
	// KindCommand is an Initial message whose answer is a Triggered request
	// or a Failure Indication; its sequence number has the most significant
	// bit set (TS 29.274 §7.6).
	KindCommand
	// KindNotification is sent once and answered by nothing (Version Not
	// Supported Indication, Downlink Data Notification Failure Indication,
	// Stop Paging Indication).
	KindNotification
)

func (k Kind) String() string {
	switch k {
	case KindUnknown:
		return "unknown"
	case KindRequest:
		return "request"
	case KindResponse:
		return "response"
	case KindCommand:
		return "command"
	case KindNotification:
		return "notification"
	}
	return "kind " + strconv.Itoa(int(k))
}

// responseTo maps each request and command type to the message type that
// answers it (TS 29.274 Table 6.1-1; for commands, the Failure Indication).
var responseTo = map[MessageType]MessageType{
	TypeEchoRequest:                               TypeEchoResponse,
	TypeCreateSessionRequest:                      TypeCreateSessionResponse,
	TypeModifyBearerRequest:                       TypeModifyBearerResponse,
	TypeDeleteSessionRequest:                      TypeDeleteSessionResponse,
	TypeChangeNotificationRequest:                 TypeChangeNotificationResponse,
	TypeModifyBearerCommand:                       TypeModifyBearerFailureIndication,
	TypeDeleteBearerCommand:                       TypeDeleteBearerFailureIndication,
	TypeBearerResourceCommand:                     TypeBearerResourceFailureIndication,
	TypeCreateBearerRequest:                       TypeCreateBearerResponse,
	TypeUpdateBearerRequest:                       TypeUpdateBearerResponse,
	TypeDeleteBearerRequest:                       TypeDeleteBearerResponse,
	TypeDeletePDNConnectionSetRequest:             TypeDeletePDNConnectionSetResponse,
	TypeSuspendNotification:                       TypeSuspendAcknowledge,
	TypeResumeNotification:                        TypeResumeAcknowledge,
	TypeCreateIndirectDataForwardingTunnelRequest: TypeCreateIndirectDataForwardingTunnelResponse,
	TypeDeleteIndirectDataForwardingTunnelRequest: TypeDeleteIndirectDataForwardingTunnelResponse,
	TypeReleaseAccessBearersRequest:               TypeReleaseAccessBearersResponse,
	TypeDownlinkDataNotification:                  TypeDownlinkDataNotificationAcknowledge,
	TypePGWRestartNotification:                    TypePGWRestartNotificationAcknowledge,
	TypeUpdatePDNConnectionSetRequest:             TypeUpdatePDNConnectionSetResponse,
	TypeModifyAccessBearersRequest:                TypeModifyAccessBearersResponse,
	TypeDirectTransferRequest:                     TypeDirectTransferResponse,
	TypeNotificationRequest:                       TypeNotificationResponse,
	TypeSRVCCPSToCSRequest:                        TypeSRVCCPSToCSResponse,
	TypeSRVCCPSToCSCompleteNotification:           TypeSRVCCPSToCSCompleteAcknowledge,
	TypeSRVCCPSToCSCancelNotification:             TypeSRVCCPSToCSCancelAcknowledge,
	TypeSRVCCCSToPSRequest:                        TypeSRVCCCSToPSResponse,
	TypeRemoteUEReportNotification:                TypeRemoteUEReportAcknowledge,
	TypePGWDownlinkTriggeringNotification:         TypePGWDownlinkTriggeringAcknowledge,
	TypeIdentificationRequest:                     TypeIdentificationResponse,
	TypeContextRequest:                            TypeContextResponse,
	TypeForwardRelocationRequest:                  TypeForwardRelocationResponse,
	TypeForwardRelocationCompleteNotification:     TypeForwardRelocationCompleteAcknowledge,
	TypeForwardAccessContextNotification:          TypeForwardAccessContextAcknowledge,
	TypeRelocationCancelRequest:                   TypeRelocationCancelResponse,
	TypeDetachNotification:                        TypeDetachAcknowledge,
	TypeAlertMMENotification:                      TypeAlertMMEAcknowledge,
	TypeUEActivityNotification:                    TypeUEActivityAcknowledge,
	TypeUERegistrationQueryRequest:                TypeUERegistrationQueryResponse,
	TypeCreateForwardingTunnelRequest:             TypeCreateForwardingTunnelResponse,
	TypeMBMSSessionStartRequest:                   TypeMBMSSessionStartResponse,
	TypeMBMSSessionUpdateRequest:                  TypeMBMSSessionUpdateResponse,
	TypeMBMSSessionStopRequest:                    TypeMBMSSessionStopResponse,
	TypeSRVCCCSToPSCompleteNotification:           TypeSRVCCCSToPSCompleteAcknowledge,
	TypeSRVCCCSToPSCancelNotification:             TypeSRVCCCSToPSCancelAcknowledge,
}

var isResponse = func() map[MessageType]bool {
	m := make(map[MessageType]bool, len(responseTo))
	for _, r := range responseTo {
		m[r] = true
	}
	return m
}()

// Kind returns the transaction role of t (TS 29.274 §7.6, Table 6.1-1).
func (t MessageType) Kind() Kind {
	switch t {
	case TypeModifyBearerCommand, TypeDeleteBearerCommand, TypeBearerResourceCommand:
		return KindCommand
	case TypeVersionNotSupportedIndication, TypeDownlinkDataNotificationFailureIndication,
		TypeStopPagingIndication, TypeTraceSessionActivation, TypeTraceSessionDeactivation,
		TypeRIMInformationTransfer, TypeConfigurationTransferTunnel, TypeCSPagingIndication,
		TypeRANInformationRelay, TypeISRStatusIndication:
		return KindNotification
	case TypeContextAcknowledge:
		// Triggered by a Context Response (TS 29.274 §7.3.5).
		return KindResponse
	}
	if _, ok := responseTo[t]; ok {
		return KindRequest
	}
	if isResponse[t] {
		return KindResponse
	}
	return KindUnknown
}

// ResponseType returns the message type that answers the request or command
// t, and false when t is not a request or command.
func (t MessageType) ResponseType() (MessageType, bool) {
	r, ok := responseTo[t]
	return r, ok
}

// CauseValue is the Cause value of the Cause IE (TS 29.274 §8.4, Table 8.4-1).
type CauseValue uint8

// Cause values used on S11 (TS 29.274 Table 8.4-1).
const (
	CauseLocalDetach                            CauseValue = 2
	CauseCompleteDetach                         CauseValue = 3
	CauseRATChangedFrom3GPPToNon3GPP            CauseValue = 4
	CauseISRDeactivation                        CauseValue = 5
	CauseErrorIndicationReceived                CauseValue = 6
	CauseIMSIDetachOnly                         CauseValue = 7
	CauseReactivationRequested                  CauseValue = 8
	CausePDNReconnectionToThisAPNDisallowed     CauseValue = 9
	CauseAccessChangedFromNon3GPPTo3GPP         CauseValue = 10
	CausePDNConnectionInactivityTimerExpires    CauseValue = 11
	CausePGWNotResponding                       CauseValue = 12
	CauseNetworkFailure                         CauseValue = 13
	CauseQoSParameterMismatch                   CauseValue = 14
	CauseRequestAccepted                        CauseValue = 16
	CauseRequestAcceptedPartially               CauseValue = 17
	CauseNewPDNTypeDueToNetworkPreference       CauseValue = 18
	CauseNewPDNTypeDueToSingleAddressBearerOnly CauseValue = 19
	CauseContextNotFound                        CauseValue = 64
	CauseInvalidMessageFormat                   CauseValue = 65
	CauseVersionNotSupportedByNextPeer          CauseValue = 66
	CauseInvalidLength                          CauseValue = 67
	CauseServiceNotSupported                    CauseValue = 68
	CauseMandatoryIEIncorrect                   CauseValue = 69
	CauseMandatoryIEMissing                     CauseValue = 70
	CauseSystemFailure                          CauseValue = 72
	CauseNoResourcesAvailable                   CauseValue = 73
	CauseSemanticErrorInTFTOperation            CauseValue = 74
	CauseSyntacticErrorInTFTOperation           CauseValue = 75
	CauseSemanticErrorsInPacketFilters          CauseValue = 76
	CauseSyntacticErrorsInPacketFilters         CauseValue = 77
	CauseMissingOrUnknownAPN                    CauseValue = 78
	CauseGREKeyNotFound                         CauseValue = 80
	CauseRelocationFailure                      CauseValue = 81
	CauseDeniedInRAT                            CauseValue = 82
	CausePreferredPDNTypeNotSupported           CauseValue = 83
	CauseAllDynamicAddressesAreOccupied         CauseValue = 84
	CauseUEContextWithoutTFTAlreadyActivated    CauseValue = 85
	CauseProtocolTypeNotSupported               CauseValue = 86
	CauseUENotResponding                        CauseValue = 87
	CauseUERefuses                              CauseValue = 88
	CauseServiceDenied                          CauseValue = 89
	CauseUnableToPageUE                         CauseValue = 90
	CauseNoMemoryAvailable                      CauseValue = 91
	CauseUserAuthenticationFailed               CauseValue = 92
	CauseAPNAccessDeniedNoSubscription          CauseValue = 93
	CauseRequestRejected                        CauseValue = 94
	CauseIMSIIMEINotKnown                       CauseValue = 96
	CauseRemotePeerNotResponding                CauseValue = 100
	CauseCollisionWithNetworkInitiatedRequest   CauseValue = 101
	CauseUnableToPageUEDueToSuspension          CauseValue = 102
	CauseConditionalIEMissing                   CauseValue = 103
	CauseDataForwardingNotSupported             CauseValue = 106
	CauseAPNRestrictionTypeIncompatible         CauseValue = 104
	CauseInvalidPeer                            CauseValue = 109
	CauseTemporarilyRejectedDueToMobility       CauseValue = 110
	CauseAPNCongestion                          CauseValue = 113
	CauseBearerHandlingNotSupported             CauseValue = 114
	CauseUEAlreadyReattached                    CauseValue = 115
	CauseMultiplePDNConnectionsNotAllowed       CauseValue = 116
	CauseGTPCEntityCongestion                   CauseValue = 120
	CauseLateOverlappingRequest                 CauseValue = 121
	CauseTimedOutRequest                        CauseValue = 122
	CauseUEIsTemporarilyNotReachablePowerSaving CauseValue = 123
)

var causeNames = map[CauseValue]string{
	CauseLocalDetach:                            "Local Detach",
	CauseCompleteDetach:                         "Complete Detach",
	CauseRATChangedFrom3GPPToNon3GPP:            "RAT changed from 3GPP to Non-3GPP",
	CauseISRDeactivation:                        "ISR deactivation",
	CauseErrorIndicationReceived:                "Error Indication received from RNC/eNodeB/S4-SGSN/MME",
	CauseIMSIDetachOnly:                         "IMSI Detach Only",
	CauseReactivationRequested:                  "Reactivation Requested",
	CausePDNReconnectionToThisAPNDisallowed:     "PDN reconnection to this APN disallowed",
	CauseAccessChangedFromNon3GPPTo3GPP:         "Access changed from Non-3GPP to 3GPP",
	CausePDNConnectionInactivityTimerExpires:    "PDN connection inactivity timer expires",
	CausePGWNotResponding:                       "PGW not responding",
	CauseNetworkFailure:                         "Network Failure",
	CauseQoSParameterMismatch:                   "QoS parameter mismatch",
	CauseRequestAccepted:                        "Request accepted",
	CauseRequestAcceptedPartially:               "Request accepted partially",
	CauseNewPDNTypeDueToNetworkPreference:       "New PDN type due to network preference",
	CauseNewPDNTypeDueToSingleAddressBearerOnly: "New PDN type due to single address bearer only",
	CauseContextNotFound:                        "Context Not Found",
	CauseInvalidMessageFormat:                   "Invalid Message Format",
	CauseVersionNotSupportedByNextPeer:          "Version not supported by next peer",
	CauseInvalidLength:                          "Invalid length",
	CauseServiceNotSupported:                    "Service not supported",
	CauseMandatoryIEIncorrect:                   "Mandatory IE incorrect",
	CauseMandatoryIEMissing:                     "Mandatory IE missing",
	CauseSystemFailure:                          "System failure",
	CauseNoResourcesAvailable:                   "No resources available",
	CauseSemanticErrorInTFTOperation:            "Semantic error in the TFT operation",
	CauseSyntacticErrorInTFTOperation:           "Syntactic error in the TFT operation",
	CauseSemanticErrorsInPacketFilters:          "Semantic errors in packet filter(s)",
	CauseSyntacticErrorsInPacketFilters:         "Syntactic errors in packet filter(s)",
	CauseMissingOrUnknownAPN:                    "Missing or unknown APN",
	CauseGREKeyNotFound:                         "GRE key not found",
	CauseRelocationFailure:                      "Relocation failure",
	CauseDeniedInRAT:                            "Denied in RAT",
	CausePreferredPDNTypeNotSupported:           "Preferred PDN type not supported",
	CauseAllDynamicAddressesAreOccupied:         "All dynamic addresses are occupied",
	CauseUEContextWithoutTFTAlreadyActivated:    "UE context without TFT already activated",
	CauseProtocolTypeNotSupported:               "Protocol type not supported",
	CauseUENotResponding:                        "UE not responding",
	CauseUERefuses:                              "UE refuses",
	CauseServiceDenied:                          "Service denied",
	CauseUnableToPageUE:                         "Unable to page UE",
	CauseNoMemoryAvailable:                      "No memory available",
	CauseUserAuthenticationFailed:               "User authentication failed",
	CauseAPNAccessDeniedNoSubscription:          "APN access denied - no subscription",
	CauseRequestRejected:                        "Request rejected (reason not specified)",
	CauseIMSIIMEINotKnown:                       "IMSI/IMEI not known",
	CauseRemotePeerNotResponding:                "Remote peer not responding",
	CauseCollisionWithNetworkInitiatedRequest:   "Collision with network initiated request",
	CauseUnableToPageUEDueToSuspension:          "Unable to page UE due to Suspension",
	CauseConditionalIEMissing:                   "Conditional IE missing",
	CauseDataForwardingNotSupported:             "Data forwarding not supported",
	CauseAPNRestrictionTypeIncompatible:         "APN Restriction type Incompatible with currently active PDN connection",
	CauseInvalidPeer:                            "Invalid peer",
	CauseTemporarilyRejectedDueToMobility:       "Temporarily rejected due to handover/TAU/RAU procedure in progress",
	CauseAPNCongestion:                          "APN Congestion",
	CauseBearerHandlingNotSupported:             "Bearer handling not supported",
	CauseUEAlreadyReattached:                    "UE already re-attached",
	CauseMultiplePDNConnectionsNotAllowed:       "Multiple PDN connections for a given APN not allowed",
	CauseGTPCEntityCongestion:                   "GTP-C Entity Congestion",
	CauseLateOverlappingRequest:                 "Late Overlapping Request",
	CauseTimedOutRequest:                        "Timed out Request",
	CauseUEIsTemporarilyNotReachablePowerSaving: "UE is temporarily not reachable due to power saving",
}

// String returns the TS 29.274 Table 8.4-1 name and the value.
func (c CauseValue) String() string {
	if n, ok := causeNames[c]; ok {
		return n + " (" + strconv.Itoa(int(c)) + ")"
	}
	return "cause " + strconv.Itoa(int(c))
}

// Accepted reports whether c is one of the acceptance causes 16-63
// (TS 29.274 §8.4: "Request accepted" and its variants).
func (c CauseValue) Accepted() bool { return c >= 16 && c <= 63 }

// InterfaceType is the F-TEID interface type (TS 29.274 §8.22, Table 8.22-1).
type InterfaceType uint8

// F-TEID interface types used on S11 (TS 29.274 Table 8.22-1).
const (
	IfS1UENodeB    InterfaceType = 0  // S1-U eNodeB GTP-U
	IfS1USGW       InterfaceType = 1  // S1-U SGW GTP-U
	IfS5S8SGWGTPU  InterfaceType = 4  // S5/S8 SGW GTP-U
	IfS5S8PGWGTPU  InterfaceType = 5  // S5/S8 PGW GTP-U
	IfS5S8SGWGTPC  InterfaceType = 6  // S5/S8 SGW GTP-C
	IfS5S8PGWGTPC  InterfaceType = 7  // S5/S8 PGW GTP-C
	IfS11MMEGTPC   InterfaceType = 10 // S11 MME GTP-C
	IfS11S4SGWGTPC InterfaceType = 11 // S11/S4 SGW GTP-C
	// Data forwarding interfaces (indirect forwarding, TS 29.274 §7.2.18).
	IfENodeBDLForwarding InterfaceType = 19 // eNodeB GTP-U interface for DL data forwarding
	IfENodeBULForwarding InterfaceType = 20 // eNodeB GTP-U interface for UL data forwarding
	IfSGWDLForwarding    InterfaceType = 23 // SGW/UPF GTP-U interface for DL data forwarding
	IfSGWULForwarding    InterfaceType = 28 // SGW GTP-U interface for UL data forwarding
)

// RATType is the RAT Type IE value (TS 29.274 §8.17, Table 8.17-1).
type RATType uint8

// RAT types (TS 29.274 Table 8.17-1); S11 uses EUTRAN.
const (
	RATUTRAN         RATType = 1
	RATGERAN         RATType = 2
	RATWLAN          RATType = 3
	RATGAN           RATType = 4
	RATHSPAEvolution RATType = 5
	RATEUTRAN        RATType = 6
	RATVirtual       RATType = 7
	RATEUTRANNBIoT   RATType = 8
)

// PDNType is the PDN Type IE value and the PDN type of a PAA
// (TS 29.274 §8.34 and §8.14).
type PDNType uint8

// PDN types (TS 29.274 Table 8.34-1).
const (
	PDNTypeIPv4   PDNType = 1
	PDNTypeIPv6   PDNType = 2
	PDNTypeIPv4v6 PDNType = 3
	PDNTypeNonIP  PDNType = 4
)

func (p PDNType) String() string {
	switch p {
	case PDNTypeIPv4:
		return "IPv4"
	case PDNTypeIPv6:
		return "IPv6"
	case PDNTypeIPv4v6:
		return "IPv4v6"
	case PDNTypeNonIP:
		return "Non-IP"
	}
	return "PDN type " + strconv.Itoa(int(p))
}

// SelectionMode is the Selection Mode IE value (TS 29.274 §8.58).
type SelectionMode uint8

// Selection modes (TS 29.274 §8.58; meaning in TS 29.060 §7.7.12).
const (
	SelectionSubscribedVerified    SelectionMode = 0 // MS or network provided APN, subscription verified
	SelectionMSProvidedNotVerified SelectionMode = 1 // MS provided APN, subscription not verified
	SelectionNetworkNotVerified    SelectionMode = 2 // network provided APN, subscription not verified
)

// NodeType is the Node Type IE value (TS 29.274 §8.65).
type NodeType uint8

// Node types (TS 29.274 §8.65).
const (
	NodeMME  NodeType = 0
	NodeSGSN NodeType = 1
)

var interfaceNames = map[InterfaceType]string{
	IfS1UENodeB: "S1-U eNodeB GTP-U", IfS1USGW: "S1-U SGW GTP-U", IfS5S8SGWGTPU: "S5/S8 SGW GTP-U",
	IfS5S8PGWGTPU: "S5/S8 PGW GTP-U", IfS5S8SGWGTPC: "S5/S8 SGW GTP-C", IfS5S8PGWGTPC: "S5/S8 PGW GTP-C",
	IfS11MMEGTPC: "S11 MME GTP-C", IfS11S4SGWGTPC: "S11/S4 SGW GTP-C",
	IfENodeBDLForwarding: "eNodeB GTP-U for DL data forwarding", IfENodeBULForwarding: "eNodeB GTP-U for UL data forwarding",
	IfSGWDLForwarding: "SGW GTP-U for DL data forwarding", IfSGWULForwarding: "SGW GTP-U for UL data forwarding",
}

// String returns the TS 29.274 Table 8.22-1 name of the interface type.
func (i InterfaceType) String() string {
	if n, ok := interfaceNames[i]; ok {
		return n
	}
	return "interface type " + strconv.Itoa(int(i))
}

// String returns the TS 29.274 Table 8.17-1 name of the RAT type.
func (r RATType) String() string {
	switch r {
	case RATUTRAN:
		return "UTRAN"
	case RATGERAN:
		return "GERAN"
	case RATWLAN:
		return "WLAN"
	case RATGAN:
		return "GAN"
	case RATHSPAEvolution:
		return "HSPA Evolution"
	case RATEUTRAN:
		return "EUTRAN"
	case RATVirtual:
		return "Virtual"
	case RATEUTRANNBIoT:
		return "EUTRAN-NB-IoT"
	}
	return "RAT type " + strconv.Itoa(int(r))
}
