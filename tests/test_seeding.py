"""One seeding code for the model and PPI: NumPy's SeedSequence on arrays gives NumPy's own streams.

`simulation.seeding` re-implements SeedSequence's hashing on arrays of streams (thousands at once);
the model seeds PCG64 from it (model/rng.py), PPI seeds SFC64 (ppi/streams.py). Any entropy, any
spawn key, any number of words: the same words as NumPy, hence the same random numbers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import seeding
from simulation.model import rng
from simulation.ppi.streams import GeneratorPool, _generator_fns

entropies = st.integers(0, 2**140)
keys = st.lists(st.integers(0, 2**40), min_size=0, max_size=3)


@settings(max_examples=60, deadline=None)
@given(entropy=entropies, spawn_key=keys, n_words=st.integers(1, 9))
def test_generate_state_is_numpys_seed_sequence(entropy, spawn_key, n_words):
    words = seeding.assembled_entropy(entropy, spawn_key)
    mine = seeding.generate_state([np.array([w], np.uint32) for w in words], n_words)[0]
    numpy = np.random.SeedSequence(entropy, spawn_key=tuple(spawn_key)).generate_state(n_words, np.uint32)
    assert np.array_equal(mine, numpy)
    mine64 = seeding.generate_state64([np.array([w], np.uint32) for w in words], n_words)[0]
    assert np.array_equal(mine64, np.random.SeedSequence(entropy, spawn_key=tuple(spawn_key)).generate_state(
        n_words, np.uint64))


def test_a_spawned_child_is_numpys_spawn():
    for seed in (0, 7, 2**70 + 3):
        children = np.random.SeedSequence(seed).spawn(5)
        for i in range(5):
            assert np.array_equal(seeding.spawned(seed, i).generate_state(4), children[i].generate_state(4))


@settings(max_examples=20, deadline=None)
@given(seed=entropies, replication=st.integers(0, 2**33), idents=st.lists(st.text(max_size=8), min_size=1,
                                                                             max_size=4, unique=True))
def test_the_models_bulk_draws_are_the_streams_numpy_builds_one_by_one(seed, replication, idents):
    seq = seeding.spawned(seed, replication)
    states = rng._stream_states([(seq.entropy, (*seq.spawn_key, rng._key("budget", i))) for i in idents])
    bits = np.random.PCG64(0)
    for ident, state in zip(idents, states):
        bits.state = state
        assert np.array_equal(np.random.Generator(bits).standard_normal(3),
                              rng.stream(seq, "budget", ident).standard_normal(3))
    # in bulk (draws): each replication's words assembled once, the entities' keys a column of the block
    seqs = [seq, seeding.spawned(seed, replication + 1), np.random.SeedSequence(seed)]
    states = rng._pcg64_states(rng._stream_words(seqs, [rng._key("budget", i) for i in idents]))
    for n, state in enumerate(states):
        bits.state = state
        one, ident = seqs[n // len(idents)], idents[n % len(idents)]
        assert np.array_equal(np.random.Generator(bits).standard_normal(3),
                              rng.stream(one, "budget", ident).standard_normal(3))
    assert rng._bulk_seeding_ok()  # else draws falls back to the streams one by one
    uniform = rng.draws(seqs, "tech", idents, (), dist="uniform")
    assert uniform[-1, -1] == rng.stream(seqs[-1], "tech", idents[-1]).random()


@settings(max_examples=20, deadline=None)
@given(seed=entropies, first=st.integers(0, 2**32 - 40), count=st.integers(1, 30))
def test_ppis_bulk_streams_are_the_streams_numpy_builds_one_by_one(seed, first, count):
    runs = range(first, first + count)
    for mine, numpy in zip(GeneratorPool().fills(seed, runs), _generator_fns(seed, runs)):
        assert np.array_equal(mine(4), numpy(4))
