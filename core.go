package kernels

import (
	"fmt"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// coreClass is a class of cores that share a configuration: the table
// entry of a path (config.go) is chosen per class, as BLIS chooses a
// config/<core> (classEntries in config_<arch>.go: the entries of the
// classes that differ from the path's). FUSEDRELU_CORE=<class> overrides
// the detected class, so that any class's configuration runs on any
// machine with the ISA.
type coreClass string

const (
	coreZen4        coreClass = "zen4"         // AMD family 19h, AVX-512: 512-bit FMAs on 256-bit units
	coreZen5        coreClass = "zen5"         // AMD family 1Ah: two 512-bit FMA pipes
	coreIntelServer coreClass = "intel-server" // Intel AVX-512 server cores: two 512-bit FMA pipes
	coreIntelClient coreClass = "intel-client" // Intel AVX-512 client cores: one
	coreAVX2        coreClass = "avx2"         // AVX2+FMA without AVX-512 (Haswell…Alder Lake P, Zen 2/3)
	coreUnknown     coreClass = "unknown"      // anything else: today's configuration
)

// coreClasses are the classes FUSEDRELU_CORE accepts.
var coreClasses = []coreClass{coreZen4, coreZen5, coreIntelServer, coreIntelClient, coreAVX2, coreUnknown}

// intelServerModels are the family 6 models of Intel's AVX-512 server
// cores (Skylake-SP to Granite Rapids); other AVX-512 models are taken as
// client cores unless they have a server core's features.
var intelServerModels = map[int]bool{0x55: true, 0x6a: true, 0x6c: true, 0x8f: true, 0xcf: true, 0xad: true, 0xae: true}

// detectCore returns the class of a core from its vendor, family and
// model, whether it has AVX-512 (F, BW, VL, DQ) and AVX2+FMA, and whether
// it has a feature that only Intel's two-pipe server cores have among the
// AVX-512 ones (serverOnly: AMX or AVX512_BF16, Cooper Lake on; no client
// core with AVX-512 has either). The features decide before the model:
// a hypervisor may report a model that is not the core's (a Sapphire
// Rapids guest seen as model 0xa7, Rocket Lake's, a one-pipe client core).
func detectCore(vendor cpuid.Vendor, family, model int, avx512, avx2, serverOnly bool) coreClass {
	switch {
	case vendor == cpuid.AMD && family == 0x19 && avx512:
		return coreZen4
	case vendor == cpuid.AMD && family == 0x1a && avx512:
		return coreZen5
	case vendor == cpuid.Intel && avx512 && (serverOnly || family == 6 && intelServerModels[model]):
		return coreIntelServer
	case vendor == cpuid.Intel && avx512:
		return coreIntelClient
	case avx2 && !avx512:
		return coreAVX2
	}
	return coreUnknown
}

// thisCore returns the class of the machine's core.
func thisCore() coreClass {
	c := &cpuid.CPU
	avx512 := c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ)
	avx2 := c.Supports(cpuid.AVX2, cpuid.FMA3)
	serverOnly := c.Supports(cpuid.AMXTILE) || c.Supports(cpuid.AVX512BF16)
	return detectCore(c.VendorID, c.Family, c.Model, avx512, avx2, serverOnly)
}

// chooseCore returns the class that FUSEDRELU_CORE (want) asks for, or the
// detected one with a message saying why it is not the one asked for.
func chooseCore(detected coreClass, want string) (coreClass, string) {
	want = strings.ToLower(strings.TrimSpace(want))
	if want == "" {
		return detected, ""
	}
	names := make([]string, len(coreClasses))
	for i, c := range coreClasses {
		if string(c) == want {
			return c, ""
		}
		names[i] = string(c)
	}
	return detected, fmt.Sprintf("kernels: FUSEDRELU_CORE=%q is not a core class (known: %s); using %s",
		want, strings.Join(names, ", "), detected)
}

// core is the class in use, set once at init.
var core = func() coreClass {
	c, msg := chooseCore(thisCore(), os.Getenv("FUSEDRELU_CORE"))
	if msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	return c
}()

// forCore returns a path's table entry for a core class: the class's own
// (classEntries, config_<arch>.go) where it has one, else the path's.
func forCore(c pathConfig, class coreClass) pathConfig {
	if e, ok := classEntries[c.name][class]; ok {
		return e
	}
	return c
}
