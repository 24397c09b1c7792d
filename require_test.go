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
// machine has, and to bf16dot (a path with the bfloat16 dot tile) where
// it has AVX512_BF16, under zen4's entry if the core's class widens.
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
	dot := false
	for _, p := range tested {
		have = append(have, p.name)
		dot = dot || p.f32.dotTile != nil
	}
	if dot {
		have = append(have, "bf16dot")
	}
	for _, name := range strings.Split(require, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		found := name == "bf16dot" && dot
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
		{"bf16dot", false},
	} {
		if err := requiredPaths(c.require, ps); (err == nil) != c.ok {
			t.Errorf("requiredPaths(%q) = %v, want ok %v", c.require, err, c.ok)
		}
	}
	withDot := []*impl{{name: "avx512"}}
	withDot[0].f32.dotTile = func(*tile[float32]) {}
	if err := requiredPaths("avx512,bf16dot", withDot); err != nil {
		t.Errorf("requiredPaths(avx512,bf16dot) with a dot tile: %v", err)
	}
}
