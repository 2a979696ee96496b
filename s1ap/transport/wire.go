package transport

import (
	"encoding/binary"
	"hash/crc32"
)

// SCTP wire facts used by the UDP-mode packet filter (RFC 4960 §3, RFC 9260).
// The filter looks at packets pion/sctp sends and receives; it never
// builds chunks of its own except to drop INIT parameters pion rejects.
const (
	commonHeaderLen = 12 // source port, destination port, verification tag, checksum
	chunkHeaderLen  = 4  // type, flags, length
	initFixedLen    = 16 // INIT/INIT ACK fixed part after the chunk header

	chunkData             = 0
	chunkInit             = 1
	chunkInitAck          = 2
	chunkHeartbeat        = 4
	chunkHeartbeatAck     = 5
	chunkAbort            = 6
	chunkShutdown         = 7
	chunkShutdownAck      = 8
	chunkCookieEcho       = 10
	chunkCookieAck        = 11
	chunkShutdownComplete = 14

	// INIT parameters (RFC 4960 §3.3.2.1, RFC 9260 §3.3.2.1) that pion
	// does not know; their type's top bits say "stop processing", so pion
	// aborts the INIT. Each is meaningless for a single-homed association
	// over UDP (RFC 6951 §5.4: addresses are not carried inside the packet)
	// and may be dropped without changing the association.
	paramIPv4Address        = 5
	paramIPv6Address        = 6
	paramCookiePreservative = 9
	paramHostNameAddress    = 11
	paramSupportedAddrTypes = 12
	defaultPionSCTPPort     = 5000 // pion/sctp's fixed client ports
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// packetChecksum computes the CRC32c of an SCTP packet with its checksum
// field taken as zero (RFC 4960 Appendix B; RFC 3309).
func packetChecksum(p []byte) uint32 {
	var zero [4]byte
	c := crc32.Update(0, castagnoli, p[:8])
	c = crc32.Update(c, castagnoli, zero[:])
	return crc32.Update(c, castagnoli, p[commonHeaderLen:])
}

// checksumOK reports whether p carries a correct CRC32c. The checksum is
// stored in the byte order RFC 4960 Appendix B produces, which reads as
// little-endian.
func checksumOK(p []byte) bool {
	return binary.LittleEndian.Uint32(p[8:12]) == packetChecksum(p)
}

func setChecksum(p []byte) {
	binary.LittleEndian.PutUint32(p[8:12], packetChecksum(p))
}

func vtagOf(p []byte) uint32 { return binary.BigEndian.Uint32(p[4:8]) }

// chunks walks the chunks of packet p, calling f with each chunk's type,
// flags and its bytes (header included, padding excluded). It stops at the
// first malformed length and reports whether the walk covered the packet.
func chunks(p []byte, f func(typ, flags byte, c []byte) bool) bool {
	off := commonHeaderLen
	for off+chunkHeaderLen <= len(p) {
		l := int(binary.BigEndian.Uint16(p[off+2:]))
		if l < chunkHeaderLen || off+l > len(p) {
			return false
		}
		if !f(p[off], p[off+1], p[off:off+l]) {
			return true
		}
		off += (l + 3) &^ 3
	}
	return off >= len(p)
}

// initInfo is what the filter needs from an INIT or INIT ACK chunk
// (RFC 4960 §3.3.2, §3.3.3).
type initInfo struct {
	tag uint32 // Initiate Tag: the tag the sender expects in packets to it
	os  uint16 // Number of Outbound Streams of the sender
	mis uint16 // Number of Inbound Streams of the sender
}

// isInitPacket reports whether p is a well-formed SCTP packet holding a
// single INIT chunk with verification tag 0 and a correct checksum: the
// only datagram that may create association state (RFC 4960 §8.5.1, §5.1).
func isInitPacket(p []byte) bool {
	if len(p) < commonHeaderLen+chunkHeaderLen+initFixedLen || p[commonHeaderLen] != chunkInit || vtagOf(p) != 0 {
		return false
	}
	l := int(binary.BigEndian.Uint16(p[commonHeaderLen+2:]))
	if l < chunkHeaderLen+initFixedLen || commonHeaderLen+((l+3)&^3) < len(p) || commonHeaderLen+l > len(p) {
		return false // truncated or bundled (INIT must be alone, RFC 4960 §6.10)
	}
	if binary.BigEndian.Uint16(p[0:]) == 0 || binary.BigEndian.Uint16(p[2:]) == 0 {
		return false
	}
	return checksumOK(p)
}

// parseInit reads the INIT or INIT ACK chunk c (header included).
func parseInit(c []byte) (initInfo, bool) {
	if len(c) < chunkHeaderLen+initFixedLen {
		return initInfo{}, false
	}
	b := c[chunkHeaderLen:]
	return initInfo{
		tag: binary.BigEndian.Uint32(b[0:]),
		os:  binary.BigEndian.Uint16(b[8:]),
		mis: binary.BigEndian.Uint16(b[10:]),
	}, true
}

// droppableParam reports whether an INIT/INIT ACK parameter is one pion
// would reject and that is safe to drop on a single-homed UDP association.
func droppableParam(typ uint16) bool {
	switch typ {
	case paramIPv4Address, paramIPv6Address, paramCookiePreservative, paramHostNameAddress, paramSupportedAddrTypes:
		return true
	}
	return false
}

// rewriteInit edits, in place, a packet whose first chunk is INIT or INIT
// ACK: it removes droppable parameters and, when maxOS/maxMIS are nonzero,
// lowers the stream counts to them. It returns the new packet length, the
// chunk's values before the rewrite, and whether the packet was changed
// (then its checksum is recomputed). A malformed packet is left alone.
func rewriteInit(p []byte, maxOS, maxMIS uint16) (n int, info initInfo, changed bool) {
	n = len(p)
	if len(p) < commonHeaderLen+chunkHeaderLen+initFixedLen {
		return n, info, false
	}
	cl := int(binary.BigEndian.Uint16(p[commonHeaderLen+2:]))
	if cl < chunkHeaderLen+initFixedLen || commonHeaderLen+cl > len(p) {
		return n, info, false
	}
	info, _ = parseInit(p[commonHeaderLen:])
	if !checksumOK(p) {
		return n, info, false
	}
	fixed := p[commonHeaderLen+chunkHeaderLen:]
	if maxOS != 0 && info.os > maxOS {
		binary.BigEndian.PutUint16(fixed[8:], maxOS)
		changed = true
	}
	if maxMIS != 0 && info.mis > maxMIS {
		binary.BigEndian.PutUint16(fixed[10:], maxMIS)
		changed = true
	}
	// Walk the parameters, compacting the kept ones towards the front.
	start := commonHeaderLen + chunkHeaderLen + initFixedLen
	end := commonHeaderLen + cl
	r, w := start, start
	for r+4 <= end {
		pl := int(binary.BigEndian.Uint16(p[r+2:]))
		if pl < 4 || r+pl > end {
			return n, info, false // malformed parameter: leave the packet to pion
		}
		padded := (pl + 3) &^ 3
		if r+padded > len(p) {
			padded = pl
		}
		if droppableParam(binary.BigEndian.Uint16(p[r:])) {
			changed = true
		} else {
			if w != r {
				copy(p[w:], p[r:r+padded])
			}
			w += padded
		}
		r += padded
	}
	if !changed {
		return n, info, false
	}
	// The chunk length excludes the final parameter's padding (RFC 4960 §3.2).
	newLen := lastParamEnd(p, start, w) - commonHeaderLen
	binary.BigEndian.PutUint16(p[commonHeaderLen+2:], uint16(newLen))
	// Anything bundled after the chunk (not allowed for INIT, possible
	// garbage otherwise) is dropped with it.
	n = w
	for i := commonHeaderLen + newLen; i < n; i++ {
		p[i] = 0
	}
	setChecksum(p[:n])
	return n, info, true
}

// lastParamEnd returns the unpadded end offset of the last parameter among
// the parameters in p[start:end].
func lastParamEnd(p []byte, start, end int) int {
	last := start
	for r := start; r+4 <= end; {
		pl := int(binary.BigEndian.Uint16(p[r+2:]))
		if pl < 4 {
			break
		}
		last = r + pl
		r += (pl + 3) &^ 3
	}
	return last
}

// setPorts writes the SCTP source and destination ports of p and
// recomputes its checksum (used to move pion's fixed client port 5000 to
// the configured S1AP port and back).
func setPorts(p []byte, src, dst uint16) {
	binary.BigEndian.PutUint16(p[0:], src)
	binary.BigEndian.PutUint16(p[2:], dst)
	setChecksum(p)
}

// probeMagic starts the Heartbeat Information of our liveness probes.
var probeMagic = [8]byte{'S', '1', 'l', 'i', 'v', 'e', 'n', 's'}

const (
	paramHeartbeatInfo = 1
	probeInfoLen       = 16 // magic + sequence: not pion's 8-byte RTT format
	probeLen           = commonHeaderLen + chunkHeaderLen + 4 + probeInfoLen
)

// buildProbe builds a HEARTBEAT packet (RFC 4960 §3.3.5) with one Heartbeat
// Info parameter holding probeMagic and seq.
func buildProbe(src, dst uint16, vtag uint32, seq uint64) []byte {
	p := make([]byte, probeLen)
	binary.BigEndian.PutUint16(p[0:], src)
	binary.BigEndian.PutUint16(p[2:], dst)
	binary.BigEndian.PutUint32(p[4:], vtag)
	c := p[commonHeaderLen:]
	c[0] = chunkHeartbeat
	binary.BigEndian.PutUint16(c[2:], uint16(chunkHeaderLen+4+probeInfoLen))
	binary.BigEndian.PutUint16(c[4:], paramHeartbeatInfo)
	binary.BigEndian.PutUint16(c[6:], 4+probeInfoLen)
	copy(c[8:], probeMagic[:])
	binary.BigEndian.PutUint64(c[16:], seq)
	setChecksum(p)
	return p
}

// isProbeAck reports whether p starts with a HEARTBEAT ACK returning one
// of our probes' information (RFC 4960 §8.3: copied unchanged).
func isProbeAck(p []byte) bool {
	if len(p) < probeLen || p[commonHeaderLen] != chunkHeartbeatAck {
		return false
	}
	c := p[commonHeaderLen:]
	return binary.BigEndian.Uint16(c[4:]) == paramHeartbeatInfo &&
		binary.BigEndian.Uint16(c[6:]) == 4+probeInfoLen &&
		[8]byte(c[8:16]) == probeMagic
}

// causeUserInitiatedAbort is the error cause code of RFC 4960 §3.3.10.12.
const causeUserInitiatedAbort = 12

// buildAbort builds an ABORT packet (RFC 4960 §3.3.7) with a User-Initiated
// Abort cause carrying reason (truncated to 255 bytes).
func buildAbort(src, dst uint16, vtag uint32, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	causeLen := 4 + len(reason)
	chunkLen := chunkHeaderLen + causeLen
	p := make([]byte, commonHeaderLen+((chunkLen+3)&^3))
	binary.BigEndian.PutUint16(p[0:], src)
	binary.BigEndian.PutUint16(p[2:], dst)
	binary.BigEndian.PutUint32(p[4:], vtag)
	c := p[commonHeaderLen:]
	c[0] = chunkAbort
	binary.BigEndian.PutUint16(c[2:], uint16(chunkLen))
	binary.BigEndian.PutUint16(c[4:], causeUserInitiatedAbort)
	binary.BigEndian.PutUint16(c[6:], uint16(causeLen))
	copy(c[8:], reason)
	setChecksum(p)
	return p
}
