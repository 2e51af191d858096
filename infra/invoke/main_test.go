package invoke_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/invoke"
	"github.com/eventchain/eventchain/infra/samtemplate"
)

// Built once per test binary by TestMain: the RIE, the test function of
// testdata/fn and the template's four bootstraps, for this machine.
var (
	rie        string
	fnBinary   string
	bootstraps = map[string]string{} // by function short name
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "invoke-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := buildAll(dir); err != nil {
		fmt.Fprintf(os.Stderr, "build the bootstraps and the RIE: %v\n", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildAll builds what every test runs, in parallel: the go command
// builds each binary with all cores anyway, but linking and the RIE's
// lookup overlap.
func buildAll(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		return err
	}
	resolved, err := t.Resolve(nil, samtemplate.LocalResolver{})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	build := func(pkg, out string) {
		wg.Go(func() {
			err := invoke.Build(ctx, invoke.BuildOptions{Dir: "../..", Package: pkg, Arch: runtime.GOARCH, Out: out})
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	fnBinary = filepath.Join(dir, "fn", "bootstrap")
	build("./infra/invoke/testdata/fn", fnBinary)
	for _, f := range resolved.Functions {
		bootstraps[f.Name] = filepath.Join(dir, f.Name, "bootstrap")
		build(invoke.Package(f), bootstraps[f.Name])
	}
	wg.Go(func() {
		path, err := invoke.RIE(ctx, "../..")
		mu.Lock()
		rie = path
		errs = append(errs, err)
		mu.Unlock()
	})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
