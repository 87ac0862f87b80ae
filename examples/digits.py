"""The Keras-style workflow end to end, on the 8×8 handwritten digits.

Load and standardise the data, build ``Sequential([Dense(64, relu), Dense(10)])``,
print its summary, fit with a validation split, evaluate on the test set, and look at
the errors: the confusion matrix and the misclassified digits themselves.

Look at: the learning curves (training and validation accuracy close together: little
overfitting), the confusion matrix's diagonal (about 98% of the test digits), and the
few digits the net gets wrong, with their true and predicted labels: most are 8s, and
several would puzzle a person too.

    python examples/digits.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import datasets, layers, losses, optimizers, viz
from deepgrad.gallery import example_main


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    (x_train, y_train), (x_test, y_test) = datasets.load_digits()
    scaler = datasets.Standardizer().fit(x_train)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(
        optimizer=optimizers.Adam(learning_rate=1e-3),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model(scaler.transform(x_train[:1]))  # build the weights, so summary() can count them
    model.summary()
    history = model.fit(
        scaler.transform(x_train),
        y_train,
        epochs=10 if quick else 30,
        batch_size=32,
        validation_split=0.1,
        verbose=0,
    )
    loss, accuracy = model.evaluate(scaler.transform(x_test), y_test, verbose=0)
    predicted = model.predict(scaler.transform(x_test), verbose=0).argmax(axis=1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (y_test, predicted), 1)
    wrong = np.flatnonzero(predicted != y_test)
    print(f"\ntest loss {loss:.4f}, test accuracy {accuracy:.4f}", end=" ")
    print(f"({len(wrong)} of {len(y_test)} wrong)")
    pairs = sorted(
        ((confusion[t, p], t, p) for t in range(10) for p in range(10) if t != p), reverse=True
    )
    print("most frequent confusions (true → predicted: count):")
    for count, true, guess in pairs[:3]:
        print(f"  {true} → {guess}: {count}")

    fig, axes = viz.figure(ncols=3, width=4.0, height=3.6)
    curve_ax, confusion_ax, grid_ax = axes[0]
    viz.plot_history(history, keys=["accuracy"], ax=curve_ax)
    curve_ax.set(title="learning curves", ylabel="accuracy")
    confusion_ax.imshow(np.log1p(confusion), cmap="Blues")
    for t in range(10):
        for p in range(10):
            if confusion[t, p]:
                color = "white" if t == p else "black"
                confusion_ax.text(
                    p, t, confusion[t, p], ha="center", va="center", fontsize=6, color=color
                )
    confusion_ax.set(title="confusion matrix (test)", xlabel="predicted", ylabel="true")
    confusion_ax.set_xticks(range(10))
    confusion_ax.set_yticks(range(10))
    confusion_ax.grid(False)
    shown = wrong[:16]
    rows = -(-len(shown) // 4)  # four a row, a line under each for its labels
    tiles = np.zeros((rows * 11, 4 * 9))
    for i, index in enumerate(shown):
        row, col = divmod(i, 4)
        tiles[row * 11 : row * 11 + 8, col * 9 : col * 9 + 8] = x_test[index].reshape(8, 8)
        label = f"{y_test[index]}→{predicted[index]}"
        grid_ax.text(col * 9 + 3.5, row * 11 + 9.3, label, color="crimson", fontsize=8, ha="center")
    grid_ax.imshow(tiles, cmap="Greys")
    grid_ax.set(title="misclassified (true → predicted)", xticks=[], yticks=[])
    grid_ax.grid(False)
    fig.tight_layout()
    viz.save(fig, f"{output}/digits.png")
    return {"test_accuracy": float(accuracy), "wrong": len(wrong), "confusion": confusion}


if __name__ == "__main__":
    example_main(run, __doc__)
