"""The soft decision tree (Frosst & Hinton 2017): an interpretable neural student, and its balanced-routing penalty.

A complete binary tree of depth ``d``. Inner node ``i`` routes a row ``x`` to its right child with probability
``p_i(x) = sigmoid(β (w_i · x + b_i))``; each leaf ``l`` holds a learned class distribution ``Q_l = softmax(φ_l)``;
the probability ``P_l(x)`` of reaching a leaf is the product of the routing probabilities on its path. The tree's
output is the log of the mixture ``Σ_l P_l(x) Q_l``, so it is an ``nn.Module`` returning logits like every other
student (``softmax`` of the output gives the mixture back) and trains with the same losses, Captum included.

Nodes are numbered breadth first: the root is 0 and node ``i`` has children ``2i + 1`` (left) and ``2i + 2``
(right); leaves are numbered left to right.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def node_depths(n_inner: int) -> torch.Tensor:
    """The depth of every inner node of a complete binary tree, breadth first (the root at depth 0).

    Args:
        n_inner: number of inner nodes (``2 ** depth - 1``).

    Returns:
        ``(n_inner,)`` int64 depths.

    Example:
        >>> node_depths(7).tolist()
        [0, 1, 1, 2, 2, 2, 2]
    """
    return torch.floor(torch.log2(torch.arange(1, n_inner + 1, dtype=torch.float64))).long()


def balance_penalty(reach: torch.Tensor, right: torch.Tensor, strength: float) -> torch.Tensor:
    """Frosst & Hinton's penalty that keeps each inner node's routing balanced over a batch.

    For inner node ``i``, ``α_i = Σ_x P_i(x) p_i(x) / Σ_x P_i(x)`` is the share of the rows reaching it
    (weighted by the probability of reaching it) that it sends right. The penalty is
    ``C = −λ Σ_i 2^(−depth(i)) · ½ (log α_i + log(1 − α_i))``: smallest (``λ Σ_i 2^(−depth(i)) log 2``) when every
    node splits its rows evenly, and it grows without bound as a node sends everything one way. The weight
    ``2^(−depth(i))`` is the paper's decay with depth (deeper nodes see fewer rows, so their ``α`` is noisier).

    Args:
        reach: ``(n, n_inner)`` probability of reaching each inner node, breadth first.
        right: ``(n, n_inner)`` probability of going right at each inner node.
        strength: ``λ`` (``0``: no penalty).

    Returns:
        The scalar penalty.

    Example:
        >>> reach, right = torch.ones(2, 1), torch.tensor([[0.0], [1.0]])  # one node, one row each way
        >>> round(balance_penalty(reach, right, 1.0).item(), 4)  # log 2: the node cannot split more evenly
        0.6931
    """
    eps = torch.finfo(right.dtype).eps
    alpha = (reach * right).sum(0) / reach.sum(0).clamp_min(eps)
    alpha = alpha.clamp(eps, 1 - eps)
    decay = 2.0 ** -node_depths(alpha.shape[0]).to(alpha)
    return -strength * (decay * 0.5 * (alpha.log() + (1 - alpha).log())).sum()


class SoftDecisionTree(nn.Module):
    """A soft decision tree of depth ``depth``: ``(n, d)`` rows to ``(n, k)`` logits (log mixture probabilities).

    Args:
        n_features: input width ``d``.
        n_classes: number of classes ``k``.
        depth: depth of the complete binary tree (``2 ** depth - 1`` inner nodes, ``2 ** depth`` leaves).
        beta: inverse temperature β of the gates (larger: sharper, more tree-like routing).
        penalty: strength λ of :func:`balance_penalty`, added to the training loss by :meth:`training_penalty`.

    Attributes:
        gates: ``nn.Linear(d, 2 ** depth - 1)``: row ``i`` of its weight is inner node ``i``'s weight vector.
        leaf_logits: ``(2 ** depth, k)`` parameters whose softmax is each leaf's class distribution.

    Example:
        >>> tree = SoftDecisionTree(4, 3, depth=2)
        >>> tree(torch.zeros(5, 4)).exp().sum(1).allclose(torch.ones(5))
        True
        >>> tree.gates.weight.shape, tree.leaf_distributions().shape
        (torch.Size([3, 4]), torch.Size([4, 3]))
    """

    def __init__(self, n_features: int, n_classes: int, depth: int = 4, beta: float = 1.0, penalty: float = 0.0):
        super().__init__()
        if depth < 1:
            raise ValueError(f"a soft decision tree needs depth >= 1, got {depth}")
        self.depth, self.beta, self.penalty = int(depth), float(beta), float(penalty)
        self.gates = nn.Linear(n_features, 2 ** self.depth - 1)
        self.leaf_logits = nn.Parameter(torch.randn(2 ** self.depth, n_classes) * 0.1)

    def spec(self) -> dict:
        """The keyword arguments that rebuild this tree (saved with its ``state_dict``).

        Returns:
            ``{"n_features", "n_classes", "depth", "beta", "penalty"}``.

        Example:
            >>> SoftDecisionTree(4, 3, depth=2, beta=2.0).spec()
            {'n_features': 4, 'n_classes': 3, 'depth': 2, 'beta': 2.0, 'penalty': 0.0}
        """
        return {"n_features": self.gates.in_features, "n_classes": self.leaf_logits.shape[1], "depth": self.depth,
                "beta": self.beta, "penalty": self.penalty}

    def routing(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """How rows travel down the tree, in log space (stable for deep trees).

        Args:
            x: ``(n, d)`` inputs.

        Returns:
            ``log_reach`` ``(n, 2 ** depth - 1)`` log probability of reaching each inner node; ``log_right`` of the
            same shape, log probability of going right at it; ``log_leaf`` ``(n, 2 ** depth)`` log probability of
            reaching each leaf.

        Example:
            >>> _, _, log_leaf = SoftDecisionTree(2, 2, depth=3).routing(torch.zeros(1, 2))
            >>> round(log_leaf.exp().sum().item(), 6)  # every row reaches some leaf
            1.0
        """
        z = self.beta * self.gates(x)
        log_right, log_left = F.logsigmoid(z), F.logsigmoid(-z)
        log_path = x.new_zeros(x.shape[0], 1)
        reached = []
        for level in range(self.depth):
            nodes = slice(2 ** level - 1, 2 ** (level + 1) - 1)
            reached.append(log_path)
            # children of node j of this level: (left, right) next to each other, so breadth-first order holds
            log_path = torch.stack([log_path + log_left[:, nodes], log_path + log_right[:, nodes]], 2).flatten(1)
        return torch.cat(reached, 1), log_right, log_path

    def leaf_distributions(self) -> torch.Tensor:
        """Each leaf's class distribution ``Q_l``.

        Returns:
            ``(2 ** depth, k)`` rows summing to 1, leaves left to right.

        Example:
            >>> SoftDecisionTree(2, 3, depth=1).leaf_distributions().sum(1).round(decimals=6).tolist()
            [1.0, 1.0]
        """
        return self.leaf_logits.softmax(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log of the leaf mixture ``log Σ_l P_l(x) Q_l``: logits whose softmax is the tree's prediction.

        Args:
            x: ``(n, d)`` inputs.

        Returns:
            ``(n, k)`` log probabilities.

        Example:
            >>> SoftDecisionTree(3, 2, depth=1)(torch.zeros(4, 3)).shape
            torch.Size([4, 2])
        """
        _, _, log_leaf = self.routing(x)
        return torch.logsumexp(log_leaf[:, :, None] + self.leaf_logits.log_softmax(1)[None], dim=1)

    def training_penalty(self, x: torch.Tensor) -> torch.Tensor:
        """:func:`balance_penalty` of this batch at the tree's ``penalty`` strength (added to the training loss).

        Args:
            x: ``(n, d)`` the batch's inputs.

        Returns:
            The scalar penalty (``0`` with ``penalty=0``).

        Example:
            >>> SoftDecisionTree(2, 2, depth=1, penalty=0.0).training_penalty(torch.zeros(3, 2)).item()
            0.0
        """
        if not self.penalty:
            return x.new_zeros(())
        log_reach, log_right, _ = self.routing(x)
        return balance_penalty(log_reach.exp(), log_right.exp(), self.penalty)

    def extra_repr(self) -> str:
        return f"depth={self.depth}, beta={self.beta:g}, penalty={self.penalty:g}"


def build_soft_tree(n_features: int, n_classes: int, image_shape=None, depth: int = 4, beta: float = 1.0,
                    penalty: float = 0.0, **_) -> SoftDecisionTree:
    """The ``soft_tree`` entry of the architecture registry: a :class:`SoftDecisionTree` (``image_shape`` unused).

    Args:
        n_features: input width.
        n_classes: number of classes.
        image_shape: unused (each inner node reads the flat pixels; the report folds its weights into images).
        depth: depth of the tree.
        beta: inverse temperature of the gates.
        penalty: strength of the balanced-routing penalty.
        **_: sizes of other architectures (``hidden``, ``channels``, ``centre``), ignored.

    Returns:
        The untrained tree.

    Example:
        >>> sum(p.numel() for p in build_soft_tree(64, 10, depth=2, hidden=[8]).parameters())  # 3*65 + 4*10
        235
    """
    return SoftDecisionTree(n_features, n_classes, depth, beta, penalty)

