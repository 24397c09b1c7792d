package nn

import "math/rand/v2"

// rngStateLen is the length of a shuffling generator's state as
// math/rand/v2's PCG marshals it ("pcg:" and two 64-bit words).
const rngStateLen = 20

// marshalRNG returns the generator's state.
func marshalRNG(r *rng) []byte {
	b, err := r.pcg.MarshalBinary()
	if err != nil || len(b) != rngStateLen {
		panic("nn: internal error: PCG state of an unexpected form")
	}
	return b
}

// unmarshalRNG returns a generator in the state b from marshalRNG.
func unmarshalRNG(b []byte) (*rng, error) {
	p := new(rand.PCG)
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &rng{pcg: p}, nil
}
