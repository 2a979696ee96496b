package nas

import "testing"

// fullSamples returns messages with (nearly) every optional IE of their
// table present, with valid contents, so that the tshark cross-check also
// covers the IEIs and formats of the non-imperative parts. Left out: IEs
// whose contents are structures this codec carries opaquely and that would
// need hand-built CSN.1 or lists (mobile station classmark 3, extended
// emergency number list, ciphering key data, remote UE context lists,
// NBIFOM container), and IEs newer than tshark 4.0's dissector (UE radio
// capability ID and its companions, Release 16).
func fullSamples(t testing.TB) []sample {
	t.Helper()
	pco, err := NewProtocolConfigurationOptions(PCOContainer{ID: PCODNSServerIPv4Address, Contents: Octets{8, 8, 4, 4}},
		PCOContainer{ID: PCOIPv4LinkMTU, Contents: Octets{0x05, 0xdc}})
	if err != nil {
		t.Fatal(err)
	}
	base := sampleMessages(t)
	var ar *AttachRequest
	for _, s := range base {
		if m, ok := s.m.(*AttachRequest); ok {
			ar = m
		}
	}
	t3324 := &GPRSTimer2{Unit: TimerUnitMinute, Value: 1}
	t3412ext := &GPRSTimer3{Unit: Timer3Unit1Hour, Value: 3}
	attachRequest := *ar
	attachRequest.OldPTMSISignature = &[3]byte{1, 2, 3}
	attachRequest.AdditionalGUTI = &testGUTI
	attachRequest.OldLocationAreaIdentification = &LAI{PLMN: testPLMN, LAC: 1}
	attachRequest.AdditionalUpdateType = ptr(AdditionalUpdateType(1))
	attachRequest.DeviceProperties = ptr(DeviceProperties(1))
	attachRequest.OldGUTIType = ptr(GUTIType(0))
	attachRequest.MSNetworkFeatureSupport = ptr(MSNetworkFeatureSupport(1))
	attachRequest.TMSIBasedNRIContainer = Octets{0x12, 0x40}
	attachRequest.T3324Value = t3324
	attachRequest.T3412ExtendedValue = t3412ext
	attachRequest.ExtendedDRXParameters = Octets{0x25}
	attachRequest.UEAdditionalSecurityCapability = Octets{0x80, 0x00, 0x80, 0x00}
	attachRequest.UEStatus = Octets{0x00}
	attachRequest.AdditionalInformationRequested = ptr(AdditionalInformationRequested(1))
	attachRequest.N1UENetworkCapability = Octets{0x00}

	accept := &AttachAccept{
		EPSAttachResult: CombinedEPSIMSI, T3412Value: GPRSTimer{Unit: TimerUnitDecihour, Value: 9},
		TAIList:                    TAIList{{Type: TAIListMultiplePLMNs, TAIs: []TAI{testTAI, {PLMN: PLMNID{0x00, 0xf1, 0x20}, TAC: 9}}}},
		ESMMessageContainer:        mustEncode(t, &ActivateDefaultEPSBearerContextRequest{EBI: 5, PTI: 1, EPSQoS: EPSQoS{QCI: 9}, AccessPointName: "internet", PDNAddress: PDNAddress{Type: PDNTypeIPv4v6, IPv6InterfaceIdentifier: [8]byte{0, 0, 0, 0, 0, 0, 0, 1}, IPv4: testAddr}}),
		GUTI:                       &testGUTI,
		LocationAreaIdentification: &LAI{PLMN: testPLMN, LAC: 2},
		MSIdentity:                 &MobileIdentity{Type: MobileIdentityTMSI, TMSI: 0x12345678},
		EMMCause:                   ptr(EMMCauseMSCTemporarilyNotReachable),
		T3402Value:                 &GPRSTimer{Unit: TimerUnitMinute, Value: 12},
		T3423Value:                 &GPRSTimer{Unit: TimerUnitDecihour, Value: 9},
		EquivalentPLMNs:            PLMNList{{0x00, 0xf1, 0x20}},
		EmergencyNumberList:        Octets{0x03, 0x01, 0x11, 0xf2},
		EPSNetworkFeatureSupport:   EPSNetworkFeatureSupport{0x01, 0x00},
		AdditionalUpdateResult:     ptr(AdditionalUpdateResult(2)),
		T3412ExtendedValue:         t3412ext,
		T3324Value:                 t3324,
		ExtendedDRXParameters:      Octets{0x25},
		SMSServicesStatus:          ptr(SMSServicesStatus(0)),
		Non3GPPNWProvidedPolicies:  ptr(Non3GPPNWProvidedPolicies(1)),
		T3448Value:                 &GPRSTimer2{Unit: TimerUnit2Seconds, Value: 10},
		NetworkPolicy:              ptr(NetworkPolicy(1)),
		T3447Value:                 &GPRSTimer3{Unit: Timer3Unit10Minutes, Value: 1},
	}
	tau := &TrackingAreaUpdateRequest{
		EPSUpdateType: EPSUpdateType{Active: true, Value: CombinedTALAUpdating}, NASKeySetIdentifier: NASKeySetIdentifier{KSI: 2},
		OldGUTI:                                  testGUTI,
		NonCurrentNativeNASKeySetIdentifier:      &NASKeySetIdentifier{KSI: 1},
		GPRSCipheringKeySequenceNumber:           ptr(CipheringKeySequenceNumber(1)),
		OldPTMSISignature:                        &[3]byte{1, 2, 3},
		AdditionalGUTI:                           &testGUTI,
		NonceUE:                                  &[4]byte{9, 8, 7, 6},
		UENetworkCapability:                      ar.UENetworkCapability,
		LastVisitedRegisteredTAI:                 &testTAI,
		DRXParameter:                             &DRXParameter{SplitPGCycleCode: 0x0a},
		UERadioCapabilityInformationUpdateNeeded: ptr(UERadioCapabilityInformationUpdateNeeded(1)),
		EPSBearerContextStatus:                   ptr(EPSBearerContextStatus(1<<5 | 1<<6)),
		MSNetworkCapability:                      ar.MSNetworkCapability,
		OldLocationAreaIdentification:            &LAI{PLMN: testPLMN, LAC: 1},
		TMSIStatus:                               ptr(TMSIStatus(1)),
		MobileStationClassmark2:                  ar.MobileStationClassmark2,
		SupportedCodecs:                          ar.SupportedCodecs,
		AdditionalUpdateType:                     ptr(AdditionalUpdateType(0)),
		VoiceDomainPreference:                    Octets{0x02},
		OldGUTIType:                              ptr(GUTIType(1)),
		DeviceProperties:                         ptr(DeviceProperties(0)),
		MSNetworkFeatureSupport:                  ptr(MSNetworkFeatureSupport(1)),
		TMSIBasedNRIContainer:                    Octets{0x12, 0x40},
		T3324Value:                               t3324,
		T3412ExtendedValue:                       t3412ext,
		ExtendedDRXParameters:                    Octets{0x25},
		UEAdditionalSecurityCapability:           Octets{0x80, 0x00, 0x80, 0x00},
		UEStatus:                                 Octets{0x00},
		AdditionalInformationRequested:           ptr(AdditionalInformationRequested(1)),
		N1UENetworkCapability:                    Octets{0x00},
	}
	tauAccept := &TrackingAreaUpdateAccept{
		EPSUpdateResult: CombinedTALAUpdatedISRActivated, T3412Value: &GPRSTimer{Unit: TimerUnitDecihour, Value: 9},
		GUTI: &testGUTI, TAIList: accept.TAIList, EPSBearerContextStatus: ptr(EPSBearerContextStatus(1 << 5)),
		LocationAreaIdentification: accept.LocationAreaIdentification, MSIdentity: accept.MSIdentity, EMMCause: accept.EMMCause,
		T3402Value: accept.T3402Value, T3423Value: accept.T3423Value, EquivalentPLMNs: accept.EquivalentPLMNs,
		EmergencyNumberList: accept.EmergencyNumberList, EPSNetworkFeatureSupport: accept.EPSNetworkFeatureSupport,
		AdditionalUpdateResult: accept.AdditionalUpdateResult, T3412ExtendedValue: t3412ext, T3324Value: t3324,
		ExtendedDRXParameters: Octets{0x25}, HeaderCompressionConfigurationStatus: Octets{0x00, 0x00},
		DCNID: Octets{0x00, 0x01}, SMSServicesStatus: accept.SMSServicesStatus, Non3GPPNWProvidedPolicies: accept.Non3GPPNWProvidedPolicies,
		T3448Value: accept.T3448Value, NetworkPolicy: accept.NetworkPolicy, T3447Value: accept.T3447Value,
	}
	dedicated := &ActivateDedicatedEPSBearerContextRequest{EBI: 6, LinkedEPSBearerIdentity: 5,
		EPSQoS: NewEPSQoS(1, 128, 128, 64, 64), TFT: TrafficFlowTemplate{0x21, 0x31, 0x00, 0x05, 0x30, 0x11, 0x50, 0x13, 0x88},
		TransactionIdentifier: Octets{0x00}, NegotiatedQoS: Octets{0x13, 0x92, 0x1f, 0x73, 0x96, 0xfe, 0xfe, 0x74, 0x4b, 0xff, 0xff, 0x00},
		NegotiatedLLCSAPI: ptr(LLCSAPI(3)), RadioPriority: ptr(RadioPriority(4)), PacketFlowIdentifier: Octets{0x00},
		ProtocolConfigurationOptions: pco, WLANOffloadIndication: ptr(WLANOffloadAcceptability(0)),
		ExtendedProtocolConfigurationOptions: pco}
	return []sample{
		{"AttachRequest(full)", Uplink, &attachRequest},
		{"AttachAccept(full)", Downlink, accept},
		{"AttachReject(full)", Downlink, &AttachReject{EMMCause: EMMCauseCongestion, T3346Value: t3324,
			T3402Value: &GPRSTimer2{Unit: TimerUnitMinute, Value: 12}, ExtendedEMMCause: ptr(ExtendedEMMCause(1))}},
		{"TrackingAreaUpdateRequest(full)", Uplink, tau},
		{"TrackingAreaUpdateAccept(full)", Downlink, tauAccept},
		{"TrackingAreaUpdateReject(full)", Downlink, &TrackingAreaUpdateReject{EMMCause: EMMCauseCongestion, T3346Value: t3324, ExtendedEMMCause: ptr(ExtendedEMMCause(1))}},
		{"SecurityModeCommand(full)", Downlink, &SecurityModeCommand{SelectedNASSecurityAlgorithms: NASSecurityAlgorithms{Ciphering: 1, Integrity: 1},
			NASKeySetIdentifier: NASKeySetIdentifier{TSC: MappedSecurityContext, KSI: 3}, ReplayedUESecurityCapabilities: UESecurityCapability{EEA: 0xf0, EIA: 0x70, UTRAN: true, UEA: 0xc0, UIA: 0x40, GERAN: true, GEA: 0x60},
			IMEISVRequest: ptr(IMEISVRequested), ReplayedNonceUE: &[4]byte{9, 8, 7, 6}, NonceMME: &[4]byte{1, 2, 3, 4},
			HashMME: &[8]byte{1, 2, 3, 4, 5, 6, 7, 8}, ReplayedUEAdditionalSecurityCapability: Octets{0x80, 0x00, 0x80, 0x00}}},
		{"SecurityModeComplete(full)", Uplink, &SecurityModeComplete{IMEISV: &MobileIdentity{Type: MobileIdentityIMEISV, Digits: "3595689229781454"},
			ReplayedNASMessageContainer: mustEncode(t, &attachRequest)}},
		{"ServiceReject(full)", Downlink, &ServiceReject{EMMCause: EMMCauseCSServiceTemporarilyNotAvailable, T3442Value: &GPRSTimer{Unit: TimerUnit2Seconds, Value: 5},
			T3346Value: t3324, T3448Value: &GPRSTimer2{Unit: TimerUnit2Seconds, Value: 10}}},
		{"ExtendedServiceRequest(full)", Uplink, &ExtendedServiceRequest{ServiceType: MobileTerminatingCSFallback, NASKeySetIdentifier: NASKeySetIdentifier{KSI: 1},
			MTMSI: MobileIdentity{Type: MobileIdentityTMSI, TMSI: 0xc0000123}, CSFBResponse: ptr(CSFBResponse(1)),
			EPSBearerContextStatus: ptr(EPSBearerContextStatus(1 << 5)), DeviceProperties: ptr(DeviceProperties(1))}},
		{"ControlPlaneServiceRequest(full)", Uplink, &ControlPlaneServiceRequest{ControlPlaneServiceType: 8, NASKeySetIdentifier: NASKeySetIdentifier{KSI: 1},
			ESMMessageContainer: mustEncode(t, &ESMDataTransport{EBI: 5, UserDataContainer: Octets("x"), ReleaseAssistanceIndication: ptr(ReleaseAssistanceIndication(1))}),
			NASMessageContainer: Octets{0x89, 0x04}, EPSBearerContextStatus: ptr(EPSBearerContextStatus(1 << 5)), DeviceProperties: ptr(DeviceProperties(0))}},
		{"GUTIReallocationCommand(full)", Downlink, &GUTIReallocationCommand{GUTI: testGUTI, TAIList: accept.TAIList, DCNID: Octets{0x00, 0x01}}},
		// Without the SS code and LCS indicator (tshark 4.0 reports
		// "extraneous data" after either one, even alone and well formed:
		// 0764 00 6111) and the LCS client identity (a BER LCS-ClientID of
		// TS 29.002 this codec carries opaquely). TestCSServiceNotificationWire covers them.
		{"CSServiceNotification(full)", Downlink, &CSServiceNotification{PagingIdentity: 0, CLI: Octets{0x91, 0x21, 0x43}}},
		{"DownlinkGenericNASTransport(full)", Downlink, &DownlinkGenericNASTransport{GenericMessageContainerType: 1, GenericMessageContainer: Octets{0x00}, AdditionalInformation: Octets{0, 0, 0, 1, 0, 0, 0, 1}}},
		{"PDNConnectivityRequest(full)", Uplink, &PDNConnectivityRequest{PTI: 7, RequestType: Handover, PDNType: PDNTypeIPv4v6,
			ESMInformationTransferFlag: ptr(ESMInformationTransferFlag(0)), AccessPointName: ptr(APN("ims")), ProtocolConfigurationOptions: pco,
			DeviceProperties: ptr(DeviceProperties(1)), HeaderCompressionConfiguration: Octets{0x01, 0x00, 0x0f}, ExtendedProtocolConfigurationOptions: pco}},
		{"PDNConnectivityReject(full)", Downlink, &PDNConnectivityReject{PTI: 7, ESMCause: ESMCauseInsufficientResources, ProtocolConfigurationOptions: pco,
			BackOffTimerValue: t3412ext, ReAttemptIndicator: Octets{0x01}, ExtendedProtocolConfigurationOptions: pco}},
		{"ActivateDefaultEPSBearerContextRequest(full)", Downlink, &ActivateDefaultEPSBearerContextRequest{EBI: 5, PTI: 1,
			EPSQoS: EPSQoS{QCI: 5}, AccessPointName: "ims.mnc001.mcc001.gprs", PDNAddress: PDNAddress{Type: PDNTypeIPv6, IPv6InterfaceIdentifier: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
			TransactionIdentifier: Octets{0x00}, NegotiatedQoS: dedicated.NegotiatedQoS, NegotiatedLLCSAPI: ptr(LLCSAPI(3)), RadioPriority: ptr(RadioPriority(1)),
			PacketFlowIdentifier: Octets{0x00}, APNAMBR: NewAPNAggregateMaximumBitRate(1000000, 500000), ESMCause: ptr(ESMCausePDNTypeIPv6OnlyAllowed),
			ProtocolConfigurationOptions: pco, ConnectivityType: ptr(ConnectivityType(1)), WLANOffloadIndication: ptr(WLANOffloadAcceptability(3)),
			HeaderCompressionConfiguration: Octets{0x01, 0x00, 0x0f}, ControlPlaneOnlyIndication: ptr(ControlPlaneOnlyIndication(1)),
			ExtendedProtocolConfigurationOptions: pco, ServingPLMNRateControl: Octets{0x00, 0x0a}}},
		{"ActivateDedicatedEPSBearerContextRequest(full)", Downlink, dedicated},
		{"ModifyEPSBearerContextRequest(full)", Downlink, &ModifyEPSBearerContextRequest{EBI: 6, NewEPSQoS: &dedicated.EPSQoS, TFT: dedicated.TFT,
			NewQoS: dedicated.NegotiatedQoS, NegotiatedLLCSAPI: ptr(LLCSAPI(3)), RadioPriority: ptr(RadioPriority(2)), PacketFlowIdentifier: Octets{0x00},
			APNAMBR: NewAPNAggregateMaximumBitRate(8640, 8640), ProtocolConfigurationOptions: pco, WLANOffloadIndication: ptr(WLANOffloadAcceptability(0)),
			HeaderCompressionConfiguration: Octets{0x01, 0x00, 0x0f}, ExtendedProtocolConfigurationOptions: pco}},
		{"DeactivateEPSBearerContextRequest(full)", Downlink, &DeactivateEPSBearerContextRequest{EBI: 6, ESMCause: ESMCauseRegularDeactivation,
			ProtocolConfigurationOptions: pco, T3396Value: t3412ext, WLANOffloadIndication: ptr(WLANOffloadAcceptability(0)), ExtendedProtocolConfigurationOptions: pco}},
		{"BearerResourceModificationRequest(full)", Uplink, &BearerResourceModificationRequest{PTI: 4, LinkedEPSBearerIdentity: 6,
			TrafficFlowAggregate: TrafficFlowTemplate{0xa1, 0x01}, RequiredTrafficFlowQoS: &dedicated.EPSQoS, ESMCause: ptr(ESMCauseRegularDeactivation),
			ProtocolConfigurationOptions: pco, DeviceProperties: ptr(DeviceProperties(1)), HeaderCompressionConfiguration: Octets{0x01, 0x00, 0x0f}, ExtendedProtocolConfigurationOptions: pco}},
		{"ESMInformationResponse(full)", Uplink, &ESMInformationResponse{PTI: 1, AccessPointName: ptr(APN("internet")), ProtocolConfigurationOptions: pco, ExtendedProtocolConfigurationOptions: pco}},
	}
}
