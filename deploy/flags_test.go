package deploy

import "flag"

// update rewrites the generated files under deploy/ instead of comparing.
var update = flag.Bool("update", false, "regenerate the files under deploy/ from apphost.yaml")
