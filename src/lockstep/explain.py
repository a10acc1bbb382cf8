"""Signed explanations of a fitted lockstep pipeline: per record, and global for the model card.

A record's score is split into a base value plus one contribution per model input column, in the
estimator's raw output:

- logistic regression: log-odds, exact. Each transformed feature contributes coef × value (numbers
  are standardised, so relative to the training mean; a one-hot level contributes its coefficient
  when present), the base is the intercept; base + contributions = the decision function.
- histogram gradient boosting: log-odds, SHAP values from shap's TreeExplainer (base: its
  expected value); they add up to the raw score to within float error. shap cannot read native
  category splits: such a model (``categorical_features: from_dtype``) is refused with the fix.
- random forest: probability (a forest averages its trees' probabilities), SHAP values likewise.

An input column's contribution is the sum of its transformed parts (its one-hot levels; an
ordinal-encoded column, as histogram gradient boosting takes them, is one part). The
global signed effect of a transformed feature is the least-squares slope of its contribution on its
value over the rows explained: for logistic regression that is exactly the coefficient; for trees,
the average direction and strength of the feature's effect. shap is imported only for tree models.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import LockstepError


def feature_inputs(preprocess: Any) -> list[str]:
    """The input column behind each output of a fitted ColumnTransformer, in output order."""
    inputs: list[str] = []
    for _, transformer, columns in preprocess.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        last = transformer.steps[-1][1] if hasattr(transformer, "steps") else transformer
        if hasattr(last, "categories_") and not hasattr(last, "unknown_value"):  # one-hot
            for column, levels in zip(columns, last.categories_, strict=True):
                inputs += [column] * len(levels)
        else:
            inputs += list(columns)
    if len(inputs) != len(preprocess.get_feature_names_out()):
        raise LockstepError("explain: cannot map the model's features back to its input columns")
    return inputs


class Explainer:
    """Contributions of a fitted Pipeline (… → ColumnTransformer → estimator) to its raw score."""

    def __init__(self, model: Any) -> None:
        self.preprocess, self.estimator = model.steps[-2][1], model.steps[-1][1]
        self.features = [str(n) for n in self.preprocess.get_feature_names_out()]
        inputs = feature_inputs(self.preprocess)
        self.inputs = list(dict.fromkeys(inputs))
        self.parts = np.zeros((len(inputs), len(self.inputs)))
        self.parts[np.arange(len(inputs)), [self.inputs.index(c) for c in inputs]] = 1.0
        self.linear = hasattr(self.estimator, "coef_")
        self.units = "log-odds"
        self._tree: Any = None
        if not self.linear:
            if np.any(getattr(self.estimator, "is_categorical_", None)):
                raise LockstepError(
                    "explain: this histogram gradient boosting model splits categories natively, "
                    "which shap's TreeExplainer cannot read; train it with "
                    "model.categorical_features: null (one-hot) to explain it"
                )
            self._tree = _tree_explainer(self.estimator)
            self.units = "probability" if hasattr(self.estimator, "estimators_") else "log-odds"

    def contributions(self, matrix: np.ndarray) -> tuple[np.ndarray, float]:
        """(rows × transformed features, base value) for a transformed matrix."""
        matrix = np.asarray(matrix, dtype=float)
        if self.linear:
            return matrix * self.estimator.coef_[0], float(self.estimator.intercept_[0])
        values = np.asarray(self._tree.shap_values(matrix, check_additivity=False))
        if values.ndim == 3:  # (rows, features, classes): keep the positive class
            values = values[:, :, 1]
        base = np.ravel(self._tree.expected_value)
        return values, float(base[-1])

    def by_input(self, matrix: np.ndarray) -> tuple[np.ndarray, float]:
        """(rows × input columns, base value): one-hot parts summed per input column."""
        values, base = self.contributions(matrix)
        return values @ self.parts, base

    def records(self, matrix: np.ndarray, top: int) -> list[dict[str, Any]]:
        """Per record: base, output, the ``top`` largest contributions (0: all) and the rest."""
        values, base = self.by_input(matrix)
        order = np.argsort(-np.abs(values), axis=1, kind="stable")
        count = values.shape[1] if top <= 0 else min(top, values.shape[1])
        shown = np.take_along_axis(values, order[:, :count], axis=1)
        outputs = (base + values.sum(axis=1)).tolist()
        rests = (
            (values.sum(axis=1) - shown.sum(axis=1)).tolist() if count < values.shape[1] else None
        )
        names = self.inputs
        return [
            {
                "units": self.units,
                "base": base,
                "output": outputs[i],
                "contributions": [
                    {"feature": names[j], "contribution": c}
                    for j, c in zip(order[i, :count].tolist(), shown[i].tolist(), strict=True)
                ],
                "rest": rests[i] if rests is not None else 0.0,
            }
            for i in range(len(values))
        ]


def _tree_explainer(estimator: Any) -> Any:
    try:
        import shap
    except ImportError as exc:
        raise LockstepError(
            f"explaining a {type(estimator).__name__} needs shap: pip install 'lockstep[explain]'"
        ) from exc
    return shap.TreeExplainer(estimator)


def global_effects(explainer: Explainer, matrix: np.ndarray) -> list[dict[str, Any]]:
    """Per transformed feature: signed effect (slope of contribution on value), mean |contr.|."""
    matrix = np.asarray(matrix, dtype=float)
    values, _ = explainer.contributions(matrix)
    rows = []
    for j, name in enumerate(explainer.features):
        x, phi = matrix[:, j], values[:, j]
        spread = float(np.var(x))
        slope = float(np.mean((x - x.mean()) * (phi - phi.mean())) / spread) if spread else None
        rows.append({"feature": name, "effect": slope, "mean_abs": float(np.mean(np.abs(phi)))})
    return sorted(rows, key=lambda r: (-r["mean_abs"], r["feature"]))


def card_effects(model: Any, X: Any) -> dict[str, Any]:
    """What the model card's "what drives the score" table shows, as data (evaluate writes it to
    reports/feature_effects.json, so the card never loads the model)."""
    explainer = Explainer(model)
    return {
        "units": explainer.units,
        "linear": explainer.linear,
        "features": global_effects(explainer, model[:-1].transform(X)),
    }


def card_lines(effects: dict[str, Any], rows: int = 15) -> list[str]:
    """The model card's table of the ``rows`` strongest features with their signed effects."""
    if "error" in effects:
        return [f"Not available: {effects['error']}."]
    units, features = effects["units"], effects["features"]
    kind = "coefficient" if effects["linear"] else "slope of its SHAP value on its value"
    lines = [
        f"Signed effect of each model feature on the score ({units}): its {kind}, "
        "per unit of the feature the model sees (numbers standardised: per standard deviation; "
        "a category level: per membership). Positive raises the predicted risk. "
        "Mean |contribution| over the test rows ranks them; the "
        f"{min(rows, len(features))} strongest of {len(features)} are shown "
        "(permutation importance: reports/plots/feature_importance.json).",
        "",
        f"| feature | signed effect | mean \\|contribution\\| ({units}) |",
        "|---|---:|---:|",
    ]
    for r in features[:rows]:
        effect = "n/a (constant)" if r["effect"] is None else f"{r['effect']:+.4f}"
        lines.append(f"| {r['feature']} | {effect} | {r['mean_abs']:.4f} |")
    return lines
