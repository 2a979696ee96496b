package s6a

import (
	"bufio"
	"encoding/hex"
	"errors"
	tv "github.com/lte-mme/mme/internal/vectors"
	"os"
	"strings"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
)

// vectorRow is one row of ../../shared/vectors/diameter.tsv.
type vectorRow struct {
	name string
	pdu  []byte
}

func loadVectors(t testing.TB) []vectorRow {
	t.Helper()
	f, err := os.Open(tv.Path("diameter.tsv"))
	if err != nil {
		t.Fatalf("third-party vectors: %v", err)
	}
	defer f.Close()
	var rows []vectorRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 {
			continue
		}
		b, err := hex.DecodeString(cols[1])
		if err != nil {
			t.Fatalf("%s: %v", cols[0], err)
		}
		rows = append(rows, vectorRow{cols[0], b})
	}
	if len(rows) != 10 {
		t.Fatalf("diameter.tsv: %d rows, want 10", len(rows))
	}
	return rows
}

// TestVectors decodes every row of diameter.tsv: the messages we cover
// through Parse and the typed decoders, with their key AVP values checked;
// the others (EAP) must parse as Diameter framing and be refused by Parse
// with DIAMETER_APPLICATION_UNSUPPORTED.
func TestVectors(t *testing.T) {
	for _, row := range loadVectors(t) {
		t.Run(row.name, func(t *testing.T) {
			if err := WalkFraming(row.pdu); err != nil {
				t.Fatalf("framing: %v", err)
			}
			m, err := Parse(row.pdu)
			check := vectorChecks[row.name]
			if check == nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.ResultCode != ResultApplicationUnsupported {
					t.Fatalf("Parse(%s) = %v, want application unsupported", row.name, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			check(t, m)
			// Re-serialising the decoded message gives the same octets.
			b, err := m.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(b) != hex.EncodeToString(row.pdu) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", b, row.pdu)
			}
		})
	}
}

var vectorChecks = map[string]func(t *testing.T, m *diam.Message){
	"CapExchangeReq": func(t *testing.T, m *diam.Message) {
		r, err := DecodeCER(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Origin-Host", r.OriginHost, "opendiam.eap.testbed.aaa")
		eq(t, "Origin-Realm", r.OriginRealm, "eap.testbed.aaa")
		eq(t, "Host-IP-Address", r.HostIPAddresses[0].String(), "192.168.105.40")
		eq(t, "Product-Name", r.ProductName, "Open Diameter")
		eq(t, "Origin-State-Id", r.OriginStateID, uint32(1273829340))
		eq(t, "Auth-Application-Ids", len(r.AuthApplicationIDs), 2)
		eq(t, "S6a", r.SupportsS6a(), false)
		eq(t, "hop-by-hop", m.Header.HopByHopID, uint32(0x53cafe6a))
	},
	"CapExchangeResp": func(t *testing.T, m *diam.Message) {
		r, err := DecodeCEA(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Result-Code", r.Result, Success)
		eq(t, "end-to-end", m.Header.EndToEndID, uint32(0x7dc0a11b))
		if r.OriginHost == "" || r.ProductName == "" {
			t.Errorf("CEA without Origin-Host or Product-Name: %+v", r)
		}
	},
	"Discon-peerReq": func(t *testing.T, m *diam.Message) {
		r, err := DecodeDPR(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Disconnect-Cause", r.DisconnectCause, DisconnectRebooting)
		if r.OriginHost == "" {
			t.Error("no Origin-Host")
		}
	},
	"Discon-peerAns": func(t *testing.T, m *diam.Message) {
		r, err := DecodeDPA(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Result-Code", r.Result, Success)
	},
	"AIR": func(t *testing.T, m *diam.Message) {
		r, err := DecodeAIR(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Session-Id", r.SessionID, "mme.localdomain;1560950849;17;app_s6a")
		eq(t, "Origin-Host", r.OriginHost, "mme.localdomain")
		eq(t, "Destination-Realm", r.DestinationRealm, "localdomain")
		eq(t, "User-Name", r.IMSI, "244071821194026")
		eq(t, "Visited-PLMN-Id", hex.EncodeToString(r.VisitedPLMNID[:]), "42f470")
		eq(t, "Number-Of-Requested-Vectors", r.EUTRAN.NumberOfRequestedVectors, uint32(1))
		eq(t, "Immediate-Response-Preferred", r.EUTRAN.ImmediateResponsePreferred, true)
		eq(t, "Re-Synchronization-Info", r.EUTRAN.ResynchronizationInfo == nil, true)
	},
	"AIA": func(t *testing.T, m *diam.Message) {
		r, err := DecodeAIA(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Result-Code", r.Result, Success)
		eq(t, "Origin-Host", r.OriginHost, "hss.localdomain")
		eq(t, "vectors", len(r.Vectors), 1)
		v := r.Vectors[0]
		eq(t, "RAND", hex.EncodeToString(v.RAND[:]), "1bfb50b4ccdade9bc64c0e79a48c52ae")
		eq(t, "XRES", hex.EncodeToString(v.XRES), "ee84e634eb3b2d25")
		eq(t, "AUTN", hex.EncodeToString(v.AUTN[:]), "738dfd83971680003f2c75b0b8c3ff6c")
		eq(t, "KASME", hex.EncodeToString(v.KASME[:]), "7fedfc639da901b42de6c7dea5f1867568d5e0a264b4c2e2915fd5b0a376122e")
	},
	"ULR": func(t *testing.T, m *diam.Message) {
		r, err := DecodeULR(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "User-Name", r.IMSI, "244071821194026")
		eq(t, "RAT-Type", r.RATType, RATTypeEUTRAN)
		eq(t, "ULR-Flags", r.ULRFlags, ULRS6aS6dIndicator)
		eq(t, "Visited-PLMN-Id", hex.EncodeToString(r.VisitedPLMNID[:]), "42f470")
		eq(t, "UE-SRVCC-Capability", *r.UESRVCCCapability, uint32(0))
	},
	"ULA": func(t *testing.T, m *diam.Message) {
		r, err := DecodeULA(m)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Result-Code", r.Result, Success)
		eq(t, "ULA-Flags", r.ULAFlags, ULASeparationIndication)
		sd := r.SubscriptionData
		eq(t, "Access-Restriction-Data", *sd.AccessRestrictionData, HOToNon3GPPNotAllowed)
		eq(t, "Subscriber-Status", *sd.SubscriberStatus, ServiceGranted)
		eq(t, "Network-Access-Mode", *sd.NetworkAccessMode, OnlyPacket)
		eq(t, "AMBR", *sd.AMBR, AMBR{MaxRequestedBandwidthUL: 1048576000, MaxRequestedBandwidthDL: 1048576000})
		p := sd.APNConfigurationProfile
		eq(t, "Context-Identifier", p.ContextIdentifier, uint32(1))
		eq(t, "All-APN-Configurations-Included", p.AllAPNConfigurationsIncluded, true)
		eq(t, "APN configurations", len(p.APNConfigurations), 3)
		def := p.DefaultAPN()
		eq(t, "default APN", def.ServiceSelection, "iptv")
		eq(t, "PDN-Type", def.PDNType, PDNTypeIPv4v6)
		eq(t, "QoS", *def.EPSSubscribedQoS, EPSSubscribedQoSProfile{QCI: 6, PriorityLevel: 8, PreemptionCapability: 1, PreemptionVulnerability: 1})
		eq(t, "third APN", p.APNConfigurations[2].ServiceSelection, "internet")
		eq(t, "third QCI", p.APNConfigurations[2].EPSSubscribedQoS.QCI, uint32(9))
		eq(t, "Subscribed-Periodic-RAU-TAU-Timer", sd.SubscribedPeriodicTAUTimer, uint32(720))
	},
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
