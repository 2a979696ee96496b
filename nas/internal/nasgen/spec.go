package main

// The message tables of TS 24.301 (Release 17) §8.2 (EMM) and §8.3 (ESM):
// each message's IEs in table order with their format, IEI, value length
// and presence. Value lengths exclude the IEI and length octets.

type dir string

const (
	ul   dir = "Uplink"
	dl   dir = "Downlink"
	both dir = "AnyDirection"
)

type ie struct {
	Field    string // Go field name (spec IE name or the table's name for it)
	Name     string // spec IE name as in the message table
	Type     string // Go type; "" for a spare half octet
	Format   string // V½ V LV LV-E TV½ TV TLV TLV-E
	IEI      uint8
	Min, Max int    // value part length
	Presence byte   // 'M', 'O' or 'C'
	Ref      string // clause of the IE
}

type msg struct {
	Name   string // Go type name
	Title  string // spec title
	Clause string
	Type   string // MessageType constant
	PD     string // "EMM" or "ESM"
	Dir    dir
	IEs    []ie
	Check  bool // a hand-written check() method validates conditional IEs
	Doc    string
}

func half(field, name, typ, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "V½", Min: 0, Max: 0, Presence: 'M', Ref: ref}
}
func spare() ie { return ie{Name: "spare half octet", Format: "V½", Presence: 'M', Ref: "9.9.2.9"} }
func v(field, name, typ string, n int, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "V", Min: n, Max: n, Presence: 'M', Ref: ref}
}
func lv(field, name, typ string, min, max int, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "LV", Min: min, Max: max, Presence: 'M', Ref: ref}
}
func lve(field, name, typ string, min, max int, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "LV-E", Min: min, Max: max, Presence: 'M', Ref: ref}
}
func tv1(iei uint8, field, name, typ, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "TV½", IEI: iei, Presence: 'O', Ref: ref}
}
func tv(iei uint8, field, name, typ string, n int, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "TV", IEI: iei, Min: n, Max: n, Presence: 'O', Ref: ref}
}
func tlv(iei uint8, field, name, typ string, min, max int, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "TLV", IEI: iei, Min: min, Max: max, Presence: 'O', Ref: ref}
}
func tlve(iei uint8, field, name, typ string, min, max int, ref string) ie {
	return ie{Field: field, Name: name, Type: typ, Format: "TLV-E", IEI: iei, Min: min, Max: max, Presence: 'O', Ref: ref}
}
func cond(e ie) ie { e.Presence = 'C'; return e }

const maxLVE = 65535

// Common ESM optional IEs.
var (
	pco          = tlv(0x27, "ProtocolConfigurationOptions", "protocol configuration options", "ProtocolConfigurationOptions", 1, 251, "9.9.4.11")
	epco         = tlve(0x7B, "ExtendedProtocolConfigurationOptions", "extended protocol configuration options", "ProtocolConfigurationOptions", 1, maxLVE, "9.9.4.26")
	nbifom       = tlv(0x33, "NBIFOMContainer", "NBIFOM container", "Octets", 1, 255, "9.9.4.19")
	esmCauseV    = v("ESMCause", "ESM cause", "ESMCause", 1, "9.9.4.4")
	backOffTimer = tlv(0x37, "BackOffTimerValue", "back-off timer value", "GPRSTimer3", 1, 1, "9.9.3.16B")
	reattempt    = tlv(0x6B, "ReAttemptIndicator", "re-attempt indicator", "Octets", 1, 1, "9.9.4.13A")
	hcc          = tlv(0x66, "HeaderCompressionConfiguration", "header compression configuration", "Octets", 3, 255, "9.9.4.22")
	ti           = tlv(0x5D, "TransactionIdentifier", "transaction identifier", "Octets", 1, 2, "9.9.4.17")
	negQoS       = tlv(0x30, "NegotiatedQoS", "negotiated QoS", "Octets", 12, 20, "9.9.4.12")
	llcSAPI      = tv(0x32, "NegotiatedLLCSAPI", "negotiated LLC SAPI", "LLCSAPI", 1, "9.9.4.7")
	radioPrio    = tv1(0x80, "RadioPriority", "radio priority", "RadioPriority", "9.9.4.13")
	pfi          = tlv(0x34, "PacketFlowIdentifier", "packet flow identifier", "Octets", 1, 1, "9.9.4.8")
	wlanOffload  = tv1(0xC0, "WLANOffloadIndication", "WLAN offload indication", "WLANOffloadAcceptability", "9.9.4.18")
	devProps     = tv1(0xC0, "DeviceProperties", "device properties", "DeviceProperties", "9.9.2.0A")
	linkedEBI    = half("LinkedEPSBearerIdentity", "linked EPS bearer identity", "uint8", "9.9.4.6")
)

// The EMM imperative and optional IEs shared by ATTACH REQUEST and TRACKING
// AREA UPDATE REQUEST.
var (
	oldPTMSISig  = tv(0x19, "OldPTMSISignature", "old P-TMSI signature", "[3]byte", 3, "9.9.3.26")
	addGUTI      = tlv(0x50, "AdditionalGUTI", "additional GUTI", "GUTI", 11, 11, "9.9.3.12")
	lastTAI      = tv(0x52, "LastVisitedRegisteredTAI", "last visited registered TAI", "TAI", 5, "9.9.3.32")
	drx          = tv(0x5C, "DRXParameter", "DRX parameter", "DRXParameter", 2, "9.9.3.8")
	msNetCap     = tlv(0x31, "MSNetworkCapability", "MS network capability", "Octets", 2, 8, "9.9.3.20")
	oldLAI       = tv(0x13, "OldLocationAreaIdentification", "old location area identification", "LAI", 5, "9.9.2.2")
	tmsiStatus   = tv1(0x90, "TMSIStatus", "TMSI status", "TMSIStatus", "9.9.3.31")
	msCM2        = tlv(0x11, "MobileStationClassmark2", "mobile station classmark 2", "Octets", 3, 3, "9.9.2.4")
	msCM3        = tlv(0x20, "MobileStationClassmark3", "mobile station classmark 3", "Octets", 0, 32, "9.9.2.5")
	codecs       = tlv(0x40, "SupportedCodecs", "supported codecs", "Octets", 3, 255, "9.9.2.10")
	addUpdType   = tv1(0xF0, "AdditionalUpdateType", "additional update type", "AdditionalUpdateType", "9.9.3.0B")
	voiceDomPref = tlv(0x5D, "VoiceDomainPreference", "voice domain preference and UE's usage setting", "Octets", 1, 1, "9.9.3.44")
	oldGUTIType  = tv1(0xE0, "OldGUTIType", "old GUTI type", "GUTIType", "9.9.3.45")
	devPropsD    = tv1(0xD0, "DeviceProperties", "device properties", "DeviceProperties", "9.9.2.0A")
	msNetFeat    = tv1(0xC0, "MSNetworkFeatureSupport", "MS network feature support", "MSNetworkFeatureSupport", "9.9.3.20A")
	nriCont      = tlv(0x10, "TMSIBasedNRIContainer", "TMSI based NRI container", "Octets", 2, 2, "9.9.3.24A")
	t3324        = tlv(0x6A, "T3324Value", "T3324 value", "GPRSTimer2", 1, 1, "9.9.3.16A")
	t3412ext     = tlv(0x5E, "T3412ExtendedValue", "T3412 extended value", "GPRSTimer3", 1, 1, "9.9.3.16B")
	extDRX       = tlv(0x6E, "ExtendedDRXParameters", "extended DRX parameters", "Octets", 1, 2, "9.9.3.46")
	ueAddSecCap  = tlv(0x6F, "UEAdditionalSecurityCapability", "UE additional security capability", "Octets", 4, 4, "9.9.3.53")
	ueStatus     = tlv(0x6D, "UEStatus", "UE status", "Octets", 1, 1, "9.9.3.54")
	addInfoReq   = tv(0x17, "AdditionalInformationRequested", "additional information requested", "AdditionalInformationRequested", 1, "9.9.3.55")
	n1UENetCap   = tlv(0x32, "N1UENetworkCapability", "N1 UE network capability", "Octets", 1, 13, "9.9.3.57")
	epsBCS       = tlv(0x57, "EPSBearerContextStatus", "EPS bearer context status", "EPSBearerContextStatus", 2, 2, "9.9.2.1")
)

// The optional IEs shared by ATTACH ACCEPT and TRACKING AREA UPDATE ACCEPT.
var (
	lai         = tv(0x13, "LocationAreaIdentification", "location area identification", "LAI", 5, "9.9.2.2")
	msIdentity  = tlv(0x23, "MSIdentity", "MS identity", "MobileIdentity", 1, 8, "9.9.2.3")
	emmCauseTV  = tv(0x53, "EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9")
	t3402       = tv(0x17, "T3402Value", "T3402 value", "GPRSTimer", 1, "9.9.3.16")
	t3423       = tv(0x59, "T3423Value", "T3423 value", "GPRSTimer", 1, "9.9.3.16")
	ePLMNs      = tlv(0x4A, "EquivalentPLMNs", "equivalent PLMNs", "PLMNList", 3, 45, "9.9.2.8")
	emergNums   = tlv(0x34, "EmergencyNumberList", "emergency number list", "Octets", 3, 48, "9.9.3.37")
	epsNetFeat  = tlv(0x64, "EPSNetworkFeatureSupport", "EPS network feature support", "EPSNetworkFeatureSupport", 1, 2, "9.9.3.12A")
	addUpdRes   = tv1(0xF0, "AdditionalUpdateResult", "additional update result", "AdditionalUpdateResult", "9.9.3.0A")
	smsStatus   = tv1(0xE0, "SMSServicesStatus", "SMS services status", "SMSServicesStatus", "9.9.3.4B")
	non3GPPPol  = tv1(0xD0, "Non3GPPNWProvidedPolicies", "Non-3GPP NW provided policies", "Non3GPPNWProvidedPolicies", "9.9.3.49")
	t3448       = tlv(0x6B, "T3448Value", "T3448 value", "GPRSTimer2", 1, 1, "9.9.3.16A")
	netPolicy   = tv1(0xC0, "NetworkPolicy", "network policy", "NetworkPolicy", "9.9.3.52")
	t3447       = tlv(0x6C, "T3447Value", "T3447 value", "GPRSTimer3", 1, 1, "9.9.3.16B")
	extEmergNum = tlve(0x7A, "ExtendedEmergencyNumberList", "extended emergency number list", "Octets", 1, maxLVE, "9.9.3.37A")
	cipherKeys  = tlve(0x7C, "CipheringKeyData", "ciphering key data", "Octets", 1, maxLVE, "9.9.3.56")
	ueRadioID   = tlv(0x66, "UERadioCapabilityID", "UE radio capability ID", "Octets", 1, 255, "9.9.3.60")
	ueRadioDel  = tv1(0xB0, "UERadioCapabilityIDDeletionIndication", "UE radio capability ID deletion indication", "UERadioCapabilityIDDeletionIndication", "9.9.3.61")
	dcnID       = tlv(0x65, "DCNID", "DCN-ID", "Octets", 2, 2, "9.9.3.48")
	nasKSI      = half("NASKeySetIdentifier", "NAS key set identifier", "NASKeySetIdentifier", "9.9.3.21")
)

var messages = []msg{
	// ---- EMM, TS 24.301 §8.2 ----
	{Name: "AttachAccept", Title: "ATTACH ACCEPT", Clause: "8.2.1", Type: "TypeAttachAccept", PD: "EMM", Dir: dl, IEs: []ie{
		half("EPSAttachResult", "EPS attach result", "EPSAttachResult", "9.9.3.10"), spare(),
		v("T3412Value", "T3412 value", "GPRSTimer", 1, "9.9.3.16"),
		lv("TAIList", "TAI list", "TAIList", 6, 96, "9.9.3.33"),
		lve("ESMMessageContainer", "ESM message container", "ESMMessageContainer", 3, maxLVE, "9.9.3.15"),
		tlv(0x50, "GUTI", "GUTI", "GUTI", 11, 11, "9.9.3.12"),
		lai, msIdentity, emmCauseTV, t3402, t3423, ePLMNs, emergNums, epsNetFeat, addUpdRes, t3412ext, t3324, extDRX,
		smsStatus, non3GPPPol, t3448, netPolicy, t3447, extEmergNum, cipherKeys, ueRadioID, ueRadioDel,
	}},
	{Name: "AttachComplete", Title: "ATTACH COMPLETE", Clause: "8.2.2", Type: "TypeAttachComplete", PD: "EMM", Dir: ul, IEs: []ie{
		lve("ESMMessageContainer", "ESM message container", "ESMMessageContainer", 3, maxLVE, "9.9.3.15"),
	}},
	{Name: "AttachReject", Title: "ATTACH REJECT", Clause: "8.2.3", Type: "TypeAttachReject", PD: "EMM", Dir: dl, IEs: []ie{
		v("EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9"),
		tlve(0x78, "ESMMessageContainer", "ESM message container", "ESMMessageContainer", 3, maxLVE, "9.9.3.15"),
		tlv(0x5F, "T3346Value", "T3346 value", "GPRSTimer2", 1, 1, "9.9.3.16A"),
		tlv(0x16, "T3402Value", "T3402 value", "GPRSTimer2", 1, 1, "9.9.3.16A"),
		tv1(0xA0, "ExtendedEMMCause", "extended EMM cause", "ExtendedEMMCause", "9.9.3.26A"),
	}},
	{Name: "AttachRequest", Title: "ATTACH REQUEST", Clause: "8.2.4", Type: "TypeAttachRequest", PD: "EMM", Dir: ul, IEs: []ie{
		half("EPSAttachType", "EPS attach type", "EPSAttachType", "9.9.3.11"), nasKSI,
		lv("EPSMobileIdentity", "EPS mobile identity", "EPSMobileIdentity", 1, 11, "9.9.3.12"),
		lv("UENetworkCapability", "UE network capability", "UENetworkCapability", 2, 13, "9.9.3.34"),
		lve("ESMMessageContainer", "ESM message container", "ESMMessageContainer", 3, maxLVE, "9.9.3.15"),
		oldPTMSISig, addGUTI, lastTAI, drx, msNetCap, oldLAI, tmsiStatus, msCM2, msCM3, codecs, addUpdType,
		voiceDomPref, devPropsD, oldGUTIType, msNetFeat, nriCont, t3324, t3412ext, extDRX, ueAddSecCap, ueStatus,
		addInfoReq, n1UENetCap,
		tv1(0xB0, "UERadioCapabilityIDAvailability", "UE radio capability ID availability", "UERadioCapabilityIDAvailability", "9.9.3.58"),
	}},
	{Name: "AuthenticationFailure", Title: "AUTHENTICATION FAILURE", Clause: "8.2.5", Type: "TypeAuthenticationFailure", PD: "EMM", Dir: ul, Check: true, IEs: []ie{
		v("EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9"),
		cond(tlv(0x30, "AuthenticationFailureParameter", "authentication failure parameter", "[14]byte", 14, 14, "9.9.3.1")),
	}, Doc: "AuthenticationFailureParameter is the AUTS (TS 33.102 §6.3.3); TS 24.301 §8.2.5.2 requires it if and only if the cause is #21 synch failure."},
	{Name: "AuthenticationReject", Title: "AUTHENTICATION REJECT", Clause: "8.2.6", Type: "TypeAuthenticationReject", PD: "EMM", Dir: dl},
	{Name: "AuthenticationRequest", Title: "AUTHENTICATION REQUEST", Clause: "8.2.7", Type: "TypeAuthenticationRequest", PD: "EMM", Dir: dl, IEs: []ie{
		half("NASKeySetIdentifierASME", "NAS key set identifierASME", "NASKeySetIdentifier", "9.9.3.21"), spare(),
		v("RAND", "authentication parameter RAND (EPS challenge)", "[16]byte", 16, "9.9.3.3"),
		lv("AUTN", "authentication parameter AUTN (EPS challenge)", "[16]byte", 16, 16, "9.9.3.2"),
	}},
	{Name: "AuthenticationResponse", Title: "AUTHENTICATION RESPONSE", Clause: "8.2.8", Type: "TypeAuthenticationResponse", PD: "EMM", Dir: ul, IEs: []ie{
		lv("RES", "authentication response parameter", "Octets", 4, 16, "9.9.3.4"),
	}},
	{Name: "CSServiceNotification", Title: "CS SERVICE NOTIFICATION", Clause: "8.2.9", Type: "TypeCSServiceNotification", PD: "EMM", Dir: dl, IEs: []ie{
		v("PagingIdentity", "paging identity", "PagingIdentity", 1, "9.9.3.25A"),
		tlv(0x60, "CLI", "CLI", "Octets", 1, 12, "9.9.3.38"),
		tv(0x61, "SSCode", "SS code", "SSCode", 1, "9.9.3.39"),
		tv(0x62, "LCSIndicator", "LCS indicator", "LCSIndicator", 1, "9.9.3.40"),
		tlv(0x63, "LCSClientIdentity", "LCS client identity", "Octets", 1, 255, "9.9.3.41"),
	}},
	{Name: "DetachAccept", Title: "DETACH ACCEPT", Clause: "8.2.10", Type: "TypeDetachAccept", PD: "EMM", Dir: both},
	{Name: "DetachRequestUEOriginating", Title: "DETACH REQUEST (UE originating detach)", Clause: "8.2.11.1", Type: "TypeDetachRequest", PD: "EMM", Dir: ul, IEs: []ie{
		half("DetachType", "detach type", "DetachType", "9.9.3.7"), nasKSI,
		lv("EPSMobileIdentity", "EPS mobile identity", "EPSMobileIdentity", 1, 11, "9.9.3.12"),
	}},
	{Name: "DetachRequestUETerminated", Title: "DETACH REQUEST (UE terminated detach)", Clause: "8.2.11.2", Type: "TypeDetachRequest", PD: "EMM", Dir: dl, IEs: []ie{
		half("DetachType", "detach type", "DetachType", "9.9.3.7"), spare(),
		emmCauseTV,
	}},
	{Name: "DownlinkNASTransport", Title: "DOWNLINK NAS TRANSPORT", Clause: "8.2.12", Type: "TypeDownlinkNASTransport", PD: "EMM", Dir: dl, IEs: []ie{
		lv("NASMessageContainer", "NAS message container", "Octets", 2, 251, "9.9.3.22"),
	}},
	{Name: "EMMInformation", Title: "EMM INFORMATION", Clause: "8.2.13", Type: "TypeEMMInformation", PD: "EMM", Dir: dl, IEs: []ie{
		tlv(0x43, "FullNameForNetwork", "full name for network", "NetworkName", 1, 255, "9.9.3.24"),
		tlv(0x45, "ShortNameForNetwork", "short name for network", "NetworkName", 1, 255, "9.9.3.24"),
		tv(0x46, "LocalTimeZone", "local time zone", "TimeZone", 1, "9.9.3.29"),
		tv(0x47, "UniversalTimeAndLocalTimeZone", "universal time and local time zone", "TimeZoneAndTime", 7, "9.9.3.30"),
		tlv(0x49, "NetworkDaylightSavingTime", "network daylight saving time", "DaylightSavingTime", 1, 1, "9.9.3.6"),
	}},
	{Name: "EMMStatus", Title: "EMM STATUS", Clause: "8.2.14", Type: "TypeEMMStatus", PD: "EMM", Dir: both, IEs: []ie{
		v("EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9"),
	}},
	{Name: "ExtendedServiceRequest", Title: "EXTENDED SERVICE REQUEST", Clause: "8.2.15", Type: "TypeExtendedServiceRequest", PD: "EMM", Dir: ul, IEs: []ie{
		half("ServiceType", "service type", "ServiceType", "9.9.3.27"), nasKSI,
		lv("MTMSI", "M-TMSI", "MobileIdentity", 1, 8, "9.9.2.3"),
		tv1(0xB0, "CSFBResponse", "CSFB response", "CSFBResponse", "9.9.3.5"),
		epsBCS, devPropsD,
	}},
	{Name: "GUTIReallocationCommand", Title: "GUTI REALLOCATION COMMAND", Clause: "8.2.16", Type: "TypeGUTIReallocationCommand", PD: "EMM", Dir: dl, IEs: []ie{
		lv("GUTI", "GUTI", "GUTI", 11, 11, "9.9.3.12"),
		tlv(0x54, "TAIList", "TAI list", "TAIList", 6, 96, "9.9.3.33"),
		dcnID,
	}},
	{Name: "GUTIReallocationComplete", Title: "GUTI REALLOCATION COMPLETE", Clause: "8.2.17", Type: "TypeGUTIReallocationComplete", PD: "EMM", Dir: ul},
	{Name: "IdentityRequest", Title: "IDENTITY REQUEST", Clause: "8.2.18", Type: "TypeIdentityRequest", PD: "EMM", Dir: dl, IEs: []ie{
		half("IdentityType", "identity type", "IdentityType2", "9.9.3.17"), spare(),
	}},
	{Name: "IdentityResponse", Title: "IDENTITY RESPONSE", Clause: "8.2.19", Type: "TypeIdentityResponse", PD: "EMM", Dir: ul, IEs: []ie{
		lv("MobileIdentity", "mobile identity", "MobileIdentity", 1, 9, "9.9.2.3"),
	}},
	{Name: "SecurityModeCommand", Title: "SECURITY MODE COMMAND", Clause: "8.2.20", Type: "TypeSecurityModeCommand", PD: "EMM", Dir: dl, IEs: []ie{
		v("SelectedNASSecurityAlgorithms", "selected NAS security algorithms", "NASSecurityAlgorithms", 1, "9.9.3.23"),
		nasKSI, spare(),
		lv("ReplayedUESecurityCapabilities", "replayed UE security capabilities", "UESecurityCapability", 2, 5, "9.9.3.36"),
		tv1(0xC0, "IMEISVRequest", "IMEISV request", "IMEISVRequest", "9.9.3.18"),
		tv(0x55, "ReplayedNonceUE", "replayed nonceUE", "[4]byte", 4, "9.9.3.25"),
		tv(0x56, "NonceMME", "nonceMME", "[4]byte", 4, "9.9.3.25"),
		tlv(0x4F, "HashMME", "HashMME", "[8]byte", 8, 8, "9.9.3.50"),
		tlv(0x6F, "ReplayedUEAdditionalSecurityCapability", "replayed UE additional security capability", "Octets", 4, 4, "9.9.3.53"),
		tv1(0xD0, "UERadioCapabilityIDRequest", "UE radio capability ID request", "UERadioCapabilityIDRequest", "9.9.3.59"),
	}},
	{Name: "SecurityModeComplete", Title: "SECURITY MODE COMPLETE", Clause: "8.2.21", Type: "TypeSecurityModeComplete", PD: "EMM", Dir: ul, IEs: []ie{
		tlv(0x23, "IMEISV", "IMEISV", "MobileIdentity", 1, 9, "9.9.2.3"),
		tlve(0x79, "ReplayedNASMessageContainer", "replayed NAS message container", "NASMessage", 1, maxLVE, "9.9.3.51"),
		ueRadioID,
	}},
	{Name: "SecurityModeReject", Title: "SECURITY MODE REJECT", Clause: "8.2.22", Type: "TypeSecurityModeReject", PD: "EMM", Dir: ul, IEs: []ie{
		v("EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9"),
	}},
	{Name: "ServiceReject", Title: "SERVICE REJECT", Clause: "8.2.24", Type: "TypeServiceReject", PD: "EMM", Dir: dl, IEs: []ie{
		v("EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9"),
		tv(0x5B, "T3442Value", "T3442 value", "GPRSTimer", 1, "9.9.3.16"),
		tlv(0x5F, "T3346Value", "T3346 value", "GPRSTimer2", 1, 1, "9.9.3.16A"),
		t3448,
	}},
	{Name: "TrackingAreaUpdateAccept", Title: "TRACKING AREA UPDATE ACCEPT", Clause: "8.2.26", Type: "TypeTrackingAreaUpdateAccept", PD: "EMM", Dir: dl, IEs: []ie{
		half("EPSUpdateResult", "EPS update result", "EPSUpdateResult", "9.9.3.13"), spare(),
		tv(0x5A, "T3412Value", "T3412 value", "GPRSTimer", 1, "9.9.3.16"),
		tlv(0x50, "GUTI", "GUTI", "GUTI", 11, 11, "9.9.3.12"),
		tlv(0x54, "TAIList", "TAI list", "TAIList", 6, 96, "9.9.3.33"),
		epsBCS, lai, msIdentity, emmCauseTV, t3402, t3423, ePLMNs, emergNums, epsNetFeat, addUpdRes, t3412ext, t3324, extDRX,
		tlv(0x68, "HeaderCompressionConfigurationStatus", "header compression configuration status", "Octets", 2, 2, "9.9.4.27"),
		dcnID, smsStatus, non3GPPPol, t3448, netPolicy, t3447, extEmergNum, cipherKeys, ueRadioID, ueRadioDel,
	}},
	{Name: "TrackingAreaUpdateComplete", Title: "TRACKING AREA UPDATE COMPLETE", Clause: "8.2.27", Type: "TypeTrackingAreaUpdateComplete", PD: "EMM", Dir: ul},
	{Name: "TrackingAreaUpdateReject", Title: "TRACKING AREA UPDATE REJECT", Clause: "8.2.28", Type: "TypeTrackingAreaUpdateReject", PD: "EMM", Dir: dl, IEs: []ie{
		v("EMMCause", "EMM cause", "EMMCause", 1, "9.9.3.9"),
		tlv(0x5F, "T3346Value", "T3346 value", "GPRSTimer2", 1, 1, "9.9.3.16A"),
		tv1(0xA0, "ExtendedEMMCause", "extended EMM cause", "ExtendedEMMCause", "9.9.3.26A"),
	}},
	{Name: "TrackingAreaUpdateRequest", Title: "TRACKING AREA UPDATE REQUEST", Clause: "8.2.29", Type: "TypeTrackingAreaUpdateRequest", PD: "EMM", Dir: ul, IEs: []ie{
		half("EPSUpdateType", "EPS update type", "EPSUpdateType", "9.9.3.14"), nasKSI,
		lv("OldGUTI", "old GUTI", "GUTI", 11, 11, "9.9.3.12"),
		tv1(0xB0, "NonCurrentNativeNASKeySetIdentifier", "non-current native NAS key set identifier", "NASKeySetIdentifier", "9.9.3.21"),
		tv1(0x80, "GPRSCipheringKeySequenceNumber", "GPRS ciphering key sequence number", "CipheringKeySequenceNumber", "9.9.3.4A"),
		oldPTMSISig, addGUTI,
		tv(0x55, "NonceUE", "nonceUE", "[4]byte", 4, "9.9.3.25"),
		tlv(0x58, "UENetworkCapability", "UE network capability", "UENetworkCapability", 2, 13, "9.9.3.34"),
		lastTAI, drx,
		tv1(0xA0, "UERadioCapabilityInformationUpdateNeeded", "UE radio capability information update needed", "UERadioCapabilityInformationUpdateNeeded", "9.9.3.35"),
		epsBCS, msNetCap, oldLAI, tmsiStatus, msCM2, msCM3, codecs, addUpdType, voiceDomPref, oldGUTIType, devPropsD, msNetFeat,
		nriCont, t3324, t3412ext, extDRX, ueAddSecCap, ueStatus, addInfoReq, n1UENetCap,
	}},
	{Name: "UplinkNASTransport", Title: "UPLINK NAS TRANSPORT", Clause: "8.2.30", Type: "TypeUplinkNASTransport", PD: "EMM", Dir: ul, IEs: []ie{
		lv("NASMessageContainer", "NAS message container", "Octets", 2, 251, "9.9.3.22"),
	}},
	{Name: "DownlinkGenericNASTransport", Title: "DOWNLINK GENERIC NAS TRANSPORT", Clause: "8.2.31", Type: "TypeDownlinkGenericNASTransport", PD: "EMM", Dir: dl, IEs: []ie{
		v("GenericMessageContainerType", "generic message container type", "GenericMessageContainerType", 1, "9.9.3.42"),
		lve("GenericMessageContainer", "generic message container", "Octets", 1, maxLVE, "9.9.3.43"),
		tlv(0x65, "AdditionalInformation", "additional information", "Octets", 1, 255, "9.9.2.0"),
	}},
	{Name: "UplinkGenericNASTransport", Title: "UPLINK GENERIC NAS TRANSPORT", Clause: "8.2.32", Type: "TypeUplinkGenericNASTransport", PD: "EMM", Dir: ul, IEs: []ie{
		v("GenericMessageContainerType", "generic message container type", "GenericMessageContainerType", 1, "9.9.3.42"),
		lve("GenericMessageContainer", "generic message container", "Octets", 1, maxLVE, "9.9.3.43"),
		tlv(0x65, "AdditionalInformation", "additional information", "Octets", 1, 255, "9.9.2.0"),
	}},
	{Name: "ControlPlaneServiceRequest", Title: "CONTROL PLANE SERVICE REQUEST", Clause: "8.2.33", Type: "TypeControlPlaneServiceRequest", PD: "EMM", Dir: ul, IEs: []ie{
		half("ControlPlaneServiceType", "control plane service type", "ControlPlaneServiceType", "9.9.3.47"), nasKSI,
		tlve(0x78, "ESMMessageContainer", "ESM message container", "ESMMessageContainer", 3, maxLVE, "9.9.3.15"),
		tlv(0x67, "NASMessageContainer", "NAS message container", "Octets", 2, 251, "9.9.3.22"),
		epsBCS, devPropsD,
	}},
	{Name: "ServiceAccept", Title: "SERVICE ACCEPT", Clause: "8.2.34", Type: "TypeServiceAccept", PD: "EMM", Dir: dl, IEs: []ie{
		epsBCS, t3448,
	}},

	// ---- ESM, TS 24.301 §8.3 ----
	{Name: "ActivateDedicatedEPSBearerContextAccept", Title: "ACTIVATE DEDICATED EPS BEARER CONTEXT ACCEPT", Clause: "8.3.1", Type: "TypeActivateDedicatedEPSBearerContextAccept", PD: "ESM", Dir: ul, IEs: []ie{
		pco, nbifom, epco,
	}},
	{Name: "ActivateDedicatedEPSBearerContextReject", Title: "ACTIVATE DEDICATED EPS BEARER CONTEXT REJECT", Clause: "8.3.2", Type: "TypeActivateDedicatedEPSBearerContextReject", PD: "ESM", Dir: ul, IEs: []ie{
		esmCauseV, pco, nbifom, epco,
	}},
	{Name: "ActivateDedicatedEPSBearerContextRequest", Title: "ACTIVATE DEDICATED EPS BEARER CONTEXT REQUEST", Clause: "8.3.3", Type: "TypeActivateDedicatedEPSBearerContextRequest", PD: "ESM", Dir: dl, IEs: []ie{
		linkedEBI, spare(),
		lv("EPSQoS", "EPS QoS", "EPSQoS", 1, 13, "9.9.4.3"),
		lv("TFT", "TFT", "TrafficFlowTemplate", 1, 255, "9.9.4.16"),
		ti, negQoS, llcSAPI, radioPrio, pfi, pco, wlanOffload, nbifom, epco,
	}},
	{Name: "ActivateDefaultEPSBearerContextAccept", Title: "ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT", Clause: "8.3.4", Type: "TypeActivateDefaultEPSBearerContextAccept", PD: "ESM", Dir: ul, IEs: []ie{
		pco, epco,
	}},
	{Name: "ActivateDefaultEPSBearerContextReject", Title: "ACTIVATE DEFAULT EPS BEARER CONTEXT REJECT", Clause: "8.3.5", Type: "TypeActivateDefaultEPSBearerContextReject", PD: "ESM", Dir: ul, IEs: []ie{
		esmCauseV, pco, epco,
	}},
	{Name: "ActivateDefaultEPSBearerContextRequest", Title: "ACTIVATE DEFAULT EPS BEARER CONTEXT REQUEST", Clause: "8.3.6", Type: "TypeActivateDefaultEPSBearerContextRequest", PD: "ESM", Dir: dl, IEs: []ie{
		lv("EPSQoS", "EPS QoS", "EPSQoS", 1, 13, "9.9.4.3"),
		lv("AccessPointName", "access point name", "APN", 1, 100, "9.9.4.1"),
		lv("PDNAddress", "PDN address", "PDNAddress", 5, 13, "9.9.4.9"),
		ti, negQoS, llcSAPI, radioPrio, pfi,
		tlv(0x5E, "APNAMBR", "APN-AMBR", "APNAggregateMaximumBitRate", 2, 6, "9.9.4.2"),
		tv(0x58, "ESMCause", "ESM cause", "ESMCause", 1, "9.9.4.4"),
		pco,
		tv1(0xB0, "ConnectivityType", "connectivity type", "ConnectivityType", "9.9.4.2A"),
		wlanOffload, nbifom, hcc,
		tv1(0x90, "ControlPlaneOnlyIndication", "control plane only indication", "ControlPlaneOnlyIndication", "9.9.4.23"),
		epco,
		tlv(0x6E, "ServingPLMNRateControl", "serving PLMN rate control", "Octets", 2, 2, "9.9.4.28"),
	}},
	{Name: "BearerResourceAllocationReject", Title: "BEARER RESOURCE ALLOCATION REJECT", Clause: "8.3.7", Type: "TypeBearerResourceAllocationReject", PD: "ESM", Dir: dl, IEs: []ie{
		esmCauseV, pco, backOffTimer, reattempt, nbifom, epco,
	}},
	{Name: "BearerResourceAllocationRequest", Title: "BEARER RESOURCE ALLOCATION REQUEST", Clause: "8.3.8", Type: "TypeBearerResourceAllocationRequest", PD: "ESM", Dir: ul, IEs: []ie{
		linkedEBI, spare(),
		lv("TrafficFlowAggregate", "traffic flow aggregate", "TrafficFlowTemplate", 1, 255, "9.9.4.15"),
		lv("RequiredTrafficFlowQoS", "required traffic flow QoS", "EPSQoS", 1, 13, "9.9.4.3"),
		pco, devProps, nbifom, epco,
	}},
	{Name: "BearerResourceModificationReject", Title: "BEARER RESOURCE MODIFICATION REJECT", Clause: "8.3.9", Type: "TypeBearerResourceModificationReject", PD: "ESM", Dir: dl, IEs: []ie{
		esmCauseV, pco, backOffTimer, reattempt, nbifom, epco,
	}},
	{Name: "BearerResourceModificationRequest", Title: "BEARER RESOURCE MODIFICATION REQUEST", Clause: "8.3.10", Type: "TypeBearerResourceModificationRequest", PD: "ESM", Dir: ul, IEs: []ie{
		linkedEBI, spare(),
		lv("TrafficFlowAggregate", "traffic flow aggregate", "TrafficFlowTemplate", 1, 255, "9.9.4.15"),
		tlv(0x5B, "RequiredTrafficFlowQoS", "required traffic flow QoS", "EPSQoS", 1, 13, "9.9.4.3"),
		tv(0x58, "ESMCause", "ESM cause", "ESMCause", 1, "9.9.4.4"),
		pco, devProps, nbifom, hcc, epco,
	}},
	{Name: "DeactivateEPSBearerContextAccept", Title: "DEACTIVATE EPS BEARER CONTEXT ACCEPT", Clause: "8.3.11", Type: "TypeDeactivateEPSBearerContextAccept", PD: "ESM", Dir: ul, IEs: []ie{
		pco, epco,
	}},
	{Name: "DeactivateEPSBearerContextRequest", Title: "DEACTIVATE EPS BEARER CONTEXT REQUEST", Clause: "8.3.12", Type: "TypeDeactivateEPSBearerContextRequest", PD: "ESM", Dir: dl, IEs: []ie{
		esmCauseV, pco,
		tlv(0x37, "T3396Value", "T3396 value", "GPRSTimer3", 1, 1, "9.9.3.16B"),
		wlanOffload, nbifom, epco,
	}},
	{Name: "ESMDummyMessage", Title: "ESM DUMMY MESSAGE", Clause: "8.3.12A", Type: "TypeESMDummyMessage", PD: "ESM", Dir: both},
	{Name: "ESMInformationRequest", Title: "ESM INFORMATION REQUEST", Clause: "8.3.13", Type: "TypeESMInformationRequest", PD: "ESM", Dir: dl},
	{Name: "ESMInformationResponse", Title: "ESM INFORMATION RESPONSE", Clause: "8.3.14", Type: "TypeESMInformationResponse", PD: "ESM", Dir: ul, IEs: []ie{
		tlv(0x28, "AccessPointName", "access point name", "APN", 1, 100, "9.9.4.1"),
		pco, epco,
	}},
	{Name: "ESMStatus", Title: "ESM STATUS", Clause: "8.3.15", Type: "TypeESMStatus", PD: "ESM", Dir: both, IEs: []ie{
		esmCauseV,
	}},
	{Name: "ModifyEPSBearerContextAccept", Title: "MODIFY EPS BEARER CONTEXT ACCEPT", Clause: "8.3.16", Type: "TypeModifyEPSBearerContextAccept", PD: "ESM", Dir: ul, IEs: []ie{
		pco, nbifom, epco,
	}},
	{Name: "ModifyEPSBearerContextReject", Title: "MODIFY EPS BEARER CONTEXT REJECT", Clause: "8.3.17", Type: "TypeModifyEPSBearerContextReject", PD: "ESM", Dir: ul, IEs: []ie{
		esmCauseV, pco, nbifom, epco,
	}},
	{Name: "ModifyEPSBearerContextRequest", Title: "MODIFY EPS BEARER CONTEXT REQUEST", Clause: "8.3.18", Type: "TypeModifyEPSBearerContextRequest", PD: "ESM", Dir: dl, IEs: []ie{
		tlv(0x5B, "NewEPSQoS", "new EPS QoS", "EPSQoS", 1, 13, "9.9.4.3"),
		tlv(0x36, "TFT", "TFT", "TrafficFlowTemplate", 1, 255, "9.9.4.16"),
		tlv(0x30, "NewQoS", "new QoS", "Octets", 12, 20, "9.9.4.12"),
		llcSAPI, radioPrio, pfi,
		tlv(0x5E, "APNAMBR", "APN-AMBR", "APNAggregateMaximumBitRate", 2, 6, "9.9.4.2"),
		pco, wlanOffload, nbifom, hcc, epco,
	}},
	{Name: "Notification", Title: "NOTIFICATION", Clause: "8.3.18A", Type: "TypeNotification", PD: "ESM", Dir: dl, IEs: []ie{
		lv("NotificationIndicator", "notification indicator", "NotificationIndicator", 1, 1, "9.9.4.7A"),
	}},
	{Name: "PDNConnectivityReject", Title: "PDN CONNECTIVITY REJECT", Clause: "8.3.19", Type: "TypePDNConnectivityReject", PD: "ESM", Dir: dl, IEs: []ie{
		esmCauseV, pco, backOffTimer, reattempt, nbifom, epco,
	}},
	{Name: "PDNConnectivityRequest", Title: "PDN CONNECTIVITY REQUEST", Clause: "8.3.20", Type: "TypePDNConnectivityRequest", PD: "ESM", Dir: ul, IEs: []ie{
		half("RequestType", "request type", "RequestType", "9.9.4.14"),
		half("PDNType", "PDN type", "PDNType", "9.9.4.10"),
		tv1(0xD0, "ESMInformationTransferFlag", "ESM information transfer flag", "ESMInformationTransferFlag", "9.9.4.5"),
		tlv(0x28, "AccessPointName", "access point name", "APN", 1, 100, "9.9.4.1"),
		pco, devProps, nbifom, hcc, epco,
	}},
	{Name: "PDNDisconnectReject", Title: "PDN DISCONNECT REJECT", Clause: "8.3.21", Type: "TypePDNDisconnectReject", PD: "ESM", Dir: dl, IEs: []ie{
		esmCauseV, pco, epco,
	}},
	{Name: "PDNDisconnectRequest", Title: "PDN DISCONNECT REQUEST", Clause: "8.3.22", Type: "TypePDNDisconnectRequest", PD: "ESM", Dir: ul, IEs: []ie{
		linkedEBI, spare(), pco, epco,
	}},
	{Name: "RemoteUEReport", Title: "REMOTE UE REPORT", Clause: "8.3.23", Type: "TypeRemoteUEReport", PD: "ESM", Dir: ul, IEs: []ie{
		tlve(0x79, "RemoteUEContextConnected", "remote UE context connected", "Octets", 1, maxLVE, "9.9.4.20"),
		tlve(0x7A, "RemoteUEContextDisconnected", "remote UE context disconnected", "Octets", 1, maxLVE, "9.9.4.20"),
		tlv(0x6F, "ProSeKeyManagementFunctionAddress", "ProSe key management function address", "Octets", 1, 255, "9.9.4.21"),
	}},
	{Name: "RemoteUEReportResponse", Title: "REMOTE UE REPORT RESPONSE", Clause: "8.3.24", Type: "TypeRemoteUEReportResponse", PD: "ESM", Dir: dl},
	{Name: "ESMDataTransport", Title: "ESM DATA TRANSPORT", Clause: "8.3.25", Type: "TypeESMDataTransport", PD: "ESM", Dir: both, IEs: []ie{
		lve("UserDataContainer", "user data container", "Octets", 1, maxLVE, "9.9.4.24"),
		tv1(0xF0, "ReleaseAssistanceIndication", "release assistance indication", "ReleaseAssistanceIndication", "9.9.4.25"),
	}},
}
