package main

import (
	"bufio"
	"bytes"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/nas"
)

// newDecodeNASCmd is `mme decode nas`: EPS NAS PDUs (TS 24.301) in hex, one
// per argument or per line of standard input, to one JSON object per line.
func newDecodeNASCmd() *cobra.Command {
	var reencode bool
	var direction string
	c := &cobra.Command{
		Use:   "nas [HEX...]",
		Short: "Decode EPS NAS PDUs (TS 24.301) given in hex to JSON lines",
		Long: `Decode EPS NAS PDUs (TS 24.301), one hex PDU per argument or, without
arguments, per line of standard input (blank lines and lines starting with # are
skipped). Each PDU gives one JSON line:

  {"ok":true,"type":"AttachRequest","pdu":{...},"reencoded":"<hex>"}
  {"ok":false,"error":"nas: AttachRequest: EPS mobile identity: ..."}

Field names are the IE names of TS 24.301 §8. A security protected PDU shows its
header and, when its message part parses as plain NAS (integrity protected only,
or EEA0), the "inner" message; otherwise "inner_error" says why. ESM messages in
ESM message containers are decoded under "esm". "reencoded" (with --reencode)
is the encoding of the decoded value. The exit status is 0 when every PDU
decoded, 1 otherwise.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dec := nas.Decoder{}
			switch strings.ToLower(direction) {
			case "any", "":
			case "uplink", "ul":
				dec.Direction = nas.Uplink
			case "downlink", "dl":
				dec.Direction = nas.Downlink
			default:
				return fmt.Errorf("--direction %q: want any, uplink or downlink", direction)
			}
			failed := 0
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			each := func(line string) error {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					return nil
				}
				out := decodeNASLine(dec, line, reencode)
				if !out.OK {
					failed++
				}
				b, err := json.Marshal(out)
				if err != nil {
					return err
				}
				b = append(b, '\n')
				_, err = w.Write(b)
				return err
			}
			if len(args) > 0 {
				for _, a := range args {
					if err := each(a); err != nil {
						return err
					}
				}
			} else if err := eachLine(cmd.InOrStdin(), each); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if failed > 0 {
				return exitStatusError{1}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&reencode, "reencode", false, "add the hex re-encoding of the decoded value")
	c.Flags().StringVar(&direction, "direction", "any", "direction the PDUs travel: any, uplink or downlink (selects the DETACH REQUEST form, rejects the other direction's messages)")
	return c
}

func eachLine(r io.Reader, fn func(string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if err := fn(sc.Text()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// nasLine is one output line of `mme decode nas`.
type nasLine struct {
	OK         bool            `json:"ok"`
	Type       string          `json:"type,omitempty"`
	PDU        json.RawMessage `json:"pdu,omitempty"`
	Inner      *nasLine        `json:"inner,omitempty"`
	InnerError string          `json:"inner_error,omitempty"`
	ESM        *nasLine        `json:"esm,omitempty"`
	ESMError   string          `json:"esm_error,omitempty"`
	Reencoded  string          `json:"reencoded,omitempty"`
	Error      string          `json:"error,omitempty"`
}

func decodeNASLine(dec nas.Decoder, line string, reencode bool) nasLine {
	b, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
	if err != nil {
		return nasLine{Error: "hex: " + err.Error()}
	}
	m, err := dec.Decode(b)
	if err != nil {
		return nasLine{Error: err.Error()}
	}
	out := describeNAS(m)
	if sp, ok := m.(*nas.SecurityProtected); ok {
		inner, err := nas.Decoder{Direction: dec.Direction}.Decode(sp.Message)
		if err != nil {
			why := err.Error()
			if sp.Header.IsCiphered() {
				why = "ciphered (not EEA0?): " + why
			}
			out.InnerError = why
		} else {
			in := describeNAS(inner)
			out.Inner = &in
		}
	}
	if reencode {
		enc, err := nas.Encode(m)
		if err != nil {
			return nasLine{Error: "re-encode: " + err.Error()}
		}
		out.Reencoded = hex.EncodeToString(enc)
	}
	return out
}

// describeNAS renders one message, and the ESM message of its ESM message
// container if it has one.
func describeNAS(m nas.Message) nasLine {
	out := nasLine{OK: true, Type: m.MessageType().String(), PDU: jsonOf(reflect.ValueOf(m))}
	v := reflect.ValueOf(m).Elem()
	if f := v.FieldByName("ESMMessageContainer"); f.IsValid() && f.Len() > 0 {
		c := f.Interface().(nas.ESMMessageContainer)
		if esm, err := c.Decode(); err != nil {
			out.ESMError = err.Error()
		} else {
			e := describeNAS(esm)
			out.ESM = &e
		}
	}
	return out
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// jsonOf writes v as JSON in field order: absent optional IEs (nil pointers
// and slices) and zero fields tagged omitempty/omitzero are left out, byte
// arrays and slices are hex, types with their own JSON or text form use it.
func jsonOf(v reflect.Value) json.RawMessage {
	var buf bytes.Buffer
	writeJSON(&buf, v)
	return buf.Bytes()
}

func writeJSON(buf *bytes.Buffer, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			buf.WriteString("null")
			return
		}
		if !v.Type().Implements(jsonMarshaler) && !v.Type().Implements(textMarshaler) {
			v = v.Elem()
		}
	}
	if v.Type().Implements(jsonMarshaler) || v.Type().Implements(textMarshaler) {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			b, _ = json.Marshal(err.Error())
		}
		buf.Write(b)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		buf.WriteByte('{')
		first := true
		for i := 0; i < v.NumField(); i++ {
			f, sf := v.Field(i), v.Type().Field(i)
			if !sf.IsExported() || ((f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice) && f.IsNil()) {
				continue
			}
			if tag := sf.Tag.Get("json"); (strings.Contains(tag, "omitempty") || strings.Contains(tag, "omitzero")) && f.IsZero() {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			name, _ := json.Marshal(sf.Name)
			buf.Write(name)
			buf.WriteByte(':')
			writeJSON(buf, f)
		}
		buf.WriteByte('}')
	case reflect.Array, reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			fmt.Fprintf(buf, "%q", hex.EncodeToString(b))
			return
		}
		buf.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, v.Index(i))
		}
		buf.WriteByte(']')
	default:
		b, err := json.Marshal(v.Interface())
		if err != nil {
			b, _ = json.Marshal(err.Error())
		}
		buf.Write(b)
	}
}
