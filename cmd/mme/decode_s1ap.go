package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/s1ap"
)

// newDecodeS1APCmd is `mme decode s1ap`: S1AP PDUs (TS 36.413) in hex, one
// per argument or per line of standard input, to one JSON object per line.
func newDecodeS1APCmd() *cobra.Command {
	var reencode, lenient bool
	c := &cobra.Command{
		Use:   "s1ap [HEX...]",
		Short: "Decode S1AP PDUs (TS 36.413, APER) given in hex to JSON lines",
		Long: `Decode S1AP PDUs (TS 36.413, ASN.1 aligned PER), one hex PDU per argument
or, without arguments, per line of standard input (blank lines and lines
starting with # are skipped; spaces and colons in the hex are ignored). Each
PDU gives one JSON line:

  {"ok":true,"type":"InitialUEMessage","pdu":{...},"reencoded":"<hex>"}
  {"ok":false,"error":"s1ap: transfer syntax error in ..."}

"pdu" follows the ASN.1 value notation of S1AP-PDU: IEs by their names in the
object sets (MME-UE-S1AP-ID, NAS-PDU, TAI...), components by their ASN.1
identifiers. When the PDU decodes but TS 36.413 §10 asks to reject it or to
notify the sender, the line has "ok":false, the "error" and the "pdu" as far
as it decoded. "issues" lists IE problems that only ask to ignore.
"reencoded" (with --reencode) is our encoding of the decoded value.
Decoding is strict unless --lenient (see package s1ap, type Decoder). The
exit status is 0 when every PDU decoded, 1 otherwise.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dec := s1ap.Decoder{Lenient: lenient}
			failed := 0
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			each := func(line string) error {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					return nil
				}
				out := decodeS1APLine(dec, line, reencode)
				if !out.OK {
					failed++
				}
				b, err := json.Marshal(out)
				if err != nil {
					return err
				}
				_, err = w.Write(append(b, '\n'))
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
	c.Flags().BoolVar(&lenient, "lenient", false, "accept what real eNodeBs get wrong (trailing octets in open types, IE order, semantic checks)")
	return c
}

// s1apLine is one output line of `mme decode s1ap`.
type s1apLine struct {
	OK        bool            `json:"ok"`
	Type      string          `json:"type,omitempty"`
	PDU       json.RawMessage `json:"pdu,omitempty"`
	Issues    []string        `json:"issues,omitempty"`
	Reencoded string          `json:"reencoded,omitempty"`
	Error     string          `json:"error,omitempty"`
}

func decodeS1APLine(dec s1ap.Decoder, line string, reencode bool) s1apLine {
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", ":", "", "\t", "").Replace(line))
	if err != nil {
		return s1apLine{Error: "hex: " + err.Error()}
	}
	p, err := dec.Decode(b)
	out := s1apLine{OK: err == nil}
	if err != nil {
		out.Error = err.Error()
	}
	if p == nil {
		return out
	}
	out.Type = p.Message.MessageName()
	if out.PDU, err = json.Marshal(p); err != nil {
		return s1apLine{Error: "json: " + err.Error()}
	}
	var pe *s1ap.ProtocolError
	if !errors.As(err, &pe) {
		for _, is := range p.Issues {
			out.Issues = append(out.Issues, is.String())
		}
	}
	if reencode && out.OK {
		enc, err := p.Encode()
		if err != nil {
			out.OK = false
			out.Error = "re-encode: " + err.Error()
			return out
		}
		out.Reencoded = hex.EncodeToString(enc)
	}
	return out
}
