package event_test

import (
	"cmp"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/api"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/notifier"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/watcher"
)

// codeConstants are the Code* constants of the packages whose codes reach
// launch.failed, a dead letter or a hop, by package and name. The page's
// code table must list each with its value.
var codeConstants = map[string]map[string]string{
	event.RunnerPackage: {
		"CodeMalformed":      consumer.CodeMalformed,
		"CodeTypeMismatch":   consumer.CodeTypeMismatch,
		"CodeUnexpectedType": consumer.CodeUnexpectedType,
	},
	event.FunctionLauncher: {
		"CodeInvalidPayload":   launcher.CodeInvalidPayload,
		"CodeRetriesExhausted": launcher.CodeRetriesExhausted,
	},
	event.FunctionWatcher: {
		"CodeWatchTimeout":       watcher.CodeWatchTimeout,
		"CodeInstanceTerminated": watcher.CodeInstanceTerminated,
		"CodeInvalidPayload":     watcher.CodeInvalidPayload,
		"CodeInstancesPending":   watcher.CodeInstancesPending,
	},
	event.FunctionNotifier: {
		"CodeRequestNotFound": notifier.CodeRequestNotFound,
		"CodeInvalidPayload":  notifier.CodeInvalidPayload,
	},
	// The API's other codes answer HTTP requests; only this one is
	// recorded on a request.
	event.FunctionAPI: {
		"CodePublishFailed": api.CodePublishFailed,
	},
}

// TestCodeConstantsListed fails when a consumer (or the runner) gains a
// Code* constant the page does not list, or the page lists a code nobody
// writes.
func TestCodeConstantsListed(t *testing.T) {
	for pkg, consts := range codeConstants {
		if pkg == event.FunctionAPI {
			continue
		}
		t.Run(pkg, func(t *testing.T) {
			var declared []string
			for _, name := range exportedConstants(t, pkg) {
				if strings.HasPrefix(name, "Code") {
					declared = append(declared, name)
				}
			}
			var known []string
			for name := range consts {
				known = append(known, name)
			}
			slices.Sort(known)
			if !slices.Equal(declared, known) {
				t.Errorf("package %s declares %v; this test knows %v: add the new ones to codeConstants and the page's code table", pkg, declared, known)
			}
		})
	}
	for pkg, consts := range codeConstants {
		for name, value := range consts {
			if !slices.ContainsFunc(event.Codes, func(c event.FailureCode) bool { return c.Package == pkg && c.Code == value }) {
				t.Errorf("%s.%s = %q is not in the page's code table", pkg, name, value)
			}
		}
	}
	for _, c := range event.Codes {
		if c.Code == "" {
			continue
		}
		if !slices.Contains(slices.Collect(maps.Values(codeConstants[c.Package])), c.Code) {
			t.Errorf("the page says %s writes %q, but it has no such Code constant", c.Package, c.Code)
		}
	}
}

// TestCodesSetBy checks that the Go function the page names for each code
// exists and, for a code of a constant, uses that constant.
func TestCodesSetBy(t *testing.T) {
	for _, c := range event.Codes {
		t.Run(c.Package+"."+c.SetBy+"/"+cmp.Or(c.Code, "passthrough"), func(t *testing.T) {
			fn, ok := funcDecls(t, c.Package)[c.SetBy]
			if !ok {
				t.Fatalf("no %s in internal/%s", c.SetBy, c.Package)
			}
			if c.Code == "" {
				return
			}
			var consts []string
			for name, value := range codeConstants[c.Package] {
				if value == c.Code {
					consts = append(consts, name)
				}
			}
			if !slices.ContainsFunc(consts, func(name string) bool { return uses(fn, name) }) {
				t.Errorf("%s.%s does not use %v (%q)", c.Package, c.SetBy, consts, c.Code)
			}
		})
	}
}

// TestLaunchFailedPassThroughCodes checks that the EC2 codes the page says
// the launcher passes through are exactly the ones it classes permanent.
func TestLaunchFailedPassThroughCodes(t *testing.T) {
	i := slices.IndexFunc(event.Codes, func(c event.FailureCode) bool {
		return c.Package == event.FunctionLauncher && c.Code == "" && c.Exhaustive
	})
	if i < 0 {
		t.Fatal("the page lists no EC2 codes passed through by the launcher")
	}
	listed := event.Codes[i].Examples
	var want []string
	want = append(want, stringSlice(t, event.FunctionLauncher, "permanentCodes")...)
	for _, p := range stringSlice(t, event.FunctionLauncher, "permanentPrefixes") {
		want = append(want, p+"*")
	}
	got := slices.Sorted(slices.Values(listed))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("page lists %v, the launcher classes permanent %v", got, want)
	}
	for _, code := range listed {
		code = strings.Replace(code, "*", "NotFound", 1)
		class, got, _ := launcher.Classify(&smithy.GenericAPIError{Code: code, Message: "refused"})
		if class != launcher.Permanent || got != code {
			t.Errorf("Classify(%s) = %v %q, want permanent, code passed through", code, class, got)
		}
	}
}

// TestStatusesMatchStore ties the page's statuses to internal/status.
func TestStatusesMatchStore(t *testing.T) {
	want := []status.Status{status.Pending, status.Accepted, status.Launching, status.Running, status.Failed}
	got := event.Statuses()
	if len(got) != len(want) {
		t.Fatalf("Statuses() = %v, want %v", got, want)
	}
	for i, s := range got {
		st := status.Status(s)
		if st != want[i] {
			t.Errorf("Statuses()[%d] = %q, want %q", i, s, want[i])
		}
		if i > 0 && st.Rank() < status.Status(got[i-1]).Rank() {
			t.Errorf("%s listed after %s, which ranks higher", s, got[i-1])
		}
	}
	for _, s := range event.Catalog {
		if s.Terminal != status.Status(s.FinalStatus).Terminal() {
			t.Errorf("%s: terminal %v, final status %q", s.Type, s.Terminal, s.FinalStatus)
		}
	}
}

// TestStatusChangesMatchCode finds every status a function writes (a
// status.Transition's To, a created status.Request's Status) and checks
// the page lists it with the history event the code records. A function
// that closes requests with whatever the terminal event says (the
// notifier) must be the catalog's consumer of those events.
func TestStatusChangesMatchCode(t *testing.T) {
	statusIdents := map[string]string{}
	for _, s := range []status.Status{status.Pending, status.Accepted, status.Launching, status.Running, status.Failed} {
		statusIdents["status."+strings.ToUpper(string(s[:1]))+strings.ToLower(string(s[1:]))] = string(s)
	}
	typeIdents := map[string]string{
		"event.TypeLaunchRequested":  event.TypeLaunchRequested,
		"event.TypeInstanceLaunched": event.TypeInstanceLaunched,
		"event.TypeInstanceRunning":  event.TypeInstanceRunning,
		"event.TypeLaunchFailed":     event.TypeLaunchFailed,
	}
	type change struct{ fn, status, event string }
	var found []change
	for _, fn := range []string{event.FunctionAPI, event.FunctionLauncher, event.FunctionWatcher, event.FunctionNotifier} {
		for _, w := range statusWrites(t, fn) {
			st, static := statusIdents[w.status]
			if !static {
				var terminal []string
				for _, s := range event.Catalog {
					if s.Terminal && slices.Contains(s.Consumers, fn) {
						terminal = append(terminal, s.Type)
					}
				}
				if len(terminal) == 0 {
					t.Errorf("%s sets the status %s, which is not a status constant, and consumes no terminal event", fn, w.status)
				}
				continue
			}
			ev := ""
			if w.event != "" {
				var ok bool
				if ev, ok = typeIdents[w.event]; !ok {
					t.Errorf("%s moves to %s recording %s, not an event type constant", fn, st, w.event)
				}
			}
			found = append(found, change{fn: fn, status: st, event: ev})
		}
	}
	var listed []change
	for _, m := range event.StatusMoves {
		listed = append(listed, change{fn: m.Function, status: m.Status, event: m.Event})
	}
	for _, c := range found {
		if !slices.Contains(listed, c) {
			t.Errorf("%s sets %s (history event %q); the page's statuses do not say so", c.fn, c.status, c.event)
		}
	}
	for _, c := range listed {
		if !slices.Contains(found, c) {
			t.Errorf("the page says %s sets %s (history event %q); its code does not", c.fn, c.status, c.event)
		}
	}
}

// statusWrite is a status a package writes and the event it records, as
// source expressions.
type statusWrite struct{ status, event string }

// statusWrites finds the status.Transition and status.Request literals of
// a package's non-test files.
func statusWrites(t *testing.T, pkg string) []statusWrite {
	var out []statusWrite
	for _, f := range parsePackage(t, pkg) {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			fields := map[string]string{}
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok {
						fields[k.Name] = types.ExprString(kv.Value)
					}
				}
			}
			switch types.ExprString(lit.Type) {
			case "status.Transition":
				out = append(out, statusWrite{status: fields["To"], event: fields["Event"]})
			case "status.Request":
				if st, ok := fields["Status"]; ok {
					out = append(out, statusWrite{status: st})
				}
			}
			return true
		})
	}
	return out
}

// parsePackage parses the non-test files of internal/<pkg>.
func parsePackage(t *testing.T, pkg string) []*ast.File {
	t.Helper()
	dir := filepath.Join("..", pkg)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// exportedConstants lists a package's exported constant names, sorted.
func exportedConstants(t *testing.T, pkg string) []string {
	var out []string
	for _, f := range parsePackage(t, pkg) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if n.IsExported() {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// funcDecls maps a package's functions and methods by name, methods as
// "(*Recv).name" or "(Recv).name".
func funcDecls(t *testing.T, pkg string) map[string]*ast.FuncDecl {
	out := map[string]*ast.FuncDecl{}
	for _, f := range parsePackage(t, pkg) {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil && len(fn.Recv.List) == 1 {
				name = "(" + types.ExprString(fn.Recv.List[0].Type) + ")." + name
			}
			out[name] = fn
		}
	}
	return out
}

// uses reports whether fn's body names the identifier.
func uses(fn *ast.FuncDecl, ident string) bool {
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == ident {
			found = true
		}
		return !found
	})
	return found
}

// stringSlice returns the string literals of a package-level []string
// variable.
func stringSlice(t *testing.T, pkg, name string) []string {
	t.Helper()
	for _, f := range parsePackage(t, pkg) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != name || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok {
						t.Fatalf("%s.%s is not a literal", pkg, name)
					}
					var out []string
					for _, e := range lit.Elts {
						bl, ok := e.(*ast.BasicLit)
						if !ok || bl.Kind != token.STRING {
							t.Fatalf("%s.%s holds %s, not a string literal", pkg, name, types.ExprString(e))
						}
						v, err := strconv.Unquote(bl.Value)
						if err != nil {
							t.Fatalf("%s: %v", bl.Value, err)
						}
						out = append(out, v)
					}
					return out
				}
			}
		}
	}
	t.Fatalf("no variable %s in internal/%s", name, pkg)
	return nil
}
