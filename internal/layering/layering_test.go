package layering

import (
	"bufio"
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/lte-mme/mme"

// Layer is one band of ../../shared/DESIGN.md "Layers (imports point down only)".
type Layer int

const (
	Codec    Layer = iota + 1 // pure codecs and their crypto: bytes ⇄ typed values
	Session                   // pure per-subscriber state machines
	Runtime                   // generic goroutines, mailboxes, storage, membership
	Edge                      // sockets and wiring
	Lab                       // lab peers (HSS, SGW emulator): separate processes
	LoadTest                  // simulated eNodeBs and UEs
	Command                   // the binary: wires everything
	Tooling                   // this test and other internal test tooling
)

func (l Layer) String() string {
	return [...]string{"?", "codec", "session", "runtime", "edge", "lab", "loadtest", "command", "tooling"}[l]
}

// layers maps package path prefixes (relative to the module) to their layer.
// The longest matching prefix wins. A package that matches none fails the
// test: every new package must say where it sits.
var layers = map[string]Layer{
	"s1ap":                Codec,
	"nas":                 Codec,
	"nas/internal/nasgen": Tooling, // generator of nas/messages_gen.go (go run; writes files)
	"gtp":                 Codec,
	"s6a":                 Codec,
	"session":             Session,
	"supervision":         Runtime,
	"store":               Runtime,
	"s1ap/transport":      Edge,
	"s1ap/internal/gen":   Tooling, // generator of the S1AP codec (go run; reads the ASN.1 files)
	"s6a/peer":            Edge,
	"gtp/s11":             Edge,
	"node":                Edge,
	"lab/hss":             Lab,
	"lab/sgw":             Lab,
	"loadtest":            LoadTest,
	"cmd":                 Command,
	"internal/layering":   Tooling,
	"internal/spike":      Tooling,
	"internal/vectors":    Tooling, // locates testdata/vectors for tests
}

// allowed says which layers a layer may import.
var allowed = map[Layer][]Layer{
	Codec:    {Codec},
	Session:  {Codec, Session},
	Runtime:  {Runtime},
	Edge:     {Codec, Session, Runtime, Edge},
	Lab:      {Codec, Runtime, Edge, Lab},
	LoadTest: {Codec, Edge, LoadTest},
	Command:  {Codec, Session, Runtime, Edge, Lab, LoadTest, Command},
	Tooling:  {Tooling},
}

// forbiddenStd lists standard packages a layer must not import directly:
// codecs and sessions do no I/O, logging or process control (STYLE.md).
var forbiddenStd = map[Layer][]string{
	Codec:   {"log", "log/slog", "os", "os/exec", "syscall", "math/rand", "math/rand/v2", "net/http"},
	Session: {"log", "os", "os/exec", "syscall", "net", "net/http", "math/rand", "math/rand/v2"},
}

func layerOf(pkg string) (Layer, bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	best, bestLen := Layer(0), -1
	for prefix, l := range layers {
		if (rel == prefix || strings.HasPrefix(rel, prefix+"/")) && len(prefix) > bestLen {
			best, bestLen = l, len(prefix)
		}
	}
	return best, bestLen >= 0
}

type listedPkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

func TestImportsPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var problems []string
	for dec.More() {
		var p listedPkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		from, ok := layerOf(p.ImportPath)
		if !ok {
			problems = append(problems, p.ImportPath+": not in the layer table of internal/layering (add it)")
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				for _, bad := range forbiddenStd[from] {
					if imp == bad {
						problems = append(problems, p.ImportPath+" ("+from.String()+") imports "+imp)
					}
				}
				continue
			}
			to, ok := layerOf(imp)
			if !ok {
				continue // reported on its own entry
			}
			if !contains(allowed[from], to) {
				problems = append(problems, p.ImportPath+" ("+from.String()+") imports "+imp+" ("+to.String()+")")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestLoadTestNotImported checks the rule "nothing imports loadtest/" beyond
// the binary that wires its subcommand, including through test files.
func TestLoadTestNotImported(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		l, _ := layerOf(f[0])
		if l == LoadTest || l == Command {
			continue
		}
		for _, imp := range f[1:] {
			if imp == module+"/loadtest" || strings.HasPrefix(imp, module+"/loadtest/") {
				t.Errorf("%s imports %s: nothing but cmd/mme may import the load tester", f[0], imp)
			}
		}
	}
}

func TestLayerOf(t *testing.T) {
	for _, tc := range []struct {
		pkg  string
		want Layer
	}{
		{module + "/s1ap", Codec},
		{module + "/cmd/mme", Command},
		{module + "/internal/layering", Tooling},
	} {
		if got, _ := layerOf(tc.pkg); got != tc.want {
			t.Errorf("layerOf(%s) = %v, want %v", tc.pkg, got, tc.want)
		}
	}
	if _, ok := layerOf(module + "/nowhere"); ok {
		t.Error("layerOf(nowhere) matched a layer")
	}
}

// TestPurePackagesDoNoIO checks what import rules cannot see: codecs and
// session state machines start no goroutine and read no clock (time arrives
// as events; STYLE.md "State machines").
func TestPurePackagesDoNoIO(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := map[string]bool{"Now": true, "Sleep": true, "After": true, "AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true, "Since": true, "Until": true}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if l, _ := layerOf(p.ImportPath); l != Codec && l != Session {
			continue
		}
		for _, name := range p.GoFiles {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					t.Errorf("%s: go statement in a pure package", fset.Position(n.Pos()))
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "time" && banned[n.Sel.Name] {
						t.Errorf("%s: time.%s in a pure package (inject time as events)", fset.Position(n.Pos()), n.Sel.Name)
					}
				}
				return true
			})
		}
	}
}

func contains(ls []Layer, l Layer) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}
