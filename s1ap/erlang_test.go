package s1ap

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The Erlang/OTP asn1 application is an independent APER codec: it compiles
// the same ASN.1 module (erlc -bper +maps) and encodes the values we
// encode. One long-lived erl process serves every request over
// stdin/stdout.

// needTool returns the path of an external tool; without it the test is
// skipped, or fails when CI is set (common brief: oracles must run in CI).
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found and CI is set: install it (see .ci/run)", name)
		}
		t.Skipf("%s not installed: skipping the cross-check (set CI to make this fail)", name)
	}
	return p
}

const oracleErl = `-module(s1ap_oracle).
-export([main/0]).

main() -> loop().

loop() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line -> handle(string:trim(Line)), loop()
    end.

handle("E " ++ T) ->
    try
        {ok, Toks, _} = erl_scan:string(T ++ "."),
        {ok, Term} = erl_parse:parse_term(Toks),
        case 'S1AP':encode('S1AP-PDU', Term) of
            {ok, Bin} -> reply("OK " ++ hex(Bin));
            Err -> reply(io_lib:format("ERR ~0p", [Err]))
        end
    catch C:R -> reply(io_lib:format("ERR ~0p", [{C, R}]))
    end;
handle("D " ++ H) ->
    try
        case 'S1AP':decode('S1AP-PDU', unhex(H)) of
            {ok, V} ->
                {ok, B} = 'S1AP':encode('S1AP-PDU', V),
                reply("OK " ++ hex(B));
            Err -> reply(io_lib:format("ERR ~0p", [Err]))
        end
    catch C:R -> reply(io_lib:format("ERR ~0p", [{C, R}]))
    end;
handle(Other) -> reply(io_lib:format("ERR bad request ~0p", [Other])).

reply(S) -> io:put_chars([S, $\n]).

hex(B) -> lists:flatten([io_lib:format("~2.16.0b", [X]) || <<X>> <= B]).

unhex([A, B | T]) -> <<(list_to_integer([A, B], 16)), (unhex(T))/binary>>;
unhex([]) -> <<>>.
`

// erlangOracle compiles the module (cached by the hash of the ASN.1 files
// and the driver) and starts the driver.
type erlangOracle struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startErlang(t testing.TB) *erlangOracle {
	t.Helper()
	erlc := needTool(t, "erlc")
	erl := needTool(t, "erl")
	files, err := filepath.Glob("asn1/*.asn")
	if err != nil || len(files) != 7 {
		t.Fatalf("asn1 module files: %v %v", files, err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	h.Write([]byte(oracleErl))
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "lte-mme-s1ap-erlang", hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "S1AP.beam")); err != nil {
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "build-")
		if err != nil {
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				t.Fatal(err)
			}
			if tmp, err = os.MkdirTemp(filepath.Dir(dir), "build-"); err != nil {
				t.Fatal(err)
			}
		}
		var set []string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if err := os.WriteFile(filepath.Join(tmp, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
			set = append(set, filepath.Base(f))
		}
		if err := os.WriteFile(filepath.Join(tmp, "S1AP.set.asn"), []byte(strings.Join(set, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "s1ap_oracle.erl"), []byte(oracleErl), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"-bper", "+maps", "+noobj", "S1AP.set.asn"}, {"S1AP.erl"}, {"s1ap_oracle.erl"}} {
			c := exec.Command(erlc, args...)
			c.Dir = tmp
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("erlc %v: %v\n%s", args, err, out)
			}
		}
		if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
			if _, serr := os.Stat(filepath.Join(dir, "S1AP.beam")); serr != nil {
				t.Fatalf("install erlang build: %v", err)
			}
		}
	}
	o := &erlangOracle{cmd: exec.Command(erl, "-noshell", "-pa", dir, "-s", "s1ap_oracle", "main")}
	o.cmd.Stderr = os.Stderr
	if o.in, err = o.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := o.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	o.out = bufio.NewReaderSize(stdout, 1<<16)
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.in.Close()
		_ = o.cmd.Wait()
	})
	return o
}

func (o *erlangOracle) ask(req string) (string, error) {
	if _, err := io.WriteString(o.in, req+"\n"); err != nil {
		return "", err
	}
	line, err := o.out.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSpace(line)
	if hexs, ok := strings.CutPrefix(line, "OK "); ok {
		return hexs, nil
	}
	return "", errors.New(line)
}

// encode asks Erlang to encode the PDU given as an Erlang term.
func (o *erlangOracle) encode(p *PDU) (string, error) { return o.ask("E " + pduTerm(p)) }

// reencode asks Erlang to decode octets and encode the result again.
func (o *erlangOracle) reencode(b []byte) (string, error) { return o.ask("D " + hex.EncodeToString(b)) }

type erlTermer interface{ erlTerm(w *termWriter) }

// pduTerm renders a PDU as the Erlang term of S1AP-PDU (maps option).
func pduTerm(p *PDU) string {
	var w termWriter
	fmt.Fprintf(&w, "{%s, #{procedureCode => %d, criticality => %s, value => ", p.Type, p.ProcedureCode, p.Criticality)
	p.Message.(erlTermer).erlTerm(&w)
	w.raw("}}")
	return w.String()
}

// TestErlangVectors: for every vector that decodes to an encodable PDU,
// our encoding equals Erlang's encoding of the same value, and Erlang
// decodes our encoding and encodes it back to the same octets.
func TestErlangVectors(t *testing.T) {
	o := startErlang(t)
	n := 0
	for _, v := range loadVectors(t) {
		p, _ := DecodeLenient(mustHex(v.hex))
		if p == nil {
			continue
		}
		ours, err := p.Encode()
		if err != nil {
			continue // a mandatory IE is missing: nothing to encode (see TestVectors)
		}
		theirs, err := o.encode(p)
		if err != nil {
			t.Errorf("%s: erlang encode: %v\nterm: %s", v.name, err, pduTerm(p))
			continue
		}
		if got := hex.EncodeToString(ours); got != theirs {
			t.Errorf("%s: ours %s\nerlang    %s", v.name, got, theirs)
			continue
		}
		back, err := o.reencode(ours)
		if err != nil || back != theirs {
			t.Errorf("%s: erlang decode+encode of ours: %v %s", v.name, err, back)
		}
		n++
	}
	if n < 400 {
		t.Errorf("only %d vectors cross-checked", n)
	}
	t.Logf("%d vectors: our encoding equals Erlang/OTP asn1's", n)
}

type randomizer interface{ randomize(r *valueRand) }

// randomMessages returns count random values of every message type of the
// elementary procedure table (PrivateMessage excepted: its IEs are opaque).
func randomMessages(seed uint64, perType int) []*PDU {
	r := newValueRand(seed)
	var codes []int
	for c := range procedures {
		codes = append(codes, int(c))
	}
	sort.Ints(codes)
	var out []*PDU
	for _, c := range codes {
		pi := procedures[ProcedureCode(c)]
		for _, mk := range []func() Message{pi.initiating, pi.successful, pi.unsuccessful} {
			if mk == nil {
				continue
			}
			if _, private := mk().(*PrivateMessage); private {
				continue
			}
			for i := 0; i < perType; i++ {
				m := mk()
				m.(randomizer).randomize(r)
				out = append(out, NewPDU(m))
			}
		}
	}
	return out
}

// TestErlangRandom: a few thousand random values of every message type
// encode to the same octets here and in Erlang.
func TestErlangRandom(t *testing.T) {
	o := startErlang(t)
	per := 30
	if testing.Short() {
		per = 3
	}
	msgs := randomMessages(1, per)
	fails := 0
	for i, p := range msgs {
		ours, err := p.Encode()
		if err != nil {
			t.Errorf("#%d %s: encode: %v", i, p.Message.MessageName(), err)
			fails++
		} else if theirs, err := o.encode(p); err != nil {
			t.Errorf("#%d %s: erlang: %v\nterm: %.2000s", i, p.Message.MessageName(), err, pduTerm(p))
			fails++
		} else if got := hex.EncodeToString(ours); got != theirs {
			t.Errorf("#%d %s: ours %s\nerlang %s\nterm: %.3000s", i, p.Message.MessageName(), got, theirs, pduTerm(p))
			fails++
		}
		if fails > 10 {
			t.Fatal("too many failures")
		}
	}
	t.Logf("%d random values of %d message types: our encoding equals Erlang/OTP asn1's", len(msgs), len(msgs)/per)
}
