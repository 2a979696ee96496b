package gen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The parser reads the subset of X.680/X.681/X.683 notation that the
// TS 36.413 modules use: type, value, class, object and object-set
// assignments, parameterized types, SIZE and value-range constraints with
// extension markers, and table constraints ({Set}{@id}).

type token struct {
	s    string
	line int
	file string
}

func lex(file, src string) ([]token, error) {
	var toks []token
	line := 1
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(src[i:], "--"):
			// X.680 §12.6.3: a comment ends at the next "--" or the end of line.
			j := i + 2
			for j < len(src) && src[j] != '\n' && !strings.HasPrefix(src[j:], "--") {
				j++
			}
			if strings.HasPrefix(src[j:], "--") {
				j += 2
			}
			i = j
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("%s:%d: unterminated comment", file, line)
			}
			line += strings.Count(src[i:i+2+j+2], "\n")
			i += j + 4
		case strings.HasPrefix(src[i:], "::="):
			toks = append(toks, token{"::=", line, file})
			i += 3
		case strings.HasPrefix(src[i:], "..."):
			toks = append(toks, token{"...", line, file})
			i += 3
		case strings.HasPrefix(src[i:], ".."):
			toks = append(toks, token{"..", line, file})
			i += 2
		case strings.HasPrefix(src[i:], "[["), strings.HasPrefix(src[i:], "]]"):
			toks = append(toks, token{src[i : i+2], line, file})
			i += 2
		case strings.ContainsRune("{}()[],|.;:@!^", rune(c)):
			toks = append(toks, token{string(c), line, file})
			i++
		case c == '&' || c == '-' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			j := i + 1
			for j < len(src) {
				d := src[j]
				if unicode.IsLetter(rune(d)) || unicode.IsDigit(rune(d)) {
					j++
					continue
				}
				// a hyphen inside a name, never two in a row (that starts a comment)
				if d == '-' && j+1 < len(src) && src[j+1] != '-' && (unicode.IsLetter(rune(src[j+1])) || unicode.IsDigit(rune(src[j+1]))) {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{src[i:j], line, file})
			i = j
		default:
			return nil, fmt.Errorf("%s:%d: unexpected character %q", file, line, c)
		}
	}
	return toks, nil
}

// Bound is an integer bound: a number or a value reference.
type Bound struct {
	N   int64
	Ref string
}

// Range is a value range or SIZE constraint root, with its extension marker.
type Range struct {
	Lb, Ub Bound
	Ext    bool
	// Parts holds the ranges of a union (1..30|40|50): PER uses the
	// effective range Lb..Ub (X.691 §10.3), values must lie in a part.
	Parts [][2]Bound
}

// Type is a parsed ASN.1 type.
type Type struct {
	Kind string // INTEGER ENUMERATED BIT-STRING OCTET-STRING PrintableString VisibleString BOOLEAN NULL OID SEQUENCE SEQUENCE-OF CHOICE REF FIELD
	Ref  string
	Args []Arg // actual parameters of a REF

	Value *Range // INTEGER value constraint
	Size  *Range // SIZE constraint

	Named    []NamedNumber // INTEGER named numbers
	Enum     []string      // ENUMERATED root
	EnumExt  []string      // ENUMERATED extension additions
	HasExt   bool          // extension marker in SEQUENCE, CHOICE, ENUMERATED
	Comps    []*Component
	Elem     *Type // SEQUENCE OF
	Class    string
	Field    string // &id, &criticality, &Value, &Extension ...
	TableSet string // object set (or parameter) of a table constraint
	AtRef    string // component referenced by "@" (component relation)
}

// NamedNumber is a named number of an INTEGER type.
type NamedNumber struct {
	Name string
	N    int64
}

// Component is a SEQUENCE component or CHOICE alternative.
type Component struct {
	Name      string
	Type      *Type
	Optional  bool
	Default   string
	Extension bool // after the extension marker
}

// Arg is an actual parameter: a value (number or reference) or an object set.
type Arg struct {
	Value *Bound
	Set   string
}

// Object is an information object: the (field keyword → token) pairs of its
// WITH SYNTAX notation, e.g. "ID" → "id-MME-UE-S1AP-ID".
type Object map[string]string

// ObjectSet is a parsed object set: inline objects and references to other
// sets or objects, with the extension marker.
type ObjectSet struct {
	Class   string
	Objects []Object
	Refs    []string
	Ext     bool
}

// Assignment is one top-level assignment.
type Assignment struct {
	Module string
	Name   string
	Params []string // formal parameter names of a parameterized type
	Type   *Type    // type assignment (or the governor of a value)
	Value  *Bound   // value assignment
	Set    *ObjectSet
	Object Object
	Line   int
}

type parser struct {
	extra  []*Assignment // inline types of objects
	toks   []token
	i      int
	module string
}

func (p *parser) peek(k int) string {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k].s
	}
	return ""
}

func (p *parser) next() string {
	s := p.peek(0)
	p.i++
	return s
}

func (p *parser) errf(format string, a ...any) error {
	t := token{file: "?"}
	if p.i < len(p.toks) {
		t = p.toks[p.i]
	}
	return fmt.Errorf("%s:%d: %s", t.file, t.line, fmt.Sprintf(format, a...))
}

func (p *parser) expect(s string) error {
	if got := p.next(); got != s {
		p.i--
		return p.errf("expected %q, found %q", s, got)
	}
	return nil
}

func isUpper(s string) bool { return s != "" && unicode.IsUpper(rune(s[0])) }
func isLower(s string) bool { return s != "" && unicode.IsLower(rune(s[0])) }

// skipBraces skips a balanced {...} starting at the current '{'.
func (p *parser) skipBraces() {
	depth := 0
	for p.i < len(p.toks) {
		s := p.next()
		if s == "{" {
			depth++
		} else if s == "}" {
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// ParseModule parses one module.
func ParseModule(file, src string) ([]*Assignment, error) {
	toks, err := lex(file, src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	p.module = p.next()
	if p.peek(0) == "{" {
		p.skipBraces()
	}
	for p.peek(0) != "BEGIN" {
		if p.i >= len(p.toks) {
			return nil, p.errf("no BEGIN")
		}
		p.next()
	}
	p.next()
	if p.peek(0) == "IMPORTS" {
		for p.next() != ";" {
			if p.i >= len(p.toks) {
				return nil, p.errf("unterminated IMPORTS")
			}
		}
	}
	if p.peek(0) == "EXPORTS" {
		for p.next() != ";" {
		}
	}
	var out []*Assignment
	for p.peek(0) != "END" {
		if p.i >= len(p.toks) {
			return nil, p.errf("no END")
		}
		a, err := p.assignment()
		if err != nil {
			return nil, err
		}
		if a != nil {
			out = append(out, a)
		}
	}
	return append(out, p.extra...), nil
}

func (p *parser) assignment() (*Assignment, error) {
	line := p.toks[p.i].line
	name := p.next()
	a := &Assignment{Module: p.module, Name: name, Line: line}
	if p.peek(0) == "{" { // formal parameters: {Governor : Name, ...}
		p.next()
		for {
			for p.peek(1) != "," && p.peek(1) != "}" {
				p.next()
			}
			a.Params = append(a.Params, p.next())
			if p.next() == "}" {
				break
			}
		}
	}
	if p.peek(0) == "::=" {
		p.next()
		if p.peek(0) == "CLASS" { // class definitions: the generator knows the four classes' syntax
			p.next()
			p.skipBraces()
			if p.peek(0) == "WITH" {
				p.next()
				p.next()
				p.skipBraces()
			}
			return nil, nil
		}
		t, err := p.typ()
		if err != nil {
			return nil, fmt.Errorf("type %s: %w", name, err)
		}
		a.Type = t
		return a, nil
	}
	// value, object or object set: name Governor ::= ...
	gov := p.next()
	if gov == "OBJECT" || gov == "BIT" || gov == "OCTET" {
		p.next()
		gov += " " + p.peek(-1)
	}
	if err := p.expect("::="); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case isUpper(name):
		set, err := p.objectSet(gov)
		if err != nil {
			return nil, fmt.Errorf("object set %s: %w", name, err)
		}
		a.Set = set
	case strings.HasPrefix(gov, "S1AP-") || strings.Contains(gov, "PROCEDURE"):
		obj, err := p.object()
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", name, err)
		}
		a.Object = obj
		a.Set = &ObjectSet{Class: gov}
	default:
		v, err := p.bound()
		if err != nil {
			return nil, fmt.Errorf("value %s: %w", name, err)
		}
		a.Value = &v
		a.Type = &Type{Kind: "REF", Ref: gov}
	}
	return a, nil
}

func (p *parser) objectSet(class string) (*ObjectSet, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	set := &ObjectSet{Class: class}
	for {
		switch s := p.peek(0); {
		case s == "}":
			p.next()
			return set, nil
		case s == "|" || s == ",":
			p.next()
		case s == "...":
			p.next()
			set.Ext = true
		case s == "{":
			o, err := p.object()
			if err != nil {
				return nil, err
			}
			set.Objects = append(set.Objects, o)
		case s == "":
			return nil, p.errf("unterminated object set")
		default:
			set.Refs = append(set.Refs, p.next())
		}
	}
}

// object parses {KEYWORD value ...}; keywords are runs of upper-case words
// (e.g. "INITIATING MESSAGE", "PROCEDURE CODE").
func (p *parser) object() (Object, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	o := Object{}
	var kw []string
	for {
		s := p.next()
		switch {
		case s == "}":
			return o, nil
		case s == "":
			return nil, p.errf("unterminated object")
		case (s == "OCTET" || s == "BIT" || s == "INTEGER" || s == "ENUMERATED" || s == "BOOLEAN") && len(kw) > 0 && (kw[len(kw)-1] == "TYPE" || kw[len(kw)-1] == "EXTENSION"):
			// an inline type: named after the IE (id-S1-Message → S1-Message)
			p.i--
			t, err := p.typ()
			if err != nil {
				return nil, err
			}
			name := strings.TrimPrefix(o["ID"], "id-")
			p.extra = append(p.extra, &Assignment{Module: p.module, Name: name, Type: t, Line: p.toks[p.i-1].line})
			o[strings.Join(kw, " ")] = name
			kw = kw[:0]
		case isAllUpper(s) && !(len(kw) > 0 && kw[len(kw)-1] == "TYPE") && !(len(kw) > 0 && kw[len(kw)-1] == "EXTENSION"):
			kw = append(kw, s)
		default:
			if len(kw) == 0 {
				return nil, p.errf("object value %q without a field keyword", s)
			}
			o[strings.Join(kw, " ")] = s
			kw = kw[:0]
		}
	}
}

func isAllUpper(s string) bool {
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
	}
	return s != "" && unicode.IsLetter(rune(s[0]))
}

func (p *parser) bound() (Bound, error) {
	s := p.next()
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Bound{N: n}, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		// above 2^63-1 (usageCountUL 0..2^64-1): kept as the int64 bit
		// pattern; the model marks such ranges as full 64-bit
		return Bound{N: int64(n)}, nil
	}
	if s == "" || !(isLower(s) || unicode.IsLetter(rune(s[0]))) {
		p.i--
		return Bound{}, p.errf("expected a value, found %q", s)
	}
	return Bound{Ref: s}, nil
}

// rangeSpec parses "lb..ub[, ...]" or "v[, ...]" up to (not including) ')'.
func (p *parser) rangeSpec() (*Range, error) {
	lb, err := p.bound()
	if err != nil {
		return nil, err
	}
	r := &Range{Lb: lb, Ub: lb}
	if p.peek(0) == ".." {
		p.next()
		if r.Ub, err = p.bound(); err != nil {
			return nil, err
		}
	}
	r.Parts = [][2]Bound{{r.Lb, r.Ub}}
	for p.peek(0) == "|" {
		p.next()
		lb, err := p.bound()
		if err != nil {
			return nil, err
		}
		ub := lb
		if p.peek(0) == ".." {
			p.next()
			if ub, err = p.bound(); err != nil {
				return nil, err
			}
		}
		if lb.Ref != "" || ub.Ref != "" || r.Ub.Ref != "" || lb.N < r.Ub.N {
			return nil, p.errf("union constraints need ascending literal values")
		}
		r.Parts = append(r.Parts, [2]Bound{lb, ub})
		r.Ub = ub
	}
	if len(r.Parts) == 1 {
		r.Parts = nil
	}
	if p.peek(0) == "," && p.peek(1) == "..." {
		p.next()
		p.next()
		r.Ext = true
	}
	return r, nil
}

// constraint parses one parenthesized constraint into t.
func (p *parser) constraint(t *Type) error {
	if err := p.expect("("); err != nil {
		return err
	}
	switch p.peek(0) {
	case "SIZE":
		p.next()
		if err := p.expect("("); err != nil {
			return err
		}
		r, err := p.rangeSpec()
		if err != nil {
			return err
		}
		t.Size = r
		if err := p.expect(")"); err != nil {
			return err
		}
		if p.peek(0) == "," && p.peek(1) == "..." { // SIZE(..), ... : extensible size
			p.next()
			p.next()
			t.Size.Ext = true
		}
	case "(": // nested: ((SIZE ...))
		if err := p.constraint(t); err != nil {
			return err
		}
	case "{": // table constraint {Set} or {Set}{@id}
		p.next()
		t.TableSet = p.next()
		if err := p.expect("}"); err != nil {
			return err
		}
		if p.peek(0) == "{" {
			p.next()
			if err := p.expect("@"); err != nil {
				return err
			}
			t.AtRef = p.next()
			if err := p.expect("}"); err != nil {
				return err
			}
		}
	default:
		r, err := p.rangeSpec()
		if err != nil {
			return err
		}
		t.Value = r
	}
	return p.expect(")")
}

func (p *parser) typ() (*Type, error) {
	t := &Type{}
	s := p.next()
	switch s {
	case "INTEGER", "BOOLEAN", "NULL", "PrintableString", "VisibleString":
		t.Kind = s
		if s == "INTEGER" && p.peek(0) == "{" { // named numbers: name(n), ...
			p.next()
			for p.peek(0) != "}" {
				name := p.next()
				if name == "," {
					continue
				}
				if err := p.expect("("); err != nil {
					return nil, err
				}
				n, err := strconv.ParseInt(p.next(), 10, 64)
				if err != nil {
					return nil, p.errf("named number %s: %v", name, err)
				}
				if err := p.expect(")"); err != nil {
					return nil, err
				}
				t.Named = append(t.Named, NamedNumber{name, n})
			}
			p.next()
		}
	case "BIT", "OCTET":
		if err := p.expect("STRING"); err != nil {
			return nil, err
		}
		t.Kind = s + "-STRING"
	case "OBJECT":
		if err := p.expect("IDENTIFIER"); err != nil {
			return nil, err
		}
		t.Kind = "OID"
	case "ENUMERATED":
		t.Kind = s
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		ext := false
		for {
			v := p.next()
			switch v {
			case "}":
				goto done
			case ",":
			case "...":
				ext = true
				t.HasExt = true
			case "":
				return nil, p.errf("unterminated ENUMERATED")
			default:
				if ext {
					t.EnumExt = append(t.EnumExt, v)
				} else {
					t.Enum = append(t.Enum, v)
				}
			}
		}
	done:
		break
	case "SEQUENCE", "CHOICE":
		if s == "SEQUENCE" && p.peek(0) != "{" {
			t.Kind = "SEQUENCE-OF"
			if p.peek(0) == "(" {
				if err := p.constraint(t); err != nil {
					return nil, err
				}
			} else if p.peek(0) == "SIZE" {
				p.next()
				if err := p.expect("("); err != nil {
					return nil, err
				}
				r, err := p.rangeSpec()
				if err != nil {
					return nil, err
				}
				t.Size = r
				if err := p.expect(")"); err != nil {
					return nil, err
				}
			}
			if err := p.expect("OF"); err != nil {
				return nil, err
			}
			el, err := p.typ()
			if err != nil {
				return nil, err
			}
			t.Elem = el
			return t, nil
		}
		t.Kind = s
		if err := p.components(t); err != nil {
			return nil, err
		}
	default:
		if !isUpper(s) {
			p.i--
			return nil, p.errf("expected a type, found %q", s)
		}
		if p.peek(0) == "." && strings.HasPrefix(p.peek(1), "&") { // CLASS.&field
			p.next()
			t.Kind = "FIELD"
			t.Class = s
			t.Field = p.next()
		} else {
			t.Kind = "REF"
			t.Ref = s
			if p.peek(0) == "{" {
				args, err := p.actualParams()
				if err != nil {
					return nil, err
				}
				t.Args = args
			}
		}
	}
	for p.peek(0) == "(" {
		if err := p.constraint(t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// actualParams parses { {Set} } or { 1, maxnoofX, {Set} }.
func (p *parser) actualParams() ([]Arg, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var args []Arg
	for {
		switch s := p.peek(0); s {
		case "}":
			p.next()
			return args, nil
		case ",":
			p.next()
		case "{":
			p.next()
			args = append(args, Arg{Set: p.next()})
			if err := p.expect("}"); err != nil {
				return nil, err
			}
		default:
			b, err := p.bound()
			if err != nil {
				return nil, err
			}
			args = append(args, Arg{Value: &b})
		}
	}
}

func (p *parser) components(t *Type) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	ext := false
	for {
		switch s := p.peek(0); s {
		case "}":
			p.next()
			return nil
		case ",":
			p.next()
		case "...":
			p.next()
			if ext { // second marker closes the extension additions (not used by 36.413)
				return p.errf("extension additions followed by root components are not supported")
			}
			ext = true
			t.HasExt = true
		case "[[", "]]":
			return p.errf("extension addition groups are not supported")
		case "":
			return p.errf("unterminated %s", t.Kind)
		default:
			c := &Component{Name: p.next(), Extension: ext}
			ct, err := p.typ()
			if err != nil {
				return fmt.Errorf("component %s: %w", c.Name, err)
			}
			c.Type = ct
			switch p.peek(0) {
			case "OPTIONAL":
				p.next()
				c.Optional = true
			case "DEFAULT":
				p.next()
				c.Default = p.next()
			}
			t.Comps = append(t.Comps, c)
		}
	}
}
