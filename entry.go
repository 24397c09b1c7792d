package kernels

import (
	"fmt"

	"github.com/fusedrelu/kernels/internal/entry"
)

// entry.Describe gives the bench module's tuning report (bench -tune) what
// PathInfo leaves out of the entry in use: the tiles' names and the route
// limits, so that it can tell the core classes' entries apart without a
// copy of classEntries that would go stale.
func init() { entry.Describe = describeEntry }

func describeEntry() entry.Entry {
	e := entry.Entry{ISA: active.name, Class: string(core), Detected: string(thisCore()),
		F32: describeGEMM(&active.f32.gemmConfig, active.b32), F64: describeGEMM(&active.f64.gemmConfig, active.b64),
		BF16Dot: active.f32.dotTile != nil}
	for _, c := range coreClasses {
		e.Classes = append(e.Classes, string(c))
	}
	return e
}

func describeGEMM[T Float](g *gemmConfig[T], b blocking) entry.GEMM {
	tile := g.tile
	if tile == "" {
		tile = fmt.Sprintf("%dx%d", g.mr, g.nr)
	}
	return entry.GEMM{Tile: tile, MR: g.mr, NR: g.nr, MC: b.mc, KC: b.kc, NC: b.nc,
		DirectA: g.directA, DirectB: [...]string{directBNone: "none", directBMasked: "masked", directBWhole: "whole"}[g.directB],
		SmallK: g.limits.smallK, DirectMaxTiles: g.limits.directMaxTiles, DirectMax4K: g.limits.directMax4K, DirectMaxLd: g.limits.directMaxLd, DirectMaxACols: g.limits.directMaxACols, RowsBelow: g.limits.rowsBelow,
		PackedRowsBelow: packedRowsLimit(g)}
}
