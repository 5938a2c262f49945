"""Another Confluent-framed Avro client for faustgen's interop tests.

Python's confluent-kafka (librdkafka) with its schema-registry Avro
serializer (fastavro), installed by scripts/interop/install.sh. The Go test
runtime/resolve_interop_test.go runs it against the embedded cluster and
registry (or, with the integration tag, the real services).

  produce BOOTSTRAP REGISTRY TOPIC SUBJECT SCHEMA_FILE < records.jsonl
      Each input line is {"key": str, "value": {...}}; keys are Avro
      strings (subject TOPIC-key), values use SCHEMA_FILE, registered under
      SUBJECT. Prints {"produced": N, "value_schema_id": ID}.
  consume BOOTSTRAP REGISTRY TOPIC COUNT
      Reads COUNT records from the start of TOPIC, decodes key and value
      with the writer schemas the registry has for their ids, and prints
      one JSON object a line: {"key", "value", "value_schema_id"}.
      timestamp-millis values print as epoch milliseconds.
"""

import datetime
import json
import struct
import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def produce(bootstrap, registry, topic, subject, schema_file):
    with open(schema_file) as f:
        schema = f.read()
    sr = SchemaRegistryClient({"url": registry})
    key_ser = AvroSerializer(sr, '"string"', conf={"auto.register.schemas": True})
    val_ser = AvroSerializer(
        sr,
        schema,
        conf={"auto.register.schemas": True, "subject.name.strategy": lambda ctx, name: subject},
    )
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    errors = []

    def done(err, msg):
        if err is not None:
            errors.append(str(err))

    n = 0
    schema_id = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        key = key_ser(rec["key"], SerializationContext(topic, MessageField.KEY))
        value = val_ser(rec["value"], SerializationContext(topic, MessageField.VALUE))
        schema_id = struct.unpack(">I", value[1:5])[0]
        p.produce(topic, key=key, value=value, on_delivery=done)
        n += 1
    left = p.flush(30)
    if left or errors:
        sys.exit("produce: %d undelivered, errors: %s" % (left, errors))
    print(json.dumps({"produced": n, "value_schema_id": schema_id}))


def plain(v):
    if isinstance(v, datetime.datetime):
        return int(v.timestamp() * 1000)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, bytes):
        return v.hex()
    return v


def consume(bootstrap, registry, topic, count):
    sr = SchemaRegistryClient({"url": registry})
    des = AvroDeserializer(sr)
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "interop-" + uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe([topic])
    got = 0
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
    try:
        while got < count:
            if datetime.datetime.now() > deadline:
                sys.exit("consume: %d of %d records before the timeout" % (got, count))
            msg = c.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                sys.exit("consume: %s" % msg.error())
            key = des(msg.key(), SerializationContext(topic, MessageField.KEY))
            value = des(msg.value(), SerializationContext(topic, MessageField.VALUE))
            schema_id = struct.unpack(">I", msg.value()[1:5])[0]
            print(json.dumps({"key": key, "value": plain(value), "value_schema_id": schema_id}), flush=True)
            got += 1
    finally:
        c.close()


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "produce":
        produce(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "consume":
        consume(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
