package loadtest

import (
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/aper"
)

// The S1 handover transparent containers (TS 36.413 §9.2.1.56, §9.2.1.57)
// pass between the eNodeBs through the MME untouched, but Wireshark (and a
// careful MME) decodes them, so they are real encodings: the S1AP
// containers in ALIGNED PER, their RRC containers in UNALIGNED PER (TS
// 36.331 §10.2.2, §10.2.1). The RRC parts are minimal valid values.

// sourceToTarget encodes SourceeNB-ToTargeteNB-TransparentContainer (TS
// 36.413 §9.2.1.56) for a UE leaving cell src for cell dst: the RRC
// HandoverPreparationInformation, the target cell and a one-cell UE
// history.
func sourceToTarget(dst, src s1ap.EUTRANCGI) []byte {
	var e aper.Encoder
	e.PutBit(false) // extension marker
	e.PutBits(0, 3) // e-RABInformationList, subscriberProfileIDforRFP, iE-Extensions absent
	e.PutFragmented(handoverPreparationInformation)
	putEUTRANCGI(&e, dst)
	e.PutConstrainedLength(1, 1, 16) // UE-HistoryInformation: one LastVisitedCell-Item
	e.PutBit(false)                  // LastVisitedCell-Item extension marker
	e.PutConstrained(0, 0, 2)        // e-UTRAN-Cell
	e.PutBit(false)                  // LastVisitedEUTRANCellInformation: extension marker
	e.PutBit(false)                  //   iE-Extensions absent
	putEUTRANCGI(&e, src)
	e.PutBit(false)               // CellType: extension marker
	e.PutBit(false)               //   iE-Extensions absent
	e.PutBit(false)               //   Cell-Size extension marker
	e.PutConstrained(2, 0, 3)     //   medium
	e.PutConstrained(10, 0, 4095) // time-UE-StayedInCell (s)
	return e.Bytes()
}

// targetToSource encodes TargeteNB-ToSourceeNB-TransparentContainer (TS
// 36.413 §9.2.1.57): the RRC HandoverCommand.
func targetToSource() []byte {
	var e aper.Encoder
	e.PutBit(false) // extension marker
	e.PutBit(false) // iE-Extensions absent
	e.PutFragmented(handoverCommand)
	return e.Bytes()
}

func putEUTRANCGI(e *aper.Encoder, c s1ap.EUTRANCGI) {
	e.PutBit(false) // extension marker
	e.PutBit(false) // iE-Extensions absent
	e.PutOctets(c.PLMNidentity[:])
	e.Align()
	e.PutBits(uint64(c.CellID), 28)
}

// handoverPreparationInformation is TS 36.331 HandoverPreparationInformation
// in UPER: criticalExtensions c1 (1 bit 0), handoverPreparationInformation-r8
// (3 bits 0), the four optional IEs absent (4 bits 0) and an empty
// ue-RadioAccessCapabilityInfo (SIZE (0..8): 4 bits 0). 12 bits, padded.
var handoverPreparationInformation = []byte{0x00, 0x00}

// handoverCommand is TS 36.331 HandoverCommand in UPER:
// criticalExtensions c1 (1 bit 0), handoverCommand-r8 (3 bits 0),
// nonCriticalExtension absent (1 bit 0), handoverCommandMessage: an octet
// string (8-bit length 3) holding the DL-DCCH-Message below. 37 bits,
// padded.
var handoverCommand = uperBits([]bitField{{0, 1}, {0, 3}, {0, 1}, {3, 8},
	{uint64(dlDCCHReconfiguration[0]), 8}, {uint64(dlDCCHReconfiguration[1]), 8}, {uint64(dlDCCHReconfiguration[2]), 8}})

// dlDCCHReconfiguration is a DL-DCCH-Message carrying an
// RRCConnectionReconfiguration (TS 36.331 §6.2.1) in UPER: c1 (1 bit 0),
// rrcConnectionReconfiguration (4 bits, index 4), transaction 0 (2 bits),
// criticalExtensions c1 (1 bit 0), r8 (3 bits 0), its six optional IEs
// absent (6 bits 0). 17 bits, padded to three octets.
var dlDCCHReconfiguration = uperBits([]bitField{{0, 1}, {4, 4}, {0, 2}, {0, 1}, {0, 3}, {0, 6}})

type bitField struct {
	v uint64
	n int
}

// uperBits packs fields MSB first and pads to an octet (X.691 UNALIGNED).
func uperBits(fs []bitField) []byte {
	var out []byte
	var acc uint64
	var n int
	for _, f := range fs {
		for i := f.n - 1; i >= 0; i-- {
			acc = acc<<1 | (f.v>>i)&1
			n++
			if n == 8 {
				out = append(out, byte(acc))
				acc, n = 0, 0
			}
		}
	}
	if n > 0 {
		out = append(out, byte(acc<<(8-n)))
	}
	return out
}
