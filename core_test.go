package kernels

import (
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

func TestDetectCore(t *testing.T) {
	for _, c := range []struct {
		vendor        cpuid.Vendor
		family, model int
		avx512, avx2  bool
		serverOnly    bool
		want          coreClass
	}{
		{cpuid.AMD, 0x19, 0x11, true, true, true, coreZen4}, // Zen 4 has AVX512_BF16
		{cpuid.AMD, 0x1a, 0x02, true, true, true, coreZen5},
		{cpuid.AMD, 0x19, 0x21, false, true, false, coreAVX2}, // Zen 3
		{cpuid.Intel, 6, 0x8f, true, true, true, coreIntelServer},
		{cpuid.Intel, 6, 0x55, true, true, false, coreIntelServer}, // Skylake-SP: neither AMX nor BF16
		{cpuid.Intel, 6, 0x8c, true, true, false, coreIntelClient},
		{cpuid.Intel, 6, 0xa7, true, true, false, coreIntelClient}, // Rocket Lake
		// A Sapphire Rapids guest whose hypervisor reports Rocket Lake's
		// model (seen 2026-12-08: AMX, AVX512_BF16, FMA peak 217 GFLOPS).
		{cpuid.Intel, 6, 0xa7, true, true, true, coreIntelServer},
		{cpuid.Intel, 6, 0x97, false, true, false, coreAVX2},
		{cpuid.Intel, 6, 0x97, false, true, true, coreAVX2}, // no AVX-512: serverOnly is moot
		{cpuid.VendorUnknown, 0, 0, false, false, false, coreUnknown},
		{cpuid.AMD, 0x17, 0x31, false, false, false, coreUnknown},
	} {
		if got := detectCore(c.vendor, c.family, c.model, c.avx512, c.avx2, c.serverOnly); got != c.want {
			t.Errorf("detectCore(%v, %#x, %#x, avx512 %v, avx2 %v, serverOnly %v) = %s, want %s", c.vendor, c.family, c.model, c.avx512, c.avx2, c.serverOnly, got, c.want)
		}
	}
	t.Logf("this core: %s (in use: %s)", thisCore(), core)
}

func TestChooseCore(t *testing.T) {
	for _, c := range coreClasses {
		if got, msg := chooseCore(coreUnknown, " "+strings.ToUpper(string(c))); got != c || msg != "" {
			t.Errorf("FUSEDRELU_CORE=%s: got %s, %q", c, got, msg)
		}
	}
	if got, msg := chooseCore(coreZen4, ""); got != coreZen4 || msg != "" {
		t.Errorf("FUSEDRELU_CORE unset: got %s, %q", got, msg)
	}
	if got, msg := chooseCore(coreZen4, "skylake"); got != coreZen4 || !strings.Contains(msg, `FUSEDRELU_CORE="skylake" is not a core class`) {
		t.Errorf("FUSEDRELU_CORE=skylake: got %s, %q", got, msg)
	}
	if info := Path(); info.Core != string(core) || !strings.Contains(info.String(), "core "+string(core)) {
		t.Errorf("Path() = %v, want core %s", info, core)
	}
}
