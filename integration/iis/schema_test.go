package iis

import (
	"encoding/xml"
	"slices"
	"testing"
)

// xsd is the part of XML Schema this test reads: named complex types with
// their attributes and child elements.
type xsd struct {
	Elements []xsdElement     `xml:"element"`
	Types    []xsdComplexType `xml:"complexType"`
}

type xsdComplexType struct {
	Name  string       `xml:"name,attr"`
	Attrs []xsdAttr    `xml:"attribute"`
	Elems []xsdElement `xml:",any"`
}

type xsdAttr struct {
	Name     string `xml:"name,attr"`
	Use      string `xml:"use,attr"`
	TypeName string `xml:"type,attr"`
}

type xsdElement struct {
	XMLName xml.Name
	Name    string       `xml:"name,attr"`
	Type    string       `xml:"type,attr"`
	Elems   []xsdElement `xml:",any"`
}

// children lists the element declarations under a choice, sequence or all.
func (e xsdElement) children() []xsdElement {
	if e.XMLName.Local == "element" {
		return []xsdElement{e}
	}
	var out []xsdElement
	for _, c := range e.Elems {
		out = append(out, c.children()...)
	}
	return out
}

// The Go description of the sections (spec.go) and the XSD agree on
// every attribute and child element of every section they both describe,
// so that what xmllint accepts in the tests is what Check accepts.
func TestSpecMatchesXSD(t *testing.T) {
	var s xsd
	if err := xml.Unmarshal(SchemaXSD(), &s); err != nil {
		t.Fatal(err)
	}
	types := map[string]xsdComplexType{}
	for _, ct := range s.Types {
		types[ct.Name] = ct
	}
	var walk func(path string, spec *elemSpec, typeName string)
	walk = func(path string, spec *elemSpec, typeName string) {
		ct, ok := types[typeName]
		if !ok {
			t.Errorf("%s: the XSD has no type %q", path, typeName)
			return
		}
		var xsdAttrs []string
		for _, a := range ct.Attrs {
			xsdAttrs = append(xsdAttrs, a.Name)
			if as, ok := spec.attrs[a.Name]; ok && as.required != (a.Use == "required") && a.Name != "processPath" {
				t.Errorf("%s@%s: required is %v in spec.go, use=%q in the XSD", path, a.Name, as.required, a.Use)
			}
		}
		slices.Sort(xsdAttrs)
		if got := sortedKeys(spec.attrs); !slices.Equal(got, xsdAttrs) && !(len(got) == 0 && len(xsdAttrs) == 0) {
			t.Errorf("%s attributes:\n spec.go %v\n XSD     %v", path, got, xsdAttrs)
		}
		xsdChildren := map[string]string{}
		for _, e := range ct.Elems {
			for _, c := range e.children() {
				xsdChildren[c.Name] = c.Type
			}
		}
		for name, cs := range spec.children {
			typ, ok := xsdChildren[name]
			switch {
			case cs.open:
				// Known to the checker, not written by the generator.
			case !ok:
				t.Errorf("%s: <%s> is in spec.go but not in the XSD", path, name)
			default:
				walk(path+"/"+name, cs, typ)
			}
		}
		for name := range xsdChildren {
			if _, ok := spec.children[name]; !ok {
				t.Errorf("%s: <%s> is in the XSD but not in spec.go", path, name)
			}
		}
	}
	for name, spec := range sections() {
		walk("system.webServer/"+name, spec, name)
	}
}
