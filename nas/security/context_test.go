package security

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/lte-mme/mme/nas"
)

var testKASME = [32]byte{0x6f, 0x56, 0x45, 0xfd, 0xa4, 0xa4, 0x2d, 0x39, 0x41, 0x10, 0xf5, 0x8e, 0x35, 0xff, 0x64, 0xf7,
	0xf8, 0xd6, 0xf5, 0x35, 0x3d, 0xe3, 0xcb, 0x0e, 0xd1, 0xf4, 0x0f, 0x18, 0xda, 0x2a, 0x46, 0xb5}

// fataler is what pair needs of a *testing.T, *testing.B or *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

// pair returns an MME and a UE context sharing K_ASME and algorithms.
func pair(t fataler, eea EEA, eia EIA, ul, dl Count) (mme, ue *Context) {
	t.Helper()
	p := Params{Role: RoleMME, KSI: KSI{Value: 3}, KASME: testKASME, EEA: eea, EIA: eia, UL: ul, DL: dl, AllowEIA0: eia == EIA0}
	mme, err := NewContext(p)
	if err != nil {
		t.Fatal(err)
	}
	p.Role = RoleUE
	ue, err = NewContext(p)
	if err != nil {
		t.Fatal(err)
	}
	return mme, ue
}

// plainMsg is an EMM STATUS-like plain message of n octets.
func plainMsg(n int, seed byte) []byte {
	b := make([]byte, n)
	b[0], b[1] = 0x07, 0x60
	for i := 2; i < n; i++ {
		b[i] = seed + byte(i)
	}
	return b
}

// TestProtectUnprotectAllAlgorithms sends messages both ways with every
// EEA × EIA pair and every header type Protect takes.
func TestProtectUnprotectAllAlgorithms(t *testing.T) {
	for eea := EEA0; eea <= EEA3; eea++ {
		for eia := EIA0; eia <= EIA3; eia++ {
			t.Run(fmt.Sprintf("%v-%v", eea, eia), func(t *testing.T) {
				mme, ue := pair(t, eea, eia, 0, 0)
				for i, sht := range []nas.SecurityHeaderType{nas.IntegrityProtectedNewContext, nas.IntegrityProtectedCipheredNewContext, nas.IntegrityProtected, nas.IntegrityProtectedCiphered} {
					for _, dir := range []struct {
						from, to *Context
					}{{mme, ue}, {ue, mme}} {
						// Type 3 is downlink only, type 4 uplink only
						// (TS 24.301 §9.3.1): the receiver refuses the
						// other direction, and the sender's COUNT moves.
						if sht == nas.IntegrityProtectedNewContext && dir.from.Role() == RoleUE ||
							sht == nas.IntegrityProtectedCipheredNewContext && dir.from.Role() == RoleMME {
							pdu, err := dir.from.Protect(nil, plainMsg(9, 0), sht)
							if err != nil {
								t.Fatal(err)
							}
							if _, _, err := dir.to.Unprotect(nil, pdu); !errors.Is(err, ErrHeaderType) {
								t.Fatalf("%v from the %v: err = %v, want ErrHeaderType", sht, dir.from.Role(), err)
							}
							continue
						}
						msg := plainMsg(20+i, byte(i))
						txBefore := *dir.from.tx()
						pdu, err := dir.from.Protect(nil, msg, sht)
						if err != nil {
							t.Fatal(err)
						}
						if len(pdu) != len(msg)+6 || pdu[0] != byte(sht)<<4|7 || pdu[5] != txBefore.SQN() {
							t.Fatalf("header %x", pdu[:6])
						}
						ciphered := !bytes.Equal(pdu[6:], msg)
						if want := sht.IsCiphered() && eea != EEA0; ciphered != want {
							t.Fatalf("%v: message ciphered = %v, want %v", sht, ciphered, want)
						}
						if eia == EIA0 && !bytes.Equal(pdu[1:5], []byte{0, 0, 0, 0}) {
							t.Fatalf("EIA0 MAC %x", pdu[1:5])
						}
						got, r, err := dir.to.Unprotect([]byte("prefix"), pdu)
						if err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got, append([]byte("prefix"), msg...)) || r.Header != sht || r.Count != txBefore {
							t.Fatalf("unprotected %x %+v", got, r)
						}
					}
				}
				if mme.ULCount() != 4 || mme.DLCount() != 4 || ue.ULCount() != 4 || ue.DLCount() != 4 {
					t.Fatalf("COUNTs MME %d/%d UE %d/%d, want 4", mme.ULCount(), mme.DLCount(), ue.ULCount(), ue.DLCount())
				}
			})
		}
	}
}

// TestCountOverflowAndLoss runs the sequence number across several
// overflows with lost messages: the receiver's estimate (TS 24.301 §4.4.3.1)
// follows as long as fewer than 256 messages in a row are lost.
func TestCountOverflowAndLoss(t *testing.T) {
	mme, ue := pair(t, EEA2, EIA2, 0, 250)
	buf := make([]byte, 0, 64)
	msg := plainMsg(10, 1)
	for i := range 1000 {
		pdu, err := mme.Protect(buf[:0], msg, nas.IntegrityProtectedCiphered)
		if err != nil {
			t.Fatal(err)
		}
		// Lose messages 100-354 (255 in a row) and every 7th otherwise.
		if (i >= 100 && i < 355) || i%7 == 3 {
			continue
		}
		_, r, err := ue.Unprotect(nil, pdu)
		if err != nil {
			t.Fatalf("message %d (COUNT %d): %v", i, 250+i, err)
		}
		if r.Count != Count(250+i) {
			t.Fatalf("message %d: estimated COUNT %d, want %d", i, r.Count, 250+i)
		}
	}
	if ue.DLCount() != 1250 || ue.DLCount().Overflow() != 4 {
		t.Fatalf("UE DL COUNT %d", ue.DLCount())
	}
}

// TestCountWindow shows the limit of the estimate: after 256 lost messages
// the receiver's estimate is 256 too low and the MAC fails; the context is
// unchanged and the next message within the window is accepted.
func TestCountWindow(t *testing.T) {
	mme, ue := pair(t, EEA0, EIA2, 0, 0)
	msg := plainMsg(8, 2)
	for range 256 {
		if _, err := mme.Protect(nil, msg, nas.IntegrityProtected); err != nil {
			t.Fatal(err)
		}
	}
	pdu, _ := mme.Protect(nil, msg, nas.IntegrityProtected) // COUNT 256, SQN 0
	_, _, err := ue.Unprotect(nil, pdu)
	var ie *IntegrityError
	if !errors.As(err, &ie) || ie.Count != 0 || ie.Direction != Downlink {
		t.Fatalf("COUNT 256 after 256 losses: err = %v, want *IntegrityError at estimated COUNT 0", err)
	}
	if ue.DLCount() != 0 {
		t.Fatalf("rejected message moved the COUNT to %d", ue.DLCount())
	}
}

// TestReplayRejected: a message is accepted once; replaying it, or an older
// message after a newer one, fails the integrity check (see Unprotect).
func TestReplayRejected(t *testing.T) {
	for _, eia := range []EIA{EIA1, EIA2, EIA3} {
		t.Run(eia.String(), func(t *testing.T) {
			mme, ue := pair(t, EEA1, eia, 0, 0)
			var pdus [][]byte
			for i := range 3 {
				p, err := ue.Protect(nil, plainMsg(12, byte(i)), nas.IntegrityProtectedCiphered)
				if err != nil {
					t.Fatal(err)
				}
				pdus = append(pdus, p)
			}
			if _, _, err := mme.Unprotect(nil, pdus[0]); err != nil {
				t.Fatal(err)
			}
			if _, _, err := mme.Unprotect(nil, pdus[0]); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("replay: %v", err)
			}
			if _, _, err := mme.Unprotect(nil, pdus[2]); err != nil {
				t.Fatal(err)
			}
			if _, _, err := mme.Unprotect(nil, pdus[1]); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("older message after a newer one: %v", err)
			}
			if mme.ULCount() != 3 {
				t.Fatalf("UL COUNT %d, want 3", mme.ULCount())
			}
		})
	}
}

// TestTamperingDetected flips every bit of a protected message; each
// variant is rejected and the context keeps accepting the genuine message.
func TestTamperingDetected(t *testing.T) {
	mme, ue := pair(t, EEA2, EIA2, 0, 0)
	pdu, err := ue.Protect(nil, plainMsg(16, 3), nas.IntegrityProtectedCiphered)
	if err != nil {
		t.Fatal(err)
	}
	for bit := range 8 * len(pdu) {
		b := bytes.Clone(pdu)
		b[bit/8] ^= 0x80 >> (bit % 8)
		if _, _, err := mme.Unprotect(nil, b); err == nil {
			t.Fatalf("bit %d flipped: accepted", bit)
		} else if !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrHeaderType) {
			t.Fatalf("bit %d flipped: unexpected error %v", bit, err)
		}
	}
	if _, _, err := mme.Unprotect(nil, pdu); err != nil {
		t.Fatalf("genuine message after tampered ones: %v", err)
	}
}

func TestServiceRequest(t *testing.T) {
	mme, ue := pair(t, EEA2, EIA2, 20, 0)
	for i := range 100 {
		sr, count, err := ue.ProtectServiceRequest(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(sr) != 4 || sr[0] != 0xc7 || sr[1]>>5 != 3 || Count(sr[1]&0x1f) != count&0x1f {
			t.Fatalf("SERVICE REQUEST %x", sr)
		}
		if i%3 == 1 { // lost
			continue
		}
		got, err := mme.VerifyServiceRequest(sr)
		if err != nil || got != count {
			t.Fatalf("SR %d: COUNT %d, %v; want %d", i, got, err, count)
		}
		// Replay.
		if _, err := mme.VerifyServiceRequest(sr); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("replayed SR: %v", err)
		}
		if i == 50 {
			// K_eNB for the SR is derived with its COUNT (TS 33.401 A.3).
			if mme.KENB(got) != DeriveKENB(testKASME, uint32(count)) {
				t.Fatal("KENB")
			}
		}
	}
	// Another KSI.
	sr, _, _ := ue.ProtectServiceRequest(nil)
	sr[1] = sr[1]&0x1f | 5<<5
	if _, err := mme.VerifyServiceRequest(sr); !errors.Is(err, ErrKSIMismatch) {
		t.Fatalf("KSI 5: %v", err)
	}
	// A short MAC over another sequence number.
	sr, _, _ = ue.ProtectServiceRequest(nil)
	sr[3] ^= 1
	if _, err := mme.VerifyServiceRequest(sr); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("bad short MAC: %v", err)
	}
	if _, err := mme.VerifyServiceRequest([]byte{0xc7, 0x60}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("2-octet SR: %v", err)
	}
	if _, _, err := mme.ProtectServiceRequest(nil); !errors.Is(err, ErrRole) {
		t.Fatalf("MME builds SR: %v", err)
	}
	if _, err := ue.VerifyServiceRequest(sr); !errors.Is(err, ErrRole) {
		t.Fatalf("UE verifies SR: %v", err)
	}
	// The SR moved the UL COUNT: the next protected UL message continues.
	pdu, _ := ue.Protect(nil, plainMsg(8, 0), nas.IntegrityProtected)
	if _, r, err := mme.Unprotect(nil, pdu); err != nil || r.Count != ue.ULCount()-1 {
		t.Fatalf("UL message after SRs: %+v %v", r, err)
	}
}

func TestCountExhausted(t *testing.T) {
	mme, ue := pair(t, EEA0, EIA1, MaxCount, MaxCount)
	pdu, err := mme.Protect(nil, plainMsg(4, 0), nas.IntegrityProtected)
	if err != nil {
		t.Fatal(err)
	}
	if _, r, err := ue.Unprotect(nil, pdu); err != nil || r.Count != MaxCount {
		t.Fatalf("last COUNT: %+v %v", r, err)
	}
	if _, err := mme.Protect(nil, plainMsg(4, 0), nas.IntegrityProtected); !errors.Is(err, ErrCountExhausted) {
		t.Fatalf("Protect past 2^24-1: %v", err)
	}
	if mme.Remaining() != 0 {
		t.Fatalf("Remaining %d", mme.Remaining())
	}
	if _, _, err := ue.Unprotect(nil, pdu); !errors.Is(err, ErrCountExhausted) {
		t.Fatalf("Unprotect past 2^24-1: %v", err)
	}
	sr, _, err := ue.ProtectServiceRequest(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ue.ProtectServiceRequest(nil); !errors.Is(err, ErrCountExhausted) {
		t.Fatalf("SR past 2^24-1: %v", err)
	}
	if c, err := mme.VerifyServiceRequest(sr); err != nil || c != MaxCount {
		t.Fatalf("last SR: %d %v", c, err)
	}
	if err := mme.SkipTx(0); err != nil {
		t.Fatal(err)
	}
	if _, err := NewContext(Params{Role: RoleMME, EIA: EIA1, UL: MaxCount + 2}); !errors.Is(err, ErrCountExhausted) {
		t.Fatalf("start past 2^24: %v", err)
	}
}

func TestContextErrors(t *testing.T) {
	for _, c := range []struct {
		p    Params
		want error
	}{
		{Params{Role: RoleMME, EEA: EEA2, EIA: EIA0}, ErrEIA0NotAllowed},
		{Params{Role: RoleMME, EEA: EEA(4), EIA: EIA2}, ErrUnknownAlgorithm},
		{Params{Role: RoleMME, EEA: EEA2, EIA: EIA(5)}, ErrUnknownAlgorithm},
		{Params{Role: 0, EEA: EEA2, EIA: EIA2}, ErrRole},
		{Params{Role: RoleUE, KSI: KSI{Value: 7}, EEA: EEA2, EIA: EIA2}, ErrInvalidKSI},
	} {
		if _, err := NewContext(c.p); !errors.Is(err, c.want) {
			t.Errorf("%+v: err = %v, want %v", c.p, err, c.want)
		}
	}
	mme, _ := pair(t, EEA2, EIA2, 0, 0)
	for _, sht := range []nas.SecurityHeaderType{nas.Plain, nas.IntegrityProtectedPartiallyCiphered, nas.ServiceRequestHeader} {
		if _, err := mme.Protect(nil, plainMsg(4, 0), sht); !errors.Is(err, ErrHeaderType) {
			t.Errorf("Protect %v: %v", sht, err)
		}
	}
	if mme.DLCount() != 0 {
		t.Fatal("failed Protect moved the COUNT")
	}
	for _, b := range [][]byte{nil, {0x07}, {0x07, 0x41, 0x01}, {0x27, 1, 2, 3, 4, 0, 0x07}, {0x52, 1, 2, 3, 4, 0, 0x07, 0x41}} {
		if _, _, err := mme.Unprotect(nil, b); !errors.Is(err, ErrMalformed) {
			t.Errorf("Unprotect %x: %v", b, err)
		}
	}
	if _, _, err := mme.Unprotect(nil, []byte{0x57, 1, 2, 3, 4, 0, 0x07, 0x41}); !errors.Is(err, ErrHeaderType) {
		t.Errorf("header type 5: %v", err)
	}
}

// TestMarshalRoundTrip stores a context mid-flow, restores it and carries
// on; COUNTs continue where they were.
func TestMarshalRoundTrip(t *testing.T) {
	for _, role := range []Role{RoleMME, RoleUE} {
		c, err := NewContext(Params{Role: role, KSI: KSI{Value: 5, Mapped: true}, KASME: testKASME, EEA: EEA3, EIA: EIA1, UL: 0x12345, DL: 0xabcdef})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != StoredLen || b[0] != 1 || b[1] != byte(role) || b[2] != 0x0d || b[3] != 0x31 {
			t.Fatalf("stored %x", b)
		}
		var r Context
		if err := r.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if r.Role() != role || r.KSI() != (KSI{Value: 5, Mapped: true}) || r.KASME() != testKASME || r.ULCount() != 0x12345 || r.DLCount() != 0xabcdef {
			t.Fatalf("restored %+v", r)
		}
		if e, i := r.Algorithms(); e != EEA3 || i != EIA1 {
			t.Fatalf("algorithms %v %v", e, i)
		}
		ek, ik := c.NASKeys()
		if rk, ri := r.NASKeys(); rk != ek || ri != ik {
			t.Fatal("NAS keys differ after restore")
		}
		// Both protect the same message identically.
		p1, _ := c.Protect(nil, plainMsg(30, 9), nas.IntegrityProtectedCiphered)
		p2, _ := r.Protect(nil, plainMsg(30, 9), nas.IntegrityProtectedCiphered)
		if !bytes.Equal(p1, p2) {
			t.Fatal("restored context protects differently")
		}
	}
	c, _ := NewContext(Params{Role: RoleMME, KASME: testKASME, EEA: EEA0, EIA: EIA0, AllowEIA0: true})
	b, _ := c.MarshalBinary()
	var r Context
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatalf("EIA0 context with AllowEIA0: %v", err)
	}

	good, _ := c.MarshalBinary()
	for name, mut := range map[string]func([]byte) []byte{
		"short":     func(b []byte) []byte { return b[:43] },
		"long":      func(b []byte) []byte { return append(b, 0) },
		"version":   func(b []byte) []byte { b[0] = 2; return b },
		"role":      func(b []byte) []byte { b[1] = 3; return b },
		"reserved":  func(b []byte) []byte { b[2] |= 0x10; return b },
		"eea":       func(b []byte) []byte { b[3] = 0x41; return b },
		"eia0":      func(b []byte) []byte { b[2] &^= 0x80; return b },
		"count":     func(b []byte) []byte { b[36] = 0x02; return b },
		"algs bits": func(b []byte) []byte { b[3] |= 0x08; return b },
		"ksi 7":     func(b []byte) []byte { b[2] |= 0x07; return b },
	} {
		before := r
		if err := r.UnmarshalBinary(mut(bytes.Clone(good))); !errors.Is(err, ErrCorruptContext) {
			t.Errorf("%s: err = %v, want ErrCorruptContext", name, err)
		}
		if !sameState(&r, &before) {
			t.Errorf("%s: failed UnmarshalBinary changed the context", name)
		}
	}
}

// TestSkipTx: after a takeover the new owner skips the transmit COUNT ahead;
// the peer accepts as long as the skip stays in its estimation window.
func TestSkipTx(t *testing.T) {
	mme, ue := pair(t, EEA2, EIA2, 0, 0)
	stored, _ := mme.MarshalBinary()
	// The old owner sends 40 messages after the record was stored.
	for range 40 {
		pdu, _ := mme.Protect(nil, plainMsg(8, 0), nas.IntegrityProtected)
		if _, _, err := ue.Unprotect(nil, pdu); err != nil {
			t.Fatal(err)
		}
	}
	var taken Context
	if err := taken.UnmarshalBinary(stored); err != nil {
		t.Fatal(err)
	}
	if err := taken.SkipTx(256); !errors.Is(err, ErrSkipTooLarge) {
		t.Fatalf("skip 256: %v", err)
	}
	if err := taken.SkipTx(128); err != nil {
		t.Fatal(err)
	}
	pdu, _ := taken.Protect(nil, plainMsg(8, 0), nas.IntegrityProtected)
	if _, r, err := ue.Unprotect(nil, pdu); err != nil || r.Count != 128 {
		t.Fatalf("after takeover: %+v %v", r, err)
	}
	// Without the skip the new owner would reuse COUNTs the UE already
	// accepted, and the UE would reject them.
	var stale Context
	_ = stale.UnmarshalBinary(stored)
	pdu, _ = stale.Protect(nil, plainMsg(8, 0), nas.IntegrityProtected)
	if _, _, err := ue.Unprotect(nil, pdu); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("reused COUNT: %v", err)
	}
}

func TestKSIHalfOctet(t *testing.T) {
	for h := uint8(0); h < 16; h++ {
		if got := KSIFromHalfOctet(h).HalfOctet(); got != h {
			t.Errorf("half octet %x -> %x", h, got)
		}
	}
	if c := Count(0x123456); c.Overflow() != 0x1234 || c.SQN() != 0x56 {
		t.Fatal("Count parts")
	}
	if RoleMME.String() != "MME" || RoleUE.String() != "UE" || EEA2.String() != "EEA2" || EIA(9).String() != "EIA(9)" || Downlink.String() != "downlink" {
		t.Fatal("String")
	}
}

// TestProtectUnprotectAllocs: the hot path does not allocate with
// EEA2+EIA2 and EEA0+EIA2 when the buffers have room.
func TestProtectUnprotectAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -cover and -race")
	}
	for _, eea := range []EEA{EEA0, EEA2} {
		mme, ue := pair(t, eea, EIA2, 0, 0)
		msg := plainMsg(100, 0)
		buf := make([]byte, 0, 128)
		out := make([]byte, 0, 128)
		allocs := testing.AllocsPerRun(1000, func() {
			pdu, err := mme.Protect(buf[:0], msg, nas.IntegrityProtectedCiphered)
			if err != nil {
				panic(err)
			}
			if _, _, err := ue.Unprotect(out[:0], pdu); err != nil {
				panic(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v+EIA2: %.1f allocations per protect+unprotect, want 0", eea, allocs)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	ie := &IntegrityError{Header: nas.IntegrityProtectedCiphered, Count: 0x1234, Direction: Uplink}
	if got := ie.Error(); got != "security: NAS-MAC does not verify: IntegrityProtectedCiphered message, uplink COUNT 0x1234" {
		t.Errorf("IntegrityError: %q", got)
	}
	sf := &SynchFailureError{SQN: 0x20, SQNMS: 0x40}
	if got := sf.Error(); got != "security: AUTN SQN not acceptable (EMM cause #21 synch failure): SQN 0x20, SQN_MS 0x40" {
		t.Errorf("SynchFailureError: %q", got)
	}
}
