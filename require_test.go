package kernels

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain fails the run when a path that FUSEDRELU_TEST_REQUIRE names
// (a comma list, e.g. "avx512,avx2") is not among the paths the tests
// run (impls), so that a path lost to a build tag, a feature test or a
// CPU without it cannot pass CI silently: CI sets it to the paths the
// machine has.
func TestMain(m *testing.M) {
	if err := requiredPaths(os.Getenv("FUSEDRELU_TEST_REQUIRE"), impls); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// requiredPaths returns an error naming the paths of the comma list
// require that are not in tested.
func requiredPaths(require string, tested []*impl) error {
	var missing, have []string
	for _, p := range tested {
		have = append(have, p.name)
	}
	for _, name := range strings.Split(require, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		found := false
		for _, p := range tested {
			found = found || p.name == name
		}
		if !found {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kernels: FUSEDRELU_TEST_REQUIRE: path %s not tested (paths tested: %s)",
			strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return nil
}

func TestRequiredPaths(t *testing.T) {
	ps := []*impl{{name: "generic"}, {name: "avx2"}}
	for _, c := range []struct {
		require string
		ok      bool
	}{
		{"", true},
		{"avx2", true},
		{" AVX2 , generic,", true},
		{"avx512", false},
		{"avx2,avx512", false},
		{"neon", false},
	} {
		if err := requiredPaths(c.require, ps); (err == nil) != c.ok {
			t.Errorf("requiredPaths(%q) = %v, want ok %v", c.require, err, c.ok)
		}
	}
}
