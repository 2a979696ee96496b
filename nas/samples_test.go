package nas

import (
	"encoding/hex"
	"net/netip"
	"testing"
	"time"
)

// Values shared by the sample messages: test PLMN 001/01.
var (
	testPLMN = PLMNID{0x00, 0xf1, 0x10}
	testGUTI = GUTI{PLMN: testPLMN, MMEGroupID: 0x8001, MMECode: 0x01, MTMSI: 0xc0000123}
	testTAI  = TAI{PLMN: testPLMN, TAC: 0x0001}
	testAddr = netip.MustParseAddr("10.45.0.2")
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustEncode(t testing.TB, m Message) []byte {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// sample is one message built from values, and the direction it travels.
type sample struct {
	name string
	dir  Direction
	m    Message
}

// sampleMessages returns one instance of every message type this package
// encodes, with the optional IEs an MME or UE typically sends, all with
// valid contents (the tshark cross-check dissects them).
func sampleMessages(t testing.TB) []sample {
	t.Helper()
	dnsReq, err := NewProtocolConfigurationOptions(PCOContainer{ID: PCODNSServerIPv4Address}, PCOContainer{ID: PCOIPAddressAllocationViaNAS})
	if err != nil {
		t.Fatal(err)
	}
	dnsResp, err := NewProtocolConfigurationOptions(PCOContainer{ID: PCODNSServerIPv4Address, Contents: Octets{8, 8, 8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	pdnReq := &PDNConnectivityRequest{EBI: 0, PTI: 1, RequestType: InitialRequest, PDNType: PDNTypeIPv4,
		ESMInformationTransferFlag: ptr(ESMInformationTransferFlag(1)), ProtocolConfigurationOptions: dnsReq}
	actDefault := &ActivateDefaultEPSBearerContextRequest{EBI: 5, PTI: 1,
		EPSQoS: EPSQoS{QCI: 9}, AccessPointName: "internet", PDNAddress: PDNAddress{Type: PDNTypeIPv4, IPv4: netip.MustParseAddr("10.45.0.2")},
		APNAMBR: NewAPNAggregateMaximumBitRate(100000, 50000), ProtocolConfigurationOptions: dnsResp}
	taiList := TAIList{{Type: TAIListNonConsecutive, TAIs: []TAI{testTAI, {PLMN: testPLMN, TAC: 7}}}}
	attachRequest := &AttachRequest{
		EPSAttachType:            CombinedEPSIMSIAttach,
		NASKeySetIdentifier:      NASKeySetIdentifier{KSI: NoKeyAvailable},
		EPSMobileIdentity:        EPSMobileIdentity{Type: EPSIdentityIMSI, Digits: "001010000000001"},
		UENetworkCapability:      UENetworkCapability{0xf0, 0xf0, 0xc0, 0x40, 0x19},
		ESMMessageContainer:      mustEncode(t, pdnReq),
		LastVisitedRegisteredTAI: &testTAI,
		DRXParameter:             &DRXParameter{SplitPGCycleCode: 0x0a},
		MSNetworkCapability:      Octets{0xe5, 0xe0, 0x34},
		TMSIStatus:               ptr(TMSIStatus(0)),
		MobileStationClassmark2:  Octets{0x57, 0x58, 0xa6},
		SupportedCodecs:          Octets{0x04, 0x02, 0x60, 0x04, 0x00, 0x02, 0x1f, 0x00},
		VoiceDomainPreference:    Octets{0x01},
	}
	attachAccept := &AttachAccept{
		EPSAttachResult:            CombinedEPSIMSI,
		T3412Value:                 GPRSTimer{Unit: TimerUnitDecihour, Value: 9},
		TAIList:                    taiList,
		ESMMessageContainer:        mustEncode(t, actDefault),
		GUTI:                       &testGUTI,
		LocationAreaIdentification: &LAI{PLMN: testPLMN, LAC: 0xfffd},
		MSIdentity:                 &MobileIdentity{Type: MobileIdentityTMSI, TMSI: 0x00e102d4},
		T3402Value:                 &GPRSTimer{Unit: TimerUnitMinute, Value: 12},
		EquivalentPLMNs:            PLMNList{testPLMN, {0x00, 0xf1, 0x20}},
		EmergencyNumberList:        Octets{0x03, 0x01, 0x11, 0xf2},
		EPSNetworkFeatureSupport:   EPSNetworkFeatureSupport{0x01},
	}
	fullName, err := NewNetworkName("Test Network", false)
	if err != nil {
		t.Fatal(err)
	}
	shortName, err := NewNetworkName("TestNet", false)
	if err != nil {
		t.Fatal(err)
	}
	smsCPData := unhex(t, "09011d00010007913386094000f01101830a816000000000000005d4f29cae00")
	tft := TrafficFlowTemplate{0x21, 0x31, 0x00, 0x05, 0x30, 0x11, 0x50, 0x13, 0x88} // create new TFT, 1 filter: bidirectional, id 1, precedence 0, protocol UDP, single remote port 5000
	dedicatedQoS := NewEPSQoS(1, 128, 128, 64, 64)
	return []sample{
		{"AttachRequest", Uplink, attachRequest},
		{"AttachAccept", Downlink, attachAccept},
		{"AttachComplete", Uplink, &AttachComplete{ESMMessageContainer: mustEncode(t, &ActivateDefaultEPSBearerContextAccept{EBI: 5, PTI: 0})}},
		{"AttachReject", Downlink, &AttachReject{EMMCause: EMMCauseEPSServicesNotAllowed, T3346Value: &GPRSTimer2{Unit: TimerUnitMinute, Value: 5}}},
		{"AttachRejectESM", Downlink, &AttachReject{EMMCause: EMMCauseESMFailure,
			ESMMessageContainer: mustEncode(t, &PDNConnectivityReject{PTI: 1, ESMCause: ESMCauseMissingOrUnknownAPN})}},
		{"AuthenticationRequest", Downlink, &AuthenticationRequest{NASKeySetIdentifierASME: NASKeySetIdentifier{KSI: 1},
			RAND: [16]byte(unhex(t, "906d231ff57ef278c7191d170303deb6")), AUTN: [16]byte(unhex(t, "d07c4defa47480001f2b5350926bdb3a"))}},
		{"AuthenticationResponse", Uplink, &AuthenticationResponse{RES: unhex(t, "3ec3a476f829b414")}},
		{"AuthenticationFailure", Uplink, &AuthenticationFailure{EMMCause: EMMCauseSynchFailure,
			AuthenticationFailureParameter: (*[14]byte)(unhex(t, "1c2d3e4f5a6b7c8d9e0f1a2b3c4d"))}},
		{"AuthenticationReject", Downlink, &AuthenticationReject{}},
		{"IdentityRequest", Downlink, &IdentityRequest{IdentityType: IdentityIMSI}},
		{"IdentityResponse", Uplink, &IdentityResponse{MobileIdentity: MobileIdentity{Type: MobileIdentityIMSI, Digits: "001010000000001"}}},
		{"SecurityModeCommand", Downlink, &SecurityModeCommand{
			SelectedNASSecurityAlgorithms:  NASSecurityAlgorithms{Ciphering: 2, Integrity: 2},
			NASKeySetIdentifier:            NASKeySetIdentifier{KSI: 1},
			ReplayedUESecurityCapabilities: attachRequest.UENetworkCapability.SecurityCapability(0, false),
			IMEISVRequest:                  ptr(IMEISVRequested)}},
		{"SecurityModeComplete", Uplink, &SecurityModeComplete{IMEISV: &MobileIdentity{Type: MobileIdentityIMEISV, Digits: "3595689229781454"}}},
		{"SecurityModeReject", Uplink, &SecurityModeReject{EMMCause: EMMCauseUESecurityCapabilitiesMismatch}},
		{"DetachRequestUEOriginating", Uplink, &DetachRequestUEOriginating{DetachType: DetachType{SwitchOff: true, Type: EPSDetach},
			NASKeySetIdentifier: NASKeySetIdentifier{KSI: 1}, EPSMobileIdentity: EPSMobileIdentity{Type: EPSIdentityGUTI, GUTI: testGUTI}}},
		{"DetachRequestUETerminated", Downlink, &DetachRequestUETerminated{DetachType: DetachType{Type: ReattachNotRequired},
			EMMCause: ptr(EMMCauseIMSIUnknownInHSS)}},
		{"DetachAccept", Downlink, &DetachAccept{}},
		{"TrackingAreaUpdateRequest", Uplink, &TrackingAreaUpdateRequest{
			EPSUpdateType:            EPSUpdateType{Value: TAUpdating},
			NASKeySetIdentifier:      NASKeySetIdentifier{KSI: 1},
			OldGUTI:                  testGUTI,
			UENetworkCapability:      attachRequest.UENetworkCapability,
			LastVisitedRegisteredTAI: &testTAI,
			DRXParameter:             &DRXParameter{SplitPGCycleCode: 0x0a},
			EPSBearerContextStatus:   ptr(EPSBearerContextStatus(1 << 5)),
		}},
		{"TrackingAreaUpdateAccept", Downlink, &TrackingAreaUpdateAccept{
			EPSUpdateResult:          TAUpdated,
			T3412Value:               &GPRSTimer{Unit: TimerUnitDecihour, Value: 9},
			GUTI:                     &testGUTI,
			TAIList:                  TAIList{{Type: TAIListConsecutive, TAIs: []TAI{{PLMN: testPLMN, TAC: 1}, {PLMN: testPLMN, TAC: 2}}}},
			EPSBearerContextStatus:   ptr(EPSBearerContextStatus(1 << 5)),
			EPSNetworkFeatureSupport: EPSNetworkFeatureSupport{0x01},
		}},
		{"TrackingAreaUpdateComplete", Uplink, &TrackingAreaUpdateComplete{}},
		{"TrackingAreaUpdateReject", Downlink, &TrackingAreaUpdateReject{EMMCause: EMMCauseImplicitlyDetached}},
		{"ServiceRequest", Uplink, &ServiceRequest{KSI: 1, SequenceNumber: 5, ShortMAC: [2]byte{0xa1, 0x8f}}},
		{"ExtendedServiceRequest", Uplink, &ExtendedServiceRequest{ServiceType: MobileOriginatingCSFallback, NASKeySetIdentifier: NASKeySetIdentifier{KSI: 1},
			MTMSI: MobileIdentity{Type: MobileIdentityTMSI, TMSI: 0xc0000123}, EPSBearerContextStatus: ptr(EPSBearerContextStatus(1 << 5))}},
		{"ServiceReject", Downlink, &ServiceReject{EMMCause: EMMCauseCongestion, T3346Value: &GPRSTimer2{Unit: TimerUnitMinute, Value: 2}}},
		{"ServiceAccept", Downlink, &ServiceAccept{EPSBearerContextStatus: ptr(EPSBearerContextStatus(1 << 5))}},
		{"ControlPlaneServiceRequest", Uplink, &ControlPlaneServiceRequest{ControlPlaneServiceType: 0, NASKeySetIdentifier: NASKeySetIdentifier{KSI: 1},
			ESMMessageContainer: mustEncode(t, &ESMDataTransport{EBI: 5, UserDataContainer: Octets("hello")})}},
		{"GUTIReallocationCommand", Downlink, &GUTIReallocationCommand{GUTI: testGUTI, TAIList: taiList}},
		{"GUTIReallocationComplete", Uplink, &GUTIReallocationComplete{}},
		{"EMMStatus", Uplink, &EMMStatus{EMMCause: EMMCauseMessageTypeNonExistent}},
		{"EMMInformation", Downlink, &EMMInformation{FullNameForNetwork: fullName, ShortNameForNetwork: shortName,
			LocalTimeZone:                 ptr(NewTimeZone(2 * 3600)),
			UniversalTimeAndLocalTimeZone: ptr(NewTimeZoneAndTime(time.Date(2025, 6, 1, 12, 30, 15, 0, time.FixedZone("", 2*3600)))),
			NetworkDaylightSavingTime:     ptr(DaylightSavingTime(1))}},
		{"DownlinkNASTransport", Downlink, &DownlinkNASTransport{NASMessageContainer: Octets{0x89, 0x04}}},
		{"UplinkNASTransport", Uplink, &UplinkNASTransport{NASMessageContainer: smsCPData}},
		{"CSServiceNotification", Downlink, &CSServiceNotification{PagingIdentity: 1}},
		{"DownlinkGenericNASTransport", Downlink, &DownlinkGenericNASTransport{GenericMessageContainerType: 1, GenericMessageContainer: Octets{0x00}}},
		{"UplinkGenericNASTransport", Uplink, &UplinkGenericNASTransport{GenericMessageContainerType: 1, GenericMessageContainer: Octets{0x00}}},
		{"SecurityProtected", Uplink, &SecurityProtected{Header: IntegrityProtected, MAC: [4]byte{1, 2, 3, 4}, SequenceNumber: 3,
			Message: mustEncode(t, &TrackingAreaUpdateComplete{})}},

		{"PDNConnectivityRequest", Uplink, pdnReq},
		{"PDNConnectivityReject", Downlink, &PDNConnectivityReject{PTI: 1, ESMCause: ESMCauseMissingOrUnknownAPN}},
		{"PDNDisconnectRequest", Uplink, &PDNDisconnectRequest{PTI: 2, LinkedEPSBearerIdentity: 5}},
		{"PDNDisconnectReject", Downlink, &PDNDisconnectReject{PTI: 2, ESMCause: ESMCauseLastPDNDisconnectionNotAllowed}},
		{"ActivateDefaultEPSBearerContextRequest", Downlink, actDefault},
		{"ActivateDefaultEPSBearerContextAccept", Uplink, &ActivateDefaultEPSBearerContextAccept{EBI: 5}},
		{"ActivateDefaultEPSBearerContextReject", Uplink, &ActivateDefaultEPSBearerContextReject{EBI: 5, ESMCause: ESMCauseInsufficientResources}},
		{"ActivateDedicatedEPSBearerContextRequest", Downlink, &ActivateDedicatedEPSBearerContextRequest{EBI: 6, LinkedEPSBearerIdentity: 5,
			EPSQoS: dedicatedQoS, TFT: tft}},
		{"ActivateDedicatedEPSBearerContextAccept", Uplink, &ActivateDedicatedEPSBearerContextAccept{EBI: 6}},
		{"ActivateDedicatedEPSBearerContextReject", Uplink, &ActivateDedicatedEPSBearerContextReject{EBI: 6, ESMCause: ESMCauseSemanticErrorsInPacketFilters}},
		{"ModifyEPSBearerContextRequest", Downlink, &ModifyEPSBearerContextRequest{EBI: 5, NewEPSQoS: &EPSQoS{QCI: 8}, APNAMBR: NewAPNAggregateMaximumBitRate(200000, 100000)}},
		{"ModifyEPSBearerContextAccept", Uplink, &ModifyEPSBearerContextAccept{EBI: 5}},
		{"ModifyEPSBearerContextReject", Uplink, &ModifyEPSBearerContextReject{EBI: 5, ESMCause: ESMCauseInvalidEPSBearerIdentity}},
		{"DeactivateEPSBearerContextRequest", Downlink, &DeactivateEPSBearerContextRequest{EBI: 6, ESMCause: ESMCauseRegularDeactivation}},
		{"DeactivateEPSBearerContextAccept", Uplink, &DeactivateEPSBearerContextAccept{EBI: 6}},
		{"BearerResourceAllocationRequest", Uplink, &BearerResourceAllocationRequest{PTI: 3, LinkedEPSBearerIdentity: 5,
			TrafficFlowAggregate: tft, RequiredTrafficFlowQoS: dedicatedQoS}},
		{"BearerResourceAllocationReject", Downlink, &BearerResourceAllocationReject{PTI: 3, ESMCause: ESMCauseServiceOptionNotSupported,
			BackOffTimerValue: &GPRSTimer3{Unit: Timer3Unit1Minute, Value: 1}}},
		{"BearerResourceModificationRequest", Uplink, &BearerResourceModificationRequest{PTI: 4, LinkedEPSBearerIdentity: 6,
			TrafficFlowAggregate: TrafficFlowTemplate{0xa1, 0x01}, ESMCause: ptr(ESMCauseRegularDeactivation)}},
		{"BearerResourceModificationReject", Downlink, &BearerResourceModificationReject{PTI: 4, ESMCause: ESMCauseRequestRejectedUnspecified}},
		{"ESMInformationRequest", Downlink, &ESMInformationRequest{PTI: 1}},
		{"ESMInformationResponse", Uplink, &ESMInformationResponse{PTI: 1, AccessPointName: ptr(APN("internet"))}},
		{"ESMStatus", Uplink, &ESMStatus{EBI: 5, ESMCause: ESMCauseInvalidEPSBearerIdentity}},
		{"Notification", Downlink, &Notification{EBI: 5, NotificationIndicator: 1}},
		{"ESMDummyMessage", Uplink, &ESMDummyMessage{}},
		{"RemoteUEReport", Uplink, &RemoteUEReport{PTI: 5}},
		{"RemoteUEReportResponse", Downlink, &RemoteUEReportResponse{PTI: 5}},
		{"ESMDataTransport", Uplink, &ESMDataTransport{EBI: 5, UserDataContainer: Octets("hello")}},
	}
}
