package apache

// Walk calls fn for every directive in list, depth first in file order,
// with the sections enclosing it (outermost first). Sections of an
// <IfDefine> whose condition is false are visited, their contents not.
func Walk(list []*Directive, fn func(d *Directive, parents []*Directive)) {
	walk(list, nil, fn)
}

func walk(list []*Directive, parents []*Directive, fn func(*Directive, []*Directive)) {
	for _, d := range list {
		fn(d, parents)
		if d.IsSection && !d.Skipped {
			walk(d.Block, append(parents[:len(parents):len(parents)], d), fn)
		}
	}
}
