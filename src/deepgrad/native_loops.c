/* A compiled plan's fused calls as C loops: a Python extension module, built on first use
 * by the machine's C compiler (deepgrad/native.py) and loaded by deepgrad/native_loops.py.
 *
 * Each loop executes a rule that is defined in NumPy elsewhere, with the same float
 * operations in the same order and the same dtype, so it gives NumPy's bits:
 *
 *   relu_of_sum        compiler/fusion.py          max(x + b, 0) + 0
 *   positive_part_of   compiler/fusion.py          g * (y > 0)
 *   column_sum         compiler/column_sums.py     the rows added in order
 *   outer              ops/outer_products.py       x[i] * y[j] + 0
 *   cross_entropy_*    ops/cross_entropy_kernels.py  the two passes of numba's kernel
 *
 * The tests (tests/native/test_native_loops.py) compare the bits with NumPy's.
 *
 * Every function takes NumPy arrays (through the buffer protocol: no NumPy headers), reads
 * their shapes itself and checks them, and refuses arrays that overlap where the loop
 * would read what it has written: a wrong call raises, it never reads or writes outside an
 * array. Built without -ffast-math and with -ffp-contract=off (no fused multiply-add). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arrays from Python ------------------------------------------------------------ */

typedef struct {
    Py_buffer view;
    Py_ssize_t rows;    /* the elements before the last axis, multiplied */
    Py_ssize_t columns; /* the last axis (1 for a 0-d array) */
    Py_ssize_t size;    /* rows * columns */
    char kind;          /* 'f' float32, 'd' float64, 'l' int64 */
} Array;

static char kind_of(const Py_buffer *view) {
    const char *format = view->format ? view->format : "B";
    if (format[0] == '@' || format[0] == '=') format++; /* native order; '<' and '>' refused */
    if (format[0] == '\0' || format[1] != '\0') return '?';
    if (format[0] == 'f' && view->itemsize == 4) return 'f';
    if (format[0] == 'd' && view->itemsize == 8) return 'd';
    if ((format[0] == 'l' || format[0] == 'q') && view->itemsize == 8) return 'l';
    return '?';
}

/* Take a C-contiguous array (writable if asked); 0 on success, -1 with an error set. */
static int take(PyObject *object, Array *array, int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &array->view, flags) < 0) {
        PyErr_Format(PyExc_ValueError,
                     "deepgrad's C loops: %s must be a C-contiguous%s array", what,
                     writable ? ", writable" : "");
        return -1;
    }
    Py_ssize_t columns = array->view.ndim ? array->view.shape[array->view.ndim - 1] : 1;
    array->size = array->view.len / array->view.itemsize;
    array->columns = columns;
    array->rows = columns ? array->size / columns : 0;
    array->kind = kind_of(&array->view);
    return 0;
}

static void release(Array *arrays, int count) {
    for (int k = 0; k < count; k++) PyBuffer_Release(&arrays[k].view);
}

static int overlap(const Array *a, const Array *b) {
    const char *a0 = a->view.buf, *b0 = b->view.buf;
    return a->view.len && b->view.len && a0 < b0 + b->view.len && b0 < a0 + a->view.len;
}

static int same_memory(const Array *a, const Array *b) {
    return a->view.buf == b->view.buf && a->view.len == b->view.len;
}

static PyObject *refuse(const char *function, const char *why) {
    PyErr_Format(PyExc_ValueError, "deepgrad's C loop %s: %s", function, why);
    return NULL;
}

/* Take `count` arrays of `args`; the last `written` of them writable. */
static int take_all(PyObject *const *args, Py_ssize_t nargs, Array *arrays, int count,
                    int written, const char *function) {
    if (nargs != count) {
        PyErr_Format(PyExc_TypeError, "deepgrad's C loop %s takes %d arrays, got %zd",
                     function, count, nargs);
        return -1;
    }
    for (int k = 0; k < count; k++) {
        if (take(args[k], &arrays[k], k >= count - written, function) < 0) {
            release(arrays, k);
            return -1;
        }
    }
    return 0;
}

/* ---- the rules, per element, for float and double ----------------------------------- */

/* max(x + b, 0) + 0: NumPy's maximum gives NaN where either is NaN; the + 0 makes a zero
 * result +0 (see fusion.py). */
static inline float relu_of_sum_f_rule(float x, float b) {
    float t = x + b;
    return ((t != t || t > 0.0f) ? t : 0.0f) + 0.0f;
}
static inline double relu_of_sum_d_rule(double x, double b) {
    double t = x + b;
    return ((t != t || t > 0.0) ? t : 0.0) + 0.0;
}

/* g * (y > 0): a multiply, as NumPy's pair does it (NaN * 0 is NaN). */
static inline float positive_part_of_f_rule(float g, float y) { return g * (float)(y > 0.0f); }
static inline double positive_part_of_d_rule(double g, double y) { return g * (double)(y > 0.0); }

/* Four loops per rule and type: into a separate array, in place over the first or the
 * second input, or over arrays that are all one (no restrict: the compiler then checks).
 * `b_step` is 0 where b is one row broadcast along a's rows. */
#define BINARY_LOOPS(NAME, T)                                                       \
    static void NAME##_into(const T *restrict a, const T *restrict b, T *restrict out,   \
                            Py_ssize_t rows, Py_ssize_t columns, Py_ssize_t a_step,        \
                            Py_ssize_t b_step) {                                           \
        for (Py_ssize_t i = 0; i < rows; i++) {                                            \
            const T *x = a + i * a_step, *y = b + i * b_step;                              \
            T *z = out + i * columns;                                                      \
            for (Py_ssize_t j = 0; j < columns; j++) z[j] = NAME##_rule(x[j], y[j]);           \
        }                                                                                  \
    }                                                                                      \
    static void NAME##_over_first(T *restrict a, const T *restrict b, Py_ssize_t rows,     \
                                  Py_ssize_t columns, Py_ssize_t b_step) {                 \
        for (Py_ssize_t i = 0; i < rows; i++) {                                            \
            T *x = a + i * columns;                                                        \
            const T *y = b + i * b_step;                                                   \
            for (Py_ssize_t j = 0; j < columns; j++) x[j] = NAME##_rule(x[j], y[j]);           \
        }                                                                                  \
    }                                                                                      \
    static void NAME##_over_second(const T *restrict a, T *restrict b, Py_ssize_t rows,    \
                                   Py_ssize_t columns, Py_ssize_t a_step) {                \
        for (Py_ssize_t i = 0; i < rows; i++) {                                            \
            const T *x = a + i * a_step;                                                   \
            T *y = b + i * columns;                                                        \
            for (Py_ssize_t j = 0; j < columns; j++) y[j] = NAME##_rule(x[j], y[j]);           \
        }                                                                                  \
    }                                                                                      \
    static void NAME##_all_one(T *a, Py_ssize_t size) {                                    \
        for (Py_ssize_t j = 0; j < size; j++) a[j] = NAME##_rule(a[j], a[j]);                  \
    }

BINARY_LOOPS(relu_of_sum_f, float)
BINARY_LOOPS(relu_of_sum_d, double)
BINARY_LOOPS(positive_part_of_f, float)
BINARY_LOOPS(positive_part_of_d, double)

/* rule(a, b) into out: a and out of one shape, b of that shape or one row of it (its last
 * axis a's); out may be a or b itself, but overlap neither otherwise. */
#define BINARY_FUNCTION(NAME)                                                               \
    static PyObject *NAME(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {        \
        Array v[3];                                                                         \
        if (take_all(args, nargs, v, 3, 1, #NAME) < 0) return NULL;                         \
        Array *a = &v[0], *b = &v[1], *out = &v[2];                                         \
        const char *why = NULL;                                                             \
        Py_ssize_t b_step = b->size == a->size ? a->columns : 0;                            \
        if (a->kind != 'f' && a->kind != 'd') why = "expected float32 or float64 arrays";   \
        else if (b->kind != a->kind || out->kind != a->kind) why = "arrays of two dtypes";  \
        else if (out->size != a->size || out->columns != a->columns)                        \
            why = "out is not of the first array's shape";                                  \
        else if (b->columns != a->columns || (b->size != a->size && b->size != a->columns)) \
            why = "the second array is neither of the first's shape nor one row of it";     \
        else if ((overlap(out, a) && !same_memory(out, a)) ||                               \
                 (overlap(out, b) && !same_memory(out, b)))                                 \
            why = "out overlaps an input without being it";                                 \
        if (why) {                                                                          \
            release(v, 3);                                                                  \
            return refuse(#NAME, why);                                                      \
        }                                                                                   \
        int over_a = same_memory(out, a), over_b = same_memory(out, b);                     \
        Py_ssize_t rows = a->rows, columns = a->columns;                                    \
        Py_BEGIN_ALLOW_THREADS                                                              \
        if (a->kind == 'f') {                                                               \
            float *x = a->view.buf, *y = b->view.buf, *z = out->view.buf;                   \
            if (over_a && over_b) NAME##_f_all_one(z, a->size);                             \
            else if (over_a) NAME##_f_over_first(z, y, rows, columns, b_step);              \
            else if (over_b) NAME##_f_over_second(x, z, rows, columns, columns);            \
            else NAME##_f_into(x, y, z, rows, columns, columns, b_step);                    \
        } else {                                                                            \
            double *x = a->view.buf, *y = b->view.buf, *z = out->view.buf;                  \
            if (over_a && over_b) NAME##_d_all_one(z, a->size);                             \
            else if (over_a) NAME##_d_over_first(z, y, rows, columns, b_step);              \
            else if (over_b) NAME##_d_over_second(x, z, rows, columns, columns);            \
            else NAME##_d_into(x, y, z, rows, columns, columns, b_step);                    \
        }                                                                                   \
        Py_END_ALLOW_THREADS                                                                \
        release(v, 3);                                                                      \
        Py_RETURN_NONE;                                                                     \
    }

BINARY_FUNCTION(relu_of_sum)
BINARY_FUNCTION(positive_part_of)

/* ---- column sums: out[j] = a[0, j] + a[1, j] + ..., rows in order -------------------- */

#define COLUMN_SUM(T)                                                                      \
    static void column_sum_##T(const T *restrict a, T *restrict out, Py_ssize_t rows,     \
                               Py_ssize_t columns) {                                       \
        for (Py_ssize_t j = 0; j < columns; j++) out[j] = a[j];                            \
        for (Py_ssize_t i = 1; i < rows; i++) {                                            \
            const T *row = a + i * columns;                                                \
            for (Py_ssize_t j = 0; j < columns; j++) out[j] += row[j];                     \
        }                                                                                  \
    }

COLUMN_SUM(float)
COLUMN_SUM(double)

static PyObject *column_sum(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Array v[2];
    if (take_all(args, nargs, v, 2, 1, "column_sum") < 0) return NULL;
    Array *a = &v[0], *out = &v[1];
    const char *why = NULL;
    if (a->kind != 'f' && a->kind != 'd') why = "expected a float32 or float64 array";
    else if (out->kind != a->kind) why = "arrays of two dtypes";
    else if (a->view.ndim != 2 || a->rows < 1) why = "expected a 2-D array of one row or more";
    else if (out->size != a->columns) why = "out is not one row of the array";
    else if (overlap(a, out)) why = "out overlaps the array";
    if (why) {
        release(v, 2);
        return refuse("column_sum", why);
    }
    Py_BEGIN_ALLOW_THREADS
    if (a->kind == 'f') column_sum_float(a->view.buf, out->view.buf, a->rows, a->columns);
    else column_sum_double(a->view.buf, out->view.buf, a->rows, a->columns);
    Py_END_ALLOW_THREADS
    release(v, 2);
    Py_RETURN_NONE;
}

/* ---- outer products: out[i, j] = x[i] * y[j] + 0 (the + 0 as BLAS's product's) ------- */

#define OUTER(T)                                                                           \
    static void outer_##T(const T *restrict x, const T *restrict y, T *restrict out,      \
                          Py_ssize_t rows, Py_ssize_t columns) {                           \
        for (Py_ssize_t i = 0; i < rows; i++) {                                            \
            T xi = x[i];                                                                   \
            T *z = out + i * columns;                                                      \
            for (Py_ssize_t j = 0; j < columns; j++) z[j] = xi * y[j] + (T)0;              \
        }                                                                                  \
    }

OUTER(float)
OUTER(double)

static PyObject *outer(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Array v[3];
    if (take_all(args, nargs, v, 3, 1, "outer") < 0) return NULL;
    Array *x = &v[0], *y = &v[1], *out = &v[2];
    const char *why = NULL;
    if (x->kind != 'f' && x->kind != 'd') why = "expected float32 or float64 arrays";
    else if (y->kind != x->kind || out->kind != x->kind) why = "arrays of two dtypes";
    else if (x->view.ndim != 2 || x->columns != 1 || y->view.ndim != 2 || y->rows != 1)
        why = "expected arrays of shapes (n, 1) and (1, m)";
    else if (out->view.ndim != 2 || out->rows != x->rows || out->columns != y->columns)
        why = "out is not of shape (n, m)";
    else if (overlap(out, x) || overlap(out, y)) why = "out overlaps an input";
    if (why) {
        release(v, 3);
        return refuse("outer", why);
    }
    Py_BEGIN_ALLOW_THREADS
    if (x->kind == 'f') outer_float(x->view.buf, y->view.buf, out->view.buf, out->rows, out->columns);
    else outer_double(x->view.buf, y->view.buf, out->view.buf, out->rows, out->columns);
    Py_END_ALLOW_THREADS
    release(v, 3);
    Py_RETURN_NONE;
}

/* ---- sparse softmax cross-entropy: numba's two passes (ops/cross_entropy_kernels.py) -- */

/* First pass over each row: m = max_j x_ij into tops[i] (a NaN passed over, as Python's
 * max does; exp(NaN - m) makes the row NaN all the same), and x_ij - m into shifted.
 * Returns -1 at the first label out of range, before any index is read with it. */
#define CROSS_ENTROPY_SHIFT(T)                                                             \
    static int cross_entropy_shift_##T(const T *restrict logits, const int64_t *labels,   \
                                       T *restrict shifted, T *restrict tops,              \
                                       Py_ssize_t rows, Py_ssize_t classes) {              \
        for (Py_ssize_t i = 0; i < rows; i++) {                                            \
            if (labels[i] < 0 || labels[i] >= classes) return -1;                          \
            const T *x = logits + i * classes;                                             \
            T top = x[0];                                                                  \
            for (Py_ssize_t j = 1; j < classes; j++)                                       \
                if (x[j] > top) top = x[j];                                                \
            tops[i] = top;                                                                 \
            T *s = shifted + i * classes;                                                  \
            for (Py_ssize_t j = 0; j < classes; j++) s[j] = x[j] - top;                    \
        }                                                                                  \
        return 0;                                                                          \
    }

/* A row's sum in the order NumPy's form sums it (row_sum in cross_entropy_kernels.py): in
 * order, or pairwise, NumPy's way for a row of at most 128: eight running sums over the
 * multiples of eight, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then
 * the rest in order. */
#define ROW_SUM(T)                                                                         \
    static T row_sum_##T(const T *e, Py_ssize_t classes, int pairwise) {                   \
        T total = (T)0;                                                                    \
        if (!pairwise || classes < 8) {                                                    \
            for (Py_ssize_t j = 0; j < classes; j++) total += e[j];                        \
            return total;                                                                  \
        }                                                                                  \
        T r0 = e[0], r1 = e[1], r2 = e[2], r3 = e[3], r4 = e[4], r5 = e[5], r6 = e[6],    \
          r7 = e[7];                                                                       \
        Py_ssize_t whole = classes - classes % 8;                                          \
        for (Py_ssize_t j = 8; j < whole; j += 8) {                                        \
            r0 += e[j];                                                                    \
            r1 += e[j + 1];                                                                \
            r2 += e[j + 2];                                                                \
            r3 += e[j + 3];                                                                \
            r4 += e[j + 4];                                                                \
            r5 += e[j + 5];                                                                \
            r6 += e[j + 6];                                                                \
            r7 += e[j + 7];                                                                \
        }                                                                                  \
        total += ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));                        \
        for (Py_ssize_t j = whole; j < classes; j++) total += e[j];                        \
        return total;                                                                      \
    }

/* Last pass over each row, on e = exp(x - m) and m: T = sum_j e_j into totals[i],
 * x_label - m over tops[i], and e_j / T - [j = label] written over e. */
#define CROSS_ENTROPY_FINISH(T)                                                            \
    static void cross_entropy_finish_##T(const T *restrict logits, const int64_t *labels, \
                                         T *restrict exps, T *restrict tops,               \
                                         T *restrict totals, Py_ssize_t rows,              \
                                         Py_ssize_t classes, int pairwise) {               \
        for (Py_ssize_t i = 0; i < rows; i++) {                                            \
            T *e = exps + i * classes;                                                     \
            T total = row_sum_##T(e, classes, pairwise);                                   \
            totals[i] = total;                                                             \
            int64_t label = labels[i];                                                     \
            tops[i] = logits[i * classes + label] - tops[i];                               \
            for (Py_ssize_t j = 0; j < classes; j++) e[j] /= total;                        \
            e[label] -= (T)1;                                                              \
        }                                                                                  \
    }

CROSS_ENTROPY_SHIFT(float)
CROSS_ENTROPY_SHIFT(double)
ROW_SUM(float)
ROW_SUM(double)
CROSS_ENTROPY_FINISH(float)
CROSS_ENTROPY_FINISH(double)

/* The checks both passes make: logits (rows, classes) of float32 or float64, int64 labels
 * (rows,), the written arrays of the logits' dtype and their shapes, overlapping nothing. */
static const char *cross_entropy_checks(Array *v, int count) {
    Array *logits = &v[0], *labels = &v[1];
    if (logits->kind != 'f' && logits->kind != 'd') return "expected float32 or float64 logits";
    if (logits->view.ndim != 2 || logits->columns < 1) return "expected 2-D logits";
    if (labels->kind != 'l' || labels->size != logits->rows)
        return "expected int64 labels, one per row of the logits";
    if (v[2].kind != logits->kind || v[2].size != logits->size)
        return "the exponentials' array is not of the logits' shape and dtype";
    for (int k = 3; k < count; k++)
        if (v[k].kind != logits->kind || v[k].size != logits->rows)
            return "a per-row array is not of the logits' rows and dtype";
    for (int k = 0; k < count; k++)
        for (int l = k + 1; l < count; l++)
            if ((k >= 2 || l >= 2) && overlap(&v[k], &v[l])) return "two arrays overlap";
    return NULL;
}

static PyObject *cross_entropy_shift(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Array v[4];
    if (take_all(args, nargs, v, 4, 2, "cross_entropy_shift") < 0) return NULL;
    const char *why = cross_entropy_checks(v, 4);
    if (why) {
        release(v, 4);
        return refuse("cross_entropy_shift", why);
    }
    int result;
    Py_ssize_t rows = v[0].rows, classes = v[0].columns;
    Py_BEGIN_ALLOW_THREADS
    if (v[0].kind == 'f')
        result = cross_entropy_shift_float(v[0].view.buf, v[1].view.buf, v[2].view.buf,
                                           v[3].view.buf, rows, classes);
    else
        result = cross_entropy_shift_double(v[0].view.buf, v[1].view.buf, v[2].view.buf,
                                            v[3].view.buf, rows, classes);
    Py_END_ALLOW_THREADS
    release(v, 4);
    return PyLong_FromLong(result);
}

/* cross_entropy_finish(logits, labels, exps, tops, totals, pairwise): the labels must be
 * the ones the first pass checked. */
static PyObject *cross_entropy_finish(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_Format(PyExc_TypeError,
                     "deepgrad's C loop cross_entropy_finish takes 6 arguments, got %zd",
                     nargs);
        return NULL;
    }
    int pairwise = PyObject_IsTrue(args[5]);
    if (pairwise < 0) return NULL;
    Array v[5];
    if (take_all(args, 5, v, 5, 3, "cross_entropy_finish") < 0) return NULL;
    const char *why = cross_entropy_checks(v, 5);
    Py_ssize_t rows = v[0].rows, classes = v[0].columns;
    const int64_t *labels = v[1].view.buf;
    for (Py_ssize_t i = 0; !why && i < rows; i++)
        if (labels[i] < 0 || labels[i] >= classes) why = "a label is out of range";
    if (why) {
        release(v, 5);
        return refuse("cross_entropy_finish", why);
    }
    Py_BEGIN_ALLOW_THREADS
    if (v[0].kind == 'f')
        cross_entropy_finish_float(v[0].view.buf, labels, v[2].view.buf, v[3].view.buf,
                                   v[4].view.buf, rows, classes, pairwise);
    else
        cross_entropy_finish_double(v[0].view.buf, labels, v[2].view.buf, v[3].view.buf,
                                    v[4].view.buf, rows, classes, pairwise);
    Py_END_ALLOW_THREADS
    release(v, 5);
    Py_RETURN_NONE;
}

/* ---- the module ----------------------------------------------------------------------- */

#define FUNCTION(NAME, DOC) {#NAME, (PyCFunction)(void (*)(void))NAME, METH_FASTCALL, DOC}

static PyMethodDef functions[] = {
    FUNCTION(relu_of_sum, "relu_of_sum(a, b, out): max(a + b, 0) + 0 into out."),
    FUNCTION(positive_part_of, "positive_part_of(g, y, out): g * (y > 0) into out."),
    FUNCTION(column_sum, "column_sum(a, out): a's rows added in order into out."),
    FUNCTION(outer, "outer(x, y, out): x[i, 0] * y[0, j] + 0 into out."),
    FUNCTION(cross_entropy_shift,
             "cross_entropy_shift(logits, labels, shifted, tops): -1 at a bad label."),
    FUNCTION(cross_entropy_finish,
             "cross_entropy_finish(logits, labels, exps, tops, totals, pairwise)."),
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "deepgrad_native_loops",
    "A compiled plan's fused calls as C loops (deepgrad/native_loops.c).", -1, functions,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_deepgrad_native_loops(void) { return PyModule_Create(&module); }
