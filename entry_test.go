package kernels

import (
	"testing"

	"github.com/fusedrelu/kernels/internal/entry"
)

// entry.Describe reports the entry in use: what Path() reports of it, the
// tiles' names and the route limits.
func TestDescribeEntry(t *testing.T) {
	e, info := entry.Describe(), Path()
	if e.ISA != info.ISA || e.Class != info.Core || e.Detected != string(thisCore()) || len(e.Classes) != len(coreClasses) || e.BF16Dot != info.BF16Dot {
		t.Errorf("entry %+v, path %+v", e, info)
	}
	for _, c := range []struct {
		g entry.GEMM
		b Blocking
		l routeLimits
	}{{e.F32, info.F32, active.f32.limits}, {e.F64, info.F64, active.f64.limits}} {
		if c.g.MR != c.b.MR || c.g.NR != c.b.NR || c.g.MC != c.b.MC || c.g.KC != c.b.KC || c.g.NC != c.b.NC || c.g.Tile == "" ||
			c.g.SmallK != c.l.smallK || c.g.DirectMaxTiles != c.l.directMaxTiles || c.g.DirectMax4K != c.l.directMax4K || c.g.DirectMaxLd != c.l.directMaxLd || c.g.DirectMaxACols != c.l.directMaxACols {
			t.Errorf("entry %+v, path %+v, limits %+v", c.g, c.b, c.l)
		}
	}
}
