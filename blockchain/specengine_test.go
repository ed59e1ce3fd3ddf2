package blockchain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// powSpec returns consensustest's spec with p as its proof of work.
func powSpec(p blockchain.PoWSpec) blockchain.ChainSpec {
	s := consensustest.Spec()
	s.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &p}
	return s
}

// TestNewChainRefusesAnEngineOfAnotherConsensus: NewChain takes a
// SpecEngine only if it runs the consensus its spec declares, and names
// the first parameter that differs; an engine that does not say which
// consensus it runs is not checked.
func TestNewChainRefusesAnEngineOfAnotherConsensus(t *testing.T) {
	fixed := blockchain.PoWSpec{Bits: 12}
	retargeting := blockchain.PoWSpec{Bits: 12, RetargetInterval: 10, TargetBlockTime: time.Minute, MinBits: 4, MaxBits: 20}
	retargetingConfig := pow.SpecConfig(retargeting, 1)
	with := func(cfg pow.Config, change func(*pow.Config)) pow.Config {
		change(&cfg)
		return cfg
	}
	poaSpec := consensustest.Spec()
	poaSpec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{
		Signers: []blockchain.PublicKey{consensustest.Key("alice").Public()},
	}}

	for _, tc := range []struct {
		name   string
		spec   blockchain.ChainSpec
		engine pow.Config
		want   string // the difference named; "" if NewChain takes the engine
	}{
		{"consensustest's spec, an engine at 8 bits", consensustest.Spec(), pow.Config{Bits: 8, Workers: 1},
			"consensus.pow.bits: the spec's 0, the engine's 8"},
		{"other bits", powSpec(fixed), pow.Config{Bits: 13, Workers: 1},
			"consensus.pow.bits: the spec's 12, the engine's 13"},
		{"an engine that retargets on a spec that does not", powSpec(fixed), retargetingConfig,
			"consensus.pow.retargetInterval: the spec's 0, the engine's 10"},
		{"an engine that does not retarget on a spec that does", powSpec(retargeting), pow.Config{Bits: 12, Workers: 1},
			"consensus.pow.retargetInterval: the spec's 10, the engine's 0"},
		{"another retarget interval", powSpec(retargeting), with(retargetingConfig, func(c *pow.Config) { c.RetargetInterval = 20 }),
			"consensus.pow.retargetInterval: the spec's 10, the engine's 20"},
		{"another target block time", powSpec(retargeting), with(retargetingConfig, func(c *pow.Config) { c.TargetBlockTime = 30 * time.Second }),
			"consensus.pow.targetBlockTimeMs: the spec's 60000, the engine's 30000"},
		{"another least difficulty", powSpec(retargeting), with(retargetingConfig, func(c *pow.Config) { c.MinBits = 5 }),
			"consensus.pow.minBits: the spec's 4, the engine's 5"},
		{"another greatest difficulty", powSpec(retargeting), with(retargetingConfig, func(c *pow.Config) { c.MaxBits = 21 }),
			"consensus.pow.maxBits: the spec's 20, the engine's 21"},
		{"proof of work on a proof-of-authority spec", poaSpec, pow.Config{Bits: 8, Workers: 1},
			`consensus.engine: the spec's "poa", the engine's "pow"`},

		{"the engine of a spec without retargeting", powSpec(fixed), pow.SpecConfig(fixed, 1), ""},
		{"the engine of a spec with retargeting", powSpec(retargeting), pow.SpecConfig(retargeting, 1), ""},
		{"the engine of consensustest's spec", consensustest.Spec(), pow.SpecConfig(*consensustest.Spec().Consensus.PoW, 1), ""},
		{"the engine of a spec without retargeting, its unused bounds set", powSpec(fixed),
			pow.Config{Bits: 12, Workers: 1, TargetBlockTime: time.Minute, MinBits: 4, MaxBits: 20}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.spec.Validate(), "precondition: a valid spec")
			engine, err := pow.New(tc.engine)
			require.NoError(t, err)
			chain, err := blockchain.NewChain(blockchain.Config{Spec: tc.spec, Engine: engine})
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.spec.Consensus, chain.Spec().Consensus)
				return
			}
			require.ErrorIs(t, err, blockchain.ErrEngineNotSpec)
			assert.Nil(t, chain)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, "blockchain: Config.Engine: the engine does not run the spec's consensus: "+tc.want, err.Error())
		})
	}

	t.Run("an engine that does not say which consensus it runs is not checked", func(t *testing.T) {
		for _, spec := range []blockchain.ChainSpec{consensustest.Spec(), powSpec(retargeting), poaSpec} {
			_, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: consensustest.NewFaker()})
			assert.NoError(t, err, "%+v", spec.Consensus)
		}
	})
}

// specPanics is an engine whose ConsensusSpec panics, as a plugin's may
// that reads a field it never set.
type specPanics struct{ *consensustest.Fake }

func (specPanics) ConsensusSpec() blockchain.ConsensusSpec {
	var params *blockchain.PoWSpec
	return blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{Bits: params.Bits}}
}

// TestNewChainRefusesAnEngineWhoseConsensusSpecPanics: NewChain, and so
// node.New, panicked on a SpecEngine whose ConsensusSpec panicked; it now
// returns an error wrapping ErrEngineMisbehaved that says so, as for a
// Prepare that panics.
func TestNewChainRefusesAnEngineWhoseConsensusSpecPanics(t *testing.T) {
	var chain *blockchain.Chain
	var err error
	require.NotPanics(t, func() {
		chain, err = blockchain.NewChain(blockchain.Config{Spec: consensustest.Spec(), Engine: specPanics{consensustest.NewFaker()}})
	})
	require.ErrorIs(t, err, blockchain.ErrEngineMisbehaved)
	assert.Nil(t, chain)
	assert.Contains(t, err.Error(), "blockchain: Config.Engine: the consensus engine broke its contract: ConsensusSpec panicked: runtime error: invalid memory address")
}
