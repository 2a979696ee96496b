package transport

import (
	"bytes"
	"testing"
	"time"
)

func TestEcho(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, nil)
		p.srvRec.echo = true
		a := p.dial(t, nil)
		in, out := a.Streams()
		if in != 32 || out != 32 {
			t.Fatalf("streams = %d/%d, want 32/32", in, out)
		}
		msg := bytes.Repeat([]byte{0xab}, 100)
		if err := a.Send(1, S1APPPID, msg); err != nil {
			t.Fatal(err)
		}
		p.cliRec.waitFor(t, 5*time.Second, "echo", func() bool { return len(p.cliRec.msgs) == 1 })
		got := p.cliRec.messages()[0].m
		if got.Stream != 1 || got.PPID != S1APPPID || !bytes.Equal(got.Data, msg) {
			t.Fatalf("echo = %+v", got)
		}
	})
}
