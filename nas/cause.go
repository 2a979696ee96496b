package nas

import "fmt"

// EMMCause is the EMM cause IE value (TS 24.301 §9.9.3.9, table 9.9.3.9.1;
// the meaning of each value is in Annex A).
type EMMCause uint8

// EMM causes, TS 24.301 §9.9.3.9 table 9.9.3.9.1.
const (
	EMMCauseIMSIUnknownInHSS                    EMMCause = 2   // #2 IMSI unknown in HSS
	EMMCauseIllegalUE                           EMMCause = 3   // #3 Illegal UE
	EMMCauseIMEINotAccepted                     EMMCause = 5   // #5 IMEI not accepted
	EMMCauseIllegalME                           EMMCause = 6   // #6 Illegal ME
	EMMCauseEPSServicesNotAllowed               EMMCause = 7   // #7 EPS services not allowed
	EMMCauseEPSAndNonEPSServicesNotAllowed      EMMCause = 8   // #8 EPS services and non-EPS services not allowed
	EMMCauseUEIdentityCannotBeDerived           EMMCause = 9   // #9 UE identity cannot be derived by the network
	EMMCauseImplicitlyDetached                  EMMCause = 10  // #10 Implicitly detached
	EMMCausePLMNNotAllowed                      EMMCause = 11  // #11 PLMN not allowed
	EMMCauseTrackingAreaNotAllowed              EMMCause = 12  // #12 Tracking Area not allowed
	EMMCauseRoamingNotAllowedInTrackingArea     EMMCause = 13  // #13 Roaming not allowed in this tracking area
	EMMCauseEPSServicesNotAllowedInPLMN         EMMCause = 14  // #14 EPS services not allowed in this PLMN
	EMMCauseNoSuitableCellsInTrackingArea       EMMCause = 15  // #15 No Suitable Cells In tracking area
	EMMCauseMSCTemporarilyNotReachable          EMMCause = 16  // #16 MSC temporarily not reachable
	EMMCauseNetworkFailure                      EMMCause = 17  // #17 Network failure
	EMMCauseCSDomainNotAvailable                EMMCause = 18  // #18 CS domain not available
	EMMCauseESMFailure                          EMMCause = 19  // #19 ESM failure
	EMMCauseMACFailure                          EMMCause = 20  // #20 MAC failure
	EMMCauseSynchFailure                        EMMCause = 21  // #21 Synch failure
	EMMCauseCongestion                          EMMCause = 22  // #22 Congestion
	EMMCauseUESecurityCapabilitiesMismatch      EMMCause = 23  // #23 UE security capabilities mismatch
	EMMCauseSecurityModeRejectedUnspecified     EMMCause = 24  // #24 Security mode rejected, unspecified
	EMMCauseNotAuthorizedForCSG                 EMMCause = 25  // #25 Not authorized for this CSG
	EMMCauseNonEPSAuthenticationUnacceptable    EMMCause = 26  // #26 Non-EPS authentication unacceptable
	EMMCauseRedirectionTo5GCNRequired           EMMCause = 31  // #31 Redirection to 5GCN required
	EMMCauseRequestedServiceOptionNotAuthorized EMMCause = 35  // #35 Requested service option not authorized in this PLMN
	EMMCauseCSServiceTemporarilyNotAvailable    EMMCause = 39  // #39 CS service temporarily not available
	EMMCauseNoEPSBearerContextActivated         EMMCause = 40  // #40 No EPS bearer context activated
	EMMCauseSevereNetworkFailure                EMMCause = 42  // #42 Severe network failure
	EMMCausePLMNNotAllowedAtPresentUELocation   EMMCause = 78  // #78 PLMN not allowed to operate at the present UE location
	EMMCauseSemanticallyIncorrectMessage        EMMCause = 95  // #95 Semantically incorrect message
	EMMCauseInvalidMandatoryInformation         EMMCause = 96  // #96 Invalid mandatory information
	EMMCauseMessageTypeNonExistent              EMMCause = 97  // #97 Message type non-existent or not implemented
	EMMCauseMessageTypeNotCompatible            EMMCause = 98  // #98 Message type not compatible with the protocol state
	EMMCauseIENonExistent                       EMMCause = 99  // #99 Information element non-existent or not implemented
	EMMCauseConditionalIEError                  EMMCause = 100 // #100 Conditional IE error
	EMMCauseMessageNotCompatible                EMMCause = 101 // #101 Message not compatible with the protocol state
	EMMCauseProtocolErrorUnspecified            EMMCause = 111 // #111 Protocol error, unspecified
)

var emmCauseNames = map[EMMCause]string{
	EMMCauseIMSIUnknownInHSS:                    "IMSIUnknownInHSS",
	EMMCauseIllegalUE:                           "IllegalUE",
	EMMCauseIMEINotAccepted:                     "IMEINotAccepted",
	EMMCauseIllegalME:                           "IllegalME",
	EMMCauseEPSServicesNotAllowed:               "EPSServicesNotAllowed",
	EMMCauseEPSAndNonEPSServicesNotAllowed:      "EPSAndNonEPSServicesNotAllowed",
	EMMCauseUEIdentityCannotBeDerived:           "UEIdentityCannotBeDerived",
	EMMCauseImplicitlyDetached:                  "ImplicitlyDetached",
	EMMCausePLMNNotAllowed:                      "PLMNNotAllowed",
	EMMCauseTrackingAreaNotAllowed:              "TrackingAreaNotAllowed",
	EMMCauseRoamingNotAllowedInTrackingArea:     "RoamingNotAllowedInTrackingArea",
	EMMCauseEPSServicesNotAllowedInPLMN:         "EPSServicesNotAllowedInPLMN",
	EMMCauseNoSuitableCellsInTrackingArea:       "NoSuitableCellsInTrackingArea",
	EMMCauseMSCTemporarilyNotReachable:          "MSCTemporarilyNotReachable",
	EMMCauseNetworkFailure:                      "NetworkFailure",
	EMMCauseCSDomainNotAvailable:                "CSDomainNotAvailable",
	EMMCauseESMFailure:                          "ESMFailure",
	EMMCauseMACFailure:                          "MACFailure",
	EMMCauseSynchFailure:                        "SynchFailure",
	EMMCauseCongestion:                          "Congestion",
	EMMCauseUESecurityCapabilitiesMismatch:      "UESecurityCapabilitiesMismatch",
	EMMCauseSecurityModeRejectedUnspecified:     "SecurityModeRejectedUnspecified",
	EMMCauseNotAuthorizedForCSG:                 "NotAuthorizedForCSG",
	EMMCauseNonEPSAuthenticationUnacceptable:    "NonEPSAuthenticationUnacceptable",
	EMMCauseRedirectionTo5GCNRequired:           "RedirectionTo5GCNRequired",
	EMMCauseRequestedServiceOptionNotAuthorized: "RequestedServiceOptionNotAuthorized",
	EMMCauseCSServiceTemporarilyNotAvailable:    "CSServiceTemporarilyNotAvailable",
	EMMCauseNoEPSBearerContextActivated:         "NoEPSBearerContextActivated",
	EMMCauseSevereNetworkFailure:                "SevereNetworkFailure",
	EMMCausePLMNNotAllowedAtPresentUELocation:   "PLMNNotAllowedAtPresentUELocation",
	EMMCauseSemanticallyIncorrectMessage:        "SemanticallyIncorrectMessage",
	EMMCauseInvalidMandatoryInformation:         "InvalidMandatoryInformation",
	EMMCauseMessageTypeNonExistent:              "MessageTypeNonExistent",
	EMMCauseMessageTypeNotCompatible:            "MessageTypeNotCompatible",
	EMMCauseIENonExistent:                       "IENonExistent",
	EMMCauseConditionalIEError:                  "ConditionalIEError",
	EMMCauseMessageNotCompatible:                "MessageNotCompatible",
	EMMCauseProtocolErrorUnspecified:            "ProtocolErrorUnspecified",
}

// String returns the cause name ("IllegalUE") or "EMMCause(N)" for values
// table 9.9.3.9.1 does not define (TS 24.301 Annex A.2 says any other value
// received is treated as #111, or #17 for the network-side causes).
func (c EMMCause) String() string {
	if s, ok := emmCauseNames[c]; ok {
		return s
	}
	return fmt.Sprintf("EMMCause(%d)", uint8(c))
}

// ESMCause is the ESM cause IE value (TS 24.301 §9.9.4.4, table 9.9.4.4.1;
// Annex B gives the meanings).
type ESMCause uint8

// ESM causes, TS 24.301 §9.9.4.4 table 9.9.4.4.1.
const (
	ESMCauseOperatorDeterminedBarring                 ESMCause = 8   // #8 Operator Determined Barring
	ESMCauseInsufficientResources                     ESMCause = 26  // #26 Insufficient resources
	ESMCauseMissingOrUnknownAPN                       ESMCause = 27  // #27 Missing or unknown APN
	ESMCauseUnknownPDNType                            ESMCause = 28  // #28 Unknown PDN type
	ESMCauseUserAuthenticationFailed                  ESMCause = 29  // #29 User authentication or authorization failed
	ESMCauseRequestRejectedBySGWOrPGW                 ESMCause = 30  // #30 Request rejected by Serving GW or PDN GW
	ESMCauseRequestRejectedUnspecified                ESMCause = 31  // #31 Request rejected, unspecified
	ESMCauseServiceOptionNotSupported                 ESMCause = 32  // #32 Service option not supported
	ESMCauseRequestedServiceOptionNotSubscribed       ESMCause = 33  // #33 Requested service option not subscribed
	ESMCauseServiceOptionTemporarilyOutOfOrder        ESMCause = 34  // #34 Service option temporarily out of order
	ESMCausePTIAlreadyInUse                           ESMCause = 35  // #35 PTI already in use
	ESMCauseRegularDeactivation                       ESMCause = 36  // #36 Regular deactivation
	ESMCauseEPSQoSNotAccepted                         ESMCause = 37  // #37 EPS QoS not accepted
	ESMCauseNetworkFailure                            ESMCause = 38  // #38 Network failure
	ESMCauseReactivationRequested                     ESMCause = 39  // #39 Reactivation requested
	ESMCauseSemanticErrorInTFTOperation               ESMCause = 41  // #41 Semantic error in the TFT operation
	ESMCauseSyntacticalErrorInTFTOperation            ESMCause = 42  // #42 Syntactical error in the TFT operation
	ESMCauseInvalidEPSBearerIdentity                  ESMCause = 43  // #43 Invalid EPS bearer identity
	ESMCauseSemanticErrorsInPacketFilters             ESMCause = 44  // #44 Semantic errors in packet filter(s)
	ESMCauseSyntacticalErrorsInPacketFilters          ESMCause = 45  // #45 Syntactical errors in packet filter(s)
	ESMCausePTIMismatch                               ESMCause = 47  // #47 PTI mismatch
	ESMCauseLastPDNDisconnectionNotAllowed            ESMCause = 49  // #49 Last PDN disconnection not allowed
	ESMCausePDNTypeIPv4OnlyAllowed                    ESMCause = 50  // #50 PDN type IPv4 only allowed
	ESMCausePDNTypeIPv6OnlyAllowed                    ESMCause = 51  // #51 PDN type IPv6 only allowed
	ESMCauseSingleAddressBearersOnlyAllowed           ESMCause = 52  // #52 Single address bearers only allowed
	ESMCauseESMInformationNotReceived                 ESMCause = 53  // #53 ESM information not received
	ESMCausePDNConnectionDoesNotExist                 ESMCause = 54  // #54 PDN connection does not exist
	ESMCauseMultiplePDNConnectionsNotAllowed          ESMCause = 55  // #55 Multiple PDN connections for a given APN not allowed
	ESMCauseCollisionWithNetworkInitiatedRequest      ESMCause = 56  // #56 Collision with network initiated request
	ESMCausePDNTypeIPv4v6OnlyAllowed                  ESMCause = 57  // #57 PDN type IPv4v6 only allowed
	ESMCausePDNTypeNonIPOnlyAllowed                   ESMCause = 58  // #58 PDN type non IP only allowed
	ESMCauseUnsupportedQCIValue                       ESMCause = 59  // #59 Unsupported QCI value
	ESMCauseBearerHandlingNotSupported                ESMCause = 60  // #60 Bearer handling not supported
	ESMCausePDNTypeEthernetOnlyAllowed                ESMCause = 61  // #61 PDN type Ethernet only allowed
	ESMCauseMaximumNumberOfEPSBearersReached          ESMCause = 65  // #65 Maximum number of EPS bearers reached
	ESMCauseRequestedAPNNotSupported                  ESMCause = 66  // #66 Requested APN not supported in current RAT and PLMN combination
	ESMCauseInvalidPTIValue                           ESMCause = 81  // #81 Invalid PTI value
	ESMCauseSemanticallyIncorrectMessage              ESMCause = 95  // #95 Semantically incorrect message
	ESMCauseInvalidMandatoryInformation               ESMCause = 96  // #96 Invalid mandatory information
	ESMCauseMessageTypeNonExistent                    ESMCause = 97  // #97 Message type non-existent or not implemented
	ESMCauseMessageTypeNotCompatible                  ESMCause = 98  // #98 Message type not compatible with the protocol state
	ESMCauseIENonExistent                             ESMCause = 99  // #99 Information element non-existent or not implemented
	ESMCauseConditionalIEError                        ESMCause = 100 // #100 Conditional IE error
	ESMCauseMessageNotCompatible                      ESMCause = 101 // #101 Message not compatible with the protocol state
	ESMCauseProtocolErrorUnspecified                  ESMCause = 111 // #111 Protocol error, unspecified
	ESMCauseAPNRestrictionIncompatible                ESMCause = 112 // #112 APN restriction value incompatible with active EPS bearer context
	ESMCauseMultipleAccessesToPDNConnectionNotAllowed ESMCause = 113 // #113 Multiple accesses to a PDN connection not allowed
)

var esmCauseNames = map[ESMCause]string{
	ESMCauseOperatorDeterminedBarring:                 "OperatorDeterminedBarring",
	ESMCauseInsufficientResources:                     "InsufficientResources",
	ESMCauseMissingOrUnknownAPN:                       "MissingOrUnknownAPN",
	ESMCauseUnknownPDNType:                            "UnknownPDNType",
	ESMCauseUserAuthenticationFailed:                  "UserAuthenticationFailed",
	ESMCauseRequestRejectedBySGWOrPGW:                 "RequestRejectedBySGWOrPGW",
	ESMCauseRequestRejectedUnspecified:                "RequestRejectedUnspecified",
	ESMCauseServiceOptionNotSupported:                 "ServiceOptionNotSupported",
	ESMCauseRequestedServiceOptionNotSubscribed:       "RequestedServiceOptionNotSubscribed",
	ESMCauseServiceOptionTemporarilyOutOfOrder:        "ServiceOptionTemporarilyOutOfOrder",
	ESMCausePTIAlreadyInUse:                           "PTIAlreadyInUse",
	ESMCauseRegularDeactivation:                       "RegularDeactivation",
	ESMCauseEPSQoSNotAccepted:                         "EPSQoSNotAccepted",
	ESMCauseNetworkFailure:                            "NetworkFailure",
	ESMCauseReactivationRequested:                     "ReactivationRequested",
	ESMCauseSemanticErrorInTFTOperation:               "SemanticErrorInTFTOperation",
	ESMCauseSyntacticalErrorInTFTOperation:            "SyntacticalErrorInTFTOperation",
	ESMCauseInvalidEPSBearerIdentity:                  "InvalidEPSBearerIdentity",
	ESMCauseSemanticErrorsInPacketFilters:             "SemanticErrorsInPacketFilters",
	ESMCauseSyntacticalErrorsInPacketFilters:          "SyntacticalErrorsInPacketFilters",
	ESMCausePTIMismatch:                               "PTIMismatch",
	ESMCauseLastPDNDisconnectionNotAllowed:            "LastPDNDisconnectionNotAllowed",
	ESMCausePDNTypeIPv4OnlyAllowed:                    "PDNTypeIPv4OnlyAllowed",
	ESMCausePDNTypeIPv6OnlyAllowed:                    "PDNTypeIPv6OnlyAllowed",
	ESMCauseSingleAddressBearersOnlyAllowed:           "SingleAddressBearersOnlyAllowed",
	ESMCauseESMInformationNotReceived:                 "ESMInformationNotReceived",
	ESMCausePDNConnectionDoesNotExist:                 "PDNConnectionDoesNotExist",
	ESMCauseMultiplePDNConnectionsNotAllowed:          "MultiplePDNConnectionsNotAllowed",
	ESMCauseCollisionWithNetworkInitiatedRequest:      "CollisionWithNetworkInitiatedRequest",
	ESMCausePDNTypeIPv4v6OnlyAllowed:                  "PDNTypeIPv4v6OnlyAllowed",
	ESMCausePDNTypeNonIPOnlyAllowed:                   "PDNTypeNonIPOnlyAllowed",
	ESMCauseUnsupportedQCIValue:                       "UnsupportedQCIValue",
	ESMCauseBearerHandlingNotSupported:                "BearerHandlingNotSupported",
	ESMCausePDNTypeEthernetOnlyAllowed:                "PDNTypeEthernetOnlyAllowed",
	ESMCauseMaximumNumberOfEPSBearersReached:          "MaximumNumberOfEPSBearersReached",
	ESMCauseRequestedAPNNotSupported:                  "RequestedAPNNotSupported",
	ESMCauseInvalidPTIValue:                           "InvalidPTIValue",
	ESMCauseSemanticallyIncorrectMessage:              "SemanticallyIncorrectMessage",
	ESMCauseInvalidMandatoryInformation:               "InvalidMandatoryInformation",
	ESMCauseMessageTypeNonExistent:                    "MessageTypeNonExistent",
	ESMCauseMessageTypeNotCompatible:                  "MessageTypeNotCompatible",
	ESMCauseIENonExistent:                             "IENonExistent",
	ESMCauseConditionalIEError:                        "ConditionalIEError",
	ESMCauseMessageNotCompatible:                      "MessageNotCompatible",
	ESMCauseProtocolErrorUnspecified:                  "ProtocolErrorUnspecified",
	ESMCauseAPNRestrictionIncompatible:                "APNRestrictionIncompatible",
	ESMCauseMultipleAccessesToPDNConnectionNotAllowed: "MultipleAccessesToPDNConnectionNotAllowed",
}

// String returns the cause name ("MissingOrUnknownAPN") or "ESMCause(N)".
func (c ESMCause) String() string {
	if s, ok := esmCauseNames[c]; ok {
		return s
	}
	return fmt.Sprintf("ESMCause(%d)", uint8(c))
}
