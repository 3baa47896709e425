"""Small hand-made problems shared by the surrogate tests (and the report's tree-diagram test)."""

import numpy as np

# Four rows, two features: enough to reach fit's checks.
X4 = np.arange(8, dtype=np.float32).reshape(4, 2)


def features_and_labels(rows):
    """Rows of [features..., label] as (float X, int y)."""
    data = np.array(rows, dtype=np.float64)
    return data[:, :-1], data[:, -1].astype(int)


def misleading_root():
    """80 rows on which the impurity-greedy root split is not the 0/1-best one.

    Class 0 (40 rows): 20 with x1 = 1 (16 of them x0 = 1), 20 with x1 = 0 (15 of
    them x0 = 1). Class 1 (40 rows): all x1 = 0, 9 with x0 = 1.
    - x1 <= 0.5 isolates a pure node (20 class 0 | 20 class 0 + 40 class 1):
      Gini 0.75 * 4/9 = 0.333, entropy 0.75 * 0.918 = 0.689, but 20 errors.
    - x0 <= 0.5 gives (9 class 0 + 31 class 1 | 31 class 0 + 9 class 1):
      Gini 0.349, entropy 0.769, only 18 errors.
    Both criteria pick x1; the 0/1-best stump is x0 <= 0.5 (class 1 left).
    """
    def block(x0, x1, label, count):
        return [[x0, x1, label]] * count
    return features_and_labels(block(1, 1, 0, 16) + block(0, 1, 0, 4) + block(1, 0, 0, 15) + block(0, 0, 0, 5)
                               + block(1, 0, 1, 9) + block(0, 0, 1, 31))


def weighted_error(model, X, P, sw):
    """Share of the weight whose predicted class is not the argmax of its row of ``P``."""
    return float(sw[model.predict(X) != P.argmax(axis=1)].sum() / sw.sum())


def xor_with_a_decoy():
    """80 rows, class = x0 XOR x1 (20 per cell); x2 = 1 on 14 of each class-1 cell, 6 of each class-0 cell.

    x0 and x1 alone carry no information, x2 does, so an impurity-greedy depth-2
    tree splits on x2 first and can then only reach 56/80; the depth-2 tree
    x0 -> x1 classifies every row.
    """
    rows = []
    for x0 in (0, 1):
        for x1 in (0, 1):
            label = x0 ^ x1
            with_decoy = 14 if label else 6
            rows += [[x0, x1, 1, label]] * with_decoy + [[x0, x1, 0, label]] * (20 - with_decoy)
    return features_and_labels(rows)

