#!/usr/bin/env python3
"""Golden vector for a TransactionSubmitted that records a request digest,
computed outside Go.

An event's ID is UUIDv5(Namespace, type || 0x00 || content key) (see the
package documentation). For a TransactionSubmitted the key is the
transaction's hash, followed by the request digest when one is recorded.
This script first recomputes the golden ID of the plain event in
events_test.go (to show the formula is the documented one), then the ID
of the same transaction with the digest SHA-256("order-17 request"),
which TestGoldenRequestDigest holds as literals.

Run it from anywhere: python3 blockchain/events/testdata/golden_request_digest.py
"""

import hashlib
import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/eventchain/eventchain/blockchain/events")
TX_HASH = bytes.fromhex("582927536ded5f61c9ca59313dd114aafc35c07960eb9b12924a4b146aff64bc")  # txAlice


def event_id(typ: str, key: bytes) -> uuid.UUID:
    # uuid.uuid5 takes text; a UUIDv5 of bytes is SHA-1 of the namespace
    # and the bytes, truncated, with the version and variant bits set.
    h = hashlib.sha1(NAMESPACE.bytes + typ.encode() + b"\x00" + key).digest()
    return uuid.UUID(bytes=h[:16], version=5)


def main() -> None:
    plain = event_id("TransactionSubmitted", TX_HASH)
    assert str(plain) == "b1741fad-5e21-5af4-bb0b-d03bfacfd3ac", plain
    digest = hashlib.sha256(b"order-17 request").digest()
    print("digest", digest.hex())
    print("id    ", event_id("TransactionSubmitted", TX_HASH + digest))


if __name__ == "__main__":
    main()
