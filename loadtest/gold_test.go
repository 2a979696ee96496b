package loadtest

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/lte-mme/mme/internal/vectors"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// The GOLD attach of testdata/vectors (Open5GS attach_test3, keys known):
// a simulated UE with that subscriber's IMSI, K, OPc and UE network
// capability, at eNB-UE-S1AP-ID 2, is fed the MME's captured downlink
// messages and must produce the captured uplink NAS messages octet for
// octet: the RES, the NAS-MACs (EIA1) and the ciphering of SECURITY MODE
// COMPLETE, ESM INFORMATION RESPONSE and ATTACH COMPLETE. Its eNodeB
// accepts the captured K_eNB. The captured ATTACH ACCEPT's MAC is known to
// be wrong (the README says so): the UE must discard it, and accept it
// once protected with the right MAC.
func TestGoldAttachReplay(t *testing.T) {
	rows := map[string][]byte{}
	for _, f := range []string{"s1ap.tsv", "crypto.tsv"} {
		rs, err := vectors.Rows(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			rows[r.Name] = r.Bytes
		}
	}
	row := func(name string) []byte {
		b, ok := rows[name]
		if !ok {
			t.Fatalf("vector %s missing", name)
		}
		return b
	}
	capturedAttach, err := s1ap.DecodeLenient(row("InitialUEMessage#17"))
	if err != nil {
		t.Fatal(err)
	}
	attachNAS := capturedAttach.Message.(*s1ap.InitialUEMessage).NASPDU
	ar, err := nas.Decode(attachNAS)
	if err != nil {
		t.Fatal(err)
	}
	req := ar.(*nas.AttachRequest)

	subs := []Subscriber{{IMSI: "001010000000001"}, {IMSI: "001010000000002"},
		{IMSI: req.EPSMobileIdentity.Digits, K: [16]byte(row("o5gs-attach/attach_test3/K")), OPc: [16]byte(row("o5gs-attach/attach_test3/OPc")), SQN: 64}}
	sc := &Scenario{Name: "gold", UEs: 3, Profiles: []Profile{{ESMInfoTransfer: true}}, file: "gold"}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, withRightMAC := range []bool{false, true} {
		out := new(capture)
		s, _ := syncSim(t, sc, subs, out, 1)
		s.profiles[0].netCap = req.UENetworkCapability // f0f0000000, replayed by the MME
		s.profiles[0].noIMEISV = true
		w := s.workers[0]
		w.start(2, ProcAttach)
		sent := out.take(t)
		if len(sent) != 1 {
			t.Fatalf("attach start sent %d messages", len(sent))
		}
		// Ours adds nothing the capture lacks; the capture ends with MS
		// network feature support (TV 0xC1), which this UE does not send.
		if got, want := nasOfUplink(sent[0]), attachNAS[:len(attachNAS)-1]; !bytes.Equal(got, want) {
			t.Errorf("ATTACH REQUEST\n got %x\nwant %x", got, want)
		}
		steps := []struct{ dl, ul string }{
			{"DownlinkNASTransport#16", "UplinkNASTransport#27"}, // AUTHENTICATION REQUEST → RESPONSE
			{"DownlinkNASTransport#17", "UplinkNASTransport#44"}, // SMC → SMC COMPLETE (SH 4, EIA1)
			{"DownlinkNASTransport#18", "UplinkNASTransport#61"}, // ESM INFORMATION REQUEST → RESPONSE
		}
		for _, st := range steps {
			s.deliverTest(row(st.dl))
			sent := out.take(t)
			if len(sent) != 1 {
				t.Fatalf("%s: the UE sent %d messages, want 1", st.dl, len(sent))
			}
			want, err := s1ap.DecodeLenient(row(st.ul))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := nasOfUplink(sent[0]), nasOfUplink(want); !bytes.Equal(got, want) {
				t.Errorf("answer to %s\n got %x\nwant %x (%s)", st.dl, got, want, st.ul)
			}
		}
		ics := row("InitialContextSetupRequest#09")
		if withRightMAC {
			ics = reprotectAttachAccept(t, ics, [32]byte(row("o5gs-attach/attach_test3/KASME")))
		}
		s.deliverTest(ics)
		sent = out.take(t)
		var names []string
		for _, p := range sent {
			names = append(names, p.Message.MessageName())
		}
		u := &s.ues[2]
		if !withRightMAC {
			if u.emm == EMMRegistered || s.errorCounts()["nas: downlink integrity check failed"] != 1 {
				t.Errorf("captured ATTACH ACCEPT with a wrong MAC: UE in %v, anomalies %v; want it discarded", u.emm, s.errorCounts())
			}
			continue
		}
		// ICS response, UE capability info indication, ATTACH COMPLETE.
		if len(sent) != 3 {
			t.Fatalf("after the ICS the eNodeB/UE sent %v", names)
		}
		want, _ := s1ap.DecodeLenient(row("UplinkNASTransport#72"))
		if got, want := nasOfUplink(sent[2]), nasOfUplink(want); !bytes.Equal(got, want) {
			t.Errorf("ATTACH COMPLETE\n got %x\nwant %x", got, want)
		}
		if u.emm != EMMRegistered || s.live[ProcAttach].successes.Load() != 1 {
			t.Errorf("UE %v, attach successes %d; anomalies %v", u.emm, s.live[ProcAttach].successes.Load(), s.errorCounts())
		}
		if s.live[ProcAttach].failures.Load() != 0 {
			t.Errorf("attach failed (K_eNB check?): %v", s.drv.procs)
		}
		kenb := hex.EncodeToString(row("o5gs-attach/attach_test3/KENB"))
		if got := hex.EncodeToString(s.workers[0].conns[u.conn].kenb[:]); got != kenb {
			t.Errorf("K_eNB %s, want %s", got, kenb)
		}
	}
}

// reprotectAttachAccept replaces the NAS-MAC of the ATTACH ACCEPT in a
// captured INITIAL CONTEXT SETUP REQUEST with the right one (MME role,
// EEA0/EIA1, the captured sequence number), keeping every other octet.
func reprotectAttachAccept(t *testing.T, ics []byte, kasme [32]byte) []byte {
	t.Helper()
	p, err := s1ap.DecodeLenient(ics)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Message.(*s1ap.InitialContextSetupRequest)
	item := &m.ERABToBeSetupListCtxtSUReq[0]
	sp, err := nas.ParseSecurityProtected(item.NASPDU.Value)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := security.NewContext(security.Params{Role: security.RoleMME, KASME: kasme, EEA: security.EEA0, EIA: security.EIA1})
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.SkipTx(uint32(sp.SequenceNumber)); err != nil {
		t.Fatal(err)
	}
	pdu, err := ctx.Protect(nil, sp.Message, sp.Header)
	if err != nil {
		t.Fatal(err)
	}
	item.NASPDU.Value = pdu
	b, err := s1ap.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
