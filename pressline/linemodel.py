"""The learned line model: two small neural networks over `linefeatures`, evaluated in numpy.

Why a file of arrays: the model must load offline, fast and safely, so it ships as an NPZ
of plain float arrays (no pickle) inside the package: feature standardisation, the weights
of each layer, and the decoding parameters the training script tuned. It is trained by
`benchmarks/train_cleaner.py` on the dev corpus (see there for data and metrics).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from pressline.linefeatures import context_features, context_names, feature_names

MODEL_FILE = "model/cleaner.npz"


@dataclass(frozen=True, slots=True)
class Decoding:
    """How line probabilities become the body: threshold, smoothing and span margin, and how
    sure the model must be to overrule the rule layer (drop a line it kept, keep one it dropped)."""

    threshold: float
    smoothing: float
    span_threshold: float
    drop_below: float
    keep_above: float

    def values(self) -> np.ndarray:
        return np.array([self.threshold, self.smoothing, self.span_threshold, self.drop_below, self.keep_above])


@dataclass(frozen=True, slots=True)
class Network:
    """A feed-forward ReLU network with a logistic output, over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        first_weight, first_bias = self._first_layer()
        hidden = features @ first_weight + first_bias
        for weight, bias in zip(self.weights[1:], self.biases[1:]):
            hidden = np.maximum(hidden, 0.0, out=hidden) @ weight + bias
        logits = hidden[:, 0]
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def _first_layer(self) -> tuple[np.ndarray, np.ndarray]:
        """The first layer with the standardisation folded in: one pass over the features, not three."""
        weight = self.weights[0] / self.scale[:, None]
        return weight, self.biases[0] - (self.mean / self.scale) @ self.weights[0]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays = {f"{prefix}mean": self.mean, f"{prefix}scale": self.scale}
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            arrays[f"{prefix}weight_{k}"], arrays[f"{prefix}bias_{k}"] = weight, bias
        return arrays


@dataclass(frozen=True, slots=True)
class LineModel:
    """Two stages: line features give a first probability; the first probabilities of the
    neighbourhood (context smoothing, learned) give the final one."""

    first: Network
    second: Network
    decoding: Decoding

    def probabilities(self, features: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """P(line is body) for each row of `features`; `offsets` delimit the documents."""
        first = self.first.probabilities(features)
        return self.second.probabilities(context_features(first, features, np.unique(offsets)))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"names": np.array(feature_names()), "context_names": np.array(context_names()),
                "decoding": self.decoding.values(),
                **self.first.arrays("first_"), **self.second.arrays("second_")}


def _network(arrays, prefix: str) -> Network:
    layers = sum(1 for name in arrays if str(name).startswith(f"{prefix}weight_"))
    return Network(arrays[f"{prefix}mean"].astype(np.float32), arrays[f"{prefix}scale"].astype(np.float32),
                   tuple(arrays[f"{prefix}weight_{k}"].astype(np.float32) for k in range(layers)),
                   tuple(arrays[f"{prefix}bias_{k}"].astype(np.float32) for k in range(layers)))


def from_arrays(arrays) -> LineModel:
    if (tuple(arrays["names"].tolist()) != feature_names()
            or tuple(arrays["context_names"].tolist()) != context_names()):
        raise ValueError("the line model was trained on other features; retrain it")
    return LineModel(_network(arrays, "first_"), _network(arrays, "second_"),
                     Decoding(*(float(v) for v in arrays["decoding"])))


@cache
def default_model() -> LineModel | None:
    """The model shipped with pressline, or None when the package carries none (rules only)."""
    path = resources.files("pressline").joinpath(MODEL_FILE)
    if not path.is_file():
        return None
    with path.open("rb") as handle, np.load(handle, allow_pickle=False) as arrays:
        return from_arrays({name: arrays[name] for name in arrays.files})


def save(model: LineModel, path) -> None:
    np.savez_compressed(path, **model.arrays())
