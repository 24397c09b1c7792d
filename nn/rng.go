package nn

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/fusedrelu/kernels"
)

// rng is the package's seeded source: math/rand/v2's PCG, whose output
// for a seed is fixed by its specification, with the conversions to
// uniform, normal and bounded integers written out here so that they do
// not depend on the version of math/rand/v2.
type rng struct{ pcg *rand.PCG }

func newRNG(seed uint64) *rng { return &rng{rand.NewPCG(seed, 0x6e6e2d6b65726e6c)} }

// float64 returns a uniform value in [0, 1) with 53 random bits.
func (r *rng) float64() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

// normal returns a standard normal value (Box–Muller; one of the pair).
func (r *rng) normal() float64 {
	u1 := float64(r.pcg.Uint64()>>11+1) * 0x1p-53 // (0, 1]
	u2 := r.float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// intN returns a uniform value in [0, n) (Lemire's multiply-and-reject).
func (r *rng) intN(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.pcg.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), un)
		}
	}
	return int(hi)
}

// shuffle sets p to a uniformly random permutation of its values
// (Fisher–Yates).
func (r *rng) shuffle(p []int32) {
	for i := len(p) - 1; i > 0; i-- {
		j := r.intN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// heInit fills w with Normal(0, 2/fanIn) values (He et al. 2015), the
// variance that keeps the second moment of ReLU activations constant
// from layer to layer.
func heInit[T kernels.Float](r *rng, w []T, fanIn int) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = T(std * r.normal())
	}
}

// glorotInit fills w with Uniform(−a, a) values, a = √(6/(fanIn+fanOut))
// (Glorot and Bengio 2010), for layers without a rectifier.
func glorotInit[T kernels.Float](r *rng, w []T, fanIn, fanOut int) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = T(a * (2*r.float64() - 1))
	}
}
