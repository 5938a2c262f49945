package avsc

import "github.com/faustgen/faustgen/runtime"

// primitiveFingerprint is the Fingerprint of the runtime codec of a primitive.
func primitiveFingerprint(name string) uint64 {
	switch name {
	case "string":
		return runtime.StringCodec.Fingerprint
	case "long":
		return runtime.LongCodec.Fingerprint
	case "int":
		return runtime.IntCodec.Fingerprint
	case "boolean":
		return runtime.BooleanCodec.Fingerprint
	case "float":
		return runtime.FloatCodec.Fingerprint
	case "double":
		return runtime.DoubleCodec.Fingerprint
	case "bytes":
		return runtime.BytesCodec.Fingerprint
	case "null":
		return runtime.NullCodec.Fingerprint
	}
	return 0
}
