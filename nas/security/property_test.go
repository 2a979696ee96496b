package security

import (
	"bytes"
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/lte-mme/mme/nas"
)

// TestReplayRuleModel checks Unprotect against a model of the replay rule
// of TS 24.301 §4.4.3.1 under random loss, reordering and replay: a message
// protected with COUNT c is accepted exactly when next ≤ c ≤ next+255, where
// next is one more than the last accepted COUNT; acceptance sets next to
// c+1; a rejection changes nothing. (A forged MAC would pass with
// probability 2^-32 per check; the fixed keys make the run deterministic.)
func TestReplayRuleModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := Count(rapid.Uint32Range(0, 1<<16).Draw(t, "start"))
		eia := rapid.SampledFrom([]EIA{EIA1, EIA2, EIA3}).Draw(t, "eia")
		eea := rapid.SampledFrom([]EEA{EEA0, EEA1, EEA2, EEA3}).Draw(t, "eea")
		mme, ue := pair(t, eea, eia, start, start)
		type sent struct {
			count Count
			pdu   []byte
			plain []byte
		}
		var msgs []sent
		next := start
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for range steps {
			switch rapid.IntRange(0, 9).Draw(t, "action") {
			case 0, 1, 2, 3, 4, 5: // the UE sends a message
				plain := rapid.SliceOfN(rapid.Byte(), 2, 40).Draw(t, "plain")
				c := ue.ULCount()
				pdu, err := ue.Protect(nil, plain, nas.IntegrityProtectedCiphered)
				if err != nil {
					t.Fatal(err)
				}
				msgs = append(msgs, sent{c, pdu, plain})
			case 6: // a burst of messages the MME never sees
				ue.ul += Count(rapid.IntRange(1, 300).Draw(t, "lost"))
			default: // the MME receives one of the sent messages
				if len(msgs) == 0 {
					continue
				}
				m := msgs[rapid.IntRange(0, len(msgs)-1).Draw(t, "which")]
				plain, r, err := mme.Unprotect(nil, m.pdu)
				accept := m.count >= next && m.count-next <= 255
				if accept {
					if err != nil || r.Count != m.count || !bytes.Equal(plain, m.plain) {
						t.Fatalf("COUNT %d with next %d: want accepted, got %x %+v %v", m.count, next, plain, r, err)
					}
					next = m.count + 1
				} else if !errors.Is(err, ErrIntegrity) {
					t.Fatalf("COUNT %d with next %d: want ErrIntegrity, got %v", m.count, next, err)
				}
				if mme.ULCount() != next {
					t.Fatalf("MME UL COUNT %d, model %d", mme.ULCount(), next)
				}
			}
		}
	})
}
