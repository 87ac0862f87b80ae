"""deepgrad.losses is a package of one module per family; its namespace is the one the
single losses.py module had: the same losses, function forms, registries and helpers."""

import pkgutil

import deepgrad.losses as losses

# The public names losses.py defined or re-exported (its own imports, np, dnp, math, ...,
# were never part of it).
PUBLIC = [
    "EPSILON",
    "FUNCTIONS",
    "LOSSES",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",  # added since, as Keras 3's
    "CategoricalHinge",
    "Circle",  # added since, as Keras 3's
    "CosineSimilarity",
    "Dice",
    "GaussianNLL",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "OutputLosses",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "is_saved_loss",
    "kl_divergence",
    "label_array",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "same_rank",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]


def test_the_package_exports_the_public_names_of_the_module_it_replaced():
    assert sorted(losses.__all__) == sorted(PUBLIC)
    star: dict = {}
    exec("from deepgrad.losses import *", star)
    assert sorted(name for name in star if name != "__builtins__") == sorted(PUBLIC)


def test_no_module_of_the_package_is_named_as_an_exported_name():
    # Importing a submodule sets the package's attribute of its name: a module hinge.py
    # would put itself in the place of the function ``losses.hinge``.
    modules = {module.name for module in pkgutil.iter_modules(losses.__path__)}
    assert modules & set(PUBLIC) == set()
    assert losses.FUNCTIONS["hinge"] is losses.hinge


def test_every_registered_name_gives_a_class_the_package_exports():
    exported = {id(getattr(losses, name)) for name in PUBLIC}
    assert {id(cls) for cls in losses.LOSSES.values()} <= exported
    assert {id(function) for function in losses.FUNCTIONS.values()} <= exported
