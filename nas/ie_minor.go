package nas

import "fmt"

// Half-octet and one-octet IEs that the MME passes on or sets without
// interpreting further. Each is the value as on the wire (for half octets,
// bits 4-1).

// TMSIStatus is the TMSI status IE (TS 24.301 §9.9.3.31, TS 24.008
// §10.5.5.4): bit 1, 0 = no valid TMSI available.
type TMSIStatus uint8

// AdditionalUpdateType is the additional update type IE (TS 24.301
// §9.9.3.0B): bit 1 AUTV (1 = SMS only), bits 3-2 PNB-CIoT, bit 4 SAF.
type AdditionalUpdateType uint8

// SMSOnly reports the AUTV bit.
func (t AdditionalUpdateType) SMSOnly() bool { return t&1 != 0 }

// AdditionalUpdateResult is the additional update result IE (TS 24.301
// §9.9.3.0A): bits 2-1, 0 no additional information, 1 CS fallback not
// preferred, 2 SMS only.
type AdditionalUpdateResult uint8

// GUTIType is the GUTI type IE (TS 24.301 §9.9.3.45): bit 1, 0 native GUTI,
// 1 mapped GUTI.
type GUTIType uint8

// DeviceProperties is the device properties IE (TS 24.301 §9.9.2.0A): bit 1,
// 1 = MS is configured for NAS signalling low priority.
type DeviceProperties uint8

// MSNetworkFeatureSupport is the MS network feature support IE (TS 24.301
// §9.9.3.20A, TS 24.008 §10.5.1.15): bit 1, extended periodic timers.
type MSNetworkFeatureSupport uint8

// IMEISVRequest is the IMEISV request IE (TS 24.301 §9.9.3.18, TS 24.008
// §10.5.5.10): bits 3-1, 0 not requested, 1 requested.
type IMEISVRequest uint8

// IMEISVRequested is the IMEISV request value asking for the IMEISV.
const IMEISVRequested IMEISVRequest = 1

// CSFBResponse is the CSFB response IE (TS 24.301 §9.9.3.5): bits 3-1, 0
// rejected by the UE, 1 accepted by the UE.
type CSFBResponse uint8

// ExtendedEMMCause is the extended EMM cause IE (TS 24.301 §9.9.3.26A): bit
// 1 E-UTRAN allowed, bit 2 EPS optimization info, bit 3 NB-IoT allowed.
type ExtendedEMMCause uint8

// CipheringKeySequenceNumber is the GPRS ciphering key sequence number IE
// (TS 24.301 §9.9.3.4A, TS 24.008 §10.5.1.2): bits 3-1, 7 = no key.
type CipheringKeySequenceNumber uint8

// UERadioCapabilityInformationUpdateNeeded is the IE of TS 24.301 §9.9.3.35:
// bit 1, 1 = update needed.
type UERadioCapabilityInformationUpdateNeeded uint8

// SMSServicesStatus is the SMS services status IE (TS 24.301 §9.9.3.4B).
type SMSServicesStatus uint8

// Non3GPPNWProvidedPolicies is the Non-3GPP NW provided policies IE (TS
// 24.301 §9.9.3.49).
type Non3GPPNWProvidedPolicies uint8

// NetworkPolicy is the network policy IE (TS 24.301 §9.9.3.52).
type NetworkPolicy uint8

// UERadioCapabilityIDAvailability is the IE of TS 24.301 §9.9.3.58.
type UERadioCapabilityIDAvailability uint8

// UERadioCapabilityIDRequest is the IE of TS 24.301 §9.9.3.59.
type UERadioCapabilityIDRequest uint8

// UERadioCapabilityIDDeletionIndication is the IE of TS 24.301 §9.9.3.61.
type UERadioCapabilityIDDeletionIndication uint8

// ControlPlaneServiceType is the control plane service type IE (TS 24.301
// §9.9.3.47): bit 4 active flag, bits 3-1 0 mobile originating request, 1
// mobile terminating request.
type ControlPlaneServiceType uint8

// ESMInformationTransferFlag is the ESM information transfer flag IE (TS
// 24.301 §9.9.4.5): bit 1 EIT, 1 = security protected ESM information
// transfer required (the MME sends ESM INFORMATION REQUEST).
type ESMInformationTransferFlag uint8

// RadioPriority is the radio priority IE (TS 24.301 §9.9.4.13, TS 24.008
// §10.5.7.2): bits 3-1.
type RadioPriority uint8

// WLANOffloadAcceptability is the WLAN offload indication IE (TS 24.301
// §9.9.4.18): bit 1 E-UTRAN, bit 2 UTRAN offload acceptable.
type WLANOffloadAcceptability uint8

// ConnectivityType is the connectivity type IE (TS 24.301 §9.9.4.2A): bits
// 4-1, 1 = the PDN connection is considered a LIPA PDN connection.
type ConnectivityType uint8

// ControlPlaneOnlyIndication is the IE of TS 24.301 §9.9.4.23: bit 1.
type ControlPlaneOnlyIndication uint8

// ReleaseAssistanceIndication is the IE of TS 24.301 §9.9.4.25: bits 2-1 DDX.
type ReleaseAssistanceIndication uint8

// AdditionalInformationRequested is the IE of TS 24.301 §9.9.3.55: bit 1
// CipherKey.
type AdditionalInformationRequested uint8

// SSCode is the SS code IE (TS 24.301 §9.9.3.39, TS 24.080).
type SSCode uint8

// LCSIndicator is the LCS indicator IE (TS 24.301 §9.9.3.40): 1 = MT-LR.
type LCSIndicator uint8

// GenericMessageContainerType is the IE of TS 24.301 §9.9.3.42: 1 LPP, 2
// location services message container, 3 ... .
type GenericMessageContainerType uint8

// LLCSAPI is the LLC service access point identifier IE (TS 24.301 §9.9.4.7,
// TS 24.008 §10.5.6.9).
type LLCSAPI uint8

// NotificationIndicator is the notification indicator IE (TS 24.301
// §9.9.4.7A): 1 = SRVCC handover cancelled, IMS session re-establishment
// required.
type NotificationIndicator uint8

func errEBI(ebi uint8) error {
	return fmt.Errorf("%w: EPS bearer identity %d does not fit 4 bits", ErrInvalidValue, ebi)
}

// check enforces TS 24.301 §8.2.5.2: the authentication failure parameter
// is sent if and only if the EMM cause is #21 "synch failure". A #21
// without it leaves the MME nothing to re-synchronise with (TS 24.301
// §7.7.2, cause #100). With another cause the parameter is kept and has no
// use (UEs send it with #20, as in the Open5GS vectors).
func (m *AuthenticationFailure) check(d *decodeState) error {
	if m.EMMCause == EMMCauseSynchFailure && m.AuthenticationFailureParameter == nil {
		return d.conditionalError("authentication failure parameter", fmt.Errorf("missing with EMM cause #21 synch failure"))
	}
	return nil
}
