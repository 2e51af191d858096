package launcher

// SetPacerRandom makes h's pacer draw its random parts of an interval
// from random.
func SetPacerRandom(h *Handler, random func() float64) { h.pacer.random = random }
