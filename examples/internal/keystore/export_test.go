package keystore

import "github.com/eventchain/eventchain/blockchain"

// Decode does what Load does to a key file's bytes — parse, with a bound
// of maxWork on scrypt's n·r·p, then unlock with passphrase — for
// FuzzDecode.
func Decode(data, passphrase []byte, maxWork int64) (blockchain.PrivateKey, Entry, error) {
	kf, err := parse(data, maxWork)
	if err != nil {
		return blockchain.PrivateKey{}, Entry{}, err
	}
	key, err := kf.unlock(passphrase)
	if err != nil {
		return blockchain.PrivateKey{}, Entry{}, err
	}
	return key, kf.entry(), nil
}

// WriteFile is the last step of Create: it links data to the key file
// of name, which must not exist yet.
func (ks *Keystore) WriteFile(name string, data []byte) error { return ks.write(name, data) }
