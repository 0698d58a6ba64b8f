"""Writes Tests/ConvNetTests/Fixtures/sklearn-metrics.json: classification figures computed by
scikit-learn (and, for calibration, by numpy) on small score matrices, for the Swift metrics tests.

Cases (softmax rows of small integer logits, so that many scores tie within and across rows):
  "all_present": every class occurs in the labels; ROC AUC and AP through roc_auc_score(...,
                 multi_class="ovr") and average_precision_score on the multiclass labels directly.
  "absent_class": class 3 never occurs in the labels and class 4 is never predicted. scikit-learn
                 refuses ovr ROC AUC and multiclass AP then; the figures are computed on the classes
                 that occur (one-vs-rest label_binarize columns of the present classes), which is
                 what convnet reports (null for the absent class, excluded from the averages).
Run: python3 Tools/export_sklearn_metrics.py   (needs scikit-learn and numpy)
"""
import json
import pathlib
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, log_loss,
                             precision_recall_curve, precision_recall_fscore_support, roc_auc_score,
                             roc_curve, top_k_accuracy_score)
from sklearn.preprocessing import label_binarize

BINS = 15


def softmax(z):
    """Softmax rounded to multiples of 1/1024, the largest entry absorbing the rounding: exact in
    binary and in decimal, each row summing to exactly 1, equal logits giving exactly equal scores."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    q = np.round(e / e.sum(axis=1, keepdims=True) * 1024) / 1024
    top = q.argmax(axis=1)
    q[np.arange(len(q)), top] = 0
    q[np.arange(len(q)), top] = 1 - q.sum(axis=1)
    return q


def calibration(p, y):
    """ECE over 15 equal-width bins of the max probability, bin i = (i/15, (i+1)/15]."""
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    correct = (pred == y).astype(float)
    index = np.clip(np.ceil(conf * BINS).astype(int) - 1, 0, BINS - 1)
    bins, ece = [], 0.0
    for b in range(BINS):
        m = index == b
        n = int(m.sum())
        acc = float(correct[m].mean()) if n else 0.0
        cf = float(conf[m].mean()) if n else 0.0
        ece += n / len(y) * abs(acc - cf)
        bins.append({"count": n, "accuracy": acc, "confidence": cf})
    return ece, bins


def floats(a):
    return [float(x) for x in np.asarray(a).ravel()]


def case(logits, y, classes):
    p = softmax(logits.astype(float))
    pred = p.argmax(axis=1)
    labels = list(range(classes))
    present = [c for c in labels if (y == c).any() and (y != c).any()]
    onehot = label_binarize(y, classes=labels)
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    out = {
        "classes": classes,
        "labels": [int(v) for v in y],
        "probabilities": [floats(row) for row in p],
        "accuracy": accuracy_score(y, pred),
        "top_k_accuracy": {str(k): top_k_accuracy_score(y, p, k=k, labels=labels) for k in (1, 2, 3)},
        "log_loss": log_loss(y, p, labels=labels),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "precision": floats(prec), "recall": floats(rec), "f1": floats(f1), "support": [int(s) for s in sup],
        "roc_auc": [None] * classes, "average_precision": [None] * classes, "curves": [None] * classes,
    }
    for avg in ("macro", "weighted"):
        a = precision_recall_fscore_support(y, pred, labels=labels, average=avg, zero_division=0)
        out[avg] = {"precision": a[0], "recall": a[1], "f1": a[2]}
    for c in present:
        out["roc_auc"][c] = roc_auc_score(onehot[:, c], p[:, c])
        out["average_precision"][c] = average_precision_score(onehot[:, c], p[:, c])
        fpr, tpr, thr = roc_curve(onehot[:, c], p[:, c])
        pr, rc, pthr = precision_recall_curve(onehot[:, c], p[:, c])
        assert np.isinf(thr[0])
        out["curves"][c] = {"fpr": floats(fpr), "tpr": floats(tpr), "roc_thresholds_after_inf": floats(thr[1:]),
                            "precision": floats(pr), "recall": floats(rc), "pr_thresholds": floats(pthr)}
    cols = onehot[:, present]
    if len(present) == classes:  # the multiclass calls themselves
        auc = {a: roc_auc_score(y, p, multi_class="ovr", average=a) for a in ("macro", "weighted")}
        ap = {a: average_precision_score(y, p, average=a) for a in ("macro", "weighted")}
    else:  # scikit-learn refuses these for an absent class: the classes present, as multilabel columns
        auc = {a: roc_auc_score(cols, p[:, present], average=a) for a in ("macro", "weighted")}
        ap = {a: average_precision_score(cols, p[:, present], average=a) for a in ("macro", "weighted")}
    out["roc_auc_average"], out["average_precision_average"] = auc, ap
    out["ece"], out["reliability"] = calibration(p, y)
    return out


def main():
    rng = np.random.default_rng(11)
    # 4 classes, every one present; integer logits in -2..2 tie often.
    y_a = rng.integers(0, 4, size=60)
    logits_a = rng.integers(-2, 3, size=(60, 4))
    logits_a[np.arange(60), y_a] += rng.integers(0, 3, size=60)  # better than chance, still many ties
    # 5 classes: class 3 never occurs in the labels, class 4 is never predicted (its logit is far below).
    y_b = rng.choice([0, 1, 2, 4], size=50)
    logits_b = rng.integers(-2, 3, size=(50, 5))
    logits_b[np.arange(50), y_b] += 1
    logits_b[:, 4] = -6 + rng.integers(0, 2, size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined precision/recall → 0 is what we check
        cases = {"all_present": case(logits_a, y_a, 4), "absent_class": case(logits_b, y_b, 5)}
    assert cases["absent_class"]["roc_auc"][3] is None
    assert cases["absent_class"]["confusion_matrix"][0][4] == 0 and sum(r[4] for r in cases["absent_class"]["confusion_matrix"]) == 0
    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/ConvNetTests/Fixtures/sklearn-metrics.json"
    path.write_text(json.dumps({"generator": f"Tools/export_sklearn_metrics.py, scikit-learn {sklearn.__version__}",
                                "calibration_bins": BINS, "cases": cases}) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
