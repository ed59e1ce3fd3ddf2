package bank

// DecodeRequest is decodeRequest, for FuzzDecodeRequest.
var DecodeRequest = decodeRequest

// IdempotencyNamespace is idempotencyNamespace, to name request streams.
var IdempotencyNamespace = idempotencyNamespace
