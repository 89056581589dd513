"""Which images a run trains on and which it validates on.

Training: T91 and General100, less the held-out images. Validation (checkpoint selection, early stopping):
the held-out images, ten of General100 named in training/validation_general100.txt. Set5, Set14 and BSD100
are never read during training; they are measured once, at the end, for the model card (Set5 also at export,
for the record the GPU test pins).

The held-out images are chosen by a fixed rule, so the list can be checked and remade:

    key(name) = SHA-256 of "rtup-validation-general100:" + name   (name: the file name, e.g. im_042.png)
    held out  = the 10 names of General100 with the smallest key (hexadecimal order), listed by name

A hash of the name, not a random draw, so the choice depends on nothing but the names (no generator, no
library version) and any language can recompute it. The list is committed; the trainer reads the list, not
the rule, and `splits.py` (and the test suite) checks that the two agree.

    /usr/bin/python3 training/splits.py           # checks the committed list against the rule
    /usr/bin/python3 training/splits.py --write   # writes it (only if the rule or the data set changed)
"""

import argparse
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from evaluation import list_images  # noqa: E402

DATASETS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "datasets")
TRAINING_SETS = ("T91", "General100")
HELD_OUT_SET = "General100"
HELD_OUT_COUNT = 10
SALT = "rtup-validation-general100"
VALIDATION_LIST = os.path.join(HERE, "validation_general100.txt")
TEST_SETS = ("Set5", "Set14", "BSD100")


def rule_key(name):
    return hashlib.sha256(f"{SALT}:{name}".encode("utf-8")).hexdigest()


def held_out_by_rule(names):
    """The names the rule holds out of `names` (General100's file names), sorted by name."""
    return sorted(sorted(names, key=rule_key)[:HELD_OUT_COUNT])


def read_list(path=VALIDATION_LIST):
    """The file names in the committed list (lines that are neither empty nor '#' comments)."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def validation_paths(datasets=DATASETS):
    folder = os.path.join(datasets, HELD_OUT_SET)
    paths = [os.path.join(folder, name) for name in read_list()]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(f"held-out images missing: {missing} (see ../shared/DATA.md)")
    return paths


def training_paths(datasets=DATASETS):
    held_out = set(read_list())
    paths = []
    for name in TRAINING_SETS:
        for path in list_images(os.path.join(datasets, name)):
            if name == HELD_OUT_SET and os.path.basename(path) in held_out:
                continue
            paths.append(path)
    return paths


def _list_text(names):
    header = [
        "# Held out of training: validation images (checkpoint selection, early stopping) for training/train.py.",
        f"# Rule (training/splits.py): the {HELD_OUT_COUNT} file names of {HELD_OUT_SET} with the smallest",
        f"# SHA-256(\"{SALT}:\" + name), in hexadecimal order; listed by name.",
    ]
    return "\n".join(header + names) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description="Checks (or writes) the held-out validation list.")
    p.add_argument("--write", action="store_true", help="write the list the rule gives")
    args = p.parse_args(argv)
    names = [os.path.basename(x) for x in list_images(os.path.join(DATASETS, HELD_OUT_SET))]
    expected = held_out_by_rule(names)
    if args.write:
        with open(VALIDATION_LIST, "w", encoding="utf-8") as f:
            f.write(_list_text(expected))
        print(f"wrote {VALIDATION_LIST}: {', '.join(expected)}")
        return 0
    committed = read_list()
    if committed != expected:
        print(f"{VALIDATION_LIST} differs from the rule: {committed} != {expected}", file=sys.stderr)
        return 1
    print(f"{VALIDATION_LIST}: {len(committed)} images, as the rule gives")
    return 0


if __name__ == "__main__":
    sys.exit(main())
