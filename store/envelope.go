package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Envelope format (docs/design/store.md "Envelope"). Every stored record is
//
//	byte 0      format version (envelopeV1 = 1)
//	bytes 1..4  CRC-32C (Castagnoli), big endian, of every byte after it
//	bytes 5..12 Seq, big endian: the per-key record sequence, 1 for the first Put of a
//	            key and +1 for every later Put (a Delete then a Put restarts
//	            at 1): replication orders and deduplicates writes with it
//	uvarint     number of index entries
//	  byte        index number
//	  uvarint     value length, then the value bytes
//	rest        the record, opaque to the store (its schema version and
//	            migrations live in package session)
//
// The index list makes a record self-describing: Put removes the entries of
// the previous version that are absent now, Delete removes them all, and a
// replica rebuilds indexes from records alone.
const envelopeV1 = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned when a stored envelope fails its checksum or does
// not parse.
var ErrCorrupt = errors.New("store: corrupt record")

// Entry is a stored record with its envelope fields.
type Entry struct {
	Key   uint64
	Seq   uint64       // per-key record sequence (see the envelope format)
	Index []IndexEntry // the record's index entries as last written
	Rec   []byte       // the record (a copy the caller owns)
}

// IndexEntry is a secondary index value of a record: the node uses one
// index number per identity (IMSI, GUTI/S-TMSI, MME-UE-S1AP-ID).
type IndexEntry struct {
	Index uint8
	Value []byte
}

func appendEnvelope(dst []byte, seq uint64, idx []IndexEntry, rec []byte) []byte {
	start := len(dst)
	dst = append(dst, envelopeV1, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.AppendUvarint(dst, uint64(len(idx)))
	for _, e := range idx {
		dst = append(dst, e.Index)
		dst = binary.AppendUvarint(dst, uint64(len(e.Value)))
		dst = append(dst, e.Value...)
	}
	dst = append(dst, rec...)
	binary.BigEndian.PutUint32(dst[start+1:], crc32.Checksum(dst[start+5:], castagnoli))
	return dst
}

// setSeq rewrites the sequence of an encoded envelope and its checksum.
func setSeq(env []byte, seq uint64) {
	binary.BigEndian.PutUint64(env[5:], seq)
	binary.BigEndian.PutUint32(env[1:], crc32.Checksum(env[5:], castagnoli))
}

// parseEnvelope splits an envelope; idx values and rec alias b.
func parseEnvelope(b []byte) (seq uint64, idx []IndexEntry, rec []byte, err error) {
	if len(b) < 13 {
		return 0, nil, nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(b))
	}
	if b[0] != envelopeV1 {
		return 0, nil, nil, fmt.Errorf("%w: envelope version %d", ErrCorrupt, b[0])
	}
	if crc32.Checksum(b[5:], castagnoli) != binary.BigEndian.Uint32(b[1:5]) {
		return 0, nil, nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	seq = binary.BigEndian.Uint64(b[5:])
	p := b[13:]
	count, n := binary.Uvarint(p)
	if n <= 0 || count > maxIndexes {
		return 0, nil, nil, fmt.Errorf("%w: index count", ErrCorrupt)
	}
	p = p[n:]
	idx = make([]IndexEntry, 0, count)
	for i := uint64(0); i < count; i++ {
		if len(p) < 1 {
			return 0, nil, nil, fmt.Errorf("%w: index entry", ErrCorrupt)
		}
		num := p[0]
		l, n := binary.Uvarint(p[1:])
		if n <= 0 || l > uint64(len(p)-1-n) {
			return 0, nil, nil, fmt.Errorf("%w: index value", ErrCorrupt)
		}
		p = p[1+n:]
		idx = append(idx, IndexEntry{Index: num, Value: p[:l:l]})
		p = p[l:]
	}
	return seq, idx, p, nil
}
