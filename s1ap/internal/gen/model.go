package gen

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Kinds of generated Go types.
const (
	kInt       = iota + 1 // INTEGER
	kEnum                 // ENUMERATED
	kBool                 // BOOLEAN
	kNull                 // NULL
	kBitsUint             // BIT STRING of fixed size ≤ 64: unsigned integer
	kBitsArr              // BIT STRING of fixed size > 64, multiple of 8: byte array
	kBitString            // other BIT STRING: BitString
	kOctArr               // OCTET STRING of fixed size ≤ 32: byte array
	kOctets               // other OCTET STRING: []byte
	kString               // PrintableString, VisibleString
	kOID                  // OBJECT IDENTIFIER
	kSeq                  // SEQUENCE
	kSeqOf                // SEQUENCE OF
	kChoice               // CHOICE
	kIEs                  // ProtocolIE-Container (flattened into its SEQUENCE) / ProtocolExtensionContainer
	kIEList               // SEQUENCE OF ProtocolIE-SingleContainer with one object
	kSingleIE             // ProtocolIE-SingleContainer with one object
	kRawIE                // ProtocolIE-SingleContainer of an empty set: ProtocolIEField
	kPrivate              // PrivateIE-Container: []PrivateIEField
)

// gtype is a Go type to generate (or a runtime type to use).
type gtype struct {
	Name    string
	ASN     string
	Kind    int
	Builtin bool // defined by the hand-written runtime

	Lb, Ub int64 // INTEGER range, or SIZE range
	Ext    bool  // INTEGER/SIZE/ENUMERATED/SEQUENCE/CHOICE extensible
	Sized  bool  // a SIZE constraint exists
	Base   string

	Enum, EnumExt []string
	Named         []NamedNumber
	Alphabet      string // PrintableString / VisibleString

	Fields []*gfield
	Elem   *gtype

	// containers
	ExtContainer bool // ProtocolExtensionContainer (vs ProtocolIE-Container)
	ListIE       *gfield
	Validator    string
	Message      bool       // a message of the elementary procedure table
	Full64       bool       // INTEGER (0..18446744073709551615)
	Parts        [][2]int64 // union constraint parts
}

type gfield struct {
	Name     string // Go name
	ASN      string // ASN.1 component name or IE name
	T        *gtype
	Optional bool
	ExtAdd   bool // SEQUENCE extension addition
	// IEs
	ID       int64
	IDName   string
	Crit     string
	Presence string
	// empty extension container: decoded and reported, not stored
	EmptyExt bool
}

type model struct {
	types    map[string]*Assignment
	values   map[string]*Assignment
	sets     map[string]*Assignment
	gotypes  map[string]*gtype // by ASN.1 type name
	byGoName map[string]*gtype
	order    []*gtype
	consts   []*Assignment
	procs    []*procedure
}

type procedure struct {
	Name               string
	Code               int64
	CodeName           string
	Criticality        string
	Init, Succ, Unsucc *gtype
	Class              int
}

func newModel(asg []*Assignment) (*model, error) {
	m := &model{types: map[string]*Assignment{}, values: map[string]*Assignment{}, sets: map[string]*Assignment{},
		gotypes: map[string]*gtype{}, byGoName: map[string]*gtype{}}
	for _, a := range asg {
		switch {
		case a.Value != nil:
			m.values[a.Name] = a
			m.consts = append(m.consts, a)
		case a.Set != nil:
			m.sets[a.Name] = a
		case a.Type != nil:
			if _, dup := m.types[a.Name]; dup {
				continue // SonTransfer-IEs repeats no S1AP names; keep the first
			}
			m.types[a.Name] = a
		}
	}
	for _, n := range []string{"Criticality", "ProcedureCode", "ProtocolIE-ID", "TriggeringMessage", "Presence", "ProtocolExtensionID", "PrivateIE-ID"} {
		if _, err := m.named(n); err != nil {
			return nil, err
		}
	}
	// every type assignment of the modules gets a Go type
	names := make([]string, 0, len(m.types))
	for n, a := range m.types {
		if len(a.Params) == 0 && !pduTypes[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := m.named(n); err != nil {
			return nil, err
		}
	}
	if err := m.procedures(); err != nil {
		return nil, err
	}
	return m, nil
}

// pduTypes are the top of S1AP-PDU-Descriptions: their open type is
// resolved by procedure code in the hand-written PDU (pdu.go) with the
// generated procedure table.
var pduTypes = map[string]bool{"S1AP-PDU": true, "InitiatingMessage": true, "SuccessfulOutcome": true, "UnsuccessfulOutcome": true}

// GoName converts an ASN.1 reference to a Go identifier: hyphens dropped,
// each part capitalised ("MME-UE-S1AP-ID" → "MMEUES1APID",
// "pLMNidentity" → "PLMNidentity").
func GoName(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part == "" {
			continue
		}
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

func (m *model) value(b Bound) (int64, error) {
	if b.Ref == "" {
		return b.N, nil
	}
	a, ok := m.values[b.Ref]
	if !ok {
		return 0, fmt.Errorf("unknown value %s", b.Ref)
	}
	return m.value(*a.Value)
}

func (m *model) register(g *gtype) error {
	if o, dup := m.byGoName[g.Name]; dup {
		return fmt.Errorf("go name %s used by %s and %s", g.Name, o.ASN, g.ASN)
	}
	m.byGoName[g.Name] = g
	m.order = append(m.order, g)
	return nil
}

// named returns the Go type of a type assignment, creating it on first use.
func (m *model) named(name string) (*gtype, error) {
	if g, ok := m.gotypes[name]; ok {
		return g, nil
	}
	a, ok := m.types[name]
	if !ok {
		return nil, fmt.Errorf("unknown type %s", name)
	}
	g := &gtype{Name: GoName(name), ASN: name}
	if _, taken := m.byGoName[g.Name]; taken || m.types[g.Name] != nil && g.Name != name {
		// two ASN.1 names that differ only by hyphens (ECGI-List, ECGIList):
		// the hyphenated one keeps its hyphens as underscores
		g.Name = strings.ReplaceAll(GoName(strings.ReplaceAll(name, "-", "\x00")), "\x00", "_")
	}
	m.gotypes[name] = g
	if err := m.register(g); err != nil {
		return nil, err
	}
	if err := m.fill(g, a.Type, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

// env maps formal parameters to actual ones during expansion.
type env map[string]Arg

// resolveRef follows a REF (with parameters) to its definition; returns the
// expanded type and the environment it must be read in.
func (m *model) expand(t *Type, e env) (*Type, env, error) {
	a, ok := m.types[t.Ref]
	if !ok {
		return nil, nil, fmt.Errorf("unknown type %s", t.Ref)
	}
	if len(a.Params) != len(t.Args) {
		return nil, nil, fmt.Errorf("%s takes %d parameters, got %d", t.Ref, len(a.Params), len(t.Args))
	}
	ne := env{}
	for i, p := range a.Params {
		arg := t.Args[i]
		if arg.Set != "" {
			if v, ok := e[arg.Set]; ok {
				arg = v
			}
		} else if arg.Value != nil && arg.Value.Ref != "" {
			if v, ok := e[arg.Value.Ref]; ok {
				arg = v
			}
		}
		ne[p] = arg
	}
	return a.Type, ne, nil
}

func (m *model) bound(b Bound, e env) (int64, error) {
	if b.Ref != "" {
		if v, ok := e[b.Ref]; ok && v.Value != nil {
			return m.value(*v.Value)
		}
	}
	return m.value(b)
}

func (m *model) setName(s string, e env) string {
	if v, ok := e[s]; ok && v.Set != "" {
		return v.Set
	}
	return s
}

// objects flattens an object set (following references).
func (m *model) objects(name string) ([]Object, bool, error) {
	a, ok := m.sets[name]
	if !ok {
		return nil, false, fmt.Errorf("unknown object set %s", name)
	}
	if a.Object != nil {
		return []Object{a.Object}, false, nil
	}
	out := append([]Object(nil), a.Set.Objects...)
	ext := a.Set.Ext
	for _, r := range a.Set.Refs {
		o, _, err := m.objects(r)
		if err != nil {
			return nil, false, err
		}
		out = append(out, o...)
	}
	return out, ext, nil
}

// fieldPattern recognises the expansion of ProtocolIE-Field,
// ProtocolExtensionField and PrivateIE-Field: a SEQUENCE of three class
// fields whose value is constrained by a table ({Set}{@id}).
func (m *model) fieldPattern(t *Type, e env) (class, set string, ok bool) {
	if t.Kind != "SEQUENCE" || len(t.Comps) != 3 {
		return "", "", false
	}
	for _, c := range t.Comps {
		if c.Type.Kind != "FIELD" {
			return "", "", false
		}
	}
	v := t.Comps[2].Type
	if v.TableSet == "" {
		return "", "", false
	}
	return v.Class, m.setName(v.TableSet, e), true
}

// fill sets g from the ASN.1 type t read in environment e.
func (m *model) fill(g *gtype, t *Type, e env) error {
	switch t.Kind {
	case "REF":
		def, ne, err := m.expand(t, e)
		if err != nil {
			return err
		}
		if len(t.Args) == 0 && t.Value == nil && t.Size == nil {
			// a plain alias: same encoding as the referenced type
			return m.fill(g, def, ne)
		}
		if t.Value != nil || t.Size != nil {
			cp := *def
			if t.Value != nil {
				cp.Value = t.Value
			}
			if t.Size != nil {
				cp.Size = t.Size
			}
			return m.fill(g, &cp, ne)
		}
		return m.fillParam(g, def, ne)
	case "INTEGER":
		g.Kind = kInt
		g.Named = t.Named
		if t.Value == nil {
			return fmt.Errorf("unconstrained INTEGER is not used by TS 36.413")
		}
		var err error
		if g.Lb, err = m.bound(t.Value.Lb, e); err != nil {
			return err
		}
		if g.Ub, err = m.bound(t.Value.Ub, e); err != nil {
			return err
		}
		g.Ext = t.Value.Ext
		for _, pt := range t.Value.Parts {
			g.Parts = append(g.Parts, [2]int64{pt[0].N, pt[1].N})
		}
		switch {
		case g.Ub < g.Lb: // 0..2^64-1
			g.Base = "uint64"
			g.Full64 = true
		case g.Ext || g.Lb < 0:
			g.Base = "int64"
		case g.Ub <= 255:
			g.Base = "uint8"
		case g.Ub <= 65535:
			g.Base = "uint16"
		case g.Ub <= 1<<32-1:
			g.Base = "uint32"
		default:
			g.Base = "uint64"
		}
	case "ENUMERATED":
		g.Kind = kEnum
		g.Enum, g.EnumExt, g.Ext = t.Enum, t.EnumExt, t.HasExt
		g.Base = "uint8"
	case "BOOLEAN":
		g.Kind, g.Base = kBool, "bool"
	case "NULL":
		g.Kind, g.Base = kNull, "struct{}"
	case "OID":
		g.Kind, g.Base = kOID, "ObjectIdentifier"
	case "BIT-STRING", "OCTET-STRING", "PrintableString", "VisibleString":
		if t.Size != nil {
			var err error
			g.Sized = true
			if g.Lb, err = m.bound(t.Size.Lb, e); err != nil {
				return err
			}
			if g.Ub, err = m.bound(t.Size.Ub, e); err != nil {
				return err
			}
			g.Ext = t.Size.Ext
		}
		fixed := g.Sized && g.Lb == g.Ub && !g.Ext
		switch t.Kind {
		case "BIT-STRING":
			switch {
			case fixed && g.Ub <= 8:
				g.Kind, g.Base = kBitsUint, "uint8"
			case fixed && g.Ub <= 16:
				g.Kind, g.Base = kBitsUint, "uint16"
			case fixed && g.Ub <= 32:
				g.Kind, g.Base = kBitsUint, "uint32"
			case fixed && g.Ub <= 64:
				g.Kind, g.Base = kBitsUint, "uint64"
			case fixed && g.Ub%8 == 0 && g.Ub <= 1024:
				g.Kind, g.Base = kBitsArr, fmt.Sprintf("[%d]byte", g.Ub/8)
			default:
				g.Kind, g.Base = kBitString, "BitString"
			}
		case "OCTET-STRING":
			if fixed && g.Ub <= 32 && g.Ub > 0 {
				g.Kind, g.Base = kOctArr, fmt.Sprintf("[%d]byte", g.Ub)
			} else {
				g.Kind, g.Base = kOctets, "[]byte"
			}
		default:
			g.Kind, g.Base = kString, "string"
			g.Alphabet = t.Kind
		}
	case "SEQUENCE":
		g.Kind = kSeq
		g.Ext = t.HasExt
		// a SEQUENCE whose only root component is a ProtocolIE-Container is
		// flattened: its Go struct holds the IEs (messages)
		if len(t.Comps) == 1 && t.Comps[0].Type.Kind == "REF" && len(t.Comps[0].Type.Args) > 0 {
			ct, ce, err := m.expand(t.Comps[0].Type, e)
			if err == nil && ct.Kind == "SEQUENCE-OF" {
				if class, set, ok := m.fieldPattern(m.deref(ct.Elem, ce)); ok && class == "S1AP-PROTOCOL-IES" {
					g.Kind = kIEs
					return m.fillIEs(g, set, false)
				}
			}
		}
		for _, c := range t.Comps {
			f := &gfield{Name: GoName(c.Name), ASN: c.Name, Optional: c.Optional, ExtAdd: c.Extension}
			if c.Extension {
				f.Optional = true
			}
			ft, err := m.component(g, c.Name, c.Type, e)
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			if ft.Kind == kIEs && ft.ExtContainer {
				// present iff it holds an extension (SIZE (1..max))
				f.Optional = false
				f.EmptyExt = len(ft.Fields) == 0
			}
			f.T = ft
			g.Fields = append(g.Fields, f)
		}
	case "CHOICE":
		g.Kind = kChoice
		g.Ext = t.HasExt
		for _, c := range t.Comps {
			ft, err := m.component(g, c.Name, c.Type, e)
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			g.Fields = append(g.Fields, &gfield{Name: GoName(c.Name), ASN: c.Name, T: ft, ExtAdd: c.Extension})
		}
	case "SEQUENCE-OF":
		g.Kind = kSeqOf
		if t.Size != nil {
			var err error
			g.Sized = true
			if g.Lb, err = m.bound(t.Size.Lb, e); err != nil {
				return err
			}
			if g.Ub, err = m.bound(t.Size.Ub, e); err != nil {
				return err
			}
			g.Ext = t.Size.Ext
		}
		// SEQUENCE OF ProtocolIE-SingleContainer {{Set}}
		if class, set, ok := m.fieldPattern(m.deref(t.Elem, e)); ok {
			if class != "S1AP-PROTOCOL-IES" {
				return m.fillParamList(g, class, set)
			}
			objs, _, err := m.objects(set)
			if err != nil {
				return err
			}
			if len(objs) == 1 {
				f, err := m.ieField(objs[0])
				if err != nil {
					return err
				}
				g.Kind = kIEList
				g.ListIE = f
				g.Elem = f.T
				return nil
			}
			raw, err := m.builtin("ProtocolIEField", kRawIE)
			if err != nil {
				return err
			}
			g.Elem = raw
			return nil
		}
		el, err := m.component(g, "Item", t.Elem, e)
		if err != nil {
			return err
		}
		g.Elem = el
	default:
		return fmt.Errorf("unsupported type kind %s", t.Kind)
	}
	return nil
}

// deref expands a parameterized REF once (for pattern matching).
func (m *model) deref(t *Type, e env) (*Type, env) {
	for t.Kind == "REF" {
		nt, ne, err := m.expand(t, e)
		if err != nil {
			return t, e
		}
		t, e = nt, ne
	}
	return t, e
}

// fillParam handles a parameterized container reference.
func (m *model) fillParam(g *gtype, def *Type, e env) error {
	if class, set, ok := m.fieldPattern(def, e); ok { // ProtocolIE-SingleContainer
		objs, _, err := m.objects(set)
		if err != nil {
			return err
		}
		if class == "S1AP-PROTOCOL-IES" && len(objs) == 1 {
			f, err := m.ieField(objs[0])
			if err != nil {
				return err
			}
			g.Kind = kSingleIE
			g.ListIE = f
			return nil
		}
		g.Kind = kRawIE
		g.Base = "ProtocolIEField"
		return nil
	}
	if def.Kind == "SEQUENCE-OF" {
		inner, ie := m.deref(def.Elem, e)
		if class, set, ok := m.fieldPattern(inner, ie); ok {
			switch class {
			case "S1AP-PROTOCOL-EXTENSION":
				g.Kind = kIEs
				g.ExtContainer = true
				return m.fillIEs(g, set, true)
			case "S1AP-PRIVATE-IES":
				g.Kind = kPrivate
				g.Base = "[]PrivateIEField"
				return nil
			}
		}
	}
	return m.fill(g, def, e)
}

func (m *model) fillParamList(g *gtype, class, set string) error {
	if class == "S1AP-PRIVATE-IES" {
		g.Kind = kPrivate
		g.Base = "[]PrivateIEField"
		return nil
	}
	return fmt.Errorf("unsupported container of class %s", class)
}

func (m *model) builtin(name string, kind int) (*gtype, error) {
	if g, ok := m.byGoName[name]; ok {
		return g, nil
	}
	g := &gtype{Name: name, ASN: name, Kind: kind, Builtin: true}
	m.byGoName[name] = g
	return g, nil
}

// component returns the Go type of a component: the named type for a plain
// reference, otherwise a new type named Parent+Component.
func (m *model) component(parent *gtype, comp string, t *Type, e env) (*gtype, error) {
	if t.Kind == "REF" && len(t.Args) == 0 && t.Value == nil && t.Size == nil {
		if _, param := e[t.Ref]; !param {
			return m.named(t.Ref)
		}
	}
	name := parent.Name + GoName(comp)
	shared := false
	if t.Kind == "REF" && len(t.Args) > 0 {
		// containers are named after their object set
		inner, ie := m.deref(t, e)
		if inner.Kind == "SEQUENCE-OF" {
			if _, set, ok := m.fieldPattern(m.deref(inner.Elem, ie)); ok {
				name, shared = GoName(set), true
			}
		} else if _, set, ok := m.fieldPattern(inner, ie); ok {
			name, shared = GoName(set)+"Field", true
		}
	}
	if g, ok := m.byGoName[name]; ok && shared {
		return g, nil // the same object set, referenced again
	}
	g := &gtype{Name: name, ASN: parent.ASN + "." + comp}
	if err := m.register(g); err != nil {
		return nil, err
	}
	if err := m.fill(g, t, e); err != nil {
		return nil, err
	}
	if g.Kind == kRawIE {
		// raw single IE fields share the runtime type
		delete(m.byGoName, g.Name)
		m.order = m.order[:len(m.order)-1]
		return m.builtin("ProtocolIEField", kRawIE)
	}
	return g, nil
}

// ieField builds the IE field of one S1AP-PROTOCOL-IES / -EXTENSION object.
func (m *model) ieField(o Object) (*gfield, error) {
	idName := o["ID"]
	id, err := m.value(Bound{Ref: idName})
	if err != nil {
		return nil, err
	}
	tn := o["TYPE"]
	if tn == "" {
		tn = o["EXTENSION"]
	}
	t, err := m.named(tn)
	if err != nil {
		return nil, err
	}
	ie := strings.TrimPrefix(idName, "id-")
	return &gfield{Name: GoName(ie), ASN: ie, T: t, ID: id, IDName: idName, Crit: o["CRITICALITY"], Presence: o["PRESENCE"],
		Optional: o["PRESENCE"] != "mandatory"}, nil
}

func (m *model) fillIEs(g *gtype, set string, ext bool) error {
	objs, _, err := m.objects(set)
	if err != nil {
		return err
	}
	g.ExtContainer = ext
	seen := map[string]bool{}
	for _, o := range objs {
		f, err := m.ieField(o)
		if err != nil {
			return err
		}
		if ext {
			f.Optional = true // extension containers are optional as a whole
		}
		if seen[f.Name] {
			return fmt.Errorf("IE %s twice in %s", f.Name, set)
		}
		seen[f.Name] = true
		g.Fields = append(g.Fields, f)
	}
	return nil
}

func (m *model) procedures() error {
	objs, _, err := m.objects("S1AP-ELEMENTARY-PROCEDURES")
	if err != nil {
		return err
	}
	class1, _, _ := m.objects("S1AP-ELEMENTARY-PROCEDURES-CLASS-1")
	isClass1 := map[string]bool{}
	for _, o := range class1 {
		isClass1[o["PROCEDURE CODE"]] = true
	}
	// names of the procedure objects, for docs
	objName := map[string]string{}
	for n, a := range m.sets {
		if a.Object != nil {
			objName[a.Object["PROCEDURE CODE"]] = n
		}
	}
	used := map[string]string{}
	for _, o := range objs {
		p := &procedure{CodeName: o["PROCEDURE CODE"], Criticality: o["CRITICALITY"], Name: objName[o["PROCEDURE CODE"]]}
		if p.Criticality == "" {
			p.Criticality = "ignore" // S1AP-ELEMENTARY-PROCEDURE &criticality DEFAULT ignore
		}
		if p.Code, err = m.value(Bound{Ref: p.CodeName}); err != nil {
			return err
		}
		p.Class = 2
		if isClass1[p.CodeName] {
			p.Class = 1
		}
		for _, k := range []struct {
			key string
			dst **gtype
		}{{"INITIATING MESSAGE", &p.Init}, {"SUCCESSFUL OUTCOME", &p.Succ}, {"UNSUCCESSFUL OUTCOME", &p.Unsucc}} {
			if n := o[k.key]; n != "" {
				g, err := m.named(n)
				if err != nil {
					return err
				}
				if prev, dup := used[n]; dup {
					return fmt.Errorf("message %s used by %s and %s", n, prev, p.CodeName)
				}
				used[n] = p.CodeName
				g.Message = true
				*k.dst = g
			}
		}
		m.procs = append(m.procs, p)
	}
	sort.Slice(m.procs, func(i, j int) bool { return m.procs[i].Code < m.procs[j].Code })
	return nil
}
