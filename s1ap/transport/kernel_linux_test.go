//go:build linux

package transport

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

// The kernel-mode byte layouts are checked here without a kernel SCTP:
// control messages (RFC 6458 §5.3.4, §5.3.5) and notifications (§6.1).

func TestKernelSndInfoLayout(t *testing.T) {
	oob := sndInfo(7, sndAbort, S1APPPID)
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("parse: %v %d", err, len(msgs))
	}
	m := msgs[0]
	if m.Header.Level != syscall.IPPROTO_SCTP || m.Header.Type != cmsgSndInfo || len(m.Data) != 16 {
		t.Fatalf("header %+v, %d data bytes", m.Header, len(m.Data))
	}
	// struct sctp_sndinfo { u16 sid; u16 flags; u32 ppid (network order); u32 context; s32 assoc_id }
	if binary.NativeEndian.Uint16(m.Data[0:]) != 7 || binary.NativeEndian.Uint16(m.Data[2:]) != sndAbort ||
		binary.BigEndian.Uint32(m.Data[4:]) != S1APPPID {
		t.Fatalf("sndinfo % x", m.Data)
	}
}

func TestKernelRcvInfoLayout(t *testing.T) {
	// struct sctp_rcvinfo { u16 sid; u16 ssn; u16 flags; pad; u32 ppid; u32 tsn; u32 cumtsn; u32 context; s32 assoc_id }
	oob := make([]byte, syscall.CmsgSpace(28))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = syscall.IPPROTO_SCTP, cmsgRcvInfo
	h.SetLen(syscall.CmsgLen(28))
	d := oob[syscall.CmsgLen(0):]
	binary.NativeEndian.PutUint16(d[0:], 5)
	binary.BigEndian.PutUint32(d[8:], S1APPPID)
	if sid, ppid := rcvInfo(oob); sid != 5 || ppid != S1APPPID {
		t.Fatalf("rcvInfo = %d, %d", sid, ppid)
	}
	if sid, ppid := rcvInfo(nil); sid != 0 || ppid != 0 {
		t.Fatal("no control message should read as stream 0, PPID 0")
	}
}

// assocChange builds a struct sctp_assoc_change notification.
func assocChange(state uint16, info ...byte) []byte {
	n := make([]byte, 20, 20+len(info))
	binary.NativeEndian.PutUint16(n[0:], notifAssocChange)
	binary.NativeEndian.PutUint16(n[8:], state)
	binary.NativeEndian.PutUint16(n[12:], 3) // outbound streams
	binary.NativeEndian.PutUint16(n[14:], 2) // inbound streams
	n = append(n, info...)
	binary.NativeEndian.PutUint32(n[4:], uint32(len(n)))
	return n
}

func TestKernelNotifications(t *testing.T) {
	e := &Endpoint{cfg: testConfig(ModeKernel)}
	e.cfg.fill()
	e.assocs = map[uint64]*Association{}
	newBackend := func() (*kernelBackend, *recorder) {
		rec := newRecorder()
		a := newAssociation(e, rec, nil, nil)
		b := &kernelBackend{e: e, a: a, conn: sctp.NewSCTPConn(-1, nil)}
		a.be = b
		return b, rec
	}
	for _, tc := range []struct {
		name    string
		n       []byte
		ends    bool
		reason  error
		restart bool
	}{
		{"peer abort", assocChange(sacCommLost, chunkAbort, 0, 0, 4), true, ErrPeerAborted, false},
		{"communication lost", assocChange(sacCommLost), true, ErrPeerUnreachable, false},
		{"shutdown complete", assocChange(sacShutdownComp), true, ErrShutdown, false},
		{"restart", assocChange(sacRestart), false, nil, true},
		{"comm up", assocChange(0), false, nil, false},
		{"truncated", []byte{1, 2}, false, nil, false},
	} {
		b, rec := newBackend()
		err := b.notification(tc.n)
		if (err != nil) != tc.ends {
			t.Errorf("%s: ends = %v", tc.name, err)
		}
		if tc.reason != nil && !errors.Is(b.downReason(nil), tc.reason) {
			t.Errorf("%s: reason %v, want %v", tc.name, b.downReason(nil), tc.reason)
		}
		if got := rec.countNow(EventRestart) == 1; got != tc.restart {
			t.Errorf("%s: restart reported %v", tc.name, got)
		}
	}
}
