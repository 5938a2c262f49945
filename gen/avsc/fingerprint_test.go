package avsc

import (
	"github.com/faustgen/faustgen/internal/avroschema"

	"encoding/binary"
	"testing"

	"github.com/hamba/avro/v2"
)

// The runtime's primitive codecs carry the CRC-64-AVRO fingerprints of
// their schemas, computed here independently and by hamba.
func TestPrimitiveCodecFingerprints(t *testing.T) {
	for name, p := range primitiveRefs {
		_ = p
		want := avroschema.Fingerprint(`"` + name + `"`)
		s, err := avro.ParseWithCache(`"`+name+`"`, "", &avro.SchemaCache{})
		if err != nil {
			t.Fatal(err)
		}
		fp, err := s.FingerprintUsing(avro.CRC64Avro)
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.BigEndian.Uint64(fp); got != want {
			t.Errorf("%s: rabin %#x, hamba %#x", name, want, got)
		}
		if got := primitiveFingerprint(name); got != want {
			t.Errorf("runtime codec of %s has fingerprint %#x, want %#x", name, got, want)
		}
	}
}
