package transport

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// relay forwards UDP datagrams between one client and a server on
// loopback; cut makes it drop everything in both directions, as a dead
// link or a crashed host would.
type relay struct {
	front  *net.UDPConn // the client talks to this
	back   *net.UDPConn // connected to the server
	cut    atomic.Bool
	client atomic.Pointer[net.UDPAddr]
	wg     sync.WaitGroup
}

func newRelay(t *testing.T, server netip.AddrPort) *relay {
	t.Helper()
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, net.UDPAddrFromAddrPort(server))
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{front: front, back: back}
	r.wg.Add(2)
	go func() { // client -> server
		defer r.wg.Done()
		buf := make([]byte, 9000)
		for {
			n, from, err := front.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.client.Store(from)
			if !r.cut.Load() {
				_, _ = back.Write(buf[:n])
			}
		}
	}()
	go func() { // server -> client
		defer r.wg.Done()
		buf := make([]byte, 9000)
		for {
			n, err := back.Read(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue // ECONNREFUSED from an ICMP: keep relaying
			}
			if to := r.client.Load(); to != nil && !r.cut.Load() {
				_, _ = front.WriteToUDP(buf[:n], to)
			}
		}
	}()
	t.Cleanup(r.close)
	return r
}

func (r *relay) addr() netip.AddrPort { return r.front.LocalAddr().(*net.UDPAddr).AddrPort() }

func (r *relay) close() {
	_ = r.front.Close()
	_ = r.back.Close()
	r.wg.Wait()
}
