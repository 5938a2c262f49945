package allgen

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"

	"github.com/faustgen/faustgen/runtime"
)

// sample is one value of one generated type, with what the tests need to
// encode it and compare a decoded copy.
type sample struct {
	name   string
	typ    string // Avro full name
	schema string
	fp     uint64
	encode func() ([]byte, error)
	// decodeEqual decodes b with the generated code and reports whether the
	// result equals the sample's value.
	decodeEqual func(b []byte) (bool, error)
	// python: python3-avro can carry this value through decode and encode
	// unchanged (its DatumWriter picks the first union branch a value fits,
	// so an enum in a union after "string" comes back as a string).
	python bool
}

func newSample[T any](name string, c runtime.Codec[T], v T, python bool) sample {
	return sample{
		name: name, typ: c.Type, schema: c.FullSchema(), fp: c.SchemaFingerprint(), python: python,
		encode: func() ([]byte, error) { return c.Marshal(&v) },
		decodeEqual: func(b []byte) (bool, error) {
			var got T
			if err := c.Unmarshal(b, &got); err != nil {
				return false, err
			}
			if path := firstDifference(reflect.ValueOf(v), reflect.ValueOf(got), ""); path != "" {
				return false, fmt.Errorf("decoded value differs at %s", path)
			}
			return true, nil
		},
	}
}

var (
	bigIntType  = reflect.TypeOf(big.Int{})
	timeType    = reflect.TypeOf(time.Time{})
	decimalType = reflect.TypeOf(runtime.Decimal{})
)

// deepEqual is reflect.DeepEqual except that big.Ints compare by value (a
// decoded zero may hold an empty rather than a nil slice), times by
// instant and location name, and decimals by value and scale (a zero
// Decimal{} has scale 0 and decodes at the schema's).
func deepEqual(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	switch {
	case a.Type() == decimalType:
		// A zero Decimal{} decodes at the schema's scale: equal as numbers.
		da, db := a.Interface().(runtime.Decimal), b.Interface().(runtime.Decimal)
		return da.Cmp(db) == 0 && (da.Scale == db.Scale || da.Unscaled == nil || da.Unscaled.Sign() == 0)
	case a.Type() == timeType:
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		return ta.Equal(tb) && ta.Location().String() == tb.Location().String()
	case a.Kind() == reflect.Pointer && a.Type().Elem() == bigIntType:
		if a.IsNil() || b.IsNil() {
			return (a.IsNil() || a.Interface().(*big.Int).Sign() == 0) && (b.IsNil() || b.Interface().(*big.Int).Sign() == 0)
		}
		return a.Interface().(*big.Int).Cmp(b.Interface().(*big.Int)) == 0
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return deepEqual(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !deepEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !deepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range a.Len() {
			if !deepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() || !deepEqual(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float() || a.Float() != a.Float() && b.Float() != b.Float()
	}
	return a.Interface() == b.Interface()
}

func ptr[T any](v T) *T { return &v }

// withNanos sets the nanosecond timestamps that v leaves at the zero
// time.Time (year 1), which they cannot hold (encoding refuses it), to the
// epoch.
func withNanos(v Everything) Everything {
	if v.AtNs.IsZero() {
		v.AtNs = time.Unix(0, 0).UTC()
	}
	if v.LocalNs.IsZero() {
		v.LocalNs = time.Unix(0, 0).UTC()
	}
	return v
}

func dec(s string, scale int) runtime.Decimal {
	d := runtime.MustParseDecimal(s)
	if d.Scale != scale {
		panic("sample decimal " + s + " not at the schema's scale")
	}
	return d
}

// full is an Everything with every field set to something other than its
// zero value and default.
func full() Everything {
	at := time.Date(2024, time.February, 29, 13, 14, 15, 123_000_000, time.UTC)
	leaf := Node{Value: 3}
	return Everything{
		Flag:    true,
		Count:   -123456,
		Total:   -1 << 62,
		Ratio:   3.25,
		Precise: -1e300,
		Blob:    []byte{0, 1, 2, 0xff},
		Text:    "héllo, \"wörld\" ✓",
		Day:     time.Date(2021, time.March, 4, 0, 0, 0, 0, time.UTC),
		ClockMs: 13*time.Hour + 5*time.Millisecond,
		ClockUs: 23*time.Hour + 59*time.Minute + 7*time.Microsecond,
		AtMs:    at,
		AtUs:    at.Add(456 * time.Microsecond),
		LocalMs: at.Add(-time.Hour),
		LocalUs: at.Add(-time.Hour + 9*time.Microsecond),
		AtNs:    at.Add(456_256 * time.Nanosecond), // its UnixNano is a float64 too, for Python's summary
		LocalNs: time.Unix(0, math.MaxInt64).UTC(), // the last time an int64 of nanoseconds holds
		MaybeNs: ptr(time.Unix(0, math.MinInt64).UTC()),
		Amount:  dec("-98765432109876.5432", 4),
		Price:   dec("123456789012345.67", 2),
		ID:      "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		Wait:    runtime.Duration{Months: 14, Days: 3, Millis: 86_399_999},
		Digest:  MD5{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Status:  StatusIN_PROGRESS,
		Tags:    []string{"x", "", "long tag"},
		Scores:  map[string]int64{"only": -5},
		Matrix:  [][]int32{{1, 2}, nil, {3}},
		NestedMaps: map[string]map[string]Status{
			"outer": {"inner": StatusString},
		},
		Home:        Address{Street: "1 Long Road", Zip: ptr("90210")},
		Work:        &Address{Street: "Office"},
		Backup:      nil,
		MaybeText:   ptr(""),
		MaybeLong:   nil,
		MaybeTags:   []string{},
		MaybeMap:    nil,
		MaybeStatus: ptr(StatusIn_progress),
		MaybeDigest: &MD5{0xff},
		MaybeBytes:  ptr([]byte("raw")),
		MaybeAmount: ptr(dec("-999.99", 2)),
		MaybeAt:     ptr(at),
		Choice:      EverythingChoice{Kind: EverythingChoiceLong, Long: 77},
		Mixed:       EverythingMixed{Kind: EverythingMixedAddress, Address: Address{Street: "in a union"}},
		Shape:       EverythingShape{Kind: EverythingShapeSquare, Square: Square{Side: 2}},
		Shapes: []EverythingShapesItem{
			{Kind: EverythingShapesItemNull},
			{Kind: EverythingShapesItemCircle, Circle: Circle{Radius: 0.5}},
			{Kind: EverythingShapesItemSquare, Square: Square{Side: 4}},
			{Kind: EverythingShapesItemInt, Int: -1},
		},
		ByName: map[string]EverythingByNameValue{"k": {Kind: EverythingByNameValueString, String: "v"}},
		When:   EverythingWhen{Kind: EverythingWhenTimestampMicros, TimestampMicros: at},
		Legacy: Renamed{V: 9},
		User: ExampleUser{
			User_id: "u-1", UserId: 1, Type: "admin", Func: 2, MarshalAvro_: true, AvroSchema_: "s", Hidden: -3,
		},
		OtherUser: OtherUser{Name: "other"},
		Tree:      Node{Value: 1, Children: []Node{{Value: 2, Children: []Node{leaf}}, leaf}, Next: &Node{Value: 4}},
		Expr: Expr{
			Op:   "+",
			Left: ExprLeft{Kind: ExprLeftExpr, Expr: &Expr{Op: "lit", Left: ExprLeft{Kind: ExprLeftLong, Long: 5}}},
			Partner: &Pair{
				Expr: Expr{Op: "pair", Left: ExprLeft{Kind: ExprLeftLong, Long: 6}},
				More: map[string]Pair{"m": {Expr: Expr{Op: "deep"}}},
			},
		},
		Custom: "kept as a string",
	}
}

// samples covers every type of the package, every branch of the general
// unions, and values at the edges.
func samples() []sample {
	out := []sample{
		newSample("Everything/full", EverythingCodec, full(), true),
		// python3-avro refuses "" as a uuid.
		newSample("Everything/defaults", EverythingCodec, withNanos(NewEverything()), false),
		newSample("Everything/zero", EverythingCodec, withNanos(Everything{}), false),
		newSample("Address", AddressCodec, Address{Street: "s", Zip: ptr("z")}, true),
		newSample("Status", StatusCodec, StatusString, true),
		newSample("MD5", MD5Codec, MD5{0: 9, 15: 7}, true),
		newSample("Money/negative", MoneyCodec, dec("-0.01", 2), true),
		newSample("Money/max", MoneyCodec, dec("9999999999999999.99", 2), true),
		newSample("Wait", WaitCodec, runtime.Duration{Months: 1 << 31, Days: 1, Millis: 2}, true),
		newSample("Node/deep", NodeCodec, Node{Value: -1, Next: &Node{Next: &Node{Next: &Node{Value: 7}}}}, true),
		newSample("Expr", ExprCodec, full().Expr, true),
		newSample("Pair", PairCodec, *full().Expr.Partner, true),
		newSample("User", ExampleUserCodec, full().User, true),
		newSample("OtherUser", OtherUserCodec, OtherUser{Name: "x"}, true),
		newSample("Renamed", RenamedCodec, Renamed{V: -2147483648}, true),
		newSample("Sparse", SparseCodec, Sparse{
			Nulls: []struct{}{{}, {}, {}}, Marks: []Mark{{}}, Blanks: []Blank{{}, {}},
			Grid: [][]struct{}{{{}}, nil, {{}, {}}}, Flags: map[string]struct{}{"a": {}, "b": {}}, MaybeNulls: []struct{}{},
		}, true),
		newSample("Sparse/zero", SparseCodec, Sparse{}, true),
	}
	mixed := []EverythingMixed{
		{Kind: EverythingMixedString, String: "s"},
		{Kind: EverythingMixedNull},
		{Kind: EverythingMixedStatus, Status: StatusDone},
		{Kind: EverythingMixedMD5, MD5: MD5{1}},
		{Kind: EverythingMixedArray, Array: []int64{1, -1}},
		{Kind: EverythingMixedMap, Map: map[string]string{"a": "b"}},
		{Kind: EverythingMixedBoolean, Boolean: true},
		{Kind: EverythingMixedDouble, Double: 0.125},
	}
	for _, m := range mixed {
		v := full()
		v.Mixed = m
		// python3-avro writes a symbol as the first branch it fits
		// ("string"), and true as a double.
		python := m.Kind != EverythingMixedStatus && m.Kind != EverythingMixedBoolean
		out = append(out, newSample("Everything/mixed-"+m.Kind.String(), EverythingCodec, v, python))
	}
	for _, c := range []EverythingChoice{{Kind: EverythingChoiceNull}, {Kind: EverythingChoiceString, String: "c"}} {
		v := full()
		v.Choice = c
		out = append(out, newSample("Everything/choice-"+c.Kind.String(), EverythingCodec, v, true))
	}
	v := full()
	v.When = EverythingWhen{Kind: EverythingWhenString, String: "later"}
	v.Backup = &Address{Street: "b"}
	v.MaybeLong = ptr(int64(0))
	v.MaybeMap = map[string]float64{"pi": 3.14159}
	v.MaybeTags = nil
	v.MaybeText = nil
	out = append(out, newSample("Everything/other-branches", EverythingCodec, v, true))
	// A topic's union value and key (see TopicUnion): every branch.
	for _, e := range []EventsValue{
		{Kind: EventsValueNode, Node: Node{Value: 3, Children: []Node{{Value: 5}}, Next: &Node{Value: 4}}},
		{Kind: EventsValueExpr, Expr: full().Expr},
		{Kind: EventsValueStatus, Status: StatusDone},
		{Kind: EventsValueString, String: "s"},
		{Kind: EventsValueNull},
	} {
		// python3-avro writes a symbol back as the string branch.
		out = append(out, newSample("EventsValue/"+e.Kind.String(), EventsValueCodec, e, e.Kind != EventsValueStatus))
	}
	out = append(out,
		newSample("MaybeKey/null", MaybeKeyCodec, MaybeKey{Kind: MaybeKeyNull}, true),
		newSample("MaybeKey/md5", MaybeKeyCodec, MaybeKey{Kind: MaybeKeyMD5, MD5: MD5{1, 2, 3}}, true))
	return out
}

// firstDifference returns the path of the first place where a and b
// differ (by deepEqual), or "".
func firstDifference(a, b reflect.Value, path string) string {
	if deepEqual(a, b) {
		return ""
	}
	switch a.Kind() {
	case reflect.Struct:
		if a.Type() != timeType {
			for i := range a.NumField() {
				if p := firstDifference(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	case reflect.Pointer:
		if !a.IsNil() && !b.IsNil() && a.Type().Elem() != bigIntType {
			return firstDifference(a.Elem(), b.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		if a.Len() == b.Len() && (a.Kind() == reflect.Array || a.IsNil() == b.IsNil()) {
			for i := range a.Len() {
				if p := firstDifference(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
					return p
				}
			}
		}
	}
	return fmt.Sprintf("%s (%#v vs %#v)", path, a.Interface(), b.Interface())
}
