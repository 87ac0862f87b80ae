/* The tape's two hot loops in C: a Python extension module, built on first use by the
 * machine's C compiler (deepgrad/native.py) and loaded by deepgrad/autodiff/graph.py
 * (NATIVE_TAPE), with the Python engine as the definition and the fallback.
 *
 * bind, bind_pair,    autodiff/primitive.py's bind, bind_pair and bind_one (with _on_tape):
 * bind_one
 *                      an op on tape tensors, constants or raw arrays evaluated and, where a
 *                      tape tensor needs its gradient, recorded on the answer's fields.
 *                      Anything else (a traced level, an observer or anomaly mode, a
 *                      Primitive's subclass) is handed to the Python functions.
 * walk                 autodiff/graph.py's backward_pass loop, for the common case only:
 *                      no observer, no anomaly mode, no create_graph (graph.py runs its
 *                      own loop for those).
 *
 * Each is its Python function line for line: the same fields set, the same nodes walked in
 * the same order (newest first), the same rules called with the same arguments, the same
 * cotangents added in the same order, so the same bits. What a loop does not decide
 * itself it hands back to Python: a node written in place since, a rule or an op that
 * fails, a cotangent whose shape or dtype is not its argument's, the sum of two cotangents.
 *
 * A Tensor's, a Primitive's and the engine state's fields are read and written at the
 * offsets of their classes' __slots__ (set_up reads them off the classes once), where
 * Python goes through their descriptors: that, the frames, the dict and the heap are what
 * the loops save. An object arriving where a Tensor is expected is checked to be one. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <string.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#ifndef Py_T_OBJECT_EX
#define Py_T_OBJECT_EX T_OBJECT_EX
#endif

/* ---- the fields, at their slots' offsets ------------------------------------------- */

static PyTypeObject *tensor_type;
static Py_ssize_t at_value, at_prim, at_parents, at_args, at_inputs, at_kwargs, at_sequence;
static Py_ssize_t at_level, at_tangent, at_grad;
static PyTypeObject *primitive_type;
static Py_ssize_t at_vjps, at_impl, at_first_differentiable, at_second_differentiable;
static PyObject *state; /* primitive.STATE */
static Py_ssize_t at_grad_enabled, at_watched;
/* primitive.py's: ORDER (the nodes' sequence), FIRST, SECOND, BOTH, NO_KWARGS, and its
 * bind, bind_pair, bind_one and raise_with_context(prim, raw, error) (raises) */
static PyObject *order, *first, *second, *both, *no_kwargs;
static PyObject *python_bind, *python_bind_pair, *python_bind_one, *raise_with_context;
static PyObject *level_0, *level_constant, *no_parents;
/* graph.py's hands: check_unwritten(tensor), rule_inputs(tensor) (raises),
 * match_shape(g, like), add(a, b), raise_in_rule(tensor, position, error) (raises) */
static PyObject *check_unwritten, *rule_inputs, *match_shape, *add, *rule_failed;

static int slot_offset(PyObject *type, const char *name, Py_ssize_t *offset) {
    PyObject *descriptor = PyObject_GetAttrString(type, name);
    if (descriptor == NULL) return -1;
    int ok = Py_IS_TYPE(descriptor, &PyMemberDescr_Type) &&
             ((PyMemberDescrObject *)descriptor)->d_member->type == Py_T_OBJECT_EX;
    if (ok) *offset = ((PyMemberDescrObject *)descriptor)->d_member->offset;
    Py_DECREF(descriptor);
    if (!ok) PyErr_Format(PyExc_TypeError, "native tape: %s is not a slot", name);
    return ok ? 0 : -1;
}

/* The field at `offset` of `object` (a borrowed reference), or NULL with AttributeError. */
static inline PyObject *field(PyObject *object, Py_ssize_t offset, const char *name) {
    PyObject *value = *(PyObject **)((char *)object + offset);
    if (value == NULL) PyErr_Format(PyExc_AttributeError, "native tape: %s is not set", name);
    return value;
}

static inline void set_field(PyObject *object, Py_ssize_t offset, PyObject *value) {
    PyObject **place = (PyObject **)((char *)object + offset);
    PyObject *old = *place;
    Py_INCREF(value);
    *place = value;
    Py_XDECREF(old);
}

static PyObject *set_up(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tensor, *primitive;
    if (!PyArg_ParseTuple(args, "O!O!OOOOOOOOOOOOOOO", &PyType_Type, &tensor, &PyType_Type,
                          &primitive, &state, &order, &first, &second, &both, &no_kwargs,
                          &python_bind, &python_bind_pair, &python_bind_one, &raise_with_context,
                          &check_unwritten, &rule_inputs, &match_shape, &add, &rule_failed))
        return NULL;
    PyObject *state_type = (PyObject *)Py_TYPE(state);
    if (slot_offset(tensor, "_value", &at_value) || slot_offset(tensor, "_prim", &at_prim) ||
        slot_offset(tensor, "_parents", &at_parents) || slot_offset(tensor, "_args", &at_args) ||
        slot_offset(tensor, "_inputs", &at_inputs) || slot_offset(tensor, "_kwargs", &at_kwargs) ||
        slot_offset(tensor, "_sequence", &at_sequence) || slot_offset(tensor, "_level", &at_level) ||
        slot_offset(tensor, "_tangent", &at_tangent) || slot_offset(tensor, "grad", &at_grad) ||
        slot_offset(primitive, "_vjps", &at_vjps) || slot_offset(primitive, "impl", &at_impl) ||
        slot_offset(primitive, "first_differentiable", &at_first_differentiable) ||
        slot_offset(primitive, "second_differentiable", &at_second_differentiable) ||
        slot_offset(state_type, "grad_enabled", &at_grad_enabled) ||
        slot_offset(state_type, "watched", &at_watched))
        return NULL;
    if (!PyTuple_Check(first) || !PyTuple_Check(second) || !PyTuple_Check(both) ||
        !PyDict_Check(no_kwargs) || Py_TYPE(order)->tp_iternext == NULL) {
        PyErr_SetString(PyExc_TypeError, "native tape: set_up's arguments are not the engine's");
        return NULL;
    }
    level_0 = PyLong_FromLong(0);
    level_constant = PyLong_FromLong(-1);
    no_parents = PyTuple_New(0);
    if (level_0 == NULL || level_constant == NULL || no_parents == NULL) return NULL;
    PyObject *kept[] = {tensor, primitive, state, order, first, second, both, no_kwargs,
                        python_bind, python_bind_pair, python_bind_one, raise_with_context, check_unwritten,
                        rule_inputs, match_shape, add, rule_failed};
    for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++) Py_INCREF(kept[k]);
    tensor_type = (PyTypeObject *)tensor;
    primitive_type = (PyTypeObject *)primitive;
    Py_RETURN_NONE;
}

/* ---- an op: bind_pair and bind_one -------------------------------------------------- */

/* Whether the engine's switch at `offset` of STATE is on (an observer or anomaly mode
 * watching, gradients enabled). -1 with an error where it is unset. */
static inline int state_is(Py_ssize_t offset, const char *name) {
    PyObject *value = field(state, offset, name);
    return value == NULL ? -1 : PyObject_IsTrue(value);
}

/* A Tensor's level, or -2 for anything else; -3 with an error set. */
static inline long level_of(PyObject *object) {
    if (!PyObject_TypeCheck(object, tensor_type)) return -2;
    PyObject *level = field(object, at_level, "_level");
    if (level == NULL) return -3;
    long value = PyLong_AsLong(level);
    return (value == -1 && PyErr_Occurred()) ? -3 : value;
}

/* The tuple of `count` items. */
static PyObject *pack(PyObject *const *items, Py_ssize_t count) {
    PyObject *tuple = PyTuple_New(count);
    if (tuple == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_INCREF(items[k]);
        PyTuple_SET_ITEM(tuple, k, items[k]);
    }
    return tuple;
}

/* The error being raised, handed to Python's `raiser(a, b, error)`, which raises it again
 * as the Python engine does (with the op named). The raiser runs with `error` as the
 * exception being handled, as it runs inside the Python engine's `except` block: what it
 * raises then has `error` as its __context__ (not an exception the caller was handling).
 * Returns NULL, with that error set. */
static PyObject *raise_through(PyObject *raiser, PyObject *a, PyObject *b) {
    PyObject *type, *error, *traceback;
    PyErr_Fetch(&type, &error, &traceback);
    PyErr_NormalizeException(&type, &error, &traceback);
    if (traceback != NULL) PyException_SetTraceback(error, traceback);
    PyObject *handled_type, *handled, *handled_traceback;
    PyErr_GetExcInfo(&handled_type, &handled, &handled_traceback);
    Py_XINCREF(type);
    Py_XINCREF(error);
    Py_XINCREF(traceback);
    PyErr_SetExcInfo(type, error, traceback); /* takes the three references */
    PyObject *call[3] = {a, b, error};
    Py_XDECREF(PyObject_Vectorcall(raiser, call, 3, NULL)); /* raises */
    PyErr_SetExcInfo(handled_type, handled, handled_traceback); /* the caller's, again */
    Py_XDECREF(type);
    Py_XDECREF(error);
    Py_XDECREF(traceback);
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "native tape: the raiser returned");
    return NULL;
}

/* prim.impl(*raw, **kwargs) (kwargs NULL: none), or NULL with primitive.py's error
 * (raise_with_context). */
static PyObject *evaluate(PyObject *prim, PyObject *const *raw, Py_ssize_t count,
                         PyObject *kwargs) {
    PyObject *impl = field(prim, at_impl, "impl");
    if (impl == NULL) return NULL;
    PyObject *value = kwargs ? PyObject_VectorcallDict(impl, raw, count, kwargs)
                             : PyObject_Vectorcall(impl, raw, count, NULL);
    if (value != NULL || !(PyErr_ExceptionMatches(PyExc_ValueError) ||
                           PyErr_ExceptionMatches(PyExc_TypeError)))
        return value;
    PyObject *operands = pack(raw, count);
    if (operands == NULL) return NULL;
    raise_through(raise_with_context, prim, operands);
    Py_DECREF(operands);
    return NULL;
}

static inline void own_field(PyObject *object, Py_ssize_t offset, PyObject *value) {
    *(PyObject **)((char *)object + offset) = value; /* a fresh object's empty slot */
}

/* primitive.py's _on_tape: the answer `value` as a tape Tensor that records how it was made
 * (the raw arguments `args`, the arguments as given `given`, `kwargs`), when `parents` is
 * not empty, else as a constant. `value`, `args` and `given` (NULL for a constant) are
 * references it takes. */
static PyObject *on_tape(PyObject *prim, PyObject *value, PyObject *parents, PyObject *args,
                         PyObject *given, PyObject *kwargs) {
    PyObject *result = tensor_type->tp_alloc(tensor_type, 0);
    PyObject *sequence = NULL;
    if (result != NULL && PyTuple_GET_SIZE(parents) > 0) {
        sequence = Py_TYPE(order)->tp_iternext(order);
        if (sequence == NULL && !PyErr_Occurred())
            PyErr_SetString(PyExc_SystemError, "native tape: the sequence ended");
    }
    if (result == NULL || (PyTuple_GET_SIZE(parents) > 0 && sequence == NULL)) {
        Py_XDECREF(result);
        Py_DECREF(value);
        Py_XDECREF(args);
        Py_XDECREF(given);
        return NULL;
    }
    own_field(result, at_value, value);
    Py_INCREF(Py_None);
    own_field(result, at_tangent, Py_None);
    Py_INCREF(Py_None);
    own_field(result, at_grad, Py_None);
    if (sequence == NULL) {
        Py_INCREF(level_constant);
        own_field(result, at_level, level_constant);
        Py_INCREF(Py_None);
        own_field(result, at_prim, Py_None);
        Py_XDECREF(args);
        Py_XDECREF(given);
        return result;
    }
    Py_INCREF(level_0);
    own_field(result, at_level, level_0);
    Py_INCREF(prim);
    own_field(result, at_prim, prim);
    Py_INCREF(parents);
    own_field(result, at_parents, parents);
    own_field(result, at_args, args);
    own_field(result, at_inputs, given);
    Py_INCREF(kwargs);
    own_field(result, at_kwargs, kwargs);
    own_field(result, at_sequence, sequence);
    return result;
}

/* Whether this call is one the C binds take: a Primitive itself (not a subclass), and no
 * observer or anomaly mode watching. -1 with an error set. */
static inline int takes(PyObject *prim) {
    if (!Py_IS_TYPE(prim, primitive_type)) return 0;
    int watched = state_is(at_watched, "watched");
    return watched < 0 ? -1 : !watched;
}

/* The switch of `prim` at `offset` (first_differentiable, second_differentiable): 1, 0, or
 * -1 with an error set. */
static inline int prim_is(PyObject *prim, Py_ssize_t offset, const char *name) {
    PyObject *value = field(prim, offset, name);
    return value == NULL ? -1 : PyObject_IsTrue(value);
}

/* Evaluate `prim` on `raw` and record it with `parents` (a reference stolen); the operands
 * are held while the function runs, as Python's locals hold them. */
static PyObject *record(PyObject *prim, PyObject *const *inputs, PyObject *const *raw,
                        Py_ssize_t count, PyObject *parents) {
    for (Py_ssize_t k = 0; k < count; k++) Py_INCREF(raw[k]);
    PyObject *value = evaluate(prim, raw, count, NULL);
    PyObject *result = NULL;
    if (value != NULL && PyTuple_GET_SIZE(parents) == 0) {
        result = on_tape(prim, value, parents, NULL, NULL, no_kwargs);
    } else if (value != NULL) {
        PyObject *args = pack(raw, count), *given = args ? pack(inputs, count) : NULL;
        if (given != NULL)
            result = on_tape(prim, value, parents, args, given, no_kwargs);
        else {
            Py_DECREF(value);
            Py_XDECREF(args);
        }
    }
    for (Py_ssize_t k = 0; k < count; k++) Py_DECREF(raw[k]);
    Py_DECREF(parents);
    return result;
}

/* Append the position `k` to `positions` where the rule vjps[k] is not None (the argument
 * is differentiable there): bind's `parents += (i,)`. 0, or -1 with an error set. */
static int add_parent(PyObject *vjps, Py_ssize_t k, PyObject *positions) {
    PyObject *rule = PySequence_GetItem(vjps, k);
    if (rule == NULL) return -1;
    int differentiable = rule != Py_None;
    Py_DECREF(rule);
    if (!differentiable) return 0;
    PyObject *position = PyLong_FromSsize_t(k);
    int status = position ? PyList_Append(positions, position) : -1;
    Py_XDECREF(position);
    return status;
}

/* primitive.py's _bind_traced, in reverse mode and with nothing nested: `items` (the
 * arguments as given, `given` as an object, or NULL to pack them) on the level `level` of
 * their tensor `top`. NULL with no error set where it does not take the call (forward mode,
 * a constant or a lower level among the arguments, a level's value that is itself a
 * Tensor): the caller then hands it to Python. */
static PyObject *traced(PyObject *prim, PyObject *const *items, Py_ssize_t count,
                        PyObject *given, PyObject *kwargs, long level, PyObject *top) {
    PyObject *tangent = field(top, at_tangent, "_tangent");
    if (tangent == NULL || tangent != Py_None) return NULL; /* forward mode: Python's */
    for (Py_ssize_t k = 0; k < count; k++) {
        long its = level_of(items[k]);
        if (its == -3) return NULL;
        if (its == -2) continue;
        PyObject *value = its == level ? field(items[k], at_value, "_value") : NULL;
        if (value == NULL || PyObject_TypeCheck(value, tensor_type)) return NULL; /* nested */
    }
    PyObject *vjps = field(prim, at_vjps, "_vjps");
    Py_ssize_t rules = vjps ? PySequence_Size(vjps) : -1;
    PyObject *unboxed = rules >= 0 ? PyList_New(count) : NULL; /* _bind_traced's list */
    PyObject *positions = unboxed ? PyList_New(0) : NULL;
    if (positions == NULL) goto failed;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *value = items[k];
        if (level_of(value) == level) {
            if (k < rules && add_parent(vjps, k, positions) < 0) goto failed;
            value = field(value, at_value, "_value");
            if (value == NULL) goto failed;
        }
        Py_INCREF(value);
        PyList_SET_ITEM(unboxed, k, value);
    }
    PyObject *parents = PyList_AsTuple(positions);
    Py_CLEAR(positions);
    if (parents == NULL) goto failed;
    PyObject *value = evaluate(prim, PySequence_Fast_ITEMS(unboxed), count,
                               PyDict_GET_SIZE(kwargs) ? kwargs : NULL);
    if (value == NULL || PyTuple_GET_SIZE(parents) == 0) { /* a traced op's constant is raw */
        Py_DECREF(parents);
        Py_DECREF(unboxed);
        return value; /* (NULL with the op's error set) */
    }
    if (given == NULL) given = pack(items, count);
    else Py_INCREF(given);
    PyObject *result = NULL;
    if (given != NULL) {
        result = on_tape(prim, value, parents, unboxed, given, kwargs); /* takes them */
        if (result != NULL) set_field(result, at_level, field(top, at_level, "_level"));
    } else {
        Py_DECREF(value);
        Py_DECREF(unboxed);
    }
    Py_DECREF(parents);
    return result;
failed:
    Py_XDECREF(unboxed);
    Py_XDECREF(positions);
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "native tape: traced failed");
    return NULL;
}

/* A traced call: `traced`'s answer, or Python's function where it does not take it. */
#define TRACED_OR_PYTHON(call, python, args, nargs)                                    \
    do {                                                                               \
        PyObject *answer = (call);                                                     \
        if (answer != NULL || PyErr_Occurred()) return answer;                         \
        return PyObject_Vectorcall((python), (args), (nargs), NULL);                   \
    } while (0)

static PyObject *bind_pair(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "bind_pair(prim, x, y)");
        return NULL;
    }
    PyObject *prim = args[0], *x = args[1], *y = args[2];
    int taken = takes(prim);
    if (taken <= 0) return taken < 0 ? NULL : PyObject_Vectorcall(python_bind_pair, args, 3, NULL);
    long x_level = level_of(x);
    long y_level = x_level == -3 ? -3 : level_of(y);
    if (x_level == -3 || y_level == -3) return NULL;
    if (x_level > 0 || y_level > 0) {
        PyObject *pair[2] = {x, y};
        TRACED_OR_PYTHON(traced(prim, pair, 2, NULL, no_kwargs, x_level >= y_level ? x_level : y_level,
                                x_level >= y_level ? x : y),
                         python_bind_pair, args, 3);
    }
    PyObject *raw[2] = {x_level == -2 ? x : field(x, at_value, "_value"),
                        y_level == -2 ? y : field(y, at_value, "_value")};
    if (raw[0] == NULL || raw[1] == NULL) return NULL;
    if (x_level == -2 && y_level == -2) { /* no Tensor: _evaluate */
        PyObject *pair[2] = {x, y};
        return evaluate(prim, pair, 2, NULL);
    }
    PyObject *parents = no_parents; /* bind_pair's choice of the parents' positions */
    int enabled = state_is(at_grad_enabled, "grad_enabled");
    if (enabled < 0) return NULL;
    if (enabled) {
        int first_ok = prim_is(prim, at_first_differentiable, "first_differentiable");
        int second_ok = prim_is(prim, at_second_differentiable, "second_differentiable");
        if (first_ok < 0 || second_ok < 0) return NULL;
        if (x_level == 0 && first_ok)
            parents = (y_level == 0 && second_ok) ? both : first;
        else if (y_level == 0 && second_ok)
            parents = second;
    }
    Py_INCREF(parents);
    PyObject *inputs[2] = {x, y};
    return record(prim, inputs, raw, 2, parents);
}

static PyObject *bind_one(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "bind_one(prim, x)");
        return NULL;
    }
    PyObject *prim = args[0], *x = args[1];
    int taken = takes(prim);
    if (taken <= 0) return taken < 0 ? NULL : PyObject_Vectorcall(python_bind_one, args, 2, NULL);
    long level = level_of(x);
    if (level == -3) return NULL;
    if (level > 0) TRACED_OR_PYTHON(traced(prim, &x, 1, NULL, no_kwargs, level, x), python_bind_one, args, 2);
    if (level == -2) return evaluate(prim, &x, 1, NULL); /* no Tensor: _evaluate */
    PyObject *raw = field(x, at_value, "_value");
    if (raw == NULL) return NULL;
    int recording = 0;
    if (level == 0) {
        recording = state_is(at_grad_enabled, "grad_enabled");
        if (recording > 0) recording = prim_is(prim, at_first_differentiable, "first_differentiable");
        if (recording < 0) return NULL;
    }
    PyObject *parents = recording ? first : no_parents;
    Py_INCREF(parents);
    return record(prim, &x, &raw, 1, parents);
}

/* bind(prim, args, kwargs): primitive.py's bind, for any number of arguments and keywords. */
static PyObject *bind(PyObject *self, PyObject *const *call, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3 || !(PyTuple_Check(call[1]) || PyList_Check(call[1])) || !PyDict_Check(call[2])) {
        PyErr_SetString(PyExc_TypeError, "bind(prim, args: tuple | list, kwargs: dict)");
        return NULL;
    }
    PyObject *prim = call[0], *given = call[1], *kwargs = call[2];
    int taken = takes(prim);
    if (taken <= 0) return taken < 0 ? NULL : PyObject_Vectorcall(python_bind, call, 3, NULL);
    Py_ssize_t count = PySequence_Fast_GET_SIZE(given);
    PyObject **items = PySequence_Fast_ITEMS(given);
    long level = -2;
    PyObject *top = NULL; /* the first argument of the highest level */
    for (Py_ssize_t k = 0; k < count; k++) {
        long its = level_of(items[k]);
        if (its == -3) return NULL;
        if (its > level) {
            level = its;
            top = items[k];
        }
    }
    if (level > 0) TRACED_OR_PYTHON(traced(prim, items, count, given, kwargs, level, top), python_bind, call, 3);
    PyObject *keywords = PyDict_GET_SIZE(kwargs) ? kwargs : NULL;
    if (level == -2) return evaluate(prim, items, count, keywords); /* no Tensor: _evaluate */
    int recording = 0;
    if (level == 0) {
        recording = state_is(at_grad_enabled, "grad_enabled");
        if (recording < 0) return NULL;
    }
    PyObject *vjps = field(prim, at_vjps, "_vjps");
    Py_ssize_t rules = (recording && vjps) ? PySequence_Size(vjps) : 0;
    PyObject *raw = PyList_New(count); /* bind's list of raw arguments */
    PyObject *positions = PyList_New(0);
    if (vjps == NULL || rules < 0 || raw == NULL || positions == NULL) goto failed;
    Py_INCREF(given); /* the arguments are held while the function runs */
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *arg = items[k], *value = arg;
        if (PyObject_TypeCheck(arg, tensor_type)) {
            value = field(arg, at_value, "_value");
            if (value == NULL) goto failed_held;
            if (recording && k < rules && level_of(arg) == 0 && add_parent(vjps, k, positions) < 0)
                goto failed_held;
        }
        Py_INCREF(value);
        PyList_SET_ITEM(raw, k, value);
    }
    PyObject *parents = PyList_AsTuple(positions);
    Py_DECREF(positions);
    positions = NULL;
    if (parents == NULL) goto failed_held;
    PyObject *value = evaluate(prim, PySequence_Fast_ITEMS(raw), count, keywords);
    PyObject *result = NULL;
    if (value != NULL && PyTuple_GET_SIZE(parents) == 0) {
        result = on_tape(prim, value, parents, NULL, NULL, kwargs);
        Py_DECREF(raw);
        Py_DECREF(given);
    } else if (value != NULL) {
        result = on_tape(prim, value, parents, raw, given, kwargs); /* takes raw and given */
    } else {
        Py_DECREF(raw);
        Py_DECREF(given);
    }
    Py_DECREF(parents);
    return result;
failed_held:
    Py_DECREF(given);
failed:
    Py_XDECREF(raw);
    Py_XDECREF(positions);
    return NULL;
}

/* ---- the nodes waiting: a heap on their sequence, newest on top ------------------------ */

typedef struct {
    long long sequence;
    PyObject *tensor; /* a reference held by the heap */
} Waiting;

typedef struct {
    Waiting *items;
    Py_ssize_t count, room;
} Heap;

static int push(Heap *heap, PyObject *tensor, long long sequence) {
    if (heap->count == heap->room) {
        Py_ssize_t room = heap->room ? 2 * heap->room : 64;
        Waiting *items = PyMem_Realloc(heap->items, room * sizeof(Waiting));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        heap->items = items;
        heap->room = room;
    }
    Py_ssize_t at = heap->count++;
    while (at > 0) {
        Py_ssize_t above = (at - 1) / 2;
        if (heap->items[above].sequence >= sequence) break;
        heap->items[at] = heap->items[above];
        at = above;
    }
    Py_INCREF(tensor);
    heap->items[at].sequence = sequence;
    heap->items[at].tensor = tensor;
    return 0;
}

static PyObject *pop(Heap *heap) { /* the newest, its reference handed to the caller */
    PyObject *top = heap->items[0].tensor;
    Waiting last = heap->items[--heap->count];
    Py_ssize_t at = 0;
    for (;;) {
        Py_ssize_t child = 2 * at + 1;
        if (child >= heap->count) break;
        if (child + 1 < heap->count && heap->items[child + 1].sequence > heap->items[child].sequence)
            child++;
        if (heap->items[child].sequence <= last.sequence) break;
        heap->items[at] = heap->items[child];
        at = child;
    }
    if (heap->count) heap->items[at] = last;
    return top;
}

static void clear(Heap *heap) {
    for (Py_ssize_t k = 0; k < heap->count; k++) Py_DECREF(heap->items[k].tensor);
    PyMem_Free(heap->items);
}

static int sequence_of(PyObject *tensor, long long *sequence) {
    PyObject *value = field(tensor, at_sequence, "_sequence");
    if (value == NULL) return -1;
    *sequence = PyLong_AsLongLong(value);
    return (*sequence == -1 && PyErr_Occurred()) ? -1 : 0;
}

static int is_tensor(PyObject *object) {
    if (PyObject_TypeCheck(object, tensor_type)) return 1;
    PyErr_Format(PyExc_TypeError, "native tape: expected a Tensor, got %.100s",
                 Py_TYPE(object)->tp_name);
    return 0;
}

/* ---- one edge: a parent's cotangent, fitted and received ------------------------------ */

/* Whether `grad` has the type, shape and dtype of `like` (graph.py's `fits`): 1, 0, or -1
 * with an error set. Two NumPy arrays are compared by their fields; anything else by its
 * attributes, as Python does (an object without them does not fit). */
static int fits(PyObject *grad, PyObject *like) {
    if (Py_TYPE(grad) != Py_TYPE(like)) return 0;
    if (Py_IS_TYPE(grad, &PyArray_Type)) {
        PyArrayObject *a = (PyArrayObject *)grad, *b = (PyArrayObject *)like;
        int ndim = PyArray_NDIM(a);
        if (ndim != PyArray_NDIM(b) ||
            memcmp(PyArray_DIMS(a), PyArray_DIMS(b), ndim * sizeof(npy_intp)) != 0)
            return 0;
        if (PyArray_DESCR(a) == PyArray_DESCR(b)) return 1;
        return PyObject_RichCompareBool((PyObject *)PyArray_DESCR(a),
                                        (PyObject *)PyArray_DESCR(b), Py_EQ);
    }
    static const char *const names[2] = {"shape", "dtype"};
    for (int k = 0; k < 2; k++) {
        PyObject *mine = PyObject_GetAttrString(grad, names[k]);
        PyObject *wanted = mine ? PyObject_GetAttrString(like, names[k]) : NULL;
        int equal = wanted ? PyObject_RichCompareBool(mine, wanted, Py_EQ) : -1;
        Py_XDECREF(mine);
        Py_XDECREF(wanted);
        if (equal < 0 && PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear(); /* a Python number, or a Tensor over one */
            return 0;
        }
        if (equal <= 0) return equal;
    }
    return 1;
}

/* `grad`, or match_shape(grad, like) where it does not fit: a new reference, or NULL. */
static PyObject *fit(PyObject *grad, PyObject *like) {
    int fitting = fits(grad, like);
    if (fitting < 0) return NULL;
    if (fitting) {
        Py_INCREF(grad);
        return grad;
    }
    PyObject *pair[2] = {grad, like};
    return PyObject_Vectorcall(match_shape, pair, 2, NULL);
}

/* grads[parent] += grad (a new key the first time, the parent then queued or a leaf). */
static int receive(PyObject *grads, PyObject *leaves, Heap *heap, PyObject *parent,
                   PyObject *grad) {
    PyObject *before = PyDict_GetItemWithError(grads, parent);
    if (before != NULL) {
        Py_INCREF(before); /* held while add runs */
        PyObject *pair[2] = {before, grad};
        PyObject *sum = PyObject_Vectorcall(add, pair, 2, NULL);
        Py_DECREF(before);
        if (sum == NULL) return -1;
        int status = PyDict_SetItem(grads, parent, sum);
        Py_DECREF(sum);
        return status;
    }
    if (PyErr_Occurred() || PyDict_SetItem(grads, parent, grad) < 0) return -1;
    PyObject *prim = field(parent, at_prim, "_prim");
    if (prim == NULL) return -1;
    if (prim == Py_None) return PyList_Append(leaves, parent);
    long long sequence;
    if (sequence_of(parent, &sequence) < 0) return -1;
    return push(heap, parent, sequence);
}

/* A rule raised a ValueError or TypeError: graph.py's raise_in_rule names the op in it.
 * Returns NULL. */
static PyObject *failed(PyObject *node, Py_ssize_t position) {
    PyObject *where = PyLong_FromSsize_t(position);
    if (where == NULL) return NULL;
    raise_through(rule_failed, node, where);
    Py_DECREF(where);
    return NULL;
}

/* ---- one node: its rules called, its parents given their cotangents ------------------ */

#define STACK 8

static int visit(PyObject *node, PyObject *grads, PyObject *leaves, Heap *heap,
                 long long last_write, int free_after) {
    long long sequence;
    if (sequence_of(node, &sequence) < 0) return -1;
    if (sequence < last_write) {
        PyObject *checked = PyObject_Vectorcall(check_unwritten, &node, 1, NULL);
        if (checked == NULL) return -1;
        Py_DECREF(checked);
    }
    PyObject *g = PyDict_GetItemWithError(grads, node);
    if (g == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "native tape: a node without its cotangent");
        return -1;
    }
    Py_INCREF(g);
    if (PyDict_DelItem(grads, node) < 0) {
        Py_DECREF(g);
        return -1;
    }
    int status = -1;
    PyObject *args = field(node, at_args, "_args");
    if (args != NULL && args == Py_None) { /* freed by an earlier backward(): Python says so */
        Py_XDECREF(PyObject_Vectorcall(rule_inputs, &node, 1, NULL));
        args = NULL;
    }
    PyObject *ans = field(node, at_value, "_value");
    PyObject *prim = field(node, at_prim, "_prim");
    PyObject *parents = field(node, at_parents, "_parents");
    PyObject *inputs = field(node, at_inputs, "_inputs");
    PyObject *kwargs = field(node, at_kwargs, "_kwargs");
    if (args == NULL || ans == NULL || prim == NULL || parents == NULL || inputs == NULL ||
        kwargs == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "native tape: a field is missing");
        Py_DECREF(g);
        return -1;
    }
    if (!PyObject_TypeCheck(prim, primitive_type) || !PyTuple_Check(parents) ||
        !(PyTuple_Check(args) || PyList_Check(args)) || !PyDict_Check(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "native tape: a node's fields are not what graph.py makes");
        Py_DECREF(g);
        return -1;
    }
    PyObject *vjps = field(prim, at_vjps, "_vjps");
    if (vjps == NULL) {
        Py_DECREF(g);
        return -1;
    }
    /* the fields are kept alive while the rules run, whatever the rules do */
    Py_INCREF(args);
    Py_INCREF(ans);
    Py_INCREF(parents);
    Py_INCREF(inputs);
    Py_INCREF(kwargs);
    Py_INCREF(vjps);
    PyObject *fast = PySequence_Fast(args, "native tape: args");
    Py_ssize_t count = fast ? PySequence_Fast_GET_SIZE(fast) : 0;
    PyObject *small[STACK], **stack = small;
    if (fast != NULL && count + 2 > STACK) {
        stack = PyMem_Malloc((count + 2) * sizeof(PyObject *));
        if (stack == NULL) PyErr_NoMemory();
    }
    if (fast == NULL || stack == NULL) goto done;
    stack[0] = g;
    stack[1] = ans;
    memcpy(stack + 2, PySequence_Fast_ITEMS(fast), count * sizeof(PyObject *));
    int has_kwargs = PyDict_GET_SIZE(kwargs) > 0;
    Py_ssize_t n_parents = PyTuple_GET_SIZE(parents);
    for (Py_ssize_t k = 0; k < n_parents; k++) {
        Py_ssize_t position = PyLong_AsSsize_t(PyTuple_GET_ITEM(parents, k));
        if (position == -1 && PyErr_Occurred()) goto done;
        PyObject *parent = PySequence_GetItem(inputs, position);
        if (parent == NULL) goto done;
        PyObject *rule = PySequence_GetItem(vjps, position);
        if (rule == NULL || !is_tensor(parent)) {
            Py_XDECREF(rule);
            Py_DECREF(parent);
            goto done;
        }
        PyObject *grad = has_kwargs ? PyObject_VectorcallDict(rule, stack, count + 2, kwargs)
                                    : PyObject_Vectorcall(rule, stack, count + 2, NULL);
        Py_DECREF(rule);
        if (grad == NULL) { /* graph.py names the op in a ValueError or TypeError */
            if (PyErr_ExceptionMatches(PyExc_ValueError) || PyErr_ExceptionMatches(PyExc_TypeError))
                failed(node, position);
            Py_DECREF(parent);
            goto done;
        }
        PyObject *like = field(parent, at_value, "_value");
        Py_XINCREF(like); /* held while match_shape may run */
        PyObject *fitting = like ? fit(grad, like) : NULL;
        Py_XDECREF(like);
        Py_DECREF(grad);
        int received = fitting ? receive(grads, leaves, heap, parent, fitting) : -1;
        Py_XDECREF(fitting);
        Py_DECREF(parent);
        if (received < 0) goto done;
    }
    if (free_after) { /* release the saved arrays and the links that keep intermediates alive */
        set_field(node, at_args, Py_None);
        set_field(node, at_parents, no_parents);
        set_field(node, at_inputs, no_parents);
    }
    status = 0;
done:
    if (stack != small) PyMem_Free(stack);
    Py_XDECREF(fast);
    Py_DECREF(args);
    Py_DECREF(ans);
    Py_DECREF(parents);
    Py_DECREF(inputs);
    Py_DECREF(kwargs);
    Py_DECREF(vjps);
    Py_DECREF(g);
    return status;
}

/* walk(grads, leaves, waiting, last_write, free): graph.py's backward_pass loop, from the
 * nodes `waiting` (each already holding its cotangent in `grads`) to the leaves. */
static PyObject *walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (tensor_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "native tape: set_up was not called");
        return NULL;
    }
    if (nargs != 5 || !PyDict_Check(args[0]) || !PyList_Check(args[1]) || !PyList_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "walk(grads: dict, leaves: list, waiting: list, last_write: int, free: bool)");
        return NULL;
    }
    PyObject *grads = args[0], *leaves = args[1], *waiting = args[2];
    long long last_write = PyLong_AsLongLong(args[3]);
    int free_after = PyObject_IsTrue(args[4]);
    if ((last_write == -1 && PyErr_Occurred()) || free_after < 0) return NULL;
    Heap heap = {NULL, 0, 0};
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(waiting); k++) {
        PyObject *tensor = PyList_GET_ITEM(waiting, k);
        long long sequence;
        if (!is_tensor(tensor) || sequence_of(tensor, &sequence) < 0 ||
            push(&heap, tensor, sequence) < 0) {
            clear(&heap);
            return NULL;
        }
    }
    while (heap.count) {
        PyObject *node = pop(&heap);
        int status = visit(node, grads, leaves, &heap, last_write, free_after);
        Py_DECREF(node);
        if (status < 0) {
            clear(&heap);
            return NULL;
        }
    }
    clear(&heap);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"set_up", set_up, METH_VARARGS,
     "set_up(Tensor, Primitive, STATE, ORDER, FIRST, SECOND, BOTH, NO_KWARGS, bind, bind_pair, "
     "bind_one, raise_with_context, check_unwritten, rule_inputs, match_shape, add, "
     "raise_in_rule)"},
    {"bind", (PyCFunction)(void (*)(void))bind, METH_FASTCALL,
     "bind(prim, args, kwargs): primitive.py's bind"},
    {"bind_pair", (PyCFunction)(void (*)(void))bind_pair, METH_FASTCALL,
     "bind_pair(prim, x, y): primitive.py's bind_pair"},
    {"bind_one", (PyCFunction)(void (*)(void))bind_one, METH_FASTCALL,
     "bind_one(prim, x): primitive.py's bind_one"},
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL,
     "walk(grads, leaves, waiting, last_write, free): the reverse pass's loop"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef definition = {PyModuleDef_HEAD_INIT, "deepgrad_native_tape",
                                        "The tape's two hot loops in C.", -1, methods};

PyMODINIT_FUNC PyInit_deepgrad_native_tape(void) {
    import_array();
    return PyModule_Create(&definition);
}
