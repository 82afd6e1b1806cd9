package writershape_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/apphost/apphost/internal/writershape"
)

// A wrapper picks the variant with the same optional interfaces as the
// writer it wraps; httptest's recorder is a Flusher alone.
func ExampleOf() {
	w := httptest.NewRecorder()
	switch writershape.Of(w) {
	case writershape.HTTP1:
		fmt.Println("wrap with Flush, Hijack and ReadFrom")
	case writershape.HTTP2:
		fmt.Println("wrap with Flush and Push")
	case writershape.Flusher:
		fmt.Println("wrap with Flush")
	default:
		fmt.Println("wrap with none")
	}
	// Output: wrap with Flush
}
