//go:build !linux

package transport

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
)

// ProbeKernelSCTP reports that kernel SCTP is supported on Linux only.
func ProbeKernelSCTP() error {
	return fmt.Errorf("%w: kernel SCTP is supported on linux only, not %s", ErrKernelSCTPUnsupported, runtime.GOOS)
}

func (e *Endpoint) listenKernel(Handler) (listener, error) { return nil, ProbeKernelSCTP() }

func (e *Endpoint) dialKernel(context.Context, []netip.AddrPort, Handler) (*Association, error) {
	return nil, ProbeKernelSCTP()
}
