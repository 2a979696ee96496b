package s6a

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// Identifiers of the S6a application (TS 29.272 §7.1.8, §7.2.1).
const (
	// ApplicationID is the Diameter application id of S6a/S6d.
	ApplicationID uint32 = 16777251
	// Vendor3GPP is the IANA enterprise number of 3GPP, the Vendor-Id of
	// S6a's Vendor-Specific-Application-Id and of 3GPP AVPs.
	Vendor3GPP uint32 = 10415
)

// Command codes (RFC 6733 §3.1 for the base protocol; TS 29.272 §7.2.1).
const (
	CmdCapabilitiesExchange      uint32 = 257
	CmdDeviceWatchdog            uint32 = 280
	CmdDisconnectPeer            uint32 = 282
	CmdUpdateLocation            uint32 = 316
	CmdCancelLocation            uint32 = 317
	CmdAuthenticationInformation uint32 = 318
	CmdInsertSubscriberData      uint32 = 319
	CmdDeleteSubscriberData      uint32 = 320
	CmdPurgeUE                   uint32 = 321
)

// AVP codes used by this package (RFC 6733 §4.5; TS 29.272 §7.3.1 Table 7.3.1/1).
const (
	codeUserName                    uint32 = 1
	codeChargingCharacteristics     uint32 = 13
	codeHostIPAddress               uint32 = 257
	codeAuthApplicationID           uint32 = 258
	codeAcctApplicationID           uint32 = 259
	codeVendorSpecificApplicationID uint32 = 260
	codeSessionID                   uint32 = 263
	codeOriginHost                  uint32 = 264
	codeSupportedVendorID           uint32 = 265
	codeVendorID                    uint32 = 266
	codeFirmwareRevision            uint32 = 267
	codeResultCode                  uint32 = 268
	codeProductName                 uint32 = 269
	codeDisconnectCause             uint32 = 273
	codeAuthSessionState            uint32 = 277
	codeOriginStateID               uint32 = 278
	codeFailedAVP                   uint32 = 279
	codeErrorMessage                uint32 = 281
	codeRouteRecord                 uint32 = 282
	codeDestinationRealm            uint32 = 283
	codeDestinationHost             uint32 = 293
	codeOriginRealm                 uint32 = 296
	codeExperimentalResult          uint32 = 297
	codeExperimentalResultCode      uint32 = 298
	codeInbandSecurityID            uint32 = 299
	codeMIPHomeAgentAddress         uint32 = 334
	codeMIP6AgentInfo               uint32 = 486
	codeServiceSelection            uint32 = 493
	codeMaxRequestedBandwidthDL     uint32 = 515
	codeMaxRequestedBandwidthUL     uint32 = 516
	codeSupportedFeatures           uint32 = 628
	codeFeatureListID               uint32 = 629
	codeFeatureList                 uint32 = 630
	codeMSISDN                      uint32 = 701
	codeServedPartyIPAddress        uint32 = 848
	codeQoSClassIdentifier          uint32 = 1028
	codeRATType                     uint32 = 1032
	codeAllocationRetentionPriority uint32 = 1034
	codePriorityLevel               uint32 = 1046
	codePreemptionCapability        uint32 = 1047
	codePreemptionVulnerability     uint32 = 1048
	codeSubscriptionData            uint32 = 1400
	codeTerminalInformation         uint32 = 1401
	codeIMEI                        uint32 = 1402
	codeSoftwareVersion             uint32 = 1403
	codeULRFlags                    uint32 = 1405
	codeULAFlags                    uint32 = 1406
	codeVisitedPLMNID               uint32 = 1407
	codeRequestedEUTRANAuthInfo     uint32 = 1408
	codeNumberOfRequestedVectors    uint32 = 1410
	codeResynchronizationInfo       uint32 = 1411
	codeImmediateResponsePreferred  uint32 = 1412
	codeAuthenticationInfo          uint32 = 1413
	codeEUTRANVector                uint32 = 1414
	codeNetworkAccessMode           uint32 = 1417
	codeHPLMNODB                    uint32 = 1418
	codeItemNumber                  uint32 = 1419
	codeCancellationType            uint32 = 1420
	codeDSRFlags                    uint32 = 1421
	codeDSAFlags                    uint32 = 1422
	codeContextIdentifier           uint32 = 1423
	codeSubscriberStatus            uint32 = 1424
	codeOperatorDeterminedBarring   uint32 = 1425
	codeAccessRestrictionData       uint32 = 1426
	codeAPNOIReplacement            uint32 = 1427
	codeAllAPNConfigsIncluded       uint32 = 1428
	codeAPNConfigurationProfile     uint32 = 1429
	codeAPNConfiguration            uint32 = 1430
	codeEPSSubscribedQoSProfile     uint32 = 1431
	codeVPLMNDynamicAddressAllowed  uint32 = 1432
	codeAMBR                        uint32 = 1435
	codePDNGWAllocationType         uint32 = 1438
	codeIDAFlags                    uint32 = 1441
	codePUAFlags                    uint32 = 1442
	codeRAND                        uint32 = 1447
	codeXRES                        uint32 = 1448
	codeAUTN                        uint32 = 1449
	codeKASME                       uint32 = 1450
	codePDNType                     uint32 = 1456
	codeIDRFlags                    uint32 = 1490
	codeErrorDiagnostic             uint32 = 1614
	codeUESRVCCCapability           uint32 = 1615
	codeSubscribedPeriodicTAUTimer  uint32 = 1619
	codePURFlags                    uint32 = 1635
	codeCLRFlags                    uint32 = 1638
)

//go:embed dictionary.xml
var dictionaryXML []byte

var (
	dictOnce   sync.Once
	dictParser *dict.Parser
)

// Dictionary returns the Diameter dictionary of the base messages the S6a
// peers exchange and of the S6a application (dictionary.xml in this
// package), for go-diameter's decoders. The parser is built once and never
// changed afterwards, so it is safe for concurrent use.
func Dictionary() *dict.Parser {
	dictOnce.Do(func() {
		p, err := dict.NewParser()
		if err == nil {
			err = p.Load(bytes.NewReader(dictionaryXML))
		}
		if err != nil {
			// The dictionary is embedded and loaded by every test run.
			panic(fmt.Sprintf("s6a: embedded dictionary does not load: %v", err))
		}
		dictParser = p
	})
	return dictParser
}

const (
	codeProxyInfo          uint32 = 284
	codeErrorReportingHost uint32 = 294
)
