package nas

import "fmt"

// MessageType identifies a NAS message. Values up to 0xff are the message type
// IE on the wire (TS 24.301 §9.8, tables 9.8.1 and 9.8.2). Two forms have no
// message type octet and get values above the 8-bit range: the SERVICE
// REQUEST (§8.2.25, identified by security header type 12) and the security
// protected envelope (§9.1, header types 1 to 5).
type MessageType uint16

// EMM message types, TS 24.301 §9.8 table 9.8.1.
const (
	TypeAttachRequest               MessageType = 0x41
	TypeAttachAccept                MessageType = 0x42
	TypeAttachComplete              MessageType = 0x43
	TypeAttachReject                MessageType = 0x44
	TypeDetachRequest               MessageType = 0x45
	TypeDetachAccept                MessageType = 0x46
	TypeTrackingAreaUpdateRequest   MessageType = 0x48
	TypeTrackingAreaUpdateAccept    MessageType = 0x49
	TypeTrackingAreaUpdateComplete  MessageType = 0x4a
	TypeTrackingAreaUpdateReject    MessageType = 0x4b
	TypeExtendedServiceRequest      MessageType = 0x4c
	TypeControlPlaneServiceRequest  MessageType = 0x4d
	TypeServiceReject               MessageType = 0x4e
	TypeServiceAccept               MessageType = 0x4f
	TypeGUTIReallocationCommand     MessageType = 0x50
	TypeGUTIReallocationComplete    MessageType = 0x51
	TypeAuthenticationRequest       MessageType = 0x52
	TypeAuthenticationResponse      MessageType = 0x53
	TypeAuthenticationReject        MessageType = 0x54
	TypeIdentityRequest             MessageType = 0x55
	TypeIdentityResponse            MessageType = 0x56
	TypeAuthenticationFailure       MessageType = 0x5c
	TypeSecurityModeCommand         MessageType = 0x5d
	TypeSecurityModeComplete        MessageType = 0x5e
	TypeSecurityModeReject          MessageType = 0x5f
	TypeEMMStatus                   MessageType = 0x60
	TypeEMMInformation              MessageType = 0x61
	TypeDownlinkNASTransport        MessageType = 0x62
	TypeUplinkNASTransport          MessageType = 0x63
	TypeCSServiceNotification       MessageType = 0x64
	TypeDownlinkGenericNASTransport MessageType = 0x68
	TypeUplinkGenericNASTransport   MessageType = 0x69
)

// ESM message types, TS 24.301 §9.8 table 9.8.2.
const (
	TypeActivateDefaultEPSBearerContextRequest   MessageType = 0xc1
	TypeActivateDefaultEPSBearerContextAccept    MessageType = 0xc2
	TypeActivateDefaultEPSBearerContextReject    MessageType = 0xc3
	TypeActivateDedicatedEPSBearerContextRequest MessageType = 0xc5
	TypeActivateDedicatedEPSBearerContextAccept  MessageType = 0xc6
	TypeActivateDedicatedEPSBearerContextReject  MessageType = 0xc7
	TypeModifyEPSBearerContextRequest            MessageType = 0xc9
	TypeModifyEPSBearerContextAccept             MessageType = 0xca
	TypeModifyEPSBearerContextReject             MessageType = 0xcb
	TypeDeactivateEPSBearerContextRequest        MessageType = 0xcd
	TypeDeactivateEPSBearerContextAccept         MessageType = 0xce
	TypePDNConnectivityRequest                   MessageType = 0xd0
	TypePDNConnectivityReject                    MessageType = 0xd1
	TypePDNDisconnectRequest                     MessageType = 0xd2
	TypePDNDisconnectReject                      MessageType = 0xd3
	TypeBearerResourceAllocationRequest          MessageType = 0xd4
	TypeBearerResourceAllocationReject           MessageType = 0xd5
	TypeBearerResourceModificationRequest        MessageType = 0xd6
	TypeBearerResourceModificationReject         MessageType = 0xd7
	TypeESMInformationRequest                    MessageType = 0xd9
	TypeESMInformationResponse                   MessageType = 0xda
	TypeNotification                             MessageType = 0xdb
	TypeESMDummyMessage                          MessageType = 0xdc
	TypeESMStatus                                MessageType = 0xe8
	TypeRemoteUEReport                           MessageType = 0xe9
	TypeRemoteUEReportResponse                   MessageType = 0xea
	TypeESMDataTransport                         MessageType = 0xeb
)

// Message types of the forms without a message type octet.
const (
	// TypeSecurityProtected is the security protected envelope of TS 24.301
	// §9.1 (security header types 1 to 5), decoded as *SecurityProtected.
	TypeSecurityProtected MessageType = 0x100
	// TypeServiceRequest is the SERVICE REQUEST of TS 24.301 §8.2.25
	// (security header type 12), decoded as *ServiceRequest.
	TypeServiceRequest MessageType = 0x100 | MessageType(ServiceRequestHeader)
)

var messageTypeNames = map[MessageType]string{
	TypeAttachRequest:                            "AttachRequest",
	TypeAttachAccept:                             "AttachAccept",
	TypeAttachComplete:                           "AttachComplete",
	TypeAttachReject:                             "AttachReject",
	TypeDetachRequest:                            "DetachRequest",
	TypeDetachAccept:                             "DetachAccept",
	TypeTrackingAreaUpdateRequest:                "TrackingAreaUpdateRequest",
	TypeTrackingAreaUpdateAccept:                 "TrackingAreaUpdateAccept",
	TypeTrackingAreaUpdateComplete:               "TrackingAreaUpdateComplete",
	TypeTrackingAreaUpdateReject:                 "TrackingAreaUpdateReject",
	TypeExtendedServiceRequest:                   "ExtendedServiceRequest",
	TypeControlPlaneServiceRequest:               "ControlPlaneServiceRequest",
	TypeServiceReject:                            "ServiceReject",
	TypeServiceAccept:                            "ServiceAccept",
	TypeGUTIReallocationCommand:                  "GUTIReallocationCommand",
	TypeGUTIReallocationComplete:                 "GUTIReallocationComplete",
	TypeAuthenticationRequest:                    "AuthenticationRequest",
	TypeAuthenticationResponse:                   "AuthenticationResponse",
	TypeAuthenticationReject:                     "AuthenticationReject",
	TypeIdentityRequest:                          "IdentityRequest",
	TypeIdentityResponse:                         "IdentityResponse",
	TypeAuthenticationFailure:                    "AuthenticationFailure",
	TypeSecurityModeCommand:                      "SecurityModeCommand",
	TypeSecurityModeComplete:                     "SecurityModeComplete",
	TypeSecurityModeReject:                       "SecurityModeReject",
	TypeEMMStatus:                                "EMMStatus",
	TypeEMMInformation:                           "EMMInformation",
	TypeDownlinkNASTransport:                     "DownlinkNASTransport",
	TypeUplinkNASTransport:                       "UplinkNASTransport",
	TypeCSServiceNotification:                    "CSServiceNotification",
	TypeDownlinkGenericNASTransport:              "DownlinkGenericNASTransport",
	TypeUplinkGenericNASTransport:                "UplinkGenericNASTransport",
	TypeActivateDefaultEPSBearerContextRequest:   "ActivateDefaultEPSBearerContextRequest",
	TypeActivateDefaultEPSBearerContextAccept:    "ActivateDefaultEPSBearerContextAccept",
	TypeActivateDefaultEPSBearerContextReject:    "ActivateDefaultEPSBearerContextReject",
	TypeActivateDedicatedEPSBearerContextRequest: "ActivateDedicatedEPSBearerContextRequest",
	TypeActivateDedicatedEPSBearerContextAccept:  "ActivateDedicatedEPSBearerContextAccept",
	TypeActivateDedicatedEPSBearerContextReject:  "ActivateDedicatedEPSBearerContextReject",
	TypeModifyEPSBearerContextRequest:            "ModifyEPSBearerContextRequest",
	TypeModifyEPSBearerContextAccept:             "ModifyEPSBearerContextAccept",
	TypeModifyEPSBearerContextReject:             "ModifyEPSBearerContextReject",
	TypeDeactivateEPSBearerContextRequest:        "DeactivateEPSBearerContextRequest",
	TypeDeactivateEPSBearerContextAccept:         "DeactivateEPSBearerContextAccept",
	TypePDNConnectivityRequest:                   "PDNConnectivityRequest",
	TypePDNConnectivityReject:                    "PDNConnectivityReject",
	TypePDNDisconnectRequest:                     "PDNDisconnectRequest",
	TypePDNDisconnectReject:                      "PDNDisconnectReject",
	TypeBearerResourceAllocationRequest:          "BearerResourceAllocationRequest",
	TypeBearerResourceAllocationReject:           "BearerResourceAllocationReject",
	TypeBearerResourceModificationRequest:        "BearerResourceModificationRequest",
	TypeBearerResourceModificationReject:         "BearerResourceModificationReject",
	TypeESMInformationRequest:                    "ESMInformationRequest",
	TypeESMInformationResponse:                   "ESMInformationResponse",
	TypeNotification:                             "Notification",
	TypeESMDummyMessage:                          "ESMDummyMessage",
	TypeESMStatus:                                "ESMStatus",
	TypeRemoteUEReport:                           "RemoteUEReport",
	TypeRemoteUEReportResponse:                   "RemoteUEReportResponse",
	TypeESMDataTransport:                         "ESMDataTransport",
	TypeSecurityProtected:                        "SecurityProtected",
	TypeServiceRequest:                           "ServiceRequest",
}

// String returns the message name without spaces ("AttachRequest"), or
// "MessageType(0xNN)" for values not defined in TS 24.301 §9.8.
func (t MessageType) String() string {
	if s, ok := messageTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("MessageType(0x%02x)", uint16(t))
}

// ProtocolDiscriminator returns the discriminator of messages of type t:
// ESM for 0xc0-0xff (TS 24.301 table 9.8.2), EMM otherwise.
func (t MessageType) ProtocolDiscriminator() ProtocolDiscriminator {
	if t >= 0xc0 && t <= 0xff {
		return EPSSessionManagement
	}
	return EPSMobilityManagement
}

// MarshalText returns String().
func (t MessageType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
