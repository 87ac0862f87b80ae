"""``deepgrad.sklearn``: deepgrad models as scikit-learn estimators (``pip install
"deepgrad[sklearn]"``), for ``Pipeline``, ``GridSearchCV``, ``cross_val_score``, ``clone``.

``MLPClassifier`` and ``MLPRegressor`` take scikit-learn's parameters (and deepgrad's
``optimizer``, ``loss``, ``jit``); ``ModelClassifier`` and ``ModelRegressor`` wrap a function
that builds any deepgrad model, as scikeras does for Keras.
"""

try:
    import sklearn  # noqa: F401
except ImportError as error:
    raise ImportError(
        'deepgrad.sklearn needs scikit-learn: pip install "deepgrad[sklearn]"'
    ) from error

from deepgrad.sklearn.mlp import MLPClassifier, MLPRegressor
from deepgrad.sklearn.wrappers import ModelClassifier, ModelRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "ModelClassifier", "ModelRegressor"]
