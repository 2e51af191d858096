package samtemplate

// withGlobals returns a resource's properties with the template's Globals
// for its type merged in, as the SAM transform does: the resource's own
// scalars win, maps merge key by key (recursively), lists are the global
// entries followed by the resource's. An intrinsic function counts as a
// scalar.
func (t *Template) withGlobals(r Resource) map[string]any {
	const prefix = "AWS::Serverless::"
	if len(r.Type) <= len(prefix) || r.Type[:len(prefix)] != prefix {
		return r.Properties
	}
	g, ok := t.Globals[r.Type[len(prefix):]]
	if !ok {
		return r.Properties
	}
	merged, _ := mergeGlobal(g, r.Properties).(map[string]any)
	return merged
}

func mergeGlobal(global, local any) any {
	gm, gIsMap := global.(map[string]any)
	lm, lIsMap := local.(map[string]any)
	if gIsMap && lIsMap && !isIntrinsicMap(gm) && !isIntrinsicMap(lm) {
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			if gv, ok := gm[k]; ok {
				out[k] = mergeGlobal(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	gl, gIsList := global.([]any)
	ll, lIsList := local.([]any)
	if gIsList && lIsList {
		return append(append([]any{}, gl...), ll...)
	}
	return local
}

func isIntrinsicMap(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return isIntrinsic(k) || k == "Condition"
	}
	return false
}
