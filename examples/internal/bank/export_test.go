package bank

// DecodeRequest is decodeRequest, for FuzzDecodeRequest.
var DecodeRequest = decodeRequest
