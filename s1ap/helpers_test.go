package s1ap

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
)

// termWriter writes Erlang terms of values (see erlang_test.go).
type termWriter struct{ bytes.Buffer }

func (w *termWriter) raw(s string)  { w.WriteString(s) }
func (w *termWriter) int(v int64)   { w.WriteString(strconv.FormatInt(v, 10)) }
func (w *termWriter) uint(v uint64) { w.WriteString(strconv.FormatUint(v, 10)) }
func (w *termWriter) bool(v bool)   { w.WriteString(strconv.FormatBool(v)) }
func (w *termWriter) atom(s string) { w.WriteString("'" + s + "'") }
func (w *termWriter) binary(b []byte) {
	w.WriteString("<<")
	for i, x := range b {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(strconv.Itoa(int(x)))
	}
	w.WriteString(">>")
}

func (w *termWriter) bitsUint(v uint64, n int) {
	w.WriteString("<<" + strconv.FormatUint(v, 10) + ":" + strconv.Itoa(n) + ">>")
}

func (w *termWriter) bitString(b []byte, n int) {
	w.WriteString("<<")
	sep := ""
	for i := 0; i < n/8; i++ {
		w.WriteString(sep + strconv.Itoa(int(b[i])))
		sep = ","
	}
	if r := n % 8; r > 0 {
		w.WriteString(sep + strconv.Itoa(int(b[n/8]>>uint(8-r))) + ":" + strconv.Itoa(r))
	}
	w.WriteString(">>")
}

func (w *termWriter) str(s string) {
	w.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`)
}

func (w *termWriter) oid(o ObjectIdentifier) {
	w.WriteString("{")
	for i, a := range o {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(strconv.FormatUint(a, 10))
	}
	w.WriteString("}")
}

func (v *ProtocolIEField) erlTerm(w *termWriter) {
	w.raw("#{id => " + strconv.Itoa(int(v.ID)) + ", criticality => " + v.Criticality.String() + ", value => ")
	w.binary(v.Value)
	w.raw("}")
}

func (v *ProtocolIEField) randomize(r *valueRand) {}

// valueRand draws random values that satisfy every constraint of the
// module (for the Erlang cross-check and round trips).
type valueRand struct {
	*rand.Rand
	depth int
}

func newValueRand(seed uint64) *valueRand { return &valueRand{Rand: rand.New(rand.NewPCG(seed, 2))} }

func (r *valueRand) intn(n int) int { return r.IntN(n) }
func (r *valueRand) uint64() uint64 { return r.Uint64() }
func (r *valueRand) int(lb, ub int64) int64 {
	if ub <= lb {
		return lb
	}
	switch r.IntN(4) { // favour the bounds, where encodings change
	case 0:
		return lb
	case 1:
		return ub
	}
	return lb + r.Int64N(ub-lb+1)
}
func (r *valueRand) optional() bool { return r.depth < 5 && r.IntN(2) == 0 }
func (r *valueRand) fill(b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}
func (r *valueRand) bitString(n int) BitString {
	b := make([]byte, (n+7)/8)
	r.fill(b)
	if n%8 != 0 {
		b[len(b)-1] &= 0xff << uint(8-n%8)
	}
	return BitString{Bytes: b, Len: n}
}
func (r *valueRand) str(n int, printable bool) string {
	alpha := printableChars
	if !printable {
		alpha = ""
		for c := 0x20; c <= 0x7e; c++ {
			alpha += string(rune(c))
		}
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}
func (r *valueRand) oid() ObjectIdentifier {
	o := ObjectIdentifier{uint64(r.IntN(3)), uint64(r.IntN(40))}
	for i := r.IntN(4); i > 0; i-- {
		o = append(o, uint64(r.IntN(100000)))
	}
	return o
}
func (r *valueRand) digit() byte { return byte(r.IntN(10)) }
func (r *valueRand) plmn(b []byte) {
	mnc3 := r.digit()
	if r.IntN(2) == 0 {
		mnc3 = 0xf
	}
	b[0] = r.digit()<<4 | r.digit()
	b[1] = mnc3<<4 | r.digit()
	b[2] = r.digit()<<4 | r.digit()
}
func (r *valueRand) imsi() IMSI {
	n := 3 + r.IntN(6)
	b := make([]byte, n)
	for i := range b {
		b[i] = r.digit()<<4 | r.digit()
	}
	if r.IntN(2) == 0 {
		b[n-1] |= 0xf0
	}
	return b
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
