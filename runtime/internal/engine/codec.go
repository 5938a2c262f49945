package engine

import (
	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
)

// readerConfig lifts hamba's 1 MiB cap on one string or bytes value to
// MaxValueBytes: a record may legitimately carry more, while a corrupt
// length still cannot make the decoder allocate without bound.
var readerConfig = avro.Config{MaxByteSliceSize: runtime.MaxValueBytes}.Freeze()
