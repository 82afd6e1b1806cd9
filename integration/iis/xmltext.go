package iis

import (
	"fmt"
	"unicode/utf8"
)

// checkXMLText fails when a value cannot be written in XML 1.0 at all,
// even escaped: invalid UTF-8, or a control character other than tab,
// newline and carriage return. key names where the value came from.
func checkXMLText(key string, vals ...string) error {
	for _, v := range vals {
		if !utf8.ValidString(v) {
			return fmt.Errorf("%s: %q is not valid UTF-8, which web.config must be", key, v)
		}
		for _, r := range v {
			if !isXMLChar(r) {
				return fmt.Errorf("%s: %q holds %U, a character XML (and so web.config) cannot hold", key, v, r)
			}
		}
	}
	return nil
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
