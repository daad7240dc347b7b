"""The story corpora: TinyStories train files for training, the validation head held out for evaluation."""
from __future__ import annotations

import os
from typing import List

DATA_DIR = os.environ.get("PARETO_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "tinystories"))
# every train-split file of the folder (6.6 MB); the validation head below is never trained on nor used to stop training
TRAIN_FILES = ["tinystories_sample_2MiB.txt", "tinystories_train_extra_recased.txt", "tinystories_train_more_part1.txt"]
HELDOUT_FILE = "tinystories_valid_head_807KB.txt"  # never trained on
SEPARATOR = "<|endoftext|>"
LICENCE = "CDLA-Sharing-1.0 (TinyStories, Eldan & Li 2023)"


def read_stories(name: str) -> List[str]:
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
        text = f.read()
    return [s.strip() for s in text.split(SEPARATOR) if s.strip()]


def train_stories(files: List[str] = TRAIN_FILES) -> List[str]:
    assert HELDOUT_FILE not in files, "the validation head is held out"
    stories: List[str] = []
    for name in files:
        part = read_stories(name)
        if name == "tinystories_sample_2MiB.txt":
            part = part[:-1]  # the last story of the 2 MiB sample is cut off mid-sentence
        stories.extend(part)
    return stories


def heldout_stories() -> List[str]:
    return read_stories(HELDOUT_FILE)
