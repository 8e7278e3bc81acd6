"""The functions the shared-state workloads (histogram, lookup, wordcount) run in their workers.

Like :mod:`futstrat.builtin.tasks`, a worker imports this module for every task it runs, so it imports
nothing at all. The pseudo-random stream is a 64-bit linear congruential generator written out in
integers: the same numbers on every platform and Python version, so the parent can recompute any
task's stream to check the answer.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not even typing: see above
if TYPE_CHECKING:
    from typing import Any

MASK64 = (1 << 64) - 1
#: Knuth's MMIX constants.
LCG_MULTIPLIER = 6364136223846793005
LCG_INCREMENT = 1442695040888963407
#: Spreads consecutive seeds apart, so task 0 and task 1 do not start on neighbouring states.
SEED_SPREAD = 0x9E3779B97F4A7C15

#: The lookup table repeats this pattern: a prime period, so that the entries a task reads at a fixed
#: stride run through every residue and their sum has a closed form.
TABLE_PERIOD = 251
TABLE_PATTERN = bytes((residue * 7 + 3) % 256 for residue in range(TABLE_PERIOD))
#: How far apart a task's reads are: pages all over the table, never a multiple of the period.
READ_STRIDE = 1_000_003

#: The vocabulary of the generated text: two syllables each, 20 x 20 words.
SYLLABLE_LETTERS = "kalominuperasitovuzebadefogihujokelimony"
SYLLABLES = tuple(SYLLABLE_LETTERS[start : start + 2] for start in range(0, len(SYLLABLE_LETTERS), 2))
VOCABULARY = tuple(first + second for first in SYLLABLES for second in SYLLABLES)


def first_state(seed: int) -> int:
    return ((seed + 1) * SEED_SPREAD) & MASK64


def random_numbers(seed: int, count: int) -> list[int]:
    """``count`` numbers below 2**31 of the stream seeded by ``seed``."""
    state = first_state(seed)
    numbers = []
    for _ in range(count):
        state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & MASK64
        numbers.append(state >> 33)
    return numbers


# -- histogram -----------------------------------------------------------------------------------


def bin_locally(seed: int, samples: int, bins: int) -> list[int]:
    """The futures way: the task's own histogram comes back as its result."""
    counts = [0] * bins
    state = first_state(seed)
    for _ in range(samples):
        state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & MASK64
        counts[(state >> 33) % bins] += 1
    return counts


def bin_under_lock(seed: int, samples: int, bins: int, *, shared: Any) -> int:
    """Each sample is added to the shared bins under their lock."""
    shared_bins = shared.bins
    state = first_state(seed)
    for _ in range(samples):
        state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & MASK64
        shared_bins.add((state >> 33) % bins, 1)
    return samples


def bin_racing(seed: int, samples: int, bins: int, *, shared: Any) -> int:
    """The same without the lock: another task may write a bin between this read and this write."""
    shared.start.start_together()
    shared_bins = shared.bins
    state = first_state(seed)
    for _ in range(samples):
        state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & MASK64
        index = (state >> 33) % bins
        shared_bins[index] = shared_bins[index] + 1
    return samples


# -- lookup --------------------------------------------------------------------------------------


def table_length(megabytes: int) -> int:
    """Bytes in the table: ``megabytes`` MiB rounded down to whole periods of the pattern."""
    return megabytes * 2**20 // TABLE_PERIOD * TABLE_PERIOD


def make_table(megabytes: int) -> bytes:
    length = table_length(megabytes)
    return TABLE_PATTERN * (length // TABLE_PERIOD)


def read_entries(table: Any, first: int, reads: int) -> int:
    """The sum of ``reads`` entries, ``READ_STRIDE`` apart from ``first`` on, wrapping around."""
    length = len(table)
    index = first % length
    total = 0
    for _ in range(reads):
        total += table[index]
        index += READ_STRIDE
        if index >= length:
            index -= length
    return total


def read_shared_table(first: int, reads: int, *, shared: Any) -> int:
    """Reads the table every worker already has (a read-only slot)."""
    return read_entries(shared.table, first, reads)


def read_passed_table(table: bytes, first: int, reads: int) -> int:
    """Reads the table that came with this very task: with processes, it was pickled for it."""
    return read_entries(table, first, reads)


# -- wordcount -----------------------------------------------------------------------------------


def generated_words(seed: int, words: int) -> list[str]:
    """Deterministic text, some words far more common than others (the smaller of two draws)."""
    size = len(VOCABULARY)
    text = []
    state = first_state(seed)
    for _ in range(words):
        state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & MASK64
        high = state >> 33
        text.append(VOCABULARY[min(high % size, (high >> 12) % size)])
    return text


def count_words_locally(seed: int, words: int) -> dict[str, int]:
    """The futures way: the task's own counts come back as its result."""
    counts: dict[str, int] = {}
    for word in generated_words(seed, words):
        counts[word] = counts.get(word, 0) + 1
    return counts


def count_words_into_mapping(seed: int, words: int, *, shared: Any) -> int:
    """Counts its text, then adds each word's count to the shared mapping under its lock."""
    counts = count_words_locally(seed, words)
    shared_counts = shared.counts
    for word, count in counts.items():
        shared_counts.add(word, count)
    return words
